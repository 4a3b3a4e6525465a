"""Campaign pages: a coordinator creates a campaign; a volunteer logs visits on the phone,
"log the next house" keeping the street and the campaign."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.factories import category, make_user, ward
from tests.queries import count
from volunteer import campaigns
from volunteer.extensions import db
from volunteer.clock import local_date, utcnow
from volunteer.models import Campaign, Ticket, User, Visit


@pytest.fixture
def users(app):
    with app.app_context():
        made = {"coordinator": make_user("coordinator", None).id,
                "volunteer": make_user("volunteer", "19333").id}
        db.session.commit()
        return made


def signed(app, client, sign_in, user_id):
    with app.app_context():
        sign_in(client, db.session.get(User, user_id))
    return client


@pytest.fixture
def running(app, users):
    with app.app_context():
        today = local_date(utcnow())
        campaign = campaigns.create_campaign(
            name="Tuần lễ VNeID", starts_on=today - timedelta(days=1), ends_on=today + timedelta(days=5),
            category_ids=[category("vneid").id], created_by_id=users["coordinator"])
        db.session.commit()
        return campaign.id


def test_coordinator_creates_a_campaign(app, client, sign_in, users, csrf):
    """The form creates a campaign; an empty target box takes the ward's household count."""
    signed(app, client, sign_in, users["coordinator"])
    with app.app_context():
        vneid, one = category("vneid").id, ward("19333").id
        le = ward("19336")
        le_id, le_households = le.id, le.households
    response = client.post("/campaigns/", data={
        "csrf_token": csrf(client, "/campaigns/"), "name": "Tháng chuyển đổi số",
        "categories": [vneid], "starts_on": "2026-07-01", "ends_on": "2026-07-31",
        f"target_{one}": "120"})
    assert response.status_code == 302
    with app.app_context():
        campaign = db.session.scalar(select(Campaign))
        targets = {t.ward_id: t.target_households for t in campaign.targets}
        assert targets[one] == 120 and targets[le_id] == le_households
    assert client.get(response.headers["Location"]).status_code == 200


@pytest.mark.parametrize("changes", [{"name": ""}, {"ends_on": "2026-06-01"}, {"categories": []},
                                     {"starts_on": "not a date"}, {"target": "-4"}, {"target": "lots"}])
def test_campaign_form_refuses_bad_input(app, client, sign_in, users, csrf, changes):
    """Bad names, dates, categories or targets create nothing."""
    changes = dict(changes)  # the parameter is shared by the sqlite and postgresql runs
    signed(app, client, sign_in, users["coordinator"])
    with app.app_context():
        vneid, one = category("vneid").id, ward("19333").id
    data = {"csrf_token": csrf(client, "/campaigns/"), "name": "X", "categories": [vneid],
            "starts_on": "2026-07-01", "ends_on": "2026-07-31"}
    target = changes.pop("target", None)
    data.update(changes)
    if target is not None:
        data[f"target_{one}"] = target
    assert client.post("/campaigns/", data=data).status_code == 400
    with app.app_context():
        assert count(Campaign) == 0


def test_volunteer_logs_the_next_house(app, client, sign_in, users, running, csrf):
    """Saving with "next house" records the visit and comes back with the street kept."""
    signed(app, client, sign_in, users["volunteer"])
    page = client.get("/field/").get_data(as_text=True)
    assert "Tuần lễ VNeID" in page
    with app.app_context():
        ward_id = ward("19333").id
    response = client.post(f"/field/?campaign={running}", data={
        "csrf_token": csrf(client, "/field/"), "campaign": running, "ward": ward_id,
        "street": "Lê Duẩn", "household": "12", "outcome": "helped", "next_house": "1",
        "lat": "16.8195", "lon": "107.1028"})
    assert response.status_code == 302
    follow = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'value="Lê Duẩn"' in follow
    with app.app_context():
        visit = db.session.scalar(select(Visit))
        assert (visit.household_label, visit.street, visit.lat) == ("12", "Lê Duẩn", 16.8195)


def test_follow_up_from_the_phone_opens_a_ticket(app, client, sign_in, users, running, csrf):
    """A follow-up needs a phone and consent; with them it opens a door-to-door ticket."""
    signed(app, client, sign_in, users["volunteer"])
    with app.app_context():
        ward_id = ward("19333").id
    data = {"csrf_token": csrf(client, "/field/"), "campaign": running, "ward": ward_id,
            "household": "7 Hàm Nghi", "outcome": "needs_follow_up", "save": "1"}
    refused = client.post(f"/field/?campaign={running}", data=data)
    assert refused.status_code == 400
    assert "số điện thoại" in refused.get_data(as_text=True)
    data.update(resident_phone="0912 000 222", consent="y", resident_name="Ông Tư")
    assert client.post(f"/field/?campaign={running}", data=data).status_code == 302
    with app.app_context():
        ticket = db.session.scalar(select(Ticket))
        assert ticket.channel == "door_to_door" and ticket.phone == "+84912000222"


@pytest.mark.parametrize("changes", [{"outcome": "vanished"}, {"household": ""},
                                     {"ward": "99999"}, {"lat": "999", "lon": "1"},
                                     {"household": "x" * 500}])
def test_bad_visits_are_refused(app, client, sign_in, users, running, csrf, changes):
    """Unknown outcomes, empty or oversized labels, other wards and bad locations save nothing."""
    signed(app, client, sign_in, users["volunteer"])
    with app.app_context():
        ward_id = ward("19333").id
    data = {"csrf_token": csrf(client, "/field/"), "campaign": running, "ward": ward_id,
            "household": "1 Lê Lợi", "outcome": "helped", **changes}
    assert client.post(f"/field/?campaign={running}", data=data).status_code == 400
    with app.app_context():
        assert count(Visit) == 0


def test_roles_on_campaign_pages(app, client, sign_in, users):
    """Volunteers cannot open the coordinators' campaign list; coordinators have no field page."""
    signed(app, client, sign_in, users["volunteer"])
    assert client.get("/campaigns/").status_code == 403
    signed(app, client, sign_in, users["coordinator"])
    assert client.get("/field/").status_code == 403


def test_no_campaign_today(app, client, sign_in, users):
    """Without a running campaign the field page says so."""
    signed(app, client, sign_in, users["volunteer"])
    assert "chưa có chiến dịch" in client.get("/field/").get_data(as_text=True)


def test_coverage_on_the_map(app, client, sign_in, users, running):
    """The map's coverage measure shows the campaign's progress per ward."""
    signed(app, client, sign_in, users["coordinator"])
    html = client.get(f"/coordinator/?measure=coverage&campaign={running}").get_data(as_text=True)
    assert "Độ phủ" in html and "Chọn một chiến dịch" not in html
