"""The smaller holes of the outside probe (issue 10, item 5), each with its test."""
import os
import stat

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select

from volunteer import accounts, api_keys, config, create_app
from volunteer.backup import backup
from volunteer.accounts import AccountError
from volunteer.extensions import db
from volunteer.models import Ticket, User, UserSession

from .factories import hidden_fields, make_user, submit_request_form, valid_request_form

PASSWORD = "mat-khau-an-toan"
FULL_WIDTH = "０９１２ ３４５ ６７８"
MIXED = "09１２345678"
ARABIC_INDIC = "٠٩١٢٣٤٥٦٧٨"


def post_login(client, csrf, login, password=PASSWORD, address="127.0.0.1"):
    return client.post("/login", data={"login": login, "password": password,
                                       "csrf_token": csrf(client, "/login")},
                       environ_base={"REMOTE_ADDR": address})


# --- digits of any width or script are the same digits ---------------------------------

def test_full_width_digits_on_the_form_and_open311_store_the_plain_number(app, client):
    assert submit_request_form(client, phone=FULL_WIDTH).status_code == 302
    with app.app_context():
        _key, plain = api_keys.issue("IOC", consent_attested=True)
        db.session.commit()
    response = client.post("/open311/v2/requests.json", data={
        "api_key": plain, "service_code": "vneid", "lat": "16.81953", "long": "107.10284",
        "first_name": "Lan", "last_name": "Nguyễn", "phone": ARABIC_INDIC, "description": "VNeID"})
    assert response.status_code == 201, response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(Ticket.phone)).all() == ["+84912345678"] * 2


def test_staff_accounts_and_sign_in_treat_other_digits_as_the_same_number(app, client, csrf):
    with app.app_context():
        make_user("volunteer", "19333", phone="+84912345678", password=PASSWORD)
        db.session.commit()
        with pytest.raises(AccountError):
            accounts.create_user(actor_id=None, name="Bản sao", role="coordinator",
                                 password=PASSWORD, phone=MIXED)
    assert post_login(client, csrf, FULL_WIDTH).status_code == 302


# --- no 500 for numbers past what a column or a date can hold ---------------------------

@pytest.mark.parametrize("query", ["start_date=9999-12-31T23:59:59", "end_date=0001-01-01",
                                   "start_date=0001-01-01T00:00:00Z", "end_date=9999-12-31"])
def test_open311_dates_at_the_ends_of_the_calendar_are_a_400(client, query):
    response = client.get("/open311/v2/requests.json?" + query)
    assert response.status_code == 400
    assert response.get_json()[0]["code"] == 400


@pytest.mark.parametrize("method,url", [
    ("get", "/coordinator/tickets/99999999999"), ("get", "/coordinator/tickets/2147483648"),
    ("post", "/coordinator/tickets/99999999999/reassign"),
    ("post", "/coordinator/tickets/99999999999/close"),
    ("post", "/coordinator/people/99999999999/active"),
    ("get", "/campaigns/99999999999"), ("post", "/campaigns/2147483648"),
])
def test_ids_past_32_bits_are_a_404(app, client, sign_in, method, url):
    with app.app_context():
        sign_in(client, make_user("admin", None))
        db.session.commit()
    assert getattr(client, method)(url).status_code == 404
    assert client.get("/coordinator/tickets/2147483647").status_code == 404


# --- flask backup: the password never in pg_dump's arguments ----------------------------

def test_backup_passes_the_postgresql_password_in_the_environment(tmp_path, monkeypatch):
    """Anyone on the machine reads argv (ps); the password goes in PGPASSWORD instead."""
    import subprocess

    from volunteer import backup

    fake = tmp_path / "pg_dump"
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(0o700)
    monkeypatch.setenv("PATH", str(tmp_path))
    seen = {}

    def run(command, **kwargs):
        seen.update(command=command, env=kwargs.get("env") or {})
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(backup.subprocess, "run", run)
    backup.backup("postgresql+psycopg://volunteer:s3cret-pw@db.internal/volunteer", tmp_path / "x.backup")
    assert not any("s3cret-pw" in part for part in seen["command"])
    assert "--dbname=postgresql://volunteer@db.internal/volunteer" in seen["command"]
    assert seen["env"]["PGPASSWORD"] == "s3cret-pw"


# --- the development server's log ----------------------------------------------------

def test_development_log_drops_query_strings(app, live_server, caplog, monkeypatch):
    """`flask run` logs werkzeug's request line: the path stays, the query string goes."""
    import logging
    from urllib.request import urlopen

    # Alembic's fileConfig (the test database's migration) disabled existing loggers.
    monkeypatch.setattr(logging.getLogger("werkzeug"), "disabled", False)
    caplog.set_level("INFO", logger="werkzeug")
    with urlopen(live_server.url + "/track?reference=DH-SECRET&api_key=plain-key-123") as response:
        assert response.status == 200
    lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert any("GET /track HTTP/1.1" in line for line in lines), lines
    assert not any("DH-SECRET" in line or "plain-key-123" in line for line in lines)


# --- the database file and the instance folder are the owner's alone -------------------

def test_embedded_database_and_instance_folder_are_private_from_the_start(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    previous = os.umask(0o022)  # the usual umask: new files 0644, folders 0755
    try:
        instance = tmp_path / "instance"
        settings = config.from_environment(str(instance))
        app = create_app({"SQLALCHEMY_DATABASE_URI": settings["SQLALCHEMY_DATABASE_URI"],
                          "SECRET_KEY": settings["SECRET_KEY"], "RATELIMIT_STORAGE_URI": "lazy-memory://"})
        with app.app_context():
            upgrade()
            db.session.execute(select(User.id)).all()
            db.engine.dispose()
        backup_file = tmp_path / "copy.sqlite"
        backup(settings["SQLALCHEMY_DATABASE_URI"], backup_file)
    finally:
        os.umask(previous)
    mode = lambda path: stat.S_IMODE(path.stat().st_mode)  # noqa: E731
    assert mode(instance) == 0o700
    assert mode(instance / "secret_key") == 0o600
    assert mode(instance / "volunteer.sqlite") == 0o600
    assert mode(backup_file) == 0o600
    for extra in instance.glob("volunteer.sqlite-*"):
        assert mode(extra) == 0o600, extra


# --- pages with personal data are never stored in a cache ------------------------------

def test_pages_with_personal_data_send_no_store(app, client, sign_in):
    response = submit_request_form(client)
    submitted = client.get(response.headers["Location"])
    reference = response.headers["Location"].rsplit("/", 1)[1]
    for page in (response, submitted, client.get(f"/track/{reference}"),
                 client.get(f"/track/{reference}/cancel")):
        assert page.headers["Cache-Control"] == "no-store", page.request.path
    assert "no-store" not in client.get("/").headers.get("Cache-Control", "")
    urls = {"volunteer": ["/volunteer/queue", "/account/password", "/logout"],
            "coordinator": ["/coordinator/", "/coordinator/triage", "/coordinator/people"]}
    for role, team_ward in (("volunteer", "19333"), ("coordinator", None)):
        staff = app.test_client()
        with app.app_context():
            sign_in(staff, make_user(role, team_ward))
            db.session.commit()
        for url in urls[role]:
            page = staff.get(url)
            assert page.status_code == 200, url
            assert page.headers["Cache-Control"] == "no-store", url


# --- only an admin manages admins ---------------------------------------------------------

def _people_form(client, csrf, **fields):
    data = {"name": "Quản Trị Mới", "phone": "0912999888", "email": "", "role": "admin",
            "team": "0", "password": PASSWORD, "csrf_token": csrf(client, "/coordinator/people")}
    return client.post("/coordinator/people", data={**data, **fields})


def test_a_coordinator_can_neither_add_nor_deactivate_an_admin(app, client, sign_in, csrf):
    with app.app_context():
        admin = make_user("admin", None)
        sign_in(client, make_user("coordinator", None))
        db.session.commit()
        admin_id = admin.id
    page = client.get("/coordinator/people").get_data(as_text=True)
    assert 'value="admin"' not in page
    assert _people_form(client, csrf).status_code == 400
    response = client.post(f"/coordinator/people/{admin_id}/active",
                           data={"active": "0", "csrf_token": csrf(client, "/coordinator/people")})
    assert response.status_code == 403
    with app.app_context():
        assert db.session.get(User, admin_id).active
        assert db.session.scalar(select(User).where(User.phone == "+84912999888")) is None
        with pytest.raises(AccountError):
            accounts.create_user(actor_id=db.session.scalar(select(User.id).where(User.role == "coordinator")),
                                 name="X", role="admin", password=PASSWORD, phone="0912999777")


def test_an_admin_adds_and_deactivates_admins(app, client, sign_in, csrf):
    with app.app_context():
        other = make_user("admin", None)
        sign_in(client, make_user("admin", None))
        db.session.commit()
        other_id = other.id
    assert _people_form(client, csrf).status_code == 302
    response = client.post(f"/coordinator/people/{other_id}/active",
                           data={"active": "0", "csrf_token": csrf(client, "/coordinator/people")})
    assert response.status_code == 302
    with app.app_context():
        assert not db.session.get(User, other_id).active
        assert db.session.scalar(select(User.role).where(User.phone == "+84912999888")) == "admin"


# --- Open311: wrong keys are limited per client address ----------------------------------

def test_open311_posts_with_a_wrong_key_are_limited_per_address(make_app):
    app = make_app(OPEN311_BAD_KEY_LIMIT="3 per minute")
    with app.app_context():
        _key, plain = api_keys.issue("IOC", consent_attested=True)
        db.session.commit()
    client = app.test_client()

    def post(key, address):
        return client.post("/open311/v2/requests.json", data={"api_key": key, "service_code": "vneid"},
                           environ_base={"REMOTE_ADDR": address})

    statuses = [post(f"guess-{n}", "203.0.113.5").status_code for n in range(4)]
    assert statuses == [403, 403, 403, 429]
    assert post(plain + "x", "203.0.113.5").status_code == 429
    assert post("guess-9", "203.0.113.6").status_code == 403  # another address: its own count


# --- sign-in: a stranger cannot lock the owner out ---------------------------------------

@pytest.fixture
def owner(app):
    with app.app_context():
        user = make_user("volunteer", "19333", phone="+84912000111", password=PASSWORD)
        db.session.commit()
        return user.id


def test_a_strangers_wrong_passwords_do_not_lock_the_owner_out(app, csrf, owner):
    stranger = app.test_client()
    statuses = [post_login(stranger, csrf, "0912000111", "wrong", "203.0.113.7").status_code
                for _ in range(6)]
    assert statuses == [400] * 5 + [429]  # that account from that address: stopped
    assert post_login(stranger, csrf, "0912000222", "wrong", "203.0.113.7").status_code == 400
    assert post_login(app.test_client(), csrf, "0912 000 111", PASSWORD, "198.51.100.20").status_code == 302


def test_many_addresses_against_one_account_meet_a_short_growing_wait(app, csrf, owner, monkeypatch):
    from volunteer import backoff

    clock = [2_000_000.0]
    monkeypatch.setattr(backoff, "now", lambda: clock[0])
    client = app.test_client()
    for n in range(20):
        assert post_login(client, csrf, "0912000111", "wrong", f"203.0.113.{n}").status_code == 400
    refused = post_login(client, csrf, "0912000111", PASSWORD, "198.51.100.20")
    assert refused.status_code == 429
    assert "Vui lòng thử lại sau khoảng 1 phút." in refused.get_data(as_text=True)
    clock[0] += 31
    assert post_login(client, csrf, "0912000111", PASSWORD, "198.51.100.20").status_code == 302


def test_wrong_current_passwords_on_the_password_page_are_limited(app, client, csrf, sign_in, owner):
    with app.app_context():
        sign_in(client, db.session.get(User, owner))

    def change(current, new="mat-khau-moi-123", confirm="mat-khau-moi-123"):
        return client.post("/account/password", data={
            "current": current, "new": new, "confirm": confirm,
            "csrf_token": csrf(client, "/account/password")})

    for _ in range(3):  # a mistyped new password is not a guess
        assert change(PASSWORD, "mat-khau-moi-123", "khac-han-123").status_code == 400
    assert [change(f"guess-{n}").status_code for n in range(6)] == [400] * 5 + [429]
    with app.app_context():
        assert db.session.get(User, owner).check_password(PASSWORD)


# --- signing out ends exactly that session, on the server ---------------------------------

def _copy_cookies(app, source, names):
    copy = app.test_client()
    for name in names:
        cookie = source.get_cookie(name)
        assert cookie is not None, name
        copy.set_cookie(name, cookie.value)
    return copy


def test_sign_out_ends_that_session_and_its_copies_only(app, csrf, owner):
    phone, laptop = app.test_client(), app.test_client()
    for device in (phone, laptop):
        response = device.post("/login", data={"login": "0912000111", "password": PASSWORD, "remember": "y",
                                               "csrf_token": csrf(device, "/login")})
        assert response.status_code == 302
    copied = _copy_cookies(app, phone, ["session"])
    remembered = _copy_cookies(app, phone, ["remember_token"])
    assert copied.get("/volunteer/queue").status_code == 200
    assert phone.post("/logout", data={"csrf_token": csrf(phone, "/logout")}).status_code == 302
    assert copied.get("/volunteer/queue").status_code == 302
    assert remembered.get("/volunteer/queue").status_code == 302
    assert phone.get("/volunteer/queue").status_code == 302
    assert laptop.get("/volunteer/queue").status_code == 200
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(UserSession)) == 1


# --- absolute links from the configured address; other hosts refused -------------------

def test_a_server_database_without_public_base_url_refuses_to_start(monkeypatch, tmp_path):
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    with pytest.raises(config.ConfigurationError, match="PUBLIC_BASE_URL must be set"):
        config.from_environment(str(tmp_path), given={
            "SQLALCHEMY_DATABASE_URI": "postgresql://127.0.0.1/db", "SECRET_KEY": "k"})
    with pytest.raises(config.ConfigurationError, match="scheme and host"):
        config.from_environment(str(tmp_path), given={
            "SQLALCHEMY_DATABASE_URI": "postgresql://127.0.0.1/db", "SECRET_KEY": "k",
            "PUBLIC_BASE_URL": "hotro.example.vn/path"})


def test_links_come_from_the_public_address_and_other_hosts_are_refused(make_app, backend, tmp_path):
    settings = config.from_environment(str(tmp_path), given={
        "SQLALCHEMY_DATABASE_URI": "postgresql://127.0.0.1/db", "SECRET_KEY": "k",
        "PUBLIC_BASE_URL": "https://hotro.example.vn/"})
    assert settings["TRUSTED_HOSTS"] == ["hotro.example.vn"]
    app = make_app(PUBLIC_BASE_URL=settings["PUBLIC_BASE_URL"], TRUSTED_HOSTS=settings["TRUSTED_HOSTS"])
    client = app.test_client()
    site = "http://hotro.example.vn"  # behind the proxy; the links still say https
    assert client.get("/", base_url="http://evil.example").status_code == 400
    assert client.get("/open311/v2/discovery.json", base_url="http://evil.example").status_code == 400
    poster = client.get("/poster/19333:2008", base_url=site).get_data(as_text=True)
    assert "https://hotro.example.vn/?ward=19333" in poster and "evil" not in poster
    discovery = client.get("/open311/v2/discovery.json", base_url=site).get_json()
    assert discovery["endpoints"][0]["url"] == "https://hotro.example.vn/open311/v2"
    token = hidden_fields(client.get("/", base_url=site).get_data(as_text=True))
    response = client.post("/", base_url=site, data={**token, **valid_request_form()})
    submitted = client.get(response.headers["Location"], base_url=site).get_data(as_text=True)
    assert "https://hotro.example.vn/track/DH-" in submitted


def test_the_embedded_default_trusts_this_machine_only(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    assert config.from_environment(str(tmp_path))["TRUSTED_HOSTS"] == ["localhost", "127.0.0.1"]
