"""The coordinator's ward map and dashboard at 1,000, 100,000 and 1,000,000 tickets.

    .venv/bin/python bench/map_bench.py [--sizes 1000,100000,1000000] [--rounds 5]

For each size: a fresh SQLite file in a temporary folder, migrated and seeded with the
city, then N tickets written with core INSERTs in batches of 10,000 (executemany), then
ANALYZE. The tickets are spread over the last 365 days, about 90 % located near their
ward's centre, with a realistic mix: about 3 % open (waiting, held, in progress,
escalated), 2 % resolved, the rest closed, cancelled or unreachable.

Then, signed in as a coordinator through Flask's test client, in the same run and
interleaved round by round:

  trivial    GET /healthz (same app, no database, no template): the baseline
  map        GET /coordinator/ (the home page: figures per ward, capped points)
  map-median GET /coordinator/?measure=median_resolve (adds two window-function medians)
  dashboard  GET /coordinator/dashboard (wards, teams, medians, attention, weekly chart)

Prints, per size, the median time of each, its ratio to the trivial endpoint, and the
page size in bytes. Prints figures; asserts nothing. The target: the map page under
1 s and 1.5 MB at 1,000,000 tickets.
"""
from __future__ import annotations

import argparse
import logging
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select, text  # noqa: E402

from volunteer import create_app, geo, user_sessions  # noqa: E402
from volunteer.extensions import db  # noqa: E402
from volunteer.clock import utcnow  # noqa: E402
from volunteer.models import Category, Team, Ticket, User, Ward, team_wards  # noqa: E402
from volunteer.seeding import seed_city  # noqa: E402

BATCH = 10_000
# (status, weight) of the ticket mix
MIX = (("new", 15), ("claimed", 7), ("in_progress", 5), ("escalated", 3), ("resolved", 20),
       ("closed", 850), ("cancelled", 50), ("unreachable", 50))
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def make_app(path: Path):
    return create_app({
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
        "SECRET_KEY": "bench-" + uuid.uuid4().hex,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "SESSION_COOKIE_SECURE": False,
    })


def reference(n: int) -> str:
    # Unique and not sequential-looking: a bijection of n over 31^6 values.
    value = (n * 48271 + 12345) % (31 ** 6)
    letters = []
    for _ in range(6):
        value, digit = divmod(value, 31)
        letters.append(ALPHABET[digit])
    return "DH-" + "".join(letters)


def fill(count: int, seed: int = 7) -> float:
    """Insert `count` tickets; returns the seconds it took."""
    rng = random.Random(seed)
    now = utcnow()
    wards = db.session.execute(
        select(Ward.id, Ward.centre_lat, Ward.centre_lon, team_wards.c.team_id)
        .join(team_wards, team_wards.c.ward_id == Ward.id)
        .where(Ward.is_routing_area.is_(True))
    ).all()
    categories = list(db.session.scalars(select(Category.id)))
    volunteers = {team_id: user_id for user_id, team_id in db.session.execute(
        select(User.id, User.team_id).where(User.role == "volunteer"))}
    statuses = [s for s, w in MIX for _ in range(w)]
    table = Ticket.__table__
    started = time.perf_counter()
    rows = []
    for n in range(count):
        ward_id, lat, lon, team_id = wards[n % len(wards)]
        status = statuses[rng.randrange(len(statuses))]
        created = now - timedelta(seconds=rng.randrange(365 * 86400))
        located = rng.random() < 0.9
        claimed = created + timedelta(hours=rng.uniform(0.5, 72)) if status not in ("new", "cancelled") else None
        resolved = claimed + timedelta(days=rng.uniform(0.1, 10)) if status in ("resolved", "closed") and claimed else None
        if resolved and resolved > now:
            resolved = now
        if claimed and claimed > now:
            claimed = now
        held = status in ("claimed", "in_progress")
        rows.append({
            "reference": reference(n), "resident_name": "Người dân", "phone": f"+8491{n:07d}"[-12:],
            "phone_last4": f"{n % 10000:04d}", "address": f"{n % 300} Lê Duẩn", "street": "Lê Duẩn",
            "ward_id": ward_id, "requested_ward_id": ward_id, "ward_flagged": False, "team_id": team_id,
            "lat": lat + rng.uniform(-0.01, 0.01) if located else None,
            "lon": lon + rng.uniform(-0.01, 0.01) if located else None,
            "location_source": "device" if located else None,
            "category_id": categories[n % len(categories)],
            "description": "Cần hỗ trợ cài đặt ứng dụng VNeID và kích hoạt tài khoản định danh mức 2.",
            "channel": "web", "needs_elderly": n % 5 == 0, "needs_disability": False,
            "needs_home_visit": n % 7 == 0, "consent_at": created, "status": status,
            "assignee_id": volunteers.get(team_id) if held else None,
            "outcome": "helped" if resolved else None, "unanswered_attempts": 0, "reopen_count": 0,
            "created_at": created, "updated_at": resolved or claimed or created,
            "claimed_at": claimed, "resolved_at": resolved, "first_resolved_at": resolved,
            "closed_at": resolved + timedelta(days=7) if status == "closed" and resolved else None,
        })
        if len(rows) == BATCH:
            db.session.execute(insert(table), rows)
            rows = []
    if rows:
        db.session.execute(insert(table), rows)
    db.session.commit()
    db.session.execute(text("ANALYZE"))
    db.session.commit()
    return time.perf_counter() - started


def prepare(path: Path, count: int):
    from flask_migrate import upgrade

    app = make_app(path)
    with app.app_context():
        upgrade()
        seed_city(geo.load_city(app.config["CITY_FILE"]))
        db.session.flush()
        coordinator = User(name="Điều phối", phone="+84900000001", role="coordinator", active=True)
        coordinator.set_password("bench-password")
        db.session.add(coordinator)
        for team in db.session.scalars(select(Team)):
            volunteer = User(name="TNV", phone=f"+849555{team.id:05d}", role="volunteer",
                             team_id=team.id, active=True)
            volunteer.set_password("bench-password")
            db.session.add(volunteer)
        db.session.commit()
        seconds = fill(count)
        user_sessions.open_session(coordinator)
        db.session.commit()
        coordinator_id = coordinator.get_id()
    return app, coordinator_id, seconds


def timed(client, url: str) -> tuple[float, int]:
    started = time.perf_counter()
    response = client.get(url)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, (url, response.status_code)
    return elapsed, len(response.get_data())


def run(count: int, rounds: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="map-bench-"))
    try:
        app, coordinator_id, fill_seconds = prepare(folder / "bench.sqlite", count)
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = coordinator_id
            session["_fresh"] = True
        pages = {"trivial": "/healthz", "map": "/coordinator/",
                 "map-median": "/coordinator/?measure=median_resolve",
                 "dashboard": "/coordinator/dashboard"}
        times = {name: [] for name in pages}
        sizes = {}
        for name, url in pages.items():  # warm caches and the geography once
            timed(client, url)
        for _ in range(rounds):
            for name, url in pages.items():
                elapsed, size = timed(client, url)
                times[name].append(elapsed)
                sizes[name] = size
        base = statistics.median(times["trivial"])
        print(f"\n{count:>9,} tickets (filled in {fill_seconds:.1f} s, "
              f"{(folder / 'bench.sqlite').stat().st_size / 1e6:.0f} MB file)")
        print(f"  {'page':<11}{'median ms':>10}{'max ms':>9}{'× trivial':>11}{'bytes':>11}")
        for name in pages:
            median = statistics.median(times[name])
            print(f"  {name:<11}{median * 1000:>10.1f}{max(times[name]) * 1000:>9.1f}"
                  f"{median / base:>11.0f}{sizes[name]:>11,}")
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,100000,1000000")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    logging.disable(logging.INFO)
    print(f"map bench, SQLite, {datetime.now():%Y-%m-%d %H:%M}")
    for size in (int(s) for s in args.sizes.split(",")):
        run(size, args.rounds)


if __name__ == "__main__":
    main()
