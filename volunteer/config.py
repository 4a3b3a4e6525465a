"""Configuration from the environment, with a safe embedded default for local use.

The embedded default (SQLite, no DATABASE_URL needed) is one process with a SQLite file and a secret
generated once into instance/. Anything else is production, where a missing SECRET_KEY
stops the start with a clear message rather than signing cookies with a guessable key.
"""
import os
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from .private_files import private_file, private_folder

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
    path = private_folder(instance_path) / "secret_key"
    if not path.exists():
        private_file(path).write_text(secrets.token_hex(32))
    return path.read_text().strip()


LOCAL_HOSTS = ["localhost", "127.0.0.1"]


def _checked_base_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path.strip("/") \
            or parts.query or parts.fragment:
        raise ConfigurationError(
            f"PUBLIC_BASE_URL must be a scheme and host such as https://hotro.example.vn, not {url!r}")
    return f"{parts.scheme}://{parts.netloc}"


def trusted_hosts(public_base_url: str, embedded: bool) -> list[str]:
    hosts = [urlsplit(public_base_url).hostname] if public_base_url else []
    return hosts + (LOCAL_HOSTS if embedded else [])


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
    public_base_url = (given.get("PUBLIC_BASE_URL") or os.environ.get("PUBLIC_BASE_URL") or "").strip()
    if public_base_url:
        public_base_url = _checked_base_url(public_base_url)
    elif not embedded:
        raise ConfigurationError(
            "PUBLIC_BASE_URL must be set when DATABASE_URL points at a server database: the "
            "address residents reach the site at (e.g. https://hotro.example.vn), used for "
            "the links on posters, QR codes and Open311, and the only Host accepted."
        )
    if not database_url:
        database_url = "sqlite:///" + str(private_folder(instance_path) / "volunteer.sqlite")
    database_uri = normalize_database_url(database_url)
    redis_url = os.environ.get("REDIS_URL")
    secure_cookies = _flag("SECURE_COOKIES", default=not embedded)
    return {
        "EMBEDDED": embedded,
        "SECRET_KEY": secret_key,
        "SQLALCHEMY_DATABASE_URI": database_uri,
        # A statement that fails is logged without its values: they hold what residents typed.
        # A pooled PostgreSQL connection is checked at checkout without a round trip
        # (extensions._postgresql_link_is_up) instead of by the pool's ping.
        "SQLALCHEMY_ENGINE_OPTIONS": {
            "pool_pre_ping": not database_uri.startswith("postgresql"),
            "hide_parameters": True},
        "REDIS_URL": redis_url,
        "RATELIMIT_STORAGE_URI": redis_url or "lazy-memory://",
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_HEADERS_ENABLED": True,
        # Failed sign-ins: per client address (any account), per account and address, and
        # per account from every address (20 heard, then 30 s doubling up to 5 minutes).
        "RATELIMIT_LOGIN": os.environ.get("RATELIMIT_LOGIN", "10 per minute;60 per hour"),
        "RATELIMIT_LOGIN_ACCOUNT_ADDRESS": os.environ.get("RATELIMIT_LOGIN_ACCOUNT_ADDRESS",
                                                          "5 per minute;20 per hour"),
        "LOGIN_ACCOUNT_BACKOFF": (20, 30, 300),
        # Wrong current passwords on /account/password, per signed-in user.
        "RATELIMIT_PASSWORD_CHANGE": os.environ.get("RATELIMIT_PASSWORD_CHANGE", "5 per 15 minutes;20 per day"),
        # Tracking: every address alike (a carrier's shared address is many residents);
        # wrong digits for one reference, from all addresses together: 5 heard, then a
        # wait of 1 minute doubling up to an hour (seconds).
        "RATELIMIT_TRACKING": os.environ.get("RATELIMIT_TRACKING", "30 per minute;200 per hour"),
        "TRACKING_BACKOFF": (5, 60, 3600),
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
        # POSTs with a missing or wrong api_key, per client address.
        "OPEN311_BAD_KEY_LIMIT": os.environ.get("OPEN311_BAD_KEY_LIMIT", "10 per minute;50 per hour"),
        "OPEN311_ZIPCODE": os.environ.get("OPEN311_ZIPCODE"),
        "OPEN311_CONTACT": os.environ.get("OPEN311_CONTACT"),
        "OPEN311_KEY_SERVICE": os.environ.get("OPEN311_KEY_SERVICE"),
        "PUBLIC_BASE_URL": public_base_url or None,
        # Requests naming any other Host get a 400 (Flask): the configured address, and
        # this machine in the embedded default.
        "TRUSTED_HOSTS": trusted_hosts(public_base_url, embedded),
        "RETENTION_DAYS": int(os.environ.get("RETENTION_DAYS", "180")),
        # Open tickets drawn as points on the coordinators' map; figures count them all.
        "MAP_POINT_CAP": int(os.environ.get("MAP_POINT_CAP", "2000")),
        # Notifications (README "Notifications"): the outbox worker and its channels.
        "OUTBOX_MAX_ATTEMPTS": int(os.environ.get("OUTBOX_MAX_ATTEMPTS", "8")),
        "OUTBOX_BACKOFF_SECONDS": int(os.environ.get("OUTBOX_BACKOFF_SECONDS", "30")),
        "OUTBOX_BACKOFF_MAX_SECONDS": int(os.environ.get("OUTBOX_BACKOFF_MAX_SECONDS", "3600")),
        "OUTBOX_LEASE_SECONDS": int(os.environ.get("OUTBOX_LEASE_SECONDS", "120")),
        "OUTBOX_POLL_SECONDS": float(os.environ.get("OUTBOX_POLL_SECONDS", "0.5")),
        "OUTBOX_BATCH": int(os.environ.get("OUTBOX_BATCH", "20")),
        "NOTIFY_TIMEOUT_SECONDS": float(os.environ.get("NOTIFY_TIMEOUT_SECONDS", "10")),
        # A message whose channel is not configured (notifications/unconfigured.py):
        # "local" writes it, as received, under NOTIFY_LOCAL_DIR (the embedded default);
        # "hold" keeps it pending, retried every NOTIFY_HOLD_SECONDS (a server database).
        "NOTIFY_UNCONFIGURED": os.environ.get("NOTIFY_UNCONFIGURED",
                                              "local" if embedded else "hold"),
        "NOTIFY_LOCAL_DIR": os.environ.get("NOTIFY_LOCAL_DIR",
                                           os.path.join(instance_path, "outbox")),
        "NOTIFY_HOLD_SECONDS": int(os.environ.get("NOTIFY_HOLD_SECONDS", "900")),
        "RESIDENT_MESSAGES_PER_DAY": int(os.environ.get("RESIDENT_MESSAGES_PER_DAY", "6")),
        "SMS_PROVIDER": os.environ.get("SMS_PROVIDER", ""),
        "SMS_BRAND_NAME": os.environ.get("SMS_BRAND_NAME", "TO CNS"),
        # The gateway's service number residents text STOP to (eSMS: a short code whose
        # messages it forwards to /sms/inbound/<SMS_INBOUND_TOKEN>); empty: no STOP line.
        "SMS_STOP_NUMBER": os.environ.get("SMS_STOP_NUMBER", "").strip(),
        "SMS_INBOUND_TOKEN": os.environ.get("SMS_INBOUND_TOKEN"),
        "ESMS_MO_CPID": os.environ.get("ESMS_MO_CPID"),
        "ESMS_MO_PRIVATE_KEY": os.environ.get("ESMS_MO_PRIVATE_KEY"),
        "ESMS_URL": os.environ.get("ESMS_URL"),
        "ESMS_API_KEY": os.environ.get("ESMS_API_KEY"),
        "ESMS_SECRET_KEY": os.environ.get("ESMS_SECRET_KEY"),
        "ESMS_SANDBOX": _flag("ESMS_SANDBOX"),
        "ZALO_ZNS_URL": os.environ.get("ZALO_ZNS_URL"),
        "ZALO_OAUTH_URL": os.environ.get("ZALO_OAUTH_URL"),
        "ZALO_APP_ID": os.environ.get("ZALO_APP_ID"),
        "ZALO_APP_SECRET": os.environ.get("ZALO_APP_SECRET"),
        "ZALO_ACCESS_TOKEN": os.environ.get("ZALO_ACCESS_TOKEN"),
        "ZALO_REFRESH_TOKEN": os.environ.get("ZALO_REFRESH_TOKEN"),
        "ZALO_TEMPLATES": os.environ.get("ZALO_TEMPLATES", ""),
        "SMTP_HOST": os.environ.get("SMTP_HOST"),
        "SMTP_PORT": int(os.environ.get("SMTP_PORT", "587")),
        "SMTP_STARTTLS": _flag("SMTP_STARTTLS", default=True),
        "SMTP_USERNAME": os.environ.get("SMTP_USERNAME"),
        "SMTP_PASSWORD": os.environ.get("SMTP_PASSWORD"),
        "SMTP_FROM": os.environ.get("SMTP_FROM"),
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
