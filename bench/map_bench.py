"""The coordinator's ward map and dashboard at 1,000, 100,000 and 1,000,000 tickets.

    .venv/bin/python bench/map_bench.py [--sizes 1000,100000,1000000] [--rounds 5]
    .venv/bin/python bench/map_bench.py --sizes 1000000 --keep /tmp/m.sqlite   # built once, reused
    .venv/bin/python bench/map_bench.py --sizes 1000000 --keep postgresql://127.0.0.1/map_bench

With --keep, the database (a SQLite file, or an existing empty PostgreSQL database) is
built on the first run and reused, migrated to the newest revision, on later ones;
--pages dashboard,map-median times only those (and the baseline).

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

from sqlalchemy import func, insert, select, text  # noqa: E402

from volunteer import create_app, figures, geo, user_sessions  # noqa: E402
from volunteer.extensions import db  # noqa: E402
from volunteer.clock import utcnow  # noqa: E402
from volunteer.config import normalize_database_url  # noqa: E402
from volunteer.models import Category, Team, Ticket, User, Ward, team_wards  # noqa: E402
from volunteer.seeding import seed_city  # noqa: E402

BATCH = 10_000
# (status, weight) of the ticket mix
MIX = (("new", 15), ("claimed", 7), ("in_progress", 5), ("escalated", 3), ("resolved", 20),
       ("closed", 850), ("cancelled", 50), ("unreachable", 50))
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def database_url(target) -> str:
    """A SQLite file's path, or a database URL (postgresql://…) as given."""
    return str(target) if "://" in str(target) else f"sqlite:///{target}"


def make_app(target):
    return create_app({
        "SQLALCHEMY_DATABASE_URI": database_url(target),
        "SECRET_KEY": "bench-" + uuid.uuid4().hex,
        "PUBLIC_BASE_URL": "http://localhost",  # required with PostgreSQL
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "SESSION_COOKIE_SECURE": False,
    })


def has_tickets(target) -> bool:
    from sqlalchemy import create_engine

    if "://" not in str(target) and not Path(target).exists():
        return False
    engine = create_engine(normalize_database_url(database_url(target)))
    try:
        with engine.connect() as connection:
            return bool(connection.execute(text("SELECT count(*) FROM tickets")).scalar())
    except Exception:  # no such table yet: build it
        return False
    finally:
        engine.dispose()


def size_of(target) -> str:
    if "://" not in str(target):
        return f"{Path(target).stat().st_size / 1e6:.0f} MB file"
    with db.engine.connect() as connection:
        size = connection.execute(text("SELECT pg_database_size(current_database())")).scalar()
    return f"{size / 1e6:.0f} MB PostgreSQL database"


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
    figures.rebuild_durations()  # core INSERTs bypass the steps that keep it
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        # What autovacuum does soon after a load: statistics, and the visibility map
        # that lets PostgreSQL answer from an index alone.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    else:
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    return time.perf_counter() - started


def prepare(target, count: int):
    from flask_migrate import upgrade

    app = make_app(target)
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


def reuse(target):
    """The app on a database an earlier run kept, and its coordinator."""
    app = make_app(target)
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()  # a database kept before a new migration gets it (and its backfill)
        coordinator = db.session.scalar(select(User).where(User.role == "coordinator"))
        user_sessions.open_session(coordinator)
        db.session.commit()
        coordinator_id = coordinator.get_id()
    return app, coordinator_id, 0.0


def run(count: int, rounds: int, keep: str | None = None, only: str | None = None) -> None:
    folder = None if keep else Path(tempfile.mkdtemp(prefix="map-bench-"))
    database = keep or folder / "bench.sqlite"
    try:
        if keep and has_tickets(keep):
            app, coordinator_id, fill_seconds = reuse(keep)
        else:
            app, coordinator_id, fill_seconds = prepare(database, count)
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = coordinator_id
            session["_fresh"] = True
        pages = {"trivial": "/healthz", "map": "/coordinator/",
                 "map-median": "/coordinator/?measure=median_resolve",
                 "dashboard": "/coordinator/dashboard"}
        if only:
            pages = {name: url for name, url in pages.items() if name in ("trivial", *only.split(","))}
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
        with app.app_context():
            size = size_of(database)
            count = db.session.scalar(select(func.count(Ticket.id)))
        print(f"\n{count:>9,} tickets (filled in {fill_seconds:.1f} s, {size})")
        print(f"  {'page':<11}{'median ms':>10}{'max ms':>9}{'× trivial':>11}{'bytes':>11}")
        for name in pages:
            median = statistics.median(times[name])
            print(f"  {name:<11}{median * 1000:>10.1f}{max(times[name]) * 1000:>9.1f}"
                  f"{median / base:>11.0f}{sizes[name]:>11,}")
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    finally:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,100000,1000000")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--keep", metavar="FILE_OR_URL",
                        help="a SQLite file, or an empty PostgreSQL database's URL, to build once "
                             "and reuse on later runs (one size only)")
    parser.add_argument("--pages", help="comma list of pages to time (default: all)")
    args = parser.parse_args()
    logging.disable(logging.INFO)
    engine = "PostgreSQL" if args.keep and args.keep.startswith("postgres") else "SQLite"
    print(f"map bench, {engine}, {datetime.now():%Y-%m-%d %H:%M}")
    for size in (int(s) for s in args.sizes.split(",")):
        run(size, args.rounds, args.keep, args.pages)


if __name__ == "__main__":
    main()
