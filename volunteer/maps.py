"""The coordinators' ward map, built with folium from aggregates and capped points.

The page stays small however many tickets there are: wards carry figures computed in
SQL, open tickets go through one FastMarkerCluster (a data array and a small callback,
not a Marker object each), and every point layer is capped.

Text that reaches the map is escaped here, once: HTML, and also `$` and backticks,
because folium places some text inside JavaScript template strings where `${…}` runs.
Data arrays go through `tojson`, which escapes `<`, `>` and `&`, so `</script>` in a
description cannot close the script either.
"""
from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from datetime import datetime

import folium
from branca.element import MacroElement
from folium.elements import CssLink, JavascriptLink
from folium.map import Layer
from folium.plugins import FastMarkerCluster
from folium.template import Template

from .lifecycle import Status
from .vocabulary import VisitOutcome

# Point caps: what a browser on an office PC draws comfortably, and a page that stays
# well under 1.5 MB. Recently resolved tickets are context, so fewer of them.
DEFAULT_POINT_CAP = 2000
RESOLVED_CAP = 500
DESCRIPTION_EXCERPT = 160

STATUS_COLOURS = {
    Status.NEW: "#d97706",
    Status.CLAIMED: "#2563eb",
    Status.IN_PROGRESS: "#7c3aed",
    Status.ESCALATED: "#dc2626",
    Status.RESOLVED: "#16a34a",
    Status.CLOSED: "#16a34a",
}
OUTCOME_COLOURS = {
    VisitOutcome.HELPED: "#16a34a",
    VisitOutcome.NOT_HOME: "#9ca3af",
    VisitOutcome.DECLINED: "#6b7280",
    VisitOutcome.ALREADY_DONE: "#0ea5e9",
    VisitOutcome.NEEDS_FOLLOW_UP: "#dc2626",
    VisitOutcome.MOVED: "#a16207",
    VisitOutcome.LANGUAGE_BARRIER: "#9333ea",
}
# Sequential scales, light to dark; grey for a ward without a value.
SCALE_WARM = ("#fff5eb", "#fdd0a2", "#fd8d3c", "#e6550d", "#a63603")
SCALE_GREEN = ("#f7fcf5", "#c7e9c0", "#74c476", "#31a354", "#006d2c")
NO_VALUE = "#d1d5db"


def escape_map_text(value) -> str:
    """HTML-escape, then neutralise `$` and backticks (folium's template strings)."""
    text = html.escape("" if value is None else str(value), quote=True)
    return text.replace("$", "&#36;").replace("`", "&#96;")


def script_json(value) -> str:
    """JSON that is safe inside a <script> element."""
    return (
        json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


@dataclass(frozen=True)
class Assets:
    """Where Leaflet and the cluster plugin are served from (our own static files)."""

    leaflet_js: str
    leaflet_css: str
    cluster_js: str
    cluster_css: str
    cluster_default_css: str


@dataclass(frozen=True)
class WardArea:
    ward_id: int
    name: str
    boundary: dict  # GeoJSON geometry
    tooltip_lines: list[tuple[str, str]]  # (label, value): already plain text, escaped here
    value: float | None  # the measure's value, None when unknown


@dataclass(frozen=True)
class TicketPoint:
    ticket_id: int
    lat: float
    lon: float
    status: str
    reference: str
    category: str
    age: str
    description: str


@dataclass(frozen=True)
class VisitPoint:
    lat: float
    lon: float
    outcome: str
    label: str
    when: str


@dataclass(frozen=True)
class LegendStep:
    colour: str
    low: float | None
    high: float | None


@dataclass
class MapParts:
    """What our template places: asset URLs, the map's div and its script."""

    js: list[str]
    css: list[str]
    html: str
    script: str
    legend: list[LegendStep] = field(default_factory=list)


@dataclass(frozen=True)
class MapText:
    """Labels the map shows, translated by the caller."""

    wards_layer: str
    tickets_layer: str
    resolved_layer: str
    visits_layer: str
    open_ticket: str
    status_labels: dict
    outcome_labels: dict


def scale_steps(values: list[float | None], scale=SCALE_WARM, fixed_max: float | None = None,
                steps: int = 5) -> list[LegendStep]:
    """Equal-interval bins from 0 to the largest value (or `fixed_max`)."""
    present = [v for v in values if v is not None]
    top = fixed_max if fixed_max is not None else (max(present) if present else 0)
    if top <= 0:
        return [LegendStep(scale[0], 0, 0)]
    width = top / steps
    return [
        LegendStep(scale[i], round(i * width, 1), round((i + 1) * width, 1))
        for i in range(steps)
    ]


def colour_for(value: float | None, legend: list[LegendStep]) -> str:
    if value is None:
        return NO_VALUE
    for step in legend:
        if step.high is not None and value <= step.high:
            return step.colour
    return legend[-1].colour


class CompactMarkerCluster(FastMarkerCluster):
    """FastMarkerCluster with its data written as compact UTF-8 JSON (Jinja's tojson
    writes every Vietnamese letter as a 6-byte \\u escape, doubling the page)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = (function(){
                {{ this.callback }}

                var data = {{ this.data_json }};
                var options = {{ this.options|tojavascript }};
                // A cluster takes the colour its markers share most, the status legend's colours,
                // rather than the plugin's size colours (green, yellow) that mean nothing here.
                options.iconCreateFunction = function (group) {
                    var counts = {}, best = null;
                    group.getAllChildMarkers().forEach(function (marker) {
                        var colour = marker.options.fillColor;
                        counts[colour] = (counts[colour] || 0) + 1;
                        if (best === null || counts[colour] > counts[best]) best = colour;
                    });
                    return L.divIcon({
                        html: '<div style="border-color:' + best + '"><span>' + group.getChildCount() + '</span></div>',
                        className: 'marker-cluster status-cluster', iconSize: L.point(40, 40)});
                };
                var cluster = L.markerClusterGroup(options);
                for (var i = 0; i < data.length; i++) {
                    callback(data[i]).addTo(cluster);
                }
                cluster.addTo({{ this._parent.get_name() }});
                return cluster;
            })();
        {% endmacro %}"""
    )

    @property
    def data_json(self) -> str:
        return script_json(self.data)


class MetricScale(MacroElement):
    """Leaflet's scale bar in metres and kilometres only (folium's also shows miles)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            L.control.scale({imperial: false}).addTo({{ this._parent.get_name() }});
        {% endmacro %}"""
    )


class PointLayer(Layer):
    """Unclustered circle markers from a data array: one JavaScript loop, not one
    folium object per point."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = (function(){
                var callback = {{ this.callback }};
                var data = {{ this.data_json }};
                var group = L.layerGroup();
                for (var i = 0; i < data.length; i++) {
                    callback(data[i]).addTo(group);
                }
                {%- if this.show %}
                group.addTo({{ this._parent.get_name() }});
                {%- endif %}
                return group;
            })();
        {% endmacro %}"""
    )

    def __init__(self, data, callback: str, name: str, show: bool = True):
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "PointLayer"
        self.data = data
        self.callback = callback

    @property
    def data_json(self) -> str:
        return script_json(self.data)


STATUS_ORDER = tuple(STATUS_COLOURS)


def _ticket_callback(text: MapText, ticket_url_prefix: str, class_name: str,
                     categories: list[str]) -> str:
    """Circle marker coloured by status; the popup is built from pre-escaped strings.

    A row is [lat, lon, status index, id, reference, category index, age, excerpt]."""
    labels = [escape_map_text(text.status_labels.get(s, s)) for s in STATUS_ORDER]
    colours = [STATUS_COLOURS[s] for s in STATUS_ORDER]
    return (
        "function (row) {"
        f" var colours = {script_json(colours)};"
        f" var labels = {script_json(labels)};"
        f" var categories = {script_json([escape_map_text(c) for c in categories])};"
        " var marker = L.circleMarker(new L.LatLng(row[0], row[1]), {radius: 8, weight: 2,"
        f" color: '#ffffff', fillOpacity: 0.9, className: {script_json(class_name)},"
        " fillColor: colours[row[2]] || '#555555'});"
        " marker.bindPopup('<strong>' + row[4] + '</strong><br>' + (labels[row[2]] || '') +"
        " '<br>' + (categories[row[5]] || '') + '<br>' + row[6] +"
        " (row[7] ? '<br><em>' + row[7] + '</em>' : '') +"
        f" '<br><a href=\"' + {script_json(ticket_url_prefix)} + row[3] + '\">' +"
        f" {script_json(escape_map_text(text.open_ticket))} + '</a>');"
        " return marker; }"
    )


def _visit_callback(text: MapText) -> str:
    labels = {k: escape_map_text(v) for k, v in text.outcome_labels.items()}
    return (
        "function (row) {"
        f" var colours = {script_json(OUTCOME_COLOURS)};"
        f" var labels = {script_json(labels)};"
        " var marker = L.circleMarker(new L.LatLng(row[0], row[1]), {radius: 6, weight: 1,"
        " color: '#ffffff', fillOpacity: 0.85, className: 'visit-marker',"
        " fillColor: colours[row[2]] || '#555555'});"
        " marker.bindPopup('<strong>' + row[3] + '</strong><br>' + (labels[row[2]] || '') +"
        " '<br>' + row[4]);"
        " return marker; }"
    )


def _ticket_rows(points: list[TicketPoint], categories: dict[str, int],
                 with_excerpt: bool = True) -> list[list]:
    rows = []
    for p in points:
        index = categories.setdefault(p.category, len(categories))
        rows.append([round(p.lat, 5), round(p.lon, 5), STATUS_ORDER.index(p.status)
                     if p.status in STATUS_ORDER else -1, p.ticket_id,
                     escape_map_text(p.reference), index, escape_map_text(p.age),
                     escape_map_text(_excerpt(p.description)) if with_excerpt else ""])
    return rows


def _excerpt(text: str) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= DESCRIPTION_EXCERPT else text[: DESCRIPTION_EXCERPT - 1] + "…"


def _tooltip_html(area: WardArea) -> str:
    rows = "".join(
        f"<br>{escape_map_text(label)}: <b>{escape_map_text(value)}</b>"
        for label, value in area.tooltip_lines
    )
    return f"<strong>{escape_map_text(area.name)}</strong>{rows}"


def build_ward_map(
    *,
    areas: list[WardArea],
    legend: list[LegendStep],
    tickets: list[TicketPoint],
    resolved: list[TicketPoint] | None,
    visits: list[VisitPoint] | None,
    centre: tuple[float, float],
    tile_url: str,
    tile_attribution: str,
    assets: Assets,
    ticket_url_prefix: str,
    text: MapText,
) -> MapParts:
    """The map, as parts for our own template (not a separate document in an iframe)."""
    m = folium.Map(location=list(centre), zoom_start=13, tiles=None)
    MetricScale().add_to(m)
    # Our copies of Leaflet only: no jQuery, Bootstrap or awesome-markers from a CDN.
    m.default_js = [("leaflet", assets.leaflet_js)]
    m.default_css = [("leaflet_css", assets.leaflet_css)]
    if tile_url:
        folium.TileLayer(tiles=tile_url, attr=tile_attribution, name="tiles", control=False).add_to(m)

    features = [
        {
            "type": "Feature",
            "id": str(area.ward_id),
            "geometry": area.boundary,
            "properties": {
                "ward_id": area.ward_id,
                "tooltip": _tooltip_html(area),
                "fill": colour_for(area.value, legend),
            },
        }
        for area in areas
        if area.boundary
    ]
    folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        name=escape_map_text(text.wards_layer),
        style_function=lambda feature: {
            "fillColor": feature["properties"]["fill"],
            "color": "#374151",
            "weight": 1.5,
            "fillOpacity": 0.6,
            "className": "ward-area",
        },
        highlight_function=lambda feature: {"weight": 3, "color": "#111827"},
        tooltip=folium.GeoJsonTooltip(fields=["tooltip"], labels=False, sticky=True),
        zoom_on_click=False,
    ).add_to(m)

    categories: dict[str, int] = {}
    ticket_rows = _ticket_rows(tickets, categories)
    resolved_rows = _ticket_rows(resolved or [], categories, with_excerpt=False)
    category_list = list(categories)
    cluster = CompactMarkerCluster(
        ticket_rows,
        callback=_ticket_callback(text, ticket_url_prefix, "ticket-marker", category_list),
        name=escape_map_text(text.tickets_layer),
        options={"maxClusterRadius": 40, "showCoverageOnHover": False},
    )
    cluster.default_js = [("markerclusterjs", assets.cluster_js)]
    cluster.default_css = [
        ("markerclustercss", assets.cluster_css),
        ("markerclusterdefaultcss", assets.cluster_default_css),
    ]
    cluster.add_to(m)
    if resolved is not None:
        PointLayer(
            resolved_rows,
            _ticket_callback(text, ticket_url_prefix, "resolved-marker", category_list),
            name=escape_map_text(text.resolved_layer),
            show=False,
        ).add_to(m)
    if visits is not None:
        PointLayer(
            [[round(v.lat, 5), round(v.lon, 5), v.outcome, escape_map_text(v.label),
              escape_map_text(v.when)]
             for v in visits],
            _visit_callback(text),
            name=escape_map_text(text.visits_layer),
            show=True,
        ).add_to(m)
    for area in areas:
        label_at = _label_point(area.boundary)
        if label_at:
            # Names always shown, not only on hover; the labels take no clicks or focus.
            folium.Marker(label_at, interactive=False, keyboard=False, icon=folium.DivIcon(
                html=f'<span class="ward-label">{escape_map_text(area.name)}</span>',
                class_name="ward-label-icon", icon_size=(0, 0))).add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    bounds = _bounds(areas)
    if bounds:
        m.fit_bounds(bounds)
    return _parts(m, legend, assets)


def _bounds(areas: list[WardArea]):
    lats, lons = [], []
    for area in areas:
        for lon, lat in _coordinates(area.boundary):
            lats.append(lat)
            lons.append(lon)
    if not lats:
        return None
    return [[min(lats), min(lons)], [max(lats), max(lons)]]


def _label_point(geometry) -> list[float] | None:
    """The middle of a ward's bounding box: inside the compact wards of a town."""
    points = list(_coordinates(geometry))
    if not points:
        return None
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    return [(min(lats) + max(lats)) / 2, (min(lons) + max(lons)) / 2]


def _coordinates(geometry):
    if not geometry:
        return
    kind = geometry.get("type")
    rings = []
    if kind == "Polygon":
        rings = geometry["coordinates"]
    elif kind == "MultiPolygon":
        rings = [ring for polygon in geometry["coordinates"] for ring in polygon]
    for ring in rings:
        yield from ((point[0], point[1]) for point in ring)


def _parts(m: folium.Map, legend: list[LegendStep], assets: Assets) -> MapParts:
    root = m.get_root()
    root.render()
    ours = {assets.leaflet_js, assets.leaflet_css, assets.cluster_js, assets.cluster_css,
            assets.cluster_default_css}
    js, css = [], []
    for child in root.header._children.values():
        if isinstance(child, JavascriptLink):
            js.append(child.url)
        elif isinstance(child, CssLink):
            css.append(child.url)
    stray = [url for url in js + css if url not in ours]
    if stray:
        # A folium element brought its CDN dependency: refuse rather than leak requests.
        raise ValueError(f"map needs assets that are not served locally: {stray}")
    return MapParts(js=js, css=css, html=root.html.render(), script=root.script.render(),
                    legend=legend)


def age_days(moment: datetime | None, now: datetime) -> float | None:
    if moment is None:
        return None
    return round((now - moment).total_seconds() / 86400, 1)
