"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) as plain values: the
documents the operations centre reads, a POST turned into a `tickets.Request`, our
lifecycle mapped onto open/closed, and the public view of a ticket.

The public view never holds the resident's name, phone, e-mail or house number:
the address is street and ward, the point is rounded to about 100 m, and free text
has phone numbers, e-mail addresses and the resident's own name and address masked.
"""
from __future__ import annotations

import hashlib
import json
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from . import lifecycle, tickets
from .i18n import LOCAL_TZ
from .models import ApiKey, Category, Ticket, TicketEvent, Ward, utcnow
from .phones import InvalidPhone, normalize_phone
from .privacy import rough_coordinate
from .extensions import db

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
FORMATS = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}
DESCRIPTION_MAX = 4000  # the spec's limit
NAME_MAX = 120
ADDRESS_MAX = 300
PREFERRED_TIME_MAX = 120
EMAIL_MAX = 254
MEDIA_URL_MAX = 500
WINDOW_DAYS = 90  # the spec's default and largest date range
PAGE_SIZE_MAX = 1000  # the spec's default result cap
IDS_MAX = 1000
DUPLICATE_WINDOW = timedelta(hours=24)

NEEDS = ("elderly", "disability", "home_visit")


class Open311Error(Exception):
    """A refusal in the spec's error format: an HTTP status and one or more
    descriptions (the body's `code` is the HTTP status, as the spec suggests)."""

    def __init__(self, status: int, *descriptions: str):
        super().__init__("; ".join(str(d) for d in descriptions))
        self.status = status
        self.descriptions = [str(d) for d in descriptions]

    def as_list(self) -> list[dict]:
        return errors_document(self.status, self.descriptions)


def errors_document(status: int, descriptions: Iterable[str]) -> list[dict]:
    return [{"code": status, "description": str(d)} for d in descriptions]


# --------------------------------------------------------------------------
# Discovery and services
# --------------------------------------------------------------------------
def check_jurisdiction(given: str | None, configured: str) -> None:
    """One jurisdiction is served, so the id may be left out; a wrong one is a 404."""
    if given is not None and given.strip() and given.strip().lower() != configured.lower():
        raise Open311Error(404, _(
            "Không tìm thấy jurisdiction_id “%(given)s”. Hệ thống này phục vụ “%(ours)s”.",
            given=given.strip()[:100], ours=configured,
        ))


def discovery_document(*, url: str, changeset: str, contact: str, key_service: str,
                       endpoint_type: str = "production") -> dict:
    return {
        "changeset": changeset,
        "contact": contact,
        "key_service": key_service,
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": url,
                "changeset": changeset,
                "type": endpoint_type,
                "formats": ["text/xml", "application/json"],
            }
        ],
    }


def active_categories() -> list[Category]:
    return list(db.session.scalars(
        select(Category).where(Category.active.is_(True)).order_by(Category.position, Category.id)
    ))


def category_for(service_code: str | None) -> Category:
    """The active category behind a service_code, or a 404 the client can read."""
    code = (service_code or "").strip()
    category = db.session.scalar(
        select(Category).where(Category.code == code, Category.active.is_(True))
    ) if code else None
    if category is None:
        raise Open311Error(404, _("Không có dịch vụ với service_code “%(code)s”.", code=code[:60]))
    return category


def service_group() -> str:
    return _("Hỗ trợ chuyển đổi số")


def services_document(categories: Iterable[Category], locale: str) -> list[dict]:
    return [
        {
            "service_code": category.code,
            "service_name": category.label(locale),
            "description": category.describe(locale),
            # Every service has optional attributes (ward, needs, preferred time).
            "metadata": True,
            "type": "realtime",
            "keywords": category.keywords or "",
            "group": service_group(),
        }
        for category in categories
    ]


def all_wards() -> list[Ward]:
    """Merged (current) wards first, then the former wards the teams are organised by."""
    wards = db.session.scalars(select(Ward)).all()
    return sorted(wards, key=lambda w: (w.is_routing_area, w.name, w.period))


def ward_label(ward: Ward) -> str:
    if ward.is_routing_area:
        return _("%(name)s (phường cũ, trước 01/7/2025)", name=ward.name)
    return _("%(name)s (phường mới, từ 01/7/2025)", name=ward.name)


def service_definition(category: Category, wards: Iterable[Ward]) -> dict:
    return {
        "service_code": category.code,
        "attributes": [
            {
                "variable": True,
                "code": "ward",
                "datatype": "singlevaluelist",
                "required": False,
                "datatype_description": _("Mã phường (mã:giai đoạn). Có thể thay cho lat/long hoặc "
                                          "address_string."),
                "order": 1,
                "description": _("Phường nơi người dân cần hỗ trợ."),
                "values": [{"key": ward.key, "name": ward_label(ward)} for ward in wards],
            },
            {
                "variable": True,
                "code": "needs",
                "datatype": "multivaluelist",
                "required": False,
                "datatype_description": _("Chọn một hoặc nhiều."),
                "order": 2,
                "description": _("Người dân cần được lưu ý đặc biệt."),
                "values": [
                    {"key": "elderly", "name": _("Người cao tuổi")},
                    {"key": "disability", "name": _("Người khuyết tật")},
                    {"key": "home_visit", "name": _("Cần đến tận nhà")},
                ],
            },
            {
                "variable": True,
                "code": "preferred_time",
                "datatype": "string",
                "required": False,
                "datatype_description": _("Tối đa %(max)d ký tự.", max=PREFERRED_TIME_MAX),
                "order": 3,
                "description": _("Thời gian thuận tiện để tình nguyện viên liên hệ."),
                "values": [],
            },
        ],
    }


# --------------------------------------------------------------------------
# POST requests
# --------------------------------------------------------------------------
FORM_MIMETYPE = "application/x-www-form-urlencoded"
_ATTRIBUTE = re.compile(r"^attribute\[([^\[\]]*)\](\[\])?$")
# Markup starts with "<" and a letter, "/", "!" or "?": a tag, a comment, a doctype,
# a processing instruction. "< 5" or "<3" is text.
_MARKUP = re.compile(r"<[A-Za-z/!?]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


def require_form_encoding(mimetype: str | None) -> None:
    if (mimetype or "").lower() != FORM_MIMETYPE:
        raise Open311Error(400, _("Yêu cầu POST phải có Content-Type: %(type)s.", type=FORM_MIMETYPE))


@dataclass
class Submission:
    """A validated POST: the ticket to create and what the receipt echoes."""

    service_code: str
    request: tickets.Request
    account_id: str | None = None
    fingerprint: str = ""


@dataclass
class _Problems:
    messages: list[str] = field(default_factory=list)

    def add(self, message: str) -> None:
        self.messages.append(str(message))


def _text(form: Mapping, name: str, limit: int, problems: _Problems, label: str) -> str | None:
    values = form.getlist(name) if hasattr(form, "getlist") else [form.get(name)]
    values = [v for v in values if v is not None]
    if len(values) > 1:
        problems.add(_("Trường %(field)s chỉ được gửi một lần.", field=label))
        return None
    value = (values[0] if values else "").strip()
    if not value:
        return None
    if len(value) > limit:
        problems.add(_("Trường %(field)s tối đa %(max)d ký tự (đã gửi %(count)d).",
                       field=label, max=limit, count=len(value)))
        return None
    if _CONTROL.search(value):
        problems.add(_("Trường %(field)s chứa ký tự điều khiển không hợp lệ.", field=label))
        return None
    if _MARKUP.search(value):
        problems.add(_("Trường %(field)s không được chứa thẻ HTML hoặc mã.", field=label))
        return None
    return value


def _coordinate(raw: str | None, low: float, high: float) -> float | None:
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(value) or not low <= value <= high:
        return None
    return value


def _point(form: Mapping, problems: _Problems) -> tuple[float | None, float | None, bool]:
    """lat and long, both or neither, in range; and whether any was sent."""
    raw_lat, raw_lon = (form.get("lat") or "").strip(), (form.get("long") or "").strip()
    if not (raw_lat or raw_lon):
        return None, None, False
    if not (raw_lat and raw_lon):
        problems.add(_("Cần gửi cả lat và long."))
        return None, None, True
    lat, lon = _coordinate(raw_lat, -90, 90), _coordinate(raw_lon, -180, 180)
    if lat is None or lon is None:
        problems.add(_("Toạ độ không hợp lệ: lat phải từ -90 đến 90, long từ -180 đến 180 (WGS84)."))
        return None, None, True
    return lat, lon, True


def _attributes(form: Mapping, problems: _Problems) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name in form.keys():
        match = _ATTRIBUTE.match(name)
        if not match:
            continue
        code = match.group(1)
        values = [v.strip() for v in form.getlist(name) if v.strip()]
        found.setdefault(code, []).extend(values)
    for code in found:
        if code not in ("ward", "needs", "preferred_time"):
            problems.add(_("Thuộc tính attribute[%(code)s] không có trong định nghĩa dịch vụ.",
                           code=code[:40]))
    return found


def _ward_from(key: str, problems: _Problems) -> Ward | None:
    code, _sep, period = key.partition(":")
    query = select(Ward).where(Ward.code == code)
    # A bare code means the routing area, as on the web form's poster links.
    query = query.where(Ward.period == period) if period else query.where(Ward.is_routing_area.is_(True))
    ward = db.session.scalars(query.limit(1)).first() if code else None
    if ward is None:
        problems.add(_("Giá trị attribute[ward] “%(value)s” không có trong danh sách phường.",
                       value=key[:40]))
    return ward


def parse_submission(form, api_key: ApiKey) -> Submission:
    """Validate a POST body (a MultiDict) into a ticket request, or raise Open311Error
    with every problem found. An unknown service_code is a 404, as the spec says."""
    service_code = (form.get("service_code") or "").strip()
    if not service_code:
        raise Open311Error(400, _("Thiếu service_code."))
    category = category_for(service_code)

    problems = _Problems()
    description = _text(form, "description", DESCRIPTION_MAX, problems, "description") or ""
    first_name = _text(form, "first_name", NAME_MAX, problems, "first_name")
    last_name = _text(form, "last_name", NAME_MAX, problems, "last_name")
    address = _text(form, "address_string", ADDRESS_MAX, problems, "address_string")
    email = _text(form, "email", EMAIL_MAX, problems, "email")
    media_url = _text(form, "media_url", MEDIA_URL_MAX, problems, "media_url")
    account_id = _text(form, "account_id", 100, problems, "account_id")
    _text(form, "device_id", 200, problems, "device_id")  # accepted, not kept
    raw_phone = _text(form, "phone", 30, problems, "phone")

    phone = None
    if raw_phone is None:
        problems.add(_("Thiếu số điện thoại (phone) của người dân: tình nguyện viên cần gọi để hỗ trợ "
                       "và người dân cần 4 số cuối để tra cứu yêu cầu."))
    else:
        try:
            phone = normalize_phone(raw_phone)
        except InvalidPhone as error:
            problems.add(error.message)
    if email is not None and not _EMAIL.match(email):
        problems.add(_("Địa chỉ email không hợp lệ."))
    if media_url is not None:
        parts = urlsplit(media_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            problems.add(_("media_url phải là một địa chỉ http hoặc https."))

    lat, lon, point_sent = _point(form, problems)
    attributes = _attributes(form, problems)
    ward = None
    ward_values = attributes.get("ward", [])
    if len(ward_values) > 1:
        problems.add(_("attribute[ward] chỉ nhận một giá trị."))
    elif ward_values:
        ward = _ward_from(ward_values[0], problems)
    needs = attributes.get("needs", [])
    for value in needs:
        if value not in NEEDS:
            problems.add(_("Giá trị attribute[needs] “%(value)s” không có trong danh sách (%(allowed)s).",
                           value=value[:40], allowed=", ".join(NEEDS)))
    preferred = attributes.get("preferred_time", [])
    preferred_time = None
    if len(preferred) > 1:
        problems.add(_("attribute[preferred_time] chỉ nhận một giá trị."))
    elif preferred:
        preferred_time = _text({"v": preferred[0]}, "v", PREFERRED_TIME_MAX, problems,
                               "attribute[preferred_time]")

    # A location sent but refused already has its own message.
    if lat is None and not address and ward is None and not (point_sent or ward_values):
        problems.add(_("Thiếu vị trí: gửi lat và long, hoặc address_string, hoặc attribute[ward]."))
    if "home_visit" in needs and not address:
        problems.add(_("Cần address_string khi yêu cầu tình nguyện viên đến tận nhà."))
    # Vietnamese names are written family name first.
    name = " ".join(part for part in (last_name, first_name) if part) or None
    if name and len(name) > NAME_MAX:
        problems.add(_("Họ và tên (last_name, first_name) tối đa %(max)d ký tự.", max=NAME_MAX))

    if problems.messages:
        raise Open311Error(400, *problems.messages)
    request = tickets.Request(
        name=name,
        phone=phone,
        category_id=category.id,
        description=description,
        address=address,
        ward_id=ward.id if ward is not None else None,
        lat=lat,
        lon=lon,
        location_source="api" if lat is not None else None,
        channel="api",
        needs_elderly="elderly" in needs,
        needs_disability="disability" in needs,
        needs_home_visit="home_visit" in needs,
        preferred_time=preferred_time,
        email=email,
        media_url=media_url,
        api_key_id=api_key.id,
    )
    return Submission(service_code=category.code, request=request, account_id=account_id,
                      fingerprint=_fingerprint(category.code, request))


def _fingerprint(service_code: str, request: tickets.Request) -> str:
    """The normalized body: the same request however its phone or spacing was written."""
    values = asdict(request)
    values.pop("submission_key", None)
    values["service_code"] = service_code
    body = json.dumps(values, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _submission_key(api_key_id: int, fingerprint: str, bucket: int) -> str:
    return f"api{api_key_id}-{bucket}-{fingerprint[:48]}"


def submit(submission: Submission, now: datetime | None = None) -> tuple[Ticket, bool]:
    """Create the ticket, or return the one the same key created from the same body
    in the last 24 hours (a client's retry). Returns (ticket, created)."""
    now = now or utcnow()
    window = int(DUPLICATE_WINDOW.total_seconds())
    bucket = int(now.replace(tzinfo=timezone.utc).timestamp()) // window
    api_key_id = submission.request.api_key_id
    earlier = tickets.find_by_submission_key(
        _submission_key(api_key_id, submission.fingerprint, bucket - 1)
    )
    if earlier is not None and now - earlier.created_at < DUPLICATE_WINDOW:
        return earlier, False
    key = _submission_key(api_key_id, submission.fingerprint, bucket)
    existing = tickets.find_by_submission_key(key)
    if existing is not None:
        return existing, False
    submission.request.submission_key = key
    try:
        return tickets.create_ticket(submission.request, now=now), True
    except IntegrityError:
        # The same retry, arriving at the same moment on another worker, won.
        existing = tickets.find_by_submission_key(key)
        if existing is None:
            raise
        return existing, False


def service_notice(ticket: Ticket) -> str | None:
    if ticket.status not in lifecycle.OPEN:
        return None
    if ticket.team is not None:
        return _("Yêu cầu đã được chuyển đến %(team)s. Tình nguyện viên sẽ gọi điện cho người dân "
                 "để hẹn thời gian hỗ trợ.", team=ticket.team.name)
    return _("Yêu cầu đang chờ điều phối viên xác định phường và chuyển cho tổ phụ trách.")


def receipt(ticket: Ticket, account_id: str | None) -> dict:
    return {
        "service_request_id": ticket.reference,
        "service_notice": service_notice(ticket),
        "account_id": account_id,
    }


# --------------------------------------------------------------------------
# GET requests
# --------------------------------------------------------------------------
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


def parse_datetime(raw: str, name: str) -> datetime:
    """A w3c/ISO 8601 moment as naive UTC; without a zone it is local (Asia/Ho_Chi_Minh)."""
    text = _SPACE_OFFSET.sub(r"+\1", raw.strip())
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise Open311Error(400, _(
            "%(name)s không đúng định dạng ISO 8601, ví dụ 2026-01-01T00:00:00+07:00.", name=name
        ))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LOCAL_TZ)
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


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


# --------------------------------------------------------------------------
# The public view of a ticket
# --------------------------------------------------------------------------
# Events that say why a ticket is where it is (not notes, calls or reminders).
STATUS_EVENTS = frozenset(
    {"created"} | {action for action, t in lifecycle.TRANSITIONS.items() if t.target is not None}
)


def public_status(status: str) -> str:
    """open while someone is still to help; closed once resolved, closed, cancelled or
    unreachable (status_notes says which)."""
    return "open" if status in lifecycle.OPEN else "closed"


def status_events(ticket_ids: list[int]) -> dict[int, TicketEvent]:
    """The latest status event of each ticket, in one query."""
    if not ticket_ids:
        return {}
    latest = (
        select(func.max(TicketEvent.id))
        .where(TicketEvent.ticket_id.in_(ticket_ids), TicketEvent.action.in_(STATUS_EVENTS))
        .group_by(TicketEvent.ticket_id)
    )
    events = db.session.scalars(select(TicketEvent).where(TicketEvent.id.in_(latest)))
    return {event.ticket_id: event for event in events}


def status_notes(ticket: Ticket, event: TicketEvent | None) -> str:
    # Labels only: an event's free-text note is internal and may name the resident.
    if event is None:
        return str(lifecycle.STATUS_LABELS.get(ticket.status, ""))
    label = str(lifecycle.EVENT_LABELS.get(event.action, lifecycle.STATUS_LABELS.get(ticket.status, "")))
    outcome = lifecycle.RESOLVE_OUTCOME_LABELS.get(event.detail) if event.action == "resolve" else None
    if outcome is not None:
        return _("%(event)s: %(outcome)s", event=label, outcome=str(outcome))
    return label


_PHONE_LIKE = re.compile(r"(?<![\d+])(?:\+\s?84|0084|84|0)(?:[ .\-]?\d){8,10}(?!\d)")
_EMAIL_LIKE = re.compile(r"[^\s@<>,;:()\[\]]+@[^\s@<>,;:()\[\]]+\.[A-Za-z]{2,}")
MASK = "***"


def _mask_verbatim(text: str, secret: str | None) -> str:
    if not secret or len(secret.strip()) < 3:
        return text
    secret = secret.strip()
    if secret.lower() not in text.lower():
        return text  # the usual case, without compiling a pattern per ticket
    return re.sub(re.escape(secret), MASK, text, flags=re.IGNORECASE)


def public_text(text: str | None, ticket: Ticket) -> str | None:
    """Free text as the public may read it: phone numbers, e-mail addresses and the
    resident's own name and address masked."""
    if not text:
        return text
    text = _EMAIL_LIKE.sub(MASK, text)
    text = _PHONE_LIKE.sub(MASK, text)
    for secret in (ticket.email, ticket.resident_name, ticket.address):
        text = _mask_verbatim(text, secret)
    if ticket.address:
        door = ticket.address.split(",")[0]
        if any(ch.isdigit() for ch in door):
            text = _mask_verbatim(text, door)
    return text


def public_address(ticket: Ticket) -> str | None:
    """Street and ward: never the house number (privacy.street_of drops it on create)."""
    parts = []
    street = (ticket.street or "").split(",")[0].strip()
    street = public_text(street, ticket) if street else ""
    ward_name = ticket.ward.name if ticket.ward is not None else None
    if street and street != MASK and (ward_name is None or street.lower() != ward_name.lower()):
        parts.append(street)
    if ward_name:
        parts.append(ward_name)
    return ", ".join(parts) or None


def w3c_datetime(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(LOCAL_TZ).isoformat(timespec="seconds")


def public_request(ticket: Ticket, event: TicketEvent | None, locale: str, zipcode: str | None,
                   notes: str | None = None) -> dict:
    return {
        "service_request_id": ticket.reference,
        "status": public_status(ticket.status),
        "status_notes": notes if notes is not None else status_notes(ticket, event),
        "service_name": ticket.category.label(locale),
        "service_code": ticket.category.code,
        "description": public_text(ticket.description, ticket) or None,
        "agency_responsible": ticket.team.name if ticket.team is not None else None,
        "service_notice": service_notice(ticket),
        "requested_datetime": w3c_datetime(ticket.created_at),
        "updated_datetime": w3c_datetime(ticket.updated_at),
        # We promise no service level, so there is no date to expect.
        "expected_datetime": None,
        "address": public_address(ticket),
        "zipcode": zipcode,
        "lat": rough_coordinate(ticket.lat),
        "long": rough_coordinate(ticket.lon),
        "media_url": ticket.media_url,
    }


def requests_document(found: list[Ticket], locale: str, zipcode: str | None) -> list[dict]:
    events = status_events([t.id for t in found])
    notes: dict[tuple, str] = {}  # a page repeats a handful of labels; translate each once
    document = []
    for ticket in found:
        event = events.get(ticket.id)
        key = (ticket.status, event.action if event else None, event.detail if event else None)
        if key not in notes:
            notes[key] = status_notes(ticket, event)
        document.append(public_request(ticket, event, locale, zipcode, notes[key]))
    return document


def token_document(ticket: Ticket, token: str) -> list[dict]:
    return [{"service_request_id": ticket.reference, "token": token}]


# --------------------------------------------------------------------------
# XML and JSON
# --------------------------------------------------------------------------
# How each list is spelled in XML: <services><service/>…</services>.
ITEM_NAMES = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}
# Characters XML 1.0 cannot carry at all; a stored description may hold one.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _scalar(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _fill(element: ET.Element, name: str, data) -> None:
    if isinstance(data, list):
        item = ITEM_NAMES[name]
        for value in data:
            _fill(ET.SubElement(element, item), item, value)
    elif isinstance(data, dict):
        for key, value in data.items():
            _fill(ET.SubElement(element, key), key, value)
    else:
        element.text = _scalar(data)


def to_xml(root: str, data) -> bytes:
    element = ET.Element(root)
    _fill(element, root, data)
    body = ET.tostring(element, encoding="unicode").encode("utf-8")
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + body


def to_json(data) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
