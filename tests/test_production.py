"""Running for real: configuration, security headers, proxy, probes, rate limits in Redis,
structured logs without personal data, the 503 page when the database is away."""
import json
import os
import re
import shutil
import subprocess
import sys
import uuid
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from flask_login import login_user

from volunteer import create_app
from volunteer.config import ConfigurationError, from_environment
from volunteer.extensions import db, limiter
from volunteer.models import Ticket, User

from .factories import make_user, submit_request_form, valid_request_form
from .queries import count_in

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("TEST_REDIS_URL")
CLOSED_PORT_REDIS = "redis://127.0.0.1:1/0"
# Distinctive personal data, so the log test can look for every piece of it.
RESIDENT = valid_request_form(name="Hoàng Thị Bích Ngọc", phone="0987 654 321", address="27 Hàm Nghi")


@pytest.fixture
def fresh_limiter():
    """The limiter object is global: put back whatever a fault test changed."""
    yield limiter
    limiter._storage_dead = False


# --- configuration -----------------------------------------------------------------

def test_server_database_without_secret_key_refuses_to_start(monkeypatch, tmp_path):
    """With DATABASE_URL on PostgreSQL and no SECRET_KEY, create_app stops with a clear message."""
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://hotro.example.vn")
    monkeypatch.setenv("DATABASE_URL", "postgresql://127.0.0.1:5432/anything")
    with pytest.raises(ConfigurationError, match="SECRET_KEY must be set"):
        create_app({})


def test_wsgi_entry_point_refuses_to_start_without_secret_key(tmp_path):
    """The process gunicorn would run exits non-zero and says why, before serving anything."""
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "REDIS_URL")}
    env["DATABASE_URL"] = "postgresql://127.0.0.1:5432/anything"
    env["PUBLIC_BASE_URL"] = "https://hotro.example.vn"
    result = subprocess.run([sys.executable, "-c", "import wsgi"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_embedded_default_makes_its_own_secret_once(monkeypatch, tmp_path):
    """Without DATABASE_URL the secret is generated into instance/ once and reused."""
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    first = from_environment(str(tmp_path))
    second = from_environment(str(tmp_path))
    assert first["SECRET_KEY"] == second["SECRET_KEY"] and len(first["SECRET_KEY"]) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    assert first["RATELIMIT_STORAGE_URI"] == "lazy-memory://"


def test_production_settings_use_redis_and_secure_cookies(monkeypatch, tmp_path):
    """A server database turns on secure cookies; REDIS_URL becomes the rate-limit storage."""
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/3")
    config = from_environment(str(tmp_path), given={
        "SQLALCHEMY_DATABASE_URI": "postgresql://127.0.0.1/db", "SECRET_KEY": "k",
        "PUBLIC_BASE_URL": "https://hotro.example.vn"})
    assert config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")
    assert config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/3"
    assert config["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"] is True
    assert config["SESSION_COOKIE_SECURE"] and config["REMEMBER_COOKIE_SECURE"]
    assert config["MAX_CONTENT_LENGTH"] <= 1024 * 1024


def _production_cookie_settings(tmp_path) -> dict:
    config = from_environment(str(tmp_path), given={
        "SQLALCHEMY_DATABASE_URI": "postgresql://127.0.0.1/db", "SECRET_KEY": "k",
        "PUBLIC_BASE_URL": "https://hotro.example.vn"})
    return {k: v for k, v in config.items() if k.startswith(("SESSION_COOKIE", "REMEMBER_COOKIE"))}


def test_session_cookie_is_secure_httponly_lax(make_app, tmp_path):
    """In production the session cookie goes out Secure, HttpOnly and SameSite=Lax."""
    app = make_app(**_production_cookie_settings(tmp_path))
    response = app.test_client().get("/", base_url="https://localhost")
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_remember_cookie_lasts_thirty_days_and_is_locked_down(make_app, tmp_path, backend):
    """"Remember me" keeps a volunteer signed in 30 days, not Flask-Login's 365, with safe flags."""
    app = make_app(**_production_cookie_settings(tmp_path))
    with app.app_context():
        user = make_user("volunteer")
        db.session.commit()
        user_id = user.id

    @app.route("/_remember")
    def remember():
        from volunteer.models import User

        login_user(db.session.get(User, user_id), remember=True)
        return "ok"

    response = app.test_client().get("/_remember", base_url="https://localhost")
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember_token="))
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    expires = parsedate_to_datetime(re.search(r"Expires=([^;]+)", cookie).group(1))
    days = (expires - datetime.now(timezone.utc)).total_seconds() / 86400
    assert 29.9 < days <= 30


# --- headers ---------------------------------------------------------------------

def test_every_page_carries_the_security_headers(client):
    """CSP with a fresh nonce per request and no unsafe-inline scripts, nosniff, referrer, no framing."""
    first = client.get("/")
    second = client.get("/track")
    nonces = []
    for response in (first, second):
        csp = response.headers["Content-Security-Policy"]
        script_src = next(d for d in csp.split(";") if d.strip().startswith("script-src"))
        assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
        nonces.append(re.search(r"'nonce-([^']+)'", script_src).group(1))
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"]
        assert "Strict-Transport-Security" not in response.headers
    assert nonces[0] != nonces[1]


def test_inline_scripts_carry_the_nonce(client):
    """Every inline <script> on the public pages has this response's nonce (else CSP blocks it)."""
    for url in ("/", "/track"):
        response = client.get(url)
        nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
        for tag in re.findall(r"<script\b[^>]*>", response.get_data(as_text=True)):
            assert "src=" in tag or f'nonce="{nonce}"' in tag, tag


def test_hsts_only_over_https(client):
    """HSTS is sent over HTTPS (as the proxy reports it), never over plain HTTP."""
    assert "Strict-Transport-Security" not in client.get("/healthz").headers
    secure = client.get("/healthz", base_url="https://localhost")
    assert "max-age=" in secure.headers["Strict-Transport-Security"]


def test_https_scheme_comes_from_the_trusted_proxy(make_app):
    """Behind one proxy hop, X-Forwarded-Proto: https counts; without PROXY_HOPS it is ignored."""
    behind = make_app(PROXY_HOPS=1).test_client()
    direct = make_app(PROXY_HOPS=0).test_client()
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    assert "Strict-Transport-Security" in behind.get("/healthz", headers=headers).headers
    assert "Strict-Transport-Security" not in direct.get("/healthz", headers=headers).headers


def test_oversized_body_is_refused_with_413(app, client):
    """A body over MAX_CONTENT_LENGTH gets 413 and stores nothing."""
    response = submit_request_form(client, description="x" * (app.config["MAX_CONTENT_LENGTH"] + 10))
    assert response.status_code == 413
    assert count_in(app, Ticket) == 0


# --- probes ------------------------------------------------------------------------

def test_healthz_and_readyz_answer_when_all_is_well(client):
    """/healthz says the process is up; /readyz says the database answers."""
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json()["checks"] == {"database": "ok"}


def test_readyz_fails_when_redis_is_configured_but_away(make_app):
    """With REDIS_URL pointing at nothing, /readyz answers 503 naming Redis."""
    app = make_app(REDIS_URL=CLOSED_PORT_REDIS)
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"] == {"database": "ok", "redis": "fail"}


@pytest.mark.skipif(not REDIS_URL, reason="TEST_REDIS_URL not set")
def test_readyz_checks_redis_when_configured(make_app):
    """With a live Redis, /readyz reports both checks ok."""
    app = make_app(REDIS_URL=REDIS_URL)
    response = app.test_client().get("/readyz")
    assert response.status_code == 200
    assert response.get_json()["checks"] == {"database": "ok", "redis": "ok"}


# --- the database away -----------------------------------------------------------

def _database_away_app(uri, **overrides):
    return create_app({"TESTING": True, "SECRET_KEY": "s", "SQLALCHEMY_DATABASE_URI": uri,
                       "PUBLIC_BASE_URL": "http://localhost", "RATELIMIT_STORAGE_URI": "lazy-memory://",
                       **overrides})


def _assert_friendly_503(response):
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert "Hệ thống đang tạm gián đoạn" in page
    assert "Traceback" not in page and "OperationalError" not in page and "psycopg" not in page


def test_postgresql_away_gives_a_friendly_503():
    """With PostgreSQL unreachable, pages, a signed-in visit and a form post all get the 503 page."""
    app = _database_away_app("postgresql://127.0.0.1:1/nothing")
    client = app.test_client()
    _assert_friendly_503(client.get("/"))
    form_post = _database_away_app("postgresql://127.0.0.1:1/nothing", WTF_CSRF_ENABLED=False)
    _assert_friendly_503(form_post.test_client().post("/", data=RESIDENT))
    with client.session_transaction() as session:
        session["_user_id"] = "1:1:a-session-token"
    _assert_friendly_503(client.get("/track"))
    assert client.get("/readyz").status_code == 503
    assert client.get("/healthz").status_code == 200
    json_response = client.get("/", headers={"Accept": "application/json"})
    assert json_response.status_code == 503 and json_response.get_json()["error"]["status"] == 503
    with app.app_context():
        db.engine.dispose()


def test_sqlite_away_then_back_recovers_without_restart(tmp_path, sqlite_template):
    """A missing database directory gives 503; once the file is back, the same app serves 200."""
    folder = tmp_path / "gone"
    app = _database_away_app(f"sqlite:///{folder / 'volunteer.sqlite'}")
    client = app.test_client()
    _assert_friendly_503(client.get("/"))
    folder.mkdir()
    shutil.copy(sqlite_template, folder / "volunteer.sqlite")
    assert client.get("/").status_code == 200
    assert client.get("/readyz").status_code == 200
    with app.app_context():
        db.engine.dispose()


# --- rate limits -------------------------------------------------------------------

def _track_attempt(client, forwarded_for=None):
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return client.post("/track", data={"reference": "DH-AAAAAA", "phone_last4": "1234"},
                       headers=headers)


def test_forged_forwarded_for_cannot_dodge_the_limit(make_app, fresh_limiter):
    """Behind one proxy hop, only the proxy's entry counts: varying the forged part changes nothing."""
    app = make_app(PROXY_HOPS=1, WTF_CSRF_ENABLED=False, RATELIMIT_TRACKING="3 per minute")
    client = app.test_client()
    statuses = [_track_attempt(client, f"10.9.{i}.1, 198.51.100.7").status_code for i in range(4)]
    assert statuses == [404, 404, 404, 429]
    # Another real client (another proxy entry) has its own allowance.
    assert _track_attempt(client, "10.9.9.9, 198.51.100.8").status_code == 404


def test_without_a_proxy_forwarded_for_is_ignored(make_app, fresh_limiter):
    """Served directly, X-Forwarded-For is not trusted at all: the socket address is the key."""
    app = make_app(PROXY_HOPS=0, WTF_CSRF_ENABLED=False, RATELIMIT_TRACKING="2 per minute")
    client = app.test_client()
    statuses = [_track_attempt(client, f"198.51.100.{i}").status_code for i in range(3)]
    assert statuses == [404, 404, 429]


@pytest.mark.skipif(not REDIS_URL, reason="TEST_REDIS_URL not set")
def test_rate_limits_in_redis_are_shared_between_workers(make_app, fresh_limiter):
    """Two app instances (two workers) on one Redis share one allowance; the keys live in Redis."""
    import redis

    prefix = f"volunteer-test-{uuid.uuid4().hex[:8]}"
    settings = dict(RATELIMIT_STORAGE_URI=REDIS_URL, RATELIMIT_KEY_PREFIX=prefix,
                    WTF_CSRF_ENABLED=False, RATELIMIT_TRACKING="2 per minute")
    # Flask-Limiter keeps the first key prefix it saw in this process: use that one.
    prefix = limiter._key_prefix or prefix
    client = redis.Redis.from_url(REDIS_URL)
    try:
        worker_one = make_app(**settings).test_client()
        assert [_track_attempt(worker_one).status_code for _ in range(2)] == [404, 404]
        worker_two = make_app(**settings).test_client()
        assert _track_attempt(worker_two).status_code == 429
        assert any(b"public.track" in key for key in client.keys(f"*{prefix}*"))
    finally:
        for key in client.scan_iter(f"*{prefix}*"):
            client.delete(key)
        client.close()


def test_redis_away_falls_back_to_memory_limits(make_app, fresh_limiter):
    """With Redis down the app still starts and serves, and the limits hold per process."""
    app = make_app(RATELIMIT_STORAGE_URI=CLOSED_PORT_REDIS, WTF_CSRF_ENABLED=False,
                   RATELIMIT_TRACKING="2 per minute")
    client = app.test_client()
    assert client.get("/").status_code == 200
    statuses = [_track_attempt(client).status_code for _ in range(3)]
    assert statuses == [404, 404, 429]


# --- structured logs ----------------------------------------------------------------

def _request_lines(text: str) -> list[dict]:
    lines = []
    for line in text.splitlines():
        if line.startswith("{"):
            record = json.loads(line)
            if record.get("event") == "request":
                lines.append(record)
    return lines


def test_request_log_is_one_json_line_with_no_personal_data(app, client, caplog, capsys):
    """Submitting a ticket logs JSON lines with id, status and time, and never the name or phone."""
    caplog.set_level("DEBUG")
    response = submit_request_form(client, **RESIDENT)
    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    captured = capsys.readouterr()
    logs = "\n".join([captured.out, captured.err, caplog.text])
    for secret in ("Hoàng Thị Bích Ngọc", "Bích Ngọc", "0987 654 321", "0987654321", "987654321",
                   "+84987654321", "654321", "Hàm Nghi"):
        assert secret not in logs, secret
    lines = _request_lines(captured.out)
    posted = [line for line in lines if line["method"] == "POST" and line["path"] == "/"]
    assert len(posted) == 1
    assert posted[0]["status"] == 302 and posted[0]["duration_ms"] >= 0
    assert datetime.fromisoformat(posted[0]["time"]).tzinfo is not None
    assert posted[0]["user_id"] is None and re.fullmatch(r"[0-9a-f]{32}", posted[0]["request_id"])
    assert page.headers["X-Request-ID"] in {line["request_id"] for line in lines}


def test_request_log_names_the_signed_in_user_by_id_only(app, client, sign_in, capsys):
    """A staff request logs the user's numeric id, not their name or phone; no query string."""
    with app.app_context():
        user = make_user("volunteer", name="Lê Minh Tuấn", phone="+84905111222")
        db.session.commit()
        user_id = user.id
        sign_in(client, user)
    client.get("/track?reference=DH-SECRET&phone=0905111222")
    out = capsys.readouterr().out
    line = _request_lines(out)[-1]
    assert line["user_id"] == user_id and line["path"] == "/track"
    assert "Lê Minh Tuấn" not in out and "0905111222" not in out and "DH-SECRET" not in out


def test_incoming_request_id_is_kept_only_when_well_formed(client, capsys):
    """A proxy's X-Request-ID is echoed back; a hostile one is replaced, never logged."""
    kept = client.get("/healthz", headers={"X-Request-ID": "proxy-abc-12345678"})
    assert kept.headers["X-Request-ID"] == "proxy-abc-12345678"
    hostile = client.get("/healthz", headers={"X-Request-ID": "0987654321 <script>"})
    assert hostile.headers["X-Request-ID"] != "0987654321 <script>"
    assert "<script>" not in capsys.readouterr().out


def test_every_page_works_under_its_content_security_policy(app, sign_in):
    """On every page without URL arguments, for a visitor, a volunteer and a coordinator:
    inline scripts carry the nonce, scripts and styles come from this site, and no inline
    event handler (which the policy would block) is used."""
    with app.app_context():
        users = {"volunteer": make_user("volunteer"), "coordinator": make_user("coordinator", None)}
        db.session.commit()
        users = {role: user.id for role, user in users.items()}
    urls = sorted(rule.rule for rule in app.url_map.iter_rules()
                  if "GET" in rule.methods and not rule.arguments and rule.endpoint != "static")
    checked = 0
    for who in ("anonymous", "volunteer", "coordinator"):
        client = app.test_client()
        if who != "anonymous":
            with app.app_context():
                sign_in(client, db.session.get(User, users[who]))
        for url in urls:
            response = client.get(url)
            if response.mimetype != "text/html" or response.status_code != 200:
                continue
            checked += 1
            page = response.get_data(as_text=True)
            nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
            for tag in re.findall(r"<script\b[^>]*>", page):
                src = re.search(r'\ssrc="([^"]*)"', tag)
                if src:
                    assert src.group(1).startswith("/") and not src.group(1).startswith("//"), (url, tag)
                else:
                    assert f'nonce="{nonce}"' in tag, (who, url, tag)
            for href in re.findall(r'<link[^>]*rel="stylesheet"[^>]*href="([^"]*)"', page):
                assert href.startswith("/") and not href.startswith("//"), (url, href)
            handlers = re.findall(r"<[a-z][^>]*\son[a-z]+\s*=", page, flags=re.IGNORECASE)
            assert not handlers, (who, url, handlers[:3])
    assert checked >= 8


def test_connection_lost_after_the_last_query_still_answers(make_app, backend):
    """PostgreSQL dropping the connection after a page's last query (a restart) does not turn
    the computed page into a 500, and the next request gets a fresh connection."""
    if backend != "postgresql":
        pytest.skip("needs a server that can end a session under the app")
    import psycopg
    from sqlalchemy import text

    from volunteer.backup import libpq_url

    app = make_app()

    @app.route("/_lose_connection")
    def lose_connection():
        pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar()
        with psycopg.connect(libpq_url(app.config["SQLALCHEMY_DATABASE_URI"]), autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        return "computed"

    client = app.test_client()
    response = client.get("/_lose_connection")
    assert response.status_code == 200 and response.get_data(as_text=True) == "computed"
    assert client.get("/readyz").status_code == 200
    assert client.get("/").status_code == 200


def test_a_connection_whose_server_went_away_in_the_pool_is_replaced(make_app, backend):
    """PostgreSQL ending a pooled connection while it waits between requests (a restart,
    an administrator) costs the next request nothing: the pool replaces it at checkout,
    without asking the server anything (no ping per request), and the page answers."""
    if backend != "postgresql":
        pytest.skip("needs a server that can end a session under the app")
    import time

    import psycopg
    from sqlalchemy import text

    from volunteer.backup import libpq_url

    app = make_app()
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is False

    @app.route("/_backend")
    def backend_pid():
        return str(db.session.execute(text("SELECT pg_backend_pid()")).scalar())

    client = app.test_client()
    with app.app_context():
        db.engine.dispose()  # one pooled connection from here on
    first = client.get("/_backend").get_data(as_text=True)
    assert client.get("/_backend").get_data(as_text=True) == first  # reused from the pool
    with psycopg.connect(libpq_url(app.config["SQLALCHEMY_DATABASE_URI"]), autocommit=True) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", (int(first),)).fetchone()[0]
        for _ in range(50):  # until the backend has gone
            if not admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (int(first),)).fetchone():
                break
            time.sleep(0.05)
    response = client.get("/_backend")
    assert response.status_code == 200
    assert response.get_data(as_text=True) != first
    assert client.get("/").status_code == 200


def test_a_pooled_link_whose_server_said_anything_is_replaced():
    """A terminated backend's error and its close can arrive apart: CI once had the
    error read and the close still on its way, and the dead link went to a request (a
    503). Anything at all waiting on an idle pooled connection means its server is
    leaving; nothing waiting, it is kept; a link libpq knows is broken, it is not."""
    import socket

    from psycopg.pq import ConnStatus

    from volunteer.extensions import _postgresql_link_is_up

    class Link:  # psycopg's PGconn, as far as the check may use it
        def __init__(self, end, status=ConnStatus.OK):
            self.socket, self.status = end.fileno(), status

        def consume_input(self):
            """libpq reading an error while idle: the status stays OK until the close."""

    ours, server = socket.socketpair()
    with ours, server:
        assert _postgresql_link_is_up(Link(ours))
        assert not _postgresql_link_is_up(Link(ours, ConnStatus.BAD))
        server.sendall(b"E\x00\x00\x00\x08FATAL")  # the goodbye, the close not yet
        assert not _postgresql_link_is_up(Link(ours))


@pytest.mark.parametrize("bind,allowed", [
    ("127.0.0.1:8000", True), ("[::1]:8000", True), ("localhost:8000", True),
    ("unix:/run/volunteer/gunicorn.sock", True), ("0.0.0.0:8000", False), ("[::]:8000", False),
    ("10.0.0.5:8000", False), ("127.0.0.1:8000,0.0.0.0:8001", False),
])
def test_gunicorn_listens_only_where_the_proxy_is_the_one_hop(monkeypatch, bind, allowed):
    """gunicorn.conf.py refuses a public bind unless explicitly allowed (a private network)."""
    import runpy

    monkeypatch.setenv("GUNICORN_BIND", bind)
    monkeypatch.delenv("GUNICORN_ALLOW_PUBLIC_BIND", raising=False)
    if allowed:
        settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
        assert settings["bind"] == bind.split(",")
        assert settings["workers"] >= 1 and settings["timeout"] == 30
    else:
        with pytest.raises(SystemExit, match="X-Forwarded-For"):
            runpy.run_path(str(ROOT / "gunicorn.conf.py"))
        monkeypatch.setenv("GUNICORN_ALLOW_PUBLIC_BIND", "1")
        assert runpy.run_path(str(ROOT / "gunicorn.conf.py"))["bind"] == bind.split(",")
