"""Rows for tests, built through the same domain functions the app uses."""
from __future__ import annotations

import itertools

from sqlalchemy import select

from volunteer import tickets
from volunteer.extensions import db
from volunteer.models import Category, Team, User, Ward

_phones = itertools.count(1000)


def ward(code: str, period: str = "2008") -> Ward:
    return db.session.scalar(select(Ward).where(Ward.code == code, Ward.period == period))


def team_of(code: str) -> Team:
    return ward(code).teams[0]


def category(code: str = "vneid") -> Category:
    return db.session.scalar(select(Category).where(Category.code == code))


def make_user(role: str = "volunteer", ward_code: str | None = "19333", *, name=None,
              phone=None, password="mat-khau-an-toan", active=True) -> User:
    """A user of `role` in the team of ward `ward_code` (None for no team)."""
    number = next(_phones)
    user = User(
        name=name or f"{role.title()} {number}",
        phone=phone or f"+8491{number:07d}",
        role=role,
        team_id=team_of(ward_code).id if ward_code else None,
        active=active,
    )
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def make_ticket(ward_code: str | None = "19333", *, category_code="vneid", phone="+84912345678",
                name="Nguyễn Thị Lan", address="12 Lê Duẩn", description="Cần kích hoạt VNeID",
                lat=None, lon=None, **fields):
    request = tickets.Request(
        name=name,
        phone=phone,
        category_id=category(category_code).id,
        description=description,
        address=address,
        ward_id=ward(ward_code).id if ward_code else None,
        lat=lat,
        lon=lon,
        location_source="device" if lat is not None else None,
        **fields,
    )
    return tickets.create_ticket(request)
