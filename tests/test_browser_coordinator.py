"""The ward map in a real Chromium, as a coordinator at a desktop size, with every
request off the app's own host blocked (no CDN, no tiles)."""
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.browser_steps import sign_in
from tests.factories import make_ticket
from tools import demo
from volunteer.extensions import db
from volunteer.models import User, Ward

pytestmark = pytest.mark.browser

PASSWORD = demo.DEMO_PASSWORD
# The three ways resident text has escaped folium maps: a template-string expression, an
# event handler, and a script end tag. Each would set a flag or open a dialog if it ran.
PAYLOADS = (
    "${window.__pwned_template=1}${alert(0)}",
    "<img src=x onerror=\"window.__pwned_img=1;alert(1)\">",
    "</script><script>window.__pwned_script=1;alert(2)</script>",
)
EMPTY_WARD = "19330"  # left without tickets so hovering it shows only its tooltip


def _seed(app):
    with app.app_context():
        demo.ensure_demo_users()  # the demo coordinator (0900000001), leads and volunteers
        coordinator = db.session.scalar(select(User).where(User.role == "coordinator"))
        wards = db.session.scalars(
            select(Ward).where(Ward.is_routing_area.is_(True)).order_by(Ward.code)).all()
        count = 0
        for ward in wards:
            if ward.code == EMPTY_WARD:
                continue
            for i in range(4):
                make_ticket(ward.code, phone=f"+8491200{count:04d}",
                            lat=ward.centre_lat + 0.0004 * (i - 1.5),
                            lon=ward.centre_lon + 0.0003 * (i % 2))
                count += 1
        home = next(w for w in wards if w.code == "19333")
        hostile = make_ticket("19333", phone="+84912999999", description=" ".join(PAYLOADS),
                              lat=home.centre_lat, lon=home.centre_lon)
        db.session.commit()
        empty = next(w for w in wards if w.code == EMPTY_WARD)
        return coordinator.phone, count + 1, hostile.reference, (empty.centre_lat, empty.centre_lon), empty.name


def test_ward_map_draws_wards_clusters_and_stays_safe(app, live_server, chromium, artifacts_dir, backend):
    """Nine ward polygons, a tooltip with figures, clusters that add up, no XSS, no off-host request."""
    leaflet = Path(app.static_folder) / "vendor" / "leaflet" / "leaflet.js"
    assert leaflet.exists(), "Leaflet is not installed locally: run `make assets`"
    phone, open_count, hostile_reference, empty_centre, empty_name = _seed(app)
    context = chromium.new_context(viewport={"width": 1366, "height": 768}, locale="vi-VN")
    page = context.new_page()
    blocked, dialogs, errors = [], [], []

    def only_our_host(route):
        if route.request.url.startswith(live_server.url):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    page.route("**/*", only_our_host)
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, live_server.url, "0" + phone[3:], PASSWORD, then="/coordinator/",
            lands_on="**/coordinator/")
    page.wait_for_selector("path.ward-area")

    assert page.locator("path.ward-area").count() == 9
    assert page.evaluate("typeof L") == "object"  # Leaflet came from our static files

    drawn = int(page.locator("#ward-map").get_attribute("data-drawn"))
    assert drawn == open_count
    # Cluster icons of two zoom levels coexist while the opening zoom animates: count
    # once the markers have settled (or give up and compare anyway). A busy machine
    # slows the animation's frames: 5 s was seen to fall short on CI.
    count_markers = (
        "() => Array.from(document.querySelectorAll('.marker-cluster span'))"
        ".reduce((sum, el) => sum + parseInt(el.textContent, 10), 0)"
        " + document.querySelectorAll('path.ticket-marker').length")
    # Polled from here: wait_for_function re-evaluates a string in the page, which the
    # page's CSP (no 'unsafe-eval') refuses once the first evaluation is false.
    deadline = time.monotonic() + 20
    while page.evaluate(count_markers) != drawn and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert page.evaluate(count_markers) == drawn
    assert int(page.locator("#open-total").inner_text()) == open_count

    # Hover the ward without tickets: its tooltip names it and gives its figures.
    page.locator("#ward-map").scroll_into_view_if_needed()
    point = page.evaluate(
        "([lat, lon]) => { const m = Object.keys(window).find(k => k.startsWith('map_'));"
        " const p = window[m].latLngToContainerPoint([lat, lon]);"
        " const box = window[m].getContainer().getBoundingClientRect();"
        " return [box.left + p.x, box.top + p.y]; }", list(empty_centre))
    page.mouse.move(point[0] - 5, point[1] - 5)
    page.mouse.move(point[0], point[1], steps=3)
    tooltip = page.locator(".leaflet-tooltip")
    tooltip.wait_for()
    assert empty_name in tooltip.inner_text()
    assert "Đang mở: 0" in tooltip.inner_text()
    page.screenshot(path=str(artifacts_dir / f"coordinator-map-{backend}.png"))

    # Open the hostile ticket's popup: its text shows, as text.
    page.evaluate(
        "(reference) => new Promise(done => {"
        " const name = Object.keys(window).find(k => k.startsWith('fast_marker_cluster_'));"
        " const cluster = window[name];"
        " const marker = cluster.getLayers().find(m => m.getPopup().getContent().includes(reference));"
        " cluster.zoomToShowLayer(marker, () => { marker.openPopup(); done(); }); })",
        hostile_reference)
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    text = popup.inner_text()
    assert hostile_reference in text
    assert all(payload in text for payload in PAYLOADS)  # shown as text, whole
    assert page.locator(".leaflet-popup-content img").count() == 0

    flags = page.evaluate("[window.__pwned_template, window.__pwned_img, window.__pwned_script]")
    assert flags == [None, None, None]
    assert dialogs == []
    assert errors == []
    assert all("tile.openstreetmap.org" in url for url in blocked), blocked
    assert page.locator("img[src='x']").count() == 0
    context.close()
