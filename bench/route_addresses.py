"""Routing typed addresses: how many reach the right ward, triage, or a wrong ward.

    .venv/bin/python bench/route_addresses.py [--show-misses]

Reads bench/addresses.tsv (hand-written addresses as residents type them, each with
the ward it must reach or "triage", and its form) and routes each, as a request with
"Tôi không biết" picked and no location, through volunteer.routing.route_ward with the
city file's gazetteer. Prints, per form, the share routed right, to triage and to a
wrong ward, and the median and 95th percentile time per address (the gazetteer and the
official names are built once, before timing; the baseline in the same run is
address_text.address_tokens alone).

Exits 1 unless: at least 95 % of the addresses naming a Đông Hà ward reach it, none
reaches a wrong ward, no address outside the city reaches a team, and the median
routing time is under 1 ms.
"""
from __future__ import annotations

import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from volunteer import geo  # noqa: E402
from volunteer.config import DEFAULT_CITY_FILE  # noqa: E402
from volunteer.geo.address_text import address_tokens  # noqa: E402
from volunteer.routing import route_ward  # noqa: E402

ADDRESSES = Path(__file__).with_name("addresses.tsv")
TRIAGE = "triage"
ROUNDS = 5


def load_addresses(path: Path = ADDRESSES) -> list[tuple[str, str, str]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip("\n"):
            continue
        text, expected, form = line.split("\t")
        rows.append((text, expected, form))
    return rows


def places_for(city) -> SimpleNamespace:
    locator = geo.WardLocator.from_city(city)
    return SimpleNamespace(
        locate=locator.locate,
        resolve=geo.OfflineGazetteer(city).resolve,
        distance_from_city_km=locator.distance_km,
        geocode=None,
        centres={f["properties"]["code"]: (f["properties"]["centre"]["lat"],
                                           f["properties"]["centre"]["lon"])
                 for f in city["features"] if f["properties"]["kind"] == "ward"},
    )


def route(text: str, places) -> str:
    routed = route_ward(picked_area=None, picked_group=None, lat=None, lon=None,
                        location_source=None, address=text, places=places)
    return routed.area_code or TRIAGE


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main(argv: list[str]) -> int:
    rows = load_addresses()
    places = places_for(geo.load_city(DEFAULT_CITY_FILE))
    for text, _, _ in rows:  # warm up: caches, first rapidfuzz calls
        route(text, places)

    times, baseline = [], []
    outcome: dict[str, str] = {}
    for _ in range(ROUNDS):
        for text, _, _ in rows:
            start = time.perf_counter()
            address_tokens(text)
            baseline.append(time.perf_counter() - start)
            start = time.perf_counter()
            outcome[text] = route(text, places)
            times.append(time.perf_counter() - start)

    per_form: dict[str, list[str]] = defaultdict(list)
    misses = []
    for text, expected, form in rows:
        got = outcome[text]
        verdict = "right" if got == expected else ("triage" if got == TRIAGE else "wrong")
        per_form[form].append(verdict)
        if verdict != "right":
            misses.append((form, text, expected, got))

    print(f"{len(rows)} addresses, {ROUNDS} rounds\n")
    print(f"{'form':<16}{'n':>5}{'right':>9}{'triage':>9}{'wrong':>8}")
    for form, verdicts in sorted(per_form.items()):
        n = len(verdicts)
        print(f"{form:<16}{n:>5}" + "".join(
            f"{100 * verdicts.count(v) / n:>{w}.1f}%" for v, w in (("right", 8), ("triage", 8), ("wrong", 7))))

    naming = [(e, outcome[t]) for t, e, _ in rows if e != TRIAGE]
    reached = sum(got == expected for expected, got in naming)
    wrong = sum(got not in (expected, TRIAGE) for expected, got in naming)
    wrong += sum(outcome[t] != TRIAGE for t, e, form in rows if e == TRIAGE and form != "out_of_area")
    outside_routed = sum(outcome[t] != TRIAGE for t, _, form in rows if form == "out_of_area")
    median, p95 = statistics.median(times), percentile(times, 0.95)
    base = statistics.median(baseline)
    print(f"\nnaming a Đông Hà ward: {reached}/{len(naming)} reach it "
          f"({100 * reached / len(naming):.1f} %)")
    print(f"to a wrong ward: {wrong}; outside the city given a team: {outside_routed}")
    print(f"time per address: median {median * 1e3:.3f} ms, p95 {p95 * 1e3:.3f} ms "
          f"(normalising alone: median {base * 1e3:.3f} ms, ratio {median / base:.1f})")
    if "--show-misses" in argv:
        for form, text, expected, got in misses:
            print(f"  [{form}] {text!r}: expected {expected}, got {got}")

    ok = reached >= 0.95 * len(naming) and wrong == 0 and outside_routed == 0 and median < 1e-3
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
