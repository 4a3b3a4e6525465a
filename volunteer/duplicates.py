"""Possible duplicates of a ticket, for the coordinator to merge.

Two rules: the same phone asking about the same category while both are open; or the
same category within 50 m in the last 14 days, between measured positions only (a
geocoded street's single point is shared by every ticket on that street). A bounding
box in SQL finds the candidates, an exact geodesic distance keeps the close ones.
"""
from __future__ import annotations

import math
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from geopy.distance import geodesic
from sqlalchemy import (
    CompoundSelect,
    Row,
    Select,
    bindparam,
    literal_column,
    select,
    union_all,
)

from . import tickets
from .extensions import db
from .lifecycle import OPEN, Action, Status, TransitionIncomplete
from .models import MEASURED_POSITION_CLAUSE, Ticket
from .references import clean_reference
from .vocabulary import MEASURED_POSITIONS

NEAR_METRES = 50
NEAR_WINDOW = timedelta(days=14)
LIMIT = 10
_METRES_PER_DEGREE = 111_320


# What a suggestion shows (reference, status, a link) and what choosing one reads (its
# date and position), not a candidate's forty other columns.
_SHOWN = (Ticket.id, Ticket.reference, Ticket.status, Ticket.created_at, Ticket.lat, Ticket.lon)

_SAME_PHONE = (
    Ticket.id != bindparam("id"), Ticket.phone == bindparam("phone"),
    Ticket.category_id == bindparam("category_id"), Ticket.status.in_(OPEN),
)
# The measured-positions condition is the partial index's own predicate, as literal
# SQL: with the sources as bound parameters SQLite cannot prove that the index applies,
# and walked 14 days of every ticket through another one instead (145 ms at 200,000
# tickets, against under 1 ms through this one).
_NEARBY = (
    Ticket.category_id == bindparam("category_id"), MEASURED_POSITION_CLAUSE,
    Ticket.lat.between(bindparam("lat_low"), bindparam("lat_high")),
    Ticket.lon.between(bindparam("lon_low"), bindparam("lon_high")),
    Ticket.created_at >= bindparam("since"),
    Ticket.id != bindparam("id"), Ticket.status != Status.CANCELLED,
)


def _arm(reason: str, criteria, limit: int) -> Select:
    return (select(*_SHOWN, literal_column(f"'{reason}'").label("reason"))
            .where(*criteria).order_by(Ticket.created_at.desc()).limit(limit))


# Built once (the ticket page asks each time; building one cost more than running it).
# With both rules, one statement: each rule keeps its own index, order and limit inside
# its own subquery, and the page saves a round trip to the database.
_BY_PHONE = _arm("phone", _SAME_PHONE, LIMIT)
_BY_POSITION = _arm("nearby", _NEARBY, LIMIT * 5)
_BY_BOTH = union_all(select(_BY_PHONE.subquery()), select(_BY_POSITION.subquery()))


def suggest(ticket: Ticket) -> list[tuple[Row, str]]:
    """(candidate, reason) pairs, newest first; reason is "phone" or "nearby". A
    candidate is a row of its id, reference, status, created_at, lat and lon."""
    statement, parameters = candidates(ticket)
    if statement is None:
        return []
    found: dict[int, tuple[Row, str]] = {}
    for row in db.session.execute(statement, parameters):
        if row.reason == "phone":  # the stronger reason, whichever row came first
            found[row.id] = (row, "phone")
        elif row.id not in found and _within(ticket, row, NEAR_METRES):
            found[row.id] = (row, "nearby")
    return sorted(found.values(), key=lambda pair: pair[0].created_at, reverse=True)[:LIMIT]


def candidates(ticket: Ticket) -> tuple[Select | CompoundSelect | None, dict]:
    """The statement that finds the candidates of both rules, and its parameters (None
    when neither rule applies). The same phone: its open tickets of the same category.
    Nearby: tickets of the same category with a measured position in a box around this
    one's, from the last 14 days, a range of the partial index
    ix_tickets_measured_position (category, then a band of latitude; longitude and date
    read from the index); the box is wider than 50 m, suggest() keeps the close ones."""
    parameters = {"id": ticket.id, "category_id": ticket.category_id}
    by_phone = bool(ticket.phone)
    if by_phone:
        parameters["phone"] = ticket.phone
    by_position = has_measured_position(ticket)
    if by_position:
        dlat = NEAR_METRES / _METRES_PER_DEGREE
        dlon = dlat / max(0.01, math.cos(math.radians(ticket.lat)))
        parameters.update(lat_low=ticket.lat - dlat, lat_high=ticket.lat + dlat,
                          lon_low=ticket.lon - dlon, lon_high=ticket.lon + dlon,
                          since=ticket.created_at - NEAR_WINDOW)
    statement = {(True, True): _BY_BOTH, (True, False): _BY_PHONE,
                 (False, True): _BY_POSITION}.get((by_phone, by_position))
    return statement, parameters


def _within(ticket: Ticket, other, metres: float) -> bool:
    """The exact geodesic distance decides, but only near the edge: a flat-earth
    estimate (well within 1 % at 50 m) settles the clear cases without geopy's series."""
    dlat = (other.lat - ticket.lat) * _METRES_PER_DEGREE
    dlon = (other.lon - ticket.lon) * _METRES_PER_DEGREE * math.cos(math.radians(ticket.lat))
    estimate = math.hypot(dlat, dlon)
    if estimate < metres * 0.97 or estimate > metres * 1.03:
        return estimate < metres
    return geodesic((ticket.lat, ticket.lon), (other.lat, other.lon)).meters <= metres


def has_measured_position(ticket: Ticket) -> bool:
    return ticket.lat is not None and ticket.lon is not None and ticket.location_source in MEASURED_POSITIONS


def merge(ticket: Ticket, reference: str, actor):
    """Close `ticket` as a duplicate of the ticket with `reference`; its resident can
    still track it and sees which request carries on."""
    prefix = current_app.config.get("REFERENCE_PREFIX", "DH")
    cleaned = clean_reference(reference, prefix)
    target = db.session.scalar(select(Ticket).where(Ticket.reference == cleaned)) if cleaned else None
    if target is None or target.id == ticket.id:
        raise TransitionIncomplete(_l("Không tìm thấy yêu cầu để gộp vào."))
    if target.status == Status.CANCELLED:
        raise TransitionIncomplete(_l("Không thể gộp vào một yêu cầu đã huỷ."))
    return tickets.apply_transition(ticket, Action.MERGE, actor, duplicate_of=target)

