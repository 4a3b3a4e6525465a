"""The volunteers' phone app in Chromium at phone size: installable, working offline
(actions sent once each when the network returns, conflicts shown), alerts delivered to
the service worker, and nothing personal left on the phone after sign-out."""
import json
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from tests import browser_steps
from tests.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.factories import category, make_ticket, make_user, ward
from volunteer import campaigns, tickets
from volunteer.clock import local_date, utcnow
from volunteer.extensions import db
from volunteer.lifecycle import Action, Actor
from volunteer.models import Ticket, TicketEvent, Visit
from volunteer.phone import alerts, push

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
PASSWORD = "mat-khau-an-toan"
RESIDENT = "Hoàng Thị Mai"


@pytest.fixture
def field_team(app):
    """A volunteer holding two tickets, the team's lead, a campaign running today."""
    with app.app_context():
        volunteer = make_user("volunteer", "19333", phone="+84900002101")
        make_user("lead", "19333", phone="+84900002100")
        held = []
        for name in (RESIDENT, "Lê Văn Nam"):
            ticket = make_ticket("19333", name=name, phone="+84912000111")
            tickets.apply_transition(ticket, Action.CLAIM, Actor.for_user(volunteer))
            held.append(ticket.reference)
        today = local_date(utcnow())
        campaign = campaigns.create_campaign(
            name="Tuần VNeID", starts_on=today - timedelta(days=1), ends_on=today + timedelta(days=1),
            category_ids=[category().id], targets={ward("19333").id: 100})
        db.session.commit()
        return {"volunteer": "0900002101", "lead": "0900002100", "held": held,
                "campaign": campaign.id}


def sign_in(page, base, login):
    browser_steps.sign_in(page, base, login, PASSWORD, lands_on="**/volunteer/queue")


def kept_paths(page) -> set[str]:
    return set(page.evaluate("caches.open('phone-pages').then(c => c.keys())"
                             ".then(keys => keys.map(k => new URL(k.url).pathname))"))


def wait_for_kept_copies(page, *paths):
    """The service worker keeps copies of my pages in the background."""
    for _ in range(150):
        if set(paths) <= kept_paths(page):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"not kept: {set(paths) - kept_paths(page)}")



def reveal(page, selector: str) -> None:
    """Open every fold around the element (the ticket page keeps all but the next step
    one tap away), as a volunteer's tap on each summary would."""
    page.locator(selector).first.evaluate(
        "el => { for (let d = el.closest('details'); d; d = d.parentElement.closest('details')) d.open = true; }")

def test_manifest_and_worker_register_and_chromium_can_install(app, live_server, chromium, field_team, tmp_path):
    # Not incognito (Chromium refuses to install from it): a profile of its own.
    context = chromium.browser_type.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True,
        viewport=PHONE, locale="vi-VN")
    try:
        page = context.pages[0] if context.pages else context.new_page()
        sign_in(page, live_server.url, field_team["volunteer"])
        scope = page.evaluate("navigator.serviceWorker.ready.then(r => r.scope)")
        assert scope == live_server.url + "/volunteer/"
        page.reload()
        assert page.evaluate("Boolean(navigator.serviceWorker.controller)")
        manifest = page.evaluate("fetch(document.querySelector('link[rel=manifest]').href).then(r => r.json())")
        assert manifest["start_url"] == "/volunteer/queue" and manifest["display"] == "standalone"
        assert {"192x192", "512x512"} <= {icon["sizes"] for icon in manifest["icons"]}
        session = context.new_cdp_session(page)
        errors = session.send("Page.getInstallabilityErrors")["installabilityErrors"]
        assert errors == []
        assert session.send("Page.getAppManifest")["errors"] == []
    finally:
        context.close()


def test_offline_actions_are_sent_once_in_order_and_conflicts_are_shown(app, live_server, chromium, field_team):
    base = live_server.url
    first, second = field_team["held"]
    context = chromium.new_context(viewport=PHONE, locale="vi-VN")
    page = context.new_page()
    sign_in(page, base, field_team["volunteer"])
    wait_for_kept_copies(page, "/volunteer/queue", f"/volunteer/tickets/{first}",
                         f"/volunteer/tickets/{second}", "/field/")

    context.set_offline(True)
    page.goto(base + f"/volunteer/tickets/{first}")
    assert page.locator(".resident-name").inner_text() == RESIDENT  # my ticket, kept
    expect(page.locator("#offline-banner")).to_contain_text("Bạn đang ngoại tuyến")
    reveal(page, "#contact-note")
    page.check("#action-contact input[value=answered]")
    page.fill("#contact-note", "Hẹn chiều nay")
    page.click("#action-contact button[type=submit]")
    page.wait_for_selector("#action-contact .offline-saved")
    reveal(page, "#action-resolve")
    page.check("#action-resolve input[value=helped]")
    page.click("#action-resolve button[type=submit]")
    page.wait_for_selector("#action-resolve .offline-saved")

    page.goto(base + "/field/")
    expect(page.locator("#offline-banner")).to_contain_text("Bạn đang ngoại tuyến")
    page.fill("input[name=household]", "Số 5 Kiệt 12")
    page.check("input[name=outcome][value=helped]")
    page.click("button[name=save]")
    page.wait_for_selector("#visit-form .offline-saved")

    page.goto(base + f"/volunteer/tickets/{second}")
    reveal(page, "#action-contact")
    page.check("#action-contact input[value=no_answer]")
    page.click("#action-contact button[type=submit]")
    page.wait_for_selector("#action-contact .offline-saved")
    expect(page.locator("#offline-banner")).to_contain_text("4 thao tác đang chờ gửi")

    # Meanwhile, the lead releases the second ticket from another phone.
    lead_context = chromium.new_context(viewport=PHONE, locale="vi-VN")
    lead = lead_context.new_page()
    sign_in(lead, base, field_team["lead"])
    lead.goto(base + f"/volunteer/tickets/{second}")
    reveal(lead, "#release-note")
    lead.fill("#release-note", "Bạn ấy đi vắng")
    lead.click("#action-release button[type=submit]")
    lead.wait_for_url("**/volunteer/queue")
    # The lead saw the resident's contact, but does not hold the ticket: no copy kept.
    assert not any(path.startswith("/volunteer/tickets/") for path in kept_paths(lead))
    lead_context.close()

    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    results = page.locator("#phone-results li")
    results.nth(3).wait_for(timeout=15000)
    texts = results.all_inner_texts()
    assert [t.split(":")[1].strip().startswith("Đã gửi") for t in texts] == [True, True, True, False]
    assert f"Yêu cầu {second} đã được trả về hàng chờ của tổ." in texts[3]
    assert page.locator("#offline-banner").is_hidden()
    # Neither ticket is held any more: their pages (with the residents' contacts) are dropped.
    for _ in range(100):
        if not any(path.startswith("/volunteer/tickets/") for path in kept_paths(page)):
            break
        page.wait_for_timeout(100)
    assert not any(path.startswith("/volunteer/tickets/") for path in kept_paths(page))

    with app.app_context():
        def actions(reference):
            return list(db.session.scalars(
                select(TicketEvent.action).join(TicketEvent.ticket)
                .where(TicketEvent.ticket.has(reference=reference)).order_by(TicketEvent.id)))
        assert actions(first) == ["created", "claim", "contact", "resolve"]
        assert actions(second) == ["created", "claim", "release"]
        assert db.session.scalar(select(func.count(Visit.id)).where(
            Visit.household_label == "Số 5 Kiệt 12")) == 1
    # A second run sends nothing again.
    page.reload()
    page.wait_for_timeout(500)
    with app.app_context():
        assert db.session.scalar(select(func.count(TicketEvent.id)).where(
            TicketEvent.action == "contact")) == 1
    context.close()


def _volunteer_worker(context):
    for worker in context.service_workers:
        if worker.evaluate("self.registration.scope").endswith("/volunteer/"):
            return worker
    return None


def test_a_push_shows_an_alert_and_opening_it_opens_the_ticket(app, live_server, chromium, field_team):
    base = live_server.url
    first = field_team["held"][0]
    with app.test_request_context():
        ticket = db.session.scalar(select(Ticket).where(Ticket.reference == first))
        payload = push.payload_for("assigned", alerts.ticket_params(ticket), "vi")
    context = chromium.new_context(viewport=PHONE, locale="vi-VN")
    context.grant_permissions(["notifications"], origin=base)
    page = context.new_page()
    sign_in(page, base, field_team["volunteer"])
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    assert page.evaluate("Boolean(navigator.serviceWorker.controller)")

    session = context.new_cdp_session(page)
    registrations = {}
    session.on("ServiceWorker.workerRegistrationUpdated", lambda event: registrations.update(
        {r["scopeURL"]: r["registrationId"] for r in event["registrations"]}))
    session.send("ServiceWorker.enable")
    for _ in range(50):
        if base + "/volunteer/" in registrations:
            break
        page.wait_for_timeout(100)
    session.send("ServiceWorker.deliverPushMessage", {
        "origin": base, "registrationId": registrations[base + "/volunteer/"],
        "data": json.dumps(payload)})

    worker = _volunteer_worker(context)
    shown = []
    for _ in range(50):
        shown = worker.evaluate("self.registration.getNotifications()"
                                ".then(ns => ns.map(n => [n.title, n.body, n.data.url]))")
        if shown:
            break
        page.wait_for_timeout(100)
    assert shown == [["Trưởng tổ đã giao cho bạn một yêu cầu",
                      f"{first} · Căn cước gắn chip & VNeID · Phường 1", f"/volunteer/tickets/{first}"]]
    assert RESIDENT not in json.dumps(shown, ensure_ascii=False)

    # The volunteer taps it: the service worker's click handler opens the ticket.
    worker.evaluate("self.registration.getNotifications().then(ns => { "
                    "self.dispatchEvent(new NotificationEvent('notificationclick', {notification: ns[0]})); })")
    page.wait_for_url(f"**/volunteer/tickets/{first}")
    assert page.locator(".resident-name").inner_text() == RESIDENT
    context.close()


def test_sign_out_clears_what_the_phone_kept(app, live_server, chromium, field_team):
    base = live_server.url
    context = chromium.new_context(viewport=PHONE, locale="vi-VN")
    page = context.new_page()
    sign_in(page, base, field_team["volunteer"])
    wait_for_kept_copies(page, f"/volunteer/tickets/{field_team['held'][0]}", "/volunteer/offline")
    assert "volunteer-phone" in page.evaluate("indexedDB.databases().then(d => d.map(x => x.name))")

    # A copy older than the days the phone may keep it is not shown, and is gone.
    _volunteer_worker(context).evaluate("""async () => {
        const cache = await caches.open('phone-pages');
        const url = new URL('/volunteer/mine', self.location.origin).href;
        const copy = await cache.match(url);
        const headers = new Headers(copy.headers);
        headers.set('X-Fetched-At', String(Date.now() - 4 * 24 * 3600 * 1000));
        await cache.put(url, new Response(await copy.blob(), {headers}));
    }""")
    context.set_offline(True)
    page.goto(base + "/volunteer/mine")
    assert page.locator("h1").inner_text() == "Không có mạng"
    assert "/volunteer/mine" not in kept_paths(page)
    context.set_offline(False)

    page.goto(base + "/logout")
    page.click("main button[type=submit]")
    page.wait_for_url("**/login")
    assert page.evaluate("caches.keys()") == []
    assert page.evaluate("indexedDB.databases().then(d => d.map(x => x.name))") == []
    assert page.evaluate("navigator.serviceWorker.getRegistrations().then(r => r.length)") == 0
    context.close()
