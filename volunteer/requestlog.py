"""One JSON line per request on stdout, for the proxy's and the operator's eyes.

The line carries no personal data: no query string (a `next=` or a search could hold
anything), no form fields, no client address, only the user's numeric id. The request
id comes back as X-Request-ID so a resident's screenshot can be matched to a line.
"""
import json
import logging
import os
import re
import sys
import time
from datetime import datetime, timezone

from flask import g, request

LOGGER_NAME = "volunteer.access"
# A proxy's id is kept when it looks like one; anything else (a header a client made
# up, possibly carrying text we must not log) is replaced.
_INCOMING_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")


class _CurrentStreamHandler(logging.StreamHandler):
    """Writes to whatever sys.stdout (or sys.stderr) is at the moment (gunicorn,
    pytest's capture), not to the stream that was current when it was made."""

    def __init__(self, stream_name: str):
        self.stream_name = stream_name
        super().__init__(getattr(sys, stream_name))

    @property
    def stream(self):
        return getattr(sys, self.stream_name)

    @stream.setter
    def stream(self, _value):
        pass


def _has_handler(logger: logging.Logger, stream_name: str) -> bool:
    return any(isinstance(h, _CurrentStreamHandler) and h.stream_name == stream_name
               for h in logger.handlers)


def access_logger() -> logging.Logger:
    logger = logging.getLogger(LOGGER_NAME)
    if not _has_handler(logger, "stdout"):
        handler = _CurrentStreamHandler("stdout")
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        # Its own handler only: the app logger's stderr handler would print it twice.
        logger.propagate = False
    # Alembic's env.py runs logging.config.fileConfig, which disables every logger that
    # exists at that moment (migrations in the same process as an app: tests, scripts).
    logger.disabled = False
    return logger


def surface_rate_limiter_warnings() -> None:
    """Flask-Limiter says when Redis goes away and it falls back to memory (and when it
    recovers), but to a logger with only a NullHandler: operators would never know."""
    logger = logging.getLogger("flask-limiter")
    if not _has_handler(logger, "stderr"):
        handler = _CurrentStreamHandler("stderr")
        # Its other INFO lines ("ratelimit … (client address) exceeded") carry the
        # client's address, which we keep out of the logs.
        handler.addFilter(lambda record: record.levelno >= logging.WARNING
                          or record.getMessage().startswith("Rate limit storage"))
        handler.setFormatter(logging.Formatter("[%(asctime)s] %(levelname)s in %(name)s: %(message)s"))
        logger.addHandler(handler)
        if logger.level == logging.NOTSET or logger.level > logging.INFO:
            logger.setLevel(logging.INFO)
        logger.propagate = False
    logger.disabled = False


_QUERY = re.compile(r"\?[^\s\x1b]*")


def _without_query_strings(record: logging.LogRecord) -> bool:
    """Werkzeug's development server logs each request line, query string included (a
    volunteer's location, an api_key sent in the URL): cut it, as our own line does."""
    if isinstance(record.args, tuple):
        record.args = tuple(_QUERY.sub("", arg) if isinstance(arg, str) else arg
                            for arg in record.args)
    return True


def keep_query_strings_out_of_the_development_log() -> None:
    logger = logging.getLogger("werkzeug")
    if _without_query_strings not in logger.filters:
        logger.addFilter(_without_query_strings)


def request_id() -> str:
    if "request_id" not in g:
        incoming = request.headers.get("X-Request-ID", "")
        # 32 random hex digits, as uuid4().hex gave, at a sixth of its cost.
        g.request_id = incoming if _INCOMING_ID.fullmatch(incoming) else os.urandom(16).hex()
    return g.request_id


def _user_id() -> int | None:
    # Only a user already loaded by the view: loading one here would query the
    # database, which may be the very thing that is down.
    user = g.get("_login_user")
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return getattr(user, "id", None)


def register(app) -> None:
    logger = access_logger()
    surface_rate_limiter_warnings()
    keep_query_strings_out_of_the_development_log()

    def start_clock():
        g.request_started = time.perf_counter()
        request_id()

    # First of all hooks, so a request refused early (CSRF, rate limit) is timed too.
    app.before_request_funcs.setdefault(None, []).insert(0, start_clock)

    # The probes (pipeline.probe) get their id back but no line of ours: the server's
    # access line records them, and a monitor polling every few seconds would otherwise
    # make half of this log.
    def answer_request_id(response):
        response.headers["X-Request-ID"] = request_id()
        return response

    if hasattr(app, "after_probe"):
        app.after_probe(answer_request_id)

    @app.after_request
    def log_request(response):
        started = g.get("request_started")
        duration_ms = round((time.perf_counter() - started) * 1000, 1) if started else None
        response.headers["X-Request-ID"] = this_request = request_id()
        if request.endpoint == "static" or not logger.isEnabledFor(logging.INFO):
            return response
        line = json.dumps(
            {
                "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
                "event": "request",
                "request_id": this_request,
                "user_id": _user_id(),
                "method": request.method,
                "path": request.path,
                "endpoint": request.endpoint,
                "status": response.status_code,
                "duration_ms": duration_ms,
            },
            separators=(",", ":"),
        )
        # A record made here rather than by logger.info, which walks the call stack to
        # name the calling line: a cost on every request for a field nobody reads.
        logger.handle(logging.LogRecord(LOGGER_NAME, logging.INFO, __file__, 0, line, None, None))
        return response
