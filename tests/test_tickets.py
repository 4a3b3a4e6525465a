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


def test_a_created_ticket_is_a_loaded_row_of_the_session(ctx):
    """create_ticket INSERTs through Core and hands back an ORM object built from the
    returned row: in the session, every column loaded (the defaults the INSERT applied
    too), so reading it costs no query; its relationships still load."""
    from sqlalchemy import event as sa_event
    from sqlalchemy import inspect

    ticket = make_ticket("19336", description="Số 012345678901 cần kích hoạt")
    sent = []

    def on_execute(*args):
        sent.append(args[2])

    sa_event.listen(db.engine, "before_cursor_execute", on_execute)
    try:
        state = inspect(ticket)
        assert state.persistent and not state.expired_attributes and not state.unloaded - {
            "ward", "requested_ward", "team", "category", "assignee", "duplicate_of", "events"}
        assert (ticket.status, ticket.unanswered_attempts, ticket.reopen_count) == ("new", 0, 0)
        assert ticket.id and ticket.reference.startswith("DH-") and "012345678901" not in ticket.description
        assert db.session.get(Ticket, ticket.id) is ticket
        assert sent == []
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", on_execute)
    assert ticket.team.wards[0].code == "19336"
    assert [e.action for e in ticket.events] == ["created"]
    db.session.commit()
    assert db.session.get(Ticket, ticket.id).reopen_count == 0
