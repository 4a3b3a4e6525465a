"""Routing a request to a ward, then to a team.

Ward: the ward the resident picked is kept (flagged when the phone's location is in
another ward, far from the city, or the address names a place outside it). Otherwise
the address is read (geo.gazetteer.OfflineGazetteer.resolve) and, with a merged ward
picked, the two narrow each other; what is left goes through `route_within`, the one
rule for a ward that is not yet one: a single ward is taken, several are settled by the
phone's location, none or an unsettled choice goes to the coordinators' triage queue
with the reason. Text naming a unit outside the city always goes to triage.
Team: the one covering the ward; where several do, the one with the fewest open tickets.
Everything here takes plain values; the caller supplies the places (see `Places`).
"""
from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from flask_babel import lazy_gettext as _l

from .geo.gazetteer import AddressMatch
from .vocabulary import LocationSource, RoutingReason

# A phone this far outside the city's bounding box is not where help is needed.
FAR_FROM_CITY_KM = 5.0

ROUTING_REASON_LABELS = {
    RoutingReason.NO_PLACE: _l("Địa chỉ không nêu nơi nào đã biết"),
    RoutingReason.SEVERAL_CANDIDATES: _l("Địa chỉ có thể thuộc nhiều phường"),
    RoutingReason.OUT_OF_AREA: _l("Địa chỉ ở ngoài thành phố"),
    RoutingReason.LOCATION_FAR: _l("Vị trí điện thoại ở xa thành phố"),
}


class Places(Protocol):
    """What routing asks about places (the running app's: geo.geography.Geography)."""

    centres: dict[str, tuple[float, float]]

    def locate(self, lat: float, lon: float, among: Collection[str] | None = None) -> str | None: ...

    def resolve(self, address: str | None) -> AddressMatch: ...

    def distance_from_city_km(self, lat: float, lon: float) -> float: ...

    # A network geocoder, asked only when the gazetteer knows no place; None offline.
    geocode: Callable[[str], tuple[float, float] | None] | None


@dataclass(frozen=True)
class RoutedWard:
    area_code: str | None  # None: the coordinators' triage queue
    lat: float | None
    lon: float | None
    location_source: str | None
    flagged: bool = False  # the picked ward disagrees with the location or the address
    reason: RoutingReason | None = None  # why triage, or why flagged


def valid_coordinates(lat, lon) -> bool:
    return (
        isinstance(lat, (int, float))
        and isinstance(lon, (int, float))
        and math.isfinite(lat)
        and math.isfinite(lon)
        and -90 <= lat <= 90
        and -180 <= lon <= 180
    )


def route_ward(
    *,
    picked_area: str | None,
    picked_group: Sequence[str] | None,
    lat: float | None,
    lon: float | None,
    location_source: str | None,
    address: str | None,
    places: Places,
) -> RoutedWard:
    """Decide the routing area. `picked_group` is the areas of a merged ward picked."""
    if not (lat is not None and lon is not None and valid_coordinates(lat, lon)):
        lat = lon = location_source = None
    far = lat is not None and places.distance_from_city_km(lat, lon) > FAR_FROM_CITY_KM
    match = places.resolve(address)
    if picked_area:
        routed = route_within({picked_area}, match, lat, lon, location_source, far, places)
        if match.reason == RoutingReason.OUT_OF_AREA:
            return RoutedWard(routed.area_code, routed.lat, routed.lon, routed.location_source,
                              flagged=True, reason=RoutingReason.OUT_OF_AREA)
        return routed
    if match.reason == RoutingReason.OUT_OF_AREA:
        return RoutedWard(None, lat, lon, location_source, reason=RoutingReason.OUT_OF_AREA)
    named = set(match.areas) or None
    if picked_group and named:
        candidates = set(picked_group) & named
    else:
        candidates = set(picked_group) if picked_group else named
    return route_within(candidates, match, lat, lon, location_source, far, places, address)


def route_within(
    candidates: set[str] | None,
    match: AddressMatch,
    lat: float | None,
    lon: float | None,
    location_source: str | None,
    far: bool,
    places: Places,
    address: str | None = None,
) -> RoutedWard:
    """The rule for the wards still possible (None: any ward), the same for a ward or
    merged ward picked from the list, sent through the API or typed in the address.

    One ward: it, at the phone's location (flagged if that is in another ward or far
    away), else at the place the address names in it, else at its centre. Several or
    any: the phone's location among them; else triage, saying why.
    """
    if candidates is not None and len(candidates) == 1:
        (area,) = candidates
        if lat is not None:
            located = places.locate(lat, lon, None)
            return RoutedWard(area, lat, lon, location_source,
                              flagged=far or located not in (None, area),
                              reason=RoutingReason.LOCATION_FAR if far else None)
        if match.area == area and match.point is not None:
            return RoutedWard(area, match.point[0], match.point[1], LocationSource.GEOCODED)
        return _at_centre(area, places.centres)
    if lat is not None:
        area = places.locate(lat, lon, candidates)
        if area:
            return RoutedWard(area, lat, lon, location_source)
    if candidates is None and match.reason == RoutingReason.NO_PLACE and places.geocode and address:
        point = places.geocode(address)
        area = places.locate(point[0], point[1], None) if point else None
        if area:
            return RoutedWard(area, lat if lat is not None else point[0],
                              lon if lat is not None else point[1],
                              location_source or LocationSource.GEOCODED)
    if candidates is not None:
        reason = RoutingReason.SEVERAL_CANDIDATES
    elif far:
        reason = RoutingReason.LOCATION_FAR
    else:
        reason = match.reason or RoutingReason.NO_PLACE
    return RoutedWard(None, lat, lon, location_source, reason=reason)


def _at_centre(area: str, centres: dict[str, tuple[float, float]]) -> RoutedWard:
    centre = centres.get(area)
    if centre is None:
        return RoutedWard(area, None, None, None)
    return RoutedWard(area, centre[0], centre[1], LocationSource.WARD_CENTRE)


def choose_team(candidates: Iterable[tuple[int, int]]) -> int | None:
    """Of (team_id, open_ticket_count) pairs, the team with the fewest open tickets;
    ties go to the lowest id so the choice is stable."""
    best = min(candidates, key=lambda pair: (pair[1], pair[0]), default=None)
    return None if best is None else best[0]
