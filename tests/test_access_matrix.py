"""Every URL of the app × every role: the expected status, and no personal data outside
the role's scope. A route missing from EXPECTED fails the suite, so nobody adds a page
without deciding who may open it."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from volunteer import tickets
from volunteer.extensions import db
from volunteer.lifecycle import Actor
from volunteer.models import Campaign, CampaignTarget, User

from .factories import category, make_ticket, team_of, ward

ROLES = ("anonymous", "other_team", "volunteer", "holder", "lead", "coordinator", "admin")
STAFF = ROLES[1:]
# Who may see the resident's name and phone of the ticket under test (held by
# "holder" in the team of ward 19333): its holder, its team's lead, coordinators.
SEES_RESIDENT = {"holder", "lead", "coordinator", "admin"}
RESIDENT_NAME = "Đặng Thị Thu Mai"
RESIDENT_PHONE = "+84935771234"
RESIDENT_ADDRESS = "88 Trần Hưng Đạo"
TEAM_LISTS = {"volunteers.queue", "volunteers.mine", "campaigns.field"}


def same(status):
    return dict.fromkeys(ROLES, status)


def staff(anonymous, **by_role):
    """Anonymous gets `anonymous`; each staff role gets what it is given."""
    table = {"anonymous": anonymous}
    table.update(by_role)
    missing = set(STAFF) - set(by_role)
    assert not missing, missing
    return table


def field_only(ok, other_team=None, login=302):
    return staff(login, other_team=ok if other_team is None else other_team, volunteer=ok,
                 holder=ok, lead=ok, coordinator=403, admin=403)


def coordinators_only(ok, login=302):
    return staff(login, other_team=403, volunteer=403, holder=403, lead=403, coordinator=ok,
                 admin=ok)


def signed_in(ok, login=302):
    return staff(login, **dict.fromkeys(STAFF, ok))


# (endpoint, method) → role → status. GET/POST as a browser would send them: POSTs
# carry a valid CSRF token and no other field, so they are refused or fail validation
# rather than change anything.
EXPECTED: dict[tuple[str, str], dict[str, int]] = {
    # The resident's side and the probes: the same for everyone. Tracking pages show
    # nothing of a ticket this browser has not proved (reference + last four digits).
    ("public.ask", "GET"): same(200),
    ("public.ask", "POST"): same(400),
    ("public.poster", "GET"): same(200),
    ("public.set_language", "GET"): same(302),
    ("public.submitted", "GET"): same(302),
    ("public.track", "GET"): same(200),
    ("public.track", "POST"): same(400),
    ("public.track_ticket", "GET"): same(200),
    ("public.confirm_cancel", "GET"): same(404),
    ("public.resident_action", "POST"): same(404),
    ("ops.favicon", "GET"): same(200),
    # A message's link needs our signature; stopping needs the tracked ticket; the SMS
    # gateway's webhook needs its configured token.
    ("public.message_link", "GET"): same(404),
    ("public.stop_messages", "POST"): same(404),
    ("public.sms_inbound", "GET"): same(404),  # eSMS forwards with GET (signed)
    ("public.sms_inbound", "POST"): same(404),
    ("ops.healthz", "GET"): same(200),
    ("ops.readyz", "GET"): same(200),
    ("static", "GET"): same(200),
    # Open311 ignores the browser session: reads are public (no personal data), writes
    # need an API key.
    ("open311.discovery", "GET"): same(200),
    ("open311.services", "GET"): same(200),
    ("open311.service_definition", "GET"): same(200),
    ("open311.list_requests", "GET"): same(200),
    ("open311.show_request", "GET"): same(200),
    ("open311.create_request", "POST"): same(403),
    ("open311.token", "GET"): same(404),
    **{("open311.elsewhere", m): same(404) for m in ("GET", "POST", "PUT", "PATCH", "DELETE")},
    # Signing in and out.
    ("auth.login", "GET"): staff(200, **dict.fromkeys(STAFF, 302)),
    ("auth.login", "POST"): staff(400, **dict.fromkeys(STAFF, 302)),
    ("auth.logout", "GET"): signed_in(200),
    ("auth.logout", "POST"): signed_in(302),
    ("auth.password", "GET"): signed_in(200),
    ("auth.password", "POST"): signed_in(400),
    # Field screens: volunteers and leads; another team's ticket is a 404 (its
    # existence is not confirmed); the ticket is held, so a claim is a 409.
    ("volunteers.queue", "GET"): field_only(200),
    ("volunteers.mine", "GET"): field_only(200),
    ("volunteers.ticket", "GET"): field_only(200, other_team=404),
    ("volunteers.act", "POST"): field_only(409, other_team=404),
    # Door to door: the other team's volunteer has no campaign in their ward, so the
    # empty form just shows the page again.
    ("campaigns.field", "GET"): field_only(200),
    ("campaigns.field", "POST"): staff(302, other_team=200, volunteer=400, holder=400, lead=400,
                                       coordinator=403, admin=403),
    # The phone app: its manifest and worker script are public (browsers fetch them
    # without cookies) and hold nothing personal; the rest is for field roles.
    ("phone.manifest", "GET"): same(200),
    ("phone.service_worker", "GET"): same(200),
    ("phone.offline_pages", "GET"): field_only(200),
    ("phone.sync_token", "GET"): field_only(200),
    ("phone.offline_page", "GET"): field_only(200),
    ("phone.notifications", "GET"): field_only(200),
    ("phone.mark_notifications_read", "POST"): field_only(302),
    ("phone.alerts_settings", "GET"): field_only(200),
    ("phone.alerts_settings", "POST"): field_only(400),
    ("phone.add_device", "POST"): field_only(400),
    ("phone.forget_device", "POST"): field_only(200),
    # Coordinators and admins only.
    ("coordinator.map", "GET"): coordinators_only(200),
    ("coordinator.dashboard", "GET"): coordinators_only(200),
    ("coordinator.triage", "GET"): coordinators_only(200),
    ("coordinator.ticket", "GET"): coordinators_only(200),
    ("coordinator.people", "GET"): coordinators_only(200),
    ("coordinator.people", "POST"): coordinators_only(400),
    ("coordinator.export", "POST"): coordinators_only(400),
    ("coordinator.households", "POST"): coordinators_only(400),
    ("coordinator.merge", "POST"): coordinators_only(400),
    ("coordinator.move_user", "POST"): coordinators_only(400),
    ("coordinator.reassign", "POST"): coordinators_only(400),
    ("coordinator.set_active", "POST"): coordinators_only(400),
    ("coordinator.set_role", "POST"): coordinators_only(400),
    ("coordinator.set_ward", "POST"): coordinators_only(400),
    ("coordinator.step", "POST"): coordinators_only(409),
    ("campaigns.index", "GET"): coordinators_only(200),
    ("campaigns.index", "POST"): coordinators_only(400),
    ("campaigns.show", "GET"): coordinators_only(200),
    ("campaigns.show", "POST"): coordinators_only(302),
}


_PHONES = iter(range(5000, 10**6))


def quick_user(role, ward_code):
    """A user signed in through the session only: no password hash to compute (scrypt
    is slow by design, and this module makes hundreds of users)."""
    user = User(name=f"{role} {next(_PHONES)}", phone=f"+8497{next(_PHONES):07d}", role=role,
                team_id=team_of(ward_code).id if ward_code else None, password_hash="!")
    db.session.add(user)
    db.session.flush()
    return user


@pytest.fixture
def world(app):
    """The ticket under test, its holder, a user of every role, a campaign."""
    with app.app_context():
        users = {
            "other_team": quick_user("volunteer", "19336"),
            "volunteer": quick_user("volunteer", "19333"),
            "holder": quick_user("volunteer", "19333"),
            "lead": quick_user("lead", "19333"),
            "coordinator": quick_user("coordinator", None),
            "admin": quick_user("admin", None),
        }
        ticket = make_ticket("19333", name=RESIDENT_NAME, phone=RESIDENT_PHONE,
                             address=RESIDENT_ADDRESS, lat=16.8165, lon=107.1010)
        tickets.apply_transition(ticket, "claim", Actor.for_user(users["holder"]))
        campaign = Campaign(name="Chiến dịch VNeID", starts_on=date.today() - timedelta(days=3),
                            ends_on=date.today() + timedelta(days=30))
        campaign.categories.append(category("vneid"))
        campaign.targets.append(CampaignTarget(ward_id=ward("19333").id, target_households=100))
        db.session.add(campaign)
        db.session.commit()
        return {
            "users": {role: user.id for role, user in users.items()},
            "user_objects": users,
            "reference": ticket.reference,
            "ticket_id": ticket.id,
            "campaign_id": campaign.id,
            "ward_id": ward("19333").id,
        }


URL_VALUES = {
    "code": "en",
    "ward_key": "19333:2008",
    "fmt": "json",
    "service_code": "vneid",
    "token": "0123456789abcdef",
    "rest": "nothing-here",
    "filename": "css/app.css",
    "answer": "yes",
}
ACTION_FOR = {
    "public.resident_action": "cancel",
    "volunteers.act": "claim",
    "coordinator.step": "close",
}


def url_for_rule(app, rule, world) -> str:
    from flask import url_for

    values = {}
    for argument in rule.arguments:
        if argument == "reference" or argument == "service_request_id":
            values[argument] = world["reference"]
        elif argument == "ticket_id":
            values[argument] = world["ticket_id"]
        elif argument == "campaign_id":
            values[argument] = world["campaign_id"]
        elif argument == "user_id":
            values[argument] = world["users"]["other_team"]
        elif argument == "ward_id":
            values[argument] = world["ward_id"]
        elif argument == "action":
            values[argument] = ACTION_FOR[rule.endpoint]
        else:
            values[argument] = URL_VALUES[argument]
    with app.test_request_context():
        return url_for(rule.endpoint, **values)


def routes(app):
    """Every (endpoint, method) the app serves, with one rule for each."""
    found = {}
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.setdefault((rule.endpoint, method), rule)
    return found


def resident_data_in(text: str) -> list[str]:
    needles = (RESIDENT_NAME, "Thu Mai", RESIDENT_PHONE, "0935771234", "0935 771 234", "935771234",
               RESIDENT_ADDRESS)
    return [needle for needle in needles if needle in text]


def test_every_route_has_an_expectation(app):
    """The table covers exactly the app's routes: a new page must say who may open it."""
    served = set(routes(app))
    assert served - set(EXPECTED) == set(), "routes without an expected status per role"
    assert set(EXPECTED) - served == set(), "expectations for routes that no longer exist"


@pytest.mark.parametrize("endpoint,method", sorted(EXPECTED), ids=lambda v: str(v))
def test_route_answers_each_role_as_expected(app, world, sign_in, csrf, endpoint, method):
    """Each role gets its expected status, and the resident's data only where the role may see it."""
    from volunteer.models import User

    rule = routes(app).get((endpoint, method))
    if rule is None:
        pytest.fail(f"{endpoint} {method} is in EXPECTED but not served")
    url = url_for_rule(app, rule, world)
    seen = {}
    leaks = {}
    for role in ROLES:
        client = app.test_client()
        if role != "anonymous":
            with app.app_context():
                sign_in(client, db.session.get(User, world["users"][role]))
        if method == "GET":
            response = client.get(url)
        else:
            response = client.open(url, method=method, data={"csrf_token": csrf(client, "/")})
        text = response.get_data(as_text=True)
        response.close()
        seen[role] = response.status_code
        assert response.status_code != 500, (role, text[:500])
        if role not in SEES_RESIDENT and resident_data_in(text):
            leaks[role] = resident_data_in(text)
        # Another team's lists never mention the ticket at all, not even its reference.
        if role == "other_team" and endpoint in TEAM_LISTS and world["reference"] in text:
            leaks[role] = [world["reference"]]
    assert seen == EXPECTED[(endpoint, method)], url
    assert not leaks, f"{url} shows the resident's data to {leaks}"
