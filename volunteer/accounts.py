"""Staff accounts: find by phone or e-mail, check a password, create, deactivate.

Plain values in; functions flush, never commit."""
from __future__ import annotations

from functools import cache

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from . import catalog
from .extensions import db
from .models import ROLES, Team, User
from .phones import InvalidPhone, normalize_phone

PASSWORD_MIN = 8
PASSWORD_MAX = 128
FIELD_ROLES = ("volunteer", "lead")



@cache
def _dummy_hash() -> str:
    """Checked when no account matches, so a miss costs as much time as a wrong
    password and the answer's timing does not tell whether the account exists."""
    return generate_password_hash("not-a-real-password")


class AccountError(ValueError):
    """A refusal to show the user; `field` names the form field it belongs to."""

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field


def login_key(raw: str | None) -> str | None:
    """The canonical form of what someone typed to sign in: +84… or a lower-cased
    e-mail; None if it can be neither."""
    value = (raw or "").strip()
    if not value or len(value) > 254:
        return None
    if "@" in value:
        return value.lower()
    try:
        return normalize_phone(value)
    except InvalidPhone:
        return None


def find_by_login(raw: str | None) -> User | None:
    key = login_key(raw)
    if key is None:
        return None
    if "@" in key:
        return db.session.scalar(select(User).where(func.lower(User.email) == key))
    return db.session.scalar(select(User).where(User.phone == key))


def authenticate(raw_login: str | None, password: str | None) -> User | None:
    """The active user with this login and password, or None, whatever the reason."""
    user = find_by_login(raw_login)
    password = password or ""
    if user is None:
        check_password_hash(_dummy_hash(), password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    return user


def check_new_password(password: str) -> None:
    if len(password) < PASSWORD_MIN:
        raise AccountError(_l("Mật khẩu cần ít nhất %(min)d ký tự.", min=PASSWORD_MIN), "new")
    if len(password) > PASSWORD_MAX:
        raise AccountError(_l("Mật khẩu tối đa %(max)d ký tự.", max=PASSWORD_MAX), "new")


def change_password(user: User, current: str, new: str) -> None:
    """Change the user's password; every other session of theirs ends."""
    if not user.check_password(current or ""):
        raise AccountError(_l("Mật khẩu hiện tại không đúng."), "current")
    check_new_password(new)
    user.set_password(new)
    db.session.flush()


def team_for_ward_code(code: str) -> Team:
    """The team of a routing ward, by code (or CODE:PERIOD)."""
    ward = catalog.ward_by_key(code)
    if ward is None:
        raise AccountError(_l("Không có phường mã %(code)s.", code=(code or "").strip()))
    teams = [team for team in ward.teams if team.active]
    if not teams:
        raise AccountError(_l("Phường %(name)s chưa có tổ nào.", name=ward.name))
    return teams[0]


def create_user(*, name: str, role: str, password: str, phone: str | None = None,
                email: str | None = None, team: Team | None = None) -> User:
    name = (name or "").strip()
    if not name or len(name) > 120:
        raise AccountError(_l("Vui lòng nhập họ tên (tối đa 120 ký tự)."))
    if role not in ROLES:
        raise AccountError(_l("Vai trò phải là một trong: %(roles)s.", roles=", ".join(ROLES)))
    if role in FIELD_ROLES and team is None:
        raise AccountError(_l("Tình nguyện viên và tổ trưởng cần thuộc một tổ."))
    if role not in FIELD_ROLES and team is not None:
        raise AccountError(_l("Điều phối viên và quản trị viên không thuộc tổ nào."))
    normalized_phone = None
    if phone:
        try:
            normalized_phone = normalize_phone(phone)
        except InvalidPhone as error:
            raise AccountError(error.message)
    normalized_email = (email or "").strip().lower() or None
    if normalized_email and ("@" not in normalized_email or len(normalized_email) > 254):
        raise AccountError(_l("Địa chỉ e-mail không hợp lệ."))
    if not normalized_phone and not normalized_email:
        raise AccountError(_l("Cần số điện thoại hoặc e-mail để đăng nhập."))
    if normalized_phone and db.session.scalar(select(User.id).where(User.phone == normalized_phone)):
        raise AccountError(_l("Số điện thoại này đã có tài khoản."))
    if normalized_email and db.session.scalar(
        select(User.id).where(func.lower(User.email) == normalized_email)
    ):
        raise AccountError(_l("E-mail này đã có tài khoản."))
    check_new_password(password or "")
    user = User(name=name, phone=normalized_phone, email=normalized_email, role=role,
                team_id=team.id if team is not None else None, active=True)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def deactivate(raw_login: str) -> User:
    """Stop an account signing in; its sessions end at their next request."""
    user = find_by_login(raw_login)
    if user is None:
        raise AccountError(_l("Không tìm thấy tài khoản này."))
    user.active = False
    db.session.flush()
    return user
