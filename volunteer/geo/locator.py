"""Point to ward: which routing ward contains a point. Pure: no Flask, no database."""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import shapely
from shapely.geometry import shape

from .city import ward_geometries


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

    def distance_km(self, lat: float, lon: float) -> float:
        """How far (lat, lon) lies outside the wards' bounding box, in km; 0 inside.
        Equirectangular: exact enough for "is the phone anywhere near the city"."""
        minx, miny, maxx, maxy = self.bounds
        dx = max(minx - lon, 0.0, lon - maxx)
        dy = max(miny - lat, 0.0, lat - maxy)
        km_per_degree = 111.32
        return math.hypot(dx * km_per_degree * math.cos(math.radians(lat)), dy * km_per_degree)

    def locate_among(self, lat: float, lon: float, codes: Iterable[str]) -> str | None:
        """locate() restricted to the given ward codes (e.g. one merged ward's areas)."""
        return self.locate(lat, lon, among=codes)


def rough_location(lat: float, lon: float) -> tuple[float, float]:
    """(lat, lon) rounded to 3 decimals (about 110 m) before it is stored or shown."""
    lat, lon = float(lat), float(lon)
    if not (math.isfinite(lat) and math.isfinite(lon)):
        raise ValueError("rough_location needs finite coordinates")
    return round(lat, 3), round(lon, 3)
