"""The outbox: a message row is written in the same transaction as the ticket event
that causes it, so it is never lost when a provider is down and never sent for a
change that rolled back. The worker (worker.py) delivers it."""
from __future__ import annotations

import json
import uuid
from datetime import datetime


from ..clock import utcnow
from ..extensions import insert_unless_taken
from ..models import OutboxMessage
from ..vocabulary import OutboxStatus


def enqueue(*, channel: str, recipient_key: str, address: str | None, template: str,
            params: dict, locale: str = "vi", ticket_id: int | None = None,
            event_id: int | None = None, user_id: int | None = None,
            dedupe_key: str | None = None, now: datetime | None = None,
            due_at: datetime | None = None) -> OutboxMessage | None:
    """Add a message to the current transaction (flush, never commit), to be sent from
    `due_at` (at once by default); None when a message with the same dedupe key exists
    already."""
    dedupe_key = dedupe_key or f"{event_id}:{recipient_key}:{channel}"
    now = now or utcnow()
    values = dict(
        channel=channel, recipient_key=recipient_key, address=address, template=template,
        params=json.dumps(params, ensure_ascii=False, sort_keys=True), locale=locale,
        ticket_id=ticket_id, event_id=event_id, user_id=user_id, dedupe_key=dedupe_key,
        delivery_key=uuid.uuid4().hex, status=OutboxStatus.PENDING, attempts=0,
        next_attempt_at=due_at or now, created_at=now,
    )
    # Taken by us earlier or by a transaction that committed meanwhile: no second row.
    return insert_unless_taken(OutboxMessage, values, OutboxMessage.dedupe_key)


def params_of(message: OutboxMessage) -> dict:
    return json.loads(message.params or "{}")
