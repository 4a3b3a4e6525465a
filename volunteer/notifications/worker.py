"""The worker: delivers the outbox.

It claims due messages (PostgreSQL: `SELECT … FOR UPDATE SKIP LOCKED`, so several
workers share the work without waiting on each other; SQLite: one conditional UPDATE
per row, which SQLite's single writer serialises), commits the claim with a lease,
sends each message outside any transaction, then records what happened:

- sent;
- a temporary failure (timeout, 5xx): tried again after a back-off that doubles
  from OUTBOX_BACKOFF_SECONDS up to OUTBOX_BACKOFF_MAX_SECONDS; after
  OUTBOX_MAX_ATTEMPTS tries, dead (the dead letters coordinators see);
- a permanent refusal: failed, never tried again.

A worker killed mid-send leaves its message "sending" until the lease ends; another
worker then sends it again with the same delivery key, which the provider uses as
its request id (eSMS refuses a repeated RequestId), so the resident gets it once.
Attempts count claims, so a message that kills its worker every time ends dead.

An "announce" row (events.py) is not sent anywhere: the worker expands it into the
messages its event causes, in one transaction with marking it done; they are due at
once, so the next round delivers them.
"""
from __future__ import annotations

import logging
import signal
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, or_, select, update

from ..clock import utcnow
from ..extensions import db
from ..models import OutboxMessage, Ticket, TicketEvent
from ..vocabulary import OutboxStatus
from . import unconfigured
from .channels import CHANNELS, GoneRecipient, NotConfigured, PermanentFailure, TemporaryFailure
from .events import ANNOUNCE, announce

log = logging.getLogger(__name__)

def setting(name: str):
    """OUTBOX_* settings (config.py, from the environment)."""
    return current_app.config[name]


@dataclass
class Tally:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    dead: int = 0
    announced: int = 0  # events expanded into messages (not messages themselves)
    held: int = 0  # no provider configured (production): waiting for one
    by_channel: dict = field(default_factory=dict)

    def count(self, outcome: str, channel: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)
        self.by_channel[(channel, outcome)] = self.by_channel.get((channel, outcome), 0) + 1

    @property
    def handled(self) -> int:
        return self.sent + self.retried + self.failed + self.dead


def _due(now: datetime):
    return or_(
        and_(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.leased_until < now),
    )


def claim(now: datetime | None = None, batch: int | None = None) -> list[int]:
    """Take up to `batch` due messages for this worker and commit the claim."""
    now = now or utcnow()
    batch = batch or setting("OUTBOX_BATCH")
    claimed_values = {
        "status": OutboxStatus.SENDING,
        "leased_until": now + timedelta(seconds=setting("OUTBOX_LEASE_SECONDS")),
        "attempts": OutboxMessage.attempts + 1,
    }
    due_ids = (select(OutboxMessage.id).where(_due(now))
               .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(batch))
    if db.engine.dialect.name == "postgresql":
        ids = list(db.session.scalars(due_ids.with_for_update(skip_locked=True)))
        if ids:
            db.session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(ids))
                               .values(**claimed_values)
                               .execution_options(synchronize_session=False))
    else:
        ids = []
        for message_id in db.session.scalars(due_ids).all():
            taken = db.session.execute(
                update(OutboxMessage).where(OutboxMessage.id == message_id, _due(now))
                .values(**claimed_values).execution_options(synchronize_session=False))
            if taken.rowcount == 1:
                ids.append(message_id)
    db.session.commit()
    return ids


def deliver(message_id: int, tally: Tally | None = None, now: datetime | None = None) -> str:
    """Send one claimed message and record the outcome; returns it."""
    tally = tally if tally is not None else Tally()
    message = db.session.get(OutboxMessage, message_id)
    db.session.expunge(message)
    if message.channel == ANNOUNCE:
        return _announce(message, tally, now or utcnow())
    # No transaction stays open (nor a row lock held) while a provider answers.
    db.session.commit()
    channel = CHANNELS.get(message.channel)
    values: dict
    try:
        if channel is None:
            raise PermanentFailure(f"no channel {message.channel!r} configured")
        if not message.address:
            raise PermanentFailure("no address (erased or never given)")
        if message.attempts > setting("OUTBOX_MAX_ATTEMPTS"):
            raise PermanentFailure("the worker stopped during every try")
        if unconfigured.is_configured(channel, current_app.config):
            channel.send(message, current_app.config)
        else:  # a local file (development), or held until a provider is set up
            unconfigured.deliver(channel, message, current_app.config)
    except NotConfigured as failure:
        # Held, not tried: this claim does not count towards OUTBOX_MAX_ATTEMPTS.
        outcome, values = "held", {
            "status": OutboxStatus.PENDING, "last_error": failure.reason,
            "attempts": OutboxMessage.attempts - 1,
            "next_attempt_at": (now or utcnow()) + timedelta(seconds=setting("NOTIFY_HOLD_SECONDS"))}
    except GoneRecipient as failure:
        forget = getattr(channel, "forget_recipient", None)
        if forget is not None:
            forget(message)
        outcome, values = "failed", {"status": OutboxStatus.FAILED, "last_error": failure.reason}
    except PermanentFailure as failure:
        outcome, values = "failed", {"status": OutboxStatus.FAILED, "last_error": failure.reason}
    except Exception as failure:  # noqa: BLE001 - any other error is worth a retry
        reason = (failure.reason if isinstance(failure, TemporaryFailure)
                  else f"unexpected {type(failure).__name__}")
        outcome, values = _retry_or_bury(message, reason, now or utcnow())
    else:
        outcome, values = "sent", {"status": OutboxStatus.SENT, "sent_at": now or utcnow(),
                                   "last_error": None}
    _record(message.id, values)
    # Ids and outcomes only: addresses and texts are personal data.
    log.info("outbox message %s via %s: %s", message.id, message.channel, outcome)
    tally.count(outcome, message.channel)
    return outcome


def _announce(message: OutboxMessage, tally: Tally, now: datetime) -> str:
    """Expand an event into the messages it causes (audiences in events.py) and mark
    it done, in one transaction: all of them or, on any error, none and a retry."""
    try:
        event = db.session.get(TicketEvent, message.event_id) if message.event_id else None
        ticket = db.session.get(Ticket, message.ticket_id) if message.ticket_id else None
        if event is not None and ticket is not None:
            announce(ticket, event)
        outcome, values = "announced", {"status": OutboxStatus.SENT, "sent_at": now,
                                        "last_error": None}
    except Exception as failure:  # noqa: BLE001 - retried like a provider's error
        db.session.rollback()
        outcome, values = _retry_or_bury(message, f"unexpected {type(failure).__name__}", now)
    _record(message.id, values)
    log.info("outbox event %s of ticket %s: %s", message.event_id, message.ticket_id, outcome)
    if outcome == "announced":
        tally.announced += 1
    else:
        tally.count(outcome, message.channel)
    return outcome


def _record(message_id: int, values: dict) -> None:
    """Store the outcome and end the lease; a message no longer "sending" was taken
    over by another worker after our lease ended, and its recorded outcome stands."""
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == OutboxStatus.SENDING)
        .values(**values, leased_until=None).execution_options(synchronize_session=False))
    db.session.commit()


def _retry_or_bury(message: OutboxMessage, reason: str, now: datetime) -> tuple[str, dict]:
    if message.attempts >= setting("OUTBOX_MAX_ATTEMPTS"):
        return "dead", {"status": OutboxStatus.DEAD, "last_error": reason[:200]}
    delay = min(setting("OUTBOX_BACKOFF_SECONDS") * 2 ** (message.attempts - 1),
                setting("OUTBOX_BACKOFF_MAX_SECONDS"))
    return "retried", {"status": OutboxStatus.PENDING, "last_error": reason[:200],
                       "next_attempt_at": now + timedelta(seconds=delay)}


def run_batch(tally: Tally | None = None) -> int:
    """Claim one batch and deliver it; the number of messages claimed."""
    tally = tally if tally is not None else Tally()
    ids = claim()
    for message_id in ids:
        deliver(message_id, tally)
    return len(ids)


def drain() -> Tally:
    """Deliver everything due now, then return (`flask worker --once`)."""
    tally = Tally()
    while run_batch(tally):
        pass
    return tally


def run_forever(poll_seconds: float | None = None) -> Tally:
    """Deliver until SIGTERM or SIGINT; the message in hand is finished first."""
    poll_seconds = poll_seconds if poll_seconds is not None else setting("OUTBOX_POLL_SECONDS")
    stopping = []

    def stop(_signum, _frame):
        stopping.append(True)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    tally = Tally()
    try:
        while not stopping:
            try:
                claimed = run_batch(tally)
            except Exception as error:  # noqa: BLE001 - e.g. the database restarting: go on
                # The class only: a database error's text carries the SQL parameters.
                log.warning("outbox worker: a round failed (%s); trying again",
                            type(error).__name__)
                db.session.rollback()
                claimed = 0
            if not claimed:
                time.sleep(poll_seconds)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return tally
