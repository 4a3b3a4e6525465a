import logging
from pathlib import Path

from flask import Response, current_app, request
from sqlalchemy import text

from ...extensions import db, limiter
from ...pipeline import probe
from . import bp

log = logging.getLogger(__name__)


def _database_answers() -> bool:
    try:
        db.session.execute(text("SELECT 1"))
        return True
    except Exception as error:  # any failure means "not ready"; the kind goes to the log
        db.session.rollback()
        log.warning("readyz: database unavailable: %s", type(error).__name__)
        return False


def _redis_answers(url: str) -> bool:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        return bool(client.ping())
    except Exception as error:
        log.warning("readyz: redis unavailable: %s", type(error).__name__)
        return False
    finally:
        client.close()


@bp.route("/favicon.ico")
@limiter.exempt
def favicon():
    # Browsers ask for /favicon.ico whatever the page links; the SVG answers them all
    # (a few hundred bytes, read whole rather than streamed from an open file).
    icon = (Path(current_app.static_folder) / "favicon.svg").read_bytes()
    return Response(icon, mimetype="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"})


@limiter.request_filter
def _probes_are_never_limited() -> bool:
    """The proxy's and the monitor's probes: never limited, and, unlike @limiter.exempt,
    which still resolves every limit before finding none, checked in one comparison."""
    return request.blueprint == bp.name


@bp.route("/healthz")
@probe
def healthz():
    return {"status": "ok"}, 200, {"Cache-Control": "no-store"}


@bp.route("/readyz")
@probe
def readyz():
    checks = {"database": _database_answers()}
    redis_url = current_app.config.get("REDIS_URL")
    if redis_url:
        checks["redis"] = _redis_answers(redis_url)
    ready = all(checks.values())
    body = {"status": "ok" if ready else "unavailable",
            "checks": {name: "ok" if good else "fail" for name, good in checks.items()}}
    return body, 200 if ready else 503, {"Cache-Control": "no-store"}
