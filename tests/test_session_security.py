"""Sessions under attack: open redirects through ?next=, missing, foreign and expired
CSRF tokens, cookies (session and remember-me) from before a password change or a
deactivation."""
import time
from urllib.parse import quote, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from volunteer.extensions import db
from volunteer.models import Ticket, User

from .factories import make_user, valid_request_form
from .queries import count_in

PASSWORD = "mat-khau-an-toan-2026"
PHONE = "+84912000222"
HOSTILE_NEXT = [
    "https://evil.example/", "//evil.example/", "/\\evil.example/", "\\\\evil.example",
    "/\t/evil.example", "/%09/evil.example", "http:evil.example", "https:/evil.example",
    "javascript:alert(1)", " //evil.example", "\x00//evil.example", "/\r\nLocation: http://evil",
    "//%65vil.example", "///evil.example", "data:text/html,<script>alert(1)</script>",
]
HYPOTHESIS = settings(max_examples=50, deadline=None,
                      suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture
def volunteer(app):
    with app.app_context():
        user = make_user("volunteer", "19333", phone=PHONE, password=PASSWORD)
        db.session.commit()
        return user.id


def sign_in_with_form(client, csrf, remember=False, next_page=None):
    data = {"login": PHONE, "password": PASSWORD, "csrf_token": csrf(client, "/login")}
    if remember:
        data["remember"] = "y"
    url = "/login" + (f"?next={quote(next_page, safe='')}" if next_page is not None else "")
    return client.post(url, data=data)


def stays_here(location: str) -> bool:
    """A redirect target a browser resolves to this site."""
    parts = urlsplit(location)
    return (parts.netloc in ("", "localhost") and parts.scheme in ("", "http")
            and not location.startswith(("//", "/\\")) and "\\" not in location
            and not any(ord(ch) < 32 for ch in location))


# --- open redirects -------------------------------------------------------------------

@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_login_next_never_leaves_the_site(client, csrf, volunteer, target):
    """After signing in, a hostile ?next= sends the volunteer home, never elsewhere."""
    response = sign_in_with_form(client, csrf, next_page=target)
    if "\x00" in target:
        assert response.status_code == 400  # refused outright (see security.refuse_nul_bytes)
        return
    assert response.status_code == 302
    assert stays_here(response.headers["Location"]), response.headers["Location"]


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_language_switch_next_never_leaves_the_site(client, target):
    """The language switch's ?next= is followed only to a path on this site."""
    response = client.get(f"/lang/en?next={quote(target, safe='')}")
    if "\x00" in target:
        assert response.status_code == 400  # refused outright (see security.refuse_nul_bytes)
        return
    assert response.status_code == 302
    assert stays_here(response.headers["Location"]), response.headers["Location"]


def test_any_next_text_stays_on_the_site(client):
    """Property: whatever text ?next= holds, the redirect stays here (or the request is refused)."""

    @HYPOTHESIS
    @given(target=st.one_of(st.text(max_size=60), st.sampled_from(HOSTILE_NEXT).map(lambda t: t * 2)))
    def check(target):
        response = client.get(f"/lang/vi?next={quote(target, safe='')}")
        # Refused outright only for a NUL (see security.refuse_nul_bytes).
        assert response.status_code == (400 if "\x00" in target else 302), repr(target)
        if response.status_code == 302:
            assert stays_here(response.headers["Location"]), response.headers["Location"]

    check()


# --- CSRF -------------------------------------------------------------------------------

RESIDENT = valid_request_form()


def test_public_form_without_a_csrf_token_stores_nothing(app, client):
    """A cross-site post of the public form (no token) is refused with a message and stores nothing."""
    client.get("/")
    response = client.post("/", data=RESIDENT)
    assert response.status_code == 400
    assert "tải lại trang" in response.get_data(as_text=True)
    assert count_in(app, Ticket) == 0


def test_csrf_token_of_another_session_is_refused(app, client, csrf):
    """A token lifted from someone else's session does not work in this one."""
    attacker = app.test_client()
    foreign = csrf(attacker, "/")
    client.get("/")
    response = client.post("/", data={**RESIDENT, "csrf_token": foreign})
    assert response.status_code == 400 and count_in(app, Ticket) == 0


def test_expired_csrf_token_is_refused(app, client, csrf, monkeypatch):
    """A form left open longer than WTF_CSRF_TIME_LIMIT is refused with the reload message."""
    real = time.time
    with monkeypatch.context() as patch:
        patch.setattr(time, "time", lambda: real() - app.config["WTF_CSRF_TIME_LIMIT"] - 60)
        stale = csrf(client, "/")
    response = client.post("/", data={**RESIDENT, "csrf_token": stale})
    assert response.status_code == 400
    assert "tải lại trang" in response.get_data(as_text=True)
    assert count_in(app, Ticket) == 0
    fresh = csrf(client, "/")
    assert client.post("/", data={**RESIDENT, "csrf_token": fresh}).status_code == 302


def test_staff_action_without_csrf_token_changes_nothing(app, client, csrf, volunteer):
    """A signed-in volunteer lured into a cross-site claim post: refused, the ticket unchanged."""
    from .factories import make_ticket

    with app.app_context():
        reference = make_ticket("19333").reference
        db.session.commit()
    assert sign_in_with_form(client, csrf).status_code == 302
    response = client.post(f"/volunteer/tickets/{reference}/claim", data={})
    assert response.status_code == 400
    with app.app_context():
        ticket = db.session.query(Ticket).filter_by(reference=reference).one()
        assert ticket.status == "new" and ticket.assignee_id is None


# --- cookies from before a password change or a deactivation ----------------------------

def _remember_only(app, client):
    """A browser that kept only the remember-me cookie (the session cookie expired)."""
    token = client.get_cookie("remember_token")
    assert token is not None
    fresh = app.test_client()
    fresh.set_cookie("remember_token", token.value)
    return fresh


def _change_password_elsewhere(app, user_id):
    with app.app_context():
        user = db.session.get(User, user_id)
        user.set_password("mot-mat-khau-moi-2026")
        db.session.commit()


def test_remember_me_cookie_works_until_the_password_changes(app, client, csrf, volunteer):
    """The remember-me cookie signs the volunteer back in, until the password changes."""
    assert sign_in_with_form(client, csrf, remember=True).status_code == 302
    assert _remember_only(app, client).get("/volunteer/queue").status_code == 200
    _change_password_elsewhere(app, volunteer)
    assert client.get("/volunteer/queue").status_code == 302
    assert _remember_only(app, client).get("/volunteer/queue").status_code == 302


def test_deactivated_users_session_and_remember_cookie_are_refused(app, client, csrf, volunteer):
    """Deactivating an account ends its session and its remember-me cookie at the next request."""
    assert sign_in_with_form(client, csrf, remember=True).status_code == 302
    assert client.get("/volunteer/queue").status_code == 200
    with app.app_context():
        db.session.get(User, volunteer).active = False
        db.session.commit()
    assert client.get("/volunteer/queue").status_code == 302
    assert _remember_only(app, client).get("/volunteer/queue").status_code == 302
    assert sign_in_with_form(app.test_client(), csrf).status_code == 400


def test_forged_session_user_id_is_refused(app, client, volunteer):
    """A session claiming a user without the right version (or a junk id) is anonymous."""
    for forged in (f"{volunteer}:999", f"{volunteer}", "x:1", f"{volunteer}:1:extra", ""):
        with client.session_transaction() as session:
            session["_user_id"] = forged
        assert client.get("/volunteer/queue").status_code == 302, forged
