"""gunicorn settings for `make serve` (production: PostgreSQL, Redis, behind nginx).

Every value can be overridden from the environment, so the same file serves a laptop
and a province's app servers. The app reads DATABASE_URL, REDIS_URL and SECRET_KEY
itself (volunteer/config.py) and refuses to start without SECRET_KEY on a server
database.
"""
import gc
import json
import multiprocessing
import os

# Loopback or a unix socket only: the proxy is the one trusted hop (PROXY_HOPS=1), so
# nothing else may reach gunicorn and forge X-Forwarded-For.
# e.g. GUNICORN_BIND=unix:/run/volunteer/gunicorn.sock
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",")


def _reachable_only_locally(address: str) -> bool:
    if address.startswith(("unix:", "fd://")):
        return True
    host = address.rsplit(":", 1)[0].strip("[]") if ":" in address else address
    return host in ("localhost", "::1") or host.startswith("127.")


# App servers on other hosts than nginx must listen on a private interface that only
# the proxy can reach (a firewall's job); say so explicitly.
if not all(_reachable_only_locally(a) for a in bind) and os.environ.get(
        "GUNICORN_ALLOW_PUBLIC_BIND") != "1":
    raise SystemExit(
        f"gunicorn would listen on {', '.join(bind)}: clients reaching it directly could forge "
        "X-Forwarded-For past the rate limits. Bind to loopback or a unix socket, or set "
        "GUNICORN_ALLOW_PUBLIC_BIND=1 on a private network that only the proxy can reach."
    )

# Sync workers: nginx buffers slow phones, so each worker spends its time on Python
# and the database. 2 × CPU + 1 is gunicorn's rule of thumb; every worker holds its
# own small database pool, so keep workers × pool well under PostgreSQL's
# max_connections when adding app servers.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
worker_class = "gthread" if threads > 1 else "sync"

# A request that takes 30 s is stuck (a page here takes milliseconds): kill the worker
# and start a fresh one. On HUP or TERM, workers get 30 s to finish what they serve.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = 5
# Recycle workers now and then so a slow leak never becomes an outage.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "5000"))
max_requests_jitter = max_requests // 10

# The master imports the app once (about 2.5 s here) and forks ready workers: a worker
# killed or recycled is replaced in milliseconds, and a HUP (new config, fresh workers)
# causes no stall. The factory opens no connection, and post_fork below drops any pool
# a worker inherits, so no connection is ever shared between processes. New code is
# deployed with USR2 (a new master with the new code, beside the old one) then QUIT to
# the old master, or with a plain restart; see README "Production".
preload_app = os.environ.get("GUNICORN_PRELOAD", "1") != "0"


def _preloaded_volunteer_app():
    """Our app when the master preloaded it (not another app served with this file)."""
    import sys

    module = sys.modules.get("wsgi") if preload_app else None
    return getattr(module, "app", None)


def when_ready(server):
    """Warm what every worker would otherwise build on its first requests (compiled
    templates, SQLAlchemy's statement cache, translations, the geography) once, in
    the master, so forked workers (at start, after a HUP, after a crash) start warm.
    A failure here (the database still starting) only means cold workers."""
    app = _preloaded_volunteer_app()
    if app is None:
        return
    from volunteer.extensions import db

    try:
        for name in app.jinja_env.list_templates(filter_func=lambda n: n.endswith(".html")):
            app.jinja_env.get_template(name)
        client = app.test_client()
        # As a resident's browser would: the configured public address is the only Host accepted.
        base_url = app.config.get("PUBLIC_BASE_URL") or "http://localhost"
        for url in ("/", "/track", "/readyz", "/lang/en?next=/", "/", "/lang/vi?next=/"):
            client.get(url, base_url=base_url, headers={"X-Request-ID": "gunicorn-warm-up"})
        # The wards' polygons, the gazetteer and the official names (1–2 s of CPU):
        # otherwise each worker builds them on its first submission, again after
        # every recycle (max_requests).
        from volunteer.geo import geography

        with app.app_context():
            geography.load()
    except Exception as error:  # never keep the server from starting
        server.log.warning("warm-up skipped: %s", type(error).__name__)
    finally:
        with app.app_context():
            db.engine.dispose()
        # Everything the master built (the app, the geography, caches) lives as long as
        # the workers do. Frozen, the workers' garbage collector never walks those
        # ~200,000 objects (a full pass: ~80 ms) nor writes to their pages, which stay
        # shared between workers. Measured (bench/README.md, "Third pass"): /healthz
        # 0.43 -> 0.31 ms of worker CPU a request.
        gc.collect()
        gc.freeze()


def post_fork(server, worker):
    app = _preloaded_volunteer_app()
    if app is None:
        return
    from volunteer.extensions import db

    with app.app_context():
        db.engine.dispose(close=False)


pidfile = os.environ.get("GUNICORN_PIDFILE") or None
proc_name = "volunteer"

# Logs to stdout/stderr for the service manager. The access line is JSON, without the
# query string or the client address (personal data); the app writes its own line
# (event "request", with the user id) and both carry the same request_id.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = json.dumps(
    {
        "event": "access",
        "request_id": "%({x-request-id}o)s",
        "method": "%(m)s",
        "path": "%(U)s",
        "status": "%(s)s",
        "bytes": "%(B)s",
        "duration_ms": "%(M)s",
    },
    separators=(",", ":"),
)

# gunicorn 27's control socket defaults to one path per user (~/.gunicorn/gunicorn.ctl),
# which two masters on one host (a second app server, the bench's ceiling app) would
# fight over; signals (HUP, TERM, TTIN/TTOU) do all we need. Opt in with a path.
if os.environ.get("GUNICORN_CONTROL_SOCKET"):
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]
else:
    control_socket_disable = True
