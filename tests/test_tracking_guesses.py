"""Tracking cannot be brute-forced: wrong digits are counted per reference across every
client address, with a wait that grows; the 429 page keeps the reference and says when."""
import re

import pytest
from sqlalchemy import select

from volunteer import backoff
from volunteer.extensions import db
from volunteer.models import Ticket

from .factories import hidden_fields, make_ticket

RIGHT = "5678"  # the last four digits of make_ticket's phone


@pytest.fixture
def reference(app):
    with app.app_context():
        ticket = make_ticket("19333", phone="+8491234" + RIGHT)
        db.session.commit()
        return ticket.reference


def guess(client, reference, digits, address):
    token = hidden_fields(client.get("/track").get_data(as_text=True))["csrf_token"]
    return client.post("/track", data={"csrf_token": token, "reference": reference,
                                       "phone_last4": digits},
                       environ_base={"REMOTE_ADDR": address})


def test_sixty_guesses_from_six_addresses_never_reach_the_right_digits(app, reference):
    """Ten guesses from each of six addresses (the right digits among the last ones):
    after five wrong ones the reference waits, whatever the address, so none gets in."""
    wrong = [f"{n:04d}" for n in range(59)]
    guesses = wrong[:40] + [RIGHT] + wrong[40:]
    clients = [app.test_client() for _ in range(6)]
    statuses = [guess(clients[i % 6], reference, digits, f"203.0.113.{i % 6}").status_code
                for i, digits in enumerate(guesses)]
    assert statuses[:5] == [404] * 5
    assert set(statuses[5:]) == {429}
    assert all('id="ticket-status"' not in c.get(f"/track/{reference}").get_data(as_text=True)
               for c in clients)


def test_the_wait_doubles_and_the_right_digits_work_after_it(app, reference, monkeypatch):
    """1 minute after the fifth wrong guess, 2 after the sixth; then the resident gets in."""
    clock = [1_000_000.0]
    monkeypatch.setattr(backoff, "now", lambda: clock[0])
    client = app.test_client()
    for n in range(5):
        assert guess(client, reference, f"000{n}", "198.51.100.1").status_code == 404
    assert guess(client, reference, RIGHT, "198.51.100.2").status_code == 429
    clock[0] += 61
    assert guess(client, reference, "0009", "198.51.100.3").status_code == 404
    clock[0] += 61
    assert guess(client, reference, RIGHT, "198.51.100.4").status_code == 429
    clock[0] += 60
    response = guess(client, reference, RIGHT, "198.51.100.5")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/track/{reference}")
    # The resident's success starts the count again.
    assert guess(app.test_client(), reference, "1111", "198.51.100.6").status_code == 404


def test_the_429_page_keeps_the_reference_and_says_when(app, reference):
    client = app.test_client()
    for n in range(5):
        guess(client, reference, f"000{n}", "198.51.100.1")
    response = guess(client, reference, "0005", "198.51.100.9")
    page = response.get_data(as_text=True)
    assert response.status_code == 429 and int(response.headers["Retry-After"]) <= 60
    assert "Vui lòng thử lại sau khoảng 1 phút." in page
    assert re.search(rf'name="reference"[^>]*value="{reference}"', page)
    assert 'value="0005"' not in page


def test_the_per_address_limit_page_keeps_the_reference_too(make_app):
    app = make_app(RATELIMIT_TRACKING="2 per minute")
    client = app.test_client()
    statuses = [guess(client, f"DH-AAAAA{c}", "1234", "198.51.100.1").status_code for c in "ABC"]
    assert statuses == [404, 404, 429]
    response = guess(client, "DH-AAAAAD", "1234", "198.51.100.1")
    page = response.get_data(as_text=True)
    assert response.status_code == 429
    assert re.search(r'Vui lòng thử lại sau khoảng \d+ phút\.', page)
    assert re.search(r'name="reference"[^>]*value="DH-AAAAAD"', page)


def test_a_bare_cancel_post_asks_for_confirmation_first(app, client, reference):
    """A POST without the confirm step (one tap, an old page) cancels nothing."""
    token = hidden_fields(client.get("/track").get_data(as_text=True))["csrf_token"]
    assert client.post("/track", data={"csrf_token": token, "reference": reference,
                                       "phone_last4": RIGHT}).status_code == 302
    response = client.post(f"/track/{reference}/cancel", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/track/{reference}/cancel")
    with app.app_context():
        assert db.session.scalar(select(Ticket.status).where(Ticket.reference == reference)) == "new"
