"""Geography for the help desk: city data, ward routing, offline geocoding.

Pure module: plain values in, plain values out; no Flask, no database, and no
network unless make_geocoder("nominatim", ...) is explicitly asked for.

The city's data lives in one GeoJSON FeatureCollection (see
volunteer/data/dong_ha.geojson); another city ships its own file in the same
shape.  Ward codes used for routing are the pre-2025 ("2008") ward codes;
the wards merged on 1 July 2025 are listed in the file's "merged_wards" and
each old ward names the new one in its "merged_into" property.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import shapely
from geopy.adapters import BaseSyncAdapter
from geopy.exc import GeocoderServiceError, GeopyError
from geopy.geocoders.base import Geocoder
from geopy.location import Location
from shapely.geometry import shape

__all__ = [
    "load_city",
    "ward_geometries",
    "merged_areas",
    "WardLocator",
    "OfflineGazetteer",
    "make_geocoder",
    "strip_diacritics",
    "rough_location",
]


# --------------------------------------------------------------------------
# City data
# --------------------------------------------------------------------------
def load_city(path: str | Path) -> dict:
    """Read a city GeoJSON file and check the parts the app relies on.

    Raises ValueError (with the feature's position) if the file is not a
    FeatureCollection, or a ward feature lacks a code, a name or a polygon.
    """
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise ValueError(f"{path}: not a GeoJSON FeatureCollection")
    features = data.get("features")
    if not isinstance(features, list):
        raise ValueError(f"{path}: 'features' must be a list")
    seen: set[str] = set()
    for i, feat in enumerate(features):
        props = (feat or {}).get("properties") or {}
        if props.get("kind") != "ward":
            continue
        code, name, geom = props.get("code"), props.get("name"), feat.get("geometry")
        where = f"{path}: ward feature #{i} ({code or name or 'unnamed'})"
        if not isinstance(code, str) or not code:
            raise ValueError(f"{where} has no 'code'")
        if not isinstance(name, str) or not name:
            raise ValueError(f"{where} has no 'name'")
        if not isinstance(geom, dict) or geom.get("type") not in ("Polygon", "MultiPolygon"):
            raise ValueError(f"{where} has no Polygon/MultiPolygon geometry")
        if code in seen:
            raise ValueError(f"{where}: duplicate ward code {code}")
        seen.add(code)
    if not seen:
        raise ValueError(f"{path}: no ward features")
    return data


def _wards(city: Mapping) -> list[dict]:
    return [f for f in city.get("features", [])
            if (f.get("properties") or {}).get("kind") == "ward"]


def ward_geometries(city: Mapping) -> list[tuple[str, dict]]:
    """(ward_code, GeoJSON geometry) pairs of the city's routing wards, for WardLocator."""
    return [(f["properties"]["code"], f["geometry"]) for f in _wards(city)]


def merged_areas(city: Mapping) -> dict[str, list[str]]:
    """Merged (2025) ward code -> the routing (2008) ward codes it is made of."""
    out: dict[str, list[str]] = {m["code"]: [] for m in city.get("merged_wards", [])}
    for f in _wards(city):
        p = f["properties"]
        if p.get("merged_into"):
            out.setdefault(p["merged_into"], []).append(p["code"])
    return out


# --------------------------------------------------------------------------
# Point -> ward
# --------------------------------------------------------------------------
class WardLocator:
    """Find the routing ward containing a point; built once, queried per request.

    Hot path per point: two float checks against the overall bounds, one grid
    cell lookup (a pure-Python index built once: for each cell of a uniform
    grid over the wards' bounds, the wards whose polygon touches the cell),
    then shapely.contains_xy on the prepared polygons of those candidates only
    (almost always one).  A point on a shared border is not *contained* by
    either side; it then goes to the first candidate, in ward-code order, whose
    closed polygon holds it (shapely.intersects_xy), so the answer is
    deterministic.
    """

    def __init__(self, wards: Iterable[tuple[str, Mapping]], grid: int = 64):
        items: list[tuple[str, Any]] = []
        for code, geometry in wards:
            geom = shape(geometry) if isinstance(geometry, Mapping) else geometry
            if geom.geom_type not in ("Polygon", "MultiPolygon") or geom.is_empty:
                raise ValueError(f"ward {code}: geometry must be a Polygon or MultiPolygon")
            if not geom.is_valid:
                raise ValueError(f"ward {code}: invalid polygon ({shapely.is_valid_reason(geom)})")
            items.append((str(code), geom))
        if not items:
            raise ValueError("WardLocator needs at least one ward")
        codes = [c for c, _ in items]
        if len(set(codes)) != len(codes):
            raise ValueError("duplicate ward codes")
        items.sort(key=lambda item: item[0])  # deterministic tie-break on borders
        for _, geom in items:
            shapely.prepare(geom)
        self._items = items
        self.codes: tuple[str, ...] = tuple(c for c, _ in items)

        minx = min(g.bounds[0] for _, g in items)
        miny = min(g.bounds[1] for _, g in items)
        maxx = max(g.bounds[2] for _, g in items)
        maxy = max(g.bounds[3] for _, g in items)
        self.bounds = (minx, miny, maxx, maxy)
        n = max(1, int(grid))
        self._n = n
        self._sx = n / (maxx - minx) if maxx > minx else 0.0
        self._sy = n / (maxy - miny) if maxy > miny else 0.0
        # Candidate wards per cell: those touching the (slightly enlarged)
        # closed cell, so float rounding of the cell index cannot lose one.
        dx = (maxx - minx) / n
        dy = (maxy - miny) / n
        eps = 1e-9 + 1e-9 * max(dx, dy)
        boxes = [shapely.box(minx + i * dx - eps, miny + j * dy - eps,
                             minx + (i + 1) * dx + eps, miny + (j + 1) * dy + eps)
                 for j in range(n) for i in range(n)]
        hits = [shapely.intersects(geom, boxes) for _, geom in items]
        self._cells: list[tuple[tuple[str, Any], ...]] = [
            tuple(items[k] for k in range(len(items)) if hits[k][c])
            for c in range(n * n)
        ]

    @classmethod
    def from_city(cls, city: Mapping, grid: int = 64) -> WardLocator:
        """Build from a city dict as returned by load_city()."""
        return cls(ward_geometries(city), grid=grid)

    def locate(self, lat: float, lon: float, among: Iterable[str] | None = None) -> str | None:
        """Code of the ward containing (lat, lon); None outside every ward.

        `among` optionally restricts the answer to those ward codes (e.g. the
        areas of a merged ward).  Non-numeric, non-finite or out-of-range
        input gives None, never an exception.
        """
        try:
            x = float(lon)
            y = float(lat)
        except (TypeError, ValueError, OverflowError):
            return None
        minx, miny, maxx, maxy = self.bounds
        # NaN fails every comparison; +-inf and |lat| > 90 fall outside too.
        if not (minx <= x <= maxx and miny <= y <= maxy):
            return None
        n = self._n
        i = int((x - minx) * self._sx)
        j = int((y - miny) * self._sy)
        if i >= n:
            i = n - 1
        if j >= n:
            j = n - 1
        cands = self._cells[j * n + i]
        if among is not None:
            if isinstance(among, str):
                among = (among,)
            wanted = among if isinstance(among, (set, frozenset)) else frozenset(among)
            cands = tuple(item for item in cands if item[0] in wanted)
        contains_xy = shapely.contains_xy
        for code, geom in cands:
            if contains_xy(geom, x, y):
                return code
        # On a border (or outside, near one): closed test, in code order.
        for code, geom in cands:
            if shapely.intersects_xy(geom, x, y):
                return code
        return None

    def locate_among(self, lat: float, lon: float, codes: Iterable[str]) -> str | None:
        """locate() restricted to the given ward codes (e.g. one merged ward's areas)."""
        return self.locate(lat, lon, among=codes)


# --------------------------------------------------------------------------
# Text normalisation
# --------------------------------------------------------------------------
_D_MAP = str.maketrans({"đ": "d", "Đ": "D", "ð": "d", "Ð": "D"})


def strip_diacritics(text: str) -> str:
    """'Phường Đông Lễ' -> 'Phuong Dong Le' (NFD, combining marks removed, đ/Đ -> d/D)."""
    decomposed = unicodedata.normalize("NFD", str(text).translate(_D_MAP))
    return unicodedata.normalize(
        "NFC", "".join(ch for ch in decomposed if not unicodedata.combining(ch)))


_TOKEN = re.compile(r"[a-z0-9]+")
_MAX_QUERY_CHARS = 300


def _tokens(text: str) -> tuple[str, ...]:
    """Lower-case ASCII word tokens: 'P. Đông Lễ, TP Đông Hà' -> ('p','dong','le','tp','dong','ha')."""
    return tuple(_TOKEN.findall(strip_diacritics(text[:_MAX_QUERY_CHARS]).casefold()))


# Words naming the kind of unit; stripped from ward names to get their core.
_UNIT_WORDS = [("phuong",), ("xa",), ("thi", "tran"), ("thanh", "pho"), ("tp",),
               ("tinh",), ("quan",), ("huyen",), ("thi", "xa")]
_UNIT_ABBR = {("phuong",): ("p",), ("xa",): ("x",), ("thi", "tran"): ("tt",)}


def _core(tokens: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Split ('phuong','dong','le') into (('phuong',), ('dong','le'))."""
    for unit in _UNIT_WORDS:
        if tokens[:len(unit)] == unit and len(tokens) > len(unit):
            return unit, tokens[len(unit):]
    return (), tokens


# --------------------------------------------------------------------------
# Offline geocoder
# --------------------------------------------------------------------------
class _NoNetworkAdapter(BaseSyncAdapter):
    """geopy adapter that refuses to make any request (the gazetteer is local)."""

    def __init__(self, *, proxies=None, ssl_context=None):
        super().__init__(proxies=proxies, ssl_context=ssl_context)

    def get_json(self, url, *, timeout, headers):
        raise GeocoderServiceError("OfflineGazetteer never uses the network")

    def get_text(self, url, *, timeout, headers):
        raise GeocoderServiceError("OfflineGazetteer never uses the network")


_RANK = {"place": 3, "ward": 2, "merged_ward": 1}


class OfflineGazetteer(Geocoder):
    """A geopy geocoder answering from the city file: no network, ever.

    Knows the place features (streets, landmarks, with their optional
    "aliases"), the routing wards (at their centre) and the merged wards (at
    the centroid of their areas).  Matching ignores case, diacritics,
    punctuation, house numbers and words such as "số", "đường", "phường",
    "TP", "tỉnh ...": a query matches an entry when the entry's name appears
    as whole words in it.  Unnumbered ward names match without "phường"
    ("Đông Lễ"); numbered ones need it ("Phường 1", "P.1", "P1"), and so does
    a ward named like the city ("Phường Đông Hà"), since "Đông Hà" alone names
    the city, which is too coarse to route and gives None.

    Best match: a place beats a ward (it is a point, not an area), then the
    longer match wins, then the earlier one.  A match lying inside a longer
    one is dropped ("Công viên Lê Duẩn" is the park, not the street).  If the
    query also names a ward and the place's point is not in it
    (`street_must_match_ward`), the ward wins: a long street is stored as
    one point, so the ward the resident named is then the better guess.
    """

    def __init__(self, city: Mapping, *, street_must_match_ward: bool = True):
        super().__init__(adapter_factory=_NoNetworkAdapter)
        self.street_must_match_ward = street_must_match_ward
        meta = city.get("city", {}) or {}
        self._city_name = meta.get("name", "")
        self._province = meta.get("province", "")
        reserved = {_core(_tokens(self._city_name))[1], _core(_tokens(self._province))[1]}
        reserved.discard(())

        entries: list[dict] = []
        ward_shapes: dict[str, Any] = {}
        merged_into: dict[str, str] = {}
        for f in _wards(city):
            p = f["properties"]
            ward_shapes[p["code"]] = shape(f["geometry"])
            merged_into[p["code"]] = p.get("merged_into")

        def ward_of(lon: float, lat: float) -> str | None:
            for code in sorted(ward_shapes):
                if shapely.intersects_xy(ward_shapes[code], lon, lat):
                    return code
            return None

        def point_in(geom, centre: Mapping | None) -> tuple[float, float]:
            if centre and shapely.intersects_xy(geom, centre["lon"], centre["lat"]):
                return float(centre["lat"]), float(centre["lon"])
            c = geom.centroid
            if not geom.contains(c):
                c = geom.point_on_surface()
            return c.y, c.x

        for f in city.get("features", []):
            p = f.get("properties") or {}
            if p.get("kind") != "place" or (f.get("geometry") or {}).get("type") != "Point":
                continue
            lon, lat = f["geometry"]["coordinates"][:2]
            ward_code = p.get("ward_code") or ward_of(lon, lat)
            aliases = {_tokens(a) for a in [p["name"], *p.get("aliases", [])]} - {()}
            entries.append({
                "kind": "place", "type": p.get("type", "place"), "name": p["name"],
                "lat": float(lat), "lon": float(lon), "ward_code": ward_code,
                "merged_into": merged_into.get(ward_code), "aliases": aliases,
                "address": ", ".join(x for x in (p["name"], self._city_name, self._province) if x),
            })

        for f in _wards(city):
            p = f["properties"]
            lat, lon = point_in(ward_shapes[p["code"]], p.get("centre"))
            entries.append({
                "kind": "ward", "type": "ward", "name": p["name"], "code": p["code"],
                "period": p.get("period"), "merged_into": p.get("merged_into"),
                "lat": lat, "lon": lon, "ward_code": ward_of(lon, lat),
                "aliases": self._ward_aliases(p["name"], reserved),
                "address": ", ".join(x for x in (p["name"], self._city_name, self._province) if x),
            })

        areas = merged_areas(city)
        for m in city.get("merged_wards", []):
            parts = [ward_shapes[c] for c in areas.get(m["code"], []) if c in ward_shapes]
            if not parts:
                continue
            lat, lon = point_in(shapely.union_all(parts), None)
            entries.append({
                "kind": "merged_ward", "type": "merged_ward", "name": m["name"],
                "code": m["code"], "period": m.get("period"), "areas": list(areas[m["code"]]),
                "lat": lat, "lon": lon, "ward_code": ward_of(lon, lat),
                "aliases": self._ward_aliases(m["name"], reserved),
                "address": ", ".join(x for x in (m["name"], self._province) if x),
            })

        self._entries = entries
        # first token -> [(alias tokens, entry index)]
        self._index: dict[str, list[tuple[tuple[str, ...], int]]] = {}
        for k, e in enumerate(entries):
            for alias in sorted(e["aliases"]):
                self._index.setdefault(alias[0], []).append((alias, k))

    @staticmethod
    def _ward_aliases(name: str, reserved: set[tuple[str, ...]]) -> set[tuple[str, ...]]:
        toks = _tokens(name)
        unit, core = _core(toks)
        if not unit:
            return {toks} if toks else set()
        abbr = _UNIT_ABBR.get(unit)
        out = {toks, abbr + core} if abbr else {toks}
        if len(core) == 1 and core[0].isdigit():
            # "Phường 1": also "Phường 01", "P1", "P01" -- never a bare "1"
            n = core[0]
            for prefix in {unit, abbr or unit}:
                out.add(prefix + (n.zfill(2),))
                out.add(prefix[:-1] + (prefix[-1] + n,))  # "p1", "phuong1"
                out.add(prefix[:-1] + (prefix[-1] + n.zfill(2),))
        elif core not in reserved:
            out.add(core)
        return out

    # -- matching ----------------------------------------------------------
    def _matches(self, query: str) -> list[tuple[int, int, int, tuple[str, ...]]]:
        """All (entry, start, end, alias) whole-word matches, sub-span matches removed."""
        toks = _tokens(query)
        found = {}
        for i, t in enumerate(toks):
            for alias, k in self._index.get(t, ()):
                if toks[i:i + len(alias)] == alias:
                    key = (k, i, i + len(alias))
                    if key not in found or len(alias) > len(found[key]):
                        found[key] = alias
        spans = [(k, s, e, a) for (k, s, e), a in found.items()]
        kept = [m for m in spans
                if not any(o[1] <= m[1] and m[2] <= o[2] and (o[2] - o[1]) > (m[2] - m[1])
                           for o in spans)]
        # one match per entry: its best
        best: dict[int, tuple[int, int, int, tuple[str, ...]]] = {}
        for m in kept:
            if m[0] not in best or self._key(m) > self._key(best[m[0]]):
                best[m[0]] = m
        return sorted(best.values(), key=self._key, reverse=True)

    def _key(self, m: tuple[int, int, int, tuple[str, ...]]):
        k, s, e, alias = m
        return (_RANK[self._entries[k]["kind"]], e - s, len(" ".join(alias)), -s, -k)

    def _consistent(self, place: dict, ward: dict) -> bool:
        if ward["kind"] == "ward":
            return place["ward_code"] == ward["code"]
        return place.get("merged_into") == ward["code"]

    def _location(self, m) -> Location:
        e = self._entries[m[0]]
        raw = {key: e[key] for key in ("kind", "type", "name", "ward_code", "lat", "lon")}
        for key in ("code", "period", "merged_into", "areas"):
            if e.get(key) is not None:
                raw[key] = e[key]
        raw["matched"] = " ".join(m[3])
        return Location(e["address"], (e["lat"], e["lon"]), raw)

    def geocode(self, query, exactly_one=True, timeout=None):
        """Location (or list of them, best first, if not exactly_one) for query, or None."""
        if not isinstance(query, str) or not query.strip():
            return None
        matches = self._matches(query)
        if not matches:
            return None
        if self.street_must_match_ward and self._entries[matches[0][0]]["kind"] == "place":
            wards = [m for m in matches if self._entries[m[0]]["kind"] != "place"]
            if wards and not self._consistent(self._entries[matches[0][0]],
                                              self._entries[wards[0][0]]):
                matches.remove(wards[0])
                matches.insert(0, wards[0])
        if exactly_one:
            return self._location(matches[0])
        return [self._location(m) for m in matches]

    def reverse(self, query, *, exactly_one=True, timeout=None):
        raise NotImplementedError("OfflineGazetteer does not reverse-geocode; use WardLocator")


# --------------------------------------------------------------------------
# Geocoder factory
# --------------------------------------------------------------------------
def _city_bbox(city: Mapping) -> tuple[float, float, float, float]:
    if isinstance(city.get("bbox"), list) and len(city["bbox"]) == 4:
        w, s, e, n = (float(v) for v in city["bbox"])
        return w, s, e, n
    return shapely.union_all([shape(g) for _, g in ward_geometries(city)]).bounds


def make_geocoder(
    kind: str = "offline",
    city: Mapping | None = None,
    user_agent: str | None = None,
    min_delay_seconds: float = 1.0,
) -> Callable[[str], tuple[float, float] | None]:
    """A callable geocode(query) -> (lat, lon) | None.

    kind "offline": the city's OfflineGazetteer.  kind "nominatim": geopy's
    Nominatim (OpenStreetMap; needs a user_agent naming the app, per the
    Nominatim usage policy) behind a RateLimiter (min_delay_seconds between
    calls, no retries), limited to Việt Nam and the city's bbox.  Any geopy
    error gives None.  Constructing either makes no network call.
    """
    if city is None:
        raise ValueError("make_geocoder needs the city dict (see load_city)")
    kind = (kind or "offline").strip().lower()
    if kind == "offline":
        gazetteer = OfflineGazetteer(city)

        def geocode(query: str) -> tuple[float, float] | None:
            try:
                loc = gazetteer.geocode(query)
            except GeopyError:
                return None
            return (loc.latitude, loc.longitude) if loc is not None else None

        geocode.geocoder = gazetteer  # type: ignore[attr-defined]
        return geocode

    if kind == "nominatim":
        from geopy.extra.rate_limiter import RateLimiter
        from geopy.geocoders import Nominatim

        if not user_agent:
            raise ValueError("the nominatim geocoder needs a user_agent identifying this app")
        west, south, east, north = _city_bbox(city)
        nominatim = Nominatim(user_agent=user_agent, timeout=5)
        limited = RateLimiter(nominatim.geocode, min_delay_seconds=min_delay_seconds,
                              max_retries=0, swallow_exceptions=False)

        def geocode(query: str) -> tuple[float, float] | None:
            if not isinstance(query, str) or not query.strip():
                return None
            try:
                loc = limited(query.strip()[:_MAX_QUERY_CHARS], exactly_one=True,
                              country_codes="vn", viewbox=[(south, west), (north, east)],
                              bounded=True)
            except GeopyError:
                return None
            return (loc.latitude, loc.longitude) if loc is not None else None

        geocode.geocoder = nominatim  # type: ignore[attr-defined]
        return geocode

    raise ValueError(f"unknown geocoder kind {kind!r} (expected 'offline' or 'nominatim')")


# --------------------------------------------------------------------------
# Privacy
# --------------------------------------------------------------------------
def rough_location(lat: float, lon: float) -> tuple[float, float]:
    """(lat, lon) rounded to 3 decimals (about 110 m) before it is stored or shown."""
    lat, lon = float(lat), float(lon)
    if not (math.isfinite(lat) and math.isfinite(lon)):
        raise ValueError("rough_location needs finite coordinates")
    return round(lat, 3), round(lon, 3)
