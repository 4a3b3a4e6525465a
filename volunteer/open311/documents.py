"""Discovery, the service list and service definitions: what the operations centre reads
before it sends anything."""
from __future__ import annotations

from collections.abc import Iterable

from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..models import Category, Ward
from ..limits import PREFERRED_TIME_MAX
from . import SPECIFICATION, Open311Error


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
        return _("%(name)s (phường cũ, trước 01/07/2025)", name=ward.name)
    return _("%(name)s (phường mới, từ 01/07/2025)", name=ward.name)


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
