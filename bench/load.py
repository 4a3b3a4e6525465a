"""Load and faults against gunicorn on loopback, with PostgreSQL and Redis.

    .venv/bin/python bench/load.py steady [--seconds 60] [--phase-seconds 15] [--clients 12]
    .venv/bin/python bench/load.py faults [--seconds 30] [--clients 12] [--only kill postgresql redis reload]

Both start a PostgreSQL cluster of their own (initdb in a temporary folder, a free
loopback port; --shared-postgresql uses BENCH_ADMIN_URL's server instead, stopped with
pg_ctlcluster), create a database there, migrate and seed it (the city, 2 volunteers
per team, a coordinator, 270 open tickets), and start `gunicorn -c gunicorn.conf.py
wsgi:app` (PROXY_HOPS=1, REDIS_URL on Redis database 13) and, for `steady`, the ceiling
app (bench/ceiling_app.py: one indexed query, same gunicorn settings) on loopback ports.

steady: in the same run, each for --phase-seconds with --clients closed-loop clients:
  ceiling   GET /ceiling on the minimal app
  submit    POST / (the public form; the CSRF token fetched once per client)
  queue     GET the volunteers' queue page (signed in)
then the mix for --seconds: residents (form, submit, confirmation, track, status; one
in five taps "send" 2 to 10 times at once: the same session, token and submission key
on as many connections), volunteers (queue, ticket, claim) and coordinators (map,
dashboard).
faults: the mix for --seconds once per scenario; at a third of each run: kill -9 one
gunicorn worker / stop PostgreSQL for 10 s with submissions in flight (always started
again, even on failure) / stop Redis (restarted 10 s later) / kill -HUP the master
(graceful reload). --only picks scenarios.

A resident without an answer resubmits the same form (same submission key) after 1,
2, 4, then every 5 seconds, for up to 40 s. Afterwards: every acknowledged submission must be in the
database exactly once, under the one reference every copy of it was shown, and every
submission acknowledged. Exits non-zero on any lost, duplicated or failed (500)
request. Each simulated resident comes from its own address (X-Forwarded-For, read
from the one trusted hop), so rate limits do not throttle the bench; they are still
checked in Redis on every request. Only loopback traffic.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import http.client
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BIN = ROOT / ".venv" / "bin"
ADMIN_URL = os.environ.get("BENCH_ADMIN_URL", "postgresql://127.0.0.1:5432/test")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
PASSWORD = "bench-mat-khau-2026"
SECRET_KEY = "bench-" + uuid.uuid4().hex
# Every server here answers on 127.0.0.1 (the port does not count for trusted hosts).
PUBLIC_BASE_URL = "http://127.0.0.1"
LOG_DIR = Path(os.environ.get("BENCH_LOG_DIR", "/tmp/volunteer-bench"))
PG_BIN = Path(os.environ.get("BENCH_PG_BIN", "/usr/lib/postgresql/15/bin"))
# The machine's own cluster (Debian's pg_ctlcluster), for --shared-postgresql.
SHARED_PG = ("pg_ctlcluster", "--skip-systemctl-redirect", "15", "main")
PG_DOWN_SECONDS = 10
REDIS_START = ["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1", "--port", "6379",
               "--save", "", "--appendonly", "no", "--dir", "/var/lib/redis",
               "--logfile", "/var/log/redis/ci.log"]
LOG_SIGNS = {
    "tracebacks": "Traceback",
    "'database unavailable' (503)": "database unavailable",
    "'connection lost while closing'": "connection lost while closing",
    "rate-limit fallbacks to memory": "falling back to in-memory",
    "rate-limit storage recoveries": "Rate limit storage recovered",
    "worker timeouts": "WORKER TIMEOUT",
}
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_REFERENCE = re.compile(r"/submitted/([A-Z]+-[A-Z0-9]{6})")


# --- setup -------------------------------------------------------------------------

class PrivatePostgreSQL:
    """A PostgreSQL cluster of the bench's own (initdb in a temporary folder, a free
    loopback port, run as the postgres user), so stopping it for the outage scenario
    disturbs nobody else using the machine's server. ADMIN_URL points at it meanwhile."""

    def __init__(self):
        import tempfile

        self.folder = Path(tempfile.mkdtemp(prefix="volunteer-bench-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()

    def _as_postgres(self, *command: str) -> subprocess.CompletedProcess:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        return subprocess.run(prefix + list(command), capture_output=True, text=True)

    def __enter__(self):
        global ADMIN_URL
        shutil.chown(self.folder, "postgres") if os.geteuid() == 0 else None
        result = self._as_postgres(str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust",
                                   "-U", "postgres", "--no-sync")
        if result.returncode:
            raise RuntimeError(f"initdb failed: {result.stderr[-400:]}")
        self.start()
        ADMIN_URL = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        return self

    def start(self) -> None:
        result = self._as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l",
                                   str(self.folder / "server.log"), "-w", "-o",
                                   f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1",
                                   "start")
        if result.returncode:
            raise RuntimeError(f"pg_ctl start failed: {result.stderr[-400:]}")

    def stop(self) -> None:
        self._as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def __exit__(self, *exc):
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)
        return False


def postgresql_outage(postgresql, outage: dict, started: float,
                      seconds: float = PG_DOWN_SECONDS) -> None:
    """Stop PostgreSQL, keep it down `seconds`, start it again (always, even on
    failure); outage["down"] and outage["up"] get the times. Shared with
    bench/notify_bench.py, whose worker and submissions run through the same restart."""
    began = time.time()
    try:
        postgresql.stop()
        outage["down"] = time.time()
        print(f"  t={outage['down'] - started:.1f}s PostgreSQL stopped "
              f"(took {outage['down'] - began:.1f}s)")
        time.sleep(seconds)
    finally:
        outage["up"] = time.time()
        outage.setdefault("down", outage["up"])
        postgresql.start()
    print(f"  t={outage['up'] - started:.1f}s PostgreSQL starting again; down "
          f"{outage['up'] - outage['down']:.1f}s; accepting at t={time.time() - started:.1f}s")


class SharedPostgreSQL:
    """The machine's cluster, stopped and started with Debian's pg_ctlcluster."""

    def __enter__(self):
        return self

    def start(self) -> None:
        subprocess.run([*SHARED_PG, "start"], capture_output=True)

    def stop(self) -> None:
        subprocess.run([*SHARED_PG, "stop", "-m", "fast"], capture_output=True)

    def __exit__(self, *exc):
        self.start()  # whatever happened, leave it running
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url(name: str) -> str:
    base, _, _ = ADMIN_URL.rpartition("/")
    return f"{base}/{name}"


def create_database(name: str) -> None:
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(name: str) -> None:
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def prepare(url: str) -> dict:
    """Migrate, seed, add staff and open tickets; return the URLs and accounts."""
    from flask import url_for
    from flask_migrate import upgrade
    from sqlalchemy import text

    from volunteer import create_app, geo, tickets
    from volunteer.extensions import db
    from volunteer.models import Category, Team, User, Ward
    from volunteer.seeding import seed_city

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET_KEY,
                      "PUBLIC_BASE_URL": PUBLIC_BASE_URL, "RATELIMIT_STORAGE_URI": "lazy-memory://"})
    info: dict = {"volunteers": [], "coordinators": []}
    with app.app_context():
        upgrade()
        seed_city(geo.load_city(app.config["CITY_FILE"]))
        db.session.commit()
        teams = db.session.query(Team).order_by(Team.id).all()
        number = 0
        for team in teams:
            for _ in range(2):
                number += 1
                user = User(name=f"TNV {number}", phone=f"+8490{number:07d}", role="volunteer",
                            team_id=team.id)
                user.set_password(PASSWORD)
                db.session.add(user)
                info["volunteers"].append(user.phone)
        coordinator = User(name="Điều phối", phone="+84909999999", role="coordinator")
        coordinator.set_password(PASSWORD)
        db.session.add(coordinator)
        info["coordinators"].append(coordinator.phone)
        db.session.flush()
        wards = db.session.query(Ward).filter(Ward.is_routing_area.is_(True)).all()
        categories = db.session.query(Category).all()
        for ward in wards:
            for i in range(30):
                tickets.create_ticket(tickets.Request(
                    name=f"Cư dân {ward.code}-{i}", phone=f"+8491{random.randrange(10**7):07d}",
                    category_id=random.choice(categories).id, description="Cần hỗ trợ VNeID",
                    address=f"{i + 1} Lê Duẩn", ward_id=ward.id, channel="phone"))
        db.session.execute(text("CREATE TABLE bench_writes (id serial PRIMARY KEY, reference text)"))
        db.session.commit()
        info["wards"] = [w.key for w in wards]
        info["categories"] = [c.code for c in categories]
        views = app.view_functions
        with app.test_request_context(base_url=PUBLIC_BASE_URL):  # the one trusted host
            info["login"] = url_for("auth.login") if "auth.login" in views else None
            info["queue"] = url_for("volunteers.queue") if "volunteers.queue" in views else None
            info["ticket"] = (url_for("volunteers.ticket", reference="REF")
                              if "volunteers.ticket" in views else None)
            info["claim"] = (url_for("volunteers.act", reference="REF", action="claim")
                             if "volunteers.act" in views else None)
            info["map"] = url_for("coordinator.map") if "coordinator.map" in views else None
            info["dashboard"] = (url_for("coordinator.dashboard")
                                 if "coordinator.dashboard" in views else None)
        db.session.remove()
        db.engine.dispose()
    return info


def _cpu_ticks(pid: int, fields: tuple[int, ...]) -> int:
    try:
        values = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return sum(int(values[i]) for i in fields)


def postgresql_cpu_ticks() -> dict[int, int]:
    """CPU ticks spent so far by each of this machine's PostgreSQL processes."""
    ticks = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                is_postgres = (entry / "comm").read_text().strip() == "postgres"
            except OSError:
                continue
            if is_postgres:
                ticks[int(entry.name)] = _cpu_ticks(int(entry.name), (11, 12))
    return ticks


def postgresql_cpu_seconds_since(before: dict[int, int]) -> float:
    """PostgreSQL's CPU since `before` (postgresql_cpu_ticks()): backends that ended in
    between are not counted, ones that began are, from their start."""
    now = postgresql_cpu_ticks()
    spent = sum(ticks - before.get(pid, 0) for pid, ticks in now.items())
    return spent / os.sysconf("SC_CLK_TCK")


class Server:
    """One gunicorn master on a loopback port, with its log in LOG_DIR."""

    def __init__(self, name: str, target: str, env: dict, command: list[str] | None = None,
                 cwd: Path = ROOT):
        """Our gunicorn with our gunicorn.conf.py serving `target`; or `command`, run in
        `cwd` with the port appended as `--bind` (another project's gunicorn)."""
        self.name = name
        self.port = free_port()
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        self.log_path = LOG_DIR / f"{name}.log"
        self.log = open(self.log_path, "w")
        full_env = {**os.environ, **env, "GUNICORN_BIND": f"127.0.0.1:{self.port}",
                    "PYTHONPATH": str(cwd)}
        if command is None:
            command = [str(BIN / "gunicorn"), "--config", str(ROOT / "gunicorn.conf.py"), target]
        else:
            command = [*command, "--bind", f"127.0.0.1:{self.port}", target]
        self.process = subprocess.Popen(
            command, cwd=cwd, env=full_env, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True)
        self.wait_ready()

    def wait_ready(self, path: str = "/", timeout: float = 60) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/healthz")
                conn.getresponse().read()
                conn.close()
                return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"{self.name} did not start; see {self.log_path}")

    def workers(self) -> list[int]:
        try:
            text = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text()
        except OSError:
            return []
        return [int(pid) for pid in text.split()]

    def cpu_seconds(self) -> float:
        """CPU (user + system) spent so far by the workers: the live ones, and the ones
        gunicorn recycled (max_requests) and reaped, counted in the master's cutime.
        Steadier than a rate on a shared machine: neighbours slow the server down more
        than they change what each request costs it."""
        # After the ")" of the command name: utime, stime are fields 12, 13; cutime, cstime 14, 15.
        live = sum(_cpu_ticks(pid, (11, 12)) for pid in self.workers())
        return (live + _cpu_ticks(self.process.pid, (13, 14))) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()


# --- the client --------------------------------------------------------------------

def fresh_address() -> str:
    """A client address of its own (sent as X-Forwarded-For): per-address limits never bite."""
    return f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"


class Client:
    """A browser, roughly: one keep-alive connection, cookies, a source address."""

    def __init__(self, port: int, records: list, address: str | None = None):
        self.port = port
        self.records = records
        self.cookies: dict[str, str] = {}
        self.address = address
        self.conn: http.client.HTTPConnection | None = None

    def fresh_identity(self) -> None:
        self.cookies = {}
        self.address = fresh_address()

    def call(self, label: str, method: str, path: str, form: dict | None = None,
             ok_statuses=()) -> tuple[int, dict, str]:
        headers = {"Accept": "text/html"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self.address:
            headers["X-Forwarded-For"] = self.address
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            text = response.read().decode("utf-8", "replace")
            status = response.status
            response_headers = {k.lower(): v for k, v in response.getheaders()}
            for value in response.headers.get_all("Set-Cookie") or []:
                cookie = SimpleCookie()
                cookie.load(value)
                for key, morsel in cookie.items():
                    self.cookies[key] = morsel.value
            if response_headers.get("connection", "").lower() == "close":
                self.conn.close()
                self.conn = None
        except (OSError, http.client.HTTPException):
            status, response_headers, text = 0, {}, ""
            if self.conn is not None:
                self.conn.close()
            self.conn = None
        elapsed = (time.perf_counter() - started) * 1000
        good = 200 <= status < 400 or status in ok_statuses
        self.records.append((label, status, elapsed, time.time(), good))
        return status, response_headers, text


def csrf_of(text: str) -> str | None:
    match = _CSRF.search(text)
    return match.group(1) if match else None


def resident_form(csrf: str, info: dict) -> dict:
    return {
        "csrf_token": csrf,
        "name": random.choice(["Nguyễn Thị Lan", "Trần Văn Hùng", "Lê Thị Hoa", "Phạm Minh"]),
        "phone": f"091{random.randrange(10**7):07d}",
        "ward": random.choice(info["wards"]),
        "address": f"{random.randrange(1, 300)} Hùng Vương",
        "category": random.choice(info["categories"]),
        "description": "Cần hướng dẫn cài đặt và kích hoạt ứng dụng",
        "consent": "y",
        "notify_channel": "sms",  # checked by default, so a browser sends it
        "submission_key": "bench" + uuid.uuid4().hex,
        "lat": "", "lon": "", "location_source": "", "via": "",
    }


DOUBLE_SUBMIT_SHARE = 0.2  # residents who tap "send" several times
GIVE_UP_SECONDS = 40  # a resident who still has no answer after this has lost the request


def submit(client: Client, form: dict, submissions: dict, label: str = "submit") -> str | None:
    """POST the form; on a failure that may not have reached the database (a 503 page, a
    cut connection, a 500), resubmit the same form (same submission key) a little
    later, as a resident would, for up to GIVE_UP_SECONDS."""
    submissions["attempted"].append(form["submission_key"])
    given_up_at = time.time() + GIVE_UP_SECONDS
    attempt = 0
    while time.time() < given_up_at:
        status, headers, _ = client.call(label if attempt == 0 else label + "_retry", "POST", "/", form)
        attempt += 1
        if status == 302:
            match = _REFERENCE.search(headers.get("location", ""))
            if match:
                submissions["accepted"].append((form["submission_key"], match.group(1)))
                return match.group(1)
            break
        if status in (0, 500, 502, 503):
            time.sleep(min(2 ** attempt / 2, 5))  # 1, 2, 4, 5, 5… seconds, as people wait longer
            continue
        break
    submissions["lost"].append(form["submission_key"])
    return None


def submit_copies(client: Client, form: dict, submissions: dict, copies: int) -> str | None:
    """A double tap, `copies` times over: the same form (same session, CSRF token and
    submission key) sent at once on as many connections. Every copy must answer the
    same confirmation."""
    submissions["attempted"].append(form["submission_key"])
    start = threading.Barrier(copies)
    answers: list = [None] * copies

    def send(index):
        twin = Client(client.port, client.records, client.address)
        twin.cookies = dict(client.cookies)
        start.wait()
        status, headers, _ = twin.call("double_submit", "POST", "/", form)
        match = _REFERENCE.search(headers.get("location", "")) if status == 302 else None
        answers[index] = (status, match.group(1) if match else None)
        if twin.conn is not None:
            twin.conn.close()

    threads = [threading.Thread(target=send, args=(i,)) for i in range(copies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    references = {reference for _, reference in answers if reference}
    for reference in references:
        submissions["accepted"].append((form["submission_key"], reference))
    if all(reference for _, reference in answers) and len(references) == 1:
        return references.pop()
    if len(references) > 1 or any(status == 500 for status, _ in answers):
        return None  # counted: two references for one key, or an error page
    # Copies refused for another reason (an outage's 503): the resident sends it again.
    return submit(client, form, submissions)


def sign_in(client: Client, info: dict, phone: str) -> bool:
    if not info["login"]:
        return False
    _, _, page = client.call("login_form", "GET", info["login"])
    csrf = csrf_of(page)
    status, _, _ = client.call("login", "POST", info["login"],
                               {"csrf_token": csrf or "", "login": phone, "password": PASSWORD})
    return status == 302


def run_resident(port, info, deadline, records, submissions):
    client = Client(port, records)
    while time.time() < deadline:
        client.fresh_identity()
        _, _, page = client.call("form", "GET", "/")
        csrf = csrf_of(page)
        if not csrf:
            time.sleep(0.2)
            continue
        form = resident_form(csrf, info)
        if random.random() < DOUBLE_SUBMIT_SHARE:
            reference = submit_copies(client, form, submissions, random.randint(2, 10))
        else:
            reference = submit(client, form, submissions)
        if not reference:
            continue
        client.call("submitted", "GET", f"/submitted/{reference}")
        client.call("track", "POST", "/track", {"csrf_token": csrf, "reference": reference,
                                                 "phone_last4": form["phone"][-4:]})
        client.call("status", "GET", f"/track/{reference}")


def run_volunteer(port, info, deadline, records, phone):
    client = Client(port, records, address=f"10.200.{random.randrange(256)}.1")
    if not info["queue"] or not sign_in(client, info, phone):
        return
    pattern = re.compile(re.escape(info["ticket"]).replace("REF", r"([A-Z]+-[A-Z0-9]{6})") + '"')
    while time.time() < deadline:
        status, _, page = client.call("queue", "GET", info["queue"])
        if status == 0 or status >= 500:
            time.sleep(0.5)
            continue
        references = pattern.findall(page)
        if not references or not info["claim"]:
            continue
        reference = random.choice(references)
        _, _, page = client.call("ticket", "GET", info["ticket"].replace("REF", reference))
        csrf = csrf_of(page)
        if csrf and "/claim" in page:
            # 409: another volunteer won the race; that is the design, not an error.
            client.call("claim", "POST", info["claim"].replace("REF", reference),
                        {"csrf_token": csrf}, ok_statuses=(409,))


def run_coordinator(port, info, deadline, records, phone):
    client = Client(port, records, address=f"10.201.{random.randrange(256)}.1")
    if not info["map"] or not sign_in(client, info, phone):
        return
    while time.time() < deadline:
        status, _, _ = client.call("map", "GET", info["map"])
        if status == 0 or status >= 500:
            time.sleep(0.5)
        if info["dashboard"]:
            client.call("dashboard", "GET", info["dashboard"])


def run_ceiling(port, deadline, records):
    client = Client(port, records)
    while time.time() < deadline:
        client.call("ceiling", "GET", "/ceiling")


def run_ceiling_write(port, deadline, records):
    client = Client(port, records)
    while time.time() < deadline:
        client.call("ceiling_write", "POST", "/ceiling-write", {})


def run_submit_only(port, info, deadline, records, submissions):
    client = Client(port, records)
    client.fresh_identity()
    _, _, page = client.call("form", "GET", "/")
    csrf = csrf_of(page)
    while time.time() < deadline:
        client.address = fresh_address()
        submit(client, resident_form(csrf, info), submissions)


def run_queue_only(port, info, deadline, records, phone):
    client = Client(port, records, address=f"10.202.{random.randrange(256)}.1")
    if not info["queue"] or not sign_in(client, info, phone):
        return
    while time.time() < deadline:
        client.call("queue", "GET", info["queue"])


def total_of_threads(threads: int, work) -> int:
    """Run `work(i)` in `threads` threads at once; the sum of what they return."""
    results = [0] * threads

    def one(i):
        results[i] = work(i)

    pool = [threading.Thread(target=one, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return sum(results)


def run_group(kind: str, port: int, info: dict, deadline: float, users: list) -> tuple:
    """In a child process: one thread per simulated user; returns records and accepted."""
    records: list = []
    submissions: dict = {"accepted": [], "attempted": [], "lost": []}
    threads = []
    for role, phone in users:
        if kind == "ceiling":
            target, args = run_ceiling, (port, deadline, records)
        elif kind == "ceiling_write":
            target, args = run_ceiling_write, (port, deadline, records)
        elif kind == "submit":
            target, args = run_submit_only, (port, info, deadline, records, submissions)
        elif kind == "queue":
            target, args = run_queue_only, (port, info, deadline, records, phone)
        elif role == "resident":
            target, args = run_resident, (port, info, deadline, records, submissions)
        elif role == "volunteer":
            target, args = run_volunteer, (port, info, deadline, records, phone)
        else:
            target, args = run_coordinator, (port, info, deadline, records, phone)
        thread = threading.Thread(target=target, args=args, daemon=True)
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join(timeout=max(1, deadline - time.time() + 60))
    return records, submissions


def drive(kind: str, port: int, info: dict, seconds: float, clients: int, during=None) -> tuple:
    """Run `clients` simulated users in 2 processes for `seconds`; `during(started)`
    runs in this process meanwhile (fault injection). Returns records, accepted, span."""
    if kind == "mix":
        residents = max(1, clients // 2)
        volunteers = max(1, clients // 3)
        coordinators = max(1, clients - residents - volunteers)
        users = ([("resident", None)] * residents
                 + [("volunteer", p) for p in (info["volunteers"] * 4)[:volunteers]]
                 + [("coordinator", info["coordinators"][0])] * coordinators)
    elif kind == "queue":
        users = [("volunteer", p) for p in (info["volunteers"] * 4)[:clients]]
    else:
        users = [(kind, None)] * clients
    random.shuffle(users)
    groups = [users[0::2], users[1::2]]
    started = time.time()
    deadline = started + seconds
    with concurrent.futures.ProcessPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(run_group, kind, port, info, deadline, group) for group in groups if group]
        if during is not None:
            during(started)
        results = [f.result() for f in futures]
    records = [r for rec, _ in results for r in rec]
    submissions = {kind: [item for _, sub in results for item in sub[kind]]
                   for kind in ("accepted", "attempted", "lost")}
    return records, submissions, time.time() - started


# --- figures -----------------------------------------------------------------------

def summarize(title: str, records: list, span: float) -> dict:
    by_label = defaultdict(list)
    for label, status, elapsed, _, good in records:
        by_label[label].append((status, elapsed, good))
    print(f"\n{title} ({span:.0f} s, {len(records)} requests, {len(records) / span:.0f} req/s)")
    print(f"  {'page':<14}{'count':>7}{'req/s':>9}{'median ms':>11}{'p95 ms':>9}  errors")
    figures = {}
    for label in sorted(by_label):
        rows = by_label[label]
        times = sorted(e for _, e, _ in rows)
        median = statistics.median(times)
        p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
        errors = Counter(s for s, _, good in rows if not good)
        rate = len(rows) / span
        figures[label] = rate
        shown = ", ".join(f"{s or 'conn'}×{n}" for s, n in sorted(errors.items())) or "0"
        print(f"  {label:<14}{len(rows):>7}{rate:>9.1f}{median:>11.1f}{p95:>9.1f}  {shown}")
    return figures


def check_accepted(url: str, submissions: dict) -> int:
    """Every acknowledged submission is in the database, once, under the reference its
    resident was shown (every copy of a double submit shown the same one); every
    submission was acknowledged. Returns the number of problems."""
    accepted, attempted = submissions["accepted"], set(submissions["attempted"])
    import psycopg

    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT submission_key, reference FROM tickets WHERE submission_key LIKE 'bench%'"
        ).fetchall()
    stored = Counter(key for key, _ in rows)
    by_key = dict(rows)
    shown: dict[str, set] = defaultdict(set)
    for key, reference in accepted:
        shown[key].add(reference)
    missing = [k for k in shown if k not in by_key]
    wrong = [k for k, refs in shown.items() if k in by_key and refs != {by_key[k]}]
    duplicated = [k for k, n in stored.items() if n > 1]
    lost = [k for k in submissions["lost"] if k not in shown]
    unacknowledged = [k for k in by_key if k in attempted and k not in shown]
    print(f"\n  submissions sent: {len(attempted)}; acknowledged: {len(shown)} "
          f"(from {len(accepted)} answers); in the database: {len(shown) - len(missing)}; "
          f"missing: {len(missing)}; shown another or a second reference: {len(wrong)}; "
          f"stored twice: {len(duplicated)}; never acknowledged (lost to the resident): {len(lost)}, "
          f"of which stored: {len(unacknowledged)}")
    return len(missing) + len(wrong) + len(duplicated) + len(lost)


def server_errors(records: list) -> int:
    """500s: a request the app failed, whatever the fault around it."""
    errors = sum(1 for _, status, _, _, _ in records if status == 500)
    if errors:
        print(f"  500 answers: {errors}")
    return errors


def timeline(records: list, started: float, labels=None, step: float = 2.0) -> None:
    """Per-step status counts, to see a fault and the recovery."""
    buckets = defaultdict(Counter)
    for label, status, _, ended, good in records:
        if labels and label not in labels:
            continue
        buckets[int((ended - started) // step)][("ok" if good else str(status or "conn"))] += 1
    print("  timeline (per %gs): " % step + "  ".join(
        f"{int(b * step)}s:" + ",".join(f"{k}={v}" for k, v in sorted(c.items()))
        for b, c in sorted(buckets.items())))


# --- the two scripts ----------------------------------------------------------------

class Setup:
    def __init__(self, with_ceiling: bool):
        self.name = f"volunteer_bench_{os.getpid()}"
        self.url = database_url(self.name)
        self.servers: list[Server] = []
        self.with_ceiling = with_ceiling

    def __enter__(self):
        print(f"database {self.name}; logs in {LOG_DIR}")
        create_database(self.name)
        self.info = prepare(self.url)
        env = {"DATABASE_URL": self.url, "REDIS_URL": REDIS_URL, "SECRET_KEY": SECRET_KEY,
               "PUBLIC_BASE_URL": PUBLIC_BASE_URL, "PROXY_HOPS": "1", "GUNICORN_ACCESS_LOG": "-"}
        self.app = Server("app", "wsgi:app", env)
        self.servers.append(self.app)
        if self.with_ceiling:
            self.ceiling = Server("ceiling", "bench.ceiling_app:app", env)
            self.servers.append(self.ceiling)
        # The first worker answers /healthz while the master is still forking the others.
        expected = int(os.environ.get("WEB_CONCURRENCY", (os.cpu_count() or 1) * 2 + 1))
        deadline = time.time() + 10
        while len(self.app.workers()) < expected and time.time() < deadline:
            time.sleep(0.1)
        workers = len(self.app.workers())
        print(f"gunicorn: {workers} workers per server, {os.cpu_count()} CPUs; "
              f"pages found: " + ", ".join(k for k in ("login", "queue", "claim", "map", "dashboard")
                                           if self.info.get(k)))
        return self

    def __exit__(self, *exc):
        for server in self.servers:
            server.stop()
        try:
            import redis

            client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
            for key in client.scan_iter("LIMITS*"):
                client.delete(key)
            client.close()
        except Exception as error:  # the bench's own Redis database; report, go on
            print(f"could not clear the bench's rate-limit keys: {error}")
        drop_database(self.name)
        return False


def steady(args) -> int:
    problems = 0
    with Setup(with_ceiling=True) as setup:
        port, info = setup.app.port, setup.info
        phase = args.phase_seconds
        records, _, span = drive("ceiling", setup.ceiling.port, info, phase, args.clients)
        ceiling = summarize("ceiling: minimal Flask + one indexed query", records, span)["ceiling"]
        records, _, span = drive("ceiling_write", setup.ceiling.port, info, phase, args.clients)
        write_ceiling = summarize("write ceiling: minimal Flask + one INSERT and commit",
                                  records, span)["ceiling_write"]
        records, submitted_alone, span = drive("submit", port, info, phase, args.clients)
        submit_rate = summarize("submission alone (POST /)", records, span).get("submit", 0)
        problems += server_errors(records) + check_accepted(setup.url, submitted_alone)
        queue_rate = 0.0
        if info["queue"]:
            records, _, span = drive("queue", port, info, phase, args.clients)
            queue_rate = summarize("volunteer queue page alone", records, span).get("queue", 0)
            problems += server_errors(records)
        print(f"\n  ratios to the ceiling ({ceiling:.0f} req/s): submission {submit_rate / ceiling:.0%}, "
              f"queue {queue_rate / ceiling:.0%}; submission to the write ceiling "
              f"({write_ceiling:.0f} req/s): {submit_rate / write_ceiling:.0%}")
        records, submitted, span = drive("mix", port, info, args.seconds, args.clients)
        summarize(f"steady mix, {args.clients} clients", records, span)
        problems += server_errors(records)
        problems += check_accepted(setup.url, {k: submitted_alone[k] + submitted[k] for k in submitted})
    return problems


def faults(args, postgresql) -> int:
    problems = 0
    with Setup(with_ceiling=False) as setup:
        port, info = setup.app.port, setup.info
        at = args.seconds / 3
        everything = {"accepted": [], "attempted": [], "lost": []}
        seen: dict = {}
        outage: dict = {}

        def kill_worker(started):
            time.sleep(max(0, started + at - time.time()))
            before = setup.app.workers()
            victim = random.choice(before)
            os.kill(victim, signal.SIGKILL)
            killed_at = time.time()
            print(f"  t={killed_at - started:.1f}s kill -9 worker {victim} ({len(before)} workers)")
            # The master reaps the victim and forks a replacement: wait for a new pid.
            while not (set(setup.app.workers()) - set(before)) and time.time() - killed_at < 30:
                time.sleep(0.02)
            print(f"  replacement worker forked after {time.time() - killed_at:.2f}s; "
                  f"workers now {len(setup.app.workers())}")

        def stop_postgresql(started):
            time.sleep(max(0, started + at - time.time()))
            postgresql_outage(postgresql, outage, started)

        def reload_gracefully(started):
            time.sleep(max(0, started + at - time.time()))
            before = set(setup.app.workers())
            setup.app.process.send_signal(signal.SIGHUP)
            sent = time.time()
            print(f"  t={sent - started:.1f}s kill -HUP master (graceful reload of {len(before)} workers)")
            while (set(setup.app.workers()) & before) and time.time() - sent < 60:
                time.sleep(0.05)
            print(f"  every worker replaced after {time.time() - sent:.1f}s")

        def stop_redis(started):
            time.sleep(max(0, started + at - time.time()))
            began = time.time()
            subprocess.run(["redis-cli", "-p", "6379", "shutdown", "nosave"], capture_output=True)
            print(f"  t={began - started:.1f}s Redis stopped")
            time.sleep(10)
            subprocess.run(REDIS_START, capture_output=True)
            print(f"  t={time.time() - started:.1f}s Redis started again")

        scenarios = {"kill": ("kill -9 one gunicorn worker", kill_worker),
                     "postgresql": (f"PostgreSQL down for {PG_DOWN_SECONDS} s", stop_postgresql),
                     "redis": ("stop Redis for 10 s", stop_redis),
                     "reload": ("graceful reload (kill -HUP)", reload_gracefully)}
        for name in args.only or ("kill", "postgresql", "redis", "reload"):
            title, action = scenarios[name]
            print(f"\n== fault: {title}")
            captured = {}

            def during(started, action=action):
                captured["started"] = started
                action(started)

            records, submitted, span = drive("mix", port, info, args.seconds, args.clients, during)
            summarize(f"mix during '{title}'", records, span)
            timeline(records, captured["started"])
            problems += server_errors(records)
            if name == "postgresql":
                in_outage = [r for r in records if r[0].startswith(("submit", "double_submit"))
                             and outage["down"] <= r[3] <= outage["up"]]
                print(f"  submissions answered while PostgreSQL was down: {len(in_outage)} "
                      f"({Counter(r[1] for r in in_outage)})")
                if not in_outage:
                    print("  PROBLEM: no submission was in flight during the outage")
                    problems += 1
            for kind in everything:
                everything[kind] += submitted[kind]
            problems += check_accepted(setup.url, submitted)
            with open(setup.app.log_path) as log:
                text = log.read()
            counts = {name: text.count(needle) for name, needle in LOG_SIGNS.items()}
            print("  in the app's log during this run: " + ", ".join(
                f"{counts[name] - seen.get(name, 0)} {name}" for name in LOG_SIGNS))
            seen.update(counts)
        print("\n== all fault runs together")
        problems += check_accepted(setup.url, everything)
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("script", choices=("steady", "faults"))
    parser.add_argument("--seconds", type=float, default=None)
    parser.add_argument("--phase-seconds", type=float, default=15)
    parser.add_argument("--clients", type=int, default=12)
    parser.add_argument("--only", nargs="+", choices=("kill", "postgresql", "redis", "reload"),
                        help="faults: run only these scenarios")
    parser.add_argument("--shared-postgresql", action="store_true",
                        help="use BENCH_ADMIN_URL's server (the machine's cluster, stopped with "
                             "pg_ctlcluster in the outage) instead of a private cluster")
    args = parser.parse_args()
    if args.seconds is None:
        args.seconds = 60 if args.script == "steady" else 30
    with (SharedPostgreSQL() if args.shared_postgresql else PrivatePostgreSQL()) as postgresql:
        problems = steady(args) if args.script == "steady" else faults(args, postgresql)
    print(f"\n{problems} problem(s): lost, duplicated or failed requests" if problems
          else "\nno request lost, duplicated or failed")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
