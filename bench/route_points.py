"""Benchmark point -> ward routing.

    .venv/bin/python bench/route_points.py [N]        (default N = 100000)

Generates N seeded random points in and around the city (its bbox grown by
20 %), then times in the same run:

  (a) the app's routing function, WardLocator.locate, called once per point
      in a Python loop, as requests would call it;
  (b) the ceiling: a bare Python loop of shapely.contains_xy over the
      prepared ward polygons (per point, polygons in order until one
      contains it).

Prints points/second for both and the ratio a/b, and checks that both give
the same answers.  Each is run a few times, alternately; the best time counts.
No network, no app, no database.
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import shapely  # noqa: E402

from volunteer.geo import WardLocator, load_city, ward_geometries  # noqa: E402

DATA = ROOT / "volunteer" / "data" / "dong_ha.geojson"
ROUNDS = 3


def make_points(n: int, bounds, seed: int = 20250701) -> list[tuple[float, float]]:
    """n (lat, lon) pairs, uniform over bounds grown by 20 % (10 % each side)."""
    minx, miny, maxx, maxy = bounds
    gx, gy = (maxx - minx) * 0.1, (maxy - miny) * 0.1
    rng = random.Random(seed)
    return [(rng.uniform(miny - gy, maxy + gy), rng.uniform(minx - gx, maxx + gx))
            for _ in range(n)]


def run_app(locator: WardLocator, points) -> list[str | None]:
    locate = locator.locate
    return [locate(lat, lon) for lat, lon in points]


def run_ceiling(polygons, points) -> list[str | None]:
    contains_xy = shapely.contains_xy
    out = []
    append = out.append
    for lat, lon in points:
        for code, geom in polygons:
            if contains_xy(geom, lon, lat):
                append(code)
                break
        else:
            append(None)
    return out


def main(argv: list[str]) -> int:
    n = int(argv[1]) if len(argv) > 1 else 100_000
    city = load_city(DATA)
    t0 = time.perf_counter()
    locator = WardLocator(ward_geometries(city))
    build_ms = (time.perf_counter() - t0) * 1000

    polygons = sorted((code, shapely.geometry.shape(g)) for code, g in ward_geometries(city))
    for _, geom in polygons:
        shapely.prepare(geom)

    points = make_points(n, locator.bounds)
    best_a = best_b = float("inf")
    answers_a = answers_b = None
    for _ in range(ROUNDS):
        t = time.perf_counter()
        answers_a = run_app(locator, points)
        best_a = min(best_a, time.perf_counter() - t)
        t = time.perf_counter()
        answers_b = run_ceiling(polygons, points)
        best_b = min(best_b, time.perf_counter() - t)

    rate_a, rate_b = n / best_a, n / best_b
    inside = sum(a is not None for a in answers_a)
    differ = sum(a != b for a, b in zip(answers_a, answers_b))
    print(f"points: {n:,} (seeded; {inside:,} = {inside / n:.0%} inside a ward), "
          f"WardLocator built in {build_ms:.1f} ms, best of {ROUNDS} rounds")
    print(f"(a) WardLocator.locate, one call per point : {rate_a:>12,.0f} points/s "
          f"({best_a / n * 1e6:.2f} µs/point)")
    print(f"(b) ceiling, bare contains_xy loop         : {rate_b:>12,.0f} points/s "
          f"({best_b / n * 1e6:.2f} µs/point)")
    print(f"ratio a/b: {rate_a / rate_b:.2f}")
    print(f"same answers: {'yes' if differ == 0 else f'NO, {differ} differ'}")
    # For information: the same two loops on the in-city points only, which
    # is what real requests mostly are (out-of-city points are cheap).
    city_pts = [p for p, a in zip(points, answers_a) if a is not None]
    ia = ib = float("inf")
    for _ in range(ROUNDS):
        t = time.perf_counter()
        run_app(locator, city_pts)
        ia = min(ia, time.perf_counter() - t)
        t = time.perf_counter()
        run_ceiling(polygons, city_pts)
        ib = min(ib, time.perf_counter() - t)
    m = len(city_pts)
    print(f"in-city points only ({m:,}): (a) {m / ia:,.0f}/s, (b) {m / ib:,.0f}/s, "
          f"ratio {ib / ia:.2f}")
    ok = differ == 0 and rate_a >= 100_000 and rate_a >= 0.5 * rate_b
    print("targets (a >= 100,000/s and a >= 0.5 b):", "met" if ok else "NOT met")
    return 0 if differ == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
