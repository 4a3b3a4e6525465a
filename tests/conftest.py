"""Fixtures. Every test that takes `app` runs on a SQLite file and, when
TEST_DATABASE_URL is set, again on PostgreSQL. Each run creates its own PostgreSQL
database and drops it at the end, so concurrent runs never see each other's rows."""
from __future__ import annotations

import os
from pathlib import Path
import re
import shutil
import tempfile
import uuid

import pytest
from flask import has_app_context
from sqlalchemy import text
from sqlalchemy.engine import make_url

from volunteer import create_app
from volunteer.config import normalize_database_url
from volunteer.extensions import db
from volunteer.models import User
from volunteer.user_sessions import open_session

# The web push key pair is made on first use; tests make theirs here, not in instance/.
VAPID_KEY_FILE = os.path.join(tempfile.mkdtemp(prefix="volunteer-test-vapid-"), "vapid_private.pem")
# Messages of channels a test leaves unconfigured are written here, not in instance/.
NOTIFY_LOCAL_DIR = tempfile.mkdtemp(prefix="volunteer-test-outbox-")

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


def _config(database_uri: str) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_uri,
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_SECURE": False,
        "RATELIMIT_STORAGE_URI": "lazy-memory://",
        # Required with PostgreSQL; the test client's Host is localhost, the live
        # server's 127.0.0.1 (tests/test_holes.py checks the hosts as configured).
        "PUBLIC_BASE_URL": "http://localhost",
        "TRUSTED_HOSTS": ["localhost", "127.0.0.1"],
        "VAPID_KEY_FILE": VAPID_KEY_FILE,
        "NOTIFY_LOCAL_DIR": NOTIFY_LOCAL_DIR,
    }


def _migrate_and_seed(uri: str) -> None:
    from flask_migrate import upgrade

    from volunteer import geo
    from volunteer.seeding import seed_city

    app = create_app(_config(uri))
    with app.app_context():
        upgrade()
        seed_city(geo.load_city(app.config["CITY_FILE"]))
        db.session.commit()
        db.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sqlite-template")
    path = folder / "template.sqlite"
    _migrate_and_seed(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgresql_url():
    """A database of this run's own, migrated and seeded once; dropped at the end."""
    import psycopg

    admin_url = make_url(normalize_database_url(os.environ["TEST_DATABASE_URL"]))
    name = f"volunteer_test_{uuid.uuid4().hex[:12]}"
    dsn = admin_url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    _migrate_and_seed(url)
    yield url
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _reset_postgresql(app) -> None:
    """Empty every table and seed again: cheaper than a new database per test."""
    from volunteer import geo
    from volunteer.seeding import seed_city

    tables = ", ".join(
        f'"{t.name}"' for t in db.metadata.sorted_tables
    )
    with app.app_context():
        db.session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        seed_city(geo.load_city(app.config["CITY_FILE"]))
        db.session.commit()


@pytest.fixture(params=BACKENDS)
def backend(request):
    return request.param


@pytest.fixture
def database_uri(backend, request, tmp_path):
    if backend == "sqlite":
        path = tmp_path / "volunteer.sqlite"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    return request.getfixturevalue("postgresql_url")


@pytest.fixture
def make_app(database_uri):
    """Build an app on this test's database, with extra config."""
    made = []

    def make(**overrides):
        config = _config(database_uri)
        config.update(overrides)
        app = create_app(config)
        made.append(app)
        return app

    yield make
    for app in made:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app, backend):
    """The app on a fresh, seeded database. No context is pushed: requests get their
    own, and a test reads the database inside `with app.app_context():` (or `ctx`)."""
    app = make_app()
    if backend == "postgresql":
        _reset_postgresql(app)
    return app


@pytest.fixture
def ctx(app):
    """An app context for domain tests that call modules directly."""
    with app.app_context():
        yield app
        db.session.rollback()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


@pytest.fixture
def csrf():
    """Fetch a page and return its CSRF token: csrf(client, "/")."""

    def fetch(client, url="/"):
        response = client.get(url)
        return csrf_from(response.get_data(as_text=True))

    return fetch


@pytest.fixture
def sign_in():
    """Put a user's session on a test client without the sign-in form: sign_in(client, user).

    Tests of the sign-in form itself post to /login instead."""

    def put(client, user):
        def open_for(user_id):
            # The server-side session row, committed with whatever the test has pending.
            row = db.session.get(User, user_id)
            open_session(row)
            db.session.commit()
            return row.get_id()

        if has_app_context():
            session_id = open_for(user.id)
        else:
            with client.application.app_context():
                session_id = open_for(user.id)
        with client.session_transaction() as session:
            session["_user_id"] = session_id
            session["_fresh"] = True
        return client

    return put


class LiveServer:
    def __init__(self, app):
        import threading

        from werkzeug.serving import make_server

        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.thread.join(timeout=5)


@pytest.fixture
def live_server(app):
    """The app served on a loopback port for the browser."""
    server = LiveServer(app)
    yield server
    server.stop()


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium through playwright; never a browser download."""
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (make test installs it as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def artifacts_dir():
    from pathlib import Path

    path = Path(__file__).parent / "artifacts"
    path.mkdir(exist_ok=True)
    return path


AXE = Path(__file__).resolve().parent.parent / "volunteer" / "static" / "vendor" / "axe-core" / "axe.min.js"
AXE_VIOLATIONS = """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
  .map(v => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(", ")}`)"""


@pytest.fixture(scope="session")
def axe():
    """A check that axe-core, from the local npm copy, finds no violation on the page as shown."""
    if not AXE.exists():
        pytest.fail("axe-core is not installed locally: run `make assets`")
    source = AXE.read_text(encoding="utf-8")

    def check(page):
        # Evaluated through the DevTools protocol, which the pages' nonce-only CSP does not
        # govern: an injected <script> would be refused, and no page links to axe.
        if not page.evaluate("typeof window.axe === 'object'"):
            page.evaluate(source)
        violations = page.evaluate(AXE_VIOLATIONS)
        assert violations == [], f"{page.url}: {violations}"

    return check
