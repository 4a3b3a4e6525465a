"""Possible duplicates nearby compare measured positions only, through an index that
stops at its limit: a street's one gazetteer point shared by thousands of tickets does
not make them neighbours, nor make the coordinator's ticket page read them all."""
from datetime import timedelta

import pytest
from sqlalchemy import event, insert, text

from tests.factories import category, make_ticket, make_user, ward
from volunteer import duplicates
from volunteer.clock import utcnow
from volunteer.extensions import db
from volunteer.models import Ticket

STREET_POINT = (16.8172, 107.0995)  # every ticket geocoded to this street gets it
ON_THE_STREET = 5000


@pytest.fixture
def busy_street(ctx):
    """5,000 open tickets of one category geocoded to one street point, and three
    measured ones: two 20 m from that point, one 300 m away."""
    now = utcnow()
    vneid, area = category("vneid").id, ward("19333").id
    rows = [dict(reference=f"DH-S{i:05d}", phone=f"+8491{i:07d}", phone_last4=f"{i:04d}"[-4:],
                 category_id=vneid, ward_id=area, lat=STREET_POINT[0], lon=STREET_POINT[1],
                 location_source="geocoded", address="Lê Duẩn", description="", channel="web",
                 status="new", consent_at=now, created_at=now - timedelta(minutes=i), updated_at=now)
            for i in range(ON_THE_STREET)]
    db.session.execute(insert(Ticket), rows)
    near = [make_ticket("19333", phone=f"+849000000{i}", lat=STREET_POINT[0] + 0.00018, lon=STREET_POINT[1])
            for i in range(2)]
    far = make_ticket("19333", phone="+84900000009", lat=STREET_POINT[0] + 0.0027, lon=STREET_POINT[1])
    db.session.execute(text("ANALYZE"))
    db.session.flush()
    return near, far


def test_geocoded_tickets_are_nobodys_neighbours(busy_street):
    near, far = busy_street
    geocoded = db.session.scalar(db.select(Ticket).where(Ticket.location_source == "geocoded").limit(1))
    assert [reason for _, reason in duplicates.suggest(geocoded)] == []
    assert [(other.id, reason) for other, reason in duplicates.suggest(near[0])] == [(near[1].id, "nearby")]
    assert duplicates.suggest(far) == []


def test_the_nearby_query_reads_only_the_measured_positions_index(busy_street, backend):
    """Asserted on the plan (SQLite) or the rows the executor touched (PostgreSQL),
    never on time; on the statement and parameters exactly as the app sends them (with
    the measured sources as bound parameters, SQLite could not prove the partial index
    applies and walked two weeks of every ticket), and on PostgreSQL with a custom and a
    generic plan asked for (a prepared statement may settle on the generic one)."""
    near, _ = busy_street
    sent = []

    def capture(_conn, _cursor, statement, parameters, _context, _executemany):
        sent.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        statement, parameters = duplicates.candidates(near[0])  # both rules, as a page asks
        db.session.execute(statement, parameters).all()
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    statement, parameters = sent[-1]
    cursor = db.session.connection().connection.driver_connection.cursor()
    if backend == "sqlite":
        plan = " | ".join(row[-1] for row in cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters))
        assert "USING INDEX ix_tickets_measured_position" in plan, plan
        assert "SCAN tickets" not in plan.replace("SEARCH tickets", ""), plan
    else:
        for mode in ("force_custom_plan", "force_generic_plan"):
            cursor.execute(f"SET LOCAL plan_cache_mode = {mode}")
            cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters)
            plan = cursor.fetchone()[0]
            assert "ix_tickets_measured_position" in str(plan), (mode, plan)
            touched = _rows_touched(plan[0]["Plan"])
            assert touched <= 10, (mode, touched, plan)


def _rows_touched(node: dict) -> int:
    """Rows each scan returned plus those it read and threw away."""
    own = 0
    if "Scan" in node["Node Type"]:
        own = node.get("Actual Rows", 0) + node.get("Rows Removed by Filter", 0) \
            + node.get("Rows Removed by Index Recheck", 0)
    return own + sum(_rows_touched(child) for child in node.get("Plans", []))


def test_the_coordinators_ticket_page_of_a_street_ticket(app, client, sign_in, busy_street):
    geocoded = db.session.scalar(db.select(Ticket).where(Ticket.location_source == "geocoded").limit(1))
    coordinator = make_user("coordinator", None)
    db.session.commit()
    sign_in(client, coordinator)
    page = client.get(f"/coordinator/tickets/{geocoded.id}")
    assert page.status_code == 200
    assert "cách dưới 50 m" not in page.get_data(as_text=True)
