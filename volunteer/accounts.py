"""Staff accounts, the one place their rules live: create (from the shell or the
coordinator's people page), sign in, change a password, move between teams, make a
lead, deactivate.

Plain values in; functions flush, never commit. Every change a coordinator or the
shell makes leaves an audit row (actor None from the shell)."""
from __future__ import annotations

import json
import re
from functools import cache

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from . import catalog
from .domain_errors import DomainError
from .extensions import db
from .limits import EMAIL_MAX, NAME_MAX, PASSWORD_MAX
from .models import AuditLog, Team, User
from .vocabulary import COORDINATOR_ROLES, FIELD_ROLES, AuditAction, Role
from .phones import InvalidPhone, normalize_phone

PASSWORD_MIN = 8
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class AccountError(DomainError):
    """A refusal about an account; `field` names the form field it belongs to."""


class NotYoursToManage(AccountError):
    status_code = 403


def _check_may_manage(actor_id: int | None, role: str) -> None:
    """Only an admin adds, closes or reopens an admin's account (the shell, actor None,
    may too): a coordinator cannot raise a new admin or lock the admins out."""
    if role != Role.ADMIN or actor_id is None:
        return
    actor = db.session.get(User, actor_id)
    if actor is None or actor.role != Role.ADMIN:
        raise NotYoursToManage(_l("Chỉ quản trị viên mới quản lý tài khoản quản trị viên."), "role")


@cache
def _dummy_hash() -> str:
    """Checked when no account matches, so a miss costs as much time as a wrong
    password and the answer's timing does not tell whether the account exists."""
    return generate_password_hash("not-a-real-password")


def audit(actor_id: int | None, action: AuditAction, **detail) -> None:
    db.session.add(AuditLog(user_id=actor_id, action=action,
                            detail=json.dumps(detail, ensure_ascii=False, sort_keys=True)))


def login_key(raw: str | None) -> str | None:
    """The canonical form of what someone typed to sign in: +84… or a lower-cased
    e-mail; None if it can be neither."""
    value = (raw or "").strip()
    if not value or len(value) > EMAIL_MAX:
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


def check_new_password(password: str, field: str) -> None:
    if len(password) < PASSWORD_MIN:
        raise AccountError(_l("Mật khẩu cần ít nhất %(min)d ký tự.", min=PASSWORD_MIN), field)
    if len(password) > PASSWORD_MAX:
        raise AccountError(_l("Mật khẩu tối đa %(max)d ký tự.", max=PASSWORD_MAX), field)


def change_password(user: User, current: str, new: str) -> None:
    """Change the user's password; every other session of theirs ends."""
    if not user.check_password(current or ""):
        raise AccountError(_l("Mật khẩu hiện tại không đúng."), "current")
    check_new_password(new or "", "new")
    user.set_password(new)
    db.session.flush()


def team_for_ward_code(code: str) -> Team:
    """The team of a routing ward, by code (or CODE:PERIOD)."""
    ward = catalog.ward_by_key(code)
    if ward is None:
        raise AccountError(_l("Không có phường mã %(code)s.", code=(code or "").strip()), "team")
    teams = catalog.teams_covering(ward.id)
    if not teams:
        raise AccountError(_l("Phường %(name)s chưa có tổ nào.", name=ward.name), "team")
    return db.session.get(Team, teams[0])


def _active_team(team_id: int) -> Team:
    team = db.session.get(Team, team_id)
    if team is None or not team.active:
        raise AccountError(_l("Tổ không hợp lệ."), "team")
    return team


def _phone(raw: str | None) -> str | None:
    if not (raw or "").strip():
        return None
    try:
        return normalize_phone(raw)
    except InvalidPhone as error:
        raise AccountError(error.message, "phone") from error


def _email(raw: str | None) -> str | None:
    email = (raw or "").strip().lower() or None
    if email and (len(email) > EMAIL_MAX or not _EMAIL.fullmatch(email)):
        raise AccountError(_l("Địa chỉ e-mail không hợp lệ."), "email")
    return email


def create_user(*, actor_id: int | None, name: str, role: str, password: str,
                phone: str | None = None, email: str | None = None,
                team_id: int | None = None) -> User:
    """A new active account; `actor_id` is the coordinator who adds it (None from the shell)."""
    name = (name or "").strip()
    if not name or len(name) > NAME_MAX:
        raise AccountError(_l("Vui lòng nhập họ tên (tối đa %(max)d ký tự).", max=NAME_MAX), "name")
    if role not in frozenset(Role):
        raise AccountError(_l("Vai trò phải là một trong: %(roles)s.", roles=", ".join(Role)), "role")
    if role in FIELD_ROLES and team_id is None:
        raise AccountError(_l("Tình nguyện viên và tổ trưởng cần thuộc một tổ."), "team")
    if role not in FIELD_ROLES and team_id is not None:
        raise AccountError(_l("Điều phối viên và quản trị viên không thuộc tổ nào."), "team")
    _check_may_manage(actor_id, role)
    team = _active_team(team_id) if team_id is not None else None
    phone, email = _phone(phone), _email(email)
    if not phone and not email:
        raise AccountError(_l("Cần số điện thoại hoặc e-mail để đăng nhập."), "phone")
    if phone and db.session.scalar(select(User.id).where(User.phone == phone)):
        raise AccountError(_l("Số điện thoại này đã có tài khoản."), "phone")
    if email and db.session.scalar(select(User.id).where(func.lower(User.email) == email)):
        raise AccountError(_l("E-mail này đã có tài khoản."), "email")
    check_new_password(password or "", "password")
    user = User(name=name, phone=phone, email=email, role=role,
                team_id=team.id if team is not None else None, active=True)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    audit(actor_id, AuditAction.USER_ADDED, user_id=user.id, role=role, team_id=user.team_id)
    db.session.flush()
    return user


def move_user(actor_id: int | None, user: User, team_id: int) -> None:
    if user.role not in FIELD_ROLES:
        raise AccountError(_l("Chỉ tình nguyện viên và tổ trưởng thuộc một tổ."), "team")
    team = _active_team(team_id)
    if team.id == user.team_id:
        return
    audit(actor_id, AuditAction.USER_MOVED, user_id=user.id, from_team=user.team_id, to_team=team.id)
    user.team_id = team.id
    db.session.flush()


def set_role(actor_id: int | None, user: User, role: str) -> None:
    """Make a lead (or back to volunteer). Coordinators' roles are not changed here."""
    if role not in FIELD_ROLES or user.role not in FIELD_ROLES:
        raise AccountError(_l("Vai trò không hợp lệ."), "role")
    if user.role == role:
        return
    audit(actor_id, AuditAction.ROLE_CHANGED, user_id=user.id, from_role=user.role, to_role=role)
    user.role = role
    db.session.flush()


def set_active(actor_id: int | None, user: User, active: bool) -> None:
    """Deactivating also ends the user's sessions (the version in the cookie changes)."""
    if actor_id is not None and user.id == actor_id and not active:
        raise AccountError(_l("Bạn không thể tự khoá tài khoản của mình."))
    _check_may_manage(actor_id, user.role)
    if user.active == active:
        return
    user.active = active
    user.session_version = (user.session_version or 0) + 1
    audit(actor_id, AuditAction.USER_ACTIVATED if active else AuditAction.USER_DEACTIVATED, user_id=user.id)
    db.session.flush()


def deactivate(actor_id: int | None, raw_login: str) -> User:
    """Deactivate the account with this phone or e-mail (see `set_active`)."""
    user = find_by_login(raw_login)
    if user is None:
        raise AccountError(_l("Không tìm thấy tài khoản này."))
    set_active(actor_id, user, False)
    return user


def teams_with_members() -> list[tuple[Team, list[User]]]:
    teams = db.session.scalars(select(Team).order_by(Team.name)).all()
    members = db.session.scalars(select(User).order_by(User.name)).all()
    by_team: dict = {}
    for user in members:
        by_team.setdefault(user.team_id, []).append(user)
    return [(team, by_team.get(team.id, [])) for team in teams]


def coordinators() -> list[User]:
    return db.session.scalars(
        select(User).where(User.role.in_(COORDINATOR_ROLES)).order_by(User.name)
    ).all()
