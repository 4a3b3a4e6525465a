"""The ward map built from plain values: escaping, local assets only, and layers."""
import re

import pytest

from volunteer import maps

ASSETS = maps.Assets("/static/vendor/leaflet/leaflet.js", "/static/vendor/leaflet/leaflet.css",
                     "/static/vendor/mc/mc.js", "/static/vendor/mc/mc.css", "/static/vendor/mc/mcd.css")
TEXT = maps.MapText("Phường", "Yêu cầu", "Đã giải quyết", "Lượt đến", "Mở",
                    {"new": "Đang chờ"}, {"helped": "Đã hỗ trợ"})
SQUARE = {"type": "Polygon", "coordinates": [[[107.0, 16.8], [107.1, 16.8], [107.1, 16.9],
                                              [107.0, 16.9], [107.0, 16.8]]]}
HOSTILE = "${alert(1)} `x` </script><img src=x onerror=alert(2)>"


def build(**overrides):
    values = dict(
        areas=[maps.WardArea(1, "Phường <b>1</b>", SQUARE, [("Tổ", HOSTILE)], 3.0)],
        legend=maps.scale_steps([3.0]),
        tickets=[maps.TicketPoint(7, 16.85, 107.05, "new", "DH-ABCDEF", "VNeID", "2 ngày", HOSTILE)],
        resolved=[], visits=None, centre=(16.85, 107.05),
        tile_url="https://tile.openstreetmap.org/{z}/{x}/{y}.png", tile_attribution="OSM",
        assets=ASSETS, ticket_url_prefix="/coordinator/tickets/", text=TEXT)
    values.update(overrides)
    return maps.build_ward_map(**values)


def test_escape_map_text_neutralises_html_dollar_and_backtick():
    """HTML, `$` and backticks come out as entities."""
    assert maps.escape_map_text("${x}`<a>&\"'") == "&#36;{x}&#96;&lt;a&gt;&amp;&quot;&#x27;"
    assert maps.escape_map_text(None) == ""


def test_hostile_text_never_reaches_the_script_raw():
    """No `${`, backtick, `</script>` or `<img` from resident text appears in the script."""
    parts = build()
    assert "${alert" not in parts.script
    assert "`x`" not in parts.script
    assert "</script>" not in parts.script.lower()
    assert "<img" not in parts.script
    assert "Phường <b>1</b>" not in parts.script


def test_only_local_assets_and_no_cdn():
    """The map asks for our Leaflet and cluster files only; no CDN, jQuery or Bootstrap."""
    parts = build()
    assert parts.js == [ASSETS.leaflet_js, ASSETS.cluster_js]
    assert set(parts.css) == {ASSETS.leaflet_css, ASSETS.cluster_css, ASSETS.cluster_default_css}
    everything = parts.script + parts.html
    urls = set(re.findall(r"https?://[^\s\"'`]+", everything))
    assert urls == {"https://tile.openstreetmap.org/{z}/{x}/{y}.png"}
    assert "jquery" not in everything.lower() and "AwesomeMarkers" not in everything


def test_map_without_tiles_still_draws_wards_and_points():
    """With no tile URL the wards and the cluster are still there."""
    parts = build(tile_url="")
    assert "L.tileLayer" not in parts.script
    assert "L.geoJson" in parts.script and "markerClusterGroup" in parts.script


def test_visit_layer_appears_with_visits():
    """Visits become a layer of their own, with escaped labels."""
    parts = build(visits=[maps.VisitPoint(16.85, 107.05, "helped", "<b>12 Lê Duẩn</b>", "hôm nay")])
    assert "visit-marker" in parts.script
    # tojson writes & as \u0026: the label arrives as &lt;b&gt;, never as a tag.
    assert "\\u0026lt;b\\u0026gt;12" in parts.script and "<b>12" not in parts.script


@pytest.mark.parametrize("values, top", [([0.0, 0.0], 0), ([10.0, None], 10), ([None], 0)])
def test_scale_steps(values, top):
    """Bins run from 0 to the largest value; a ward without a value is grey."""
    steps = maps.scale_steps(values)
    assert steps[-1].high == top
    assert maps.colour_for(None, steps) == maps.NO_VALUE
