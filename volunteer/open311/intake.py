"""A POST to requests.json/xml turned into a `tickets.Request`, checked field by field
with every problem named, and submitted once per client request."""
from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from urllib.parse import urlsplit

from flask_babel import gettext as _

from .. import catalog, lifecycle, tickets
from ..clock import utcnow
from ..i18n import team_label
from ..models import ApiKey, Ticket
from ..phones import InvalidPhone, normalize_phone
from ..vocabulary import Channel, LocationSource
from ..limits import (ADDRESS_MAX, EMAIL_MAX, MEDIA_URL_MAX, NAME_MAX, OPEN311_DESCRIPTION_MAX,
                      PHONE_TYPED_MAX, PREFERRED_TIME_MAX)
from . import DUPLICATE_WINDOW, NEEDS, Open311Error
from .documents import category_for


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


def _ward_from(key: str, problems: _Problems) -> catalog.WardEntry | None:
    ward = catalog.ward_by_key(key)
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
    description = _text(form, "description", OPEN311_DESCRIPTION_MAX, problems, "description") or ""
    first_name = _text(form, "first_name", NAME_MAX, problems, "first_name")
    last_name = _text(form, "last_name", NAME_MAX, problems, "last_name")
    address = _text(form, "address_string", ADDRESS_MAX, problems, "address_string")
    email = _text(form, "email", EMAIL_MAX, problems, "email")
    media_url = _text(form, "media_url", MEDIA_URL_MAX, problems, "media_url")
    account_id = _text(form, "account_id", 100, problems, "account_id")
    _text(form, "device_id", 200, problems, "device_id")  # accepted, not kept
    raw_phone = _text(form, "phone", PHONE_TYPED_MAX, problems, "phone")

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
        location_source=LocationSource.API if lat is not None else None,
        channel=Channel.API,
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
    # The same retry arriving at the same moment on another worker: the first one's ticket.
    return tickets.create_or_find(submission.request, now=now)


def service_notice(ticket: Ticket) -> str | None:
    if ticket.status not in lifecycle.OPEN:
        return None
    if ticket.team is not None:
        return _("Yêu cầu đã được chuyển đến %(team)s. Tình nguyện viên sẽ gọi điện cho người dân "
                 "để hẹn thời gian hỗ trợ.", team=team_label(ticket.team.name))
    return _("Yêu cầu đang chờ điều phối viên xác định phường và chuyển cho tổ phụ trách.")


def receipt(ticket: Ticket, account_id: str | None) -> dict:
    return {
        "service_request_id": ticket.reference,
        "service_notice": service_notice(ticket),
        "account_id": account_id,
    }
