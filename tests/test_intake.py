"""The resident's path: ask for help, get a reference, track, cancel, reopen."""
import re

import pytest
from sqlalchemy import select

from volunteer import tickets
from volunteer.extensions import db
from volunteer.lifecycle import Actor
from volunteer.models import Ticket, TicketEvent

from .factories import hidden_fields, make_user, submit_request_form, team_of, valid_request_form, ward
from .queries import count, count_in


def reference_from(response) -> str:
    match = re.search(r"/submitted/(DH-[A-Z0-9]{6})", response.headers["Location"])
    assert match, response.headers.get("Location")
    return match.group(1)


def test_a_request_reaches_the_picked_wards_team(app, client):
    """A complete submission creates one ticket in the picked ward's team queue, with an event."""
    response = submit_request_form(client)
    assert response.status_code == 302
    reference = reference_from(response)
    with app.app_context():
        ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference))
        assert ticket.ward_id == ward("19336").id
        assert ticket.team_id == team_of("19336").id
        assert ticket.phone == "+84912345678" and ticket.phone_last4 == "5678"
        assert ticket.status == "new" and ticket.channel == "web"
        assert ticket.consent_at is not None
        assert [e.action for e in ticket.events] == ["created"]


def test_confirmation_shows_reference_next_steps_and_qr(client):
    """The confirmation page shows the reference, what happens next and an SVG QR code."""
    response = submit_request_form(client)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    reference = reference_from(response)
    assert reference in page
    assert "<svg" in page and "Tiếp theo" in page
    assert f"/track/{reference}" in page


def test_references_are_short_and_not_sequential(app, client):
    """Two requests in a row get unrelated references of the DH-XXXXXX form."""
    first = reference_from(submit_request_form(client))
    second = reference_from(submit_request_form(client))
    assert first != second
    assert re.fullmatch(r"DH-[2-9A-HJKMNP-Z]{6}", first)


def test_an_id_number_in_the_description_is_masked(app, client):
    """A 12-digit chip ID typed by mistake never reaches the database."""
    reference = reference_from(submit_request_form(client, description="CCCD của tôi 045123456789"))
    with app.app_context():
        ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference))
        assert "045123456789" not in ticket.description
        assert "************" in ticket.description


def test_unknown_ward_with_a_known_street_is_routed_by_address(app, client):
    """"I don't know" plus an address the gazetteer knows routes by the geocoded point."""
    reference = reference_from(submit_request_form(client, ward="", address="8 Đông Lễ"))
    with app.app_context():
        ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference))
        assert ticket.ward_id == ward("19336").id
        assert ticket.location_source == "geocoded"


def test_device_location_routes_when_no_ward_is_picked(app, client):
    """The "use my location" point routes by polygon."""
    reference = reference_from(
        submit_request_form(client, ward="", address="", lat="16.7835", lon="107.0864", location_source="device")
    )
    with app.app_context():
        ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference))
        assert ticket.ward_id == ward("19351").id and ticket.location_source == "device"


def test_request_nobody_can_place_goes_to_triage(app, client):
    """No ward, no location, unknown address: a ticket with no ward and no team."""
    reference = reference_from(submit_request_form(client, ward="", address="xóm Bầu, nơi nào đó"))
    with app.app_context():
        ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference))
        assert ticket.ward_id is None and ticket.team_id is None and ticket.status == "new"


def test_merged_ward_is_resolved_to_one_of_its_areas(app, client):
    """Picking the new Phường Đông Hà with an address in Đông Thanh routes to Đông Thanh."""
    reference = reference_from(submit_request_form(client, ward="19333:2025", address="Đông Thanh"))
    with app.app_context():
        ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference))
        assert ticket.ward_id == ward("19339").id
        assert ticket.requested_ward_id == ward("19333", "2025").id


def test_picked_ward_that_disagrees_with_location_is_flagged(app, client):
    """The pick is kept, and the disagreement is flagged for coordinators."""
    reference = reference_from(
        submit_request_form(client, ward="19336:2008", lat="16.7835", lon="107.0864", location_source="device")
    )
    with app.app_context():
        ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference))
        assert ticket.ward_id == ward("19336").id and ticket.ward_flagged


def test_poster_link_preselects_the_ward_and_records_qr_point(app, client):
    """A community point's QR link opens the form with its ward chosen and channel qr_point."""
    page = client.get("/?ward=19342:2008&via=qr").get_data(as_text=True)
    assert re.search(r'<option selected value="19342:2008">|<option value="19342:2008" selected', page)
    response = submit_request_form(client, url="/?ward=19342:2008&via=qr", ward="19342:2008")
    reference = reference_from(response)
    with app.app_context():
        ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference))
        assert ticket.channel == "qr_point"


def test_poster_page_has_a_qr_of_the_ward_link(client):
    """The printable poster carries a QR code of the ward's form link."""
    page = client.get("/poster/19342:2008").get_data(as_text=True)
    assert "<svg" in page and "ward=19342" in page
    assert client.get("/poster/99999:2008").status_code == 404


def test_double_submit_creates_one_ticket(app, client):
    """Pressing send twice (same form, same submission key) makes one ticket."""
    page = client.get("/").get_data(as_text=True)
    payload = {**hidden_fields(page), **valid_request_form()}
    first = client.post("/", data=payload)
    second = client.post("/", data=payload)
    assert reference_from(first) == reference_from(second)
    assert count_in(app, Ticket) == 1


# --- tracking -------------------------------------------------------------------


def track(client, reference, digits):
    token = hidden_fields(client.get("/track").get_data(as_text=True))["csrf_token"]
    return client.post("/track", data={"csrf_token": token, "reference": reference, "phone_last4": digits})


def test_tracking_needs_reference_and_last_four_digits(app, client):
    """With the right reference and digits the status page opens; no personal data on it."""
    reference = reference_from(submit_request_form(client))
    other = app.test_client()
    response = track(other, reference.lower().replace("-", " "), "5678")
    assert response.status_code == 302
    page = other.get(response.headers["Location"]).get_data(as_text=True)
    assert "Đang chờ tiếp nhận" in page and "Đã tiếp nhận yêu cầu" in page
    for private in ("Nguyễn Thị Lan", "0912", "+8491", "12 Lê Duẩn"):
        assert private not in page


def test_wrong_digits_and_wrong_reference_answer_alike(app, client):
    """A wrong phone ending and an unknown reference give the same "not found"."""
    reference = reference_from(submit_request_form(client))
    other = app.test_client()
    wrong_digits = track(other, reference, "0000")
    wrong_reference = track(other, "DH-ZZZZZZ", "5678")
    assert wrong_digits.status_code == wrong_reference.status_code == 404
    message = "Không tìm thấy yêu cầu với mã và 4 số cuối điện thoại này."
    assert message in wrong_digits.get_data(as_text=True)
    assert message in wrong_reference.get_data(as_text=True)
    assert other.get(f"/track/{reference}").get_data(as_text=True).count("Đang chờ tiếp nhận") == 0


def test_repeated_tracking_guesses_are_rate_limited(make_app):
    """After a handful of wrong guesses the next one is refused with 429."""
    app = make_app(RATELIMIT_TRACKING="5 per minute")
    client = app.test_client()
    statuses = [track(client, "DH-ZZZZZZ", "1234").status_code for _ in range(6)]
    assert statuses[:5] == [404] * 5 and statuses[5] == 429


def test_resident_cancels_before_work_starts(app, client):
    """Cancel works on a new ticket and is written to the timeline."""
    reference = reference_from(submit_request_form(client))
    page = client.get(f"/track/{reference}").get_data(as_text=True)
    assert f'href="/track/{reference}/cancel"' in page
    confirm = client.get(f"/track/{reference}/cancel").get_data(as_text=True)
    fields = hidden_fields(confirm)
    assert fields["confirmed"] == "yes" and "Có, huỷ yêu cầu" in confirm
    response = client.post(f"/track/{reference}/cancel", data=fields)
    assert response.status_code == 302
    with app.app_context():
        ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference))
        assert ticket.status == "cancelled" and ticket.cancelled_at is not None
        assert [e.action for e in ticket.events] == ["created", "cancel"]


def test_cancel_once_work_started_is_refused(app, client):
    """Once a volunteer has started, the resident's cancel answers 409 and changes nothing."""
    reference = reference_from(submit_request_form(client))
    with app.app_context():
        ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference))
        volunteer = make_user("volunteer", "19336")
        actor = Actor.for_user(volunteer)
        tickets.apply_transition(ticket, "claim", actor)
        tickets.apply_transition(ticket, "start", actor)
        db.session.commit()
    page = client.get(f"/track/{reference}").get_data(as_text=True)
    assert "Huỷ yêu cầu" not in page
    token = hidden_fields(client.get("/track").get_data(as_text=True))["csrf_token"]
    response = client.post(f"/track/{reference}/cancel", data={"csrf_token": token, "confirmed": "yes"})
    assert response.status_code == 409
    with app.app_context():
        ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference))
        assert ticket.status == "in_progress"


def test_still_not_solved_reopens_a_resolved_ticket(app, client):
    """"Still not solved" moves a resolved ticket back to the team's queue."""
    reference = reference_from(submit_request_form(client))
    with app.app_context():
        ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference))
        actor = Actor.for_user(make_user("volunteer", "19336"))
        tickets.apply_transition(ticket, "claim", actor)
        tickets.apply_transition(ticket, "resolve", actor, outcome="helped")
        db.session.commit()
    page = client.get(f"/track/{reference}").get_data(as_text=True)
    assert "Vẫn chưa giải quyết được" in page
    token = hidden_fields(page)["csrf_token"]
    client.post(f"/track/{reference}/reopen", data={"csrf_token": token, "note": "vẫn lỗi"})
    with app.app_context():
        ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference))
        assert ticket.status == "new" and ticket.assignee_id is None and ticket.reopen_count == 1
        assert ticket.events[-1].action == "reopen"


def test_resident_actions_need_the_tracking_proof(app, client):
    """Someone who only knows the reference cannot cancel the ticket."""
    reference = reference_from(submit_request_form(client))
    stranger = app.test_client()
    token = hidden_fields(stranger.get("/track").get_data(as_text=True))["csrf_token"]
    response = stranger.post(f"/track/{reference}/cancel", data={"csrf_token": token})
    assert response.status_code == 404
    with app.app_context():
        assert db.session.scalar(select(Ticket.status).where(Ticket.reference == reference)) == "new"


# --- bad input ------------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"name": ""}, "Vui lòng nhập họ tên."),
        ({"name": "A" * 121}, "Họ tên tối đa 120 ký tự."),
        ({"phone": ""}, "Vui lòng nhập số điện thoại."),
        ({"phone": "không có"}, "Số điện thoại không hợp lệ"),
        ({"phone": "0912abc678"}, "Số điện thoại không hợp lệ"),
        ({"ward": "99999:2008"}, "Lựa chọn không hợp lệ"),
        ({"ward": "' OR 1=1 --"}, "Lựa chọn không hợp lệ"),
        ({"category": ""}, "Vui lòng chọn nội dung cần hỗ trợ."),
        ({"category": "hack"}, "Lựa chọn không hợp lệ"),
        ({"description": "x" * 10_000}, "Mô tả tối đa 2000 ký tự."),
        ({"address": "y" * 301}, "Địa chỉ tối đa 300 ký tự."),
        ({"consent": None}, "Cần có sự đồng ý của bạn"),
        ({"lat": "999", "lon": "107.1"}, "Vị trí không hợp lệ."),
        ({"lat": "abc", "lon": "107.1"}, "Vị trí không hợp lệ."),
        ({"needs_home_visit": "y", "address": ""}, "Vui lòng nhập địa chỉ"),
        ({"submission_key": "<script>"}, "Biểu mẫu không hợp lệ"),
    ],
)
def test_bad_input_gets_a_clear_message_and_creates_nothing(app, client, overrides, message):
    """Each malformed field is answered with its message, in Vietnamese, and no ticket."""
    response = submit_request_form(client, **overrides)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert count_in(app, Ticket) == 0


def test_invalid_choice_is_explained_in_vietnamese(client):
    """A ward that does not exist is explained in the resident's language."""
    page = submit_request_form(client, ward="99999:2008").get_data(as_text=True)
    assert "Lựa chọn không hợp lệ" in page


def test_missing_csrf_token_is_refused(app, client):
    """A post without the form's CSRF token is refused and creates nothing."""
    response = client.post("/", data=valid_request_form())
    assert response.status_code == 400
    assert count_in(app, Ticket) == 0


def test_one_megabyte_body_is_refused(app, client):
    """A 1 MB body is refused before parsing, with a message, and creates nothing."""
    response = submit_request_form(client, description="x" * 1_000_000)
    assert response.status_code == 413
    assert "quá lớn" in response.get_data(as_text=True)
    assert count_in(app, Ticket) == 0


def test_script_is_shown_as_text_and_sql_is_stored_as_text(app, client):
    """Hostile text is stored as typed and escaped when shown back."""
    hostile = "<script>alert(1)</script>'; DROP TABLE tickets; --"
    response = submit_request_form(client, name="", description=hostile)
    page = response.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    reference = reference_from(submit_request_form(client, description=hostile))
    with app.app_context():
        ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference))
        assert ticket.description == hostile
        assert count(TicketEvent) == 1
