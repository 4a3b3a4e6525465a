"""The reference data people pick from: wards by their public key, categories in order."""
from __future__ import annotations

from sqlalchemy import select

from .extensions import db
from .models import Category, Ward


def ward_by_key(key: str | None) -> Ward | None:
    """The ward behind a key "CODE:PERIOD" (`Ward.key`), or None.

    Codes were reused by the 2025 merger, so a bare code (older poster links,
    `flask users create --team`) means the routing area that carries it."""
    code, _sep, period = (key or "").strip().partition(":")
    if not code:
        return None
    query = select(Ward).where(Ward.code == code)
    query = query.where(Ward.period == period) if period else query.where(Ward.is_routing_area.is_(True))
    return db.session.scalars(query.limit(1)).first()


def categories(*, include_inactive: bool = False) -> list[Category]:
    """Categories in display order; only the active ones, which residents and volunteers
    may still choose.

    Coordinators' figures, charts and map filters pass include_inactive=True: tickets
    filed under a category since retired still count, and still need its label."""
    query = select(Category).order_by(Category.position, Category.id)
    if not include_inactive:
        query = query.where(Category.active.is_(True))
    return list(db.session.scalars(query))
