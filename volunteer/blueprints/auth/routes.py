"""Sign in, sign out, change one's password."""
import hashlib

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user

from ... import accounts, user_sessions
from ...backoff import Backoff, minutes
from ...navigation import safe_next
from ...extensions import db, limiter
from ...vocabulary import COORDINATOR_ROLES, FIELD_ROLES
from .. import carry_out
from . import bp
from .forms import LoginForm, LogoutForm, PasswordForm


def _address_limit() -> str:
    return current_app.config.get("RATELIMIT_LOGIN", "10 per minute;60 per hour")


def _account_address_limit() -> str:
    return current_app.config.get("RATELIMIT_LOGIN_ACCOUNT_ADDRESS", "5 per minute;20 per hour")


def _typed_account() -> str:
    # Keyed on what was typed, normalized, whether or not such an account exists (the
    # limit itself must not reveal that), and hashed: no phone or e-mail in Redis keys.
    typed = accounts.login_key(request.form.get("login")) or "?"
    return hashlib.sha256(typed.encode()).hexdigest()[:32]


def _account_address_key() -> str:
    return f"login-account-address:{_typed_account()}:{get_remote_address()}"


def _account_guesses() -> Backoff:
    """Failures against one account from every address together: a higher ceiling and
    a short wait, so that guessing from many addresses stays slow while a stranger's
    five wrong passwords no longer lock the owner out (that is the per-address limit's
    job, and it only ever stops the stranger's address)."""
    free, first_wait, longest_wait = current_app.config.get("LOGIN_ACCOUNT_BACKOFF", (20, 30, 300))
    return Backoff("login", free=free, first_wait=first_wait, longest_wait=longest_wait)


def _failed(response) -> bool:
    """Only failed attempts count: a volunteer who signs in often is not locked out."""
    return response.status_code != 302


def _wrong_current_password(_response) -> bool:
    return g.get("wrong_current_password", False)


def _password_limit() -> str:
    return current_app.config.get("RATELIMIT_PASSWORD_CHANGE", "5 per 15 minutes;20 per day")


def _password_change_key() -> str:
    return f"password-change:{current_user.id if current_user.is_authenticated else '-'}"


def home_for(user) -> str:
    endpoints = current_app.view_functions
    if user.role in FIELD_ROLES and "volunteers.queue" in endpoints:
        return url_for("volunteers.queue")
    if user.role in COORDINATOR_ROLES and "coordinator.map" in endpoints:
        return url_for("coordinator.map")
    return url_for("public.ask")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_address_limit, methods=["POST"], deduct_when=_failed)
@limiter.limit(_account_address_limit, key_func=_account_address_key, methods=["POST"],
               deduct_when=_failed)
def login():
    next_page = safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_page or home_for(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        guesses, account = _account_guesses(), _typed_account()
        wait = guesses.wait_left(account)
        if wait:
            form.password.errors = [_("Tài khoản này bị thử sai mật khẩu quá nhiều lần. "
                                      "Vui lòng thử lại sau khoảng %(minutes)d phút.",
                                      minutes=minutes(wait))]
            page = render_template("auth/login.html", form=form, next_page=next_page)
            return page, 429, {"Retry-After": str(wait)}
        user = accounts.authenticate(form.login.data, form.password.data)
        if user is not None:
            guesses.forget(account)
            user_sessions.open_session(user)
            db.session.commit()
            login_user(user, remember=form.remember.data)
            return redirect(next_page or home_for(user))
        guesses.failed(account)
        # One message for an unknown account, a wrong password and a closed account.
        form.password.errors = [_("Số điện thoại/e-mail hoặc mật khẩu không đúng.")]
    status = 400 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form, next_page=next_page), status


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    form = LogoutForm()
    if request.method == "GET":
        if not current_user.is_authenticated:
            return redirect(url_for(".login"))
        return render_template("auth/logout.html", form=form)
    if not form.validate_on_submit():
        return render_template("auth/logout.html", form=form), 400
    if current_user.is_authenticated:
        # This device's session ends on the server too: a copy of its cookie is refused.
        user_sessions.close_session(current_user._get_current_object())
        db.session.commit()
    logout_user()
    flash(_("Bạn đã đăng xuất."), "success")
    response = redirect(url_for(".login"))
    # The phone app's copies of pages (residents' contacts among them) and the actions
    # it kept go with the session: caches, IndexedDB and the service workers.
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@limiter.limit(_password_limit, key_func=_password_change_key, methods=["POST"],
               deduct_when=_wrong_current_password)
def password():
    form = PasswordForm()
    if form.validate_on_submit():
        refused = carry_out(accounts.change_password, current_user._get_current_object(),
                            form.current.data, form.new.data, form=form).error
        if refused is not None:
            # A stolen session must not become a way to guess the password itself.
            g.wrong_current_password = refused.field == "current"
            return render_template("auth/password.html", form=form), refused.status_code
        # The new version ends every other session; this one signs in again with it.
        remembered = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies
        login_user(current_user._get_current_object(), remember=remembered)
        flash(_("Đã đổi mật khẩu. Các phiên đăng nhập khác đã được đăng xuất."), "success")
        return redirect(home_for(current_user))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/password.html", form=form), status
