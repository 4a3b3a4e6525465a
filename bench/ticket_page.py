"""The coordinator's ticket page at 200,000 tickets, beside the one-query ceiling and
/healthz in the same run (issue 14).

    .venv/bin/python bench/ticket_page.py [--backend sqlite|postgresql|both]
                                          [--tickets 200000] [--same-street 4000]
                                          [--seconds 10] [--connections 8] [--profile]

For each backend: a database of its own, built as bench/queue_bench.py builds it (the
city, the demo staff, --tickets tickets through `flask seed --demo --tickets N`'s bulk
code, then ANALYZE), plus --same-street open tickets of one category whose typed
address names the same street, so that all of them carry that street's single
gazetteer point (as the issue found after 4,000 such submissions): their pages must
still suggest duplicates cheaply.

1. In process (Flask's test client, signed in as the demo coordinator): the SQL
   statements of one ticket page (an ordinary ticket and a same-street one) and the
   median time of the page; with --profile, a cProfile of 300 pages.
2. Under gunicorn (gunicorn.conf.py, 2 sync workers, access log on, PROXY_HOPS=1),
   --connections keep-alive connections from 2 client processes, each signed in as the
   coordinator and walking its own share of 4,000 open tickets (a quarter of them on
   the shared street point): the page, against bench/ceiling_app.py's `/ceiling` (one
   indexed query on the same database) and our `/healthz`, each phase --seconds,
   interleaved (page and ceiling twice; best of each).

Prints req/s and the ratios; exits non-zero when the page misses the issue's goal
(500 req/s on SQLite, 400 on PostgreSQL).
"""
from __future__ import annotations

import argparse
import concurrent.futures
import cProfile
import io
import logging
import os
import pstats
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import load  # noqa: E402  (gunicorn servers and the HTTP client)
import queue_bench  # noqa: E402  (the 200,000-ticket database)

GOALS = {"sqlite": 500, "postgresql": 400}
PAGES = 4000
SAME_STREET_SHARE = 0.25


def add_same_street(count: int):
    """`count` open tickets of one category in the last 14 days, all typed on the same
    street of the most populous ward and geocoded to that street's gazetteer point."""

    def extra(app):
        from sqlalchemy import func, insert, select

        from tools import demo
        from volunteer.clock import utcnow
        from volunteer.extensions import db
        from volunteer.models import Ticket
        from volunteer.privacy import street_of
        from volunteer.references import new_reference

        rng = random.Random(14)
        place = max((p for p in demo.ward_places() if p.streets), key=lambda p: p.households)
        name, lat, lon = place.streets[0]
        category_id = demo._categories()[0][0]
        prefix = app.config.get("REFERENCE_PREFIX", "DH")
        taken = set(db.session.scalars(select(Ticket.reference)))
        first_id = db.session.scalar(select(func.max(Ticket.id))) or 0
        now = utcnow()
        rows = []
        for i in range(count):
            created_at = now - timedelta(days=rng.uniform(0, 14))
            reference = new_reference(prefix)
            while reference in taken:
                reference = new_reference(prefix)
            taken.add(reference)
            phone = demo.resident_phone(rng)
            address = f"{rng.randint(1, 320)} {name}"
            rows.append({
                "reference": reference, "resident_name": demo.person_name(rng), "phone": phone,
                "phone_last4": phone[-4:], "address": address, "street": street_of(address),
                "ward_id": place.ward_id, "requested_ward_id": place.ward_id, "ward_flagged": False,
                "team_id": place.team_id, "lat": lat, "lon": lon, "location_source": "geocoded",
                "category_id": category_id, "description": "Cần hỗ trợ cài VNeID",
                "channel": "web", "needs_elderly": False, "needs_disability": False,
                "needs_home_visit": False, "consent_at": created_at, "status": "new",
                "assignee_id": None, "outcome": None, "unanswered_attempts": 0, "reopen_count": 0,
                "created_at": created_at, "updated_at": created_at,
            })
        db.session.execute(insert(Ticket.__table__), rows)
        demo._bulk_history(first_id)
        db.session.flush()

    return extra


def pick_pages(uri: str) -> dict:
    """Open tickets to request (a quarter on the shared street point), and one of each kind."""
    from sqlalchemy import func, select

    from volunteer import create_app
    from volunteer.extensions import db
    from volunteer.lifecycle import OPEN
    from volunteer.models import Ticket

    app = create_app(queue_bench.config(uri))
    rng = random.Random(7)
    with app.app_context():
        street = db.session.execute(
            select(Ticket.lat, Ticket.lon).where(Ticket.location_source == "geocoded")
            .group_by(Ticket.lat, Ticket.lon).order_by(func.count().desc()).limit(1)).one()
        shared = db.session.scalars(select(Ticket.id).where(
            Ticket.lat == street.lat, Ticket.lon == street.lon, Ticket.status.in_(OPEN))).all()
        others = db.session.scalars(select(Ticket.id).where(
            Ticket.status.in_(OPEN), Ticket.id.not_in(shared))).all()
        total = db.session.scalar(select(func.count(Ticket.id)))
        db.engine.dispose()
    on_street = rng.sample(list(shared), min(len(shared), int(PAGES * SAME_STREET_SHARE)))
    elsewhere = rng.sample(list(others), min(len(others), PAGES - len(on_street)))
    pages = on_street + elsewhere
    rng.shuffle(pages)
    return {"pages": pages, "same_street": on_street[0] if on_street else None,
            "ordinary": elsewhere[0], "shared_count": len(shared), "total": total}


def signed_in_client(app):
    from tools import demo

    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    response = client.post("/login", data={"login": demo.COORDINATOR_PHONE, "password": demo.DEMO_PASSWORD,
                                           "csrf_token": load.csrf_of(page)})
    assert response.status_code == 302, response.status_code
    return client


def in_process(uri: str, info: dict, profile: bool) -> None:
    from sqlalchemy import event

    from volunteer import create_app
    from volunteer.extensions import db

    app = create_app(queue_bench.config(uri))
    logging.getLogger("volunteer.access").disabled = True
    client = signed_in_client(app)
    with app.app_context():
        engine = db.engine
    sent: list[str] = []

    def on_execute(_conn, _cursor, statement, *_):
        sent.append(statement)

    print("  in process (test client)")
    for label in ("ordinary", "same_street"):
        ticket_id = info[label]
        if ticket_id is None:
            continue
        client.get(f"/coordinator/tickets/{ticket_id}")  # warm
        event.listen(engine, "before_cursor_execute", on_execute)
        response = client.get(f"/coordinator/tickets/{ticket_id}")
        event.remove(engine, "before_cursor_execute", on_execute)
        assert response.status_code == 200, response.status_code
        print(f"    {label:<12} page: {len(sent)} SQL statements, {len(response.data):,} bytes")
        if os.environ.get("BENCH_SHOW_SQL"):
            for statement in sent:
                print("      " + " ".join(statement.split())[:160])
        sent.clear()
    pages = info["pages"][:300]
    times = []
    for ticket_id in pages:
        started = time.perf_counter()
        assert client.get(f"/coordinator/tickets/{ticket_id}").status_code == 200
        times.append(time.perf_counter() - started)
    healthz = []
    for _ in range(300):
        started = time.perf_counter()
        client.get("/healthz")
        healthz.append(time.perf_counter() - started)
    print(f"    page median {statistics.median(times) * 1000:.2f} ms "
          f"(p95 {sorted(times)[int(0.95 * len(times))] * 1000:.2f}); "
          f"/healthz {statistics.median(healthz) * 1000:.3f} ms")
    if profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for ticket_id in pages:
            client.get(f"/coordinator/tickets/{ticket_id}")
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(45)
        print(out.getvalue())
    with app.app_context():
        db.engine.dispose()


def _client_loop(kind: str, port: int, pages: list[int], start_at: float, seconds: float) -> int:
    records: list = []
    client = load.Client(port, records)
    client.fresh_identity()
    if kind == "page":
        from tools import demo

        _, _, form = client.call("login_form", "GET", "/login")
        status, _, _ = client.call("login", "POST", "/login", {
            "csrf_token": load.csrf_of(form) or "", "login": demo.COORDINATOR_PHONE,
            "password": demo.DEMO_PASSWORD})
        assert status == 302, f"sign-in answered {status}"
    path = {"healthz": "/healthz", "trivial": "/trivial", "ceiling": "/ceiling"}.get(kind)
    time.sleep(max(0.0, start_at - time.time()))
    records.clear()
    deadline = start_at + seconds
    index = 0
    while time.time() < deadline:
        if kind == "page":
            client.call("page", "GET", f"/coordinator/tickets/{pages[index % len(pages)]}")
            index += 1
        else:
            client.call(kind, "GET", path)
    good = sum(1 for _, status, _, at, _ in records if status == 200 and at <= deadline)
    if len(records) - good > 1:  # the one that ended past the deadline is not a failure
        print(f"    {kind}: {len(records) - good} requests not answered 200", flush=True)
    return good


def _group(kind, port, pages, start_at, seconds, threads):
    return load.total_of_threads(
        threads, lambda i: _client_loop(kind, port, pages[i::threads], start_at, seconds))


def throughput(kind: str, server, pages: list[int], seconds: float,
               connections: int) -> tuple[float, float, float]:
    """Requests answered 200 per second by `connections` clients in 2 processes; and
    over the same seconds (not the sign-ins before them, which hash passwords), the CPU
    milliseconds per request of the server's workers and of PostgreSQL's processes
    (none on SQLite): steadier than the rate when neighbours load the machine."""
    start_at = time.time() + (3.0 if kind == "page" else 1.0)  # sign-ins happen before
    halves = [connections // 2, connections - connections // 2]
    with concurrent.futures.ProcessPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(_group, kind, server.port, pages[i::2], start_at, seconds, n)
                   for i, n in enumerate(halves) if n]
        time.sleep(max(0.0, start_at - time.time()))
        workers, database = server.cpu_seconds(), load.postgresql_cpu_ticks()
        time.sleep(max(0.0, start_at + seconds - time.time()))
        workers, database = server.cpu_seconds() - workers, load.postgresql_cpu_seconds_since(database)
        done = sum(f.result() for f in futures)
    return done / seconds, workers / max(done, 1) * 1000, database / max(done, 1) * 1000


def under_gunicorn(uri: str, info: dict, seconds: float, connections: int) -> dict[str, float]:
    env = {"DATABASE_URL": uri, "SECRET_KEY": load.SECRET_KEY, "PROXY_HOPS": "1",
           "PUBLIC_BASE_URL": load.PUBLIC_BASE_URL, "WEB_CONCURRENCY": "2",
           "GUNICORN_ACCESS_LOG": "-", "REDIS_URL": ""}
    servers = []
    rates: dict[str, list[float]] = {}
    try:
        app = load.Server("page-app", "wsgi:app", env)
        servers.append(app)
        bare = load.Server("page-ceiling", "bench.ceiling_app:app", env)
        servers.append(bare)
        print(f"  gunicorn, 2 sync workers each, {connections} connections, {seconds:.0f} s per phase")
        print("    phase        req/s   CPU ms a request: workers, database")
        for kind, server in (("page", app), ("ceiling", bare), ("healthz", app),
                             ("trivial", bare), ("ceiling", bare), ("page", app)):
            rate, workers, database = throughput(kind, server, info["pages"], seconds, connections)
            rates.setdefault(kind, []).append(rate)
            print(f"    {kind:<9}{rate:>9.0f}{workers:>10.2f}{database:>10.2f}", flush=True)
    finally:
        for server in servers:
            server.stop()
    return {kind: max(values) for kind, values in rates.items()}


def bench(backend: str, args) -> list[str]:
    missed = []
    with queue_bench.bench_database(backend, "page") as uri:
        filled = queue_bench.build(uri, args.tickets, add_same_street(args.same_street))
        info = pick_pages(uri)
        print(f"\n{backend}: {info['total']:,} tickets (filled in {filled:.1f} s), "
              f"{info['shared_count']:,} open on one street's point; load average "
              f"{os.getloadavg()[0]:.1f}")
        in_process(uri, info, args.profile)
        if args.seconds <= 0:
            return missed
        best = under_gunicorn(uri, info, args.seconds, args.connections)
        page, ceiling = best["page"], best["ceiling"]
        print(f"    page to the one-query ceiling: {page / ceiling:.2f}; "
              f"/healthz to the bare view: {best['healthz'] / best['trivial']:.2f}; "
              f"page to /healthz: {page / best['healthz']:.2f}")
        if page < GOALS[backend]:
            missed.append(f"{backend}: the ticket page at {page:.0f} req/s, goal {GOALS[backend]}")
    return missed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--tickets", type=int, default=200_000)
    parser.add_argument("--same-street", type=int, default=4000)
    parser.add_argument("--seconds", type=float, default=10, help="per gunicorn phase; 0 skips them")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--profile", action="store_true", help="cProfile 300 pages in process")
    args = parser.parse_args()
    print(f"ticket page bench: {args.tickets:,} tickets + {args.same_street:,} on one street, "
          f"{os.cpu_count()} CPUs")
    missed = []
    for backend in (("sqlite", "postgresql") if args.backend == "both" else (args.backend,)):
        missed += bench(backend, args)
    for line in missed:
        print(f"MISSED: {line}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
