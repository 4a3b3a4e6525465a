"""A demo volunteer works a ticket in a real phone-sized browser, end to end."""
import pytest
from sqlalchemy import select

from tools import demo
from volunteer.extensions import db
from volunteer.models import Ticket, User

pytestmark = pytest.mark.browser


def test_volunteer_claims_contacts_and_resolves_on_a_phone(app, live_server, chromium, artifacts_dir, backend):
    """Sign in as a demo volunteer at 390 x 844, claim the oldest ticket, log a call,
    resolve it, and the resident's tracking page shows it resolved."""
    with app.app_context():
        demo.ensure_demo_users()
        demo.add_demo_tickets()
        db.session.commit()
        volunteer = db.session.scalar(select(User).where(User.phone == "+84900002001"))
        oldest = db.session.scalar(
            select(Ticket).where(Ticket.team_id == volunteer.team_id, Ticket.status == "new")
            .order_by(Ticket.created_at).limit(1))
        reference, last4, resident = oldest.reference, oldest.phone_last4, oldest.resident_name

    context = chromium.new_context(viewport={"width": 390, "height": 844}, locale="vi-VN")
    page = context.new_page()
    page.goto(live_server.url + "/login")
    page.fill("input[name=login]", "0900 002 001")
    page.fill("input[name=password]", demo.DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/volunteer/queue")
    page.click("#queue-filter-box summary")  # the filters fold behind one button
    page.select_option("select[name=order]", "oldest")
    page.click("#queue-filters button[type=submit]")
    page.wait_for_url("**order=oldest**")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # one column, no sideways scroll
    page.screenshot(path=str(artifacts_dir / f"volunteer-queue-{backend}.png"), full_page=True)
    assert resident not in page.content()

    page.locator(".ticket-link").first.click()
    assert page.locator(".reference").inner_text() == reference
    page.click("#action-claim button[type=submit]")
    assert page.locator(".resident-name").inner_text() == resident
    assert page.locator("a.call").get_attribute("href").startswith("tel:+84")
    page.screenshot(path=str(artifacts_dir / f"volunteer-held-ticket-{backend}.png"), full_page=True)
    page.set_viewport_size({"width": 360, "height": 740})  # the narrowest phones we support
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.set_viewport_size({"width": 390, "height": 844})

    page.click("details:has(#action-contact) > summary")  # one tap away from the first screen
    page.check("#action-contact input[value=answered]")
    page.click("#action-contact button[type=submit]")
    assert "Đã ghi lại lần liên hệ." in page.content()
    page.click("details:has(#action-resolve) > summary")
    page.check("#action-resolve input[value=helped]")
    page.click("#action-resolve button[type=submit]")
    assert page.locator("#ticket-status").inner_text() == "Đã giải quyết"
    context.close()

    resident_context = chromium.new_context(viewport={"width": 390, "height": 844})
    tracking = resident_context.new_page()
    tracking.goto(live_server.url + "/track")
    tracking.fill("input[name=reference]", reference)
    tracking.fill("input[name=phone_last4]", last4)
    tracking.click("button[type=submit]")
    assert tracking.locator("#ticket-status").inner_text() == "Đã giải quyết"
    assert "Đã giải quyết: Đã hỗ trợ xong" in tracking.content()
    assert resident not in tracking.content()
    resident_context.close()
