"""Every length limit is defined once (volunteer/limits.py): the columns, the forms and
the Open311 intake agree, and values derived from what a resident typed are cut to fit.
These run on PostgreSQL too, which refuses an over-long VARCHAR (SQLite never checks)."""
import logging
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from tests.factories import category, make_user, submit_request_form, ward
from tests.test_campaign_pages import signed
from volunteer import api_keys, campaigns, limits
from volunteer.blueprints.campaigns.forms import VisitForm
from volunteer.blueprints.public.forms import RequestForm
from volunteer.clock import local_date, utcnow
from volunteer.extensions import db
from volunteer.models import Ticket, Visit

# No house number: the whole first part would become the derived street.
LONG_STREET = "Đường " + "Lê Duẩn kéo dài " * 30


def _max_length(field) -> int:
    return next(v.max for v in field.validators if hasattr(v, "max") and v.max not in (None, -1))


@pytest.mark.parametrize("form_class, field_name, column", [
    (RequestForm, "name", Ticket.resident_name),
    (RequestForm, "address", Ticket.address),
    (RequestForm, "preferred_time", Ticket.preferred_time),
    (VisitForm, "household", Visit.household_label),
    (VisitForm, "street", Visit.street),
    (VisitForm, "resident_name", Ticket.resident_name),
])
def test_each_form_field_accepts_what_its_column_holds(app, form_class, field_name, column):
    """A form's maximum is its column's length, so the form refuses what would not fit."""
    with app.test_request_context():
        form = form_class(meta={"csrf": False})
        assert _max_length(getattr(form, field_name)) == column.type.length


def test_a_long_address_without_house_number_is_stored(app, client):
    """300 characters, no house number: the derived street is cut to its column, not a 500."""
    address = LONG_STREET[:limits.ADDRESS_MAX]
    assert len(address) == limits.ADDRESS_MAX
    assert submit_request_form(client, address=address).status_code == 302
    assert submit_request_form(client, address=address + "x").status_code == 400
    with app.app_context():
        ticket = db.session.scalar(select(Ticket))
        assert ticket.address == address
        assert 0 < len(ticket.street) <= limits.STREET_MAX and address.startswith(ticket.street)


def test_a_long_open311_address_string_is_stored(app, client):
    with app.app_context():
        _key, plain = api_keys.issue("IOC", consent_attested=True)
        db.session.commit()
    base = {"api_key": plain, "service_code": "vneid", "phone": "0912 345 678",
            "first_name": "Lan", "last_name": "Nguyễn " + "x" * (limits.NAME_MAX - 11)}
    address = LONG_STREET[:limits.ADDRESS_MAX]
    assert client.post("/open311/v2/requests.json", data={**base, "address_string": address}).status_code == 201
    too_long = client.post("/open311/v2/requests.json", data={**base, "address_string": address + "x",
                                                              "phone": "0912 345 679"})
    assert too_long.status_code == 400
    with app.app_context():
        ticket = db.session.scalar(select(Ticket))
        assert len(ticket.resident_name) == limits.NAME_MAX
        assert len(ticket.street) <= limits.STREET_MAX


def test_a_door_to_door_visit_with_the_longest_label_is_stored(app, client, sign_in, csrf):
    """A 200-character household label and a 160-character street, with a follow-up ticket."""
    with app.app_context():
        volunteer = make_user("volunteer", "19333").id
        today = local_date(utcnow())
        running = campaigns.create_campaign(
            name="C" * limits.CAMPAIGN_NAME_MAX, starts_on=today - timedelta(days=1),
            ends_on=today + timedelta(days=1), category_ids=[category("vneid").id]).id
        ward_id = ward("19333").id
        db.session.commit()
    signed(app, client, sign_in, volunteer)
    data = {"csrf_token": csrf(client, "/field/"), "campaign": running, "ward": ward_id,
            "household": ("Hộ ông Trần Văn Bình " * 20)[:limits.HOUSEHOLD_LABEL_MAX],
            "street": LONG_STREET[:limits.STREET_MAX], "outcome": "needs_follow_up",
            "resident_phone": "0912 000 222", "consent": "y", "save": "1",
            "resident_name": "B" * limits.NAME_MAX}
    assert client.post(f"/field/?campaign={running}", data=data).status_code == 302
    over = {**data, "household": data["household"] + "x"}
    assert client.post(f"/field/?campaign={running}", data=over).status_code == 400
    with app.app_context():
        visit = db.session.scalar(select(Visit))
        assert len(visit.household_label) == limits.HOUSEHOLD_LABEL_MAX
        ticket = db.session.get(Ticket, visit.ticket_id)
        assert len(ticket.address) <= limits.ADDRESS_MAX and len(ticket.street) <= limits.STREET_MAX


def test_a_visit_label_alone_fits_the_visit_street(ctx):
    """Without a street typed, the visit's street comes from the label, cut to fit."""
    user = make_user("volunteer", "19333")
    today = local_date(utcnow())
    campaign = campaigns.create_campaign(name="C", starts_on=today, ends_on=today,
                                         category_ids=[category("vneid").id])
    visit = campaigns.log_visit(campaign, user, campaigns.VisitInput(
        ward_id=ward("19333").id, household_label="Hộ " + "Bình " * 60, outcome="helped"))
    assert len(visit.street) <= limits.STREET_MAX
    db.session.flush()


def test_a_database_error_logs_no_value_the_resident_typed(app, client, caplog, capsys):
    """A statement that fails (here: one sent to a table that does not exist) is logged
    without its parameters: the name and phone typed never reach the log."""
    @event.listens_for(_engine(app), "before_cursor_execute", retval=True)
    def broken_insert(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("INSERT INTO tickets "):
            statement = statement.replace("INSERT INTO tickets ", "INSERT INTO tickets_gone ", 1)
        return statement, parameters

    caplog.set_level(logging.DEBUG)
    try:
        response = submit_request_form(client, name="Phạm Thị Hoa Mai", phone="0987 654 321",
                                       description="Gọi số 0987654321 giúp tôi")
    finally:
        event.remove(_engine(app), "before_cursor_execute", broken_insert)
    assert response.status_code in (500, 503)
    captured = capsys.readouterr()
    logged = caplog.text + captured.out + captured.err
    assert "database error" in logged or "database unavailable" in logged  # the failure was logged
    for secret in ("Phạm Thị Hoa Mai", "0987654321", "987654321", "654 321"):
        assert secret not in logged


def _engine(app):
    with app.app_context():
        return db.engine


def test_postgresql_length_error_logs_no_value(app, client, backend, caplog, capsys, monkeypatch):
    """Were a derived value ever not cut (here: the cut switched off), PostgreSQL's refusal
    is a 500 whose log holds neither the name nor the phone."""
    if backend != "postgresql":
        pytest.skip("SQLite does not enforce VARCHAR lengths")
    from volunteer import tickets
    monkeypatch.setattr(tickets, "fit", lambda value, limit: value)
    caplog.set_level(logging.DEBUG)
    response = submit_request_form(client, name="Phạm Thị Hoa Mai", phone="0987 654 321",
                                   address=LONG_STREET[:limits.ADDRESS_MAX])
    assert response.status_code == 500
    captured = capsys.readouterr()
    logged = caplog.text + captured.out + captured.err
    assert "StringDataRightTruncation" in logged
    for secret in ("Phạm Thị Hoa Mai", "0987654321", "987654321", "Lê Duẩn kéo dài"):
        assert secret not in logged


def test_a_database_error_is_logged_without_the_drivers_copy_of_the_row(app, caplog, capsys):
    """PostgreSQL's message repeats the failing row ("DETAIL: Failing row contains …"):
    the log keeps the rule that failed and where, never that message."""
    from sqlalchemy.exc import IntegrityError

    class Diag:
        sqlstate, table_name, column_name, constraint_name = "23502", "tickets", "reference", None

    class NotNullViolation(Exception):
        diag = Diag()

    # Built outside the raising line: the logged traceback quotes source lines.
    row = "Phạm Thị Hoa Mai, +84987654321"
    error = IntegrityError("INSERT INTO tickets ...", {"row": row}, NotNullViolation(
        f'null value in column "reference"\nDETAIL: Failing row contains ({row}).'))

    def failing():
        raise error

    app.add_url_rule("/failing-insert", view_func=failing)
    caplog.set_level(logging.DEBUG)
    assert app.test_client().get("/failing-insert").status_code == 500
    captured = capsys.readouterr()
    logged = caplog.text + captured.out + captured.err
    assert "NotNullViolation" in logged and "column_name=reference" in logged
    for secret in ("Phạm Thị Hoa Mai", "987654321", "Failing row"):
        assert secret not in logged
