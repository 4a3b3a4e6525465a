"""Configuration from the environment, with a safe embedded default for local use.

The embedded default (SQLite, no DATABASE_URL needed) is one process with a SQLite file and a secret
generated once into instance/. Anything else is production, where a missing SECRET_KEY
stops the start with a clear message rather than signing cookies with a guessable key.
"""
import os
import secrets
from datetime import timedelta
from pathlib import Path

DEFAULT_CITY_FILE = str(Path(__file__).parent / "data" / "dong_ha.geojson")


class ConfigurationError(RuntimeError):
    pass


def normalize_database_url(url: str) -> str:
    """Route plain postgres URLs through psycopg 3, the driver we ship."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _instance_secret(instance_path: str) -> str:
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def from_environment(instance_path: str, given: dict | None = None) -> dict:
    """Settings from the environment; `given` (what create_app was passed) wins."""
    given = given or {}
    database_url = given.get("SQLALCHEMY_DATABASE_URI") or os.environ.get("DATABASE_URL")
    embedded = not database_url or database_url.startswith("sqlite")
    secret_key = given.get("SECRET_KEY") or os.environ.get("SECRET_KEY")
    if not secret_key:
        if not embedded:
            raise ConfigurationError(
                "SECRET_KEY must be set when DATABASE_URL points at a server database. "
                "Generate one with: python -c 'import secrets; print(secrets.token_hex(32))'"
            )
        secret_key = _instance_secret(instance_path)
    if not database_url:
        database_url = "sqlite:///" + str(Path(instance_path) / "volunteer.sqlite")
    redis_url = os.environ.get("REDIS_URL")
    secure_cookies = _flag("SECURE_COOKIES", default=not embedded)
    return {
        "EMBEDDED": embedded,
        "SECRET_KEY": secret_key,
        "SQLALCHEMY_DATABASE_URI": normalize_database_url(database_url),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "REDIS_URL": redis_url,
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_HEADERS_ENABLED": True,
        # Failed sign-ins, per client address and per account typed.
        "RATELIMIT_LOGIN": os.environ.get("RATELIMIT_LOGIN", "5 per minute;20 per hour"),
        "RATELIMIT_LOGIN_ACCOUNT": os.environ.get("RATELIMIT_LOGIN_ACCOUNT", "5 per minute;20 per hour"),
        "GEOCODER": os.environ.get("GEOCODER", "offline"),
        "GEOCODER_USER_AGENT": os.environ.get("GEOCODER_USER_AGENT", "volunteer-helpdesk"),
        "CITY_FILE": os.environ.get("CITY_FILE", DEFAULT_CITY_FILE),
        "REFERENCE_PREFIX": os.environ.get("REFERENCE_PREFIX", "DH").upper(),
        "TILE_URL": os.environ.get(
            "TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
        ),
        "TILE_ATTRIBUTION": os.environ.get(
            "TILE_ATTRIBUTION", "&copy; OpenStreetMap contributors"
        ),
        "OPEN311_JURISDICTION_ID": os.environ.get("OPEN311_JURISDICTION_ID", "dongha.quangtri.vn"),
        # Open311: POSTs per API key, reads per client address; the postal code and
        # contact texts shown to clients (empty: our defaults).
        "OPEN311_POST_LIMIT": os.environ.get("OPEN311_POST_LIMIT", "60 per minute"),
        "OPEN311_READ_LIMIT": os.environ.get("OPEN311_READ_LIMIT", "120 per minute"),
        "OPEN311_ZIPCODE": os.environ.get("OPEN311_ZIPCODE"),
        "OPEN311_CONTACT": os.environ.get("OPEN311_CONTACT"),
        "OPEN311_KEY_SERVICE": os.environ.get("OPEN311_KEY_SERVICE"),
        "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL"),
        "RETENTION_DAYS": int(os.environ.get("RETENTION_DAYS", "180")),
        # Open tickets drawn as points on the coordinators' map; figures count them all.
        "MAP_POINT_CAP": int(os.environ.get("MAP_POINT_CAP", "2000")),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": secure_cookies,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": secure_cookies,
        "REMEMBER_COOKIE_DURATION": timedelta(days=30),
        "MAX_CONTENT_LENGTH": 256 * 1024,
        "BABEL_DEFAULT_LOCALE": "vi",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Ho_Chi_Minh",
        "LANGUAGES": ["vi", "en"],
        "WTF_CSRF_TIME_LIMIT": 8 * 3600,
        "PROXY_HOPS": int(os.environ.get("PROXY_HOPS", "0")),
        # Web push: the VAPID key pair (made on first use, kept out of the repository)
        # and the contact push services may write to.
        "VAPID_KEY_FILE": os.environ.get("VAPID_KEY_FILE", str(Path(instance_path) / "vapid_private.pem")),
        "VAPID_SUBJECT": os.environ.get("VAPID_SUBJECT", "mailto:admin@localhost"),
    }
