"""GET requests: the query string checked and turned into one indexed query."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import lifecycle
from ..extensions import db
from ..clock import as_stored, utcnow
from ..models import Category, Ticket
from . import (WINDOW_DAYS, PAGE_SIZE_MAX, IDS_MAX, Open311Error)


@dataclass
class RequestQuery:
    ids: list[str] | None = None
    service_codes: list[str] | None = None
    start: datetime | None = None  # naive UTC, as stored
    end: datetime | None = None
    statuses: set[str] | None = None
    page: int = 1
    page_size: int = PAGE_SIZE_MAX


def _comma_list(args, name: str) -> list[str]:
    values = []
    for raw in args.getlist(name):
        values.extend(part.strip() for part in raw.split(","))
    return [v for v in values if v]


# "+07:00" sent unencoded in a query string arrives as " 07:00".
_SPACE_OFFSET = re.compile(r" (\d\d(?::?\d\d)?)$")


EARLIEST, LATEST = datetime(1900, 1, 1), datetime(9000, 1, 1)


def parse_datetime(raw: str, name: str) -> datetime:
    """A w3c/ISO 8601 moment as naive UTC; without a zone it is local (Asia/Ho_Chi_Minh)."""
    text = _SPACE_OFFSET.sub(r"+\1", raw.strip())
    try:
        moment = as_stored(datetime.fromisoformat(text))
    except ValueError:
        raise Open311Error(400, _(
            "%(name)s không đúng định dạng ISO 8601, ví dụ 2026-01-01T00:00:00+07:00.", name=name
        ))
    except OverflowError:  # year 1 or 9999 shifted to UTC leaves datetime's range
        moment = None
    # Far enough from datetime's ends that the window arithmetic never overflows.
    if moment is None or not EARLIEST <= moment <= LATEST:
        raise Open311Error(400, _("%(name)s nằm ngoài khoảng thời gian hợp lệ (năm %(first)d–%(last)d).",
                                  name=name, first=EARLIEST.year, last=LATEST.year - 1))
    return moment


def _positive_int(args, name: str, default: int, largest: int) -> int:
    raw = (args.get(name) or "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise Open311Error(400, _("%(name)s phải là số nguyên dương.", name=name))
    value = int(raw)
    if value > largest:
        raise Open311Error(400, _("%(name)s tối đa %(max)d.", name=name, max=largest))
    return value


def parse_query(args, now: datetime | None = None) -> RequestQuery:
    """The GET /requests filters, checked. service_request_id overrides the rest."""
    now = now or utcnow()
    ids = _comma_list(args, "service_request_id")
    if ids:
        if len(ids) > IDS_MAX:
            raise Open311Error(400, _("Tối đa %(max)d service_request_id mỗi lần.", max=IDS_MAX))
        return RequestQuery(ids=[i.upper() for i in ids])

    query = RequestQuery()
    codes = _comma_list(args, "service_code")
    if codes:
        known = set(db.session.scalars(select(Category.code).where(Category.code.in_(codes))))
        unknown = [c for c in codes if c not in known]
        if unknown:
            raise Open311Error(404, *[_("Không có dịch vụ với service_code “%(code)s”.", code=c[:60])
                                      for c in unknown])
        query.service_codes = codes

    statuses = {s.lower() for s in _comma_list(args, "status")}
    if statuses - {"open", "closed"}:
        raise Open311Error(400, _("status chỉ nhận open hoặc closed."))
    query.statuses = statuses or None

    raw_start, raw_end = (args.get("start_date") or "").strip(), (args.get("end_date") or "").strip()
    window = timedelta(days=WINDOW_DAYS)
    start = parse_datetime(raw_start, "start_date") if raw_start else None
    end = parse_datetime(raw_end, "end_date") if raw_end else None
    if start is None and end is None:
        end, start = now, now - window
    elif start is None:
        start = end - window
    elif end is None:
        end = start + window
    if start > end:
        raise Open311Error(400, _("start_date phải trước end_date."))
    if end - start > window:
        raise Open311Error(400, _("Khoảng thời gian không được quá %(days)d ngày.", days=WINDOW_DAYS))
    query.start, query.end = start, end
    query.page = _positive_int(args, "page", 1, 1_000_000)
    query.page_size = _positive_int(args, "page_size", PAGE_SIZE_MAX, PAGE_SIZE_MAX)
    return query


def _with_relations(statement):
    return statement.options(
        selectinload(Ticket.category), selectinload(Ticket.team), selectinload(Ticket.ward)
    )


def find_requests(query: RequestQuery) -> list[Ticket]:
    if query.ids is not None:
        statement = select(Ticket).where(Ticket.reference.in_(query.ids))
        return list(db.session.scalars(_with_relations(statement.order_by(Ticket.created_at.desc(),
                                                                            Ticket.id.desc()))))
    statement = select(Ticket).where(Ticket.created_at >= query.start, Ticket.created_at <= query.end)
    if query.service_codes:
        statement = statement.join(Category, Category.id == Ticket.category_id).where(
            Category.code.in_(query.service_codes)
        )
    if query.statuses == {"open"}:
        statement = statement.where(Ticket.status.in_(lifecycle.OPEN))
    elif query.statuses == {"closed"}:
        statement = statement.where(Ticket.status.not_in(lifecycle.OPEN))
    statement = (
        statement.order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .limit(query.page_size)
        .offset((query.page - 1) * query.page_size)
    )
    return list(db.session.scalars(_with_relations(statement)))


def find_request(service_request_id: str) -> Ticket:
    reference = (service_request_id or "").strip().upper()
    ticket = db.session.scalar(_with_relations(select(Ticket).where(Ticket.reference == reference)))
    if ticket is None:
        raise Open311Error(404, _("Không tìm thấy yêu cầu “%(id)s”.", id=(service_request_id or "")[:40]))
    return ticket
