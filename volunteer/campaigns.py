"""Door-to-door campaigns: create one, log visits, measure coverage. Flushes, never commits.

Coverage counts households, not visits: a household visited twice (same label, however
it was typed) counts once, and only visits that reached someone count at all.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import distinct, func, select

from . import tickets
from .clock import local_date, local_midnight_utc, utcnow
from .extensions import db
from .limits import ADDRESS_MAX, CAMPAIGN_NAME_MAX, HELPED_WITH_MAX, HOUSEHOLD_LABEL_MAX, STREET_MAX, fit
from .domain_errors import DomainError
from .models import Campaign, CampaignTarget, Category, Ticket, Visit, Ward
from .privacy import mask_id_numbers, street_of
from .vocabulary import Channel, LocationSource, VisitOutcome

VISIT_OUTCOME_LABELS = {
    VisitOutcome.HELPED: _l("Đã hỗ trợ"),
    VisitOutcome.NOT_HOME: _l("Không có nhà"),
    VisitOutcome.DECLINED: _l("Từ chối"),
    VisitOutcome.ALREADY_DONE: _l("Đã tự làm được"),
    VisitOutcome.NEEDS_FOLLOW_UP: _l("Cần hỗ trợ thêm (tạo yêu cầu)"),
    VisitOutcome.MOVED: _l("Đã chuyển đi"),
    VisitOutcome.LANGUAGE_BARRIER: _l("Khó khăn ngôn ngữ"),
}

# A household is reached when someone there was spoken to; "not home" and "moved" are not.
REACHED_OUTCOMES = tuple(
    o for o in VisitOutcome if o not in (VisitOutcome.NOT_HOME, VisitOutcome.MOVED))


class CampaignError(DomainError):
    """A rule of campaigns was broken."""


def household_key(label: str) -> str:
    """Lower-cased, accents kept, spaces and punctuation around numbers folded:
    "12  Lê Duẩn" and "12 lê duẩn" are one household."""
    text = unicodedata.normalize("NFC", label or "").casefold()
    text = re.sub(r"[\s,.;]+", " ", text).strip()
    return fit(text, HOUSEHOLD_LABEL_MAX)


def create_campaign(
    *,
    name: str,
    starts_on: date,
    ends_on: date,
    category_ids: list[int],
    targets: dict[int, int] | None = None,
    created_by_id: int | None = None,
) -> Campaign:
    """A campaign over every routing ward; a target missing from `targets` defaults to
    the ward's household count."""
    name = (name or "").strip()
    if not name:
        raise CampaignError(_l("Vui lòng nhập tên chiến dịch."))
    if ends_on < starts_on:
        raise CampaignError(_l("Ngày kết thúc phải sau ngày bắt đầu."))
    categories = db.session.scalars(select(Category).where(Category.id.in_(category_ids))).all()
    if len(categories) != len(set(category_ids)):
        raise CampaignError(_l("Nội dung hỗ trợ không hợp lệ."))
    targets = targets or {}
    wards = db.session.scalars(select(Ward).where(Ward.is_routing_area.is_(True))).all()
    for value in targets.values():
        if value is None or value < 0:
            raise CampaignError(_l("Số hộ mục tiêu phải là số không âm."))
    campaign = Campaign(
        name=fit(name, CAMPAIGN_NAME_MAX),
        starts_on=starts_on,
        ends_on=ends_on,
        created_by_id=created_by_id,
        categories=list(categories),
    )
    campaign.targets = [
        CampaignTarget(ward_id=w.id, target_households=targets.get(w.id, w.households or 0))
        for w in wards
    ]
    db.session.add(campaign)
    db.session.flush()
    return campaign


def active_campaigns(ward_ids: list[int], today: date) -> list[Campaign]:
    """Campaigns running today with a target in one of these wards, newest first."""
    if not ward_ids:
        return []
    return db.session.scalars(
        select(Campaign)
        .join(CampaignTarget, CampaignTarget.campaign_id == Campaign.id)
        .where(
            Campaign.starts_on <= today,
            Campaign.ends_on >= today,
            CampaignTarget.ward_id.in_(ward_ids),
            CampaignTarget.target_households > 0,
        )
        .distinct()
        .order_by(Campaign.starts_on.desc(), Campaign.id.desc())
    ).all()


@dataclass
class VisitInput:
    """One door, as typed on the phone."""

    ward_id: int
    household_label: str
    outcome: str
    street: str | None = None
    helped_with: str = ""
    note: str | None = None
    lat: float | None = None
    lon: float | None = None
    # Only for "needs follow-up": who to call back, and about what.
    resident_name: str | None = None
    resident_phone: str | None = None  # normalized +84…
    category_id: int | None = None


def log_visit(campaign: Campaign, volunteer, visit: VisitInput, now: datetime | None = None) -> Visit:
    """Record a visit; "needs follow-up" also opens a ticket for the ward's team."""
    now = now or utcnow()
    if visit.outcome not in VISIT_OUTCOME_LABELS:
        raise CampaignError(_l("Vui lòng chọn kết quả."))
    label = (visit.household_label or "").strip()
    if not label:
        raise CampaignError(_l("Vui lòng nhập địa chỉ hoặc tên hộ."))
    if not campaign.starts_on <= local_date(now) <= campaign.ends_on:
        raise CampaignError(_l("Chiến dịch này không diễn ra hôm nay."))
    if visit.ward_id not in {t.ward_id for t in campaign.targets}:
        raise CampaignError(_l("Phường này không thuộc chiến dịch."))
    ticket = None
    if visit.outcome == VisitOutcome.NEEDS_FOLLOW_UP:
        if not visit.resident_phone:
            raise CampaignError(_l("Cần số điện thoại của người dân để tổ liên hệ lại."))
        category_id = visit.category_id or (campaign.categories[0].id if campaign.categories else None)
        if category_id is None:
            raise CampaignError(_l("Vui lòng chọn nội dung cần hỗ trợ."))
        details = "; ".join(part for part in (visit.helped_with, visit.note) if part)
        ticket = tickets.create_ticket(
            tickets.Request(
                name=visit.resident_name or None,
                phone=visit.resident_phone,
                category_id=category_id,
                description=details,
                address=_address(label, visit.street),
                ward_id=visit.ward_id,
                lat=visit.lat,
                lon=visit.lon,
                location_source=LocationSource.DEVICE if visit.lat is not None else None,
                channel=Channel.DOOR_TO_DOOR,
                needs_home_visit=True,
                campaign_id=campaign.id,
                actor_id=volunteer.id,
            ),
            now=now,
        )
    row = Visit(
        campaign_id=campaign.id,
        ward_id=visit.ward_id,
        volunteer_id=volunteer.id,
        household_label=fit(mask_id_numbers(label), HOUSEHOLD_LABEL_MAX),
        household_key=household_key(mask_id_numbers(label)),
        street=fit(visit.street or street_of(label), STREET_MAX) or None,
        lat=visit.lat,
        lon=visit.lon,
        outcome=visit.outcome,
        helped_with=fit(mask_id_numbers(visit.helped_with or ""), HELPED_WITH_MAX),
        note=mask_id_numbers(visit.note) if visit.note else None,
        ticket_id=ticket.id if ticket is not None else None,
        created_at=now,
    )
    db.session.add(row)
    db.session.flush()
    return row


def _address(label: str, street: str | None) -> str:
    if street and street.casefold() not in label.casefold():
        return fit(f"{label}, {street}", ADDRESS_MAX)
    return fit(label, ADDRESS_MAX)


@dataclass
class WardProgress:
    ward_id: int
    name: str
    target: int
    reached: int
    visits: int
    tickets_raised: int
    tickets_resolved: int

    @property
    def coverage(self) -> float:
        """Percent of the target reached, capped at 100; 0 with no target."""
        if self.target <= 0:
            return 0.0
        return round(min(100.0, self.reached * 100 / self.target), 1)


def progress(campaign_id: int) -> list[WardProgress]:
    """Per ward: distinct households reached / target, visits, tickets raised and resolved."""
    targets = db.session.execute(
        select(Ward.id, Ward.name, CampaignTarget.target_households)
        .join(CampaignTarget, CampaignTarget.ward_id == Ward.id)
        .where(CampaignTarget.campaign_id == campaign_id)
        .order_by(Ward.name)
    ).all()
    reached = dict(db.session.execute(
        select(Visit.ward_id, func.count(distinct(Visit.household_key)))
        .where(Visit.campaign_id == campaign_id, Visit.outcome.in_(REACHED_OUTCOMES))
        .group_by(Visit.ward_id)
    ).all())
    visits = dict(db.session.execute(
        select(Visit.ward_id, func.count(Visit.id))
        .where(Visit.campaign_id == campaign_id).group_by(Visit.ward_id)
    ).all())
    raised = {}
    resolved = {}
    for ward_id, count, done in db.session.execute(
        select(Ticket.ward_id, func.count(Ticket.id), func.count(Ticket.first_resolved_at))
        .where(Ticket.campaign_id == campaign_id).group_by(Ticket.ward_id)
    ).all():
        raised[ward_id], resolved[ward_id] = count, done
    return [
        WardProgress(ward_id, name, target or 0, reached.get(ward_id, 0), visits.get(ward_id, 0),
                     raised.get(ward_id, 0), resolved.get(ward_id, 0))
        for ward_id, name, target in targets
    ]


def set_target(campaign: Campaign, ward_id: int, households: int) -> None:
    if households < 0:
        raise CampaignError(_l("Số hộ mục tiêu phải là số không âm."))
    for target in campaign.targets:
        if target.ward_id == ward_id:
            target.target_households = households
            db.session.flush()
            return
    raise CampaignError(_l("Phường này không thuộc chiến dịch."))


def visit_points(campaign_id: int, limit: int) -> list[tuple]:
    """(lat, lon, outcome, typed street, ward name, created_at) of the newest located visits."""
    return db.session.execute(
        select(Visit.lat, Visit.lon, Visit.outcome, Visit.street, Ward.name, Visit.created_at)
        .join(Ward, Ward.id == Visit.ward_id)
        .where(Visit.campaign_id == campaign_id, Visit.lat.is_not(None), Visit.lon.is_not(None))
        .order_by(Visit.created_at.desc(), Visit.id.desc())
        .limit(limit)
    ).all()


def all_campaigns() -> list[Campaign]:
    return db.session.scalars(select(Campaign).order_by(Campaign.starts_on.desc(), Campaign.id.desc())).all()


def visits_by(campaign_id: int, volunteer_id: int, day: date, limit: int = 20) -> list[Visit]:
    """The volunteer's visits of the day in this campaign, newest first."""
    start = local_midnight_utc(day)
    return db.session.scalars(
        select(Visit).where(Visit.campaign_id == campaign_id, Visit.volunteer_id == volunteer_id,
                            Visit.created_at >= start)
        .order_by(Visit.created_at.desc(), Visit.id.desc()).limit(limit)
    ).all()
