"""The volunteer's lists: the team's queue and "my tickets". Plain values in, plain
rows out; no personal data leaves this module (free text goes through privacy.publish),
so a template cannot leak it.

Distance ordering happens in SQL with an equirectangular approximation (plain
arithmetic, the same on SQLite and PostgreSQL); geopy's exact geodesic distance is
computed only for the rows of the page shown.
"""
from __future__ import annotations

import heapq
import itertools
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from geopy.distance import geodesic
from sqlalchemy import case, func, select

from .extensions import db
from . import lifecycle
from .clock import utcnow
from .lifecycle import Status
from .models import Category, Ticket, Ward
from .privacy import publish, rough_coordinate

PER_PAGE = 20
ORDERS = ("newest", "oldest", "nearest")
# The statuses a volunteer may list; by default only "new" (QueueFilters), the tickets
# waiting for someone to claim them.
QUEUE_STATUSES = lifecycle.OPEN_IN_ORDER
MINE_STATUSES = (Status.CLAIMED, Status.IN_PROGRESS, Status.ESCALATED, Status.UNREACHABLE,
                 Status.RESOLVED)
RECENT_RESOLVED_DAYS = 14
MINE_LIMIT = 20  # per status: the page stays small whatever a volunteer holds


@dataclass(frozen=True)
class QueueFilters:
    """What the volunteer asked for, already validated."""

    statuses: tuple[str, ...] = (Status.NEW,)
    category_id: int | None = None
    order: str = "newest"
    lat: float | None = None  # the volunteer's position, for "nearest"
    lon: float | None = None
    page: int = 1


@dataclass(frozen=True)
class QueueRow:
    id: int
    reference: str
    status: str
    category_vi: str
    category_en: str
    ward_name: str | None
    created_at: datetime
    description: str
    needs_elderly: bool
    needs_disability: bool
    needs_home_visit: bool
    rough_lat: float | None
    rough_lon: float | None
    street: str | None
    mine: bool
    distance_km: float | None = None


@dataclass(frozen=True)
class QueuePage:
    rows: list[QueueRow]
    page: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.page > 1


_COLUMNS = (
    Ticket.id,
    Ticket.reference,
    Ticket.status,
    Category.name_vi,
    Category.name_en,
    Ward.name,
    Ticket.created_at,
    Ticket.description,
    Ticket.needs_elderly,
    Ticket.needs_disability,
    Ticket.needs_home_visit,
    Ticket.lat,
    Ticket.lon,
    Ticket.address,
    Ticket.resident_name,
    Ticket.email,
    Ticket.assignee_id,
)


def _rows(statement, user_id: int | None, origin: tuple[float, float] | None = None):
    rows = []
    for (id_, reference, status, name_vi, name_en, ward_name, created_at, description,
         elderly, disability, home_visit, lat, lon, address, name, email,
         assignee_id) in db.session.execute(statement):
        rough_lat, rough_lon = rough_coordinate(lat), rough_coordinate(lon)
        published = publish(description=description or "", address=address, ward_name=ward_name,
                            name=name, email=email)
        rows.append(
            QueueRow(
                id=id_,
                reference=reference,
                status=status,
                category_vi=name_vi,
                category_en=name_en,
                ward_name=ward_name,
                created_at=created_at,
                description=published.description,
                needs_elderly=bool(elderly),
                needs_disability=bool(disability),
                needs_home_visit=bool(home_visit),
                rough_lat=rough_lat,
                rough_lon=rough_lon,
                street=published.street,
                mine=user_id is not None and assignee_id == user_id,
                # From the rough point: the distance must not pin down a door either.
                distance_km=distance_km(origin, (rough_lat, rough_lon)),
            )
        )
    return rows


def distance_km(origin: tuple[float, float] | None, point: tuple[float | None, float | None]):
    if origin is None or point[0] is None or point[1] is None:
        return None
    return geodesic(origin, point).km


def approximate_distance(lat: float, lon: float):
    """A SQL expression that orders like the distance from (lat, lon), for a city-sized
    area: squared equirectangular degrees, longitude shrunk by cos(latitude)."""
    shrink = math.cos(math.radians(lat))
    d_lat = Ticket.lat - lat
    d_lon = (Ticket.lon - lon) * shrink
    return d_lat * d_lat + d_lon * d_lon


def team_queue(team_id: int, filters: QueueFilters, user_id: int | None = None) -> QueuePage:
    """One page of the team's open tickets, as the filters ask."""
    statuses = [s for s in QUEUE_STATUSES if s in filters.statuses] or [Status.NEW]
    page = max(1, filters.page)
    offset = (page - 1) * PER_PAGE
    # One row more than a page tells whether there is a next page, without a COUNT.
    wanted = PER_PAGE + 1
    base = (
        select(*_COLUMNS)
        .join(Category, Category.id == Ticket.category_id)
        .outerjoin(Ward, Ward.id == Ticket.ward_id)
        .where(Ticket.team_id == team_id)
    )
    if filters.category_id is not None:
        base = base.where(Ticket.category_id == filters.category_id)
    if filters.order == "nearest" and filters.lat is not None and filters.lon is not None:
        origin = (filters.lat, filters.lon)
        # First the ids, from the (team, status, lat, lon, category) index alone; then
        # the rows of this page only.
        nearest = select(Ticket.id).where(Ticket.team_id == team_id, Ticket.status.in_(statuses))
        if filters.category_id is not None:
            nearest = nearest.where(Ticket.category_id == filters.category_id)
        ids = db.session.scalars(
            nearest.order_by(
                # Tickets with no location go last; the id keeps the order stable.
                case((Ticket.lat.is_(None), 1), else_=0),
                approximate_distance(filters.lat, filters.lon),
                Ticket.id,
            ).limit(wanted).offset(offset)
        ).all()
        shown, has_next = ids[:PER_PAGE], len(ids) > PER_PAGE
        found = (
            {row.id: row for row in _rows(base.where(Ticket.id.in_(shown)), user_id, origin)}
            if shown else {}
        )
        rows = [found[id_] for id_ in shown if id_ in found]
        return QueuePage(rows=rows, page=page, has_next=has_next)
    else:
        oldest = filters.order == "oldest"
        order = (Ticket.created_at, Ticket.id) if oldest else (Ticket.created_at.desc(), Ticket.id.desc())
        # One query per status, each walking the (team, status, created_at) index in
        # order and stopping early, merged here: a single query with status IN (…)
        # would sort the team's whole open backlog.
        runs = [
            _rows(base.where(Ticket.status == status).order_by(*order).limit(offset + wanted), user_id)
            for status in statuses
        ]
        merged = heapq.merge(*runs, key=lambda row: (row.created_at, row.id), reverse=not oldest)
        rows = list(itertools.islice(merged, offset, offset + wanted))
    return QueuePage(rows=rows[:PER_PAGE], page=page, has_next=len(rows) > PER_PAGE)


@dataclass(frozen=True)
class HeldGroup:
    rows: list[QueueRow]
    total: int


def my_tickets(user_id: int, now: datetime | None = None) -> dict[str, HeldGroup]:
    """What the user holds, grouped by status, the most recently touched first;
    resolved ones only from the last days."""
    now = now or utcnow()
    groups: dict[str, HeldGroup] = {}
    for status in MINE_STATUSES:
        statement = (
            select(*_COLUMNS)
            .join(Category, Category.id == Ticket.category_id)
            .outerjoin(Ward, Ward.id == Ticket.ward_id)
            .where(Ticket.assignee_id == user_id, Ticket.status == status)
        )
        if status == Status.RESOLVED:
            statement = statement.where(
                Ticket.resolved_at >= now - timedelta(days=RECENT_RESOLVED_DAYS)
            )
        rows = _rows(
            statement.order_by(Ticket.updated_at.desc(), Ticket.id.desc()).limit(MINE_LIMIT + 1),
            user_id,
        )
        if not rows:
            continue
        total = len(rows)
        if total > MINE_LIMIT:
            total = db.session.scalar(
                select(func.count()).select_from(statement.with_only_columns(Ticket.id).subquery())
            )
        groups[status] = HeldGroup(rows=rows[:MINE_LIMIT], total=total)
    return groups
