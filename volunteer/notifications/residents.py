"""The residents' audience: who hears what about their own request, on the channel
they chose on the form (notify_channel), in their language.

- created -> "received" (reference, team, what happens next);
- claim / assign -> "taken" (team, the volunteer's first name; never a phone);
- resolve -> "resolved" with "Đã được hỗ trợ xong chưa?"; `remind_unanswered`
  (flask notify remind) asks once more after REMIND_AFTER;
- cancel -> "cancelled"; merge -> "merged" (with the other reference).

Nothing goes to a resident who said stop, and at most RESIDENT_MESSAGES_PER_DAY
messages a day go to one phone (counted over all their requests)."""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, exists, func, select, update

from .. import catalog
from ..clock import utcnow
from ..extensions import db
from ..lifecycle import Action, Status
from ..models import OutboxMessage, Ticket, TicketEvent, User
from ..vocabulary import NotifyChannel, OutboxStatus
from .events import audience, handed_to
from .outbox import enqueue
from .texts import first_name

REMIND_AFTER = timedelta(days=3)
TEMPLATE_OF = {
    Action.CREATED: "received",
    Action.CLAIM: "taken",
    Action.ASSIGN: "taken",
    Action.RESOLVE: "resolved",
    Action.CANCEL: "cancelled",
    Action.MERGE: "merged",
}
DELIVERING = (NotifyChannel.SMS, NotifyChannel.ZALO, NotifyChannel.EMAIL)


def recipient_key(phone: str) -> str:
    """The resident, without their phone: a keyed hash of it."""
    secret = current_app.config["SECRET_KEY"].encode()
    return "resident:" + hashlib.sha256(secret + phone.encode()).hexdigest()[:24]


def _address(ticket: Ticket) -> str | None:
    return ticket.email if ticket.notify_channel == NotifyChannel.EMAIL else ticket.phone


def wants_messages(ticket: Ticket) -> bool:
    return (ticket.notify_channel in DELIVERING and ticket.notify_stopped_at is None
            and ticket.phone is not None and _address(ticket) is not None)


def _over_the_cap(key: str, now: datetime) -> bool:
    sent_today = db.session.scalar(
        select(func.count(OutboxMessage.id))
        .where(OutboxMessage.recipient_key == key,
               OutboxMessage.created_at > now - timedelta(days=1)))
    return sent_today >= current_app.config["RESIDENT_MESSAGES_PER_DAY"]


def tell_resident(ticket: Ticket, template: str, event_id: int, params: dict | None = None,
                  dedupe_key: str | None = None, now: datetime | None = None) -> OutboxMessage | None:
    now = now or utcnow()
    if not wants_messages(ticket):
        return None
    key = recipient_key(ticket.phone)
    if _over_the_cap(key, now):
        return None
    return enqueue(
        channel=ticket.notify_channel, recipient_key=key, address=_address(ticket),
        template=template, locale=ticket.notify_locale or "vi", ticket_id=ticket.id,
        event_id=event_id, dedupe_key=dedupe_key, now=now,
        params={"ref": ticket.reference, "team": catalog.team_name(ticket.team_id),
                **(params or {})},
    )


@audience(TEMPLATE_OF)
def residents(ticket: Ticket, event: TicketEvent) -> None:
    template = TEMPLATE_OF[event.action]
    params = {}
    holder_id = handed_to(event) if template == "taken" else None
    if holder_id is not None:
        params["name"] = first_name(db.session.get(User, holder_id).name)
    if template == "merged":
        params["other"] = event.detail
    tell_resident(ticket, template, event.id, params, now=event.created_at)


def remind_unanswered(now: datetime | None = None) -> int:
    """Ask once more those whose ticket was resolved REMIND_AFTER ago and who have not
    answered; the dedupe key (the resolve event's) makes it once per resolution."""
    now = now or utcnow()
    resolved = db.session.execute(
        select(Ticket, func.max(TicketEvent.id))
        .join(TicketEvent, and_(TicketEvent.ticket_id == Ticket.id,
                                TicketEvent.action == Action.RESOLVE))
        .where(Ticket.status == Status.RESOLVED, Ticket.resolved_at <= now - REMIND_AFTER)
        .group_by(Ticket.id)
    ).all()
    reminded = 0
    for ticket, resolve_event_id in resolved:
        key = f"reminder:{resolve_event_id}"
        if db.session.scalar(select(exists().where(OutboxMessage.dedupe_key == key))):
            continue
        if tell_resident(ticket, "reminder", resolve_event_id, dedupe_key=key, now=now):
            reminded += 1
    db.session.flush()
    return reminded


def stop_messages(ticket: Ticket, now: datetime | None = None) -> int:
    """The resident said stop (the link or the STOP keyword): no more messages about
    any request from this phone, and what is queued is not sent. Returns the number
    of requests stopped."""
    now = now or utcnow()
    if ticket.phone is None:
        return 0
    return stop_phone(ticket.phone, now)


def stop_phone(phone: str, now: datetime | None = None) -> int:
    now = now or utcnow()
    stopped = db.session.execute(
        update(Ticket).where(Ticket.phone == phone, Ticket.notify_stopped_at.is_(None))
        .values(notify_stopped_at=now).execution_options(synchronize_session=False)).rowcount
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.recipient_key == recipient_key(phone),
               OutboxMessage.status == OutboxStatus.PENDING)
        .values(status=OutboxStatus.FAILED, last_error="stopped by the resident")
        .execution_options(synchronize_session=False))
    db.session.expire_all()
    return stopped
