"""Working without a signal.

The service worker keeps a copy of the pages a view marks with `keep_offline_copy()`:
the team's queue, my list, the visit form, and each ticket I hold (with its resident's
contact, since I hold it). Nothing else is kept: a ticket page that is not mine is
never copied, and a copy is dropped once the page stops being marked (released,
reassigned) or after KEEP_DAYS.

Actions recorded offline are replayed to their usual form URL with an
`Idempotency-Key` header; `replayable` remembers each key with what it did, so a
second delivery changes nothing and answers the first result.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from functools import wraps

from flask import abort, g, get_flashed_messages, jsonify, make_response, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from ..clock import utcnow
from ..extensions import db
from ..lifecycle import HELD, Status
from ..models import IDEMPOTENCY_KEY_MAX, ProcessedAction, Ticket

# Decree 13: personal data on the phone lasts a few days at most.
KEEP_DAYS = 3
KEEP_HEADER = "X-Offline-Copy"
KEY_HEADER = "Idempotency-Key"
KEY_PATTERN = re.compile(rf"[A-Za-z0-9_-]{{8,{IDEMPOTENCY_KEY_MAX}}}")
HELD_PAGES_MAX = 50
# A phone replays what it recorded offline within days; a key older than this month
# will not come again, so what it did is forgotten (`forget_expired`).
KEYS_KEPT_FOR = timedelta(days=30)
REDIRECTS = (301, 302, 303, 307, 308)


def keep_offline_copy() -> None:
    """Mark the page being rendered as one the phone may keep for offline use."""
    g.keep_offline_copy = True


def mark_response(response):
    if g.get("keep_offline_copy") and request.method == "GET" and response.status_code == 200:
        response.headers[KEEP_HEADER] = "keep"
    return response


def held_references(user_id: int) -> list[str]:
    """The tickets I hold, most recently touched first: their pages open offline."""
    return list(db.session.scalars(
        select(Ticket.reference)
        .where(Ticket.assignee_id == user_id, Ticket.status.in_(HELD))
        .order_by(Ticket.updated_at.desc(), Ticket.id.desc())
        .limit(HELD_PAGES_MAX)
    ))


def forget_expired(now: datetime | None = None) -> int:
    """Delete the idempotency keys older than KEYS_KEPT_FOR; how many."""
    return db.session.execute(delete(ProcessedAction).where(
        ProcessedAction.created_at < (now or utcnow()) - KEYS_KEPT_FOR)).rowcount


def processed(user_id: int, key: str) -> ProcessedAction | None:
    return db.session.scalar(select(ProcessedAction).where(
        ProcessedAction.user_id == user_id, ProcessedAction.idempotency_key == key))


def what_happened(reference: str | None, user_id: int, team_id: int | None):
    """Why an action on this ticket could not be made, in the volunteer's words:
    what happened to it while the phone was offline. None when nothing did."""
    if not reference:
        return None
    ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference))
    if ticket is None or ticket.team_id != team_id:
        return _l("Yêu cầu %(reference)s đã được chuyển cho tổ khác.", reference=reference)
    if ticket.status == Status.CANCELLED:
        return _l("Yêu cầu %(reference)s đã bị huỷ.", reference=reference)
    if ticket.status == Status.NEW and ticket.assignee_id is None:
        return _l("Yêu cầu %(reference)s đã được trả về hàng chờ của tổ.", reference=reference)
    if ticket.assignee_id not in (None, user_id):
        return _l("Yêu cầu %(reference)s đã được giao cho người khác.", reference=reference)
    return None


def _answer(outcome: str, message, status: int):
    return jsonify(outcome=outcome, message=str(message) if message else None), status


def _remember_refusal(key: str, status: int, message) -> ProcessedAction:
    row = ProcessedAction(user_id=current_user.id, idempotency_key=key, http_status=status,
                          message=str(message)[:300] if message else None, created_at=utcnow())
    db.session.add(row)
    db.session.commit()
    return row


def replayable(view):
    """A form POST sent with an Idempotency-Key is carried out once per key and answers
    JSON: {"outcome": "done" | "refused" | "repeated", "message": …}. Without the header
    the view behaves as always. Wrap inside the sign-in check: the key is per user.

    The key's row is added before the view runs, so the view's own commit stores the
    change and the key together: a crash in between leaves neither."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        key = request.headers.get(KEY_HEADER)
        if request.method != "POST" or key is None:
            return view(*args, **kwargs)
        if not KEY_PATTERN.fullmatch(key):
            abort(400)
        earlier = processed(current_user.id, key)
        if earlier is not None:
            return _answer("repeated" if earlier.http_status < 400 else "refused",
                           earlier.message, earlier.http_status)
        db.session.add(ProcessedAction(user_id=current_user.id, idempotency_key=key,
                                       http_status=200, created_at=utcnow()))
        try:
            response = make_response(view(*args, **kwargs))
        except HTTPException as error:
            response = error.get_response()
        except IntegrityError:
            # The same key, delivered twice at once: the other delivery won.
            db.session.rollback()
            earlier = processed(current_user.id, key)
            if earlier is None:
                raise
            return _answer("repeated", earlier.message, earlier.http_status)
        messages = [str(message) for _, message in get_flashed_messages(with_categories=True)]
        # The form views redirect after a change and only then; a page shown again
        # (invalid input, no campaign running any more) changed nothing.
        if response.status_code in REDIRECTS:
            return _answer("done", messages[0] if messages else None, 200)
        db.session.rollback()
        if response.status_code >= 500:
            return response  # not remembered: the phone sends it again later
        status = response.status_code if response.status_code >= 400 else 409
        reason = (what_happened(kwargs.get("reference"), current_user.id, current_user.team_id)
                  or (messages[0] if messages else _l("Thông tin gửi lên không hợp lệ.")))
        try:
            _remember_refusal(key, status, reason)
        except IntegrityError:
            db.session.rollback()
        return _answer("refused", reason, status)

    return wrapped
