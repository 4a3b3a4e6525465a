"""Privacy retention (Decree 13/2023): personal data of finished tickets is erased once
it is older than the retention period; what the statistics need stays.

Erased: the resident's name, phone (and its last four digits), e-mail, exact address,
free text that may name or locate them (description, preferred time, media link, the
notes on the ticket's events), where its messages were sent, and the exact location,
which is rounded to about 100 m.
Kept: reference, ward, team, category, channel, needs, street, status, outcome and every
timestamp, so counts, durations and maps of past years stay true.

Only finished tickets are erased: closed, or cancelled (by the resident or as a
duplicate), counted from when they finished. A resolved ticket still waits for the
resident's confirmation and an unreachable one can still be retried, so both stay.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select, update

from . import user_sessions
from .clock import utcnow
from .extensions import db
from .lifecycle import Action, Status
from .models import OutboxMessage, Ticket, TicketEvent
from .notifications import events
from .phone import offline
from .privacy import rough_coordinate

ERASABLE_STATUSES = (Status.CLOSED, Status.CANCELLED)
BATCH = 500
_AGE = re.compile(r"^\s*(\d+)\s*([dw]?)\s*$", re.IGNORECASE)


class BadAge(ValueError):
    pass


def parse_age(text: str) -> timedelta:
    """'180d', '26w' or '180' (days) → a timedelta."""
    match = _AGE.match(text or "")
    if not match:
        raise BadAge(f"not an age: {text!r} (use e.g. 180d or 26w)")
    number, unit = int(match.group(1)), (match.group(2) or "d").lower()
    return timedelta(weeks=number) if unit == "w" else timedelta(days=number)


@dataclass
class PurgeReport:
    cutoff: datetime
    erased: int


def forget_bookkeeping(now: datetime | None = None) -> dict[str, int]:
    """Delete the rows that served their purpose (each owner says when): signed-in
    devices no cookie can name, the phones' old idempotency keys, the outbox's
    announce rows once their messages exist. Flushes, never commits."""
    now = now or utcnow()
    return {"sessions": user_sessions.forget_expired(now),
            "idempotency keys": offline.forget_expired(now),
            "announced events": events.forget_announced(now)}


def erasable(cutoff: datetime):
    """Tickets finished before the cutoff whose personal data is still there."""
    return and_(
        Ticket.status.in_(ERASABLE_STATUSES),
        Ticket.personal_data_erased_at.is_(None),
        or_(
            and_(Ticket.status == Status.CLOSED, Ticket.closed_at < cutoff),
            and_(Ticket.status == Status.CANCELLED, Ticket.cancelled_at < cutoff),
        ),
    )


def count_erasable(older_than: timedelta, now: datetime | None = None) -> int:
    cutoff = (now or utcnow()) - older_than
    return db.session.scalar(select(func.count(Ticket.id)).where(erasable(cutoff)))


def purge(older_than: timedelta, now: datetime | None = None) -> PurgeReport:
    """Erase personal data of tickets finished more than `older_than` ago. Flushes,
    never commits. Running it again erases nothing more and writes no new event."""
    now = now or utcnow()
    cutoff = now - older_than
    erased = 0
    while True:
        rows = db.session.execute(
            select(Ticket.id, Ticket.status, Ticket.lat, Ticket.lon)
            .where(erasable(cutoff))
            .order_by(Ticket.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        for ticket_id, status, lat, lon in rows:
            erased += _erase_one(ticket_id, status, lat, lon, older_than, now)
        db.session.flush()
    # The bulk UPDATEs bypass the identity map: make loaded tickets read the new values.
    db.session.expire_all()
    return PurgeReport(cutoff=cutoff, erased=erased)


def _erase_one(ticket_id, status, lat, lon, older_than: timedelta, now: datetime) -> int:
    # Conditional on "not yet erased": two purges at once erase (and log) once.
    result = db.session.execute(
        update(Ticket)
        .where(Ticket.id == ticket_id, Ticket.personal_data_erased_at.is_(None))
        .values(
            resident_name=None,
            phone=None,
            phone_last4="",
            email=None,
            address=None,
            description="",
            preferred_time=None,
            media_url=None,
            lat=rough_coordinate(lat),
            lon=rough_coordinate(lon),
            personal_data_erased_at=now,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return 0
    # Where its messages went (phone, e-mail) goes with the ticket's personal data.
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.ticket_id == ticket_id, OutboxMessage.address.is_not(None))
        .values(address=None)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(TicketEvent)
        .where(TicketEvent.ticket_id == ticket_id, TicketEvent.note.is_not(None))
        .values(note=None)
        .execution_options(synchronize_session=False)
    )
    db.session.add(
        TicketEvent(
            ticket_id=ticket_id,
            action=Action.ERASED,
            actor_kind="system",
            from_status=status,
            to_status=status,
            detail=f"retention:{older_than.days}d",
            created_at=now,
        )
    )
    return 1
