"""Hostile input on the resident's side: any text, any unicode, any length never
gives a 500 and never stores a ticket from an invalid submission."""
import re
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from volunteer import limits
from volunteer.extensions import db
from volunteer.models import Ticket, Visit
from volunteer.phones import InvalidPhone, normalize_phone

from .conftest import csrf_from
from .factories import make_ticket, valid_request_form
from .queries import count_in

# The hidden fields too: the property below puts hostile text in every field a browser sends.
GOOD = valid_request_form(lat="", lon="", location_source="", via="")
CATEGORIES = {"online_services", "vneid", "cashless", "local_apps", "digital_skills"}
# Generous limits so the property, not the rate limiter, decides the answer.
UNLIMITED = {"RATELIMIT_PUBLIC_FORM": "100000 per minute", "TRACKING_BACKOFF": (100000, 60, 3600),
             "RATELIMIT_TRACKING": "100000 per minute"}
HYPOTHESIS = settings(max_examples=60, deadline=None,
                      suppress_health_check=[HealthCheck.function_scoped_fixture,
                                             HealthCheck.too_slow])

# Text at and just past every maximum, without a house number (so a derived street is as
# long as it gets): PostgreSQL refuses what does not fit, SQLite never checks.
LIMITS = sorted({limits.NAME_MAX, limits.PHONE_TYPED_MAX, limits.EMAIL_MAX, limits.ADDRESS_MAX,
                 limits.STREET_MAX, limits.DESCRIPTION_MAX, limits.OPEN311_DESCRIPTION_MAX,
                 limits.PREFERRED_TIME_MAX, limits.MEDIA_URL_MAX, limits.HOUSEHOLD_LABEL_MAX,
                 limits.SHORT_NOTE_MAX})
at_the_limits = st.builds(lambda length, past, word: (word * length)[:length + past],
                          st.sampled_from(LIMITS), st.sampled_from([0, 1]),
                          st.sampled_from(["Lê Duẩn kéo dài ", "Hộ ông Trần Văn Bình ", "x", "Ẩ"]))
any_text = st.one_of(
    at_the_limits,
    st.text(max_size=40),
    st.text(min_size=100, max_size=400),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=2500),
    st.sampled_from(["", " ", "\x00", "<script>alert(1)</script>", "' OR 1=1 --",
                     "nan", "inf", "-1e999", "１２３", "0912345678\x00", "\u202e\u0000",
                     "=HYPERLINK(\"http://x\")", "9" * 5000]),
)


def field_values(name):
    return st.one_of(st.just(GOOD[name]), any_text)


# Mostly one hostile field in an otherwise good request (the hard case: everything
# else passes), sometimes everything at once.
one_field = st.builds(lambda name, value: {**GOOD, name: value}, st.sampled_from(sorted(GOOD)),
                      any_text)
submission = st.one_of(one_field, one_field, st.fixed_dictionaries(
    {name: field_values(name) for name in GOOD}))


def csrf_token(client) -> str:
    return csrf_from(client.get("/").get_data(as_text=True))


def is_valid(form: dict) -> bool:
    """What a valid request is, said independently of the form class."""
    try:
        normalize_phone(form["phone"])
    except InvalidPhone:
        return False
    if "\x00" in "".join(form.values()):
        return False
    return (
        bool(form["name"].strip()) and len(form["name"]) <= limits.NAME_MAX
        and len(form["phone"]) <= limits.PHONE_TYPED_MAX
        and form["category"] in CATEGORIES
        and form["consent"] not in ("", None)
        and len(form["address"]) <= limits.ADDRESS_MAX
        and len(form["description"]) <= limits.DESCRIPTION_MAX
        and len(form["preferred_time"]) <= limits.PREFERRED_TIME_MAX
    )


def test_public_form_never_fails_and_never_stores_an_invalid_request(make_app, backend):
    """Any text in any field: a 302 or a 400, never a 500; a ticket only from a valid request."""
    app = make_app(**UNLIMITED)
    client = app.test_client()
    token = csrf_token(client)

    @HYPOTHESIS
    @given(form=submission)
    def check(form):
        before = count_in(app, Ticket)
        response = client.post("/", data={**form, "csrf_token": token})
        assert response.status_code in (302, 400, 413), response.status_code
        after = count_in(app, Ticket)
        if response.status_code == 302:
            assert is_valid(form), form
            assert after == before + 1
            reference = response.headers["Location"].rsplit("/", 1)[-1]
            with app.app_context():
                ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference))
                assert ticket.resident_name and ticket.resident_name == ticket.resident_name.strip()
                assert re.fullmatch(r"\+84\d{9}", ticket.phone)
        else:
            assert after == before

    check()


def test_tracking_never_fails_and_finds_only_the_right_pair(make_app, backend):
    """Any reference and digits: 302 only for the real pair, else 400/404, never a 500."""
    app = make_app(**UNLIMITED)
    with app.app_context():
        ticket = make_ticket("19333", phone="+84912345678")
        db.session.commit()
        reference = ticket.reference
    client = app.test_client()
    token = csrf_token(client)

    @HYPOTHESIS
    @given(typed_reference=st.one_of(st.just(reference), st.just(reference.lower()), any_text),
           digits=st.one_of(st.just("5678"), any_text))
    def check(typed_reference, digits):
        response = client.post("/track", data={"csrf_token": token, "reference": typed_reference,
                                               "phone_last4": digits})
        assert response.status_code in (302, 400, 404), response.status_code
        if response.status_code == 302:
            assert digits == "5678"
            assert response.headers["Location"].endswith(f"/track/{reference}")
        # A slash would be routing's business (308/405), not the view's.
        page = client.get("/track/" + quote(typed_reference.replace("/", "") or "x", safe=""))
        assert page.status_code in (200, 400, 404), page.status_code

    check()


def test_nul_characters_are_refused_before_they_reach_the_database(app, client):
    """A NUL in a form field, a URL or a JSON body is a 400 (PostgreSQL would 500), nothing stored."""
    token = csrf_token(client)
    assert client.post("/", data={**GOOD, "address": "12\x00 Lê Duẩn", "csrf_token": token}).status_code == 400
    assert client.get("/track/DH-%00AAAA").status_code == 400
    assert client.get("/track?reference=%00").status_code == 400
    assert client.post("/", data='{"name": "a\\u0000"}', content_type="application/json").status_code == 400
    assert count_in(app, Ticket) == 0
    assert client.post("/", data={**GOOD, "csrf_token": token}).status_code == 302


# --- the Open311 POST ------------------------------------------------------------------

OPEN311_GOOD = {
    "service_code": "vneid",
    "lat": "16.81953",
    "long": "107.10284",
    "first_name": "Thị Lan",
    "last_name": "Nguyễn",
    "phone": "0912 345 678",
    "email": "lan.nguyen@example.com",
    "address_string": "12 Lê Duẩn, Phường 1",
    "description": "Cần kích hoạt VNeID mức 2.",
    "media_url": "https://example.com/a.jpg",
    "attribute[preferred_time]": "sáng thứ Bảy",
    "attribute[needs][]": "elderly",
    "jurisdiction_id": "dongha.quangtri.vn",
    "device_id": "ioc-1",
    "account_id": "42",
}
open311_one_field = st.builds(lambda name, value: {**OPEN311_GOOD, name: value},
                              st.sampled_from(sorted(OPEN311_GOOD) + ["attribute[ward]", "address_id",
                                                                      "attribute[bogus]", "api_key"]),
                              any_text)
open311_submission = st.one_of(open311_one_field, open311_one_field, st.fixed_dictionaries(
    {name: st.one_of(st.just(value), any_text) for name, value in OPEN311_GOOD.items()}))


def test_open311_post_never_fails_and_errors_store_nothing(make_app, backend):
    """Any text in any Open311 field: a spec answer (201 or an error list), never a 500;
    an error never leaves a ticket behind, and no answer repeats the resident's phone."""
    import json
    import xml.etree.ElementTree as ElementTree

    from volunteer import api_keys

    app = make_app(OPEN311_POST_LIMIT="100000 per minute", OPEN311_READ_LIMIT="100000 per minute")
    with app.app_context():
        _key, plain = api_keys.issue("Trung tâm IOC Quảng Trị", consent_attested=True)
        db.session.commit()
    client = app.test_client()
    outcomes = []

    @HYPOTHESIS
    @given(form=open311_submission, fmt=st.sampled_from(["json", "xml"]))
    def check(form, fmt):
        before = count_in(app, Ticket)
        data = {"api_key": plain, **form}
        response = client.post(f"/open311/v2/requests.{fmt}", data=data)
        assert response.status_code in (200, 201, 400, 403, 404, 413), response.status_code
        body = response.get_data()
        parsed = json.loads(body) if fmt == "json" else ElementTree.fromstring(body)
        assert parsed is not None
        after = count_in(app, Ticket)
        outcomes.append(response.status_code)
        if response.status_code == 201:
            assert after == before + 1
        else:  # an error, or 200: the same request again within the dedupe window
            assert after == before
        assert b"912345678" not in body

    check()
    # Both sides of the property were exercised.
    assert any(s in (200, 201) for s in outcomes) and any(s >= 400 for s in outcomes)


# --- the door-to-door visit form ---------------------------------------------------------

VISIT_GOOD = {"street": "Lê Duẩn", "household": "12", "outcome": "needs_follow_up",
              "resident_name": "Trần Văn Bình", "resident_phone": "0912 000 222", "consent": "y",
              "note": "Cần cài VNeID", "lat": "16.8195", "lon": "107.1028"}
visit_submission = st.one_of(
    st.builds(lambda name, value: {**VISIT_GOOD, name: value}, st.sampled_from(sorted(VISIT_GOOD)),
              any_text),
    st.fixed_dictionaries({name: st.one_of(st.just(value), at_the_limits)
                           for name, value in VISIT_GOOD.items()}))


def test_visit_form_never_fails_and_stores_only_what_fits(make_app, backend, sign_in):
    """Any text, at and past every maximum, in any visit field: a 302 or a 400, never a 500;
    a stored visit (and its follow-up ticket) always fits its columns."""
    from datetime import timedelta

    from volunteer import campaigns
    from volunteer.clock import local_date, utcnow
    from volunteer.models import Category, User

    from .factories import make_user, ward

    app = make_app()
    with app.app_context():
        user = make_user("volunteer", "19333")
        today = local_date(utcnow())
        vneid = db.session.scalar(select(Category.id).where(Category.code == "vneid"))
        campaign_id = campaigns.create_campaign(
            name="Tuần lễ VNeID", starts_on=today - timedelta(days=1), ends_on=today + timedelta(days=1),
            category_ids=[vneid]).id
        ward_id = ward("19333").id
        user_id = user.id
        db.session.commit()
        client = sign_in(app.test_client(), db.session.get(User, user_id))
    token = csrf_from(client.get("/field/").get_data(as_text=True))
    outcomes = []

    @HYPOTHESIS
    @given(form=visit_submission)
    def check(form):
        before = count_in(app, Visit)
        response = client.post(f"/field/?campaign={campaign_id}", data={
            **form, "csrf_token": token, "campaign": campaign_id, "ward": ward_id, "save": "1"})
        assert response.status_code in (302, 400), response.status_code
        outcomes.append(response.status_code)
        after = count_in(app, Visit)
        assert after == before + (1 if response.status_code == 302 else 0)
        if response.status_code == 302:
            assert len(form["household"]) <= limits.HOUSEHOLD_LABEL_MAX
            assert len(form["street"]) <= limits.STREET_MAX

    check()
    assert 302 in outcomes and 400 in outcomes
