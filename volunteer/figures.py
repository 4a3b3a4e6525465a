"""Figures for coordinators: per ward and per team, aggregated in SQL so the cost does
not grow with what is drawn. Plain values in, plain values out; nothing is written but
the medians' histogram (record_durations, rebuild_durations).

Medians of the time to claim and to resolve are read from `duration_counts`, a
histogram per local day (and month) of creation, ward, team, category and campaign, kept by
`record_durations` in the transaction of each step that changes a ticket's times or
place (`tickets.apply_transition`). A median from it is the middle of 0.1-hour /
0.1-day steps: what the page shows (rounded to 0.1) is right, or one step off when the
middle falls on a step's edge. `medians` is the exact computation (window functions
over every ticket of the window), kept for checking and for the rare caller that wants
it.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import cast, delete, func, literal, literal_column, or_, select, union_all
from sqlalchemy import BigInteger, Integer
from sqlalchemy.dialects import postgresql, sqlite

from .clock import local_date, local_midnight_utc, local_offset, utcnow
from .extensions import db
from .lifecycle import HELD, OPEN, OPEN_IN_ORDER, Status
from .models import DurationCount, Team, Ticket, Ward, team_wards

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
    """{key: {status: count}} over open tickets, from the (status, ward, team, created_at)
    index alone. count(*), not count(id): PostgreSQL's indexes do not hold the id, and
    count(id) sends it to every row of the table."""
    rows = db.session.execute(
        select(column, Ticket.status, func.count(), func.min(Ticket.created_at))
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


CLAIM, RESOLVE = "claim", "resolve"
# One histogram step: 0.1 hour to claim, 0.1 day to resolve (the precision shown).
STEP_SECONDS = {CLAIM: 360, RESOLVE: 8640}
# Each ticket is counted twice: on its local day of creation ("d") and on the first day
# of that month ("m"). A window reads its whole months from the month cells, a thirtieth
# of the rows, and only its ragged ends from the day cells.
DAY, MONTH = "d", "m"
CELL_COLUMNS = ("period", "day", "measure", "ward_id", "team_id", "category_id", "campaign_id",
                "bucket")


def whole_seconds(start: datetime, end: datetime) -> int:
    """end - start in seconds, both cut to the whole second first and never below 0:
    integer arithmetic that SQLite and PostgreSQL repeat exactly (rebuild_durations)."""
    return max(int((end.replace(microsecond=0) - start.replace(microsecond=0)).total_seconds()), 0)


def step_of(measure: str, seconds: int) -> int:
    """The nearest step (half a step rounds up)."""
    step = STEP_SECONDS[measure]
    return (seconds + step // 2) // step


def duration_cells(created_at, claimed_at, first_resolved_at, ward_id, team_id, category_id,
                   campaign_id) -> list[tuple]:
    """The histogram cells one ticket counts in: per measure it has an end for, its day
    and its month."""
    if created_at is None:
        return []
    day = local_date(created_at)
    place = (ward_id or 0, team_id or 0, category_id, campaign_id or 0)
    return [
        (period, start, measure, *place, step_of(measure, whole_seconds(created_at, end)))
        for measure, end in ((CLAIM, claimed_at), (RESOLVE, first_resolved_at))
        if end is not None
        for period, start in ((DAY, day), (MONTH, day.replace(day=1)))
    ]


# The ticket columns the histogram depends on: a step that changes none of them leaves
# it alone, and one that does changes them only if nobody else did meanwhile.
DURATION_COLUMNS = ("created_at", "claimed_at", "first_resolved_at", "ward_id", "team_id",
                    "category_id", "campaign_id")


def ticket_cells(ticket) -> list[tuple]:
    return duration_cells(*(getattr(ticket, name) for name in DURATION_COLUMNS))


def record_durations(before: list[tuple], after: list[tuple]) -> None:
    """Move a ticket's counts from the cells it was in to the cells it is in now, in the
    caller's transaction (one atomic upsert per cell that changes)."""
    change = Counter(after)
    change.subtract(before)
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    # Always in the same order, so two steps at once wait for each other, never deadlock.
    for cell, delta in sorted(change.items()):
        if delta == 0:
            continue
        statement = dialect.insert(DurationCount).values(**dict(zip(CELL_COLUMNS, cell)), n=delta)
        db.session.execute(statement.on_conflict_do_update(
            index_elements=list(CELL_COLUMNS), set_={"n": DurationCount.n + statement.excluded.n}))


def rebuild_durations() -> None:
    """Refill the histogram from the tickets, in SQL (bulk loaders that write tickets
    with core INSERTs call this; migration 0011 does the same)."""
    db.session.execute(delete(DurationCount))
    is_sqlite = db.session.get_bind().dialect.name == "sqlite"
    shift = local_offset()
    created = Ticket.created_at
    for (measure, end), period in ((m, p) for m in ((CLAIM, Ticket.claimed_at),
                                                    (RESOLVE, Ticket.first_resolved_at))
                                   for p in (DAY, MONTH)):
        step = STEP_SECONDS[measure]
        if is_sqlite:
            day = func.date(created, f"{int(shift.total_seconds()):+d} seconds",
                            *(["start of month"] if period == MONTH else []))
            seconds = func.max(cast(func.strftime("%s", end), Integer)
                               - cast(func.strftime("%s", created), Integer), 0, type_=Integer)
        else:
            day = func.date(created + shift) if period == DAY \
                else func.date(func.date_trunc("month", created + shift))
            seconds = func.greatest(cast(
                func.extract("epoch", func.date_trunc("second", end))
                - func.extract("epoch", func.date_trunc("second", created)), BigInteger), 0,
                type_=BigInteger)
        rows = (
            select(literal(period), day, literal(measure), func.coalesce(Ticket.ward_id, 0),
                   func.coalesce(Ticket.team_id, 0), Ticket.category_id,
                   func.coalesce(Ticket.campaign_id, 0), (seconds + step // 2) // step,
                   func.count())
            .where(end.is_not(None))
            # By position: the same expressions with their own parameters are not "the
            # same" to PostgreSQL's GROUP BY.
            .group_by(*(literal_column(str(n)) for n in range(1, 9)))
        )
        db.session.execute(DurationCount.__table__.insert().from_select([*CELL_COLUMNS, "n"], rows))


def _middle(counts: dict[int, int]) -> float | None:
    """The median step of a histogram {step: count}, as statistics.median would give
    over the steps of every ticket (the two middle ones averaged)."""
    total = sum(counts.values())
    if total <= 0:
        return None
    low_rank, high_rank = (total + 1) // 2, (total + 2) // 2
    seen, low = 0, None
    for step in sorted(counts):
        seen += max(counts[step], 0)
        if low is None and seen >= low_rank:
            low = step
        if seen >= high_rank:
            return (low + step) / 2
    return None


def _next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def _spans(first: date, last: date | None) -> list[tuple[str, date, date | None]]:
    """The local days first..last (last None: no end) as (period, from, before) ranges of
    cells: the whole months inside from the month cells, the ragged ends from the day
    cells."""
    months_from = first if first.day == 1 else _next_month(first)
    if last is None:
        return [(DAY, first, months_from), (MONTH, months_from, None)]
    end = last + timedelta(days=1)  # exclusive
    months_before = end.replace(day=1)
    if months_from >= months_before:
        return [(DAY, first, end)]
    return [(DAY, first, months_from), (MONTH, months_from, months_before), (DAY, months_before, end)]


def duration_medians(filters: Filters = Filters(), now: datetime | None = None,
                     measures: tuple[str, ...] = (CLAIM, RESOLVE)) -> dict:
    """{"ward" | "team": {"claim" | "resolve": {key: median seconds}}}: the medians of
    `medians`, over the same tickets (median_conditions), from the histogram.

    The histogram has whole local days; without a start date the window starts at a
    moment (now - MEDIAN_WINDOW), so the tickets of its first, partial day are read from
    the tickets table (a day's worth, through the created_at index) and counted alike.
    Every filter the page offers (category, campaign, dates) is a column of the
    histogram; the status filter does not apply to medians."""
    now = now or utcnow()
    counts: dict = {dim: {measure: {} for measure in (CLAIM, RESOLVE)} for dim in ("ward", "team")}

    def add(ward_id, team_id, measure, bucket, n):
        for dim, key in (("ward", ward_id or None), ("team", team_id or None)):
            per_key = counts[dim][measure].setdefault(key, {})
            per_key[bucket] = per_key.get(bucket, 0) + n

    if filters.start is not None:
        first_day = filters.start
    else:
        cutoff = now - MEDIAN_WINDOW
        first_day = local_date(cutoff)
        if local_midnight_utc(first_day) != cutoff:
            first_day += timedelta(days=1)
            edge = db.session.execute(
                select(*(getattr(Ticket, name) for name in DURATION_COLUMNS))
                .where(Ticket.created_at >= cutoff, Ticket.created_at < local_midnight_utc(first_day),
                       *ticket_conditions(filters))
            ).all()
            for row in edge:
                for period, _day, measure, ward_id, team_id, _c, _p, bucket in duration_cells(*row):
                    if period == DAY and measure in measures:
                        add(ward_id, team_id, measure, bucket, 1)
    place = [DurationCount.measure.in_(measures)]
    if filters.category_id:
        place.append(DurationCount.category_id == filters.category_id)
    if filters.campaign_id:
        place.append(DurationCount.campaign_id == filters.campaign_id)
    parts = [
        select(DurationCount.ward_id, DurationCount.team_id, DurationCount.measure,
               DurationCount.bucket, DurationCount.n)
        .where(DurationCount.period == period, DurationCount.day >= start, *place,
               *([DurationCount.day < stop] if stop is not None else []))
        for period, start, stop in _spans(first_day, filters.end)
    ]
    cells = union_all(*parts).subquery()
    rows = db.session.execute(
        select(cells.c.ward_id, cells.c.team_id, cells.c.measure, cells.c.bucket, func.sum(cells.c.n))
        .group_by(cells.c.ward_id, cells.c.team_id, cells.c.measure, cells.c.bucket)
    ).all()
    for ward_id, team_id, measure, bucket, n in rows:
        add(ward_id, team_id, measure, bucket, int(n))
    result: dict = {}
    for dim, per_measure in counts.items():
        result[dim] = {}
        for measure, per_key in per_measure.items():
            result[dim][measure] = {}
            for key, histogram in per_key.items():
                middle = _middle(histogram)
                if middle is not None:
                    result[dim][measure][key] = middle * STEP_SECONDS[measure]
    return result


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
                 with_medians: bool | str = True, durations: dict | None = None) -> list[Figures]:
    """One row per routing ward (in name order), including wards with nothing open.

    `with_medians`: True for both medians, "resolve" or "claim" for one, False for none.
    `durations`: duration_medians(filters, now) when the caller already has it (the
    dashboard reads it once for wards and teams)."""
    now = now or utcnow()
    wards = routing_wards()
    figures = {
        w.id: Figures(key=w.id, name=w.name, households=w.households or 0,
                      teams=sorted(t.name for t in w.teams))
        for w in wards
    }
    counts = _open_counts(Ticket.ward_id, filters)
    resolved = _resolved_since(Ticket.ward_id, filters, now - WEEK)
    if with_medians and durations is None:
        durations = duration_medians(filters, now, (CLAIM, RESOLVE) if with_medians is True
                                     else (CLAIM if with_medians == "claim" else RESOLVE,))
    claim = durations["ward"][CLAIM] if with_medians in (True, "claim") else {}
    resolve = durations["ward"][RESOLVE] if with_medians in (True, "resolve") else {}
    _fill(figures, counts, resolved, claim, resolve)
    return list(figures.values())


def team_figures(filters: Filters = Filters(), now: datetime | None = None,
                 durations: dict | None = None) -> list[Figures]:
    now = now or utcnow()
    teams = db.session.scalars(select(Team).order_by(Team.name)).all()
    figures = {t.id: Figures(key=t.id, name=t.name) for t in teams}
    counts = _open_counts(Ticket.team_id, filters)
    resolved = _resolved_since(Ticket.team_id, filters, now - WEEK)
    durations = durations if durations is not None else duration_medians(filters, now)
    claim, resolve = durations["team"][CLAIM], durations["team"][RESOLVE]
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


def _attention_conditions(now: datetime) -> dict[str, tuple[tuple[str, ...], list]]:
    """{reason: (statuses, further conditions)}. updated_at moves with every step (a
    contact attempt too): it is the last activity."""
    return {
        "unclaimed": ((Status.NEW,), [Ticket.updated_at < now - UNCLAIMED_AFTER]),
        "idle": (tuple(s for s in OPEN_IN_ORDER if s in HELD),
                 [Ticket.updated_at < now - HELD_IDLE_AFTER]),
        "escalated": ((Status.ESCALATED,), []),
        "reopened": (OPEN_IN_ORDER, [Ticket.reopen_count > 0]),
    }


def attention_counts(filters: Filters = Filters(), now: datetime | None = None) -> dict[str, int]:
    """How many tickets each reason holds (a ticket may fall under two); from the
    (status, updated_at, reopen_count) index alone."""
    now = now or utcnow()
    return {
        reason: db.session.scalar(
            select(func.count()).select_from(Ticket)
            .where(Ticket.status.in_(statuses), *extra, *ticket_conditions(filters))) or 0
        for reason, (statuses, extra) in _attention_conditions(now).items()
    }


def needs_attention(filters: Filters = Filters(), now: datetime | None = None,
                    limit: int = ATTENTION_LIMIT) -> list[AttentionItem]:
    """Tickets a coordinator should look at, the `limit` longest-idle of each reason.

    Per status, the `limit` first of the (status, updated_at) index, merged: a reason
    with two statuses would otherwise fetch and sort every held ticket to keep ten."""
    now = now or utcnow()
    found: list[AttentionItem] = []
    seen: set[int] = set()
    for reason, (statuses, extra) in _attention_conditions(now).items():
        per_status = [
            select(Ticket.id, Ticket.reference, Ticket.status, Ticket.ward_id, Ticket.team_id,
                   Ticket.updated_at)
            .where(Ticket.status == status, *extra, *ticket_conditions(filters))
            .order_by(Ticket.updated_at, Ticket.id)
            .limit(limit)
            .subquery()
            for status in statuses
        ]
        merged = union_all(*(select(part) for part in per_status)).subquery()
        rows = db.session.execute(
            select(merged.c.id, merged.c.reference, merged.c.status, Ward.name, Team.name,
                   merged.c.updated_at)
            .outerjoin(Ward, Ward.id == merged.c.ward_id)
            .outerjoin(Team, Team.id == merged.c.team_id)
            .order_by(merged.c.updated_at, merged.c.id)
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
            # count(*): read from the created_at / resolved_at covering index alone.
            select(day(column).label("d"), Ticket.category_id, func.count())
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
    # Only to mask the description (privacy.publish); never drawn.
    address: str | None
    resident_name: str | None
    email: str | None


POINT_COLUMNS = (Ticket.id, Ticket.lat, Ticket.lon, Ticket.status, Ticket.reference,
                 Ticket.category_id, Ticket.created_at, Ticket.description, Ticket.address,
                 Ticket.resident_name, Ticket.email)


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
