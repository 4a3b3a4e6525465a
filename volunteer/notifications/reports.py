"""What coordinators see of the outbox: a ticket's messages (channel, status, tries,
last error; never the address or the text) and failures per channel."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Row, bindparam, case, func, select

from ..clock import utcnow
from ..extensions import db
from ..models import OutboxMessage
from ..vocabulary import OutboxStatus
from .events import ANNOUNCE
from .unconfigured import NOT_CONFIGURED


# What the coordinator's ticket page lists, built once: the page asks on every view.
_MESSAGES_OF_TICKET = (
    select(OutboxMessage.template, OutboxMessage.channel, OutboxMessage.status,
           OutboxMessage.attempts, OutboxMessage.last_error, OutboxMessage.created_at)
    .where(OutboxMessage.ticket_id == bindparam("ticket_id"), OutboxMessage.channel != ANNOUNCE)
    .order_by(OutboxMessage.id)
)


def messages_of(ticket_id: int) -> list[Row]:
    """The messages about a ticket, oldest first: template, channel, status, attempts,
    last error and creation time of each (not the announce rows the worker expands)."""
    return db.session.execute(_MESSAGES_OF_TICKET, {"ticket_id": ticket_id}).all()


@dataclass(frozen=True)
class ChannelHealth:
    channel: str
    sent: int
    retrying: int  # pending after at least one failed try
    failed: int
    dead: int
    held: int = 0  # pending because the channel has no provider (unconfigured.py)


def channel_health(days: int = 7, now: datetime | None = None) -> list[ChannelHealth]:
    """Per channel, over messages created in the last `days` days."""
    since = (now or utcnow()) - timedelta(days=days)

    def counted(condition):
        return func.sum(case((condition, 1), else_=0))

    held = OutboxMessage.last_error.startswith(NOT_CONFIGURED)
    rows = db.session.execute(
        select(OutboxMessage.channel,
               counted(OutboxMessage.status == OutboxStatus.SENT),
               counted((OutboxMessage.status == OutboxStatus.PENDING)
                       & OutboxMessage.last_error.is_not(None) & ~held),
               counted(OutboxMessage.status == OutboxStatus.FAILED),
               counted(OutboxMessage.status == OutboxStatus.DEAD),
               counted((OutboxMessage.status == OutboxStatus.PENDING) & held))
        .where(OutboxMessage.created_at >= since, OutboxMessage.channel != ANNOUNCE)
        .group_by(OutboxMessage.channel).order_by(OutboxMessage.channel)
    ).all()
    return [ChannelHealth(channel, *(int(value or 0) for value in values))
            for channel, *values in rows]
