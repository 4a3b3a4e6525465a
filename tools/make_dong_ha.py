"""Generate volunteer/data/dong_ha.geojson (Đông Hà city data for the help desk).

Run from anywhere:  .venv/bin/python tools/make_dong_ha.py

Why generated: no public ward-boundary data could be downloaded when this
project was set up, so the ward polygons are APPROXIMATE:

1. an irregular city outline is drawn inside the official bounding box
   (16.7436-16.8591 N, 107.0284-107.1479 E), touching its four sides, and
   scaled so that its area is the official 73.09 km²;
2. the Voronoi cells of the nine ward centres (computed in a local
   equirectangular projection, in km) cut that outline into nine polygons;
3. the cut is noded and snap-rounded to a 1e-6° grid (the 6 decimals written
   to the file), polygonized, and verified *after* re-reading the written file:
   valid polygons, no overlaps, no gaps, each centre in its own ward.

Real boundaries are a drop-in replacement: replace the ward geometries, keep
the properties (and recompute "households" and the places' "ward_code").

The script only needs shapely (and numpy, which comes with it).  It does not
import the app, and touches no network.
"""

from __future__ import annotations

import json
import math
import re
import sys
from pathlib import Path

import shapely
from shapely.geometry import MultiPoint, Point, Polygon, mapping, shape

OUT = Path(__file__).resolve().parent.parent / "volunteer" / "data" / "dong_ha.geojson"

# --------------------------------------------------------------------------
# Facts
# --------------------------------------------------------------------------
CITY_CENTRE = (16.8173, 107.1010)  # lat, lon
BBOX = {"south": 16.7436, "north": 16.8591, "west": 107.0284, "east": 107.1479}
AREA_KM2 = 73.09
HOUSEHOLDS = 25_000
GRID = 1e-6  # coordinates are written with 6 decimals (~0.1 m)

# code, 2008-period ward name, centre lat, centre lon, merged into (2025 code)
WARDS = [
    ("19330", "Phường Đông Giang", 16.8427, 107.1081, "19333"),
    ("19333", "Phường 1", 16.8195, 107.1028, "19333"),
    ("19336", "Phường Đông Lễ", 16.8235, 107.1189, "19351"),
    ("19339", "Phường Đông Thanh", 16.8304, 107.0832, "19333"),
    ("19342", "Phường 2", 16.8266, 107.1066, "19351"),
    ("19345", "Phường 4", 16.8102, 107.0592, "19333"),
    ("19348", "Phường 5", 16.8064, 107.0991, "19351"),
    ("19351", "Phường Đông Lương", 16.7835, 107.0864, "19351"),
    ("19354", "Phường 3", 16.8177, 107.0861, "19333"),
]

MERGED_WARDS = [
    {"code": "19333", "name": "Phường Đông Hà", "period": "2025"},
    {"code": "19351", "name": "Phường Nam Đông Hà", "period": "2025"},
]

CATEGORIES = [
    {
        "code": "online_services",
        "name_vi": "Dịch vụ công trực tuyến",
        "name_en": "Online public services",
        "description_vi": "Nộp hồ sơ, tra cứu kết quả và thanh toán lệ phí trên "
        "Cổng Dịch vụ công quốc gia và Cổng Dịch vụ công tỉnh Quảng Trị.",
        "description_en": "Filing applications, checking their status and paying "
        "fees on the National Public Service Portal and the Quảng Trị provincial portal.",
        "keywords": ["dịch vụ công", "cổng dịch vụ công", "dvc", "nộp hồ sơ",
                     "thủ tục hành chính", "khai sinh", "hộ tịch", "public service",
                     "online application"],
    },
    {
        "code": "vneid",
        "name_vi": "Căn cước gắn chip & VNeID",
        "name_en": "Chip ID card & VNeID",
        "description_vi": "Căn cước gắn chip, kích hoạt và sử dụng tài khoản định danh "
        "điện tử VNeID (mức 1, mức 2), tích hợp giấy tờ vào VNeID.",
        "description_en": "Chip-based ID cards, activating and using the VNeID "
        "electronic identity account (level 1 and 2), adding documents to VNeID.",
        "keywords": ["vneid", "định danh điện tử", "căn cước", "cccd", "chip",
                     "mức 2", "tài khoản định danh", "electronic id"],
    },
    {
        "code": "cashless",
        "name_vi": "Thanh toán không dùng tiền mặt",
        "name_en": "Cashless payments",
        "description_vi": "Mở và dùng ứng dụng ngân hàng, quét mã QR, ví điện tử, "
        "trả tiền điện nước, nhận lương hưu và trợ cấp qua tài khoản.",
        "description_en": "Setting up and using banking apps, QR payments, e-wallets, "
        "paying utility bills, receiving pensions and allowances into an account.",
        "keywords": ["thanh toán", "chuyển khoản", "ngân hàng", "mã qr", "qr",
                     "ví điện tử", "tiền điện", "lương hưu", "banking", "e-wallet"],
    },
    {
        "code": "local_apps",
        "name_vi": "Ứng dụng của tỉnh, thành phố",
        "name_en": "Province and city apps",
        "description_vi": "Ứng dụng IOC Quảng Trị, gửi phản ánh hiện trường và các "
        "ứng dụng, cổng thông tin của tỉnh và thành phố.",
        "description_en": "The IOC Quảng Trị app, sending on-the-spot reports "
        "(phản ánh hiện trường) and other province and city apps and portals.",
        "keywords": ["ioc", "ioc quảng trị", "phản ánh hiện trường", "phản ánh",
                     "ứng dụng tỉnh", "city app"],
    },
    {
        "code": "digital_skills",
        "name_vi": "Kỹ năng số khác",
        "name_en": "Other digital skills",
        "description_vi": "Dùng điện thoại thông minh, Zalo, email, mật khẩu và bảo "
        "mật tài khoản, nhận biết lừa đảo trực tuyến.",
        "description_en": "Using a smartphone, Zalo, email, passwords and account "
        "security, recognising online scams.",
        "keywords": ["điện thoại", "zalo", "email", "mật khẩu", "lừa đảo", "wifi",
                     "smartphone", "scam"],
    },
]

# Gazetteer: name, type, lat, lon[, aliases].  APPROXIMATE positions (a long
# street gets one point, roughly its middle inside the city, and its wards in
# STREET_WARDS).  Named khu phố are not listed: none could be checked offline.  ward_code is
# computed.  "aliases" (optional) are other spellings the geocoder accepts.
PLACES = [
    # streets
    ("Lê Duẩn", "street", 16.8140, 107.0945),
    ("Hùng Vương", "street", 16.8150, 107.1040),
    ("Quốc lộ 9", "street", 16.8070, 107.0680, ["QL9", "QL 9", "Đường 9"]),
    ("Quốc lộ 1", "street", 16.7900, 107.0850, ["QL1", "QL 1", "QL1A", "Quốc lộ 1A"]),
    ("Lê Lợi", "street", 16.8205, 107.1050),
    ("Trần Hưng Đạo", "street", 16.8190, 107.0990),
    ("Nguyễn Huệ", "street", 16.8232, 107.0985),
    ("Hàm Nghi", "street", 16.8120, 107.1080),
    ("Lý Thường Kiệt", "street", 16.8040, 107.1030),
    ("Điện Biên Phủ", "street", 16.8310, 107.0880),
    ("Trần Phú", "street", 16.8215, 107.1110),
    ("Nguyễn Trãi", "street", 16.8262, 107.0950),
    ("Lê Thánh Tông", "street", 16.8000, 107.1100),
    ("Thành Cổ", "street", 16.8090, 107.0820),
    ("Nguyễn Du", "street", 16.8170, 107.0900),
    ("Tôn Thất Thuyết", "street", 16.8330, 107.1030),
    ("Đặng Dung", "street", 16.8110, 107.0750),
    ("Lê Quý Đôn", "street", 16.8060, 107.0920),
    ("Phan Bội Châu", "street", 16.8250, 107.1125),
    ("Quang Trung", "street", 16.8180, 107.1065),
    ("Hai Bà Trưng", "street", 16.8285, 107.1010),
    ("Trường Chinh", "street", 16.7960, 107.0950),
    ("Nguyễn Hoàng", "street", 16.8380, 107.1100),
    ("Lý Thái Tổ", "street", 16.7830, 107.0920),
    ("Trần Nguyên Hãn", "street", 16.8400, 107.0960),
    ("Hoàng Diệu", "street", 16.8045, 107.0870),
    ("Trần Bình Trọng", "street", 16.8335, 107.0950),
    ("Nguyễn Chí Thanh", "street", 16.8350, 107.0780),
    ("Lê Lai", "street", 16.8110, 107.1140),
    ("Ngô Quyền", "street", 16.8200, 107.1040),
    ("Phan Chu Trinh", "street", 16.8175, 107.1045),
    ("Bà Triệu", "street", 16.8212, 107.1020),
    ("Lê Hồng Phong", "street", 16.8255, 107.1050),
    ("Nguyễn Thị Minh Khai", "street", 16.8275, 107.1080),
    ("Kim Đồng", "street", 16.8290, 107.1045),
    ("Lý Tự Trọng", "street", 16.8185, 107.0850),
    ("Hoàng Hoa Thám", "street", 16.8150, 107.0870),
    ("Nguyễn Văn Trỗi", "street", 16.8200, 107.0880),
    ("Lê Thế Hiếu", "street", 16.8100, 107.0620),
    ("Phan Đình Phùng", "street", 16.8080, 107.0560),
    ("Chu Văn An", "street", 16.8070, 107.1000),
    ("Tôn Đức Thắng", "street", 16.8050, 107.0960),
    ("Võ Thị Sáu", "street", 16.8090, 107.1010),
    ("Nguyễn Trung Trực", "street", 16.8240, 107.1170),
    ("Đoàn Khuê", "street", 16.8220, 107.1200),
    ("Phạm Văn Đồng", "street", 16.7860, 107.0880),
    ("Lê Chưởng", "street", 16.7810, 107.0840),
    ("Võ Nguyên Giáp", "street", 16.8420, 107.1060),
    ("Huyền Trân Công Chúa", "street", 16.8440, 107.1100),
    ("Trần Quốc Toản", "street", 16.8320, 107.0810),
    ("Thạch Hãn", "street", 16.8290, 107.0850),
    # landmarks
    ("Chợ Đông Hà", "landmark", 16.8215, 107.1005),
    ("Ga Đông Hà", "landmark", 16.8085, 107.0960),
    ("Cầu Đông Hà", "landmark", 16.8268, 107.0925),
    ("Bến xe Đông Hà", "landmark", 16.8120, 107.0880, ["Bến xe khách Đông Hà"]),
    ("Bệnh viện Đa khoa tỉnh Quảng Trị", "landmark", 16.8030, 107.1060,
     ["Bệnh viện tỉnh Quảng Trị", "Bệnh viện tỉnh", "BVĐK tỉnh Quảng Trị"]),
    ("Sân vận động Đông Hà", "landmark", 16.8160, 107.0970, ["SVĐ Đông Hà"]),
    ("UBND tỉnh Quảng Trị", "landmark", 16.8165, 107.1035, ["Ủy ban nhân dân tỉnh Quảng Trị"]),
    ("Công viên Lê Duẩn", "landmark", 16.8190, 107.0950),
    ("Bưu điện tỉnh Quảng Trị", "landmark", 16.8180, 107.1015),
    ("Trung tâm Phục vụ hành chính công tỉnh Quảng Trị", "landmark", 16.8140, 107.1010,
     ["Trung tâm Phục vụ hành chính công", "Trung tâm hành chính công"]),
    ("Bảo tàng tỉnh Quảng Trị", "landmark", 16.8205, 107.1080),
    ("Cầu sông Hiếu", "landmark", 16.8300, 107.1150),
    ("Khu công nghiệp Nam Đông Hà", "landmark", 16.7850, 107.1000, ["KCN Nam Đông Hà"]),
    ("Trường THPT chuyên Lê Quý Đôn", "landmark", 16.8055, 107.0935,
     ["THPT chuyên Lê Quý Đôn", "Trường chuyên Lê Quý Đôn"]),
    ("Trường THPT Đông Hà", "landmark", 16.8260, 107.1040, ["THPT Đông Hà"]),
    ("Phân hiệu Đại học Huế tại Quảng Trị", "landmark", 16.7880, 107.0900,
     ["Phân hiệu Đại học Huế", "Phân hiệu ĐH Huế"]),
    ("Trung tâm Y tế thành phố Đông Hà", "landmark", 16.8170, 107.1000,
     ["Trung tâm Y tế Đông Hà", "TTYT Đông Hà"]),
    ("Siêu thị Co.opmart Đông Hà", "landmark", 16.8160, 107.1050,
     ["Co.opmart Đông Hà", "Coopmart Đông Hà", "Coopmart"]),
    ("Vincom Plaza Đông Hà", "landmark", 16.8110, 107.1010, ["Vincom Đông Hà", "Vincom"]),
    ("Chợ Đông Lương", "landmark", 16.7845, 107.0870),
    ("Chợ Đông Thanh", "landmark", 16.8300, 107.0820),
    ("Cầu Vĩnh Phước", "landmark", 16.8450, 107.1090),
]

# The routing wards a long street runs through (APPROXIMATE, like its point): such a
# street only confirms or narrows the ward the resident names; it never decides alone.
# A street not listed lies in the one ward of its point.
STREET_WARDS = {
    "Lê Duẩn": ["19339", "19333", "19354", "19348", "19351"],
    "Hùng Vương": ["19333", "19348", "19336"],
    "Quốc lộ 9": ["19333", "19354", "19345"],
    "Quốc lộ 1": ["19330", "19339", "19351"],
    "Lê Lợi": ["19333", "19342", "19336"],
    "Trần Hưng Đạo": ["19333", "19342"],
    "Nguyễn Huệ": ["19333", "19342", "19339"],
    "Hàm Nghi": ["19333", "19348"],
    "Điện Biên Phủ": ["19339", "19354", "19345"],
    "Lê Thánh Tông": ["19348", "19336"],
    "Trường Chinh": ["19348", "19351"],
    "Lê Hồng Phong": ["19342", "19333"],
}

# --------------------------------------------------------------------------
# Local equirectangular projection (km), pyproj-free
# --------------------------------------------------------------------------
_PHI = math.radians(CITY_CENTRE[0])
KM_PER_DEG_LAT = (111132.92 - 559.82 * math.cos(2 * _PHI) + 1.175 * math.cos(4 * _PHI)) / 1000
KM_PER_DEG_LON = (111412.84 * math.cos(_PHI) - 93.5 * math.cos(3 * _PHI)) / 1000


def to_km(geom):
    """Project a lon/lat geometry to local km (x east, y north); affine, so lines stay lines."""
    lat0, lon0 = CITY_CENTRE
    return shapely.transform(
        geom, lambda c: (c - [lon0, lat0]) * [KM_PER_DEG_LON, KM_PER_DEG_LAT])


def to_lonlat(geom):
    lat0, lon0 = CITY_CENTRE
    return shapely.transform(
        geom, lambda c: c / [KM_PER_DEG_LON, KM_PER_DEG_LAT] + [lon0, lat0])


def area_km2(geom) -> float:
    return to_km(geom).area


def snap(v: float) -> float:
    return round(v, 6)


# --------------------------------------------------------------------------
# 1. City outline
# --------------------------------------------------------------------------
def build_outline() -> Polygon:
    """Irregular outline touching the bbox on four sides, area ≈ 73.09 km²."""
    lat0, lon0 = CITY_CENTRE
    x_w = (BBOX["west"] - lon0) * KM_PER_DEG_LON
    x_e = (BBOX["east"] - lon0) * KM_PER_DEG_LON
    y_s = (BBOX["south"] - lat0) * KM_PER_DEG_LAT
    y_n = (BBOX["north"] - lat0) * KM_PER_DEG_LAT
    # Hand-drawn ring in km, counter-clockwise from the northern tip.  Items
    # marked "A" are anchors lying exactly on a bbox side; they are not scaled.
    ring = [
        ("A", 0.2, y_n),
        (None, -0.9, 4.1), (None, -1.8, 3.9), (None, -2.6, 3.0), (None, -3.4, 2.6),
        (None, -4.3, 1.7), (None, -5.2, 1.3), (None, -6.3, 0.6), (None, -7.1, 0.2),
        ("A", x_w, -0.6),
        (None, -7.3, -1.5), (None, -6.4, -2.1), (None, -5.6, -2.6), (None, -4.9, -3.5),
        (None, -4.2, -4.4), (None, -3.5, -5.6), (None, -2.9, -6.7), (None, -2.2, -7.5),
        ("A", -1.4, y_s),
        (None, -0.7, -7.6), (None, -0.1, -6.6), (None, 0.6, -5.8), (None, 1.5, -4.9),
        (None, 2.3, -3.8), (None, 3.2, -2.9), (None, 4.1, -1.9),
        ("A", x_e, -0.8),
        (None, 4.7, 0.4), (None, 4.0, 1.2), (None, 3.3, 2.1), (None, 2.6, 3.0),
        (None, 1.9, 3.5), (None, 1.2, 4.2),
    ]
    anchors = [(x, y) for a, x, y in ring if a]
    cx = sum(x for x, _ in anchors) / len(anchors)
    cy = sum(y for _, y in anchors) / len(anchors)

    def make(scale: float) -> Polygon:
        pts = []
        for a, x, y in ring:
            if not a:
                x, y = cx + scale * (x - cx), cy + scale * (y - cy)
            lon = lon0 + x / KM_PER_DEG_LON
            lat = lat0 + y / KM_PER_DEG_LAT
            pts.append((snap(lon), snap(lat)))
        # anchors: put them exactly on the bbox sides
        return Polygon(pts)

    lo, hi = 0.7, 1.2
    for _ in range(60):
        mid = (lo + hi) / 2
        if area_km2(make(mid)) < AREA_KM2:
            lo = mid
        else:
            hi = mid
    outline = make((lo + hi) / 2)
    assert outline.is_valid, shapely.is_valid_reason(outline)
    minx, miny, maxx, maxy = outline.bounds
    assert (snap(minx), snap(miny), snap(maxx), snap(maxy)) == (
        BBOX["west"], BBOX["south"], BBOX["east"], BBOX["north"]), outline.bounds
    return outline


# --------------------------------------------------------------------------
# 2. Voronoi split, snap-rounded and polygonized
# --------------------------------------------------------------------------
def build_wards(outline: Polygon) -> dict[str, Polygon]:
    centres_ll = MultiPoint([(lon, lat) for _, _, lat, lon, _ in WARDS])
    centres_km = to_km(centres_ll)
    envelope = to_km(outline).envelope.buffer(5.0, join_style="mitre")
    edges_km = shapely.voronoi_polygons(centres_km, extend_to=envelope, only_edges=True)
    edges_ll = to_lonlat(edges_km).intersection(outline.buffer(1e-4))
    linework = shapely.union_all([outline.exterior, edges_ll], grid_size=GRID)
    faces = [f for f in shapely.get_parts(shapely.polygonize(shapely.get_parts(linework)))
             if outline.contains(f.representative_point())]
    wards: dict[str, Polygon] = {}
    for face in faces:
        inside = [code for code, _, lat, lon, _ in WARDS if face.contains(Point(lon, lat))]
        assert len(inside) == 1, f"face with {len(inside)} centres: {inside}"
        wards[inside[0]] = face
    assert sorted(wards) == sorted(c for c, *_ in WARDS), sorted(wards)
    return wards


def round_polygon(poly: Polygon) -> dict:
    poly = shapely.geometry.polygon.orient(poly, sign=1.0)  # RFC 7946: exterior CCW
    g = mapping(poly)
    return {"type": "Polygon",
            "coordinates": [[[snap(x), snap(y)] for x, y in ring] for ring in g["coordinates"]]}


def spread_households(areas: dict[str, float], total: int) -> dict[str, int]:
    """Integers proportional to area, summing exactly to total (largest remainder)."""
    whole = sum(areas.values())
    exact = {c: total * a / whole for c, a in areas.items()}
    out = {c: math.floor(v) for c, v in exact.items()}
    rest = total - sum(out.values())
    for c in sorted(exact, key=lambda c: (-(exact[c] - out[c]), c))[:rest]:
        out[c] += 1
    return out


# --------------------------------------------------------------------------
# 3. Verification of what was written
# --------------------------------------------------------------------------
def _norm(text: str) -> str:
    import unicodedata
    text = unicodedata.normalize("NFD", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    text = text.replace("đ", "d").replace("Đ", "D").lower()
    return " ".join(re.findall(r"[a-z0-9]+", text))


def verify(data: dict) -> list[str]:
    report = []
    outline = shape(data["city"]["outline"])
    wards = {f["properties"]["code"]: shape(f["geometry"])
             for f in data["features"] if f["properties"]["kind"] == "ward"}
    assert len(wards) == 9
    for code, poly in wards.items():
        assert poly.geom_type == "Polygon" and poly.is_valid, (code, shapely.is_valid_reason(poly))
    codes = sorted(wards)
    for i, a in enumerate(codes):
        for b in codes[i + 1:]:
            ov = wards[a].intersection(wards[b]).area
            assert ov == 0.0 or area_km2(wards[a].intersection(wards[b])) < 1e-9, (a, b, ov)
    union = shapely.union_all(list(wards.values()))
    assert union.geom_type == "Polygon" and not list(union.interiors), "gap inside the city"
    diff = area_km2(union.symmetric_difference(outline))
    assert diff < 1e-4, f"union differs from outline by {diff} km²"
    total = sum(area_km2(p) for p in wards.values())
    assert abs(total - area_km2(outline)) < 1e-4
    assert abs(total - AREA_KM2) / AREA_KM2 < 0.005, total
    report.append(f"outline area {area_km2(outline):.3f} km², wards sum {total:.3f} km², "
                  f"union/outline sym. diff {diff * 1e6:.1f} m²")
    b = data["bbox"]
    assert [snap(v) for v in outline.bounds] == b
    assert b == [BBOX["west"], BBOX["south"], BBOX["east"], BBOX["north"]]
    # centres in their own ward, with margin
    edge_km = to_km(outline.exterior)
    for f in data["features"]:
        p = f["properties"]
        if p["kind"] != "ward":
            continue
        c = Point(p["centre"]["lon"], p["centre"]["lat"])
        assert wards[p["code"]].contains(c), p["code"]
        m = to_km(c).distance(edge_km)
        assert m > 0.5, (p["code"], m)
    assert sum(f["properties"]["households"] for f in data["features"]
               if f["properties"]["kind"] == "ward") == HOUSEHOLDS
    # places: inside, margin from the outline, ward_code right
    seen = {}
    for f in data["features"]:
        p = f["properties"]
        if p["kind"] != "place":
            continue
        pt = shape(f["geometry"])
        assert outline.contains(pt), p["name"]
        assert to_km(pt).distance(edge_km) > 0.2, p["name"]
        owners = [c for c in codes if wards[c].intersects(pt)]
        assert owners == [p["ward_code"]], (p["name"], owners)
        assert p["ward_code"] in p.get("wards", [p["ward_code"]]), p["name"]
        assert set(p.get("wards", [])) <= set(codes), p["name"]
        for alias in [p["name"], *p.get("aliases", [])]:
            n = _norm(alias)
            assert n not in seen, f"{alias} and {seen[n]} collide without diacritics"
            seen[n] = alias
    for m in data["merged_wards"]:
        parts = [wards[f["properties"]["code"]] for f in data["features"]
                 if f["properties"]["kind"] == "ward"
                 and f["properties"]["merged_into"] == m["code"]]
        u = shapely.union_all(parts)
        report.append(f"{m['name']} ({m['code']}): {len(parts)} areas, "
                      f"{area_km2(u):.2f} km², {u.geom_type}")
    return report


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------
def build() -> dict:
    outline = build_outline()
    wards = build_wards(outline)
    ward_geo = {code: round_polygon(poly) for code, poly in wards.items()}
    areas = {code: area_km2(shape(g)) for code, g in ward_geo.items()}
    households = spread_households(areas, HOUSEHOLDS)

    features = []
    for code, name, lat, lon, merged in WARDS:
        features.append({
            "type": "Feature",
            "id": f"ward-{code}",
            "properties": {
                "kind": "ward", "code": code, "name": name, "period": "2008",
                "merged_into": merged, "households": households[code],
                "centre": {"lat": lat, "lon": lon},
            },
            "geometry": ward_geo[code],
        })
    shapes = {code: shape(g) for code, g in ward_geo.items()}
    for i, (name, typ, lat, lon, *aliases) in enumerate(PLACES, 1):
        pt = Point(lon, lat)
        owners = [c for c in sorted(shapes) if shapes[c].contains(pt)]
        assert len(owners) == 1, (name, owners)
        props = {"kind": "place", "name": name, "type": typ, "ward_code": owners[0]}
        if name in STREET_WARDS:
            assert owners[0] in STREET_WARDS[name], (name, owners)
            props["wards"] = STREET_WARDS[name]
        if aliases:
            props["aliases"] = aliases[0]
        features.append({
            "type": "Feature",
            "id": f"place-{i}",
            "properties": props,
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
        })

    # The stored outline is the union of the stored wards, so "in the city" and
    # "in some ward" agree exactly (snap-rounding moved the drawn outline by
    # at most ~0.1 m where ward borders meet it).
    outline_geo = round_polygon(shapely.union_all(list(shapes.values())).normalize())
    return {
        "type": "FeatureCollection",
        "bbox": [BBOX["west"], BBOX["south"], BBOX["east"], BBOX["north"]],
        "city": {
            "code": "DH",
            "name": "Thành phố Đông Hà",
            "province": "Quảng Trị",
            "centre": {"lat": CITY_CENTRE[0], "lon": CITY_CENTRE[1]},
            "households": HOUSEHOLDS,
            "area_km2": AREA_KM2,
            "boundary_note": (
                "The ward polygons are APPROXIMATE: Voronoi cells of the nine ward centres "
                "clipped to an approximate city outline (drawn inside the official bounding "
                "box with the official area of 73.09 km²), built by make_dong_ha.py because no "
                "public boundary data could be downloaded; ward households are the city total "
                "spread by polygon area, and the gazetteer (place) points are approximate "
                "positions too. Real boundaries are a drop-in replacement: replace the "
                "geometries, keep the properties (then recompute households and the places' "
                "ward_code)."
            ),
            "outline": outline_geo,
        },
        "merged_wards": MERGED_WARDS,
        "categories": CATEGORIES,
        "features": features,
    }


def dumps(data: dict) -> str:
    text = json.dumps(data, ensure_ascii=False, indent=1)
    # put each [lon, lat] pair on one line
    return re.sub(r"\[\s+(-?[\d.]+),\s+(-?[\d.]+)\s+\]", r"[\1, \2]", text) + "\n"


def main() -> int:
    data = build()
    OUT.write_text(dumps(data), encoding="utf-8")
    reread = json.loads(OUT.read_text(encoding="utf-8"))
    for line in verify(reread):
        print(line)
    for f in reread["features"]:
        p = f["properties"]
        if p["kind"] == "ward":
            print(f"  {p['code']} {p['name']:<20} {area_km2(shape(f['geometry'])):6.2f} km² "
                  f"{p['households']:>6} households, {len(f['geometry']['coordinates'][0])} vertices")
    print(f"{sum(1 for f in reread['features'] if f['properties']['kind'] == 'place')} places; "
          f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
