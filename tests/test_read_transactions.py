"""How a transaction ends. On PostgreSQL one that only read is committed rather than
rolled back (psycopg drops its prepared statements at every rollback, so pages would
be parsed and planned afresh each time); anything that wrote, failed or was meant to
be undone is still undone, on both databases."""
from __future__ import annotations

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError

from tests.factories import make_ticket, make_user
from volunteer.extensions import db
from volunteer.models import Ticket


def _on_postgresql_only(backend):
    if backend != "postgresql":
        pytest.skip("psycopg's prepared statements are PostgreSQL's; SQLite has none to keep")


def _prepared_statements() -> list[str]:
    return db.session.scalars(text("SELECT statement FROM pg_prepared_statements")).all()


def test_the_statements_of_pages_viewed_again_and_again_stay_prepared(app, client, sign_in, backend):
    _on_postgresql_only(backend)
    with app.app_context():
        coordinator = make_user("coordinator", None)
        ticket_id = make_ticket().id
        db.session.commit()
        sign_in(client, coordinator)
        db.session.remove()
        db.engine.dispose()  # one pooled connection from here on, which every page uses

    for _ in range(8):  # psycopg prepares a statement at its fifth run
        assert client.get(f"/coordinator/tickets/{ticket_id}").status_code == 200

    with app.app_context():
        prepared = " ".join(_prepared_statements())
    assert "FROM ticket_events" in prepared  # the page's history
    assert "FROM users JOIN user_sessions" in prepared  # the signed-in user, each request


def test_a_rolled_back_write_is_undone(ctx):
    ticket = make_ticket()
    db.session.commit()
    db.session.execute(update(Ticket).where(Ticket.id == ticket.id).values(description="đổi"))
    db.session.rollback()
    assert db.session.scalar(select(Ticket.description).where(Ticket.id == ticket.id)) != "đổi"


def test_a_write_after_reads_is_undone_too(ctx):
    ticket = make_ticket()
    db.session.commit()
    for _ in range(6):  # reads first, as a page that then saves something does
        db.session.scalar(select(Ticket.status).where(Ticket.id == ticket.id))
    db.session.execute(update(Ticket).where(Ticket.id == ticket.id).values(status="cancelled"))
    db.session.rollback()
    assert db.session.scalar(select(Ticket.status).where(Ticket.id == ticket.id)) == "new"


def test_a_read_only_transaction_that_failed_rolls_back_and_the_next_one_works(ctx):
    with pytest.raises(DBAPIError):
        db.session.execute(text("SELECT no_such_column FROM tickets"))
    db.session.rollback()
    assert db.session.scalar(text("SELECT 2")) == 2


def test_a_request_that_writes_and_then_fails_keeps_nothing(app, backend):
    """The session's end-of-request rollback after a write: the write is undone even
    though the request read first (as every request does)."""

    @app.route("/__test/write-then-fail")
    def write_then_fail():
        db.session.scalar(select(Ticket.id).limit(1))
        db.session.execute(update(Ticket).values(description="không được giữ"))
        raise RuntimeError("fails after writing")

    with app.app_context():
        make_ticket()
        db.session.commit()
    app.config["PROPAGATE_EXCEPTIONS"] = False
    assert app.test_client().get("/__test/write-then-fail").status_code == 500
    with app.app_context():
        kept = db.session.scalars(select(Ticket.description)).all()
    assert kept and "không được giữ" not in kept
