"""Script in a resident's name, address or description comes out inert on every page
that shows them (the resident's status, the volunteers' queue and ticket, the
coordinators' ticket, map popups and tooltips, dashboard, triage), in the Open311
answers, and as text (not formulas) in the CSV export."""
import csv
import io
import json
import xml.etree.ElementTree as ElementTree
from html.parser import HTMLParser

import pytest

from volunteer import tickets
from volunteer.extensions import db
from volunteer.lifecycle import Actor
from volunteer.models import User

from .factories import make_ticket, make_user, valid_request_form

NAME = '<script>alert("xss-name")</script>Lan'
ADDRESS = '12 Lê Duẩn"><img src=x onerror=alert("xss-address")>'
DESCRIPTION = ("<img src=x onerror=alert('xss-desc')> <a href=\"javascript:alert('xss-js')\">bấm</a>"
               " </script><script>alert('xss-break')</script> <svg/onload=alert('xss-svg')>")
FORMULAS = {
    "name": '=HYPERLINK("http://evil.example","bấm")',
    "address": "+cmd|' /C calc'!A0",
    "description": "@SUM(1+1)*cmd|' /C calc'!A0",
}


class _Elements(HTMLParser):
    """Collects what a browser would build from the markup (not what a script would)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.handlers = []
        self.javascript_urls = []
        self.script_bodies = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name.startswith("on"):
                self.handlers.append((tag, name, value))
            if name in ("href", "src", "action", "formaction") and value and \
                    value.strip().lower().startswith("javascript:"):
                self.javascript_urls.append((tag, value))
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.script_bodies.append(data)


def _as_script_sees_it(text: str) -> str:
    """Undo the escapes a JS or JSON string literal uses, so markup smuggled inside an
    inline script (e.g. a map popup set with innerHTML) shows up as markup."""
    for escaped, plain in (("\\u003c", "<"), ("\\u003e", ">"), ("\\u003C", "<"), ("\\u003E", ">"),
                           ("\\x3c", "<"), ("\\x3e", ">"), ("\\/", "/"), ('\\"', '"'), ("\\'", "'")):
        text = text.replace(escaped, plain)
    return text


def assert_inert(page: str, where: str) -> None:
    parser = _Elements()
    parser.feed(page)
    markers = ("xss-name", "xss-address", "xss-desc", "xss-js", "xss-break", "xss-svg")
    bad_handlers = [h for h in parser.handlers if any(m in (h[2] or "") for m in markers)]
    assert not bad_handlers, (where, bad_handlers)
    assert not [u for u in parser.javascript_urls if "xss" in u[1]], (where, parser.javascript_urls)
    assert not [b for b in parser.script_bodies if any(f"alert(\"{m}\")" in b or f"alert('{m}')" in b
                                                        for m in markers)
                and b.strip().startswith("alert")], (where, "a script element of our payload")
    decoded = _as_script_sees_it(page).lower()
    for raw in ("<script>alert(", "<img src=x onerror", "<svg/onload", "<svg onload",
                'href="javascript:alert', "</script><script>alert"):
        assert raw not in decoded, (where, raw)


@pytest.fixture
def hostile(app):
    """A ticket whose name, address and description are payloads, held by a volunteer,
    plus one without a ward (triage); ids and the people who may look."""
    with app.app_context():
        holder = make_user("volunteer", "19333")
        lead = make_user("lead", "19333")
        teammate = make_user("volunteer", "19333")
        coordinator = make_user("coordinator", None)
        held = make_ticket("19333", name=NAME, address=ADDRESS, description=DESCRIPTION,
                           lat=16.8165, lon=107.1010)
        tickets.apply_transition(held, "claim", Actor.for_user(holder))
        waiting = make_ticket("19333", name=NAME, address=ADDRESS, description=DESCRIPTION,
                              lat=16.8170, lon=107.1020)
        triage = make_ticket(None, name=NAME, address=ADDRESS, description=DESCRIPTION)
        db.session.commit()
        return {"holder": holder.id, "lead": lead.id, "teammate": teammate.id,
                "coordinator": coordinator.id, "held": held.reference, "held_id": held.id,
                "waiting": waiting.reference, "triage_id": triage.id}


def _as(app, sign_in, user_id):
    client = app.test_client()
    with app.app_context():
        sign_in(client, db.session.get(User, user_id))
    return client


def _get(client, url):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def test_staff_pages_render_payloads_inert(app, sign_in, hostile):
    """Queue, my tickets, the ticket, the coordinator's map, dashboard, triage and ticket: inert."""
    holder = _as(app, sign_in, hostile["holder"])
    teammate = _as(app, sign_in, hostile["teammate"])
    lead = _as(app, sign_in, hostile["lead"])
    coordinator = _as(app, sign_in, hostile["coordinator"])
    pages = [
        (holder, "/volunteer/queue"),
        (holder, "/volunteer/mine"),
        (holder, f"/volunteer/tickets/{hostile['held']}"),
        (teammate, f"/volunteer/tickets/{hostile['waiting']}"),
        (lead, f"/volunteer/tickets/{hostile['held']}"),
        (coordinator, "/coordinator/"),
        (coordinator, "/coordinator/?measure=per_households"),
        (coordinator, "/coordinator/dashboard"),
        (coordinator, "/coordinator/triage"),
        (coordinator, f"/coordinator/tickets/{hostile['held_id']}"),
        (coordinator, f"/coordinator/tickets/{hostile['triage_id']}"),
    ]
    shown = 0
    for client, url in pages:
        page = _get(client, url)
        assert_inert(page, url)
        shown += any(marker in page for marker in ("xss-name", "xss-address", "xss-desc"))
    # The payloads were really on the pages (escaped), not merely absent.
    assert shown >= 6


def test_holder_sees_the_payload_as_text(app, sign_in, hostile):
    """The holder's ticket page shows the name and address as visible, escaped text."""
    page = _get(_as(app, sign_in, hostile["holder"]), f"/volunteer/tickets/{hostile['held']}")
    assert "&lt;script&gt;alert(" in page
    assert "onerror=alert(&#34;xss-address&#34;)" in page or "onerror=alert(&quot;xss-address&quot;)" in page


def test_resident_pages_render_payloads_inert(app, client, hostile):
    """The resident's own status page (after proving the reference) shows the payload inert."""
    with client.session_transaction() as session:
        session["tracked"] = [hostile["held"]]
    for url in (f"/track/{hostile['held']}", f"/submitted/{hostile['held']}"):
        assert_inert(_get(client, url), url)


def test_public_form_echoes_payloads_inert(app, client, csrf):
    """A refused submission redisplays what was typed, escaped."""
    token = csrf(client, "/")
    response = client.post("/", data=valid_request_form(csrf_token=token, name=NAME, address=ADDRESS,
                                                        description=DESCRIPTION, phone="12"))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "xss-desc" in page
    assert_inert(page, "/ (refused)")


def test_open311_answers_carry_payloads_as_data(app, client, hostile):
    """Open311 JSON and XML carry the description as data that parses back to the same text."""
    reference = hostile["held"]
    body = client.get(f"/open311/v2/requests/{reference}.json")
    assert body.status_code == 200 and body.mimetype == "application/json"
    # Data, never a page: served as JSON that a browser will not sniff into HTML.
    assert body.headers["X-Content-Type-Options"] == "nosniff"
    record = json.loads(body.get_data(as_text=True))[0]
    assert record["description"] == DESCRIPTION
    xml = client.get(f"/open311/v2/requests/{reference}.xml")
    assert xml.status_code == 200
    root = ElementTree.fromstring(xml.get_data())
    assert root.find(".//script") is None and root.find(".//img") is None
    texts = "".join(root.itertext())
    assert DESCRIPTION in texts  # escaped in the markup, the same text once parsed
    assert NAME not in texts  # the API never shows the resident's name


def test_csv_export_neutralizes_formulas(app, sign_in, csrf):
    """Cells that a spreadsheet would run as formulas (= + - @) are exported as text."""
    with app.app_context():
        coordinator = make_user("coordinator", None)
        make_ticket("19333", name=FORMULAS["name"], address=FORMULAS["address"],
                    description=FORMULAS["description"])
        make_ticket("19336", name="-2+3", address="=1+1", description="\t=cmd")
        db.session.commit()
        coordinator_id = coordinator.id
    client = _as(app, sign_in, coordinator_id)
    token = csrf(client, "/coordinator/dashboard")
    response = client.post("/coordinator/export", data={"csrf_token": token, "kind": "tickets",
                                                        "personal": "y"})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    body = rows[1:]
    assert len(body) == 2
    cells = [cell for row in body for cell in row]
    for value in (*FORMULAS.values(), "-2+3", "=1+1"):
        assert value not in cells, value
        assert "'" + value in cells, value
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]


@pytest.mark.parametrize("page", [
    f"<p>{NAME}</p>",
    f'<input value="{ADDRESS}">',
    '<script>var popup = "\\u003cimg src=x onerror=alert(\\"xss-desc\\")\\u003e";</script>',
    "<a href=\"javascript:alert('xss-js')\">x</a>",
])
def test_the_inertness_check_catches_live_payloads(page):
    """The checker itself fails on markup, attribute breakouts and markup inside a script string."""
    with pytest.raises(AssertionError):
        assert_inert(page, "sample")
