"""The one hook every ticket event goes through on its way to people.

volunteer/tickets.py calls `ticket_event_recorded` after each TicketEvent it writes
(create_ticket, apply_transition), stale.py after its warning. When some audience
listens for that action, it writes one "announce" row to the outbox, inside the
transaction of the event: a rolled-back change leaves nothing behind, and the request
that made the change pays for one INSERT whoever is to hear of it.

The worker (worker.py) delivers an announce row by calling `announce`: each audience
in AUDIENCES decides who hears what (the resident's channel and daily cap, the team's
alert preferences and devices) and calls outbox.enqueue, in the worker's transaction,
together with marking the announce row done. Dedupe keys make a second announce of
the same event (a worker that died mid-way) add nothing.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Callable, Iterable

from sqlalchemy import delete

from ..clock import utcnow
from ..extensions import db
from ..lifecycle import Action
from ..models import OutboxMessage, Ticket, TicketEvent
from ..vocabulary import OutboxStatus
from .outbox import enqueue

# The outbox channel of announce rows: internal, never shown as a message.
ANNOUNCE = "announce"
ANNOUNCED_KEPT_FOR = timedelta(days=7)

Audience = Callable[[Ticket, TicketEvent], None]
AUDIENCES: list[tuple[frozenset[str], Audience]] = []
# Every action some audience listens for.
HEARD: set[str] = set()


def audience(actions: Iterable[str]):
    """Decorator: add an audience for these event actions to AUDIENCES."""
    actions = frozenset(actions)

    def register(function: Audience) -> Audience:
        AUDIENCES.append((actions, function))
        HEARD.update(actions)
        return function
    return register


def ticket_event_recorded(ticket: Ticket, event: TicketEvent) -> None:
    """Queue the event for the worker's audiences, when any listens for it."""
    if event.action not in HEARD:
        return
    enqueue(channel=ANNOUNCE, recipient_key=f"event:{event.id}", address=None,
            template=str(event.action), params={}, ticket_id=ticket.id, event_id=event.id,
            dedupe_key=f"{ANNOUNCE}:{event.id}")


def forget_announced(now: datetime | None = None) -> int:
    """Delete announce rows done more than ANNOUNCED_KEPT_FOR ago (nothing reads them
    once their messages exist); how many."""
    return db.session.execute(delete(OutboxMessage).where(
        OutboxMessage.channel == ANNOUNCE, OutboxMessage.status == OutboxStatus.SENT,
        OutboxMessage.sent_at < (now or utcnow()) - ANNOUNCED_KEPT_FOR)).rowcount


def announce(ticket: Ticket, event: TicketEvent) -> None:
    """Tell every audience of the event (the worker, in its transaction)."""
    for actions, hear in AUDIENCES:
        if event.action in actions:
            hear(ticket, event)


def handed_to(event: TicketEvent) -> int | None:
    """The member a claim or an assignment handed the ticket to, from the event itself:
    by the time the worker reads it, the ticket may have changed hands again.
    (tickets._changes writes an assignment's detail as "user:<id>".)"""
    if event.action == Action.CLAIM:
        return event.actor_id
    if event.action == Action.ASSIGN and event.detail and event.detail.startswith("user:"):
        return int(event.detail.removeprefix("user:"))
    return None
