"""Tests for volunteer.geo and the city data file (no app, no database, no network)."""

from __future__ import annotations

import json
import math
import socket
from pathlib import Path

import numpy as np
import pytest
import shapely
from shapely.geometry import shape

from volunteer import geo

DATA = Path(__file__).resolve().parents[1] / "volunteer" / "data" / "dong_ha.geojson"
OFFICIAL_AREA_KM2 = 73.09
BBOX = (107.0284, 16.7436, 107.1479, 16.8591)  # west, south, east, north


def area_km2(geom) -> float:
    """Area in km² in a local equirectangular projection centred on the city."""
    phi = math.radians(16.8173)
    ky = (111132.92 - 559.82 * math.cos(2 * phi) + 1.175 * math.cos(4 * phi)) / 1000
    kx = (111412.84 * math.cos(phi) - 93.5 * math.cos(3 * phi)) / 1000
    return shapely.transform(geom, lambda c: c * [kx, ky]).area


@pytest.fixture(scope="module")
def city():
    return geo.load_city(DATA)


@pytest.fixture(scope="module")
def wards(city):
    return {f["properties"]["code"]: shape(f["geometry"])
            for f in city["features"] if f["properties"]["kind"] == "ward"}


@pytest.fixture(scope="module")
def ward_props(city):
    return {f["properties"]["code"]: f["properties"]
            for f in city["features"] if f["properties"]["kind"] == "ward"}


@pytest.fixture(scope="module")
def outline(city):
    return shape(city["city"]["outline"])


@pytest.fixture(scope="module")
def locator(city):
    return geo.WardLocator.from_city(city)


@pytest.fixture(scope="module")
def gazetteer(city):
    return geo.OfflineGazetteer(city)


@pytest.fixture(scope="module")
def places(city):
    return [f for f in city["features"] if f["properties"]["kind"] == "place"]


@pytest.fixture
def no_network(monkeypatch):
    """Make any attempt to open a connection fail loudly."""
    def refuse(*args, **kwargs):
        raise AssertionError("network access attempted")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


# --------------------------------------------------------------------------
# The data file
# --------------------------------------------------------------------------
def test_file_has_city_metadata(city):
    """The file carries the city block, the two merged wards and five categories."""
    meta = city["city"]
    assert meta["code"] == "DH" and meta["name"] == "Thành phố Đông Hà"
    assert meta["province"] == "Quảng Trị" and meta["households"] == 25_000
    assert meta["centre"] == {"lat": 16.8173, "lon": 107.1010}
    assert "APPROXIMATE" in meta["boundary_note"] and "make_dong_ha.py" in meta["boundary_note"]
    assert city["merged_wards"] == [
        {"code": "19333", "name": "Phường Đông Hà", "period": "2025"},
        {"code": "19351", "name": "Phường Nam Đông Hà", "period": "2025"},
    ]
    codes = [c["code"] for c in city["categories"]]
    assert codes == ["online_services", "vneid", "cashless", "local_apps", "digital_skills"]
    for cat in city["categories"]:
        assert cat["code"].isascii() and cat["code"] == cat["code"].lower()
        for key in ("name_vi", "name_en", "description_vi", "description_en"):
            assert isinstance(cat[key], str) and cat[key]
        assert cat["keywords"]


def test_nine_wards_with_official_codes(city, ward_props):
    """The nine pre-2025 wards are present with their codes, period and merged ward."""
    assert sorted(ward_props) == ["19330", "19333", "19336", "19339", "19342",
                                  "19345", "19348", "19351", "19354"]
    for p in ward_props.values():
        assert p["period"] == "2008" and p["merged_into"] in ("19333", "19351")
    assert geo.merged_areas(city) == {
        "19333": ["19330", "19333", "19339", "19345", "19354"],
        "19351": ["19336", "19342", "19348", "19351"],
    }


def test_ward_polygons_are_valid(wards):
    """Every ward geometry is a single valid polygon."""
    for code, poly in wards.items():
        assert poly.geom_type == "Polygon", code
        assert poly.is_valid, (code, shapely.is_valid_reason(poly))
        assert poly.area > 0


def test_wards_do_not_overlap(wards):
    """Pairwise overlaps between wards have (near) zero area."""
    codes = sorted(wards)
    for i, a in enumerate(codes):
        for b in codes[i + 1:]:
            assert area_km2(wards[a].intersection(wards[b])) < 1e-9, (a, b)


def test_wards_tile_the_outline(wards, outline):
    """The union of the wards is the city outline: same area (0.1 %), no gaps."""
    union = shapely.union_all(list(wards.values()))
    assert union.geom_type == "Polygon" and len(union.interiors) == 0
    assert abs(union.area - outline.area) / outline.area < 0.001
    assert area_km2(union.symmetric_difference(outline)) < 1e-6
    total = sum(area_km2(p) for p in wards.values())
    assert abs(total - area_km2(outline)) / area_km2(outline) < 0.001


def test_total_area_close_to_official(wards):
    """The wards add up to within 5 % of the official 73.09 km²."""
    total = sum(area_km2(p) for p in wards.values())
    assert abs(total - OFFICIAL_AREA_KM2) / OFFICIAL_AREA_KM2 < 0.05


def test_outline_touches_official_bbox(outline, city):
    """The outline lies in the official bounding box and touches its four sides."""
    assert tuple(round(v, 6) for v in outline.bounds) == BBOX
    assert tuple(city["bbox"]) == BBOX


def test_households_sum_to_city_total(ward_props):
    """Ward households are positive integers summing exactly to 25,000."""
    values = [p["households"] for p in ward_props.values()]
    assert all(isinstance(v, int) and v > 0 for v in values)
    assert sum(values) == 25_000


def test_coordinates_have_at_most_six_decimals():
    """All coordinates in the file are written with at most 6 decimals."""
    def walk(x):
        if isinstance(x, float):
            yield x
        elif isinstance(x, list):
            for y in x:
                yield from walk(y)
    data = json.loads(DATA.read_text(encoding="utf-8"))
    for f in data["features"]:
        for v in walk(f["geometry"]["coordinates"]):
            assert round(v, 6) == v


# --------------------------------------------------------------------------
# WardLocator
# --------------------------------------------------------------------------
def test_each_centre_is_in_its_ward(locator, ward_props):
    """Each ward's listed centre locates to that ward."""
    for code, p in ward_props.items():
        assert locator.locate(p["centre"]["lat"], p["centre"]["lon"]) == code


def test_random_points_locate_to_their_ward(locator, wards):
    """Seeded random points inside each ward polygon locate to that ward."""
    rng = np.random.default_rng(7)
    for code, poly in wards.items():
        minx, miny, maxx, maxy = poly.bounds
        xs = rng.uniform(minx, maxx, 2000)
        ys = rng.uniform(miny, maxy, 2000)
        inside = shapely.contains_xy(poly, xs, ys)
        assert inside.sum() >= 25, code
        for x, y in list(zip(xs[inside], ys[inside]))[:25]:
            assert locator.locate(float(y), float(x)) == code


@pytest.mark.parametrize("lat, lon", [
    (16.46, 107.59),            # Huế
    (21.0285, 105.8542),        # Hà Nội
    (BBOX[1] - 1e-4, BBOX[0] - 1e-4),
    (BBOX[1] - 1e-4, BBOX[2] + 1e-4),
    (BBOX[3] + 1e-4, BBOX[0] - 1e-4),
    (BBOX[3] + 1e-4, BBOX[2] + 1e-4),
    (BBOX[1] + 1e-4, BBOX[0] + 1e-4),   # inside the bbox corner, outside the outline
    (999, 107.1),
    (16.8, 999),
    (-999, -999),
    (float("nan"), 107.1),
    (16.8, float("nan")),
    (float("inf"), 107.1),
    (16.8, float("-inf")),
    (None, 107.1),
    ("abc", "def"),
    (10 ** 400, 107.1),
])
def test_points_outside_the_city_give_none(locator, lat, lon):
    """Points outside the city, and junk input, locate to None without raising."""
    assert locator.locate(lat, lon) is None


def test_locate_among_restricts_to_a_merged_ward(locator, ward_props, city):
    """Restricted to the areas of 19333, a point in an area of 19351 gives None."""
    areas = geo.merged_areas(city)
    p = ward_props["19348"]["centre"]  # Phường 5, part of Nam Đông Hà (19351)
    assert locator.locate(p["lat"], p["lon"]) == "19348"
    assert locator.locate_among(p["lat"], p["lon"], areas["19333"]) is None
    assert locator.locate(p["lat"], p["lon"], among=areas["19333"]) is None
    assert locator.locate_among(p["lat"], p["lon"], areas["19351"]) == "19348"
    assert locator.locate_among(p["lat"], p["lon"], "19348") == "19348"


def test_shared_border_point_is_deterministic(locator, wards, city):
    """A vertex shared by two wards locates to one of them, the same every time."""
    a, b = wards["19333"], wards["19348"]
    shared = [c for c in a.exterior.coords if shapely.intersects_xy(b, c[0], c[1])]
    assert shared
    x, y = shared[0]
    first = locator.locate(y, x)
    assert first in ("19333", "19348")
    assert all(locator.locate(y, x) == first for _ in range(5))
    reordered = geo.WardLocator(reversed(geo.ward_geometries(city)))
    assert reordered.locate(y, x) == first


def test_locator_rejects_bad_geometry():
    """WardLocator refuses non-polygon geometry and empty input with ValueError."""
    with pytest.raises(ValueError):
        geo.WardLocator([("1", {"type": "Point", "coordinates": [107.1, 16.8]})])
    with pytest.raises(ValueError):
        geo.WardLocator([])


# --------------------------------------------------------------------------
# Gazetteer / geocoding
# --------------------------------------------------------------------------
STREET_QUERIES = [
    ("le duan", "Lê Duẩn"),
    ("LÊ DUẨN", "Lê Duẩn"),
    ("Lê Duẩn", "Lê Duẩn"),
    ("123 Lê Duẩn, Đông Hà", "Lê Duẩn"),
    ("số 45 đường Lê Duẩn, TP. Đông Hà, tỉnh Quảng Trị", "Lê Duẩn"),
    ("Đ. Hùng Vương", "Hùng Vương"),
    ("12 hung vuong", "Hùng Vương"),
    ("12 Hùng Vương, Phường 1", "Hùng Vương"),
    ("67/3 Trần Hưng Đạo", "Trần Hưng Đạo"),
    ("QL9", "Quốc lộ 9"),
    ("quốc lộ 1", "Quốc lộ 1"),
    ("Lý Thường Kiệt", "Lý Thường Kiệt"),
    ("ĐIỆN BIÊN PHỦ", "Điện Biên Phủ"),
    ("dien bien phu", "Điện Biên Phủ"),
    ("Chợ Đông Hà", "Chợ Đông Hà"),
    ("cho dong ha", "Chợ Đông Hà"),
    ("Ga Đông Hà", "Ga Đông Hà"),
    ("ubnd tinh quang tri", "UBND tỉnh Quảng Trị"),
    ("Công viên Lê Duẩn", "Công viên Lê Duẩn"),
    ("benh vien da khoa tinh quang tri", "Bệnh viện Đa khoa tỉnh Quảng Trị"),
]

WARD_QUERIES = [
    ("Đông Lễ", "19336"),
    ("dong le", "19336"),
    ("DONG LE", "19336"),
    ("phuong dong le", "19336"),
    ("P. Đông Lễ", "19336"),
    ("Phường Đông Lễ, TP Đông Hà", "19336"),
    ("Phường 1", "19333"),
    ("P.1", "19333"),
    ("p1", "19333"),
    ("phuong 5", "19348"),
    ("Đông Lương", "19351"),
    ("phường Đông Giang", "19330"),
    ("dong thanh", "19339"),
]


@pytest.mark.parametrize("query, name", STREET_QUERIES)
def test_gazetteer_finds_places(gazetteer, outline, query, name):
    """Streets and landmarks are found with/without diacritics, any case, numbers, prefixes."""
    loc = gazetteer.geocode(query)
    assert loc is not None, query
    assert loc.raw["name"] == name and loc.raw["kind"] == "place"
    assert loc.raw["type"] in ("street", "landmark") and loc.raw["ward_code"]
    assert outline.contains(shapely.Point(loc.longitude, loc.latitude))


@pytest.mark.parametrize("query, code", WARD_QUERIES)
def test_gazetteer_finds_wards(gazetteer, wards, query, code):
    """Ward names are found in every spelling and geocode to a point inside that ward."""
    loc = gazetteer.geocode(query)
    assert loc is not None, query
    assert loc.raw["kind"] == "ward" and loc.raw["code"] == code
    assert loc.raw["ward_code"] == code
    assert wards[code].contains(shapely.Point(loc.longitude, loc.latitude))


@pytest.mark.parametrize("query, code", [
    ("Phường Đông Hà", "19333"), ("phuong dong ha", "19333"), ("P. Đông Hà", "19333"),
    ("Nam Đông Hà", "19351"), ("PHƯỜNG NAM ĐÔNG HÀ", "19351"),
])
def test_gazetteer_finds_merged_wards(gazetteer, city, wards, query, code):
    """Merged (2025) wards geocode to a point inside the union of their areas."""
    loc = gazetteer.geocode(query)
    assert loc is not None and loc.raw["kind"] == "merged_ward" and loc.raw["code"] == code
    union = shapely.union_all([wards[c] for c in geo.merged_areas(city)[code]])
    assert union.contains(shapely.Point(loc.longitude, loc.latitude))
    assert loc.raw["ward_code"] in geo.merged_areas(city)[code]


@pytest.mark.parametrize("query", ["xyz abc", "", "   ", "12345", "Đông Hà", "Quảng Trị",
                                   "Phường 10", "Lê", None])
def test_gazetteer_unknown_gives_none(gazetteer, query):
    """Text naming no known place (or only the city) gives None."""
    assert gazetteer.geocode(query) is None


def test_place_beats_ward_unless_it_contradicts_it(gazetteer, city):
    """A street wins over a ward named with it, unless its point lies in another ward."""
    hv = gazetteer.geocode("Hùng Vương")
    assert hv.raw["ward_code"] == "19333"
    assert gazetteer.geocode("12 Hùng Vương, Phường 1").raw["name"] == "Hùng Vương"
    other = gazetteer.geocode("12 Hùng Vương, Phường 5")
    assert other.raw["kind"] == "ward" and other.raw["code"] == "19348"
    lenient = geo.OfflineGazetteer(city, street_must_match_ward=False)
    assert lenient.geocode("12 Hùng Vương, Phường 5").raw["name"] == "Hùng Vương"


def test_gazetteer_all_matches(gazetteer):
    """exactly_one=False returns every match as a list, best first."""
    results = gazetteer.geocode("Lê Lợi, phường Đông Lễ", exactly_one=False)
    assert isinstance(results, list)
    assert {r.raw["name"] for r in results} == {"Lê Lợi", "Phường Đông Lễ"}
    assert gazetteer.geocode("xyz", exactly_one=False) is None


def test_every_place_name_geocodes_to_itself(gazetteer, places):
    """Each place's own name (and its plain-ASCII form) geocodes back to it."""
    for f in places:
        name = f["properties"]["name"]
        for q in (name, geo.strip_diacritics(name).lower()):
            loc = gazetteer.geocode(q)
            assert loc is not None and loc.raw["name"] == name, q
            assert [loc.longitude, loc.latitude] == f["geometry"]["coordinates"]


def test_place_ward_codes_match_locator(locator, places, outline):
    """Every place lies in the city and its ward_code is what WardLocator says."""
    assert 70 <= len(places) <= 120
    for f in places:
        lon, lat = f["geometry"]["coordinates"]
        assert outline.contains(shapely.Point(lon, lat)), f["properties"]["name"]
        assert locator.locate(lat, lon) == f["properties"]["ward_code"], f["properties"]["name"]
        assert f["properties"]["type"] in ("street", "landmark")


def test_gazetteer_is_offline(gazetteer, no_network):
    """The gazetteer answers with sockets disabled, and refuses to reverse-geocode."""
    assert gazetteer.geocode("Lê Duẩn") is not None
    with pytest.raises(NotImplementedError):
        gazetteer.reverse((16.8, 107.1))


# --------------------------------------------------------------------------
# make_geocoder, helpers
# --------------------------------------------------------------------------
def test_make_geocoder_offline(city, places, no_network):
    """The default offline geocoder returns (lat, lon) tuples or None."""
    geocode = geo.make_geocoder("offline", city)
    le_loi = next(f for f in places if f["properties"]["name"] == "Lê Lợi")
    lon, lat = le_loi["geometry"]["coordinates"]
    assert geocode("số 10 Lê Lợi") == (lat, lon)
    assert geocode("xyz abc") is None
    assert geo.make_geocoder(city=city)("dong le") is not None


def test_make_geocoder_nominatim_constructs_offline(city, no_network):
    """Building the Nominatim geocoder makes no network call; it needs a user agent."""
    geocode = geo.make_geocoder("nominatim", city, user_agent="volunteer-tests")
    assert callable(geocode)
    with pytest.raises(ValueError):
        geo.make_geocoder("nominatim", city)


def test_make_geocoder_unknown_kind(city):
    """An unknown geocoder kind raises ValueError."""
    with pytest.raises(ValueError):
        geo.make_geocoder("google", city)


def test_load_city_rejects_ward_without_code(tmp_path):
    """load_city raises a clear ValueError for a ward feature lacking a code."""
    data = json.loads(DATA.read_text(encoding="utf-8"))
    ward = next(f for f in data["features"] if f["properties"]["kind"] == "ward")
    del ward["properties"]["code"]
    bad = tmp_path / "bad.geojson"
    bad.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError, match="no 'code'"):
        geo.load_city(bad)
    ward["properties"]["code"] = "19330"
    ward["geometry"] = None
    bad.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError, match="geometry"):
        geo.load_city(bad)


def test_strip_diacritics():
    """strip_diacritics removes Vietnamese marks and maps đ/Đ to d/D."""
    assert geo.strip_diacritics("Phường Đông Lễ") == "Phuong Dong Le"
    assert geo.strip_diacritics("đường Trần Hưng Đạo") == "duong Tran Hung Dao"
    assert geo.strip_diacritics("Quảng Trị, Ưu, Ơn") == "Quang Tri, Uu, On"
    decomposed = "Le\u0302\u0303"  # "Lễ" typed with combining marks
    assert geo.strip_diacritics(decomposed) == "Le"


def test_rough_location():
    """rough_location keeps 3 decimals (about 110 m)."""
    assert geo.rough_location(16.817349, 107.101049) == (16.817, 107.101)
    with pytest.raises(ValueError):
        geo.rough_location(float("nan"), 107.1)
