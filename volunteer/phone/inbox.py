"""The in-app notifications: the `notifications` table, read at last. Each row names
a kind and a ticket; the text is worded when shown, in the reader's language, and
never carries the resident's name, phone or address."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from ..clock import utcnow
from ..extensions import db
from ..models import Notification, Ticket

# kind -> what the notification says; the ticket's reference is added when there is one.
KIND_LABELS = {
    "new_request": _l("Yêu cầu mới trong hàng chờ của tổ"),
    "assigned": _l("Trưởng tổ đã giao cho bạn một yêu cầu"),
    "stale_warning": _l("Yêu cầu bạn giữ sẽ được trả về hàng chờ vào ngày mai nếu không cập nhật"),
    "auto_released": _l("Yêu cầu bạn giữ đã được trả về hàng chờ vì lâu không cập nhật"),
    "returned": _l("Yêu cầu bạn chuyển lên đã được trả về"),
    "reopened": _l("Người dân báo vẫn chưa giải quyết được"),
    "lead_digest": _l("Tóm tắt hằng ngày của tổ"),
    "new_requests_digest": _l("Tóm tắt yêu cầu mới của tổ"),
}
PAGE_SIZE = 50


@dataclass
class Item:
    id: int
    kind: str
    label: str
    reference: str | None
    created_at: datetime
    read: bool


def unread_count(user_id: int) -> int:
    return db.session.scalar(select(func.count(Notification.id)).where(
        Notification.user_id == user_id, Notification.read_at.is_(None))) or 0


def latest(user_id: int, limit: int = PAGE_SIZE) -> list[Item]:
    rows = db.session.execute(
        select(Notification, Ticket.reference)
        .outerjoin(Ticket, Ticket.id == Notification.ticket_id)
        .where(Notification.user_id == user_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(limit)
    ).all()
    return [Item(n.id, n.kind, str(KIND_LABELS.get(n.kind, n.kind)), reference, n.created_at,
                 n.read_at is not None) for n, reference in rows]


def mark_read(user_id: int, notification_id: int | None = None, now: datetime | None = None) -> int:
    """Mark one of my notifications read, or all of them; how many changed."""
    conditions = [Notification.user_id == user_id, Notification.read_at.is_(None)]
    if notification_id is not None:
        conditions.append(Notification.id == notification_id)
    result = db.session.execute(update(Notification).where(*conditions).values(
        read_at=now or utcnow()).execution_options(synchronize_session=False))
    return result.rowcount
