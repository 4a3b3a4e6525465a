"""What the coordinator's ticket page costs the database: a fixed number of SQL
statements, however long the ticket's history, however many people wrote it, however
many tickets share its street. The figures are the budget; a change that adds a round
trip to the page must raise them here, on purpose (bench/ticket_page.py times it)."""
from __future__ import annotations

from sqlalchemy import insert

from tests.factories import make_ticket, make_user
from tests.test_submission_cost import statements_of
from volunteer import tickets
from volunteer.clock import utcnow
from volunteer.extensions import db
from volunteer.lifecycle import Actor
from volunteer.models import Ticket, User

# The signed-in user with this device's session (one join), the ticket with its
# category, ward, team, holder and merge target (joins), its history with each step's
# author, the same phone's open tickets of the same category, the messages to the
# resident. A ticket with a measured position adds the nearby candidates.
PAGE_STATEMENTS = ["SELECT"] * 5
WITH_MEASURED_POSITION = ["SELECT"] * 6


def _page(app, client, ticket_id):
    client.get(f"/coordinator/tickets/{ticket_id}")  # a process's first page fills its caches
    with statements_of(app) as sent:
        response = client.get(f"/coordinator/tickets/{ticket_id}")
    assert response.status_code == 200
    return sent, response.get_data(as_text=True)


def test_the_ticket_page_costs_the_same_statements_whatever_its_history(app, client, sign_in):
    with app.app_context():
        coordinator = make_user("coordinator", None)
        helpers = [make_user("volunteer", name=f"Tình nguyện viên {n}") for n in range(4)]
        ticket = make_ticket(phone="+84912000111")
        make_ticket(phone="+84912000111")  # the same phone and category: a suggestion
        db.session.commit()
        ticket_id, helper_ids = ticket.id, [h.id for h in helpers]
        sign_in(client, coordinator)

    short, _ = _page(app, client, ticket_id)
    assert short == PAGE_STATEMENTS, short

    with app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        for helper_id in helper_ids:  # four people, each claiming then giving it back
            helper = Actor.for_user(db.session.get(User, helper_id))
            tickets.apply_transition(ticket, "claim", helper)
            tickets.apply_transition(ticket, "release", helper, note="Không liên lạc được")
        db.session.commit()
    long, html = _page(app, client, ticket_id)
    assert long == PAGE_STATEMENTS, long
    for n in range(4):  # every author is on the page, none fetched one by one
        assert f"Tình nguyện viên {n}" in html
    assert 'id="duplicates"' in html


def test_a_measured_position_adds_no_statement_and_none_per_neighbour(app, client, sign_in):
    """2,000 tickets on one street's gazetteer point and a few measured ones nearby: the
    page asks for the nearby candidates once, through the partial index, in the
    statement that asks for the same phone's."""
    lat, lon = 16.8172, 107.0995
    with app.app_context():
        coordinator = make_user("coordinator", None)
        measured = make_ticket(lat=lat, lon=lon, phone="+84912000222")
        neighbours = [make_ticket(lat=lat + 0.0001, lon=lon, phone=f"+8491200030{n}") for n in range(3)]
        now = utcnow()
        db.session.execute(insert(Ticket), [
            dict(reference=f"DH-P{i:05d}", phone=f"+8492{i:07d}", phone_last4=f"{i:04d}"[-4:],
                 category_id=measured.category_id, ward_id=measured.ward_id, lat=lat, lon=lon,
                 location_source="geocoded", address="Lê Duẩn", description="", channel="web",
                 status="new", consent_at=now, created_at=now, updated_at=now)
            for i in range(2000)])
        db.session.commit()
        ticket_id, neighbour_refs = measured.id, [n.reference for n in neighbours]
        sign_in(client, coordinator)

    sent, html = _page(app, client, ticket_id)
    assert sent == PAGE_STATEMENTS, sent
    assert all(reference in html for reference in neighbour_refs)
    assert "DH-P00001" not in html


def test_the_hand_written_inputs_are_what_the_forms_would_render(app, client, sign_in):
    """The page writes its inputs out rather than through WTForms (cheaper); they must
    stay those of the forms its POSTs validate with: names, maxlength, required."""
    import re

    from volunteer.blueprints.coordinator.forms import MergeForm, NoteForm, WardForm

    with app.app_context():
        coordinator = make_user("coordinator", None)
        ticket = make_ticket()  # new: every form is on the page
        db.session.commit()
        ticket_id = ticket.id
        sign_in(client, coordinator)
    _, html = _page(app, client, ticket_id)
    with app.test_request_context():
        ward = WardForm()
        ward.ward.choices = []
        expected = [str(NoteForm().note(placeholder="Ghi chú")),
                    str(MergeForm().reference(placeholder="DH-7K3Q9M")),
                    str(ward.ward()).replace("</select>", ""),
                    f'<label for="ward">{ward.ward.label.text}</label>',
                    f'<label for="reference">{MergeForm().reference.label.text}</label>']
    for markup in expected:
        assert markup in html, markup
    assert re.search(r'<input id="csrf_token" name="csrf_token" type="hidden" value="[^"]+">', html)
