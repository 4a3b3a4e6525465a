import pytest

from tests.browser_steps import fill_request_form

pytestmark = pytest.mark.browser


def test_resident_submits_the_form_in_a_phone_browser(live_server, chromium, artifacts_dir, backend):
    """A resident on a 390 px phone fills in the form without JavaScript help and gets a reference."""
    page = chromium.new_page(viewport={"width": 390, "height": 844})
    page.goto(live_server.url + "/")
    fill_request_form(page, address="5 Hùng Vương")
    page.screenshot(path=str(artifacts_dir / f"form-{backend}.png"), full_page=True)
    page.click("button[type=submit]")
    reference = page.locator("#reference").inner_text()
    assert reference.startswith("DH-") and len(reference) == 9
    assert page.locator(".qr svg").count() == 1
    page.close()
