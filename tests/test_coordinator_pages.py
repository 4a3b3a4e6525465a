"""Coordinator pages over HTTP: who may open them, what the map and dashboard show,
ticket actions (reassign, merge, set ward), people, and CSV exports."""
import csv
import io
import json
import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from tests.factories import category, make_ticket, make_user, team_of, ward
from tests.queries import count
from volunteer.extensions import db
from volunteer.models import AuditLog, Ticket, TicketEvent, User
from volunteer.vocabulary import RoutingReason

COORDINATOR_GETS = ("/coordinator/", "/coordinator/dashboard", "/coordinator/triage",
                    "/coordinator/tickets/{ticket}", "/coordinator/people", "/campaigns/")
COORDINATOR_POSTS = ("/coordinator/tickets/{ticket}/reassign", "/coordinator/tickets/{ticket}/merge",
                     "/coordinator/tickets/{ticket}/ward", "/coordinator/tickets/{ticket}/close",
                     "/coordinator/people", "/coordinator/people/{user}/active",
                     "/coordinator/wards/{ward}/households", "/coordinator/export", "/campaigns/")


@pytest.fixture
def people(app):
    with app.app_context():
        users = {role: make_user(role, "19333" if role in ("volunteer", "lead") else None)
                 for role in ("volunteer", "lead", "coordinator")}
        ticket = make_ticket("19333", lat=16.8195, lon=107.1028)
        db.session.commit()
        return {role: user.id for role, user in users.items()} | {"ticket": ticket.id,
                                                                    "ward": ward("19333").id}


def as_role(app, client, sign_in, people, role):
    with app.app_context():
        sign_in(client, db.session.get(User, people[role]))
    return client


def fill(url, people):
    return url.format(ticket=people["ticket"], user=people["volunteer"], ward=people["ward"])


@pytest.mark.parametrize("role", ["volunteer", "lead"])
@pytest.mark.parametrize("url", COORDINATOR_GETS)
def test_field_roles_cannot_open_coordinator_pages(app, client, sign_in, people, role, url):
    """A volunteer or a lead gets 403 on every coordinator page."""
    as_role(app, client, sign_in, people, role)
    assert client.get(fill(url, people)).status_code == 403


@pytest.mark.parametrize("url", COORDINATOR_POSTS)
def test_field_roles_cannot_post_coordinator_actions(app, client, sign_in, people, csrf, url):
    """A lead's POST to a coordinator action is refused with 403 and changes nothing."""
    as_role(app, client, sign_in, people, "lead")
    token = csrf(client, "/")  # a valid token, so the refusal is about the role
    response = client.post(fill(url, people), data={"csrf_token": token, "team": "1"})
    assert response.status_code == 403
    with app.app_context():
        assert db.session.get(Ticket, people["ticket"]).team_id == team_of("19333").id


def test_anonymous_is_sent_to_sign_in(app, client, people):
    """Without a session the map redirects (to the sign-in page when it exists)."""
    response = client.get("/coordinator/")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/login"


@pytest.fixture
def coordinator_client(app, client, sign_in, people):
    return as_role(app, client, sign_in, people, "coordinator")


def test_pages_render_for_coordinators(coordinator_client, people):
    """Every coordinator page answers 200 to a coordinator."""
    for url in COORDINATOR_GETS:
        response = coordinator_client.get(fill(url, people))
        assert response.status_code == 200, url


def test_map_figures_equal_a_direct_count(app, coordinator_client):
    """The map's per-ward open counts and drawn points equal a COUNT over the database."""
    with app.app_context():
        for code, n in (("19336", 3), ("19342", 2)):
            for i in range(n):
                make_ticket(code, phone=f"+849120{i:05d}", lat=ward(code).centre_lat,
                            lon=ward(code).centre_lon)
        make_ticket(None, address="")  # triage: no ward, no point
        db.session.commit()
        expected = {w.id: count(Ticket, Ticket.ward_id == w.id,
                                Ticket.status.in_(("new", "claimed", "in_progress", "escalated")))
                    for w in (ward("19333"), ward("19336"), ward("19342"))}
        located = count(Ticket, Ticket.lat.is_not(None))
    html = coordinator_client.get("/coordinator/").get_data(as_text=True)
    for ward_id, open_tickets in expected.items():
        row = re.search(rf'<tr data-ward="{ward_id}"><th scope="row">[^<]*</th><td class="num">(\d+)</td>', html)
        assert int(row.group(1)) == open_tickets
    assert f'data-drawn="{located}"' in html
    assert re.search(r'id="open-total">(\d+)<', html).group(1) == str(sum(expected.values()))


def test_map_page_has_no_cdn_and_nonced_scripts(coordinator_client):
    """Every script carries the CSP nonce; no CDN address remains in the page."""
    response = coordinator_client.get("/coordinator/")
    html = response.get_data(as_text=True)
    nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
    scripts = re.findall(r"<script[^>]*>", html)
    assert scripts and all(f'nonce="{nonce}"' in tag for tag in scripts)
    for cdn in ("cdn.jsdelivr", "cdnjs", "code.jquery", "bootstrapcdn", "unpkg"):
        assert cdn not in html
    assert "/static/vendor/leaflet/leaflet.js" in html


def test_map_caps_points_and_says_so(app, client, sign_in, people):
    """Over the cap, the page draws the cap and says how many there are."""
    with app.app_context():
        for i in range(4):
            make_ticket("19336", phone=f"+849130{i:05d}", lat=16.8235, lon=107.1189)
        db.session.commit()
        capped = app  # config is per app: set the cap on this one
    capped.config["MAP_POINT_CAP"] = 2
    as_role(app, client, sign_in, people, "coordinator")
    html = client.get("/coordinator/?order=oldest").get_data(as_text=True)
    assert 'data-drawn="2"' in html and 'id="cap-note"' in html


@pytest.mark.parametrize("query", ["measure=evil", "start=2026-13-45", "category=abc",
                                   "status=<script>", "resolved_days=9999",
                                   "start=2026-06-10&end=2026-06-01"])
def test_bad_filters_are_refused_kindly(coordinator_client, query):
    """Malformed filters show a message and the unfiltered map, never an error page."""
    response = coordinator_client.get("/coordinator/?" + query)
    assert response.status_code == 200
    assert "Bộ lọc không hợp lệ" in response.get_data(as_text=True)
    assert "<script>" not in response.get_data(as_text=True).split("<main")[1].split("</main>")[0] \
        .replace('<script src', '').replace('<script nonce', '')


def test_measures_render(app, coordinator_client):
    """Each measure colours the map; coverage without a campaign asks for one."""
    for measure in ("open", "per_thousand", "median_resolve"):
        assert coordinator_client.get(f"/coordinator/?measure={measure}").status_code == 200
    html = coordinator_client.get("/coordinator/?measure=coverage").get_data(as_text=True)
    assert "Chọn một chiến dịch" in html


def act_on_ticket(client, csrf, ticket_id, action, **fields):
    """Post a coordinator's action on a ticket with the token of the ticket's page."""
    url = f"/coordinator/tickets/{ticket_id}"
    return client.post(f"{url}/{action}", data={"csrf_token": csrf(client, url), **fields})


def test_reassign_moves_the_ticket_to_another_team(app, coordinator_client, csrf, people):
    """Reassigning writes a reassign event and puts the ticket in the other team's queue."""
    with app.app_context():
        other = team_of("19336").id
    response = act_on_ticket(coordinator_client, csrf, people["ticket"], "reassign", team=other)
    assert response.status_code == 302
    with app.app_context():
        ticket = db.session.get(Ticket, people["ticket"])
        assert ticket.team_id == other and ticket.status == "new"
        assert ticket.events[-1].action == "reassign"


@pytest.mark.parametrize("team", ["99999", "abc", "", "1; DROP TABLE tickets"])
def test_reassign_refuses_bad_teams(app, coordinator_client, csrf, people, team):
    """An unknown or malformed team is refused with a message and changes nothing."""
    response = act_on_ticket(coordinator_client, csrf, people["ticket"], "reassign", team=team)
    assert response.status_code == 400
    with app.app_context():
        assert db.session.get(Ticket, people["ticket"]).team_id == team_of("19333").id


def test_post_without_csrf_is_refused(app, coordinator_client, people):
    """Every coordinator POST needs the CSRF token."""
    response = coordinator_client.post(f"/coordinator/tickets/{people['ticket']}/reassign",
                                       data={"team": "1"})
    assert response.status_code == 400


def test_merge_closes_the_duplicate_with_a_link(app, coordinator_client, csrf, people):
    """Merging cancels the duplicate, links it to the kept ticket, and suggests it first."""
    with app.app_context():
        keep = make_ticket("19333", lat=16.8195, lon=107.1028)  # same phone, category, place
        db.session.commit()
        keep_id, keep_reference = keep.id, keep.reference
    url = f"/coordinator/tickets/{people['ticket']}"
    page = coordinator_client.get(url).get_data(as_text=True)
    assert keep_reference in page.split('id="duplicates"')[1]
    response = act_on_ticket(coordinator_client, csrf, people["ticket"], "merge", reference=keep_reference.lower())
    assert response.status_code == 302
    with app.app_context():
        ticket = db.session.get(Ticket, people["ticket"])
        assert ticket.status == "cancelled" and ticket.duplicate_of_id == keep_id
        assert ticket.events[-1].action == "merge"
        reference, last4 = ticket.reference, ticket.phone_last4
    # Its resident can still track it, and is pointed to the request that carries on.
    resident = app.test_client()
    tracked = resident.post("/track", data={"csrf_token": csrf(resident, "/track"),
                                             "reference": reference, "phone_last4": last4},
                            follow_redirects=True)
    assert tracked.status_code == 200 and keep_reference in tracked.get_data(as_text=True)


@pytest.mark.parametrize("reference", ["DH-NOPE00", "", "<script>", "x" * 500])
def test_merge_refuses_unknown_references(app, coordinator_client, csrf, people, reference):
    """Merging into nothing (or itself) is refused and changes nothing."""
    response = act_on_ticket(coordinator_client, csrf, people["ticket"], "merge", reference=reference)
    assert response.status_code == 400
    with app.app_context():
        assert db.session.get(Ticket, people["ticket"]).status == "new"


def test_triage_sets_the_ward_and_routes_the_ticket(app, coordinator_client, csrf):
    """A ticket without a ward gets one from the triage list and reaches that ward's team."""
    with app.app_context():
        lost = make_ticket(None, address="")
        db.session.commit()
        lost_id, target = lost.id, ward("19345")
        target_id, target_team = target.id, team_of("19345").id
    html = coordinator_client.get("/coordinator/triage").get_data(as_text=True)
    assert f"/coordinator/tickets/{lost_id}/ward" in html
    response = coordinator_client.post(f"/coordinator/tickets/{lost_id}/ward", data={
        "csrf_token": csrf(coordinator_client, "/coordinator/triage"), "ward": target_id,
        "back": "triage"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/coordinator/triage")
    with app.app_context():
        ticket = db.session.get(Ticket, lost_id)
        assert (ticket.ward_id, ticket.team_id) == (target_id, target_team)


def test_manage_people(app, coordinator_client, csrf, people):
    """Add a volunteer, make them lead, move them, deactivate them; each leaves an audit row."""
    token = csrf(coordinator_client, "/coordinator/people")
    with app.app_context():
        team, other = team_of("19333").id, team_of("19336").id
    response = coordinator_client.post("/coordinator/people", data={
        "csrf_token": token, "name": "Hồ Thị Mai", "phone": "0905 111 222", "email": "",
        "role": "volunteer", "team": team, "password": "mat-khau-moi-1"})
    assert response.status_code == 302
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.phone == "+84905111222"))
    for url, data in ((f"/coordinator/people/{user_id}/role", {"role": "lead"}),
                      (f"/coordinator/people/{user_id}/team", {"team": other}),
                      (f"/coordinator/people/{user_id}/active", {"active": "0"})):
        assert coordinator_client.post(url, data={"csrf_token": token, **data}).status_code == 302
    with app.app_context():
        user = db.session.get(User, user_id)
        assert (user.role, user.team_id, user.active) == ("lead", other, False)
        actions = [a for (a,) in db.session.execute(select(AuditLog.action).order_by(AuditLog.id))]
        assert actions == ["user_added", "role_changed", "user_moved", "user_deactivated"]


@pytest.mark.parametrize("changes", [
    {"phone": "12345"}, {"name": ""}, {"password": "short"}, {"role": "emperor"},
    {"email": "not-an-email"}, {"team": "99999"},
])
def test_add_person_refuses_bad_input(app, coordinator_client, csrf, changes):
    """Bad names, phones, passwords, roles, e-mails or teams add nobody."""
    with app.app_context():
        before = count(User)
        team = team_of("19333").id
    data = {"csrf_token": csrf(coordinator_client, "/coordinator/people"), "name": "A",
            "phone": "0905111333", "role": "volunteer", "team": team, "password": "mat-khau-dai",
            **changes}
    response = coordinator_client.post("/coordinator/people", data=data)
    assert response.status_code == 400
    with app.app_context():
        assert count(User) == before


def test_households_edit(app, coordinator_client, csrf, people):
    """A coordinator sets a ward's household count; a negative one is refused."""
    token = csrf(coordinator_client, "/coordinator/people")
    url = f"/coordinator/wards/{people['ward']}/households"
    assert coordinator_client.post(url, data={"csrf_token": token, "households": "900"}).status_code == 302
    assert coordinator_client.post(url, data={"csrf_token": token, "households": "-5"}).status_code == 400
    with app.app_context():
        assert ward("19333").households == 900


def export(client, csrf, **data):
    token = csrf(client, "/coordinator/dashboard")
    return client.post("/coordinator/export", data={"csrf_token": token, "kind": "tickets", **data})


def test_export_without_the_box_has_no_personal_data(app, coordinator_client, csrf, people):
    """The CSV starts with a BOM and holds no name, phone, e-mail or address; the export is audited."""
    response = export(coordinator_client, csrf)
    assert response.status_code == 200
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    text = body.decode("utf-8-sig")
    for secret in ("Nguyễn Thị Lan", "912345678", "5678", "12 Lê Duẩn", "Cần kích hoạt VNeID"):
        assert secret not in text
    rows = list(csv.reader(io.StringIO(text)))
    assert "resident_name" not in rows[0] and len(rows) == 2
    with app.app_context():
        entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "export"))
        assert json.loads(entry.detail)["personal_data"] is False


def test_export_with_the_box_is_recorded(app, coordinator_client, csrf, people):
    """Ticking the box adds the personal columns and an export_personal_data audit row."""
    response = export(coordinator_client, csrf, personal="y")
    text = response.get_data().decode("utf-8-sig")
    assert "Nguyễn Thị Lan" in text and "'+84912345678" in text
    with app.app_context():
        entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "export_personal_data"))
        assert entry.user_id == people["coordinator"]


def test_export_neutralises_formulas_and_applies_filters(app, coordinator_client, csrf):
    """A cell starting with = is prefixed; the category filter leaves other tickets out."""
    with app.app_context():
        make_ticket("19336", name="=HYPERLINK(\"http://evil\")", category_code="cashless",
                    phone="+84913000001")
        cashless = category("cashless").id
        db.session.commit()
    text = export(coordinator_client, csrf, personal="y", category=str(cashless)) \
        .get_data().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 2
    assert rows[1][rows[0].index("resident_name")].startswith("'=HYPERLINK")


@pytest.mark.parametrize("data", [{"kind": "passwords"}, {"status": "<x>"}, {"start": "yesterday"},
                                  {"category": "abc"}])
def test_export_refuses_bad_input(app, coordinator_client, csrf, data):
    """Unknown kinds and malformed filters are refused and leave no audit row."""
    assert export(coordinator_client, csrf, **data).status_code == 400
    with app.app_context():
        assert count(AuditLog) == 0


def test_visits_export(app, coordinator_client, csrf):
    """Visits export as CSV with a BOM, household labels only with the box."""
    response = export(coordinator_client, csrf, kind="visits")
    assert response.status_code == 200 and response.get_data().startswith("\ufeff".encode())
    assert "household" not in response.get_data(as_text=True).splitlines()[0]


def test_dashboard_tables_and_chart(app, coordinator_client):
    """The dashboard lists wards and teams, the attention list and an SVG chart."""
    html = coordinator_client.get("/coordinator/dashboard").get_data(as_text=True)
    assert 'id="ward-table"' in html and 'id="team-table"' in html
    assert "<svg" in html and 'class="bar"' in html


def test_dashboard_hostile_category_names_are_escaped(app, coordinator_client):
    """Names shown in the chart and tables are escaped."""
    with app.app_context():
        category("cashless").name_vi = "<script>alert(1)</script>"
        db.session.commit()
    html = coordinator_client.get("/coordinator/dashboard").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_ticket_page_unknown_is_404(coordinator_client):
    """An unknown ticket id is a 404."""
    assert coordinator_client.get("/coordinator/tickets/999999").status_code == 404


def test_step_event_recorded(app, coordinator_client, csrf, people):
    """Return to queue on an escalated ticket goes through the lifecycle and writes an event."""
    with app.app_context():
        from volunteer import tickets
        from volunteer.lifecycle import Actor

        ticket = db.session.get(Ticket, people["ticket"])
        tickets.apply_transition(ticket, "escalate", Actor.for_user(db.session.get(User, people["lead"])),
                                 note="Không rõ")
        db.session.commit()
    response = act_on_ticket(coordinator_client, csrf, people["ticket"], "return_to_queue")
    assert response.status_code == 302
    again = act_on_ticket(coordinator_client, csrf, people["ticket"], "return_to_queue")
    assert again.status_code == 409
    with app.app_context():
        assert count(TicketEvent, TicketEvent.ticket_id == people["ticket"],
                     TicketEvent.action == "return_to_queue") == 1


def test_dashboard_figures_equal_a_direct_count(app, coordinator_client, people):
    """Each ward row's waiting/held/in-progress/escalated equals a COUNT over the database."""
    with app.app_context():
        from volunteer import tickets
        from volunteer.lifecycle import Actor

        volunteer = db.session.get(User, people["volunteer"])
        for i in range(3):
            make_ticket("19336", phone=f"+849140{i:05d}")
        held = make_ticket("19333", phone="+84914100000")
        tickets.apply_transition(held, "claim", Actor.for_user(volunteer))
        db.session.commit()
        expected = {}
        for code in ("19333", "19336", "19345"):
            w = ward(code)
            expected[w.id] = [count(Ticket, Ticket.ward_id == w.id, Ticket.status == status)
                              for status in ("new", "claimed", "in_progress", "escalated")]
    html = coordinator_client.get("/coordinator/dashboard").get_data(as_text=True)
    table = html.split('id="ward-table"')[1].split("</table>")[0]
    for ward_id, counts in expected.items():
        row = table.split(f'<tr data-key="{ward_id}">')[1].split("</tr>")[0]
        cells = [int(c) for c in re.findall(r'<td class="num">(\d+)</td>', row)[:4]]
        assert cells == counts


def test_triage_and_ticket_page_say_why_routing_could_not_decide(app, coordinator_client):
    """An address in another town waits in triage, and the coordinator sees why."""
    with app.app_context():
        outside = make_ticket(None, address="Phường 2, TX Quảng Trị")
        db.session.commit()
        outside_id = outside.id
        assert (outside.ward_id, outside.team_id) == (None, None)
        assert outside.routing_reason == RoutingReason.OUT_OF_AREA
    html = coordinator_client.get("/coordinator/triage").get_data(as_text=True)
    assert "Địa chỉ ở ngoài thành phố" in html
    page = coordinator_client.get(f"/coordinator/tickets/{outside_id}").get_data(as_text=True)
    assert "Địa chỉ ở ngoài thành phố" in page


def test_export_dates_are_iso_8601_with_the_local_offset(coordinator_client, csrf, people):
    """created_at in the CSV reads the same in every spreadsheet: 2026-12-02T10:24:00+07:00."""
    rows = list(csv.reader(io.StringIO(export(coordinator_client, csrf).get_data().decode("utf-8-sig"))))
    created_at = rows[1][rows[0].index("created_at")]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+07:00", created_at), created_at


def test_ticket_page_shows_the_phone_as_read_aloud_and_the_channel(coordinator_client, people):
    """The coordinator's ticket page says 0912 345 678 (as the volunteer's does) and how the request came."""
    html = coordinator_client.get(f"/coordinator/tickets/{people['ticket']}").get_data(as_text=True)
    assert ">0912 345 678</a>" in html and "+84912345678</a>" not in html
    assert re.search(r'<dd id="channel">Biểu mẫu trên web</dd>', html)


@pytest.mark.parametrize("start", ["01/06/2026", "2026-06-01"])
def test_filters_read_days_as_written_and_from_older_links(coordinator_client, start):
    """A day typed dd/mm/yyyy and an ISO day from a bookmark are both accepted; the box asks for dd/mm/yyyy."""
    response = coordinator_client.get(f"/coordinator/dashboard?start={start}&end=not-a-day")
    html = response.get_data(as_text=True)
    assert html.count('class="error"') == 1  # the end, not the start
    assert 'placeholder="dd/mm/yyyy"' in html
