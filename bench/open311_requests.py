"""Benchmark GET /open311/v2/requests: a full page of 1,000 requests, in JSON and XML.

    .venv/bin/python bench/open311_requests.py [N]        (default N = 5000 tickets)

Builds a scratch SQLite database (migrated and seeded, N tickets spread over the
last 60 days with a few lifecycle steps each), then times in the same run, through
the Flask test client (no network):

  (a) GET requests.json?page_size=1000  and  (b) the same in XML;
  (c) the baseline: GET services.json, the smallest document, which pays the same
      request, jurisdiction, rate-limit and serialization overheads.

Prints milliseconds per request (best of a few rounds), the response sizes, the
ratios a/c and b/c, and the number of SQL statements a full page costs (it must not
grow with the page: no query per ticket).
"""
from __future__ import annotations

import random
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import event, select  # noqa: E402

from volunteer import create_app, geo, tickets  # noqa: E402
from volunteer.extensions import db  # noqa: E402
from volunteer.lifecycle import Actor  # noqa: E402
from volunteer.clock import utcnow  # noqa: E402
from volunteer.models import Category, Team, User, Ward  # noqa: E402
from volunteer.seeding import seed_city  # noqa: E402

ROUNDS = 5


def build(app, n: int) -> None:
    rng = random.Random(20261129)
    with app.app_context():
        upgrade()
        seed_city(geo.load_city(app.config["CITY_FILE"]))
        db.session.commit()
        wards = db.session.scalars(select(Ward).where(Ward.is_routing_area.is_(True))).all()
        categories = db.session.scalars(select(Category)).all()
        volunteers = {}
        for team in db.session.scalars(select(Team)):
            user = User(name=f"TNV {team.id}", phone=f"+8491{team.id:07d}", role="volunteer", team_id=team.id)
            user.set_password("bench-password")
            db.session.add(user)
            volunteers[team.id] = user
        db.session.flush()
        now = utcnow()
        for i in range(n):
            ward = rng.choice(wards)
            ticket = tickets.create_ticket(tickets.Request(
                name="Người dân", phone=f"+8490{i:07d}", category_id=rng.choice(categories).id,
                description=f"Yêu cầu {i}: gọi 0905 {i:06d} giúp", address=f"{i} Lê Duẩn",
                ward_id=ward.id, channel="api",
            ), now=now - timedelta(minutes=rng.randint(0, 60 * 24 * 60)))
            steps = rng.choice([[], ["claim"], ["claim", "start"], ["claim", "start", "resolve"]])
            actor = Actor.for_user(volunteers[ticket.team_id])
            for step in steps:
                tickets.apply_transition(ticket, step, actor, outcome="helped" if step == "resolve" else None)
            if i % 500 == 0:
                db.session.commit()
        db.session.commit()


def best_ms(client, url: str) -> tuple[float, int]:
    times, size = [], 0
    for _ in range(ROUNDS):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        size = len(response.get_data())
    return min(times), size


def count_statements(app, client, url: str) -> int:
    statements = []
    with app.app_context():
        engine = db.engine

    def record(*_args):
        statements.append(1)

    event.listen(engine, "before_cursor_execute", record)
    try:
        client.get(url)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return len(statements)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    with tempfile.TemporaryDirectory() as folder:
        app = create_app({
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.sqlite", "SECRET_KEY": "bench",
            "RATELIMIT_ENABLED": False,
        })
        started = time.perf_counter()
        build(app, n)
        print(f"built {n} tickets in {time.perf_counter() - started:.1f} s")
        client = app.test_client()
        base = "/open311/v2"
        baseline, baseline_size = best_ms(client, f"{base}/services.json")
        json_ms, json_size = best_ms(client, f"{base}/requests.json?page_size=1000")
        xml_ms, xml_size = best_ms(client, f"{base}/requests.xml?page_size=1000")
        print(f"(c) services.json           {baseline:8.1f} ms  {baseline_size:>9} bytes")
        for label, ms, size, ratio in (("(a) requests.json 1000", json_ms, json_size, "a/c"),
                                       ("(b) requests.xml  1000", xml_ms, xml_size, "b/c")):
            print(f"{label}      {ms:8.1f} ms  {size:>9} bytes  {ratio} = {ms / baseline:.0f}")
        print(f"per request in the page: {json_ms / 1000:.3f} ms (JSON), {xml_ms / 1000:.3f} ms (XML)")
        small = count_statements(app, client, f"{base}/requests.json?page_size=10")
        full = count_statements(app, client, f"{base}/requests.json?page_size=1000")
        print(f"SQL statements: page of 10 → {small}, page of 1000 → {full}")


if __name__ == "__main__":
    main()
