"""Claiming is atomic: of twenty volunteers pressing "claim" at once, exactly one wins."""
import threading

from sqlalchemy import func, select

from tests.conftest import csrf_from
from tests.factories import make_ticket, make_user
from volunteer.extensions import db
from volunteer.models import Ticket, TicketEvent

VOLUNTEERS = 20


def test_twenty_volunteers_claim_one_ticket_at_once(app):
    """Twenty threads, each its own client, request and database session, claim the same
    ticket together: one holder, one claim event, nineteen kind refusals."""
    with app.app_context():
        users = [make_user("volunteer", "19333") for _ in range(VOLUNTEERS)]
        ticket = make_ticket("19333")
        db.session.commit()
        sessions = [user.get_id() for user in users]
        user_ids = [user.id for user in users]
        reference, ticket_id = ticket.reference, ticket.id

    clients, tokens = [], []
    for session_id in sessions:
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = session_id
            session["_fresh"] = True
        tokens.append(csrf_from(client.get(f"/volunteer/tickets/{reference}").get_data(as_text=True)))
        clients.append(client)

    start = threading.Barrier(VOLUNTEERS)
    answers: list[tuple[int, str]] = [None] * VOLUNTEERS

    def claim(index):
        start.wait()
        response = clients[index].post(f"/volunteer/tickets/{reference}/claim",
                                       data={"csrf_token": tokens[index]})
        answers[index] = (response.status_code, response.get_data(as_text=True))

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(VOLUNTEERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    codes = sorted(code for code, _ in answers)
    assert codes == [302] + [409] * (VOLUNTEERS - 1), codes
    for code, page in answers:
        if code == 409:
            assert "Rất tiếc, một tình nguyện viên khác vừa nhận yêu cầu này." in page
    winner = user_ids[[code for code, _ in answers].index(302)]
    with app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        assert (ticket.status, ticket.assignee_id) == ("claimed", winner)
        claims = db.session.scalars(
            select(TicketEvent).where(TicketEvent.ticket_id == ticket_id, TicketEvent.action == "claim")
        ).all()
        assert [event.actor_id for event in claims] == [winner]
        assert db.session.scalar(select(func.count(TicketEvent.id)).where(
            TicketEvent.ticket_id == ticket_id)) == 2  # created + the one claim
