"""The one hook every ticket event goes through on its way to people.

volunteer/tickets.py calls `ticket_event_recorded` after each TicketEvent it writes
(create_ticket, apply_transition), stale.py after its warning. Each audience in
AUDIENCES decides who hears what and calls outbox.enqueue, inside the transaction of
the event: a rolled-back change leaves no message behind.
"""
from __future__ import annotations

from typing import Callable

from ..models import Ticket, TicketEvent

AUDIENCES: list[Callable[[Ticket, TicketEvent], None]] = []


def audience(function: Callable[[Ticket, TicketEvent], None]):
    """Decorator: add an audience to AUDIENCES."""
    AUDIENCES.append(function)
    return function


def ticket_event_recorded(ticket: Ticket, event: TicketEvent) -> None:
    for hear in AUDIENCES:
        hear(ticket, event)
