"""Sign in, sign out, change one's password."""

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ... import accounts
from ...navigation import safe_next
from ...extensions import limiter
from ...vocabulary import COORDINATOR_ROLES, FIELD_ROLES
from .. import carry_out
from . import bp
from .forms import LoginForm, LogoutForm, PasswordForm


def _address_limit() -> str:
    return current_app.config.get("RATELIMIT_LOGIN", "5 per minute;20 per hour")


def _account_limit() -> str:
    return current_app.config.get("RATELIMIT_LOGIN_ACCOUNT", "5 per minute;20 per hour")


def _account_key() -> str:
    # Keyed on what was typed, normalized, whether or not such an account exists:
    # the limit itself must not reveal that.
    return "login-account:" + (accounts.login_key(request.form.get("login")) or "?")


def _failed(response) -> bool:
    """Only failed attempts count: a volunteer who signs in often is not locked out."""
    return response.status_code != 302


def home_for(user) -> str:
    endpoints = current_app.view_functions
    if user.role in FIELD_ROLES and "volunteers.queue" in endpoints:
        return url_for("volunteers.queue")
    if user.role in COORDINATOR_ROLES and "coordinator.map" in endpoints:
        return url_for("coordinator.map")
    return url_for("public.ask")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_address_limit, methods=["POST"], deduct_when=_failed)
@limiter.limit(_account_limit, key_func=_account_key, methods=["POST"], deduct_when=_failed)
def login():
    next_page = safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_page or home_for(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.login.data, form.password.data)
        if user is not None:
            login_user(user, remember=form.remember.data)
            return redirect(next_page or home_for(user))
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
    logout_user()
    flash(_("Bạn đã đăng xuất."), "success")
    response = redirect(url_for(".login"))
    # The phone app's copies of pages (residents' contacts among them) and the actions
    # it kept go with the session: caches, IndexedDB and the service workers.
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password():
    form = PasswordForm()
    if form.validate_on_submit():
        refused = carry_out(accounts.change_password, current_user._get_current_object(),
                            form.current.data, form.new.data, form=form).error
        if refused is not None:
            return render_template("auth/password.html", form=form), refused.status_code
        # The new version ends every other session; this one signs in again with it.
        remembered = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies
        login_user(current_user._get_current_object(), remember=remembered)
        flash(_("Đã đổi mật khẩu. Các phiên đăng nhập khác đã được đăng xuất."), "success")
        return redirect(home_for(current_user))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/password.html", form=form), status
