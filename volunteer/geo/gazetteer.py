"""The offline gazetteer: the city's streets, landmarks, khu phố and ward names, behind
geopy's Geocoder interface, so a network geocoder is one setting away; and `resolve`,
which reads an address as residents type it and says which routing wards it allows.
Pure: no Flask, no database, no network."""
from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import shapely
from geopy.adapters import BaseSyncAdapter
from geopy.exc import GeocoderServiceError
from geopy.geocoders.base import Geocoder
from geopy.location import Location
from rapidfuzz import fuzz, process
from shapely.geometry import shape

from ..vocabulary import RoutingReason
from .address_text import (MAX_ADDRESS_CHARS, MARKERS, QUARTER, SEPARATOR, UNIT_MARKERS, WARD,
                           address_tokens, joined)
from .admin_units import OfficialNames, official_names
from .city import city_wards, merged_areas

MAX_QUERY_CHARS = MAX_ADDRESS_CHARS
MAX_ALIAS_TOKENS = 12
# Fuzzy matching (rapidfuzz's normalised Indel similarity, 0-100) of names typed with a
# slip: "dong thnah" -> "dongthanh" scores 89, "dong luog" -> "dongluong" 94. Names
# shorter than FUZZY_MIN_CHARS are never guessed ("le loi" vs "le lai"), and a best
# candidate is taken only if every candidate for another ward scores FUZZY_MARGIN
# below it: a wrong ward is worse than the triage queue.
FUZZY_MIN_CHARS = 6
FUZZY_SCORE = 85
FUZZY_MARGIN = 8
_AMBIGUOUS = -1

_D_MAP = str.maketrans({"đ": "d", "Đ": "D", "ð": "d", "Ð": "D"})


def strip_diacritics(text: str) -> str:
    """'Phường Đông Lễ' -> 'Phuong Dong Le' (NFD, combining marks removed, đ/Đ -> d/D)."""
    decomposed = unicodedata.normalize("NFD", str(text).translate(_D_MAP))
    return unicodedata.normalize(
        "NFC", "".join(ch for ch in decomposed if not unicodedata.combining(ch)))


@dataclass(frozen=True)
class AddressMatch:
    """What an address says about the routing wards.

    `areas`: the wards it allows (a ward, a merged ward's areas, the wards a street runs
    through); `reason` is None when it names exactly one, with `point` a place in it.
    """

    areas: tuple[str, ...] = ()
    point: tuple[float, float] | None = None
    reason: RoutingReason | None = RoutingReason.NO_PLACE

    @property
    def area(self) -> str | None:
        return self.areas[0] if self.reason is None else None


@dataclass
class _Reading:
    found: list[tuple[int, int, int]] = field(default_factory=list)  # (entry, start, end)
    out_of_area: list[str] = field(default_factory=list)
    ambiguous: bool = False


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

    Knows the place features (streets, landmarks, khu phố, with their optional
    "aliases"; a street lists in "wards" the routing wards it runs through), the routing
    wards (at their centre) and the merged wards (at the centroid of their areas).

    Reading an address (`_read`), on the tokens of address_text.address_tokens, so case,
    diacritics, abbreviations and house numbers do not matter:
    1. known names as whole tokens, also typed without spaces ("dongle"); a match lying
       inside a longer one is dropped ("Công viên Lê Duẩn" is the park, not the street),
       and a street right after a unit word is not taken ("phường Lê Lợi" is a ward of
       another city). Unnumbered ward names match without "phường" ("Đông Lễ"); numbered
       ones need it ("Phường 1", "P.1", "F1"), and so does a ward named like the city
       ("Phường Đông Hà"), since "Đông Hà" alone names the city.
    2. unit words with what follows ("thị xã Quảng Trị", "Quận 3", "xã Hải Thượng"),
       and names of provinces and districts alone ("Cam Lộ", "Quảng Bình"), against the
       official names (admin_units): a unit outside the city makes the text out of area.
    3. what is left, against the city's names with rapidfuzz (see FUZZY_SCORE).
    """

    def __init__(self, city: Mapping, *, street_must_match_ward: bool = True):
        super().__init__(adapter_factory=_NoNetworkAdapter)
        self.street_must_match_ward = street_must_match_ward
        meta = city.get("city", {}) or {}
        self._city_name = meta.get("name", "")
        self._province = meta.get("province", "")
        reserved = {self._core(address_tokens(self._city_name)),
                    self._core(address_tokens(self._province))} - {()}

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

        def address_of(name: str) -> str:
            return ", ".join(x for x in (name, self._city_name, self._province) if x)

        for f in city.get("features", []):
            p = f.get("properties") or {}
            if p.get("kind") != "place" or (f.get("geometry") or {}).get("type") != "Point":
                continue
            lon, lat = f["geometry"]["coordinates"][:2]
            ward_code = p.get("ward_code") or ward_of(lon, lat)
            entries.append({
                "kind": "place", "type": p.get("type", "place"), "name": p["name"],
                "lat": float(lat), "lon": float(lon), "ward_code": ward_code,
                "areas": tuple(p.get("wards") or [ward_code]),
                "merged_into": merged_into.get(ward_code),
                "aliases": {address_tokens(a) for a in [p["name"], *p.get("aliases", [])]} - {()},
                "address": address_of(p["name"]),
            })

        for f in city_wards(city):
            p = f["properties"]
            lat, lon = point_in(ward_shapes[p["code"]], p.get("centre"))
            entries.append({
                "kind": "ward", "type": "ward", "name": p["name"], "code": p["code"],
                "period": p.get("period"), "merged_into": p.get("merged_into"),
                "lat": lat, "lon": lon, "ward_code": ward_of(lon, lat), "areas": (p["code"],),
                "aliases": self._ward_aliases(p["name"], reserved),
                "address": address_of(p["name"]),
            })

        areas = merged_areas(city)
        for m in city.get("merged_wards", []):
            parts = [ward_shapes[c] for c in areas.get(m["code"], []) if c in ward_shapes]
            if not parts:
                continue
            lat, lon = point_in(shapely.union_all(parts), None)
            entries.append({
                "kind": "merged_ward", "type": "merged_ward", "name": m["name"],
                "code": m["code"], "period": m.get("period"), "areas": tuple(sorted(areas[m["code"]])),
                "lat": lat, "lon": lon, "ward_code": ward_of(lon, lat),
                "aliases": self._ward_aliases(m["name"], reserved),
                "address": ", ".join(x for x in (m["name"], self._province) if x),
            })

        self._entries = entries
        self._centres = {e["code"]: (e["lat"], e["lon"]) for e in entries if e["kind"] == "ward"}
        self._index: dict[str, list[int]] = {}  # joined alias -> entries
        for k, e in enumerate(entries):
            for alias in e["aliases"]:
                self._index.setdefault(joined(alias), []).append(k)
        # Fuzzy candidates: names long enough to compare, without numbers.
        fuzzy = sorted({(joined(a), k) for k, e in enumerate(entries) for a in e["aliases"]
                        if len(joined(a)) >= FUZZY_MIN_CHARS and not any(t.isdigit() for t in a)})
        self._fuzzy_keys = [key for key, _ in fuzzy]
        self._fuzzy_entries = [k for _, k in fuzzy]
        self._ward_fuzzy = [i for i, k in enumerate(self._fuzzy_entries)
                            if entries[k]["kind"] != "place"]
        self._official: OfficialNames = official_names(frozenset(
            [*self._centres, *(m["code"] for m in city.get("merged_wards", []))]))

    @staticmethod
    def _core(tokens: tuple[str, ...]) -> tuple[str, ...]:
        """('phuong', 'dong', 'le') -> ('dong', 'le')."""
        return tokens[1:] if tokens[:1] and tokens[0] in UNIT_MARKERS else tokens

    @classmethod
    def _ward_aliases(cls, name: str, reserved: set[tuple[str, ...]]) -> set[tuple[str, ...]]:
        tokens = address_tokens(name)
        core = cls._core(tokens)
        aliases = {tokens}
        numbered = len(core) == 1 and core[0].isdigit()
        if core != tokens and not numbered and core not in reserved:
            aliases.add(core)
        return aliases

    # -- reading -----------------------------------------------------------
    def _read(self, text) -> _Reading:
        tokens = address_tokens(text) if isinstance(text, str) else ()
        reading = _Reading()
        used = [token == SEPARATOR for token in tokens]

        def take(start: int, end: int) -> None:
            used[start:end] = [True] * (end - start)

        def run_end(start: int) -> int:
            """End of the name starting at `start`: the next separator, unit word or used token."""
            end = start
            while end < len(tokens) and not used[end] and (end == start or tokens[end] not in MARKERS):
                end += 1
            return end

        for k, start, end in self._exact(tokens):
            reading.found.append((k, start, end))
            take(start, end)

        for i, token in enumerate(tokens):
            if used[i] or token not in MARKERS:
                continue
            end = run_end(i)
            if token == QUARTER:
                take(i, i + 2 if i + 1 < end and tokens[i + 1].isdigit() else i + 1)
                continue
            official = self._official.marked(tokens[i:end])
            # An official name only for the first words ("phường Đông" of "phường Đông
            # Thanhh") loses to a slip of one of our wards' names.
            whole = official is not None and official[1] == end - i
            if token == WARD and not whole and self._guess(tokens, i + 1, end, reading, used,
                                                           self._ward_fuzzy):
                used[i] = True
                continue
            if official is not None:
                unit, length = official
                take(i, i + length)
                if not unit.home:
                    reading.out_of_area.append(unit.name)
                continue
            used[i] = True

        i = 0
        while i < len(tokens):
            official = None if used[i] else self._official.bare(tokens[i:run_end(i)])
            if official is None:
                i += 1
                continue
            unit, length = official
            take(i, i + length)
            if not unit.home:
                reading.out_of_area.append(unit.name)
            i += length

        for i in range(len(tokens)):
            if not used[i] and tokens[i].isalpha():
                self._guess(tokens, i, run_end(i), reading, used, None)
        return reading

    def _exact(self, tokens: tuple[str, ...]) -> list[tuple[int, int, int]]:
        """(entry, start, end) of every known name, sub-span matches removed."""
        spans = set()
        for start in range(len(tokens)):
            after_unit = start > 0 and tokens[start - 1] in UNIT_MARKERS
            for end in range(start + 1, min(len(tokens), start + MAX_ALIAS_TOKENS) + 1):
                if tokens[end - 1] == SEPARATOR:
                    break
                for k in self._index.get(joined(tokens[start:end]), ()):
                    if not (after_unit and self._entries[k]["kind"] == "place"):
                        spans.add((k, start, end))
        return [m for m in spans
                if not any(o[1] <= m[1] and m[2] <= o[2] and o[2] - o[1] > m[2] - m[1]
                           for o in spans)]

    def _guess(self, tokens, start, end, reading, used, among) -> bool:
        """Takes the first name, of up to three tokens from `start`, that fuzzy-matches
        one entry (among the given fuzzy candidates, or all); notes an ambiguous one."""
        for length in (3, 2, 1):
            if start + length > end or not all(t.isalpha() for t in tokens[start:start + length]):
                continue
            key = joined(tokens[start:start + length])
            if len(key) < FUZZY_MIN_CHARS:
                continue
            k = self._fuzzy(key, among)
            if k == _AMBIGUOUS:
                reading.ambiguous = True
            elif k is not None:
                reading.found.append((k, start, start + length))
                used[start:start + length] = [True] * length
                return True
        return False

    def _fuzzy(self, key: str, among: list[int] | None) -> int | None:
        choices = self._fuzzy_keys if among is None else {i: self._fuzzy_keys[i] for i in among}
        scored = process.extract(key, choices, scorer=fuzz.ratio, limit=8,
                                 score_cutoff=FUZZY_SCORE - FUZZY_MARGIN)
        if not scored or scored[0][1] < FUZZY_SCORE:
            return None
        best = self._fuzzy_entries[scored[0][2]]
        areas = self._entries[best]["areas"]
        if any(self._entries[self._fuzzy_entries[i]]["areas"] != areas
               and score > scored[0][1] - FUZZY_MARGIN for _, score, i in scored[1:]):
            return _AMBIGUOUS
        return best

    # -- answers -------------------------------------------------------------
    def resolve(self, text: str | None) -> AddressMatch:
        """Which routing wards the address allows (see AddressMatch).

        A ward named (by name or number) decides, if it agrees with a merged ward also
        named; otherwise merged wards, landmarks and streets each allow a set of wards
        and the text allows their intersection. A street through several wards thus
        only narrows: it never decides from its one stored point.
        """
        reading = self._read(text)
        if reading.out_of_area:
            return AddressMatch(reason=RoutingReason.OUT_OF_AREA)
        entries = [self._entries[k] for k, _, _ in reading.found]
        places = sorted((e for e in entries if e["kind"] == "place"),
                        key=lambda e: e["type"] != "landmark")
        wards = {e["code"] for e in entries if e["kind"] == "ward"}
        within = [set(e["areas"]) for e in entries if e["kind"] == "merged_ward"]
        if wards:
            if len(wards) > 1:
                return AddressMatch(tuple(sorted(wards)), reason=RoutingReason.SEVERAL_CANDIDATES)
            if within and not wards <= set.intersection(*within):
                return AddressMatch(reason=RoutingReason.SEVERAL_CANDIDATES)  # they disagree
            return self._decided(wards.pop(), places)
        constraints = within + [set(e["areas"]) for e in places]
        if not constraints:
            return AddressMatch(reason=RoutingReason.SEVERAL_CANDIDATES if reading.ambiguous
                                else RoutingReason.NO_PLACE)
        allowed = set.intersection(*constraints)
        if len(allowed) == 1:
            return self._decided(allowed.pop(), places)
        return AddressMatch(tuple(sorted(allowed)), reason=RoutingReason.SEVERAL_CANDIDATES)

    def _decided(self, code: str, places: list[dict]) -> AddressMatch:
        point = next(((e["lat"], e["lon"]) for e in places if e["ward_code"] == code),
                     self._centres[code])
        return AddressMatch((code,), point, None)

    def _key(self, m: tuple[int, int, int]):
        k, start, end = m
        e = self._entries[k]
        return (_RANK[e["kind"]], end - start, -start, -k)

    def _consistent(self, place: dict, ward: dict) -> bool:
        if ward["kind"] == "ward":
            return place["ward_code"] == ward["code"]
        return place.get("merged_into") == ward["code"]

    def _location(self, m) -> Location:
        e = self._entries[m[0]]
        raw = {key: e[key] for key in ("kind", "type", "name", "ward_code", "lat", "lon")}
        for key in ("code", "period", "merged_into"):
            if e.get(key) is not None:
                raw[key] = e[key]
        raw["areas"] = list(e["areas"])
        return Location(e["address"], (e["lat"], e["lon"]), raw)

    def geocode(self, query, exactly_one=True, timeout=None):
        """Location (or list of them, best first, if not exactly_one) for query, or None.

        Best match: a place beats a ward (it is a point, not an area), then the longer
        match wins, then the earlier one. If the query also names a ward and the
        place's point is not in it (`street_must_match_ward`), the ward wins: the point
        returned must lie in the ward the resident named. Text naming a unit outside
        the city gives None.
        """
        if not isinstance(query, str) or not query.strip():
            return None
        reading = self._read(query)
        if reading.out_of_area or not reading.found:
            return None
        matches = sorted(reading.found, key=self._key, reverse=True)
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
                if address_tokens(alias):
                    names[address_tokens(alias)] = p["name"]
    return names


def known_street(text: str | None, streets: Mapping[tuple[str, ...], str]) -> str | None:
    """The city street `text` names as whole words (any case, with or without accents),
    the longest match when it names several; None when it names none of them."""
    toks = address_tokens(text or "")
    for length in sorted({len(alias) for alias in streets}, reverse=True):
        for i in range(len(toks) - length + 1):
            if toks[i:i + length] in streets:
                return streets[toks[i:i + length]]
    return None
