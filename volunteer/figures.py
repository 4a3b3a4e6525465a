"""Figures for coordinators: per ward and per team, aggregated in SQL so the cost does
not grow with what is drawn. Plain values in, plain values out; nothing is written.

Durations are computed by the database (julianday on SQLite, epoch on PostgreSQL) and
medians with window functions, so a million tickets never travel to Python.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import and_, func, literal_column, or_, select, union_all

from .clock import local_date, local_midnight_utc, local_offset, utcnow
from .extensions import db
from .lifecycle import HELD, OPEN, OPEN_IN_ORDER, Status
from .models import Team, Ticket, Ward, team_wards

# How long before a ticket needs a coordinator's eye.
UNCLAIMED_AFTER = timedelta(hours=48)
HELD_IDLE_AFTER = timedelta(days=3)
ATTENTION_LIMIT = 10
WEEK = timedelta(days=7)
MEDIAN_WINDOW = timedelta(days=90)
RESOLVED_STATUSES = (Status.RESOLVED, Status.CLOSED)


@dataclass(frozen=True)
class Filters:
    """What the coordinator picked. Dates are local (Asia/Ho_Chi_Minh) and inclusive."""

    category_id: int | None = None
    start: date | None = None
    end: date | None = None
    campaign_id: int | None = None
    status: str | None = None  # one open status, or None for all open ones

    @property
    def open_statuses(self) -> tuple[str, ...]:
        return (self.status,) if self.status in OPEN else OPEN_IN_ORDER


def ticket_conditions(filters: Filters) -> list:
    """The WHERE clause every figure shares, so the map and the tables agree."""
    conditions = []
    if filters.category_id:
        conditions.append(Ticket.category_id == filters.category_id)
    if filters.campaign_id:
        conditions.append(Ticket.campaign_id == filters.campaign_id)
    return conditions + within_local_days(Ticket.created_at, filters.start, filters.end)


def within_local_days(column, start: date | None, end: date | None) -> list:
    """`column` (naive UTC) inside the local days start..end, both included; either end
    may be open."""
    conditions = []
    if start:
        conditions.append(column >= local_midnight_utc(start))
    if end:
        conditions.append(column < local_midnight_utc(end + timedelta(days=1)))
    return conditions


def seconds_between(start, end):
    """end - start in seconds, in the dialect of the bound database."""
    if db.session.get_bind().dialect.name == "sqlite":
        return (func.julianday(end) - func.julianday(start)) * 86400.0
    return func.extract("epoch", end - start)


@dataclass
class Figures:
    """One row of the dashboard: a ward or a team."""

    key: int | None
    name: str
    households: int = 0
    teams: list[str] = field(default_factory=list)
    waiting: int = 0
    held: int = 0
    in_progress: int = 0
    escalated: int = 0
    resolved_week: int = 0
    oldest_waiting_at: datetime | None = None
    median_claim_hours: float | None = None
    median_resolve_days: float | None = None

    @property
    def open(self) -> int:
        return self.waiting + self.held + self.in_progress + self.escalated

    @property
    def per_thousand(self) -> float | None:
        if not self.households:
            return None
        return round(self.open * 1000 / self.households, 1)


def _open_counts(column, filters: Filters) -> dict:
    """{key: {status: count}} over open tickets; uses the (ward|team, status) indexes."""
    rows = db.session.execute(
        select(column, Ticket.status, func.count(Ticket.id), func.min(Ticket.created_at))
        .where(Ticket.status.in_(filters.open_statuses), *ticket_conditions(filters))
        .group_by(column, Ticket.status)
    ).all()
    counts: dict = {}
    for key, status, count, oldest in rows:
        counts.setdefault(key, {})[status] = (count, oldest)
    return counts


def _resolved_since(column, filters: Filters, since: datetime) -> dict:
    """{key: tickets resolved since `since`}. Counted in Python over the week's rows: a
    GROUP BY here tempts SQLite into scanning the (ward, status) index, every closed
    ticket of the city's history, instead of the short resolved_at range."""
    keys = db.session.scalars(
        select(column).where(Ticket.resolved_at >= since, Ticket.status.in_(RESOLVED_STATUSES),
                             *ticket_conditions(filters))
    )
    return dict(Counter(keys))


def median_conditions(filters: Filters, now: datetime) -> list:
    """Medians describe recent work: without a start date, tickets of the last
    MEDIAN_WINDOW only (and the created_at index keeps that cheap at any size)."""
    conditions = ticket_conditions(filters)
    if filters.start is None:
        conditions.append(Ticket.created_at >= now - MEDIAN_WINDOW)
    return conditions


def medians(column, start_column, end_column, filters: Filters, now: datetime | None = None) -> dict:
    """{key: median seconds from start to end} for tickets that have both, in SQL.

    row_number/count over each group picks the middle row (or the two middle rows,
    averaged), the same answer as statistics.median."""
    now = now or utcnow()
    # MATERIALIZED: read the window's rows first (index-only, through the created_at
    # covering index), then rank them. Left to itself SQLite walks the whole table in
    # ward order to feed the PARTITION BY. PostgreSQL 12+ reads the keyword the same way.
    durations = (
        select(column.label("k"), seconds_between(start_column, end_column).label("duration"))
        .where(end_column.is_not(None), *median_conditions(filters, now))
        .cte("durations")
        .prefix_with("MATERIALIZED")
    )
    ranked = select(
        durations.c.k,
        durations.c.duration,
        func.row_number().over(partition_by=durations.c.k, order_by=durations.c.duration).label("rn"),
        func.count().over(partition_by=durations.c.k).label("n"),
    ).subquery()
    middle = or_(ranked.c.rn == (ranked.c.n + 1) // 2, ranked.c.rn == (ranked.c.n + 2) // 2)
    rows = db.session.execute(
        select(ranked.c.k, func.avg(ranked.c.duration)).where(middle).group_by(ranked.c.k)
    ).all()
    return {key: float(value) for key, value in rows if value is not None}


def _fill(figures: dict, counts: dict, resolved: dict, claim: dict, resolve: dict) -> None:
    for key, row in figures.items():
        by_status = counts.get(key, {})
        row.waiting = by_status.get(Status.NEW, (0, None))[0]
        row.held = by_status.get(Status.CLAIMED, (0, None))[0]
        row.in_progress = by_status.get(Status.IN_PROGRESS, (0, None))[0]
        row.escalated = by_status.get(Status.ESCALATED, (0, None))[0]
        row.oldest_waiting_at = by_status.get(Status.NEW, (0, None))[1]
        row.resolved_week = resolved.get(key, 0)
        if key in claim:
            row.median_claim_hours = round(claim[key] / 3600, 1)
        if key in resolve:
            row.median_resolve_days = round(resolve[key] / 86400, 1)


def routing_wards() -> list[Ward]:
    return db.session.scalars(
        select(Ward).where(Ward.is_routing_area.is_(True)).order_by(Ward.name)
    ).all()


def ward_figures(filters: Filters = Filters(), now: datetime | None = None,
                 with_medians: bool | str = True) -> list[Figures]:
    """One row per routing ward (in name order), including wards with nothing open.

    `with_medians`: True for both medians, "resolve" or "claim" for one, False for none
    (each is a window-function query: the map asks only for the one it colours by)."""
    now = now or utcnow()
    wards = routing_wards()
    figures = {
        w.id: Figures(key=w.id, name=w.name, households=w.households or 0,
                      teams=sorted(t.name for t in w.teams))
        for w in wards
    }
    counts = _open_counts(Ticket.ward_id, filters)
    resolved = _resolved_since(Ticket.ward_id, filters, now - WEEK)
    claim = medians(Ticket.ward_id, Ticket.created_at, Ticket.claimed_at, filters, now) \
        if with_medians in (True, "claim") else {}
    resolve = medians(Ticket.ward_id, Ticket.created_at, Ticket.first_resolved_at, filters, now) \
        if with_medians in (True, "resolve") else {}
    _fill(figures, counts, resolved, claim, resolve)
    return list(figures.values())


def team_figures(filters: Filters = Filters(), now: datetime | None = None) -> list[Figures]:
    now = now or utcnow()
    teams = db.session.scalars(select(Team).order_by(Team.name)).all()
    figures = {t.id: Figures(key=t.id, name=t.name) for t in teams}
    counts = _open_counts(Ticket.team_id, filters)
    resolved = _resolved_since(Ticket.team_id, filters, now - WEEK)
    claim = medians(Ticket.team_id, Ticket.created_at, Ticket.claimed_at, filters, now)
    resolve = medians(Ticket.team_id, Ticket.created_at, Ticket.first_resolved_at, filters, now)
    _fill(figures, counts, resolved, claim, resolve)
    return list(figures.values())


def total(rows: list[Figures], name: str = "") -> Figures:
    """The sum of the rows; medians are not additive and stay empty."""
    result = Figures(key=None, name=name, households=sum(r.households for r in rows))
    for attr in ("waiting", "held", "in_progress", "escalated", "resolved_week"):
        setattr(result, attr, sum(getattr(r, attr) for r in rows))
    oldest = [r.oldest_waiting_at for r in rows if r.oldest_waiting_at]
    result.oldest_waiting_at = min(oldest) if oldest else None
    return result


@dataclass(frozen=True)
class AttentionItem:
    ticket_id: int
    reference: str
    reason: str  # unclaimed | idle | escalated | reopened
    status: str
    ward: str | None
    team: str | None
    since: datetime


def _attention_conditions(now: datetime) -> dict:
    """updated_at moves with every step (a contact attempt too): it is the last activity."""
    return {
        "unclaimed": and_(Ticket.status == Status.NEW, Ticket.updated_at < now - UNCLAIMED_AFTER),
        "idle": and_(Ticket.status.in_(HELD),
                     Ticket.updated_at < now - HELD_IDLE_AFTER),
        "escalated": Ticket.status == Status.ESCALATED,
        "reopened": and_(Ticket.status.in_(OPEN), Ticket.reopen_count > 0),
    }


def attention_counts(filters: Filters = Filters(), now: datetime | None = None) -> dict[str, int]:
    """How many tickets each reason holds (a ticket may fall under two)."""
    now = now or utcnow()
    return {
        reason: db.session.scalar(
            select(func.count(Ticket.id)).where(condition, *ticket_conditions(filters))) or 0
        for reason, condition in _attention_conditions(now).items()
    }


def needs_attention(filters: Filters = Filters(), now: datetime | None = None,
                    limit: int = ATTENTION_LIMIT) -> list[AttentionItem]:
    """Tickets a coordinator should look at, the `limit` longest-idle of each reason."""
    now = now or utcnow()
    reasons = _attention_conditions(now)
    found: list[AttentionItem] = []
    seen: set[int] = set()
    for reason, condition in reasons.items():
        rows = db.session.execute(
            select(Ticket.id, Ticket.reference, Ticket.status, Ward.name, Team.name,
                   Ticket.updated_at)
            .outerjoin(Ward, Ward.id == Ticket.ward_id)
            .outerjoin(Team, Team.id == Ticket.team_id)
            .where(condition, *ticket_conditions(filters))
            .order_by(Ticket.updated_at, Ticket.id)
            .limit(limit)
        ).all()
        for ticket_id, reference, status, ward, team, since in rows:
            if ticket_id in seen:
                continue
            seen.add(ticket_id)
            found.append(AttentionItem(ticket_id, reference, reason, status, ward, team, since))
    return found


@dataclass(frozen=True)
class WeekRow:
    week: date  # the Monday
    category_id: int
    requests: int
    resolutions: int


def _week_start(moment: datetime) -> date:
    local = local_date(moment)
    return local - timedelta(days=local.weekday())


def weekly(filters: Filters = Filters(), weeks: int = 12, now: datetime | None = None) -> list[WeekRow]:
    """Requests and resolutions per local week and category, for the last `weeks`.

    Bucketing is done in Python over (day, category, count) rows grouped by day in SQL,
    which stays portable across SQLite and PostgreSQL and small (days × categories)."""
    now = now or utcnow()
    first_monday = _week_start(now) - timedelta(weeks=weeks - 1)
    since = local_midnight_utc(first_monday)
    shift = local_offset()
    if db.session.get_bind().dialect.name == "sqlite":
        modifier = f"{int(shift.total_seconds()):+d} seconds"

        def day(column):
            return func.date(column, modifier)
    else:
        def day(column):
            return func.date(column + shift)
    table: dict[tuple[date, int], list[int]] = {}
    # A resolution counts in the week of the ticket's latest resolve, if it still stands.
    for column, slot, extra in ((Ticket.created_at, 0, []),
                                (Ticket.resolved_at, 1, [Ticket.status.in_(RESOLVED_STATUSES)])):
        rows = db.session.execute(
            select(day(column).label("d"), Ticket.category_id, func.count(Ticket.id))
            .where(column >= since, *extra, *ticket_conditions(filters))
            .group_by(literal_column("d"), Ticket.category_id)
        ).all()
        for raw_day, category_id, count in rows:
            when = raw_day if isinstance(raw_day, date) else date.fromisoformat(str(raw_day))
            week = when - timedelta(days=when.weekday())
            table.setdefault((week, category_id), [0, 0])[slot] += count
    return [
        WeekRow(week, category_id, counts[0], counts[1])
        for (week, category_id), counts in sorted(table.items())
    ]


def team_ward_names() -> dict[int, list[str]]:
    rows = db.session.execute(
        select(team_wards.c.team_id, Ward.name).join(Ward, Ward.id == team_wards.c.ward_id)
    ).all()
    names: dict[int, list[str]] = {}
    for team_id, name in rows:
        names.setdefault(team_id, []).append(name)
    return names



@dataclass(frozen=True)
class PointRow:
    ticket_id: int
    lat: float
    lon: float
    status: str
    reference: str
    category_id: int
    created_at: datetime
    description: str


POINT_COLUMNS = (Ticket.id, Ticket.lat, Ticket.lon, Ticket.status, Ticket.reference,
                 Ticket.category_id, Ticket.created_at, Ticket.description)


def _point_query(conditions, order, cap: int):
    return db.session.execute(
        select(*POINT_COLUMNS)
        .where(Ticket.lat.is_not(None), Ticket.lon.is_not(None), *conditions)
        .order_by(*order)
        .limit(cap)
    ).all()


def open_points(filters: Filters, cap: int, oldest_first: bool = False) -> tuple[list[PointRow], int]:
    """The open tickets to draw (at most `cap`, newest or oldest first) and how many
    located open tickets match, so the page can say when it drew fewer."""
    conditions = ticket_conditions(filters)

    def order(table):
        if oldest_first:
            return (table.c.created_at.asc(), table.c.id.asc())
        return (table.c.created_at.desc(), table.c.id.desc())

    # One (status, created_at) index range per status, merged: never a walk down the
    # whole created_at index looking for the few open tickets among the closed ones.
    per_status = [
        select(*POINT_COLUMNS)
        .where(Ticket.status == status, Ticket.lat.is_not(None), Ticket.lon.is_not(None),
               *conditions)
        .order_by(*order(Ticket.__table__))
        .limit(cap)
        .subquery()
        for status in filters.open_statuses
    ]
    merged = union_all(*(select(part) for part in per_status)).subquery()
    rows = [PointRow(*row) for row in db.session.execute(
        select(merged).order_by(*order(merged)).limit(cap)).all()]
    conditions = [Ticket.status.in_(filters.open_statuses), *conditions]
    if len(rows) < cap:
        return rows, len(rows)
    located = db.session.scalar(
        select(func.count(Ticket.id)).where(
            Ticket.lat.is_not(None), Ticket.lon.is_not(None), *conditions)
    )
    return rows, located or 0


def resolved_points(filters: Filters, days: int, cap: int, now: datetime | None = None) -> list[PointRow]:
    """Tickets resolved (and still resolved or closed) in the last `days` days, newest first."""
    now = now or utcnow()
    conditions = [Ticket.status.in_(RESOLVED_STATUSES), Ticket.resolved_at >= now - timedelta(days=days),
                  *ticket_conditions(filters)]
    return [PointRow(*row) for row in _point_query(
        conditions, (Ticket.resolved_at.desc(), Ticket.id.desc()), cap)]
