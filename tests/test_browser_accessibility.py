"""Every page, for every role, in a real Chromium with axe-core: no violation. Also the
screenshots people look at: the printed A4 poster and the volunteer's ticket on a
360 × 640 phone."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.browser_steps import fill_request_form, sign_in
from tests.factories import category
from tools import demo
from volunteer import campaigns
from volunteer.blueprints.public.forms import DESCRIPTION_MAX
from volunteer.clock import local_date, utcnow
from volunteer.extensions import db
from volunteer.models import Ticket, User

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 640}


def _seed(app):
    with app.app_context():
        demo.ensure_demo_users()
        demo.add_demo_tickets()
        coordinator = db.session.scalar(select(User).where(User.phone == "+84900000001"))
        today = local_date(utcnow())
        campaign = campaigns.create_campaign(
            name="Tuần lễ VNeID", starts_on=today - timedelta(days=1), ends_on=today + timedelta(days=5),
            category_ids=[category("vneid").id], created_by_id=coordinator.id)
        db.session.commit()
        volunteer = db.session.scalar(select(User).where(User.phone == "+84900002001"))
        waiting = db.session.scalar(
            select(Ticket).where(Ticket.team_id == volunteer.team_id, Ticket.status == "new")
            .order_by(Ticket.created_at).limit(1))
        return {"campaign": campaign.id, "reference": waiting.reference, "ticket_id": waiting.id}


def _walk(page, axe, base, paths):
    for path in paths:
        response = page.goto(base + path)
        assert response.status < 500, path
        axe(page)


def test_resident_pages_have_no_axe_violation(app, live_server, chromium, axe, artifacts_dir, backend):
    """The form (empty and refused), the confirmation, tracking, the status page, the
    poster and a missing page, in Vietnamese and English; the poster fills an A4 sheet."""
    context = chromium.new_context(viewport=PHONE, locale="vi-VN")
    page = context.new_page()
    missing = []
    page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
    base = live_server.url
    page.goto(base + "/")
    axe(page)

    pasted = "Cần " * DESCRIPTION_MAX  # a pasted text over the limit
    page.fill("textarea[name=description]", pasted)
    page.click("#ask-form button[type=submit]")
    summary = page.locator(".error-summary")
    # autofocus moves focus at the next rendering step after load: wait for it.
    page.wait_for_function("() => document.activeElement.classList.contains('error-summary')",
                           timeout=5000)
    assert summary.locator("a[href='#name']").count() == 1  # names and links the field
    assert page.get_attribute("#name", "aria-invalid") == "true"
    assert "name-error" in page.get_attribute("#name", "aria-describedby")
    assert page.input_value("textarea[name=description]") == pasted  # kept whole
    assert page.locator("#description-count.over").count() == 1
    assert page.evaluate("getComputedStyle(document.querySelector('textarea')).fontFamily") == \
        page.evaluate("getComputedStyle(document.body).fontFamily")
    axe(page)
    missing.clear()

    fill_request_form(page, description="Cần kích hoạt VNeID")
    page.click("#ask-form button[type=submit]")
    reference = page.locator("#reference").inner_text()
    qr = page.locator(".qr svg")
    assert qr.get_attribute("role") == "img" and reference in qr.get_attribute("aria-label")
    assert qr.bounding_box()["width"] == pytest.approx(240, abs=1)
    link = page.locator(".tracking-link .nowrap")
    assert link.inner_text() == reference
    assert link.evaluate("el => el.getClientRects().length") == 1  # never split across lines
    axe(page)
    page.screenshot(path=str(artifacts_dir / f"submitted-360-{backend}.png"), full_page=True)

    page.click("text=Xem tình trạng yêu cầu")
    assert page.locator("h1").inner_text() == reference
    _walk(page, axe, base, ["/track", "/poster/19336:2008", "/no-such-page", "/lang/en?next=/", "/track"])
    assert missing == [base + "/no-such-page"], missing  # the favicon and every asset answer

    page.goto(base + "/lang/vi?next=/")
    page.set_viewport_size({"width": 703, "height": 1032})  # A4 inside 12 mm margins, at 96 dpi
    page.goto(base + "/poster/19336:2008")
    page.emulate_media(media="print")
    width = page.evaluate("document.querySelector('.poster-qr svg').getBoundingClientRect().width")
    sheet = page.evaluate("document.querySelector('.poster-sheet').getBoundingClientRect().width")
    assert width >= 0.95 * sheet  # the QR spans the printable width of the sheet
    page.screenshot(path=str(artifacts_dir / f"poster-a4-{backend}.png"), full_page=True)
    pdf = page.pdf(format="A4", prefer_css_page_size=True)
    assert len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf)) == 1  # one sheet
    context.close()


def test_staff_pages_have_no_axe_violation(app, live_server, chromium, axe, artifacts_dir, backend):
    """A volunteer's queue, own list, field visits and a ticket before and after the claim
    (held: call and "Chỉ đường" on the first screen), a lead's ticket, and every coordinator page."""
    seeded = _seed(app)
    base = live_server.url
    context = chromium.new_context(viewport=PHONE, locale="vi-VN", permissions=["geolocation"],
                                   geolocation={"latitude": 16.8195, "longitude": 107.1028})
    page = context.new_page()
    page.goto(base + "/login")
    assert page.get_attribute("input[name=login]", "inputmode") is None
    axe(page)
    sign_in(page, base, "0900002001", demo.DEMO_PASSWORD)
    _walk(page, axe, base, ["/volunteer/queue", "/volunteer/mine", "/field/", "/account/password"])
    page.goto(base + "/volunteer/queue")
    assert page.locator("#queue-filter-box").evaluate("el => el.open") is False  # folded
    assert page.locator(".ticket-row .row-reference").count() > 0
    row_top = page.locator(".ticket-row").first.bounding_box()["y"]
    assert row_top < PHONE["height"]  # a ticket on the first screen
    page.screenshot(path=str(artifacts_dir / f"volunteer-queue-360-{backend}.png"))
    page.click("#queue-filter-box summary")
    page.select_option("select[name=order]", "nearest")  # applies without a tap on "Xem"
    page.wait_for_url("**order=nearest**")
    assert page.locator(".distance").count() > 0

    page.goto(base + f"/volunteer/tickets/{seeded['reference']}")
    axe(page)
    claim = page.locator("#action-claim button[type=submit]")
    assert claim.bounding_box()["y"] + claim.bounding_box()["height"] <= PHONE["height"]
    claim.click()
    for selector in ("a.call", "text=Chỉ đường", "#action-start button[type=submit]"):
        box = page.locator(selector).bounding_box()
        assert box["y"] + box["height"] <= PHONE["height"], selector
        assert box["height"] >= 44, selector
    axe(page)
    page.screenshot(path=str(artifacts_dir / f"volunteer-ticket-360-{backend}.png"))
    page.click("#action-start button[type=submit]")
    page.wait_for_load_state()
    contact = page.locator("#action-contact button[type=submit]")
    assert contact.bounding_box()["y"] + contact.bounding_box()["height"] <= PHONE["height"]
    axe(page)
    page.screenshot(path=str(artifacts_dir / f"volunteer-ticket-in-progress-360-{backend}.png"))
    for summary in page.locator("details > summary").all():
        summary.click()
        assert summary.bounding_box()["height"] >= 44
    axe(page)
    page.screenshot(path=str(artifacts_dir / f"volunteer-ticket-open-360-{backend}.png"), full_page=True)
    context.close()

    lead = chromium.new_context(viewport=PHONE, locale="vi-VN")
    page = lead.new_page()
    sign_in(page, base, "0900002000", demo.DEMO_PASSWORD)
    _walk(page, axe, base, [f"/volunteer/tickets/{seeded['reference']}", "/volunteer/queue"])
    lead.close()

    desk = chromium.new_context(viewport={"width": 1366, "height": 768}, locale="vi-VN")
    page = desk.new_page()
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(base)
               else route.abort())
    sign_in(page, base, "0900000001", demo.DEMO_PASSWORD)
    page.wait_for_selector("path.ward-area")
    axe(page)
    _walk(page, axe, base, [
        "/coordinator/dashboard", "/coordinator/triage", f"/coordinator/tickets/{seeded['ticket_id']}",
        "/coordinator/people", "/campaigns/", f"/campaigns/{seeded['campaign']}", "/logout",
        "/lang/en?next=/coordinator/dashboard"])
    desk.close()
