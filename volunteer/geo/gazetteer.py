"""The offline gazetteer: the city's streets, landmarks and ward names, behind geopy's
Geocoder interface, so a network geocoder is one setting away. Pure: no Flask, no
database, no network."""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

import shapely
from geopy.adapters import BaseSyncAdapter
from geopy.exc import GeocoderServiceError
from geopy.geocoders.base import Geocoder
from geopy.location import Location
from shapely.geometry import shape

from .city import city_wards, merged_areas


_D_MAP = str.maketrans({"đ": "d", "Đ": "D", "ð": "d", "Ð": "D"})


def strip_diacritics(text: str) -> str:
    """'Phường Đông Lễ' -> 'Phuong Dong Le' (NFD, combining marks removed, đ/Đ -> d/D)."""
    decomposed = unicodedata.normalize("NFD", str(text).translate(_D_MAP))
    return unicodedata.normalize(
        "NFC", "".join(ch for ch in decomposed if not unicodedata.combining(ch)))


_TOKEN = re.compile(r"[a-z0-9]+")
MAX_QUERY_CHARS = 300


def _tokens(text: str) -> tuple[str, ...]:
    """Lower-case ASCII word tokens: 'P. Đông Lễ, TP Đông Hà' -> ('p','dong','le','tp','dong','ha')."""
    return tuple(_TOKEN.findall(strip_diacritics(text[:MAX_QUERY_CHARS]).casefold()))


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
        for f in city_wards(city):
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

        for f in city_wards(city):
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


def street_names(city: Mapping) -> dict[tuple[str, ...], str]:
    """The city's streets, by the word tokens of each name and alias -> the street's name."""
    names: dict[tuple[str, ...], str] = {}
    for f in city.get("features", []):
        p = f.get("properties") or {}
        if p.get("kind") == "place" and p.get("type") == "street":
            for alias in [p["name"], *p.get("aliases", [])]:
                if _tokens(alias):
                    names[_tokens(alias)] = p["name"]
    return names


def known_street(text: str | None, streets: Mapping[tuple[str, ...], str]) -> str | None:
    """The city street `text` names as whole words (any case, with or without accents),
    the longest match when it names several; None when it names none of them."""
    toks = _tokens(text or "")
    for length in sorted({len(alias) for alias in streets}, reverse=True):
        for i in range(len(toks) - length + 1):
            if toks[i:i + length] in streets:
                return streets[toks[i:i + length]]
    return None
