"""Open311 GeoReport v2 at /open311/v2: every endpoint in XML and JSON, the errors in
the spec's format, the privacy rules on every returned field, and a round trip
through a team's queue."""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from sqlalchemy import select

from volunteer import api_keys, tickets
from volunteer.open311 import documents, intake
from volunteer.extensions import db
from volunteer.lifecycle import Actor
from volunteer.clock import utcnow
from volunteer.models import ApiKey, Ticket

from .factories import category, make_ticket, make_user, team_of, ward
from .queries import count, count_in

API = "/open311/v2"
FORMATS = ("xml", "json")
CONTENT_TYPES = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}
W3C = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00$")

# The element names the spec shows for each document.
SPEC_REQUEST_FIELDS = {
    "service_request_id", "status", "status_notes", "service_name", "service_code", "description",
    "agency_responsible", "service_notice", "requested_datetime", "updated_datetime",
    "expected_datetime", "address", "address_id", "zipcode", "lat", "long", "media_url",
}
SPEC_SERVICE_FIELDS = ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]
SPEC_ATTRIBUTE_FIELDS = ["variable", "code", "datatype", "required", "datatype_description", "order",
                         "description", "values"]

# What a resident tells us and the API must never repeat.
RESIDENT = {
    "first_name": "Thị Lan",
    "last_name": "Nguyễn",
    "phone": "0912 345 678",
    "email": "lan.nguyen@example.com",
    "address_string": "12 Lê Duẩn, Phường 1",
}
SECRETS = ("Nguyễn Thị Lan", "0912345678", "912345678", "+84912345678", "0912 345 678",
           "lan.nguyen@example.com", "12 Lê Duẩn")
PHUONG_1 = {"lat": "16.81953", "long": "107.10284"}  # inside Phường 1 (19333, 2008)


def good(**overrides) -> dict:
    data = {
        "service_code": "vneid",
        **PHUONG_1,
        **RESIDENT,
        "description": "Cần kích hoạt VNeID mức 2 cho mẹ tôi.",
        "attribute[needs][]": ["elderly", "home_visit"],
        "attribute[preferred_time]": "sáng thứ Bảy",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def api_key(app):
    """A plain API key of an organisation that attested consent."""
    with app.app_context():
        _key, plain = api_keys.issue("Trung tâm IOC Quảng Trị", consent_attested=True)
        db.session.commit()
    return plain


def parse(response, fmt):
    """The body as data: JSON through json, XML through a real parser (its root element)."""
    assert response.content_type == CONTENT_TYPES[fmt]
    body = response.get_data()
    if fmt == "json":
        return json.loads(body)
    assert body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    return ET.fromstring(body)


def records(response, fmt, root, item):
    """A list document as a list of {field: text}, checking the XML's element names."""
    data = parse(response, fmt)
    if fmt == "json":
        assert isinstance(data, list)
        return data
    assert data.tag == root
    assert all(child.tag == item for child in data)
    return [{field.tag: field.text for field in child} for child in data]


def errors_of(response, fmt) -> list[dict]:
    found = records(response, fmt, "errors", "error")
    assert found, "an error body lists at least one error"
    for error in found:
        assert set(error) == {"code", "description"}
        assert int(error["code"]) == response.status_code
        assert error["description"]
    return found


def post(client, fmt, data, api_key=None, **kwargs):
    if api_key is not None:
        data = {**data, "api_key": api_key}
    return client.post(f"{API}/requests.{fmt}", data=data, **kwargs)


def all_text(data) -> list[str]:
    """Every string a client could read: JSON values or XML text, however deep."""
    if isinstance(data, ET.Element):
        return [t for t in data.itertext()]
    if isinstance(data, dict):
        return [s for value in data.values() for s in all_text(value)]
    if isinstance(data, list):
        return [s for value in data for s in all_text(value)]
    return [str(data)] if data is not None else []


def assert_private(data) -> None:
    for text in all_text(data):
        for secret in SECRETS:
            assert secret.lower() not in text.lower(), f"{secret!r} leaked in {text!r}"
        for number in re.findall(r"\d+\.\d+", text):
            assert len(number.split(".")[1]) <= 3, f"a precise coordinate leaked: {text!r}"


# --------------------------------------------------------------------------
# Discovery, services, service definitions
# --------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery_names_the_georeport_v2_endpoint(client, fmt):
    """Discovery lists changeset, contact, key_service and one GeoReport v2 endpoint with both formats."""
    response = client.get(f"{API}/discovery.{fmt}")
    assert response.status_code == 200
    data = parse(response, fmt)
    if fmt == "xml":
        assert data.tag == "discovery"
        assert [child.tag for child in data] == ["changeset", "contact", "key_service", "endpoints"]
        endpoints = data.find("endpoints")
        assert [e.tag for e in endpoints] == ["endpoint"]
        endpoint = endpoints.find("endpoint")
        assert [c.tag for c in endpoint] == ["specification", "url", "changeset", "type", "formats"]
        assert [f.tag for f in endpoint.find("formats")] == ["format", "format"]
        endpoint = {
            "specification": endpoint.findtext("specification"),
            "url": endpoint.findtext("url"),
            "type": endpoint.findtext("type"),
            "formats": [f.text for f in endpoint.find("formats")],
        }
        top = {child.tag: child.text for child in data if child.tag != "endpoints"}
    else:
        assert set(data) == {"changeset", "contact", "key_service", "endpoints"}
        endpoint = data["endpoints"][0]
        top = data
    assert top["changeset"] and top["contact"] and top["key_service"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://localhost/open311/v2"
    assert endpoint["type"] == "production"
    assert endpoint["formats"] == ["text/xml", "application/json"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_services_list_one_service_per_category_in_vietnamese(client, fmt):
    """Each active category is a realtime service with a string code and a Vietnamese name."""
    response = client.get(f"{API}/services.{fmt}")
    assert response.status_code == 200
    services = records(response, fmt, "services", "service")
    assert [s["service_code"] for s in services] == [
        "online_services", "vneid", "cashless", "local_apps", "digital_skills"]
    for service in services:
        assert list(service) == SPEC_SERVICE_FIELDS
        assert str(service["metadata"]).lower() == "true"
        assert service["type"] == "realtime"
        assert service["description"] and service["keywords"] and service["group"]
    assert services[1]["service_name"] == "Căn cước gắn chip & VNeID"


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("how", ["accept-language", "locale"])
def test_services_speak_english_on_request(client, fmt, how):
    """Accept-Language: en or ?locale=en gives the English service names."""
    if how == "locale":
        response = client.get(f"{API}/services.{fmt}?locale=en", headers={"Accept-Language": "vi"})
    else:
        response = client.get(f"{API}/services.{fmt}", headers={"Accept-Language": "en-US,en;q=0.9"})
    services = records(response, fmt, "services", "service")
    assert services[1]["service_name"] == "Chip ID card & VNeID"
    assert services[0]["description"].startswith("Filing applications")


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_definition_lists_our_attributes(app, client, fmt):
    """The definition offers ward (singlevaluelist of ward keys), needs (multivaluelist) and
    preferred_time (string), with the spec's element names."""
    response = client.get(f"{API}/services/vneid.{fmt}")
    assert response.status_code == 200
    data = parse(response, fmt)
    if fmt == "xml":
        assert data.tag == "service_definition"
        assert data.findtext("service_code") == "vneid"
        attributes = []
        for element in data.find("attributes"):
            assert element.tag == "attribute"
            assert [c.tag for c in element] == SPEC_ATTRIBUTE_FIELDS
            values = element.find("values")
            assert all(v.tag == "value" and [c.tag for c in v] == ["key", "name"] for v in values)
            attribute = {c.tag: c.text for c in element}
            attribute["values"] = [{"key": v.findtext("key"), "name": v.findtext("name")} for v in values]
            attributes.append(attribute)
    else:
        assert data["service_code"] == "vneid"
        attributes = data["attributes"]
        assert all(list(a) == SPEC_ATTRIBUTE_FIELDS for a in attributes)
    by_code = {a["code"]: a for a in attributes}
    assert [a["code"] for a in attributes] == ["ward", "needs", "preferred_time"]
    assert by_code["ward"]["datatype"] == "singlevaluelist"
    assert by_code["needs"]["datatype"] == "multivaluelist"
    assert by_code["preferred_time"]["datatype"] == "string"
    assert [v["key"] for v in by_code["needs"]["values"]] == ["elderly", "disability", "home_visit"]
    assert all(str(a["required"]).lower() == "false" and str(a["variable"]).lower() == "true"
               for a in attributes)
    assert [str(a["order"]) for a in attributes] == ["1", "2", "3"]
    ward_keys = {v["key"] for v in by_code["ward"]["values"]}
    assert {"19333:2008", "19342:2008", "19333:2025", "19351:2025"} <= ward_keys
    assert len(ward_keys) == 11  # nine former wards and the two merged ones


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_service_code_is_404(client, fmt):
    """A service definition for a code we don't have is a 404 in the spec's error format."""
    response = client.get(f"{API}/services/potholes.{fmt}")
    assert response.status_code == 404
    assert "potholes" in errors_of(response, fmt)[0]["description"]


# --------------------------------------------------------------------------
# POST requests
# --------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", FORMATS)
def test_post_creates_a_ticket_in_the_wards_team_queue(app, client, api_key, fmt):
    """A POST creates one api-channel ticket with the key recorded, routed by location, and
    answers its reference and a service notice."""
    response = post(client, fmt, good(description="Số CCCD của tôi 038123456789, cần kích hoạt."),
                    api_key=api_key)
    assert response.status_code == 201
    [receipt] = records(response, fmt, "service_requests", "request")
    assert list(receipt) == ["service_request_id", "service_notice", "account_id"]
    assert "Tổ công nghệ số cộng đồng Phường 1" in receipt["service_notice"]
    with app.app_context():
        ticket = db.session.scalar(select(Ticket))
        assert receipt["service_request_id"] == ticket.reference
        key = db.session.scalar(select(ApiKey))
        assert ticket.channel == "api" and ticket.api_key_id == key.id
        assert ticket.ward_id == ward("19333").id and ticket.team_id == team_of("19333").id
        assert ticket.location_source == "api" and ticket.status == "new"
        assert ticket.phone == "+84912345678" and ticket.phone_last4 == "5678"
        assert ticket.resident_name == "Nguyễn Thị Lan" and ticket.email == "lan.nguyen@example.com"
        assert ticket.address == "12 Lê Duẩn, Phường 1" and ticket.street.startswith("Lê Duẩn")
        assert ticket.needs_elderly and ticket.needs_home_visit and not ticket.needs_disability
        assert ticket.preferred_time == "sáng thứ Bảy"
        assert "038123456789" not in ticket.description and "************" in ticket.description
        assert [e.action for e in ticket.events] == ["created"]
        assert ticket.events[0].actor_kind == "api" and ticket.events[0].detail == "api"
    assert_private(parse(response, fmt))


@pytest.mark.parametrize("location", [
    {"address_string": "Thành Cổ"},
    {"address_string": "45 Hàm Nghi, Phường 5"},
    {"attribute[ward]": "19342:2008"},
    {"attribute[ward]": "19342", "address_string": "Nguyễn Du, Đông Lương"},
    {"attribute[ward]": "19351:2025", "address_string": "Nguyễn Du, Đông Lương"},
])
def test_post_routes_exactly_as_the_web_form(app, client, api_key, location):
    """Address, picked ward or merged ward: the API's ticket lands where create_ticket puts the
    same request from the web form."""
    data = good(**{"lat": None, "long": None, "address_string": None, "attribute[needs][]": None, **location})
    assert post(client, "json", data, api_key=api_key).status_code == 201
    with app.app_context():
        api_ticket = db.session.scalar(select(Ticket).where(Ticket.channel == "api"))
        picked = location.get("attribute[ward]")
        code, _sep, period = (picked or "").partition(":")
        # What the web form passes for the same answers.
        web_ticket = tickets.create_ticket(tickets.Request(
            name="Nguyễn Thị Lan", phone="+84912345678", category_id=api_ticket.category_id,
            address=location.get("address_string"),
            ward_id=ward(code, period or "2008").id if picked else None,
        ))
        assert api_ticket.ward_id is not None
        assert (api_ticket.ward_id, api_ticket.team_id, api_ticket.ward_flagged) == (
            web_ticket.ward_id, web_ticket.team_id, web_ticket.ward_flagged)
        db.session.rollback()


def test_post_without_location_match_goes_to_triage(app, client, api_key):
    """A point outside every ward, with nothing else, waits in the coordinators' triage queue."""
    data = good(**{"lat": "10.7769", "long": "106.7009", "address_string": None, "attribute[needs][]": None})
    response = post(client, "json", data, api_key=api_key)
    assert response.status_code == 201
    [receipt] = records(response, "json", "service_requests", "request")
    assert "điều phối viên" in receipt["service_notice"]
    with app.app_context():
        ticket = db.session.scalar(select(Ticket))
        assert ticket.ward_id is None and ticket.team_id is None


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_repeated_post_creates_nothing_twice(app, client, api_key, fmt):
    """The same body sent twice in a row (phone written differently, needs reordered) answers
    the same service_request_id and creates one ticket."""
    first = post(client, fmt, good(), api_key=api_key)
    reordered = {"phone": "+84 912 345 678", "attribute[needs][]": ["home_visit", "elderly"]}
    again = post(client, fmt, good(**reordered), api_key=api_key)
    assert (first.status_code, again.status_code) == (201, 200)
    ids = [records(r, fmt, "service_requests", "request")[0]["service_request_id"] for r in (first, again)]
    assert ids[0] == ids[1]
    assert count_in(app, Ticket) == 1
    different = post(client, fmt, good(description="Một yêu cầu khác."), api_key=api_key)
    assert different.status_code == 201
    assert count_in(app, Ticket) == 2


def test_the_same_body_a_day_later_is_a_new_request(ctx):
    """After 24 hours an identical body is a new request, not a retry."""
    key, _plain = api_keys.issue("IOC", consent_attested=True)
    form = _multidict(good())
    now = utcnow()
    first, created = intake.submit(intake.parse_submission(form, key), now=now)
    assert created
    retry, created = intake.submit(intake.parse_submission(form, key), now=now + timedelta(hours=23))
    assert retry.id == first.id and not created
    later, created = intake.submit(intake.parse_submission(form, key), now=now + timedelta(hours=25))
    assert created and later.id != first.id


def _multidict(data):
    from werkzeug.datastructures import MultiDict

    pairs = []
    for name, value in data.items():
        pairs.extend((name, v) for v in (value if isinstance(value, list) else [value]))
    return MultiDict(pairs)


BAD_POSTS = [
    ("unknown service_code", {"service_code": "potholes"}, 404, "potholes"),
    ("no service_code", {"service_code": None}, 400, "service_code"),
    ("no location", {"lat": None, "long": None, "address_string": None,
                     "attribute[needs][]": None}, 400, "vị trí"),
    ("lat 999", {"lat": "999"}, 400, "lat"),
    ("lat without long", {"long": None}, 400, "long"),
    ("lat not a number", {"lat": "abc"}, 400, "lat"),
    ("description of 5,000 characters", {"description": "a" * 5000}, 400, "4000"),
    ("HTML in the description", {"description": "Xin chào <script>alert(1)</script>"}, 400, "HTML"),
    ("a tag in the name", {"first_name": "<b>Lan</b>"}, 400, "HTML"),
    ("a name too long", {"first_name": "Lan " * 20, "last_name": "Nguyễn " * 10}, 400, "120"),
    ("needs outside its list", {"attribute[needs][]": ["elderly", "rich"]}, 400, "rich"),
    ("ward outside its list", {"attribute[ward]": "99999:2008"}, 400, "99999"),
    ("two wards", {"attribute[ward]": ["19333:2008", "19342:2008"]}, 400, "attribute[ward]"),
    ("an attribute not defined", {"attribute[colour]": "red"}, 400, "colour"),
    ("no phone", {"phone": None}, 400, "phone"),
    ("a foreign phone", {"phone": "+1 415 555 0100"}, 400, "điện thoại"),
    ("a bad e-mail", {"email": "lan@"}, 400, "email"),
    ("media_url not http", {"media_url": "javascript:alert(1)"}, 400, "media_url"),
    ("home visit without address", {"address_string": None}, 400, "address_string"),
    ("a NUL byte", {"description": "xin\x00chào"}, 400, ""),
    ("a control character", {"description": "xin\x07chào"}, 400, "description"),
    ("SQL in the code", {"service_code": "vneid' OR '1'='1"}, 404, "service_code"),
    ("wrong jurisdiction", {"jurisdiction_id": "hanoi.gov.vn"}, 404, "jurisdiction_id"),
]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("case,changes,status,mentions", BAD_POSTS, ids=[c[0] for c in BAD_POSTS])
def test_bad_posts_answer_an_error_and_create_nothing(app, client, api_key, fmt, case, changes, status,
                                                      mentions):
    """Each bad input answers its status with the spec's error body and creates no ticket."""
    response = post(client, fmt, good(**changes), api_key=api_key)
    assert response.status_code == status, response.get_data(as_text=True)
    descriptions = " ".join(e["description"] for e in errors_of(response, fmt))
    assert mentions.lower() in descriptions.lower()
    assert count_in(app, Ticket) == 0


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_right_jurisdiction_is_accepted(app, client, api_key, fmt):
    """jurisdiction_id equal to the configured one is accepted, in the body or the query."""
    assert post(client, fmt, good(jurisdiction_id="dongha.quangtri.vn"), api_key=api_key).status_code == 201
    assert client.get(f"{API}/services.{fmt}?jurisdiction_id=dongha.quangtri.vn").status_code == 200
    response = client.get(f"{API}/requests.{fmt}?jurisdiction_id=elsewhere.example")
    assert response.status_code == 404 and "elsewhere.example" in errors_of(response, fmt)[0]["description"]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("content", ["json", "multipart", "text"])
def test_a_wrong_content_type_is_refused(app, client, api_key, fmt, content):
    """Only application/x-www-form-urlencoded bodies are accepted, as the spec says."""
    if content == "json":
        response = client.post(f"{API}/requests.{fmt}", json={**good(), "api_key": api_key})
    elif content == "multipart":
        response = client.post(f"{API}/requests.{fmt}", data={**good(), "api_key": api_key},
                               content_type="multipart/form-data")
    else:
        response = client.post(f"{API}/requests.{fmt}", data="service_code=vneid", content_type="text/plain")
    assert response.status_code == 400
    assert "x-www-form-urlencoded" in errors_of(response, fmt)[0]["description"]
    assert count_in(app, Ticket) == 0


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_body_of_one_megabyte_is_413(app, client, api_key, fmt):
    """A 1 MB body answers 413 in the spec's format and creates nothing."""
    response = post(client, fmt, good(description="a" * (1024 * 1024)), api_key=api_key)
    assert response.status_code == 413
    errors_of(response, fmt)
    assert count_in(app, Ticket) == 0


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("which", ["missing", "wrong", "revoked", "huge"])
def test_a_post_needs_a_valid_api_key(app, client, api_key, fmt, which):
    """Without a key, with a wrong one or a revoked one, a POST is a 403 and creates nothing."""
    presented = {"missing": None, "wrong": "o311_" + "x" * 43, "revoked": api_key, "huge": "k" * 5000}[which]
    if which == "revoked":
        with app.app_context():
            api_keys.revoke(db.session.scalar(select(ApiKey)))
            db.session.commit()
    response = post(client, fmt, good(), api_key=presented)
    assert response.status_code == 403
    assert "api_key" in errors_of(response, fmt)[0]["description"]
    assert count_in(app, Ticket) == 0


def test_api_key_in_the_query_string_is_accepted(app, client, api_key):
    """Clients that send api_key in the query string are served too."""
    response = client.post(f"{API}/requests.json?api_key={api_key}", data=good())
    assert response.status_code == 201


@pytest.mark.parametrize("fmt", FORMATS)
def test_posts_are_rate_limited_per_key(app, make_app, fmt):
    """Past the limit a key gets 429 in the spec's format and creates nothing; another key
    still gets through."""
    app = make_app(OPEN311_POST_LIMIT="2 per minute")  # on the database `app` just reset
    with app.app_context():
        _k, first = api_keys.issue("IOC", consent_attested=True)
        _k, second = api_keys.issue("Cổng phản ánh", consent_attested=True)
        db.session.commit()
    client = app.test_client()
    for n in range(2):
        assert post(client, fmt, good(description=f"Yêu cầu {n}"), api_key=first).status_code == 201
    limited = post(client, fmt, good(description="Yêu cầu 3"), api_key=first)
    assert limited.status_code == 429
    errors_of(limited, fmt)
    assert count_in(app, Ticket) == 2
    assert post(client, fmt, good(description="Yêu cầu khác"), api_key=second).status_code == 201


# --------------------------------------------------------------------------
# GET requests, one request, tokens
# --------------------------------------------------------------------------
def _created_days_ago(days: int) -> Ticket:
    return tickets.create_ticket(
        tickets.Request(name="Trần Văn Bình", phone="+84905111222", category_id=category("vneid").id,
                        ward_id=ward("19333").id),
        now=utcnow() - timedelta(days=days),
    )


def _make(app, count=1, **fields):
    with app.app_context():
        made = [make_ticket("19333", description=f"Yêu cầu {n}", **fields).reference for n in range(count)]
        db.session.commit()
    return made


@pytest.mark.parametrize("fmt", FORMATS)
def test_get_requests_lists_recent_requests_with_the_spec_fields(app, client, fmt):
    """GET requests answers every request of the last 90 days, newest first, with the
    spec's fields, open status and +07:00 dates."""
    with app.app_context():
        old = _created_days_ago(91)
        db.session.commit()
        old_reference = old.reference
    references = _make(app, 3)
    response = client.get(f"{API}/requests.{fmt}")
    assert response.status_code == 200
    found = records(response, fmt, "service_requests", "request")
    assert [r["service_request_id"] for r in found] == references[::-1]
    assert old_reference not in {r["service_request_id"] for r in found}
    for request in found:
        assert set(request) <= SPEC_REQUEST_FIELDS
        assert request["status"] == "open"
        assert request["service_code"] == "vneid"
        assert request["agency_responsible"] == "Tổ công nghệ số cộng đồng Phường 1"
        assert W3C.match(request["requested_datetime"]) and W3C.match(request["updated_datetime"])


@pytest.mark.parametrize("fmt", FORMATS)
def test_get_requests_filters(app, client, fmt):
    """service_request_id overrides the rest; service_code, status, dates and paging filter."""
    vneid = _make(app, 2)
    cashless = _make(app, 1, category_code="cashless")
    with app.app_context():
        old = _created_days_ago(120)
        volunteer = make_user("volunteer", "19333")
        closed = db.session.scalar(select(Ticket).where(Ticket.reference == vneid[0]))
        actor = Actor.for_user(volunteer)
        tickets.apply_transition(closed, "claim", actor)
        tickets.apply_transition(closed, "resolve", actor, outcome="helped")
        db.session.commit()
        old_reference = old.reference

    def ids(query):
        response = client.get(f"{API}/requests.{fmt}?{query}")
        assert response.status_code == 200, response.get_data(as_text=True)
        return [r["service_request_id"] for r in records(response, fmt, "service_requests", "request")]

    assert set(ids(f"service_request_id={vneid[1]},{old_reference.lower()}&status=closed")) == {
        vneid[1], old_reference}
    assert set(ids("service_code=cashless")) == set(cashless)
    assert set(ids("service_code=cashless,vneid")) == set(vneid + cashless)
    assert ids("status=closed") == [vneid[0]]
    assert set(ids("status=open")) == {vneid[1], *cashless}
    assert set(ids("status=open,closed")) == set(vneid + cashless)
    with app.app_context():
        created = db.session.scalar(select(Ticket.created_at).where(Ticket.reference == old_reference))
    start = (created - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (created + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert ids(f"start_date={start}&end_date={end}") == [old_reference]
    # "+07:00" sent unencoded arrives as " 07:00"; it is still understood.
    local_start = (created + timedelta(hours=7) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S+07:00")
    assert ids(f"start_date={local_start}") == [old_reference]
    assert len(ids("page_size=2")) == 2 and len(ids("page_size=2&page=2")) == 1
    assert ids("page_size=2&page=3") == []


BAD_QUERIES = [
    ("start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z", 400, "90"),
    ("start_date=yesterday", 400, "start_date"),
    ("start_date=2026-02-01T00:00:00Z&end_date=2026-01-01T00:00:00Z", 400, "start_date"),
    ("status=pending", 400, "status"),
    ("page_size=0", 400, "page_size"),
    ("page_size=5000", 400, "page_size"),
    ("page=-1", 400, "page"),
    ("service_code=potholes", 404, "potholes"),
]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("query,status,mentions", BAD_QUERIES, ids=[q[0] for q in BAD_QUERIES])
def test_bad_request_queries_are_refused(client, fmt, query, status, mentions):
    """A range over 90 days, a bad date, status, page or service code answers an error body."""
    response = client.get(f"{API}/requests.{fmt}?{query}")
    assert response.status_code == status
    assert mentions in " ".join(e["description"] for e in errors_of(response, fmt))


@pytest.mark.parametrize("fmt", FORMATS)
def test_get_one_request_is_a_one_element_array(app, client, fmt):
    """GET requests/{id} answers a one-element array; an unknown id is a 404 error body."""
    [reference] = _make(app)
    response = client.get(f"{API}/requests/{reference}.{fmt}")
    assert response.status_code == 200
    [found] = records(response, fmt, "service_requests", "request")
    assert found["service_request_id"] == reference
    assert client.get(f"{API}/requests/{reference.lower()}.{fmt}").status_code == 200
    missing = client.get(f"{API}/requests/DH-ZZZZZZ.{fmt}")
    assert missing.status_code == 404
    assert "DH-ZZZZZZ" in errors_of(missing, fmt)[0]["description"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_token_resolves_at_once(app, client, fmt):
    """GET tokens/{token} answers the request id and the token; an unknown token is a 404."""
    [reference] = _make(app)
    response = client.get(f"{API}/tokens/{reference}.{fmt}")
    assert response.status_code == 200
    assert records(response, fmt, "service_requests", "request") == [
        {"service_request_id": reference, "token": reference}]
    missing = client.get(f"{API}/tokens/nothing.{fmt}")
    assert missing.status_code == 404
    errors_of(missing, fmt)


# --------------------------------------------------------------------------
# Privacy
# --------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", FORMATS)
def test_no_endpoint_returns_the_residents_name_phone_email_or_house_number(app, client, api_key, fmt):
    """Every field of every answer leaves out the resident's name, phone, e-mail and house
    number, even when the description repeats them; coordinates are rounded to 100 m."""
    chatty = ("Tôi là Nguyễn Thị Lan, nhà ở 12 Lê Duẩn, gọi 0912 345 678 hoặc "
              "lan.nguyen@example.com")
    data = good(description=chatty, media_url="https://example.org/a.jpg")
    response = post(client, fmt, data, api_key=api_key)
    assert response.status_code == 201
    answers = [response]
    with app.app_context():
        web = make_ticket("19333", name="Nguyễn Thị Lan", phone="+84912345678", address="12 Lê Duẩn",
                          description="Gọi 0912345678 giúp tôi", email="lan.nguyen@example.com",
                          lat=16.819531, lon=107.102842)
        db.session.commit()
        references = [t.reference for t in db.session.scalars(select(Ticket))]
    answers.append(client.get(f"{API}/requests.{fmt}"))
    answers += [client.get(f"{API}/requests/{r}.{fmt}") for r in references]
    answers += [client.get(f"{API}/tokens/{r}.{fmt}") for r in references]
    assert [answer.status_code for answer in answers[1:]] == [200] * (len(answers) - 1)
    for answer in answers:
        assert_private(parse(answer, fmt))
    found = records(answers[1], fmt, "service_requests", "request")
    assert len(found) == 2
    for request in found:
        assert request["address"] == "Lê Duẩn, Phường 1"
        assert float(request["lat"]) == 16.82 and float(request["long"]) == 107.103
    assert "***" in found[0]["description"] or "***" in found[1]["description"]
    assert web.reference in references


# --------------------------------------------------------------------------
# The round trip
# --------------------------------------------------------------------------
def _status(client, reference, fmt):
    response = client.get(f"{API}/requests/{reference}.{fmt}")
    [found] = records(response, fmt, "service_requests", "request")
    return found["status"], found["status_notes"]


def test_round_trip_through_the_wards_team_queue(app, client, api_key):
    """A POSTed request appears in the ward team's queue; as a volunteer claims, starts and
    resolves it, GET shows open/closed and the step in status_notes, in both formats."""
    response = post(client, "xml", good(), api_key=api_key)
    [receipt] = records(response, "xml", "service_requests", "request")
    reference = receipt["service_request_id"]
    with app.app_context():
        team_id = team_of("19333").id
        queue = db.session.scalars(
            select(Ticket.reference).where(Ticket.team_id == team_id, Ticket.status == "new")
        ).all()
        assert reference in queue
        volunteer_id = make_user("volunteer", "19333").id
        db.session.commit()
    for fmt in FORMATS:
        assert _status(client, reference, fmt) == ("open", "Đã tiếp nhận yêu cầu")

    steps = [
        ("claim", {}, ("open", "Tình nguyện viên đã nhận hỗ trợ")),
        ("start", {}, ("open", "Tình nguyện viên bắt đầu hỗ trợ")),
        ("contact", {"contact_result": "answered"}, ("open", "Tình nguyện viên bắt đầu hỗ trợ")),
        ("resolve", {"outcome": "helped", "note": "Bà Lan đã kích hoạt xong"},
         ("closed", "Đã giải quyết: Đã hỗ trợ xong")),
    ]
    for action, extra, expected in steps:
        with app.app_context():
            from volunteer.models import User

            ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference))
            volunteer = Actor.for_user(db.session.get(User, volunteer_id))
            tickets.apply_transition(ticket, action, volunteer, **extra)
            db.session.commit()
        for fmt in FORMATS:
            assert _status(client, reference, fmt) == expected
    # The volunteer's internal note is never published.
    body = client.get(f"{API}/requests/{reference}.json").get_data(as_text=True)
    assert "Bà Lan" not in body


# --------------------------------------------------------------------------
# Errors for everything under /open311/v2
# --------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_paths_and_methods_answer_in_the_spec_format(client, fmt):
    """An unknown resource is a 404 and a wrong method a 405 with Allow, both as error bodies."""
    missing = client.get(f"{API}/potholes.{fmt}")
    assert missing.status_code == 404
    errors_of(missing, fmt)
    wrong = client.delete(f"{API}/requests.{fmt}")
    assert wrong.status_code == 405
    assert {"GET", "POST"} <= {m.strip() for m in wrong.headers["Allow"].split(",")}
    errors_of(wrong, fmt)
    put = client.put(f"{API}/services.{fmt}")
    assert put.status_code == 405
    errors_of(put, fmt)


def test_an_unexpected_failure_is_a_500_error_body(client, monkeypatch):
    """A crash inside the API answers 500 in the spec's format, without a traceback."""
    def broken(*_args, **_kwargs):
        raise RuntimeError("boom: internal detail")

    monkeypatch.setattr(documents, "services_document", broken)
    response = client.get(f"{API}/services.xml")
    assert response.status_code == 500
    [error] = errors_of(response, "xml")
    assert "boom" not in error["description"]


def test_the_api_takes_posts_without_a_csrf_token(app, client, api_key):
    """CSRF protects browser forms; the API authenticates with api_key instead."""
    assert app.config.get("WTF_CSRF_ENABLED", True)
    assert post(client, "json", good(), api_key=api_key).status_code == 201


# --------------------------------------------------------------------------
# API keys
# --------------------------------------------------------------------------
def test_apikeys_create_prints_the_key_once_and_stores_a_hash(app, runner):
    """`flask apikeys create --org … --consent-attested` prints a working key; only its hash
    and a short prefix are stored; `list` never shows it."""
    result = runner.invoke(
        args=["apikeys", "create", "--org", "Trung tâm IOC Quảng Trị", "--consent-attested"])
    assert result.exit_code == 0, result.output
    plain = next(line for line in result.output.splitlines() if line.startswith("o311_"))
    with app.app_context():
        key = db.session.scalar(select(ApiKey))
        assert key.organisation == "Trung tâm IOC Quảng Trị"
        assert key.key_hash == api_keys.fingerprint(plain) and plain not in (key.key_hash, key.key_prefix)
        assert plain.startswith(key.key_prefix) and key.consent_attested_at is not None
        assert api_keys.authenticate(plain).id == key.id
    listing = runner.invoke(args=["apikeys", "list"])
    assert key.key_prefix in listing.output and plain not in listing.output
    assert key.key_hash not in listing.output


def test_apikeys_create_needs_the_consent_attestation(app, runner):
    """Without --consent-attested and without a yes at the prompt, no key is issued."""
    result = runner.invoke(args=["apikeys", "create", "--org", "Ai đó"], input="n\n")
    assert result.exit_code != 0
    assert "consent" in result.output
    with app.app_context():
        assert count(ApiKey) == 0


def test_apikeys_revoke_stops_the_key(app, runner, client, api_key):
    """`flask apikeys revoke PREFIX` revokes the key: its next POST is a 403."""
    with app.app_context():
        prefix = db.session.scalar(select(ApiKey.key_prefix))
    assert post(client, "json", good(), api_key=api_key).status_code == 201
    result = runner.invoke(args=["apikeys", "revoke", prefix])
    assert result.exit_code == 0 and "Revoked" in result.output
    assert post(client, "json", good(description="Lần hai"), api_key=api_key).status_code == 403
    again = runner.invoke(args=["apikeys", "revoke", prefix])
    assert "already revoked" in again.output
    assert runner.invoke(args=["apikeys", "revoke", "o311_nothing"]).exit_code != 0


def test_simultaneous_retries_create_one_ticket(app, live_server, api_key):
    """Four copies of one POST sent at the same moment create one ticket and all answer its id."""
    import threading
    import urllib.error
    import urllib.request
    from urllib.parse import urlencode

    body = urlencode({**good(), "api_key": api_key}, doseq=True).encode()
    barrier = threading.Barrier(4)
    answers = []

    def send():
        request = urllib.request.Request(f"{live_server.url}{API}/requests.json", data=body, headers={
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
        barrier.wait()
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                answers.append((response.status, json.loads(response.read())))
        except urllib.error.HTTPError as error:
            answers.append((error.code, error.read().decode()))

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(status for status, _body in answers) == [200, 200, 200, 201], answers
    assert len({body[0]["service_request_id"] for _status, body in answers}) == 1
    assert count_in(app, Ticket) == 1
