"""The phone app's server side: actions replayed once per idempotency key, who hears
what, push delivered signed and encrypted to a push service on 127.0.0.1, the
notifications list, digests, manifest and service worker."""
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from tests.factories import announce_events, category, make_ticket, make_user, ward
from tests.pushservice import PushService, b64encode
from tests.queries import count, count_in
from volunteer import tickets
from volunteer.clock import as_stored
from volunteer.extensions import db
from volunteer.lifecycle import RESIDENT, Action, Actor
from volunteer.models import AlertPreference, Notification, OutboxMessage, PushSubscription, Ticket, TicketEvent, User
from volunteer.notifications import worker
from volunteer.phone import alerts, push

RESIDENT_NAME, RESIDENT_PHONE = "Nguyễn Thị Lan", "+84912345678"


@pytest.fixture
def team(app, tmp_path):
    app.config["VAPID_KEY_FILE"] = str(tmp_path / "vapid_private.pem")
    with app.app_context():
        people = {role: make_user(role, "19333") for role in ("volunteer", "lead")}
        people["other"] = make_user("volunteer", "19333")
        people["coordinator"] = make_user("coordinator", None)
        db.session.commit()
        return {name: user.id for name, user in people.items()}


def user(user_id) -> User:
    return db.session.get(User, user_id)


def held_ticket(holder_id) -> Ticket:
    ticket = make_ticket("19333", name=RESIDENT_NAME, phone=RESIDENT_PHONE)
    tickets.apply_transition(ticket, Action.CLAIM, Actor.for_user(user(holder_id)))
    return ticket


def test_a_replayed_action_is_carried_out_once(app, client, sign_in, csrf, team):
    with app.app_context():
        reference = held_ticket(team["volunteer"]).reference
        db.session.commit()
        sign_in(client, user(team["volunteer"]))
    token = csrf(client, f"/volunteer/tickets/{reference}")
    url = f"/volunteer/tickets/{reference}/contact"
    form = {"csrf_token": token, "contact_result": "answered", "note": "Hẹn chiều"}
    first = client.post(url, data=form, headers={"Idempotency-Key": "key-00000001"})
    again = client.post(url, data=form, headers={"Idempotency-Key": "key-00000001"})
    assert (first.status_code, first.json["outcome"]) == (200, "done")
    assert (again.status_code, again.json["outcome"]) == (200, "repeated")
    assert count_in(app, TicketEvent, TicketEvent.action == "contact") == 1
    assert client.post(url, data=form, headers={"Idempotency-Key": "bad key!"}).status_code == 400

    with app.app_context():  # the lead releases it meanwhile
        ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference))
        tickets.apply_transition(ticket, Action.RELEASE, Actor.for_user(user(team["lead"])), note="vắng")
        db.session.commit()
    start = {"csrf_token": token}
    refused = client.post(f"/volunteer/tickets/{reference}/start", data=start,
                          headers={"Idempotency-Key": "key-00000002"})
    assert refused.status_code == 409 and refused.json["outcome"] == "refused"
    assert refused.json["message"] == f"Yêu cầu {reference} đã được trả về hàng chờ của tổ."
    repeated = client.post(f"/volunteer/tickets/{reference}/start", data=start,
                           headers={"Idempotency-Key": "key-00000002"})
    assert repeated.json == refused.json
    assert count_in(app, TicketEvent, TicketEvent.action == "start") == 0
    # Without the header the page behaves as always.
    plain = client.post(f"/volunteer/tickets/{reference}/start", data=start)
    assert plain.status_code == 409 and plain.mimetype == "text/html"


def _prefer(user_id, mode, hours=(None, None)):
    alerts.set_preference(user_id, mode, *hours)


def test_push_reaches_a_push_service_signed_and_encrypted(app, team):
    with app.app_context():
        service = PushService(push.public_key(app.config))
        try:
            _prefer(team["volunteer"], "immediate")
            _prefer(team["other"], "never")
            for person, name in ((team["volunteer"], "phone"), (team["volunteer"], "tablet"),
                                 (team["volunteer"], "old"), (team["other"], "other")):
                endpoint, device = service.new_device(name)
                push.save_subscription(person, endpoint, device.p256dh, b64encode(device.auth))
            service.answers["/push/old"] = 410
            ticket = make_ticket("19333", name=RESIDENT_NAME, phone=RESIDENT_PHONE)
            db.session.commit()
            tally = worker.drain()
        finally:
            service.stop()
        assert service.errors == []
        assert sorted(r["path"] for r in service.received) == ["/push/old", "/push/phone", "/push/tablet"]
        payload = next(r["payload"] for r in service.received if r["path"] == "/push/phone")
        assert payload == {"title": "Yêu cầu mới trong hàng chờ của tổ",
                           "body": f"{ticket.reference} · Căn cước gắn chip & VNeID · Phường 1",
                           "url": f"/volunteer/tickets/{ticket.reference}",
                           "tag": f"new_request:{ticket.reference}"}
        assert service.received[0]["claims"]["sub"] == "mailto:admin@localhost"
        everything = repr(service.received)
        assert RESIDENT_NAME not in everything and RESIDENT_PHONE[-9:] not in everything
        # The expired device is forgotten; the others stay; nobody who said "never" hears.
        assert (tally.sent, tally.failed) == (2, 1)
        assert count(PushSubscription, PushSubscription.user_id == team["volunteer"]) == 2
        assert count(Notification, Notification.user_id == team["volunteer"],
                     Notification.kind == "new_request") == 1
        assert count(Notification, Notification.user_id == team["other"]) == 0


def _kinds(user_id) -> list[str]:
    return list(db.session.scalars(select(Notification.kind).where(Notification.user_id == user_id)
                                   .order_by(Notification.id)))


def test_who_hears_what(ctx, team):
    volunteer, lead, coordinator = (user(team[k]) for k in ("volunteer", "lead", "coordinator"))
    push.save_subscription(volunteer.id, "https://push.example/v", "key", "auth")
    ticket = make_ticket("19333", name=RESIDENT_NAME, phone=RESIDENT_PHONE)
    tickets.apply_transition(ticket, Action.ASSIGN, Actor.for_user(lead), assignee=volunteer)
    tickets.apply_transition(ticket, Action.ESCALATE, Actor.for_user(volunteer), note="cần điều phối")
    tickets.apply_transition(ticket, Action.RETURN_TO_QUEUE, Actor.for_user(coordinator))
    tickets.apply_transition(ticket, Action.CLAIM, Actor.for_user(volunteer))
    tickets.apply_transition(ticket, Action.RESOLVE, Actor.for_user(volunteer), outcome="helped")
    tickets.apply_transition(ticket, Action.REOPEN, RESIDENT)
    db.session.commit()
    announce_events()
    assert _kinds(volunteer.id) == ["assigned", "returned", "reopened"]
    assert _kinds(lead.id) == []
    assert [m.template for m in db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.channel == "webpush").order_by(OutboxMessage.id))] == ["assigned", "returned", "reopened"]


def test_the_stale_warning_is_pushed_to_the_holder(ctx, team):
    from volunteer.stale import release_stale

    push.save_subscription(team["volunteer"], "https://push.example/v", "key", "auth")
    ticket = held_ticket(team["volunteer"])
    later = ticket.updated_at + timedelta(days=6, hours=1)
    assert release_stale(now=later).warned == [ticket.reference]
    db.session.commit()
    announce_events()
    assert _kinds(team["volunteer"]) == ["stale_warning"]
    assert count(OutboxMessage, OutboxMessage.channel == "webpush",
                 OutboxMessage.template == "stale_warning") == 1


def test_hours_hold_pushes_back_but_not_the_list(ctx, team):
    _prefer(team["volunteer"], "immediate", (8, 17))
    push.save_subscription(team["volunteer"], "https://push.example/v", "key", "auth")
    evening = as_stored(datetime(2026, 12, 2, 20, 0))
    morning = as_stored(datetime(2026, 12, 3, 9, 0))
    def arrives_at(moment):
        return tickets.create_ticket(tickets.Request(
            name=None, phone=RESIDENT_PHONE, category_id=category().id, ward_id=ward("19333").id), now=moment)

    late, early = arrives_at(evening), arrives_at(morning)
    db.session.commit()
    assert announce_events() == 2
    assert count(OutboxMessage, OutboxMessage.channel == "webpush", OutboxMessage.ticket_id == late.id) == 0
    assert count(OutboxMessage, OutboxMessage.channel == "webpush", OutboxMessage.ticket_id == early.id) == 1
    assert count(Notification, Notification.user_id == team["volunteer"],
                 Notification.ticket_id == late.id) == 1
    assert alerts.within_hours(alerts.preference(team["volunteer"]), morning)
    _prefer(team["volunteer"], "immediate", (22, 6))  # past midnight
    assert not alerts.within_hours(alerts.preference(team["volunteer"]), morning)


def test_outside_hours_my_own_tickets_wait_for_my_hours(ctx, team):
    """Assigned to me at 20:00 with hours 8–17: the push is due at 08:00 the next
    morning; at 07:00 with hours 22–6 (past midnight) it is due at 22:00 that day."""
    lead = user(team["lead"])
    _prefer(team["volunteer"], "immediate", (8, 17))
    push.save_subscription(team["volunteer"], "https://push.example/v", "key", "auth")
    for assigned_at, hours, due in ((datetime(2026, 12, 2, 20, 0), (8, 17), datetime(2026, 12, 3, 8, 0)),
                                    (datetime(2026, 12, 3, 7, 0), (22, 6), datetime(2026, 12, 3, 22, 0))):
        _prefer(team["volunteer"], "immediate", hours)
        ticket = make_ticket("19333")
        tickets.apply_transition(ticket, Action.ASSIGN, Actor.for_user(lead), assignee=user(team["volunteer"]),
                                 now=as_stored(assigned_at))
        db.session.commit()
        announce_events()
        pushed = db.session.scalar(select(OutboxMessage).where(
            OutboxMessage.channel == "webpush", OutboxMessage.ticket_id == ticket.id))
        assert (pushed.template, pushed.next_attempt_at) == ("assigned", as_stored(due))
        assert pushed.id not in worker.claim(now=as_stored(due) - timedelta(minutes=1))
    assert _kinds(team["volunteer"]) == ["assigned", "assigned"]  # the list at once


def test_daily_digest_once_per_day(ctx, team):
    _prefer(team["other"], "digest")
    old = make_ticket("19333")
    old.created_at = old.created_at - timedelta(hours=30)
    db.session.flush()
    assert alerts.send_digests() == {"lead_digest": 1, "new_requests_digest": 1}
    assert alerts.send_digests() == {"lead_digest": 0, "new_requests_digest": 0}
    assert _kinds(team["lead"]) == ["lead_digest"]
    payload = push.payload_for("lead_digest", {"unclaimed": 1, "idle": 0}, "en")
    assert payload["body"] == "1 requests waiting over 24 hours, 0 held tickets with no recent activity"


def test_notifications_list_unread_count_and_marking_read(app, client, sign_in, csrf, team):
    with app.app_context():
        ticket = held_ticket(team["volunteer"])
        reference = ticket.reference
        for kind in ("assigned", "reopened"):
            db.session.add(Notification(user_id=team["volunteer"], ticket_id=ticket.id, kind=kind,
                                        dedupe_key=f"{kind}:test"))
        db.session.commit()
        sign_in(client, user(team["volunteer"]))
    page = client.get("/volunteer/queue").get_data(as_text=True)
    assert '<span class="badge" id="unread-count">2</span>' in page
    listing = client.get("/volunteer/notifications").get_data(as_text=True)
    assert "Trưởng tổ đã giao cho bạn một yêu cầu" in listing and RESIDENT_NAME not in listing
    with app.app_context():
        first = db.session.scalar(select(Notification.id).where(Notification.kind == "assigned"))
    opened = client.post("/volunteer/notifications/read", data={
        "csrf_token": csrf(client, "/volunteer/notifications"), "id": first, "reference": reference})
    assert opened.headers["Location"].endswith(f"/volunteer/tickets/{reference}")
    assert 'id="unread-count">1</span>' in client.get("/volunteer/queue").get_data(as_text=True)
    client.post("/volunteer/notifications/read", data={"csrf_token": csrf(client, "/volunteer/notifications")})
    assert 'id="unread-count"' not in client.get("/volunteer/queue").get_data(as_text=True)


def test_manifest_worker_and_what_the_phone_may_keep(app, client, sign_in, csrf, team):
    manifest = client.get("/volunteer/manifest.webmanifest")
    assert manifest.mimetype == "application/manifest+json"
    assert manifest.json["name"] == "Hỗ trợ số cộng đồng – Tình nguyện viên"
    assert manifest.json["translations"]["en"]["name"] == "Community digital help – Volunteers"
    assert client.get("/volunteer/manifest.webmanifest?lang=en").json["lang"] == "en"
    worker_script = client.get("/volunteer/sw.js")
    assert worker_script.headers["Service-Worker-Allowed"] == "/"
    assert "Content-Security-Policy" in worker_script.headers
    assert b'addEventListener("push"' in worker_script.get_data()
    with app.app_context():
        mine = held_ticket(team["volunteer"]).reference
        theirs = held_ticket(team["other"]).reference
        db.session.commit()
        sign_in(client, user(team["volunteer"]))
    assert client.get("/volunteer/queue").headers["X-Offline-Copy"] == "keep"
    assert client.get(f"/volunteer/tickets/{mine}").headers["X-Offline-Copy"] == "keep"
    assert "X-Offline-Copy" not in client.get(f"/volunteer/tickets/{theirs}").headers
    pages = client.get("/volunteer/offline-pages").json["pages"]
    assert f"/volunteer/tickets/{mine}" in pages and f"/volunteer/tickets/{theirs}" not in pages
    queue = client.get("/volunteer/queue").get_data(as_text=True)
    assert 'rel="manifest"' in queue and "alerts.js" not in queue  # no permission asked on load
    signed_out = client.post("/logout", data={"csrf_token": csrf(client, "/logout")})
    assert signed_out.headers["Clear-Site-Data"] == '"cache", "storage"'
    assert 'rel="manifest"' not in client.get("/").get_data(as_text=True)


def test_alert_choice_then_devices(app, client, sign_in, csrf, team):
    with app.app_context():
        sign_in(client, user(team["volunteer"]))
    before = client.get("/volunteer/alerts").get_data(as_text=True)
    assert "enable-push" not in before  # the device is offered only after a choice
    client.post("/volunteer/alerts", data={"csrf_token": csrf(client, "/volunteer/alerts"),
                                           "new_requests": "digest", "from_hour": "7", "to_hour": "21"})
    after = client.get("/volunteer/alerts").get_data(as_text=True)
    assert 'id="enable-push"' in after and "alerts.js" in after
    token = csrf(client, "/volunteer/alerts")
    for name in ("phone", "tablet"):
        saved = client.post("/volunteer/alerts/devices", headers={"X-CSRFToken": token}, json={
            "endpoint": f"https://push.example/{name}", "keys": {"p256dh": "k", "auth": "a"}})
        assert saved.json == {"saved": True}
    refused = client.post("/volunteer/alerts/devices", headers={"X-CSRFToken": token},
                          json={"endpoint": "javascript:alert(1)", "keys": {}})
    assert refused.status_code == 400
    with app.app_context():
        assert count(PushSubscription, PushSubscription.user_id == team["volunteer"]) == 2
        chosen = db.session.get(AlertPreference, team["volunteer"])
        assert (chosen.new_requests, chosen.from_hour, chosen.to_hour) == ("digest", 7, 21)


def test_push_keys_command(app, runner, tmp_path):
    app.config["VAPID_KEY_FILE"] = str(tmp_path / "keys" / "vapid.pem")
    result = runner.invoke(args=["push", "keys"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "keys" / "vapid.pem").read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    public = result.output.split("public key: ")[1].strip()
    assert runner.invoke(args=["push", "keys"]).output.endswith(public + "\n")  # kept, not remade
