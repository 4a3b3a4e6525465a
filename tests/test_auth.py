"""Signing in and out, passwords, rate limits and ?next=."""
import pytest

from tests.factories import make_user
from volunteer.extensions import db
from volunteer.models import User

PASSWORD = "mat-khau-an-toan"
GENERIC_FAILURE = "Số điện thoại/e-mail hoặc mật khẩu không đúng."


@pytest.fixture
def volunteer(app):
    with app.app_context():
        user = make_user("volunteer", "19333", phone="+84912000111", password=PASSWORD)
        user.email = "lan@example.org"
        db.session.commit()
        return user.id


def post_login(client, csrf, login, password=PASSWORD, next_page=None, **extra):
    url = "/login" + (f"?next={next_page}" if next_page else "")
    data = {"login": login, "password": password, "csrf_token": csrf(client, "/login"), **extra}
    return client.post(url, data=data)


@pytest.mark.parametrize("login", ["0912 000 111", "+84912000111", "84912000111", "0912.000.111",
                                   "LAN@example.org"])
def test_sign_in_by_phone_in_any_form_or_email(client, csrf, volunteer, login):
    """A volunteer signs in with their phone written any usual way, or their e-mail."""
    response = post_login(client, csrf, login)
    assert response.status_code == 302
    assert response.headers["Location"] == "/volunteer/queue"
    assert client.get("/volunteer/queue").status_code == 200


@pytest.mark.parametrize("login,password", [
    ("0912000111", "wrong-password"),      # right account, wrong password
    ("0987654321", PASSWORD),              # no such account
    ("nobody@example.org", PASSWORD),      # no such e-mail
    ("<script>alert(1)</script>", "x"),    # not a login at all
    ("' OR 1=1 --", "' OR 1=1 --"),        # SQL in both fields
])
def test_failed_sign_in_never_says_whether_the_account_exists(client, csrf, volunteer, login, password):
    """Every failure answers the same status and the same words, and signs no one in."""
    response = post_login(client, csrf, login, password)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert GENERIC_FAILURE in page
    assert "<script>alert(1)</script>" not in page
    assert client.get("/volunteer/queue").status_code == 302


def test_deactivated_account_cannot_sign_in_and_loses_its_session(app, client, csrf, volunteer):
    """A deactivated volunteer gets the same generic failure, and an open session ends."""
    assert post_login(client, csrf, "0912000111").status_code == 302
    with app.app_context():
        db.session.get(User, volunteer).active = False
        db.session.commit()
    assert client.get("/volunteer/queue").status_code == 302
    response = post_login(client, csrf, "0912000111")
    assert response.status_code == 400
    assert GENERIC_FAILURE in response.get_data(as_text=True)


def test_empty_and_oversized_fields_get_clear_messages(client, csrf, volunteer):
    """Empty fields and a 10 kB login are refused with messages in Vietnamese."""
    response = post_login(client, csrf, "", "")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Vui lòng nhập số điện thoại hoặc e-mail." in page
    assert "Vui lòng nhập mật khẩu." in page
    response = post_login(client, csrf, "9" * 10000)
    assert response.status_code == 400
    assert "Số điện thoại hoặc e-mail không hợp lệ." in response.get_data(as_text=True)


def test_remember_me_sets_a_lasting_cookie_only_when_asked(client, csrf, volunteer):
    """Ticking "remember me" sets the remember cookie; not ticking it does not."""
    post_login(client, csrf, "0912000111")
    assert client.get_cookie("remember_token") is None
    client.post("/logout", data={"csrf_token": csrf(client, "/logout")})
    post_login(client, csrf, "0912000111", remember="y")
    assert client.get_cookie("remember_token") is not None


def test_sign_out_is_a_post_behind_a_confirmation(client, csrf, volunteer):
    """GET /logout only asks; the POST with a token signs out."""
    post_login(client, csrf, "0912000111")
    page = client.get("/logout")
    assert page.status_code == 200
    assert client.get("/volunteer/queue").status_code == 200
    response = client.post("/logout", data={"csrf_token": csrf(client, "/logout")})
    assert response.status_code == 302
    assert client.get("/volunteer/queue").status_code == 302


@pytest.mark.parametrize("target,expected", [
    ("/volunteer/mine", "/volunteer/mine"),
    ("/volunteer/queue?status=open", "/volunteer/queue?status=open"),
    ("https://evil.example/", "/volunteer/queue"),
    ("//evil.example/", "/volunteer/queue"),
    ("/\\evil.example/", "/volunteer/queue"),
    ("javascript:alert(1)", "/volunteer/queue"),
    ("volunteer/mine", "/volunteer/queue"),
])
def test_next_only_follows_paths_on_this_site(client, csrf, volunteer, target, expected):
    """?next= is followed only when it is a path here; anything else goes home."""
    from urllib.parse import quote

    response = post_login(client, csrf, "0912000111", next_page=quote(target, safe=""))
    assert response.status_code == 302
    assert response.headers["Location"] == expected


def test_password_change_ends_other_sessions(app, client, csrf, volunteer):
    """Changing one's password keeps this session and signs out every other one."""
    other = app.test_client()
    post_login(other, csrf, "0912000111")
    post_login(client, csrf, "0912000111")
    response = client.post("/account/password", data={
        "current": PASSWORD, "new": "mat-khau-moi-2025", "confirm": "mat-khau-moi-2025",
        "csrf_token": csrf(client, "/account/password"),
    })
    assert response.status_code == 302
    assert client.get("/volunteer/queue").status_code == 200
    assert other.get("/volunteer/queue").status_code == 302
    client.post("/logout", data={"csrf_token": csrf(client, "/logout")})
    assert post_login(client, csrf, "0912000111").status_code == 400
    assert post_login(client, csrf, "0912000111", "mat-khau-moi-2025").status_code == 302


@pytest.mark.parametrize("current,new,confirm,message", [
    ("sai-mat-khau", "mat-khau-moi-2025", "mat-khau-moi-2025", "Mật khẩu hiện tại không đúng."),
    (PASSWORD, "ngan", "ngan", "Mật khẩu cần ít nhất 8 ký tự."),
    (PASSWORD, "mat-khau-moi-2025", "khac-han-2025", "Hai mật khẩu mới không khớp nhau."),
    (PASSWORD, "x" * 200, "x" * 200, "Mật khẩu tối đa 128 ký tự."),
])
def test_bad_password_change_is_refused_and_changes_nothing(app, client, csrf, volunteer,
                                                            current, new, confirm, message):
    """A wrong current password, a short, long or mismatched new one: a message, no change."""
    post_login(client, csrf, "0912000111")
    with app.app_context():
        before = db.session.get(User, volunteer).password_hash
    response = client.post("/account/password", data={
        "current": current, "new": new, "confirm": confirm,
        "csrf_token": csrf(client, "/account/password"),
    })
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, volunteer).password_hash == before


def test_sign_in_is_rate_limited_per_address(make_app, csrf):
    """After the allowed failures from one address the next attempt gets 429, even for
    different accounts."""
    app = make_app(RATELIMIT_LOGIN="3 per minute", RATELIMIT_LOGIN_ACCOUNT_ADDRESS="100 per minute")
    client = app.test_client()
    for number in range(3):
        assert post_login(client, csrf, f"091200{number:04d}", "wrong").status_code == 400
    response = post_login(client, csrf, "0912009999", "wrong")
    assert response.status_code == 429
    assert "quá nhiều lần" in response.get_data(as_text=True)


def test_sign_in_is_rate_limited_per_account(make_app, csrf):
    """Failures against one account from many addresses are limited on the account, and
    the limit looks the same whether or not the account exists."""
    app = make_app(RATELIMIT_LOGIN="100 per minute", LOGIN_ACCOUNT_BACKOFF=(2, 60, 60))
    client = app.test_client()
    for login in ("0912000111", "0912 000 111"):
        response = client.post("/login", data={"login": login, "password": "wrong",
                                               "csrf_token": csrf(client, "/login")},
                               environ_base={"REMOTE_ADDR": f"10.0.0.{len(login)}"})
        assert response.status_code == 400
    response = client.post("/login", data={"login": "+84912000111", "password": "wrong",
                                           "csrf_token": csrf(client, "/login")},
                           environ_base={"REMOTE_ADDR": "10.0.0.99"})
    assert response.status_code == 429
    # Another account is not affected.
    response = client.post("/login", data={"login": "0912000222", "password": "wrong",
                                           "csrf_token": csrf(client, "/login")},
                           environ_base={"REMOTE_ADDR": "10.0.0.99"})
    assert response.status_code == 400


def test_successful_sign_ins_do_not_use_up_the_limit(make_app, csrf):
    """Only failures count: a volunteer signing in again and again is never locked out."""
    app = make_app(RATELIMIT_LOGIN="2 per minute", RATELIMIT_LOGIN_ACCOUNT_ADDRESS="2 per minute",
                   LOGIN_ACCOUNT_BACKOFF=(2, 60, 60))
    with app.app_context():
        make_user("volunteer", "19333", phone="+84912000333", password=PASSWORD)
        db.session.commit()
    client = app.test_client()
    for _ in range(4):
        assert post_login(client, csrf, "0912000333").status_code == 302
        client.post("/logout", data={"csrf_token": csrf(client, "/logout")})


def test_sign_in_without_a_csrf_token_is_refused(client, volunteer):
    """The sign-in form, like every POST, needs its CSRF token."""
    response = client.post("/login", data={"login": "0912000111", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/volunteer/queue").status_code == 302
