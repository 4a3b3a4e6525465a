"""Composes the ward map page from the domain modules: figures from `figures`,
progress from `campaigns`, the folium map from `maps`. Only translation and URLs are
added here."""
from __future__ import annotations

import json
from dataclasses import dataclass

from flask import current_app, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ... import campaigns, catalog, maps, figures, privacy
from ...extensions import db
from ...i18n import current_language, format_age, format_datetime, format_number, format_share, team_label
from ...clock import utcnow
from ...lifecycle import OPEN_IN_ORDER, STATUS_LABELS
from ...models import Campaign

MEASURES = {
    "open": _l("Số yêu cầu đang mở"),
    "per_thousand": _l("Yêu cầu đang mở trên 1.000 hộ"),
    "median_resolve": _l("Số ngày giải quyết (trung vị)"),
    "coverage": _l("Độ phủ chiến dịch (%)"),
}
ORDERS = {
    "newest": _l("các yêu cầu mới nhất"),
    "oldest": _l("các yêu cầu chờ lâu nhất"),
}


def filter_choices(form) -> None:
    language = current_language()
    form.measure.choices = [(k, str(v)) for k, v in MEASURES.items()]
    form.category.choices = [("", _("Tất cả"))] + [
        (str(c.id), c.label(language)) for c in catalog.categories(include_inactive=True)]
    form.status.choices = [("", _("Mọi trạng thái đang mở"))] + [
        (s, str(STATUS_LABELS[s])) for s in OPEN_IN_ORDER]
    form.campaign.choices = [("", _("Không chọn"))] + [
        (str(c.id), c.name) for c in campaigns.all_campaigns()]
    form.order.choices = [(k, str(v)) for k, v in ORDERS.items()]


def filters_from(form) -> figures.Filters:
    """Filters from a validated form; anything invalid was already refused."""
    def as_int(value):
        return int(value) if value and str(value).isdigit() else None

    return figures.Filters(
        category_id=as_int(form.category.data),
        start=form.start.data,
        end=form.end.data,
        campaign_id=as_int(form.campaign.data),
        status=form.status.data or None,
    )


def assets() -> maps.Assets:
    def static(path):
        return url_for("static", filename=f"vendor/{path}")

    return maps.Assets(
        leaflet_js=static("leaflet/leaflet.js"),
        leaflet_css=static("leaflet/leaflet.css"),
        cluster_js=static("leaflet.markercluster/leaflet.markercluster.js"),
        cluster_css=static("leaflet.markercluster/MarkerCluster.css"),
        cluster_default_css=static("leaflet.markercluster/MarkerCluster.Default.css"),
    )


@dataclass
class MapPage:
    parts: maps.MapParts
    figures: list
    totals: figures.Figures
    progress: list | None
    campaign: Campaign | None
    measure: str
    drawn: int
    located: int
    cap: int
    order: str
    needs_campaign: bool


def _number(value) -> str:
    """Counts whole, measures with one decimal, in the reader's locale (as the tables)."""
    return format_number(value, 1 if isinstance(value, float) else 0)


def build(form) -> MapPage:
    filters = filters_from(form)
    measure = form.measure.data if form.measure.data in MEASURES else "open"
    now = utcnow()
    ward_rows = figures.ward_figures(filters, now=now,
                                     with_medians="resolve" if measure == "median_resolve" else False)
    campaign = db.session.get(Campaign, filters.campaign_id) if filters.campaign_id else None
    progress = {p.ward_id: p for p in campaigns.progress(campaign.id)} if campaign else None

    def value(row):
        if measure == "open":
            return float(row.open)
        if measure == "per_thousand":
            return row.per_thousand
        if measure == "median_resolve":
            return row.median_resolve_days
        if progress is not None and row.key in progress:
            return progress[row.key].coverage
        return None

    wards = {w.id: w for w in figures.routing_wards()}
    areas = []
    for row in ward_rows:
        lines = [
            (_("Tổ"), ", ".join(team_label(name) for name in row.teams) or "—"),
            (_("Đang mở"), _number(row.open)),
            (_("Đang chờ"), _number(row.waiting)),
            (_("Đã nhận"), _number(row.held)),
            (_("Đang hỗ trợ"), _number(row.in_progress)),
            (_("Chuyển điều phối"), _number(row.escalated)),
            (_("Trên 1.000 hộ"), _number(row.per_thousand)),
        ]
        if measure == "median_resolve":
            lines.append((_("Số ngày giải quyết (trung vị)"), _number(row.median_resolve_days)))
        if progress is not None and row.key in progress:
            p = progress[row.key]
            lines.append((_("Hộ đã tiếp cận"), f"{_number(p.reached)}/{_number(p.target)} ({format_share(p.coverage / 100, 1)})"))
        ward = wards[row.key]
        areas.append(maps.WardArea(
            ward_id=row.key, name=row.name, tooltip_lines=lines, value=value(row),
            boundary=json.loads(ward.boundary_geojson) if ward.boundary_geojson else None,
        ))
    values = [a.value for a in areas]
    if measure == "coverage":
        legend = maps.scale_steps(values, maps.SCALE_GREEN, fixed_max=100)
    else:
        legend = maps.scale_steps(values)

    config = current_app.config
    cap = int(config.get("MAP_POINT_CAP", maps.DEFAULT_POINT_CAP))
    oldest = form.order.data == "oldest"
    rows, located = figures.open_points(filters, cap, oldest_first=oldest)
    language = current_language()
    labels = {c.id: c.label(language) for c in catalog.categories(include_inactive=True)}

    ages: dict[int, str] = {}

    def age(moment):
        # Thousands of points share a few hundred distinct minutes/hours/days: translate
        # each once (a gettext call per point is a tenth of the page's time).
        seconds = int((now - moment).total_seconds())
        key = seconds // 60 if seconds < 86400 else 10**9 + seconds // 86400
        if key not in ages:
            ages[key] = format_age(moment, now)
        return ages[key]

    def point(row):
        return maps.TicketPoint(
            ticket_id=row.ticket_id, lat=row.lat, lon=row.lon, status=row.status,
            reference=row.reference, category=labels.get(row.category_id, ""),
            age=age(row.created_at),
            description=privacy.publish(description=row.description or "", address=row.address,
                                        ward_name=None, name=row.resident_name,
                                        email=row.email).description)

    resolved_days = form.resolved_days.data or 7
    resolved = [point(r) for r in figures.resolved_points(
        filters, resolved_days, min(cap, maps.RESOLVED_CAP), now=now)]
    visits = None
    if campaign is not None:
        visits = [
            maps.VisitPoint(lat, lon, outcome,
                            privacy.publish(description=None, address=street, ward_name=ward).address or "",
                            format_datetime(created_at))
            for lat, lon, outcome, street, ward, created_at in campaigns.visit_points(campaign.id, cap)
        ]
    centre = _centre(wards.values())
    text = maps.MapText(
        wards_layer=_("Phường: %(measure)s", measure=MEASURES[measure]),
        tickets_layer=_("Yêu cầu đang mở"),
        resolved_layer=_("Đã giải quyết trong %(days)d ngày", days=resolved_days),
        visits_layer=_("Lượt đến từng nhà"),
        open_ticket=_("Mở yêu cầu"),
        status_labels={k: str(v) for k, v in STATUS_LABELS.items()},
        outcome_labels={k: str(v) for k, v in campaigns.VISIT_OUTCOME_LABELS.items()},
    )
    parts = maps.build_ward_map(
        areas=areas, legend=legend, tickets=[point(r) for r in rows], resolved=resolved,
        visits=visits, centre=centre, tile_url=config.get("TILE_URL", ""),
        tile_attribution=config.get("TILE_ATTRIBUTION", ""), assets=assets(),
        ticket_url_prefix=url_for("coordinator.ticket", ticket_id=0)[:-1], text=text,
    )
    return MapPage(
        parts=parts, figures=ward_rows, totals=figures.total(ward_rows, _("Toàn thành phố")),
        progress=list(progress.values()) if progress else None, campaign=campaign,
        measure=measure, drawn=len(rows), located=located, cap=cap,
        order="oldest" if oldest else "newest",
        needs_campaign=measure == "coverage" and campaign is None,
    )


def _centre(wards) -> tuple[float, float]:
    points = [(w.centre_lat, w.centre_lon) for w in wards if w.centre_lat is not None]
    if not points:
        return (0.0, 0.0)  # no ward has a centre yet: fit_bounds has nothing either
    return (sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points))
