"""The outbox worker against a local fake SMS gateway (eSMS's API, tests/fake_providers.py).

    .venv/bin/python bench/notify_bench.py [--backend postgresql|sqlite] [--messages 2000]
                                           [--probes 100] [--fault-seconds 60]
                                           [--load-rate 10] [--load-seconds 30] [--clients 12]

A database of its own: on PostgreSQL, bench/load.py's private cluster (initdb in a
temporary folder, a free loopback port, stopped and removed at the end), so that it
can be restarted without disturbing anyone; or a temporary SQLite file. Migrated and
seeded; `flask worker` runs as a separate process, as in production. Measured:

  throughput      --messages requests queued while no worker runs, then one worker
                  started: messages delivered per second at the gateway;
  latency idle    --probes requests created one at a time: time from the commit of
                  the request to the SMS reaching the gateway (median, p95);
  latency loaded  the same while 2 threads create --load-rate (10) requests a second;
  kill -9         the gateway takes 0.2 s per SMS; the worker is killed with -9
                  mid-send, a new one started (lease 5 s);
  gateway down    the gateway answers HTTP 500 for --fault-seconds (default 60) while
                  requests keep coming; the worker retries with back-off;
PostgreSQL only:
  PostgreSQL restart  requests keep being created and the worker keeps running while
                  PostgreSQL is stopped for bench/load.py's PG_DOWN_SECONDS (10 s) and
                  started again (load.postgresql_outage, the restart load.py makes);
  latency under load.py  bench/load.py's mix (gunicorn, --clients simulated residents,
                  volunteers and coordinators, --load-seconds) against a database of
                  its own in the same cluster, the worker delivering its residents' SMS
                  too, while probes measure request-to-gateway time as above.

After each fault every request's SMS must have reached the gateway exactly once,
counted at the gateway by phone number (each request has its own phone), and no SMS
may reach a phone whose request did not commit; the script exits non-zero otherwise.
Messages are counted at the gateway, never as outbox rows, so the figures hold however
many internal rows a ticket event writes before its SMS.
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
SECRET_KEY = "bench-" + uuid.uuid4().hex

from sqlalchemy import func, select  # noqa: E402

from bench import load  # noqa: E402  (the private cluster, its restart, the mix)
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

    started = 0

    def __init__(self, uri: str, gateway: FakeEsms, **extra):
        env = {**os.environ, "DATABASE_URL": uri, "SECRET_KEY": SECRET_KEY, "FLASK_APP": "wsgi.py"}
        for key, value in settings(uri, gateway, **extra).items():
            if key != "SQLALCHEMY_DATABASE_URI":
                env[key] = str(value)
        load.LOG_DIR.mkdir(parents=True, exist_ok=True)
        Worker.started += 1
        # Its log (ids and outcomes only) beside load.py's, to see why a run failed.
        self.log = open(load.LOG_DIR / f"notify-worker-{os.getpid()}-{Worker.started}.log", "w")
        self.process = subprocess.Popen([str(BIN / "flask"), "worker"], cwd=ROOT, env=env,
                                        stdout=self.log, stderr=subprocess.STDOUT)

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)


class Requests:
    """Creates requests, each with its own phone, through the domain code."""

    def __init__(self, app, prefix: str = "+8491"):
        self.app = app
        self.prefix = prefix  # load.py's residents use 091…: probes keep their own range
        self.lock = threading.Lock()
        self.next = 0
        with app.app_context():
            self.category_id = db.session.scalar(select(Category.id).limit(1))
            self.ward_id = db.session.scalar(select(Ward.id).where(Ward.is_routing_area.is_(True))
                                             .limit(1))

    def phone(self) -> str:
        with self.lock:
            self.next += 1
            return f"{self.prefix}{self.next:07d}"

    def create(self, count: int = 1, phones: list[str] | None = None) -> list[tuple[str, float]]:
        """Commit `count` requests in one transaction; (local phone, commit time) each."""
        with self.app.app_context():
            phones = phones or [self.phone() for _ in range(count)]
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
    """When each phone's first SMS (its "received") reached the gateway."""
    first: dict[str, float] = {}
    with gateway.lock:
        for sms in gateway.delivered:
            first.setdefault(sms["Phone"], sms["received_at"])
    return first


def exactly_once(gateway: FakeEsms, phones: set[str], says: str = "") -> tuple[int, int]:
    """(missing, sent twice) among `phones`, counted at the gateway; with `says`, only
    the SMS whose text holds it (load.py's volunteers claim probes: "taken" follows)."""
    with gateway.lock:
        seen = [sms["Phone"] for sms in gateway.delivered
                if sms["Phone"] in phones and says in sms["Content"]]
    return len(phones - set(seen)), len(seen) - len(set(seen))


def local(phone: str) -> str:
    return "0" + phone[3:]


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


def run(uri: str, args, cluster=None) -> bool:
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

    if cluster is not None:
        ok &= postgresql_restart(uri, gateway, requests, cluster)

    with app.app_context():
        statuses = dict(db.session.execute(select(OutboxMessage.status, func.count())
                                           .group_by(OutboxMessage.status)).all())
        db.engine.dispose()
    everyone = {sms["Phone"] for sms in gateway.delivered}
    print(f"outbox          {statuses}; gateway: {len(gateway.delivered)} SMS to "
          f"{len(everyone)} phones")
    ok &= set(statuses) == {"sent"} and len(everyone) == len(gateway.delivered)

    if cluster is not None:
        ok &= under_load_py(gateway, args)
    gateway.stop()
    return ok


def prepare(uri: str) -> None:
    from flask_migrate import upgrade

    app = create_app({"SQLALCHEMY_DATABASE_URI": uri, "SECRET_KEY": SECRET_KEY,
                      "PUBLIC_BASE_URL": "https://hotro.example.vn"})
    with app.app_context():
        upgrade()
        seed_city(geo.load_city(app.config["CITY_FILE"]))
        db.session.commit()
        db.engine.dispose()


def postgresql_restart(uri: str, gateway: FakeEsms, requests: Requests, cluster) -> bool:
    """Requests created every 0.1 s and the worker running while PostgreSQL stops for
    load.PG_DOWN_SECONDS and starts again, a second worker started meanwhile. A request
    whose commit failed must get no SMS; every one that committed, exactly one; both
    workers must still be running."""
    gateway.delay = 0.02  # a send in flight when the database goes away is likely
    repeats_before = gateway.duplicates
    worker = Worker(uri, gateway, OUTBOX_LEASE_SECONDS=5, OUTBOX_BACKOFF_SECONDS=1,
                    OUTBOX_BACKOFF_MAX_SECONDS=4)
    attempted: set[str] = set()
    refused = []
    stop = threading.Event()

    def submit():
        while not stop.wait(0.1):
            phones = [requests.phone() for _ in range(2)]
            attempted.update(local(phone) for phone in phones)
            try:
                requests.create(phones=phones)
            except Exception as error:  # noqa: BLE001 - the database is down: count it
                refused.append(type(error).__name__)

    thread = threading.Thread(target=submit)
    thread.start()
    started = time.time()
    workers = [worker]
    # A second worker starts while the database is away (systemd restarting one, say):
    # it must wait for PostgreSQL, then share the work.
    late = threading.Timer(5, lambda: workers.append(Worker(
        uri, gateway, OUTBOX_LEASE_SECONDS=5, OUTBOX_BACKOFF_SECONDS=1,
        OUTBOX_BACKOFF_MAX_SECONDS=4)))
    late.start()
    time.sleep(3)
    outage: dict = {}
    load.postgresql_outage(cluster, outage, started)
    time.sleep(5)
    stop.set()
    thread.join()
    late.join()
    with requests.app.app_context():
        from volunteer.models import Ticket

        # What committed, asked of the database itself (a commit cut by the stop may
        # or may not have landed).
        stored = {local(phone) for phone in db.session.scalars(
            select(Ticket.phone).where(Ticket.phone.like(requests.prefix + "%")))}
        db.session.remove()
    committed = stored & attempted
    wait_for(gateway, committed, 180)
    missing, twice = exactly_once(gateway, committed)
    with gateway.lock:
        phantom = len({sms["Phone"] for sms in gateway.delivered} & (attempted - committed))
    print(f"PostgreSQL restart  down {outage['up'] - outage['down']:.1f} s: {len(attempted)} "
          f"requests tried, {len(committed)} committed, {len(refused)} transactions refused "
          f"while it was down; missing {missing}, sent twice {twice}, SMS for a request that "
          f"did not commit {phantom}; repeats the gateway refused (RequestId): "
          f"{gateway.duplicates - repeats_before}")
    alive = sum(w.process.poll() is None for w in workers)
    print(f"                    {len(workers)} workers, the second started while PostgreSQL "
          f"was down; running at the end: {alive}")
    for each in workers:
        if each.process.poll() is None:
            each.stop()
    gateway.delay = 0
    return (missing == 0 and twice == 0 and phantom == 0 and len(refused) > 0
            and alive == len(workers))


def under_load_py(gateway: FakeEsms, args) -> bool:
    """bench/load.py's mix against gunicorn (its own database in the same cluster), the
    worker delivering the mix's SMS as well; probes measure commit-to-gateway time."""
    print(f"\nlatency under bench/load.py's mix ({args.clients} clients, {args.load_seconds:.0f} s):")
    with load.Setup(with_ceiling=False) as setup:
        worker = Worker(setup.url, gateway)
        probe_app = create_app(settings(normalize_database_url(setup.url), gateway))
        probes = Requests(probe_app, prefix="+8497")
        sent: list[tuple[str, float]] = []

        def during(started):
            while time.time() < started + args.load_seconds - 1:
                sent.extend(probes.create())
                time.sleep(0.25)

        records, submitted, span = load.drive("mix", setup.app.port, setup.info,
                                              args.load_seconds, args.clients, during)
        load.summarize("the mix, beside the worker", records, span)
        wait_for(gateway, {phone for phone, _ in sent}, 120)
        arrived = delivered_at(gateway)
        loaded = [arrived[phone] - committed for phone, committed in sent if phone in arrived]
        missing, twice = exactly_once(gateway, {phone for phone, _ in sent}, says="Da nhan YC")
        # The mix's residents: every SMS row of theirs delivered once, by its RequestId.
        deadline = time.monotonic() + 120
        with probe_app.app_context():
            while True:
                keys = set(db.session.scalars(select(OutboxMessage.delivery_key)
                                              .where(OutboxMessage.channel == "sms")))
                with gateway.lock:
                    got = [sms["RequestId"] for sms in gateway.delivered if sms["RequestId"] in keys]
                if set(got) >= keys or time.monotonic() > deadline:
                    break
                db.session.rollback()
                time.sleep(0.5)
            db.session.remove()
            db.engine.dispose()
        mix_missing, mix_twice = len(keys - set(got)), len(got) - len(set(got))
        worker.stop()
    print("latency loaded  median {:.0f} ms, p95 {:.0f} ms under load.py's mix ({} probes; "
          "missing {}, sent twice {}); the mix's own SMS: {} rows, missing {}, sent twice {}"
          .format(*(1000 * value for value in percentiles(loaded or [0.0])), len(sent),
                  missing, twice, len(keys), mix_missing, mix_twice))
    return missing == 0 and twice == 0 and mix_missing == 0 and mix_twice == 0 and bool(loaded)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--probes", type=int, default=100)
    parser.add_argument("--fault-seconds", type=int, default=60)
    parser.add_argument("--load-rate", type=float, default=10,
                        help="requests a second created besides the probes while loaded")
    parser.add_argument("--load-seconds", type=float, default=30,
                        help="how long bench/load.py's mix runs beside the worker (PostgreSQL)")
    parser.add_argument("--clients", type=int, default=12, help="load.py's simulated users")
    args = parser.parse_args()
    import logging

    logging.disable(logging.INFO)
    if args.backend == "sqlite":
        folder = tempfile.mkdtemp(prefix="notify-bench-")
        uri = f"sqlite:///{folder}/bench.sqlite"
        prepare(uri)
        print("(PostgreSQL restart and load.py's mix: PostgreSQL only)")
        ok = run(uri, args)
        print("OK: no message lost, none sent twice" if ok else "FAILED: see above")
        return 0 if ok else 1
    with load.PrivatePostgreSQL() as cluster:  # sets load.ADMIN_URL to the cluster
        name = f"volunteer_bench_notify_{os.getpid()}"
        load.create_database(name)
        uri = normalize_database_url(load.database_url(name))
        prepare(uri)
        ok = run(uri, args, cluster)
    print("OK: no message lost, none sent twice" if ok else "FAILED: see above")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
