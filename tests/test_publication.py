"""What is shown before a claim or published goes through privacy.publish: the probe's
cases (issue 10, item 2) on both databases, and one hostile ticket through every output."""
import html
import json
import re
import unicodedata

import pytest

from tests.factories import make_ticket, make_user
from volunteer import api_keys
from volunteer.extensions import db
from volunteer.models import User
from volunteer.privacy import publish_ticket

NAME = "Nguyễn Thị Lan"
EMAIL = "lan.nguyen@example.com"
PHONES = ["0912 345 678", "0912.345.678", "(0912) 345 678", "0912/345/678", "0912_345_678",
          "091 234 5678", "0912  345  678", "0912\u00a0345\u00a0678", "０９１２３４５６７８",
          "+84 912 345 678", "0912-345-678"]
NAMES = [NAME, unicodedata.normalize("NFD", NAME), "Nguyen Thi Lan", "NGUYỄN THỊ LAN", "nguyễn thị lan",
         "NGUYEN thi LAN", "bà Lan"]
FREE_ADDRESS = "Nhà bà Lan cạnh quán phở Tư"


def _digits(text: str) -> str:
    return re.sub(r"\D", "", unicodedata.normalize("NFKC", text or ""))


@pytest.mark.parametrize("phone", PHONES)
def test_phone_numbers_are_masked_however_they_are_written(ctx, phone):
    ticket = make_ticket("19333", description=f"Gọi cho tôi: {phone} sau 5 giờ chiều")
    published = publish_ticket(ticket).description
    assert "912345678" not in _digits(published) and "345678" not in _digits(published)
    assert published.startswith("Gọi cho tôi: ***") and published.endswith("sau 5 giờ chiều")


@pytest.mark.parametrize("written", NAMES)
def test_the_residents_name_is_masked_in_any_form_or_case(ctx, written):
    ticket = make_ticket("19333", name=NAME, description=f"Tôi là {written}, cần cài VNeID")
    published = publish_ticket(ticket).description
    folded = unicodedata.normalize("NFC", published).casefold()
    assert "lan" not in folded and "nguy" not in folded
    assert published.endswith("cần cài VNeID")


def test_email_and_the_typed_address_are_masked(ctx):
    ticket = make_ticket("19333", email=EMAIL, address=FREE_ADDRESS,
                         description=f"Mail {EMAIL.upper()} hoặc khac@mail.vn; nhà: {FREE_ADDRESS}")
    published = publish_ticket(ticket).description
    assert published == "Mail *** hoặc ***; nhà: ***"


@pytest.mark.parametrize("address, shown", [
    (FREE_ADDRESS, "Phường 1"),
    ("Hộ ông Trần Văn Bình", "Phường 1"),
    ("12 Lê Duẩn", "Lê Duẩn, Phường 1"),
    ("kiệt 45/3 le duan, gần chợ", "Lê Duẩn, Phường 1"),
    ("số 7 QL9", "Quốc lộ 9, Phường 1"),
])
def test_an_address_is_published_as_a_known_street_and_the_ward(ctx, address, shown):
    """A street only when the city knows it, otherwise the ward alone: never the free text."""
    ticket = make_ticket("19333", address=address)
    assert publish_ticket(ticket).address == shown


def _appears(secret: str, body: str) -> bool:
    escaped = html.escape(secret)
    return any(form in body for form in
               (secret, escaped, json.dumps(secret)[1:-1], json.dumps(escaped)[1:-1]))


def test_one_hostile_ticket_shows_nothing_personal_in_any_published_output(app, client, sign_in, csrf):
    """Open311 JSON, the queue, the pre-claim page, the CSV without personal data, the map:
    none holds the phone (in any spelling), the e-mail, the name or the typed address."""
    description = (f"Tôi là {unicodedata.normalize('NFD', NAME)} ({NAMES[2]}), gọi "
                   + ", ".join(PHONES) + f", mail {EMAIL}. Địa chỉ: {FREE_ADDRESS}.")
    with app.app_context():
        ticket = make_ticket("19333", name=NAME, email=EMAIL, address=FREE_ADDRESS,
                             description=description)
        ticket.lat, ticket.lon = 16.8195, 107.1028
        reference = ticket.reference
        member = make_user("volunteer", "19333").id
        coordinator = make_user("coordinator", None).id
        api_keys.issue("IOC", consent_attested=True)
        db.session.commit()

    bodies = {"open311": client.get("/open311/v2/requests.json").get_data(as_text=True)}
    assert reference in bodies["open311"]
    with app.app_context():
        sign_in(client, db.session.get(User, member))
    bodies["queue"] = client.get("/volunteer/queue").get_data(as_text=True)
    bodies["ticket"] = client.get(f"/volunteer/tickets/{reference}").get_data(as_text=True)
    assert reference in bodies["queue"] and "Nhận yêu cầu này" in bodies["ticket"]
    with app.app_context():
        sign_in(client, db.session.get(User, coordinator))
    bodies["map"] = client.get("/coordinator/").get_data(as_text=True)
    assert reference in bodies["map"]
    token = csrf(client, "/coordinator/dashboard")
    bodies["csv"] = client.post("/coordinator/export", data={"csrf_token": token, "kind": "tickets"}
                                ).get_data().decode("utf-8-sig")
    assert reference in bodies["csv"]

    secrets = [*PHONES, "912345678", "345 678", EMAIL, *NAMES[:6], FREE_ADDRESS, "quán phở Tư"]
    for output, body in bodies.items():
        for secret in secrets:
            assert not _appears(secret, body), (output, secret)
        assert "912345678" not in _digits(body), output
