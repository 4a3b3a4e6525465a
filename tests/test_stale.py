"""Held tickets with no activity go back to the queue after 7 days, with a warning to the
holder the day before; running the job twice notifies nobody twice."""
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from tests.factories import make_ticket, make_user
from tests.queries import count
from volunteer import stale, tickets
from volunteer.extensions import db
from volunteer.lifecycle import Actor
from volunteer.models import Notification, Ticket, TicketEvent

NOW = datetime(2026, 6, 15, 3, 0)


@pytest.fixture
def held(ctx):
    """Three tickets held by one volunteer: idle 8 days, idle 6.5 days, idle 1 day."""
    volunteer = make_user("volunteer", "19333")
    made = {}
    for name, idle in (("overdue", timedelta(days=8)), ("due_soon", timedelta(days=6, hours=12)),
                       ("fresh", timedelta(days=1))):
        ticket = make_ticket("19333", phone=f"+8491200{len(made):04d}")
        tickets.apply_transition(ticket, "claim", Actor.for_user(volunteer), now=NOW - idle)
        made[name] = ticket
    db.session.commit()
    return volunteer, made


def test_release_and_warn(held):
    """The overdue ticket goes back to new with an auto_release event; the one due soon is warned."""
    volunteer, made = held
    report = stale.release_stale(now=NOW)
    db.session.commit()
    assert report.released == [made["overdue"].reference]
    assert report.warned == [made["due_soon"].reference]
    overdue = db.session.get(Ticket, made["overdue"].id)
    assert overdue.status == "new" and overdue.assignee_id is None
    event = db.session.scalar(select(TicketEvent).where(
        TicketEvent.ticket_id == overdue.id, TicketEvent.action == "auto_release"))
    assert event.actor_kind == "system" and event.from_status == "claimed"
    assert db.session.get(Ticket, made["due_soon"].id).status == "claimed"
    assert db.session.get(Ticket, made["fresh"].id).status == "claimed"
    kinds = sorted(n.kind for n in db.session.scalars(select(Notification)))
    assert kinds == ["auto_released", "stale_warning"]
    assert all(n.user_id == volunteer.id for n in db.session.scalars(select(Notification)))


def test_running_twice_notifies_nobody_twice(held):
    """A second run (same moment or an hour later) adds no notification and no event."""
    stale.release_stale(now=NOW)
    db.session.commit()
    notifications, events = count(Notification), count(TicketEvent)
    again = stale.release_stale(now=NOW + timedelta(hours=1))
    db.session.commit()
    assert again.released == [] and again.warned == []
    assert count(Notification) == notifications
    assert count(TicketEvent) == events


def test_warned_ticket_is_released_a_day_later(held):
    """The ticket warned today goes back tomorrow, and its holder hears of it once."""
    volunteer, made = held
    stale.release_stale(now=NOW)
    later = stale.release_stale(now=NOW + timedelta(days=1))
    db.session.commit()
    assert later.released == [made["due_soon"].reference]
    assert count(Notification, Notification.ticket_id == made["due_soon"].id) == 2


def test_activity_resets_the_clock(held):
    """A contact attempt counts as activity: the ticket is neither warned nor released."""
    volunteer, made = held
    ticket = db.session.get(Ticket, made["overdue"].id)
    tickets.apply_transition(ticket, "contact", Actor.for_user(volunteer),
                             contact_result="no_answer", now=NOW - timedelta(hours=2))
    report = stale.release_stale(now=NOW)
    assert made["overdue"].reference not in report.released + report.warned


def test_cli_command(app, runner, backend):
    """`flask tickets release-stale` runs the job and reports what it did."""
    result = runner.invoke(args=["tickets", "release-stale"])
    assert result.exit_code == 0, result.output
    assert "released 0 ticket(s)" in result.output
