"""Routing a request to a ward, then to a team.

Ward, in this order: the ward the resident picked; the map pin or device location by
point-in-polygon; the address geocoded, then point-in-polygon; else the triage queue.
Team: the one covering the ward; where several do, the one with the fewest open tickets.
Everything here takes plain values; the caller supplies `locate` and `geocode`.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from .vocabulary import LocationSource

Locate = Callable[[float, float, Sequence[str] | None], str | None]
Geocode = Callable[[str], tuple[float, float] | None]


@dataclass(frozen=True)
class RoutedWard:
    area_code: str | None  # None: the coordinators' triage queue
    lat: float | None
    lon: float | None
    location_source: str | None
    flagged: bool = False  # the picked ward disagrees with the location


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
    locate: Locate,
    geocode: Geocode,
    centres: dict[str, tuple[float, float]],
) -> RoutedWard:
    """Decide the routing area. `picked_group` is the areas of a merged ward picked."""
    has_location = lat is not None and lon is not None and valid_coordinates(lat, lon)
    if not has_location:
        lat = lon = location_source = None

    if picked_area:
        located = locate(lat, lon, None) if has_location else None
        if has_location:
            return RoutedWard(picked_area, lat, lon, location_source,
                              flagged=located is not None and located != picked_area)
        point = _geocode_within(address, geocode, locate, [picked_area])
        if point:
            return RoutedWard(picked_area, point[0], point[1], LocationSource.GEOCODED)
        return _at_centre(picked_area, centres)

    among = list(picked_group) if picked_group else None
    if has_location:
        area = locate(lat, lon, among)
        if area:
            return RoutedWard(area, lat, lon, location_source)
    point = _geocode_within(address, geocode, locate, among)
    if point:
        area = locate(point[0], point[1], among)
        if has_location:
            # The device said where the resident is, the address where help is needed:
            # keep the device's point but route by the address.
            return RoutedWard(area, lat, lon, location_source)
        return RoutedWard(area, point[0], point[1], LocationSource.GEOCODED)
    return RoutedWard(None, lat, lon, location_source)


def _geocode_within(address, geocode, locate, among) -> tuple[float, float] | None:
    if not address or not address.strip():
        return None
    point = geocode(address)
    if point is None or locate(point[0], point[1], among) is None:
        return None
    return point


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
