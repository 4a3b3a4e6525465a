"""Claiming is atomic: of twenty volunteers pressing "claim" at once, exactly one wins."""
import threading

from sqlalchemy import select

from tests.factories import make_ticket, make_user
from tests.queries import count
from volunteer.extensions import db
from volunteer.models import Ticket, TicketEvent

VOLUNTEERS = 20


def test_twenty_volunteers_claim_one_ticket_at_once(app, sign_in, csrf):
    """Twenty threads, each its own client, request and database session, claim the same
    ticket together: one holder, one claim event, nineteen kind refusals."""
    with app.app_context():
        users = [make_user("volunteer", "19333") for _ in range(VOLUNTEERS)]
        ticket = make_ticket("19333")
        db.session.commit()
        clients = [sign_in(app.test_client(), user) for user in users]
        user_ids = [user.id for user in users]
        reference, ticket_id = ticket.reference, ticket.id

    tokens = [csrf(client, f"/volunteer/tickets/{reference}") for client in clients]

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
        assert count(TicketEvent, TicketEvent.ticket_id == ticket_id) == 2  # created + the one claim
