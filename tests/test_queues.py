"""The queue queries, without HTTP: filters, orders, pages, distances, privacy."""
import random
from dataclasses import fields
from datetime import timedelta

from geopy.distance import geodesic

from tests.factories import category, make_ticket, make_user, team_of
from volunteer import queues
from volunteer.extensions import db
from volunteer.clock import utcnow
from volunteer.queues import QueueFilters, team_queue


def test_rows_carry_no_personal_data(ctx):
    """A queue row has no field for a name, phone, e-mail or exact address."""
    names = {f.name for f in fields(queues.QueueRow)}
    assert not names & {"resident_name", "phone", "email", "address", "lat", "lon"}


def test_newest_and_oldest_across_statuses_merge_in_order(ctx):
    """"All open", newest or oldest first, interleaves statuses by age across pages."""
    team_id = team_of("19333").id
    volunteer = make_user("volunteer", "19333")
    now = utcnow()
    from volunteer import tickets
    from volunteer.lifecycle import Actor

    made = []
    for index in range(45):
        ticket = make_ticket("19333")
        ticket.created_at = now - timedelta(hours=index)
        if index % 3 == 0:
            db.session.flush()
            tickets.apply_transition(ticket, "claim", Actor.for_user(volunteer))
        made.append(ticket.id)
    db.session.flush()
    for order, expected in (("newest", made), ("oldest", list(reversed(made)))):
        seen = []
        for page in (1, 2, 3):
            result = team_queue(team_id, QueueFilters(statuses=queues.QUEUE_STATUSES, order=order, page=page))
            seen += [row.id for row in result.rows]
            assert result.has_next == (page < 3)
        assert seen == expected
    only_new = team_queue(team_id, QueueFilters(statuses=("new",), page=1))
    assert {row.status for row in only_new.rows} == {"new"}


def test_nearest_order_matches_exact_distances(ctx):
    """The SQL approximation orders 60 random tickets as geodesic distance does, and the
    distance shown is geopy's, from the rounded point."""
    rng = random.Random(4)
    team_id = team_of("19351").id
    for _ in range(60):
        make_ticket("19351", lat=16.77 + rng.random() * 0.03, lon=107.07 + rng.random() * 0.03)
    unplaced = make_ticket("19351")
    unplaced.lat = unplaced.lon = None  # no location at all: it goes last
    db.session.flush()
    origin = (16.785, 107.085)
    rows = []
    for page in (1, 2, 3, 4):
        rows += team_queue(team_id, QueueFilters(order="nearest", lat=origin[0], lon=origin[1], page=page)).rows
    located = [row for row in rows if row.rough_lat is not None]
    assert len(located) == 60 and rows[-1].rough_lat is None
    exact = [geodesic(origin, (r.rough_lat, r.rough_lon)).km for r in located]
    assert all(a <= b + 0.15 for a, b in zip(exact, exact[1:]))  # rounding wiggle only
    assert [round(r.distance_km, 6) for r in located] == [round(d, 6) for d in exact]


def test_category_filter_and_other_teams(ctx):
    """Only the team's tickets of the chosen category come back."""
    mine = make_ticket("19333", category_code="cashless")
    make_ticket("19333", category_code="vneid")
    make_ticket("19348", category_code="cashless")
    db.session.flush()
    result = team_queue(team_of("19333").id, QueueFilters(category_id=category("cashless").id))
    assert [row.id for row in result.rows] == [mine.id]


def test_my_tickets_groups_what_i_hold(ctx):
    """My tickets: what I hold, grouped by status; others' tickets are not there."""
    from volunteer import tickets
    from volunteer.lifecycle import Actor

    me, other = make_user("volunteer", "19333"), make_user("volunteer", "19333")
    first, second, theirs = make_ticket("19333"), make_ticket("19333"), make_ticket("19333")
    tickets.apply_transition(first, "claim", Actor.for_user(me))
    tickets.apply_transition(second, "claim", Actor.for_user(me))
    tickets.apply_transition(second, "start", Actor.for_user(me))
    tickets.apply_transition(theirs, "claim", Actor.for_user(other))
    groups = queues.my_tickets(me.id)
    assert {status: [r.id for r in g.rows] for status, g in groups.items()} == {
        "claimed": [first.id], "in_progress": [second.id]}
    assert all(row.mine for group in groups.values() for row in group.rows)
