"""Held tickets nobody touches go back to the team's queue.

A ticket claimed or in progress with no activity (its `updated_at`, which every step
moves, a contact attempt too) for RELEASE_AFTER goes back to "new" through the
lifecycle's "auto_release"; its holder is warned WARN_BEFORE earlier. Notifications
carry a unique dedupe key, so running the job twice (or on two servers at once)
warns and tells nobody twice.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from . import tickets
from .extensions import db
from .clock import utcnow
from .lifecycle import HELD, SYSTEM, Action, TransitionError
from .models import Notification, Ticket, TicketEvent
from .notifications.events import ticket_event_recorded

RELEASE_AFTER = timedelta(days=7)
WARN_BEFORE = timedelta(days=1)


@dataclass
class StaleReport:
    warned: list[str] = field(default_factory=list)  # references
    released: list[str] = field(default_factory=list)


def notify(user_id: int, ticket_id: int | None, kind: str, dedupe_key: str,
           now: datetime) -> bool:
    """Add a notification unless one with this key exists; True when added."""
    if db.session.scalar(select(Notification.id).where(Notification.dedupe_key == dedupe_key)):
        return False
    try:
        with db.session.begin_nested():
            db.session.add(Notification(user_id=user_id, ticket_id=ticket_id, kind=kind,
                                        dedupe_key=dedupe_key, created_at=now))
    except IntegrityError:
        # Another run added it between our check and our insert.
        return False
    return True


def release_stale(now: datetime | None = None, release_after: timedelta = RELEASE_AFTER,
                  warn_before: timedelta = WARN_BEFORE) -> StaleReport:
    """Warn holders of tickets about to go back, then release the ones past due."""
    now = now or utcnow()
    report = StaleReport()
    release_at = now - release_after
    warn_at = now - (release_after - warn_before)
    idle = db.session.scalars(
        select(Ticket)
        .where(Ticket.status.in_(HELD), Ticket.updated_at < warn_at)
        .order_by(Ticket.updated_at, Ticket.id)
    ).all()
    for ticket in idle:
        holder_id = ticket.assignee_id
        idle_since = ticket.updated_at.isoformat(timespec="seconds")
        if ticket.updated_at >= release_at:
            if holder_id and notify(holder_id, ticket.id, "stale_warning",
                                    f"stale_warning:{ticket.id}:{idle_since}", now):
                event = TicketEvent(ticket_id=ticket.id, action=Action.STALE_WARNING,
                                    actor_kind="system", from_status=ticket.status,
                                    to_status=ticket.status, created_at=now)
                db.session.add(event)
                db.session.flush()
                ticket_event_recorded(ticket, event)
                report.warned.append(ticket.reference)
            continue
        try:
            tickets.apply_transition(ticket, Action.AUTO_RELEASE, SYSTEM, now=now)
        except TransitionError:
            continue  # someone acted on it meanwhile: it is no longer stale
        if holder_id:
            notify(holder_id, ticket.id, "auto_released",
                   f"auto_released:{ticket.id}:{idle_since}", now)
        report.released.append(ticket.reference)
    db.session.flush()
    return report
