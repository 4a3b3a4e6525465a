"""The outbox worker against a local fake SMS gateway (eSMS's API, tests/fake_providers.py).

    .venv/bin/python bench/notify_bench.py [--backend postgresql|sqlite] [--messages 2000]
                                           [--probes 100] [--fault-seconds 60]
                                           [--load-rate 10]

A database of its own (PostgreSQL database volunteer_bench_notify_<pid> on
BENCH_ADMIN_URL, default postgresql://127.0.0.1:5432/test, dropped at the end; or a
temporary SQLite file), migrated and seeded. `flask worker` runs as a separate
process, as in production. Measured:

  throughput      --messages requests queued while no worker runs, then one worker
                  started: messages delivered per second at the gateway;
  latency idle    --probes requests created one at a time: time from the commit of
                  the request to the SMS reaching the gateway (median, p95);
  latency loaded  the same while 2 threads create --load-rate (10) requests a second;
  kill -9         the gateway takes 0.2 s per SMS; the worker is killed with -9
                  mid-send, a new one started (lease 5 s);
  gateway down    the gateway answers HTTP 500 for --fault-seconds (default 60) while
                  requests keep coming; the worker retries with back-off.

After each fault every request's SMS must have reached the gateway exactly once,
counted at the gateway by phone number (each request has its own phone); the script
exits non-zero otherwise. PostgreSQL restarts are bench/load.py's business.
"""
from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BIN = ROOT / ".venv" / "bin"
ADMIN_URL = os.environ.get("BENCH_ADMIN_URL", "postgresql://127.0.0.1:5432/test")
SECRET_KEY = "bench-" + uuid.uuid4().hex

from sqlalchemy import func, select  # noqa: E402

from tests.fake_providers import FakeEsms  # noqa: E402
from volunteer import create_app, geo, tickets  # noqa: E402
from volunteer.config import normalize_database_url  # noqa: E402
from volunteer.extensions import db  # noqa: E402
from volunteer.models import Category, OutboxMessage, Ward  # noqa: E402
from volunteer.seeding import seed_city  # noqa: E402


def settings(uri: str, gateway: FakeEsms, **extra) -> dict:
    return {"SQLALCHEMY_DATABASE_URI": uri, "SECRET_KEY": SECRET_KEY,
            "PUBLIC_BASE_URL": "https://hotro.example.vn", "SMS_PROVIDER": "esms",
            "ESMS_URL": gateway.endpoint, "ESMS_API_KEY": FakeEsms.API_KEY,
            "ESMS_SECRET_KEY": FakeEsms.SECRET_KEY, "SMS_BRAND_NAME": FakeEsms.BRAND,
            "RESIDENT_MESSAGES_PER_DAY": 10, **extra}


class Worker:
    """`flask worker` in its own process, configured through the environment."""

    def __init__(self, uri: str, gateway: FakeEsms, **extra):
        env = {**os.environ, "DATABASE_URL": uri, "SECRET_KEY": SECRET_KEY, "FLASK_APP": "wsgi.py"}
        for key, value in settings(uri, gateway, **extra).items():
            if key != "SQLALCHEMY_DATABASE_URI":
                env[key] = str(value)
        self.process = subprocess.Popen([str(BIN / "flask"), "worker"], cwd=ROOT, env=env,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)


class Requests:
    """Creates requests, each with its own phone, through the domain code."""

    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()
        self.next = 0
        with app.app_context():
            self.category_id = db.session.scalar(select(Category.id).limit(1))
            self.ward_id = db.session.scalar(select(Ward.id).where(Ward.is_routing_area.is_(True))
                                             .limit(1))

    def phone(self) -> str:
        with self.lock:
            self.next += 1
            return f"+8491{self.next:07d}"

    def create(self, count: int = 1) -> list[tuple[str, float]]:
        """Commit `count` requests in one transaction; (local phone, commit time) each."""
        with self.app.app_context():
            phones = [self.phone() for _ in range(count)]
            for phone in phones:
                tickets.create_ticket(tickets.Request(
                    name="Bench", phone=phone, category_id=self.category_id, ward_id=self.ward_id,
                    notify_channel="sms", notify_locale="vi"))
            db.session.commit()
            committed = time.monotonic()
        return [("0" + phone[3:], committed) for phone in phones]


def wait_for(gateway: FakeEsms, phones: set[str], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with gateway.lock:
            if phones <= {sms["Phone"] for sms in gateway.delivered}:
                return True
        time.sleep(0.02)
    return False


def delivered_at(gateway: FakeEsms) -> dict[str, float]:
    with gateway.lock:
        return {sms["Phone"]: sms["received_at"] for sms in gateway.delivered}


def exactly_once(gateway: FakeEsms, phones: set[str]) -> tuple[int, int]:
    """(missing, sent twice) among `phones`, counted at the gateway."""
    with gateway.lock:
        seen = [sms["Phone"] for sms in gateway.delivered if sms["Phone"] in phones]
    return len(phones - set(seen)), len(seen) - len(set(seen))


def percentiles(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(ordered), ordered[max(0, int(len(ordered) * 0.95) - 1)]


def latency(requests: Requests, gateway: FakeEsms, probes: int) -> list[float]:
    sent = []
    for _ in range(probes):
        sent += requests.create()
        time.sleep(0.05)
    wait_for(gateway, {phone for phone, _ in sent}, 60)
    arrived = delivered_at(gateway)
    return [arrived[phone] - committed for phone, committed in sent if phone in arrived]


def run(uri: str, args) -> bool:
    gateway = FakeEsms()
    app = create_app(settings(uri, gateway))
    requests = Requests(app)
    ok = True

    queued = {phone for phone, _ in requests.create(args.messages)}
    started = time.monotonic()
    worker = Worker(uri, gateway)
    wait_for(gateway, queued, 600)
    elapsed = time.monotonic() - started
    print(f"throughput      {len(queued) / elapsed:8.0f} messages/s by one worker "
          f"({len(queued)} in {elapsed:.1f} s, worker start included)")

    idle = latency(requests, gateway, args.probes)
    print("latency idle    median {:.0f} ms, p95 {:.0f} ms".format(
        *(1000 * value for value in percentiles(idle))))

    stop_load = threading.Event()
    loaded_phones: list[str] = []

    def load():
        # Two threads, each its share of --load-rate requests a second.
        while not stop_load.wait(2 / args.load_rate):
            loaded_phones.extend(phone for phone, _ in requests.create())

    threads = [threading.Thread(target=load) for _ in range(2)]
    for thread in threads:
        thread.start()
    loaded = latency(requests, gateway, args.probes)
    stop_load.set()
    for thread in threads:
        thread.join()
    wait_for(gateway, set(loaded_phones), 300)
    print("latency loaded  median {:.0f} ms, p95 {:.0f} ms ({} requests a second from 2 threads "
          "besides the probes, {} in all)".format(
              *(1000 * value for value in percentiles(loaded)), args.load_rate, len(loaded_phones)))
    worker.stop()

    # kill -9 mid-send
    gateway.delay = 0.2
    batch = {phone for phone, _ in requests.create(50)}
    worker = Worker(uri, gateway, OUTBOX_LEASE_SECONDS=5)
    while exactly_once(gateway, batch)[0] > len(batch) - 5:  # it is sending
        time.sleep(0.01)
    time.sleep(0.1)  # into the next request, which the gateway is holding
    worker.kill()
    killed_at = time.monotonic()
    worker = Worker(uri, gateway, OUTBOX_LEASE_SECONDS=5)
    wait_for(gateway, batch, 120)
    missing, twice = exactly_once(gateway, batch)
    print(f"kill -9         {len(batch)} requests: missing {missing}, sent twice {twice}; "
          f"all in {time.monotonic() - killed_at:.1f} s after the kill; "
          f"repeats the gateway refused (RequestId): {gateway.duplicates}")
    ok &= missing == 0 and twice == 0
    worker.stop()
    gateway.delay = 0

    # the gateway answers 500 for a while
    worker = Worker(uri, gateway, OUTBOX_BACKOFF_SECONDS=max(1, args.fault_seconds // 12),
                    OUTBOX_BACKOFF_MAX_SECONDS=max(2, args.fault_seconds // 3))
    gateway.fail_for(args.fault_seconds)
    during = set()
    outage_ends = time.monotonic() + args.fault_seconds
    while time.monotonic() < outage_ends:
        during |= {phone for phone, _ in requests.create(5)}
        time.sleep(0.5)
    wait_for(gateway, during, 10 * args.fault_seconds + 60)
    missing, twice = exactly_once(gateway, during)
    print(f"gateway 500     {args.fault_seconds} s: {len(during)} requests: missing {missing}, "
          f"sent twice {twice}; all delivered {time.monotonic() - outage_ends:.1f} s after it "
          f"came back")
    ok &= missing == 0 and twice == 0
    worker.stop()

    with app.app_context():
        statuses = dict(db.session.execute(select(OutboxMessage.status, func.count())
                                           .group_by(OutboxMessage.status)).all())
        db.engine.dispose()
    everyone = {sms["Phone"] for sms in gateway.delivered}
    print(f"outbox          {statuses}; gateway: {len(gateway.delivered)} SMS to "
          f"{len(everyone)} phones")
    ok &= set(statuses) == {"sent"} and len(everyone) == len(gateway.delivered)
    gateway.stop()
    return ok


def prepare(uri: str) -> None:
    from flask_migrate import upgrade

    app = create_app({"SQLALCHEMY_DATABASE_URI": uri, "SECRET_KEY": SECRET_KEY})
    with app.app_context():
        upgrade()
        seed_city(geo.load_city(app.config["CITY_FILE"]))
        db.session.commit()
        db.engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--probes", type=int, default=100)
    parser.add_argument("--fault-seconds", type=int, default=60)
    parser.add_argument("--load-rate", type=float, default=10,
                        help="requests a second created besides the probes while loaded")
    args = parser.parse_args()
    import logging

    logging.disable(logging.INFO)
    if args.backend == "sqlite":
        folder = tempfile.mkdtemp(prefix="notify-bench-")
        uri = f"sqlite:///{folder}/bench.sqlite"
        prepare(uri)
        return 0 if run(uri, args) else 1
    import psycopg
    from sqlalchemy.engine import make_url

    admin = make_url(normalize_database_url(ADMIN_URL))
    dsn = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"volunteer_bench_notify_{os.getpid()}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    uri = admin.set(database=name).render_as_string(hide_password=False)
    try:
        prepare(uri)
        ok = run(uri, args)
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print("OK: no message lost, none sent twice" if ok else "FAILED: see above")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
