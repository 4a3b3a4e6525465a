"""The reference data people pick from: wards by their public key, categories in order,
and which teams cover a ward.

This data changes only when `flask seed` runs, while every public form reads it: each
process keeps a copy (plain values, not rows bound to a session), so showing and
submitting the form cost no query for it. The copy is dropped when this process
flushes a change to a ward, team or category (the seed, a test), and is at most
MAX_AGE_SECONDS old elsewhere (gunicorn workers while `flask seed` runs beside them).
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from flask import current_app, has_app_context
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from .extensions import db
from .models import Category, Team, Ward, team_wards

_KEY = "volunteer.catalog"
MAX_AGE_SECONDS = 60


@dataclass(frozen=True)
class WardEntry:
    id: int
    code: str
    period: str
    name: str
    is_routing_area: bool

    @property
    def key(self) -> str:
        """The stable public identifier used in forms and poster links (`Ward.key`)."""
        return f"{self.code}:{self.period}"


@dataclass(frozen=True)
class CategoryEntry:
    id: int
    code: str
    name_vi: str
    name_en: str

    def label(self, locale: str) -> str:
        return self.name_en if locale == "en" else self.name_vi


@dataclass(frozen=True)
class _Catalog:
    loaded_at: float
    wards: tuple[WardEntry, ...]  # by name
    by_key: dict[str, WardEntry]
    by_id: dict[int, WardEntry]
    routing_areas: dict[str, WardEntry]  # a bare code: the routing area carrying it
    active_categories: tuple[CategoryEntry, ...]  # display order
    teams_by_ward: dict[int, tuple[int, ...]]  # active teams covering a ward, by id
    team_names: dict[int, str]  # every team, by id
    active_teams: tuple[tuple[int, str], ...]  # (id, name) by name


def _load() -> _Catalog:
    wards = tuple(
        WardEntry(w.id, w.code, w.period, w.name, w.is_routing_area)
        for w in db.session.scalars(select(Ward).order_by(Ward.name, Ward.id))
    )
    categories = tuple(
        CategoryEntry(c.id, c.code, c.name_vi, c.name_en)
        for c in db.session.scalars(
            select(Category).where(Category.active.is_(True)).order_by(Category.position, Category.id)
        )
    )
    teams = db.session.execute(select(Team.id, Team.name, Team.active).order_by(Team.name, Team.id)).all()
    team_names = {team.id: team.name for team in teams}
    teams_by_ward: dict[int, list[int]] = {}
    for ward_id, team_id in db.session.execute(
        select(team_wards.c.ward_id, Team.id)
        .join(Team, Team.id == team_wards.c.team_id)
        .where(Team.active.is_(True))
        .order_by(Team.id)
    ):
        teams_by_ward.setdefault(ward_id, []).append(team_id)
    return _Catalog(
        loaded_at=time.monotonic(),
        wards=wards,
        by_key={w.key: w for w in wards},
        by_id={w.id: w for w in wards},
        routing_areas={w.code: w for w in wards if w.is_routing_area},
        active_categories=categories,
        teams_by_ward={ward_id: tuple(ids) for ward_id, ids in teams_by_ward.items()},
        team_names=team_names,
        active_teams=tuple((team.id, team.name) for team in teams if team.active),
    )


def _catalog() -> _Catalog:
    cached = current_app.extensions.get(_KEY)
    if cached is None or time.monotonic() - cached.loaded_at > MAX_AGE_SECONDS:
        cached = current_app.extensions[_KEY] = _load()
    return cached


def forget() -> None:
    current_app.extensions.pop(_KEY, None)


@event.listens_for(Session, "after_flush")
def _forget_changed_reference_data(session, _context) -> None:
    if not has_app_context():
        return
    changed = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(item, (Ward, Team, Category)) for item in changed):
        forget()


def ward_by_key(key: str | None) -> WardEntry | None:
    """The ward behind a key "CODE:PERIOD" (`Ward.key`), or None.

    Codes were reused by the 2025 merger, so a bare code (older poster links,
    `flask users create --team`) means the routing area that carries it."""
    code, _sep, period = (key or "").strip().partition(":")
    if not code:
        return None
    known = _catalog()
    return known.by_key.get(f"{code}:{period}") if period else known.routing_areas.get(code)


def ward(ward_id: int | None) -> WardEntry | None:
    return _catalog().by_id.get(ward_id) if ward_id is not None else None


def wards() -> tuple[WardEntry, ...]:
    """Every ward, merged wards and routing areas, by name."""
    return _catalog().wards


def teams_covering(ward_id: int) -> tuple[int, ...]:
    """Ids of the active teams covering a ward, lowest first."""
    return _catalog().teams_by_ward.get(ward_id, ())


def team_name(team_id: int | None) -> str | None:
    return _catalog().team_names.get(team_id) if team_id is not None else None


def active_teams() -> tuple[tuple[int, str], ...]:
    """(id, name) of the active teams, by name."""
    return _catalog().active_teams


def active_categories() -> tuple[CategoryEntry, ...]:
    """The categories residents and volunteers may choose, in display order."""
    return _catalog().active_categories


def active_category(code: str | None) -> CategoryEntry | None:
    return next((c for c in active_categories() if c.code == code), None)


def categories(*, include_inactive: bool = False) -> list[Category]:
    """Categories in display order, as rows; only the active ones, which residents and
    volunteers may still choose.

    Coordinators' figures, charts and map filters pass include_inactive=True: tickets
    filed under a category since retired still count, and still need its label."""
    query = select(Category).order_by(Category.position, Category.id)
    if not include_inactive:
        query = query.where(Category.active.is_(True))
    return list(db.session.scalars(query))
