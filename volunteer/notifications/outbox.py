"""The outbox: a message row is written in the same transaction as the ticket event
that causes it, so it is never lost when a provider is down and never sent for a
change that rolled back. The worker (worker.py) delivers it."""
from __future__ import annotations

import json
import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..clock import utcnow
from ..extensions import db
from ..models import OutboxMessage
from ..vocabulary import OutboxStatus


def enqueue(*, channel: str, recipient_key: str, address: str | None, template: str,
            params: dict, locale: str = "vi", ticket_id: int | None = None,
            event_id: int | None = None, user_id: int | None = None,
            dedupe_key: str | None = None, now: datetime | None = None) -> OutboxMessage | None:
    """Add a message to the current transaction (flush, never commit); None when a
    message with the same dedupe key exists already."""
    dedupe_key = dedupe_key or f"{event_id}:{recipient_key}:{channel}"
    if _exists(dedupe_key):
        return None
    now = now or utcnow()
    message = OutboxMessage(
        channel=channel, recipient_key=recipient_key, address=address, template=template,
        params=json.dumps(params, ensure_ascii=False, sort_keys=True), locale=locale,
        ticket_id=ticket_id, event_id=event_id, user_id=user_id, dedupe_key=dedupe_key,
        delivery_key=uuid.uuid4().hex, status=OutboxStatus.PENDING, attempts=0,
        next_attempt_at=now, created_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(message)
    except IntegrityError:
        if _exists(dedupe_key):
            return None  # another transaction added it between our check and our insert
        raise
    return message


def _exists(dedupe_key: str) -> bool:
    return db.session.scalar(
        select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)) is not None


def params_of(message: OutboxMessage) -> dict:
    return json.loads(message.params or "{}")
