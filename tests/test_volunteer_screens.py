"""The volunteer's phone screens: queue, my tickets, a ticket and its actions."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.factories import make_ticket, make_user
from tests.queries import count_in
from volunteer.extensions import db
from volunteer.clock import utcnow
from volunteer.models import Ticket, TicketEvent

RESIDENT_NAME = "Nguyễn Thị Lan"
RESIDENT_PHONE = "+84912345678"
RESIDENT_ADDRESS = "12 Lê Duẩn"


class Person:
    """A user's plain values, usable after the app context that made them is gone."""

    def __init__(self, user):
        self.id, self.name, self.version = user.id, user.name, user.session_version

    def get_id(self):
        return f"{self.id}:{self.version}"


@pytest.fixture
def team(app):
    """Two volunteers and a lead of Phường 1's team, a volunteer of Phường 5, and a
    new ticket in Phường 1. Returns plain ids and references."""
    with app.app_context():
        alice = make_user("volunteer", "19333", name="Trần Thị Ánh")
        bob = make_user("volunteer", "19333", name="Lê Văn Bảo")
        lead = make_user("lead", "19333", name="Hồ Thị Lệ")
        stranger = make_user("volunteer", "19348", name="Phan Văn Xa")
        ticket = make_ticket("19333", name=RESIDENT_NAME, phone=RESIDENT_PHONE,
                             address=RESIDENT_ADDRESS, lat=16.8195, lon=107.1028,
                             needs_elderly=True)
        db.session.commit()
        alice, bob, lead, stranger = (Person(u) for u in (alice, bob, lead, stranger))
        return {"alice": alice, "bob": bob, "lead": lead, "stranger": stranger,
                "ref": ticket.reference, "ticket_id": ticket.id}


def act(client, csrf, ref, action, **data):
    # Any page with a form carries the session's token; this one always has one.
    token = csrf(client, "/account/password")
    return client.post(f"/volunteer/tickets/{ref}/{action}", data={"csrf_token": token, **data})


def status_of(app, ticket_id):
    with app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        return ticket.status, ticket.assignee_id


def event_count(app, ticket_id):
    return count_in(app, TicketEvent, TicketEvent.ticket_id == ticket_id)


def has_personal_data(page: str) -> bool:
    return any(x in page for x in (RESIDENT_NAME, RESIDENT_PHONE, "0912 345 678", RESIDENT_ADDRESS))


@pytest.mark.parametrize("path", ["/volunteer/queue", "/volunteer/mine", "/volunteer/tickets/DH-AAAAAA"])
def test_pages_need_sign_in(client, path):
    """Every volunteer page sends a visitor to the sign-in page."""
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_coordinators_do_not_use_the_field_screens(app, client, sign_in):
    """The queue is for volunteers and leads; a coordinator gets 403."""
    with app.app_context():
        coordinator = make_user("coordinator", None)
        db.session.commit()
        coordinator = Person(coordinator)
    sign_in(client, coordinator)
    assert client.get("/volunteer/queue").status_code == 403


def test_queue_shows_the_team_ticket_without_personal_data(client, sign_in, team):
    """The queue lists the team's new ticket with its age and needs, and no personal data."""
    sign_in(client, team["alice"])
    page = client.get("/volunteer/queue").get_data(as_text=True)
    assert team["ref"] in page
    assert "vừa xong" in page
    assert "Người cao tuổi" in page
    assert not has_personal_data(page)


def test_queue_shows_age_in_days(app, client, sign_in, team):
    """A ticket filed three days ago reads "3 ngày trước"."""
    with app.app_context():
        ticket = db.session.get(Ticket, team["ticket_id"])
        ticket.created_at = utcnow() - timedelta(days=3, hours=1)
        db.session.commit()
    sign_in(client, team["alice"])
    assert "3 ngày trước" in client.get("/volunteer/queue").get_data(as_text=True)


def test_other_teams_tickets_are_not_there(client, sign_in, csrf, team, app):
    """Another team's volunteer sees neither the ticket in their queue nor its page (404),
    and cannot act on it (404, nothing changes)."""
    sign_in(client, team["stranger"])
    assert team["ref"] not in client.get("/volunteer/queue?status=open").get_data(as_text=True)
    assert client.get(f"/volunteer/tickets/{team['ref']}").status_code == 404
    token = csrf(client, "/account/password")
    for action in ("claim", "resolve", "assign"):
        response = client.post(f"/volunteer/tickets/{team['ref']}/{action}",
                               data={"csrf_token": token, "outcome": "helped"})
        assert response.status_code == 404
    assert status_of(app, team["ticket_id"]) == ("new", None)


def test_unknown_actions_and_references_are_404(client, sign_in, csrf, team):
    """Made-up actions and references, or hostile ones, answer 404."""
    sign_in(client, team["alice"])
    token = csrf(client, "/account/password")
    assert client.post(f"/volunteer/tickets/{team['ref']}/merge", data={"csrf_token": token}).status_code == 404
    assert client.post(f"/volunteer/tickets/{team['ref']}/cancel", data={"csrf_token": token}).status_code == 404
    assert client.get("/volunteer/tickets/' OR 1=1 --").status_code == 404
    assert client.get("/volunteer/tickets/" + "A" * 500).status_code == 404
    assert client.get(f"/volunteer/tickets/{team['ticket_id']}").status_code == 404


def test_personal_data_appears_only_to_the_holder(client, sign_in, csrf, team, app):
    """Before claiming: category, ward, rough location; after: name, tap-to-call, address,
    directions and timeline. A teammate who does not hold it still sees none."""
    sign_in(client, team["alice"])
    before = client.get(f"/volunteer/tickets/{team['ref']}").get_data(as_text=True)
    assert not has_personal_data(before)
    assert "16.820, 107.103" in before  # rounded to about 100 m
    assert "16.8195" not in before
    response = act(client, csrf, team["ref"], "claim", note="Em sẽ gọi ngay")
    assert response.status_code == 302
    after = client.get(f"/volunteer/tickets/{team['ref']}").get_data(as_text=True)
    assert RESIDENT_NAME in after
    assert f'href="tel:{RESIDENT_PHONE}"' in after
    assert RESIDENT_ADDRESS in after
    assert "https://www.google.com/maps/dir/?api=1&amp;destination=16.819500,107.102800" in after
    assert "Em sẽ gọi ngay" in after  # the timeline, with notes
    teammate = app.test_client()
    sign_in(teammate, team["bob"])
    other_view = teammate.get(f"/volunteer/tickets/{team['ref']}").get_data(as_text=True)
    assert not has_personal_data(other_view)
    assert "Em sẽ gọi ngay" not in other_view
    assert not has_personal_data(teammate.get("/volunteer/queue?status=open").get_data(as_text=True))


def test_lead_sees_personal_data_of_the_team(client, sign_in, team):
    """A team lead sees every team ticket whole, held or not."""
    sign_in(client, team["lead"])
    assert has_personal_data(client.get(f"/volunteer/tickets/{team['ref']}").get_data(as_text=True))


def test_whole_lifecycle_from_the_phone(client, sign_in, csrf, team, app):
    """Claim, start, log a contact, resolve: each one POST, each one event, and the
    resident's tracking page shows every step without personal data or notes."""
    sign_in(client, team["alice"])
    ref = team["ref"]
    assert act(client, csrf, ref, "claim").status_code == 302
    assert act(client, csrf, ref, "start", note="Đang đến nhà bà").status_code == 302
    assert act(client, csrf, ref, "contact", contact_result="answered").status_code == 302
    assert act(client, csrf, ref, "resolve", outcome="helped", note="Đã kích hoạt VNeID").status_code == 302
    assert status_of(app, team["ticket_id"]) == ("resolved", team["alice"].id)
    with app.app_context():
        actions = db.session.scalars(
            select(TicketEvent.action).where(TicketEvent.ticket_id == team["ticket_id"]).order_by(TicketEvent.id)
        ).all()
    assert actions == ["created", "claim", "start", "contact", "resolve"]
    mine = client.get("/volunteer/mine").get_data(as_text=True)
    assert ref in mine and "Đã giải quyết" in mine

    resident = app.test_client()
    token = csrf(resident, "/track")
    resident.post("/track", data={"reference": ref, "phone_last4": RESIDENT_PHONE[-4:], "csrf_token": token})
    page = resident.get(f"/track/{ref}").get_data(as_text=True)
    assert "Tình nguyện viên đã nhận hỗ trợ" in page
    assert "Tình nguyện viên đã liên hệ: Đã nghe máy" in page
    assert "Đã giải quyết: Đã hỗ trợ xong" in page
    assert "Đang đến nhà bà" not in page and "Đã kích hoạt VNeID" not in page
    assert team["alice"].name not in page
    assert RESIDENT_NAME not in page and RESIDENT_ADDRESS not in page


@pytest.mark.parametrize("action,data,message", [
    ("release", {}, "Vui lòng ghi lý do."),
    ("escalate", {"note": "   "}, "Vui lòng ghi lý do."),
    ("resolve", {}, "Vui lòng chọn kết quả hỗ trợ."),
    ("contact", {}, "Vui lòng chọn kết quả cuộc gọi."),
    ("resolve", {"outcome": "<script>alert(1)</script>"}, "Kết quả hỗ trợ không hợp lệ."),
    ("contact", {"contact_result": "maybe"}, "Kết quả cuộc gọi không hợp lệ."),
    ("release", {"note": "x" * 1001}, "Lý do tối đa 1000 ký tự."),
])
def test_missing_or_bad_details_are_refused_and_change_nothing(client, sign_in, csrf, team, app,
                                                              action, data, message):
    """A reason, an outcome or a call result that is missing or wrong gets a clear
    message (400) and leaves the ticket as it was."""
    sign_in(client, team["alice"])
    act(client, csrf, team["ref"], "claim")
    events = event_count(app, team["ticket_id"])
    response = act(client, csrf, team["ref"], action, **data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    assert "<script>alert(1)</script>" not in page
    assert status_of(app, team["ticket_id"]) == ("claimed", team["alice"].id)
    assert event_count(app, team["ticket_id"]) == events


def test_release_and_escalate_with_a_reason(client, sign_in, csrf, team, app):
    """Release returns the ticket to the queue; escalate hands it to coordinators."""
    sign_in(client, team["alice"])
    act(client, csrf, team["ref"], "claim")
    assert act(client, csrf, team["ref"], "release", note="Tôi bận đột xuất").status_code == 302
    assert status_of(app, team["ticket_id"]) == ("new", None)
    act(client, csrf, team["ref"], "claim")
    assert act(client, csrf, team["ref"], "escalate", note="Cần cán bộ công an phường").status_code == 302
    assert status_of(app, team["ticket_id"])[0] == "escalated"


def test_illegal_transitions_answer_409_or_403_and_change_nothing(client, sign_in, csrf, team, app):
    """Resolving a queued ticket (409), acting on a teammate's ticket (403) and claiming a
    closed one (409) are refused with a clear message; nothing changes."""
    sign_in(client, team["alice"])
    events = event_count(app, team["ticket_id"])
    response = act(client, csrf, team["ref"], "resolve", outcome="helped")
    assert response.status_code == 409
    assert "Không thể thực hiện thao tác này" in response.get_data(as_text=True)
    assert status_of(app, team["ticket_id"]) == ("new", None)
    assert event_count(app, team["ticket_id"]) == events

    bob = app.test_client()
    sign_in(bob, team["bob"])
    act(bob, csrf, team["ref"], "claim")
    events = event_count(app, team["ticket_id"])
    response = act(client, csrf, team["ref"], "resolve", outcome="helped")
    assert response.status_code == 403
    assert "Bạn không có quyền" in response.get_data(as_text=True)
    response = act(client, csrf, team["ref"], "release", note="muốn lấy")
    assert response.status_code == 403
    assert status_of(app, team["ticket_id"]) == ("claimed", team["bob"].id)
    assert event_count(app, team["ticket_id"]) == events

    act(bob, csrf, team["ref"], "resolve", outcome="helped")
    with app.app_context():
        ticket = db.session.get(Ticket, team["ticket_id"])
        ticket.status = "closed"  # as the nightly close job would leave it
        db.session.commit()
    response = act(client, csrf, team["ref"], "claim")
    assert response.status_code == 409
    assert status_of(app, team["ticket_id"]) == ("closed", team["bob"].id)


def test_claiming_a_held_ticket_says_someone_else_took_it(client, sign_in, csrf, team, app):
    """The second volunteer to press "claim" is told kindly that someone else has it."""
    bob = app.test_client()
    sign_in(bob, team["bob"])
    sign_in(client, team["alice"])
    token = csrf(client, f"/volunteer/tickets/{team['ref']}")  # page opened before Bob claims
    act(bob, csrf, team["ref"], "claim")
    response = client.post(f"/volunteer/tickets/{team['ref']}/claim", data={"csrf_token": token})
    assert response.status_code == 409
    assert "một tình nguyện viên khác vừa nhận yêu cầu này" in response.get_data(as_text=True)


def test_unreachable_only_after_three_unanswered_calls(client, sign_in, csrf, team, app):
    """"Unreachable" is offered and accepted only after three unanswered attempts."""
    sign_in(client, team["alice"])
    act(client, csrf, team["ref"], "claim")
    assert "action-unreachable" not in client.get(f"/volunteer/tickets/{team['ref']}").get_data(as_text=True)
    response = act(client, csrf, team["ref"], "unreachable")
    assert response.status_code == 409
    for _ in range(3):
        act(client, csrf, team["ref"], "contact", contact_result="no_answer")
    assert "action-unreachable" in client.get(f"/volunteer/tickets/{team['ref']}").get_data(as_text=True)
    assert act(client, csrf, team["ref"], "unreachable").status_code == 302
    assert status_of(app, team["ticket_id"])[0] == "unreachable"


def test_lead_assigns_within_the_team_only(client, sign_in, csrf, team, app):
    """A lead assigns a ticket to a team member; another team's volunteer or a bogus id
    is refused; a volunteer cannot assign at all."""
    sign_in(client, team["lead"])
    page = client.get(f"/volunteer/tickets/{team['ref']}").get_data(as_text=True)
    assert team["bob"].name in page and team["stranger"].name not in page
    for bad in (str(team["stranger"].id), "abc", "999999"):
        response = act(client, csrf, team["ref"], "assign", assignee=bad)
        assert response.status_code == 400
        assert "Vui lòng chọn một thành viên của tổ." in response.get_data(as_text=True)
    assert status_of(app, team["ticket_id"]) == ("new", None)
    assert act(client, csrf, team["ref"], "assign", assignee=str(team["bob"].id)).status_code == 302
    assert status_of(app, team["ticket_id"]) == ("claimed", team["bob"].id)

    volunteer = app.test_client()
    sign_in(volunteer, team["alice"])
    response = act(volunteer, csrf, team["ref"], "assign", assignee=str(team["alice"].id))
    assert response.status_code == 403
    assert status_of(app, team["ticket_id"]) == ("claimed", team["bob"].id)


def test_queue_filters_order_and_pages(app, client, sign_in, team):
    """Category and status filters, oldest first, and pages of 20 without repeats."""
    with app.app_context():
        base = utcnow()
        for index in range(25):
            ticket = make_ticket("19333", category_code="cashless", description=f"Mẫu {index}")
            ticket.created_at = base - timedelta(hours=index + 1)
        db.session.commit()
    sign_in(client, team["alice"])
    first = client.get("/volunteer/queue?category=cashless&order=oldest").get_data(as_text=True)
    second = client.get("/volunteer/queue?category=cashless&order=oldest&page=2").get_data(as_text=True)
    refs_first = re.findall(r"/volunteer/tickets/(DH-\w+)", first)
    refs_second = re.findall(r"/volunteer/tickets/(DH-\w+)", second)
    assert len(refs_first) == 20 and len(refs_second) == 5
    assert not set(refs_first) & set(refs_second)
    assert team["ref"] not in refs_first + refs_second  # a vneid ticket
    assert first.index("Mẫu 24") < first.index("Mẫu 10")
    assert 'rel="next"' in first and 'rel="next"' not in second
    assert "Không có yêu cầu nào" in client.get("/volunteer/queue?status=claimed").get_data(as_text=True)


def test_nearest_first_orders_by_distance_and_shows_it(app, client, sign_in, team):
    """With the phone's position, the nearest ticket comes first with its distance."""
    with app.app_context():
        far = make_ticket("19333", lat=16.8150, lon=107.1000, description="Xa hơn")
        near = make_ticket("19333", lat=16.8236, lon=107.1041, description="Gần nhất")
        db.session.commit()
        far_ref, near_ref = far.reference, near.reference
    sign_in(client, team["alice"])
    page = client.get("/volunteer/queue?order=nearest&lat=16.8240&lon=107.1045").get_data(as_text=True)
    order = re.findall(r"/volunteer/tickets/(DH-\w+)", page)
    assert order.index(near_ref) < order.index(team["ref"]) < order.index(far_ref)
    assert re.search(r'class="distance">0,\d km', page)  # Vietnamese decimal comma


@pytest.mark.parametrize("query,message", [
    ("status=everything", "Trạng thái không hợp lệ."),
    ("category=<script>", "Nội dung không hợp lệ."),
    ("order=random", "Cách sắp xếp không hợp lệ."),
    ("order=nearest&lat=abc&lon=1", "Vị trí không hợp lệ."),
    ("order=nearest&lat=nan&lon=107", "Vị trí không hợp lệ."),
    ("page=-3", "Số trang không hợp lệ."),
    ("page=many", "Số trang không hợp lệ."),
])
def test_bad_queue_parameters_get_a_message(client, sign_in, team, query, message):
    """Nonsense in the query string is named in Vietnamese and the default queue shown."""
    sign_in(client, team["alice"])
    response = client.get("/volunteer/queue?" + query)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    assert "<script>" not in page
    assert team["ref"] in page


def test_nearest_without_a_position_falls_back_to_newest(client, sign_in, team):
    """Without the phone's position "nearest" says so and lists newest first."""
    sign_in(client, team["alice"])
    response = client.get("/volunteer/queue?order=nearest")
    assert response.status_code == 200
    assert "Cần vị trí của bạn" in response.get_data(as_text=True)


@pytest.mark.parametrize("action", ["claim", "start", "contact", "resolve", "release",
                                    "escalate", "unreachable", "assign"])
def test_every_action_needs_a_csrf_token(client, sign_in, team, app, action):
    """A POST without a valid CSRF token is refused (400) and changes nothing."""
    sign_in(client, team["lead"])
    for data in ({}, {"csrf_token": "forged"}):
        response = client.post(f"/volunteer/tickets/{team['ref']}/{action}",
                               data={**data, "note": "x", "outcome": "helped",
                                     "contact_result": "answered", "assignee": str(team["bob"].id)})
        assert response.status_code == 400
    assert status_of(app, team["ticket_id"]) == ("new", None)


@pytest.mark.parametrize("path", ["/logout", "/account/password"])
def test_account_posts_need_a_csrf_token(client, sign_in, team, path):
    """Signing out and changing a password need the token too."""
    sign_in(client, team["alice"])
    response = client.post(path, data={"current": "mat-khau-an-toan", "new": "abcdefghij",
                                       "confirm": "abcdefghij"})
    assert response.status_code == 400
    assert client.get("/volunteer/queue").status_code == 200


def test_pages_stay_small(app, client, sign_in, team):
    """The queue, my tickets and a ticket stay under 100 kB even with a big backlog."""
    with app.app_context():
        for _ in range(30):
            make_ticket("19333", description="Cần hỗ trợ " * 150)
        db.session.commit()
    sign_in(client, team["alice"])
    for path in ("/volunteer/queue", "/volunteer/mine", f"/volunteer/tickets/{team['ref']}"):
        assert len(client.get(path).data) < 100_000
