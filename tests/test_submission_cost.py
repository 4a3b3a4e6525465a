"""What one resident's submission costs the database: a fixed, small number of SQL
statements, whatever the ward or the category. The figure is the budget; a change
that adds a round trip to every submission must raise it here, on purpose."""
from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event

from tests.factories import hidden_fields, submit_request_form, valid_request_form
from tests.queries import count_in
from volunteer.extensions import db
from volunteer.models import Ticket, TicketEvent

# The ticket's INSERT, its "created" event's INSERT, the event's one outbox row (the
# worker turns it into the resident's "received" message, after the per-phone daily
# cap, and into the team's pushes), and the COMMIT.
SUBMISSION_STATEMENTS = ["INSERT", "INSERT", "INSERT", "COMMIT"]


@contextmanager
def statements_of(app):
    """Every statement the app's engine sends (and every COMMIT) while the block runs."""
    sent: list[str] = []
    with app.app_context():
        engine = db.engine

    def on_execute(_conn, _cursor, statement, _parameters, _context, _executemany):
        sent.append(statement.split(None, 1)[0].upper())

    def on_commit(_conn):
        sent.append("COMMIT")

    event.listen(engine, "before_cursor_execute", on_execute)
    event.listen(engine, "commit", on_commit)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
        event.remove(engine, "commit", on_commit)


def test_a_submission_costs_four_statements(app, client):
    """GET the form, then POST it: no query for the form, and the submission is three
    INSERTs and a COMMIT (no choice lists, no pre-checks, no reload after the commit,
    nobody's preferences read while the resident waits)."""
    submit_request_form(client)  # a process's first submission fills its caches
    with statements_of(app) as on_form:
        page = client.get("/?ward=19336:2008").get_data(as_text=True)
    assert on_form == []
    payload = {**hidden_fields(page), **valid_request_form(ward="19336:2008")}
    with statements_of(app) as on_submit:
        response = client.post("/", data=payload)
    assert response.status_code == 302
    assert on_submit == SUBMISSION_STATEMENTS, on_submit
    assert count_in(app, Ticket) == 2 and count_in(app, TicketEvent) == 2


def test_a_repeated_submission_answers_the_first_ticket(app, client):
    """The same submission key again (a double tap): the first ticket's confirmation,
    nothing stored twice."""
    page = client.get("/").get_data(as_text=True)
    payload = {**hidden_fields(page), **valid_request_form()}
    first = client.post("/", data=payload)
    second = client.post("/", data=payload)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert count_in(app, Ticket) == 1 and count_in(app, TicketEvent) == 1
