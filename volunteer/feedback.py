"""The resident's answer once a volunteer resolved their request ("Đã được hỗ trợ
xong chưa?"): yes closes it, with an optional 1–5 rating kept on the ticket; no
reopens it. Both are the lifecycle's resident steps (confirm, reopen)."""
from __future__ import annotations

from .extensions import db
from .lifecycle import RESIDENT, Action
from .models import Ticket, TicketEvent
from .tickets import apply_transition


def resident_step(ticket: Ticket, action: str, *, note: str | None = None,
                  rating: int | None = None) -> TicketEvent:
    """A resident's step on their ticket; a rating is kept only with "confirm"."""
    event = apply_transition(ticket, action, RESIDENT, note=note)
    if action == Action.CONFIRM and rating is not None:
        ticket.rating = rating
        db.session.flush()
    return event
