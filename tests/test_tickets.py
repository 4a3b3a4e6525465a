"""Ticket operations flush inside the caller's transaction and never commit on their own."""

from volunteer.extensions import db
from volunteer.models import Ticket, TicketEvent

from .factories import make_ticket
from .queries import count


def test_a_created_ticket_is_undone_by_the_callers_rollback(ctx):
    """create_ticket's savepoint nests in the caller's transaction: a rollback leaves nothing,
    on SQLite too (where a savepoint opened outside a transaction would commit at release)."""
    make_ticket("19336")
    db.session.rollback()
    assert count(Ticket) == 0
    assert count(TicketEvent) == 0


def test_a_ticket_and_its_created_event_commit_together(ctx):
    """Committed, the ticket carries its "created" event."""
    ticket = make_ticket("19336")
    db.session.commit()
    assert [event.action for event in db.session.get(Ticket, ticket.id).events] == ["created"]
