"""Coordinators manage teams and people: add a volunteer, move them between teams,
make a lead, deactivate; set a ward's household count. Flushes, never commits; every
change leaves an audit row."""
from __future__ import annotations

import json

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from .extensions import db
from .models import ROLES, AuditLog, Team, User, Ward
from .phones import normalize_phone

FIELD_ROLES = ("volunteer", "lead")


class StaffError(ValueError):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def audit(actor_id: int | None, action: str, **detail) -> None:
    db.session.add(AuditLog(user_id=actor_id, action=action,
                            detail=json.dumps(detail, ensure_ascii=False, sort_keys=True)))


def _team(team_id: int | None) -> Team | None:
    if team_id is None:
        return None
    team = db.session.get(Team, team_id)
    if team is None or not team.active:
        raise StaffError(_l("Tổ không hợp lệ."))
    return team


def add_user(*, actor_id: int | None, name: str, phone: str, role: str, team_id: int | None,
             password: str, email: str | None = None) -> User:
    name = (name or "").strip()
    if not name:
        raise StaffError(_l("Vui lòng nhập họ tên."))
    if role not in ROLES:
        raise StaffError(_l("Vai trò không hợp lệ."))
    if role in FIELD_ROLES and team_id is None:
        raise StaffError(_l("Tình nguyện viên và tổ trưởng phải thuộc một tổ."))
    team = _team(team_id) if role in FIELD_ROLES else None
    number = normalize_phone(phone)
    if db.session.scalar(select(User.id).where(User.phone == number)):
        raise StaffError(_l("Số điện thoại này đã có tài khoản."))
    email = (email or "").strip().lower() or None
    if email and db.session.scalar(select(User.id).where(func.lower(User.email) == email)):
        raise StaffError(_l("E-mail này đã có tài khoản."))
    if len(password or "") < 8:
        raise StaffError(_l("Mật khẩu cần ít nhất 8 ký tự."))
    user = User(name=name[:120], phone=number, email=email, role=role,
                team_id=team.id if team else None, active=True)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    audit(actor_id, "user_added", user_id=user.id, role=role, team_id=user.team_id)
    return user


def move_user(actor_id: int | None, user: User, team_id: int) -> None:
    if user.role not in FIELD_ROLES:
        raise StaffError(_l("Chỉ tình nguyện viên và tổ trưởng thuộc một tổ."))
    team = _team(team_id)
    if team.id == user.team_id:
        return
    audit(actor_id, "user_moved", user_id=user.id, from_team=user.team_id, to_team=team.id)
    user.team_id = team.id
    db.session.flush()


def set_role(actor_id: int | None, user: User, role: str) -> None:
    """Make a lead (or back to volunteer). Coordinators' roles are not changed here."""
    if role not in FIELD_ROLES or user.role not in FIELD_ROLES:
        raise StaffError(_l("Vai trò không hợp lệ."))
    if user.role == role:
        return
    audit(actor_id, "role_changed", user_id=user.id, from_role=user.role, to_role=role)
    user.role = role
    db.session.flush()


def set_active(actor_id: int | None, user: User, active: bool) -> None:
    """Deactivating also ends the user's sessions (the version in the cookie changes)."""
    if actor_id is not None and user.id == actor_id and not active:
        raise StaffError(_l("Bạn không thể tự khoá tài khoản của mình."))
    if user.active == active:
        return
    user.active = active
    user.session_version = (user.session_version or 0) + 1
    audit(actor_id, "user_activated" if active else "user_deactivated", user_id=user.id)
    db.session.flush()


def set_households(actor_id: int | None, ward: Ward, households: int) -> None:
    if households is None or households < 0 or households > 1_000_000:
        raise StaffError(_l("Số hộ không hợp lệ."))
    audit(actor_id, "households_changed", ward_id=ward.id, before=ward.households, after=households)
    ward.households = households
    db.session.flush()


def teams_with_members() -> list[tuple[Team, list[User]]]:
    teams = db.session.scalars(select(Team).order_by(Team.name)).all()
    members = db.session.scalars(select(User).order_by(User.name)).all()
    by_team: dict = {}
    for user in members:
        by_team.setdefault(user.team_id, []).append(user)
    return [(team, by_team.get(team.id, [])) for team in teams]


def coordinators() -> list[User]:
    return db.session.scalars(
        select(User).where(User.role.in_(("coordinator", "admin"))).order_by(User.name)
    ).all()
