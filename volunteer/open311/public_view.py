"""Our lifecycle mapped onto open/closed, and the public view of a ticket: never the
resident's name, phone, e-mail or house number (volunteer/privacy.py masks the text)."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select

from .. import lifecycle
from ..clock import local_isoformat
from ..extensions import db
from ..models import Ticket, TicketEvent
from ..privacy import publish_ticket, rough_coordinate
from .intake import service_notice


# Events that say why a ticket is where it is (not notes, calls or reminders).
STATUS_EVENTS = frozenset(
    {"created"} | {action for action, t in lifecycle.TRANSITIONS.items() if t.target is not None}
)


def public_status(status: str) -> str:
    """open while someone is still to help; closed once resolved, closed, cancelled or
    unreachable (status_notes says which)."""
    return "open" if status in lifecycle.OPEN else "closed"


def status_events(ticket_ids: list[int]) -> dict[int, TicketEvent]:
    """The latest status event of each ticket, in one query."""
    if not ticket_ids:
        return {}
    latest = (
        select(func.max(TicketEvent.id))
        .where(TicketEvent.ticket_id.in_(ticket_ids), TicketEvent.action.in_(STATUS_EVENTS))
        .group_by(TicketEvent.ticket_id)
    )
    events = db.session.scalars(select(TicketEvent).where(TicketEvent.id.in_(latest)))
    return {event.ticket_id: event for event in events}


def status_notes(ticket: Ticket, event: TicketEvent | None) -> str:
    # Labels only: an event's free-text note is internal and may name the resident.
    if event is None:
        return str(lifecycle.STATUS_LABELS.get(ticket.status, ""))
    label = str(lifecycle.EVENT_LABELS.get(event.action, lifecycle.STATUS_LABELS.get(ticket.status, "")))
    outcome = lifecycle.RESOLVE_OUTCOME_LABELS.get(event.detail) if event.action == lifecycle.Action.RESOLVE else None
    if outcome is not None:
        return _("%(event)s: %(outcome)s", event=label, outcome=str(outcome))
    return label



def public_request(ticket: Ticket, event: TicketEvent | None, locale: str, zipcode: str | None,
                   notes: str | None = None) -> dict:
    published = publish_ticket(ticket)
    return {
        "service_request_id": ticket.reference,
        "status": public_status(ticket.status),
        "status_notes": notes if notes is not None else status_notes(ticket, event),
        "service_name": ticket.category.label(locale),
        "service_code": ticket.category.code,
        "description": published.description or None,
        "agency_responsible": ticket.team.name if ticket.team is not None else None,
        "service_notice": service_notice(ticket),
        "requested_datetime": local_isoformat(ticket.created_at),
        "updated_datetime": local_isoformat(ticket.updated_at),
        # We promise no service level, so there is no date to expect.
        "expected_datetime": None,
        "address": published.address,
        "zipcode": zipcode,
        "lat": rough_coordinate(ticket.lat),
        "long": rough_coordinate(ticket.lon),
        "media_url": ticket.media_url,
    }


def requests_document(found: list[Ticket], locale: str, zipcode: str | None) -> list[dict]:
    events = status_events([t.id for t in found])
    notes: dict[tuple, str] = {}  # a page repeats a handful of labels; translate each once
    document = []
    for ticket in found:
        event = events.get(ticket.id)
        key = (ticket.status, event.action if event else None, event.detail if event else None)
        if key not in notes:
            notes[key] = status_notes(ticket, event)
        document.append(public_request(ticket, event, locale, zipcode, notes[key]))
    return document


def token_document(ticket: Ticket, token: str) -> list[dict]:
    return [{"service_request_id": ticket.reference, "token": token}]
