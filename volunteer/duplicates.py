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
from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import load_only

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
# date and position), not a candidate's forty other columns: PostgreSQL's driver builds
# and converts every column of every row it is sent (3 % of the page's calls).
_SHOWN = load_only(Ticket.reference, Ticket.status, Ticket.created_at, Ticket.lat, Ticket.lon)

# Built once (the ticket page asks it each time; building it cost more than running it).
_SAME_PHONE = (
    select(Ticket).options(_SHOWN).where(
        Ticket.id != bindparam("id"), Ticket.phone == bindparam("phone"),
        Ticket.category_id == bindparam("category_id"), Ticket.status.in_(OPEN),
    ).order_by(Ticket.created_at.desc()).limit(LIMIT)
)


def suggest(ticket: Ticket) -> list[tuple[Ticket, str]]:
    """(candidate, reason) pairs, newest first; reason is "phone" or "nearby"."""
    found: dict[int, tuple[Ticket, str]] = {}
    if ticket.phone:
        for other in db.session.scalars(_SAME_PHONE, {
                "id": ticket.id, "phone": ticket.phone, "category_id": ticket.category_id}):
            found[other.id] = (other, "phone")
    if has_measured_position(ticket):
        for other in db.session.scalars(nearby_candidates(ticket)):
            if other.id not in found and _within(ticket, other, NEAR_METRES):
                found[other.id] = (other, "nearby")
    return sorted(found.values(), key=lambda pair: pair[0].created_at, reverse=True)[:LIMIT]


def _within(ticket: Ticket, other: Ticket, metres: float) -> bool:
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


def nearby_candidates(ticket: Ticket) -> Select:
    """Tickets of the same category with a measured position in a box around this one's,
    from the last 14 days: a range of the partial index ix_tickets_measured_position
    (category, then a band of latitude; longitude and date read from the index).

    The measured-positions condition is the index's own predicate, as literal SQL: with
    the sources as bound parameters SQLite cannot prove that the partial index applies,
    and walked 14 days of every ticket through another index instead (145 ms at 200,000
    tickets, against under 1 ms through this one)."""
    dlat = NEAR_METRES / _METRES_PER_DEGREE
    dlon = dlat / max(0.01, math.cos(math.radians(ticket.lat)))
    return (
        select(Ticket)
        .options(_SHOWN)
        .where(
            Ticket.category_id == ticket.category_id,
            MEASURED_POSITION_CLAUSE,
            Ticket.lat.between(ticket.lat - dlat, ticket.lat + dlat),
            Ticket.lon.between(ticket.lon - dlon, ticket.lon + dlon),
            Ticket.created_at >= ticket.created_at - NEAR_WINDOW,
            Ticket.id != ticket.id, Ticket.status != Status.CANCELLED,
        )
        .order_by(Ticket.created_at.desc())
        .limit(LIMIT * 5)
    )


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

