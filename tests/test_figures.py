"""Coordinator figures: per ward and per team counts, medians and the needs-attention list
equal what a direct count over the database gives, on a seeded set with known answers."""
import statistics as pystats
from datetime import date, datetime, timedelta

import pytest

from tests.factories import category, make_user, team_of, ward
from tests.queries import count
from volunteer import figures, tickets
from volunteer.extensions import db
from volunteer.lifecycle import Actor
from volunteer.models import Ticket

NOW = datetime(2026, 6, 15, 3, 0)  # naive UTC, 10:00 in Đông Hà


def filed(ward_code, *, at, category_code="vneid", phone="+84912345678", **fields):
    return tickets.create_ticket(
        tickets.Request(name="Lê Văn An", phone=phone, category_id=category(category_code).id,
                        ward_id=ward(ward_code).id if ward_code else None, **fields),
        now=at)


@pytest.fixture
def seeded(ctx):
    """Phường 1 (19333): 2 waiting (one 3 days old), 1 held idle 4 days, 1 in progress,
    1 escalated, 3 resolved (claim after 2, 4, 6 h; resolve after 1, 2, 4 days), one of
    them this week. Phường Đông Lễ (19336): 1 waiting, 1 reopened. Nothing elsewhere."""
    volunteer = make_user("volunteer", "19333")
    lead = make_user("lead", "19333")
    other = make_user("volunteer", "19336")
    as_volunteer, as_lead = Actor.for_user(volunteer), Actor.for_user(lead)
    old_wait = filed("19333", at=NOW - timedelta(days=3))
    filed("19333", at=NOW - timedelta(hours=5), category_code="cashless")
    held = filed("19333", at=NOW - timedelta(days=5))
    tickets.apply_transition(held, "claim", as_volunteer, now=NOW - timedelta(days=4))
    working = filed("19333", at=NOW - timedelta(days=1))
    tickets.apply_transition(working, "claim", as_volunteer, now=NOW - timedelta(hours=20))
    tickets.apply_transition(working, "start", as_volunteer, now=NOW - timedelta(hours=19))
    escalated = filed("19333", at=NOW - timedelta(days=2))
    tickets.apply_transition(escalated, "escalate", as_lead, note="Cần điều phối",
                             now=NOW - timedelta(days=1))
    for claim_hours, resolve_days, created_days_ago in ((2, 1, 30), (4, 2, 20), (6, 4, 5)):
        created = NOW - timedelta(days=created_days_ago)
        done = filed("19333", at=created)
        tickets.apply_transition(done, "claim", as_volunteer, now=created + timedelta(hours=claim_hours))
        tickets.apply_transition(done, "resolve", as_volunteer, outcome="helped",
                                 now=created + timedelta(days=resolve_days))
    filed("19336", at=NOW - timedelta(hours=1))
    reopened = filed("19336", at=NOW - timedelta(days=10))
    tickets.apply_transition(reopened, "claim", Actor.for_user(other), now=NOW - timedelta(days=9))
    tickets.apply_transition(reopened, "resolve", Actor.for_user(other), outcome="helped",
                             now=NOW - timedelta(days=8))
    tickets.apply_transition(reopened, "reopen", tickets.lifecycle.RESIDENT, now=NOW - timedelta(days=1))
    db.session.flush()
    return {"old_wait": old_wait, "held": held, "escalated": escalated, "reopened": reopened}


def by_name(rows):
    return {row.name: row for row in rows}


def test_ward_figures_match_known_answers(seeded):
    """Per-ward counts, resolved this week and medians are the known ones."""
    rows = by_name(figures.ward_figures(now=NOW))
    one = rows["Phường 1"]
    assert (one.waiting, one.held, one.in_progress, one.escalated) == (2, 1, 1, 1)
    assert one.open == 5
    assert one.resolved_week == 1
    assert one.median_claim_hours == 4.0
    assert one.median_resolve_days == 2.0
    assert one.oldest_waiting_at == NOW - timedelta(days=3)
    assert one.per_thousand == round(5 * 1000 / 847, 1)
    le = rows["Phường Đông Lễ"]
    assert (le.waiting, le.held, le.open) == (2, 0, 2)
    assert rows["Phường 4"].open == 0 and rows["Phường 4"].median_resolve_days is None
    assert len(rows) == 9


def test_ward_figures_equal_a_direct_count(seeded):
    """For every ward and open status, the figure equals a COUNT over tickets."""
    rows = figures.ward_figures(now=NOW)
    for row in rows:
        for status, attr in (("new", "waiting"), ("claimed", "held"),
                             ("in_progress", "in_progress"), ("escalated", "escalated")):
            direct = count(Ticket, Ticket.ward_id == row.key, Ticket.status == status)
            assert getattr(row, attr) == direct, (row.name, status)


def test_median_equals_python_median_with_even_count(ctx):
    """The SQL median averages the two middle values, like statistics.median."""
    volunteer = make_user("volunteer", "19342")
    hours = [1, 3, 8, 20]
    for h in hours:
        created = NOW - timedelta(days=3)
        t = filed("19342", at=created)
        tickets.apply_transition(t, "claim", Actor.for_user(volunteer), now=created + timedelta(hours=h))
    medians = figures.medians(Ticket.ward_id, Ticket.created_at, Ticket.claimed_at,
                                 figures.Filters(), now=NOW)
    assert medians[ward("19342").id] / 3600 == pytest.approx(pystats.median(hours), abs=1e-3)


def test_team_figures_and_filters(seeded):
    """Team rows match the ward rows of their ward; the category filter narrows both."""
    teams = {row.key: row for row in figures.team_figures(now=NOW)}
    assert teams[team_of("19333").id].open == 5
    cashless = figures.Filters(category_id=category("cashless").id)
    rows = by_name(figures.ward_figures(cashless, now=NOW))
    assert rows["Phường 1"].waiting == 1 and rows["Phường 1"].open == 1
    assert rows["Phường Đông Lễ"].open == 0


def test_date_filter_uses_local_days(seeded):
    """A local-day range counts tickets created on those days in Asia/Ho_Chi_Minh."""
    today = (NOW + timedelta(hours=7)).date()
    rows = by_name(figures.ward_figures(figures.Filters(start=today, end=today), now=NOW))
    assert rows["Phường 1"].waiting == 1  # filed 5 hours ago
    assert rows["Phường Đông Lễ"].waiting == 1


def test_needs_attention_lists_each_reason(seeded):
    """Unclaimed over 48 h, held idle over 3 days, escalated and reopened tickets are listed."""
    items = {item.ticket_id: item.reason for item in figures.needs_attention(now=NOW)}
    assert items == {
        seeded["old_wait"].id: "unclaimed",
        seeded["held"].id: "idle",
        seeded["escalated"].id: "escalated",
        seeded["reopened"].id: "reopened",
    }


def test_weekly_counts_requests_and_resolutions(seeded):
    """The weekly rows add up to the tickets filed and first resolved in the window."""
    rows = figures.weekly(weeks=12, now=NOW)
    requests = sum(r.requests for r in rows)
    resolutions = sum(r.resolutions for r in rows)
    assert requests == count(Ticket)
    assert resolutions == 3  # the reopened ticket no longer counts as resolved
    assert all(r.week.weekday() == 0 for r in rows)
    assert min(r.week for r in rows) >= date(2026, 3, 23)


def test_open_points_cap_and_order(ctx):
    """Points are capped; the total says how many located open tickets there are."""
    for hours in range(5):
        filed("19333", at=NOW - timedelta(hours=hours), lat=16.8195, lon=107.1028)
    filed("19333", at=NOW)  # at the ward centre too: routing places it
    rows, located = figures.open_points(figures.Filters(), cap=3)
    assert len(rows) == 3 and located == 6
    oldest, _ = figures.open_points(figures.Filters(), cap=2, oldest_first=True)
    assert oldest[0].created_at == NOW - timedelta(hours=4)
    all_rows, total = figures.open_points(figures.Filters(), cap=100)
    assert len(all_rows) == total == 6


def test_medians_cover_the_last_90_days_unless_a_start_is_picked(ctx):
    """Without a start date, medians describe tickets of the last 90 days only."""
    volunteer = make_user("volunteer", "19348")
    for days_ago, claim_hours in ((200, 100), (10, 2)):
        created = NOW - timedelta(days=days_ago)
        t = filed("19348", at=created)
        tickets.apply_transition(t, "claim", Actor.for_user(volunteer),
                                 now=created + timedelta(hours=claim_hours))
    recent = by_name(figures.ward_figures(now=NOW))["Phường 5"]
    assert recent.median_claim_hours == 2.0
    since_start = figures.Filters(start=(NOW - timedelta(days=365)).date())
    both = by_name(figures.ward_figures(since_start, now=NOW))["Phường 5"]
    assert both.median_claim_hours == 51.0


def test_attention_counts_match_the_list(seeded):
    """Each reason's count equals the tickets listed under it when under the limit."""
    counts = figures.attention_counts(now=NOW)
    assert counts == {"unclaimed": 1, "idle": 1, "escalated": 1, "reopened": 1}
