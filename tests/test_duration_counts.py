"""The medians' histogram (`duration_counts`): kept by every step that claims, resolves
or moves a ticket, equal to a rebuild from the tickets, and giving the medians of the
exact computation (`figures.medians`) for every filter the dashboard offers."""
import random
import statistics
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import inspect, select, update

from tests.factories import category, make_user, team_of, ward
from tests.test_setup import empty_database, fresh_app  # noqa: F401 (fixtures)
from volunteer import figures, tickets
from volunteer.clock import local_date, local_midnight_utc
from volunteer.extensions import db
from volunteer.lifecycle import RESIDENT, Actor
from volunteer.models import Campaign, DurationCount, Ticket

NOW = datetime(2026, 6, 15, 3, 0)  # naive UTC, 10:00 in Đông Hà
WARDS = ("19333", "19336", "19342")
CATEGORIES = ("vneid", "cashless", "online_services")


def histogram() -> list[tuple]:
    """The table's non-empty cells."""
    return sorted(
        (row.period, row.day, row.measure, row.ward_id, row.team_id, row.category_id,
         row.campaign_id, row.bucket, row.n)
        for row in db.session.scalars(select(DurationCount)) if row.n)


def filed(ward_code, *, at, category_code="vneid", campaign_id=None):
    return tickets.create_ticket(
        tickets.Request(name="Lê Văn An", phone="+84912345678", category_id=category(category_code).id,
                        ward_id=ward(ward_code).id if ward_code else None, campaign_id=campaign_id),
        now=at)


@pytest.fixture
def history(ctx):
    return make_history()


def make_history() -> dict:
    """About 120 tickets over the last 120 days (so across the 90-day edge, its partial
    first day included) in three wards, three categories and a campaign: some only
    filed, some claimed, resolved, reopened and resolved again, released and claimed
    again, reassigned to another team, or placed in a ward from triage."""
    rng = random.Random(14)
    coordinator = Actor.for_user(make_user("coordinator", None))
    members = {code: [make_user("volunteer", code, name=f"TNV {code} {n}") for n in range(2)]
               for code in WARDS}
    campaign = Campaign(name="Tháng VNeID", starts_on=date(2026, 3, 1), ends_on=date(2026, 6, 30))
    db.session.add(campaign)
    db.session.flush()

    def later(moment, most_seconds):
        return moment + timedelta(seconds=rng.randrange(60, most_seconds),
                                  microseconds=rng.randrange(1_000_000))

    cutoff = NOW - figures.MEDIAN_WINDOW
    moments = [NOW - timedelta(days=rng.uniform(0, 120)) for _ in range(114)]
    # Around the window's edge, on its partial first local day and the day before.
    moments += [cutoff + timedelta(minutes=m) for m in (-90, -1, 1, 30, 240)] + [cutoff]
    for n, created in enumerate(moments):
        code = WARDS[n % len(WARDS)]
        holder, second = members[code]
        as_holder = Actor.for_user(holder)
        ticket = filed(None if n % 11 == 10 else code, at=created,
                       category_code=CATEGORIES[rng.randrange(len(CATEGORIES))],
                       campaign_id=campaign.id if n % 4 == 0 else None)
        if ticket.ward_id is None:  # from triage into a ward
            tickets.apply_transition(ticket, "set_ward", coordinator, ward_id=ward(code).id,
                                     now=later(created, 3600))
        story = n % 6
        if story == 0:
            continue
        claimed = later(created, 3 * 86400)
        tickets.apply_transition(ticket, "claim", as_holder, now=claimed)
        if story == 1:
            continue
        if story == 4:  # released, then claimed again by the other member
            tickets.apply_transition(ticket, "release", as_holder, note="Bận", now=later(claimed, 7200))
            as_holder = Actor.for_user(second)
            claimed = later(claimed, 2 * 86400)
            tickets.apply_transition(ticket, "claim", as_holder, now=claimed)
        if story == 5:  # reassigned to the next ward's team, claimed there
            other = WARDS[(n + 1) % len(WARDS)]
            tickets.apply_transition(ticket, "reassign", coordinator, team_id=team_of(other).id,
                                     now=later(claimed, 7200))
            as_holder = Actor.for_user(members[other][0])
            claimed = later(claimed, 86400)
            tickets.apply_transition(ticket, "claim", as_holder, now=claimed)
        resolved = later(claimed, 10 * 86400)
        tickets.apply_transition(ticket, "resolve", as_holder, outcome="helped", now=resolved)
        if story == 3:  # reopened by the resident, claimed and resolved again
            tickets.apply_transition(ticket, "reopen", RESIDENT, now=later(resolved, 86400))
            claimed = later(resolved, 2 * 86400)
            tickets.apply_transition(ticket, "claim", as_holder, now=claimed)
            tickets.apply_transition(ticket, "resolve", as_holder, outcome="helped",
                                     now=later(claimed, 86400))
    db.session.flush()
    return {"campaign": campaign}


def test_kept_histogram_equals_a_rebuild_from_the_tickets(history):
    """What the steps wrote cell by cell is what the SQL rebuild (the migration's
    backfill) computes from the tickets: same day, place, step and count."""
    kept = histogram()
    assert sum(n for *_, n in kept) > 100
    figures.rebuild_durations()
    db.session.flush()
    assert histogram() == kept


def test_histogram_counts_each_ticket_once_per_measure(history):
    """Reopened, reassigned and re-claimed tickets are counted at their current times
    and place only (once on their day, once on their month)."""
    rows = db.session.execute(select(*(getattr(Ticket, c) for c in figures.DURATION_COLUMNS))).all()
    expected = {}
    for row in rows:
        for cell in figures.duration_cells(*row):
            expected[cell] = expected.get(cell, 0) + 1
    assert histogram() == sorted((*cell, n) for cell, n in expected.items())


def filter_cases(history):
    today = local_date(NOW)
    return [
        figures.Filters(),
        figures.Filters(status="new"),
        figures.Filters(category_id=category("cashless").id),
        figures.Filters(campaign_id=history["campaign"].id),
        figures.Filters(start=today - timedelta(days=40)),
        figures.Filters(start=today - timedelta(days=110), end=today - timedelta(days=20)),
        figures.Filters(end=today - timedelta(days=30)),
        figures.Filters(start=local_date(NOW - figures.MEDIAN_WINDOW), end=today,
                        category_id=category("vneid").id),
        figures.Filters(start=date(2026, 3, 1), end=date(2026, 4, 30)),  # whole months only
        figures.Filters(start=date(2026, 4, 1), end=date(2026, 4, 1)),  # one day
    ]


def python_medians(filters: figures.Filters) -> dict:
    """The median step of each ward and team, from the tickets, in Python."""
    rows = db.session.execute(
        select(*(getattr(Ticket, c) for c in figures.DURATION_COLUMNS))
        .where(*figures.median_conditions(filters, NOW))).all()
    steps: dict = {}
    for row in rows:
        for period, _day, measure, ward_id, team_id, *_rest, bucket in figures.duration_cells(*row):
            if period != figures.DAY:
                continue
            for dim, key in (("ward", ward_id), ("team", team_id)):
                steps.setdefault(dim, {}).setdefault(measure, {}).setdefault(key, []).append(bucket)
    return {
        dim: {measure: {key: statistics.median(values) * figures.STEP_SECONDS[measure]
                        for key, values in per_key.items()}
              for measure, per_key in measures.items()}
        for dim, measures in steps.items()
    }


@pytest.mark.parametrize("case", range(10))
def test_histogram_medians_equal_the_tickets_medians(history, case):
    """For every filter the page offers (and windows of whole months, ragged ends, one
    day): the histogram's medians are the medians of the tickets' steps (exactly), and
    within one step of the exact medians."""
    filters = filter_cases(history)[case]
    summary = figures.duration_medians(filters, NOW)
    expected = python_medians(filters)
    assert any(summary[dim][m] for dim in ("ward", "team") for m in (figures.CLAIM, figures.RESOLVE))
    for dim, column in (("ward", Ticket.ward_id), ("team", Ticket.team_id)):
        for measure, end, unit in ((figures.CLAIM, Ticket.claimed_at, 3600),
                                   (figures.RESOLVE, Ticket.first_resolved_at, 86400)):
            assert summary[dim][measure] == expected.get(dim, {}).get(measure, {}), (dim, measure)
            exact = figures.medians(column, Ticket.created_at, end, filters, NOW)
            assert summary[dim][measure].keys() == exact.keys(), (dim, measure)
            for key, seconds in exact.items():
                shown, right = round(summary[dim][measure][key] / unit, 1), round(seconds / unit, 1)
                assert abs(shown - right) <= 0.1 + 1e-9, (dim, measure, key, shown, right)


def test_page_figures_use_the_histogram(history):
    """ward_figures and team_figures show the histogram's medians, rounded."""
    durations = figures.duration_medians(figures.Filters(), NOW)
    for rows, dim in ((figures.ward_figures(now=NOW), "ward"), (figures.team_figures(now=NOW), "team")):
        for row in rows:
            claim = durations[dim][figures.CLAIM].get(row.key)
            assert row.median_claim_hours == (round(claim / 3600, 1) if claim is not None else None)


def test_known_durations_give_the_known_medians(ctx):
    """Steps whose middle is not on an edge give the exact figure: claims after 1, 3,
    8 and 20 hours (median 5.5 h); resolves after 1.25 and 2.5 days (median 1.9 days,
    the mean of steps 1.3 and 2.5)."""
    volunteer = Actor.for_user(make_user("volunteer", "19342"))
    for n, hours in enumerate((1, 3, 8, 20)):
        created = NOW - timedelta(days=3)
        t = filed("19342", at=created)
        tickets.apply_transition(t, "claim", volunteer, now=created + timedelta(hours=hours))
        if n < 2:
            tickets.apply_transition(t, "resolve", volunteer, outcome="helped",
                                     now=created + timedelta(days=(1.25, 2.5)[n]))
    row = {r.key: r for r in figures.ward_figures(now=NOW)}[ward("19342").id]
    assert row.median_claim_hours == 5.5
    assert row.median_resolve_days == 1.9


def test_a_stale_ticket_cannot_move_the_histogram(ctx):
    """A step taken on a copy of the ticket read before someone else claimed it for
    another ward is refused: the histogram never takes a ticket out of a cell it is
    not in."""
    coordinator = Actor.for_user(make_user("coordinator", None))
    ticket = filed(None, at=NOW - timedelta(days=1))
    # Another coordinator places it in Đông Lễ, where it is claimed and released; this
    # request's copy still says triage, status new, nobody holds it.
    other = Actor.for_user(make_user("volunteer", "19336"))
    db.session.execute(update(Ticket).where(Ticket.id == ticket.id).values(
        ward_id=ward("19336").id, team_id=team_of("19336").id, claimed_at=NOW - timedelta(hours=3))
        .execution_options(synchronize_session=False))
    figures.record_durations([], figures.duration_cells(
        ticket.created_at, NOW - timedelta(hours=3), None, ward("19336").id, team_of("19336").id,
        ticket.category_id, None))
    assert ticket.ward_id is None and other is not None
    kept = histogram()
    with pytest.raises(tickets.TransitionConflict):
        tickets.apply_transition(ticket, "set_ward", coordinator, ward_id=ward("19333").id, now=NOW)
    assert histogram() == kept
    figures.rebuild_durations()
    assert histogram() == kept


def test_window_edge_is_a_moment_not_a_day(ctx):
    """Without dates, the window starts at now - 90 days, within a local day: tickets
    of that day before the moment are left out, after it counted."""
    volunteer = Actor.for_user(make_user("volunteer", "19348"))
    cutoff = NOW - figures.MEDIAN_WINDOW
    assert local_midnight_utc(local_date(cutoff)) < cutoff
    for created, hours in ((cutoff - timedelta(minutes=5), 50), (cutoff + timedelta(minutes=5), 2)):
        t = filed("19348", at=created)
        tickets.apply_transition(t, "claim", volunteer, now=created + timedelta(hours=hours))
    row = {r.key: r for r in figures.ward_figures(now=NOW)}[ward("19348").id]
    assert row.median_claim_hours == 2.0


def test_upgrade_fills_the_histogram_from_tickets_made_before_it(fresh_app):  # noqa: F811
    """`flask db upgrade` to 0011 on a database that already holds tickets (claimed,
    resolved, reopened, reassigned, placed from triage) fills the histogram with what
    the steps themselves would have written."""
    app = fresh_app  # on an empty database, each backend
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    assert runner.invoke(args=["seed"]).exit_code == 0
    with app.app_context():
        campaign_id = make_history()["campaign"].id
        db.session.commit()
        kept = histogram()
        assert len(kept) > 100
        db.session.remove()
        db.engine.dispose()
    result = runner.invoke(args=["db", "downgrade", "0010_phone_app"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert "duration_counts" not in inspect(db.engine).get_table_names()
        db.engine.dispose()
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert histogram() == kept
        filters = figures.Filters(campaign_id=campaign_id)
        assert figures.duration_medians(filters, NOW) == python_medians(filters)
        db.session.remove()
        db.engine.dispose()


def test_dashboard_shows_the_histogram_medians_and_says_they_are_approximate(app, client, sign_in):
    """The page's median cells are the histogram's, for the default window and with a
    category picked (a filter the histogram serves), and the page says "about"."""
    with app.app_context():
        volunteer = Actor.for_user(make_user("volunteer", "19342"))
        now = datetime.utcnow()
        for hours, code in ((1, "vneid"), (3, "vneid"), (8, "cashless"), (20, "vneid")):
            created = now - timedelta(days=3)
            t = filed("19342", at=created, category_code=code)
            tickets.apply_transition(t, "claim", volunteer, now=created + timedelta(hours=hours))
        ward_id, vneid = ward("19342").id, category("vneid").id
        sign_in(client, make_user("coordinator", None))
        db.session.commit()

    def claim_cell(url):
        html = client.get(url).get_data(as_text=True)
        row = html.split('id="ward-table"')[1].split(f'<tr data-key="{ward_id}">')[1].split("</tr>")[0]
        return row.split('<td class="num">')[6].split("<")[0], html

    shown, html = claim_cell("/coordinator/dashboard")
    assert shown == "5,5"  # Vietnamese decimal comma: hours 1, 3, 8, 20
    assert 'id="median-note"' in html
    assert claim_cell(f"/coordinator/dashboard?category={vneid}")[0] == "3,0"  # 1, 3, 20


def test_attention_list_merges_statuses_in_idle_order(ctx):
    """Held tickets idle the longest come first whether claimed or in progress: the
    per-status reads, merged, give what one ordered read of both statuses gives."""
    volunteer = Actor.for_user(make_user("volunteer", "19333"))
    for n in range(8):
        created = NOW - timedelta(days=20 - n)
        t = filed("19333", at=created)
        tickets.apply_transition(t, "claim", volunteer, now=created + timedelta(hours=n % 3))
        if n % 2:
            tickets.apply_transition(t, "start", volunteer, now=created + timedelta(hours=5 - n % 4))
    idle = [item.ticket_id for item in figures.needs_attention(now=NOW, limit=5) if item.reason == "idle"]
    direct = db.session.scalars(
        select(Ticket.id).where(Ticket.status.in_(("claimed", "in_progress")),
                                Ticket.updated_at < NOW - figures.HELD_IDLE_AFTER)
        .order_by(Ticket.updated_at, Ticket.id).limit(5)).all()
    assert idle == direct and len(idle) == 5
    statuses = {db.session.get(Ticket, i).status for i in idle}
    assert statuses == {"claimed", "in_progress"}
    assert figures.attention_counts(now=NOW)["idle"] == 8


def test_rebuild_command_recounts_a_histogram_gone_wrong(app):
    """`flask tickets rebuild-durations` puts back what the steps had written, after
    the table was emptied and a stray cell added."""
    with app.app_context():
        make_history()
        db.session.commit()
        kept = histogram()
        db.session.execute(DurationCount.__table__.delete())
        figures.record_durations([], [(figures.DAY, date(2026, 1, 1), figures.CLAIM, 1, 1, 1, 0, 5)])
        db.session.commit()
        assert histogram() != kept
    result = app.test_cli_runner().invoke(args=["tickets", "rebuild-durations"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert histogram() == kept
