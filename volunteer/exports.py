"""CSV exports for coordinators: UTF-8 with a BOM (so Excel reads Vietnamese), the
dashboard's filters applied, personal data only when asked for, and every export
recorded in the audit log.

Cells that a spreadsheet would read as a formula (= + - @, tab, carriage return) get a
leading apostrophe: an exported description must never run in Excel.
"""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator

from sqlalchemy import select

from .extensions import db
from .clock import to_local
from .models import AuditLog, Campaign, Category, Team, Ticket, User, Visit, Ward
from .privacy import publish, rough_coordinate
from .figures import Filters, ticket_conditions, within_local_days
from .vocabulary import AuditAction

BOM = "\ufeff"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
BATCH = 1000


def safe_cell(value) -> str:
    if value is None:
        return ""
    text = str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def _lines(header: list[str], rows: Iterable[list]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    yield BOM + buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([safe_cell(value) for value in row])
        yield buffer.getvalue()


def record_export(user_id: int | None, kind: str, filters: Filters, personal: bool) -> AuditLog:
    """The audit row an export leaves; the caller commits it before streaming."""
    detail = {
        "kind": kind,
        "personal_data": personal,
        "filters": {k: (str(v) if v is not None else None) for k, v in vars(filters).items()},
    }
    entry = AuditLog(
        user_id=user_id,
        action=AuditAction.EXPORT_PERSONAL_DATA if personal else AuditAction.EXPORT,
        detail=json.dumps(detail, ensure_ascii=False, sort_keys=True),
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def iso_datetime(moment) -> str:
    """ISO 8601 in local time with its offset ("2026-12-02T10:24:00+07:00"): what
    spreadsheets and other systems read without guessing the day/month order."""
    local = to_local(moment)
    return local.isoformat(timespec="seconds") if local else ""


TICKET_HEADER = ["reference", "created_at", "ward", "team", "category", "channel", "status",
                 "claimed_at", "resolved_at", "closed_at", "outcome", "street", "lat", "lon"]
TICKET_PERSONAL_HEADER = ["resident_name", "phone", "email", "address", "description"]


def _in_creation_order(query, model, conditions: list):
    """Oldest first, streamed in batches so a year of rows never sits in memory."""
    return (query.where(*conditions).order_by(model.created_at, model.id)
            .execution_options(yield_per=BATCH))


def ticket_rows(filters: Filters, personal: bool, language: str = "vi") -> Iterator[str]:
    """CSV lines of the tickets matching the filters (any status unless one is picked)."""
    conditions = ticket_conditions(filters)
    if filters.status:
        conditions.append(Ticket.status == filters.status)
    query = (
        select(Ticket, Ward.name, Team.name, Category)
        .outerjoin(Ward, Ward.id == Ticket.ward_id)
        .outerjoin(Team, Team.id == Ticket.team_id)
        .join(Category, Category.id == Ticket.category_id)
    )
    query = _in_creation_order(query, Ticket, conditions)

    def rows():
        for ticket, ward, team, category in db.session.execute(query):
            lat, lon, street = ticket.lat, ticket.lon, ticket.street
            if not personal:
                lat, lon = rough_coordinate(lat), rough_coordinate(lon)
                street = publish(description=None, address=ticket.address or ticket.street,
                                 ward_name=ward).street
            row = [ticket.reference, iso_datetime(ticket.created_at), ward or "", team or "",
                   category.label(language), ticket.channel, ticket.status,
                   iso_datetime(ticket.claimed_at), iso_datetime(ticket.resolved_at),
                   iso_datetime(ticket.closed_at), ticket.outcome, street, lat, lon]
            if personal:
                row += [ticket.resident_name, ticket.phone, ticket.email, ticket.address,
                        ticket.description]
            yield row

    header = TICKET_HEADER + (TICKET_PERSONAL_HEADER if personal else [])
    return _lines(header, rows())


VISIT_HEADER = ["campaign", "created_at", "ward", "volunteer", "street", "outcome",
                "helped_with", "ticket", "lat", "lon"]
VISIT_PERSONAL_HEADER = ["household", "note"]


def visit_rows(filters: Filters, personal: bool) -> Iterator[str]:
    """CSV lines of the visits (of the picked campaign, or all) in the date range."""
    conditions = []
    if filters.campaign_id:
        conditions.append(Visit.campaign_id == filters.campaign_id)
    conditions += within_local_days(Visit.created_at, filters.start, filters.end)
    query = (
        select(Visit, Campaign.name, Ward.name, User.name, Ticket.reference)
        .join(Campaign, Campaign.id == Visit.campaign_id)
        .join(Ward, Ward.id == Visit.ward_id)
        .join(User, User.id == Visit.volunteer_id)
        .outerjoin(Ticket, Ticket.id == Visit.ticket_id)
    )
    query = _in_creation_order(query, Visit, conditions)

    def rows():
        for visit, campaign, ward, volunteer, reference in db.session.execute(query):
            lat, lon, street = visit.lat, visit.lon, visit.street
            if not personal:
                lat, lon = rough_coordinate(lat), rough_coordinate(lon)
                street = publish(description=None, address=visit.street, ward_name=ward).street
            row = [campaign, iso_datetime(visit.created_at), ward, volunteer, street,
                   visit.outcome, visit.helped_with, reference, lat, lon]
            if personal:
                row += [visit.household_label, visit.note]
            yield row

    header = VISIT_HEADER + (VISIT_PERSONAL_HEADER if personal else [])
    return _lines(header, rows())
