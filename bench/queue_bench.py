"""The volunteer's queue and a claim at 200,000 tickets, next to a trivial endpoint.

    .venv/bin/python bench/queue_bench.py [--backend sqlite|postgresql|both]
                                          [--tickets 200000] [--requests 300]

For each backend: a database of its own (a SQLite file in a temporary folder, or
PostgreSQL database volunteer_bench_queue_<pid> on BENCH_ADMIN_URL, dropped at the end),
migrated and seeded with the city, the demo staff and --tickets tickets through
`flask seed --demo --tickets N`'s own code (bulk inserts, then ANALYZE). Then, signed in
as a volunteer of the team with the largest backlog, in the same run and interleaved
round by round:

  trivial      GET /healthz (same app, no database, no template)
  trivial-page GET /account/password (same app and session: user load, base template, a form)
  queue        GET /volunteer/queue (the default: waiting tickets, newest first)
  queue-oldest GET /volunteer/queue?status=open&order=oldest (every open status)
  queue-near   GET /volunteer/queue?order=nearest&lat=…&lon=… (geodesic for the page only)
  claim        POST /volunteer/tickets/<ref>/claim (a different waiting ticket each time)

first through Flask's test client (in process), then over HTTP against gunicorn (one
sync worker, loopback). Prints the median and 95th percentile of each and each one's
ratio to the trivial endpoints' medians. Prints figures; asserts nothing.
"""
from __future__ import annotations

import argparse
import http.client
import logging
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BIN = ROOT / ".venv" / "bin"
ADMIN_URL = os.environ.get("BENCH_ADMIN_URL", "postgresql://127.0.0.1:5432/test")
SECRET_KEY = "bench-" + uuid.uuid4().hex
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
ORIGIN = (16.7835, 107.0864)  # a volunteer standing in Phường Đông Lương

from sqlalchemy import func, select, text  # noqa: E402

from tools import demo  # noqa: E402
from volunteer import create_app, geo  # noqa: E402
from volunteer.config import normalize_database_url  # noqa: E402
from volunteer.extensions import db  # noqa: E402
from volunteer.models import Ticket, User  # noqa: E402
from volunteer.seeding import seed_city  # noqa: E402


def config(uri: str) -> dict:
    return {"SQLALCHEMY_DATABASE_URI": uri, "SECRET_KEY": SECRET_KEY, "PUBLIC_BASE_URL": "http://localhost",
            "SESSION_COOKIE_SECURE": False, "REMEMBER_COOKIE_SECURE": False,
            "RATELIMIT_STORAGE_URI": "lazy-memory://"}


def build(uri: str, tickets: int, extra=None) -> float:
    """Migrate, seed the city and the demo staff, add `tickets` tickets with the bulk code
    of `flask seed --demo --tickets N`, then `extra(app)` (a bench's own rows), then
    ANALYZE. Returns the seconds the filling took. Shared with bench/ticket_page.py."""
    from flask_migrate import upgrade

    app = create_app(config(uri))
    with app.app_context():
        upgrade()
        seed_city(geo.load_city(app.config["CITY_FILE"]))
        demo.ensure_demo_users()
        db.session.commit()
        started = time.perf_counter()
        demo.bulk_tickets(tickets)
        db.session.commit()
        if extra is not None:
            extra(app)
            db.session.commit()
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        else:
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        filled = time.perf_counter() - started
        db.session.remove()
        db.engine.dispose()
    return filled


@contextmanager
def bench_database(backend: str, label: str):
    """A database of the bench's own: a SQLite file in a temporary folder, or PostgreSQL
    database volunteer_bench_<label>_<pid> on BENCH_ADMIN_URL; removed on exit."""
    if backend == "sqlite":
        folder = tempfile.mkdtemp(prefix=f"volunteer-{label}-bench-")
        try:
            yield f"sqlite:///{folder}/bench.sqlite"
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    import psycopg
    from sqlalchemy.engine import make_url

    admin = make_url(normalize_database_url(ADMIN_URL))
    name = f"volunteer_bench_{label}_{os.getpid()}"
    dsn = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def prepare(uri: str, tickets: int) -> dict:
    """Build the database; return the volunteer to sign in as and the tickets to claim."""
    filled = build(uri, tickets)
    app = create_app(config(uri))
    with app.app_context():
        team_id, backlog = db.session.execute(
            select(Ticket.team_id, func.count()).where(Ticket.status == "new")
            .group_by(Ticket.team_id).order_by(func.count().desc()).limit(1)
        ).one()
        open_count = db.session.scalar(select(func.count()).where(
            Ticket.team_id == team_id, Ticket.status.in_(("new", "claimed", "in_progress", "escalated"))))
        volunteer = db.session.scalar(select(User).where(
            User.team_id == team_id, User.role == "volunteer").order_by(User.id).limit(1))
        waiting = db.session.scalars(select(Ticket.reference).where(
            Ticket.team_id == team_id, Ticket.status == "new").order_by(Ticket.id)).all()
        info = {"phone": "0" + volunteer.phone[3:], "waiting": list(waiting), "backlog": backlog,
                "open": open_count, "filled": filled,
                "total": db.session.scalar(select(func.count(Ticket.id)))}
        db.engine.dispose()
    return info


def summary(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    return statistics.median(ordered), ordered[max(0, int(round(0.95 * len(ordered))) - 1)]


def report(title: str, results: dict[str, list[float]]) -> None:
    print(f"  {title}")
    base = statistics.median(results["trivial"])
    page = statistics.median(results["trivial-page"])
    print(f"    {'endpoint':<13} {'median ms':>10} {'p95 ms':>8} {'×trivial':>9} {'×trivial-page':>14}")
    for name, times in results.items():
        median, p95 = summary(times)
        print(f"    {name:<13} {median * 1000:>10.2f} {p95 * 1000:>8.2f} {median / base:>9.2f} {median / page:>14.2f}")


QUEUE_URLS = {
    "queue": "/volunteer/queue",
    "queue-oldest": "/volunteer/queue?status=open&order=oldest",
    "queue-near": "/volunteer/queue?" + urlencode({"order": "nearest", "lat": ORIGIN[0], "lon": ORIGIN[1]}),
}


def run_test_client(uri: str, info: dict, requests: int) -> dict[str, list[float]]:
    app = create_app(config(uri))
    # The JSON request log would time our terminal, not the app.
    logging.getLogger("volunteer.access").disabled = True
    client = app.test_client()
    token = CSRF.search(client.get("/login").get_data(as_text=True)).group(1)
    response = client.post("/login", data={"login": info["phone"], "password": demo.DEMO_PASSWORD,
                                           "csrf_token": token})
    assert response.status_code == 302, response.status_code
    token = CSRF.search(client.get("/account/password").get_data(as_text=True)).group(1)
    waiting = iter(info["waiting"])
    results = {name: [] for name in ("trivial", "trivial-page", *QUEUE_URLS, "claim")}

    def timed(name, call, expect):
        started = time.perf_counter()
        response = call()
        results[name].append(time.perf_counter() - started)
        assert response.status_code == expect, (name, response.status_code)

    for _ in range(20):  # warm up caches and connections
        client.get("/healthz"), client.get(QUEUE_URLS["queue"])
    for _ in range(requests):
        timed("trivial", lambda: client.get("/healthz"), 200)
        timed("trivial-page", lambda: client.get("/account/password"), 200)
        for name, url in QUEUE_URLS.items():
            timed(name, lambda url=url: client.get(url), 200)
        reference = next(waiting)
        timed("claim", lambda: client.post(f"/volunteer/tickets/{reference}/claim",
                                           data={"csrf_token": token}), 302)
    with app.app_context():
        db.engine.dispose()
    return results


class Gunicorn:
    def __init__(self, uri: str):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        env = {**os.environ, "DATABASE_URL": uri, "SECRET_KEY": SECRET_KEY, "SECURE_COOKIES": "0",
               "PUBLIC_BASE_URL": f"http://127.0.0.1:{self.port}",
               "WEB_CONCURRENCY": "1", "GUNICORN_BIND": f"127.0.0.1:{self.port}"}
        env.pop("REDIS_URL", None)
        self.log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "--config", str(ROOT / "gunicorn.conf.py"), "wsgi:app"],
            cwd=ROOT, env=env, stdout=self.log, stderr=self.log)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                if self.request("GET", "/healthz")[0] == 200:
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("gunicorn did not start")

    def request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return response.status, response.getheader("Set-Cookie"), response.read()
        finally:
            conn.close()

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


def run_gunicorn(uri: str, info: dict, requests: int) -> dict[str, list[float]]:
    server = Gunicorn(uri)
    try:
        cookies = SimpleCookie()

        def send(method, path, form=None):
            headers = {"Cookie": "; ".join(f"{k}={v.value}" for k, v in cookies.items())}
            body = None
            if form is not None:
                body = urlencode(form)
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            status, set_cookie, content = server.request(method, path, body, headers)
            if set_cookie:
                cookies.load(set_cookie)
            return status, content.decode()

        token = CSRF.search(send("GET", "/login")[1]).group(1)
        status, _ = send("POST", "/login", {"login": info["phone"], "password": demo.DEMO_PASSWORD,
                                            "csrf_token": token})
        assert status == 302, status
        token = CSRF.search(send("GET", "/account/password")[1]).group(1)
        waiting = iter(info["waiting"][requests + 10:])  # the test client claimed the first ones
        results = {name: [] for name in ("trivial", "trivial-page", *QUEUE_URLS, "claim")}

        def timed(name, method, path, form=None, expect=200):
            started = time.perf_counter()
            status, _ = send(method, path, form)
            results[name].append(time.perf_counter() - started)
            assert status == expect, (name, status)

        for _ in range(20):
            send("GET", "/healthz"), send("GET", QUEUE_URLS["queue"])
        for _ in range(requests):
            timed("trivial", "GET", "/healthz")
            timed("trivial-page", "GET", "/account/password")
            for name, url in QUEUE_URLS.items():
                timed(name, "GET", url)
            timed("claim", "POST", f"/volunteer/tickets/{next(waiting)}/claim",
                  {"csrf_token": token}, expect=302)
        return results
    finally:
        server.stop()


def bench(backend: str, tickets: int, requests: int) -> None:
    with bench_database(backend, "queue") as uri:
        info = prepare(uri, tickets)
        print(f"\n{backend}: {info['total']} tickets (filled in {info['filled']:.1f} s); "
              f"the volunteer's team has {info['backlog']} waiting, {info['open']} open")
        report("test client (in process)", run_test_client(uri, info, requests))
        report("gunicorn, 1 sync worker, HTTP on loopback", run_gunicorn(uri, info, requests))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--tickets", type=int, default=200_000)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    print(f"queue bench: {args.tickets} tickets, {args.requests} rounds, {os.cpu_count()} CPUs")
    for backend in (("sqlite", "postgresql") if args.backend == "both" else (args.backend,)):
        bench(backend, args.tickets, args.requests)


if __name__ == "__main__":
    main()
