"""Our public submission and bare endpoint beside django-helpdesk's, on this machine and
in the same run: issue 14's comparison, rerun.

    .venv/bin/python bench/helpdesk_side_by_side.py [--backend sqlite|postgresql|both]
                                                    [--tickets 200000] [--seconds 10]

django-helpdesk 2.6.1 on Django 5.2 goes into a virtualenv of its own
(BENCH_LOG_DIR/helpdesk-venv, installed from the package index on the first run), with
a minimal project this script writes: helpdesk's public form as the home page, one
queue open to the public, mail to Django's in-memory backend (a message is still
rendered for every new ticket), and a trivial JSON view. Each side gets --tickets
tickets on the same backend (ours through queue_bench.build, helpdesk's through
bulk_create), then both are served by gunicorn with 2 sync workers, preload and the
access log on. 8 connections from 2 client processes (load.Client), in alternating
phases of --seconds, each after 3 unmeasured seconds:

  trivial     helpdesk's bare Django view against our /healthz
  submission  each client GETs the form once for its CSRF token, then POSTs new
              requests, every one from its own address (ours with a fresh submission
              key, as the form gives)

Prints req/s, the workers' CPU ms a request, and our figure against theirs. Exits
non-zero when a submission was not answered by a redirect on either side.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import load  # noqa: E402  (servers, HTTP client, PostgreSQL databases)
import queue_bench  # noqa: E402  (our 200,000-ticket database)

HELPDESK_REQUIREMENTS = ["django-helpdesk==2.6.1", "Django>=5.2,<5.3", "gunicorn==23.0.0",
                         "psycopg[binary]>=3.2,<3.3"]
VENV = load.LOG_DIR / "helpdesk-venv"
WARM_SECONDS = 3
_DJANGO_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

SETTINGS = '''
import os
SECRET_KEY = "bench-" + "k" * 50
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = [
    "django.contrib.admin", "django.contrib.auth", "django.contrib.contenttypes",
    "django.contrib.sessions", "django.contrib.messages", "django.contrib.staticfiles",
    "django.contrib.sites", "django.contrib.humanize", "rest_framework", "helpdesk",
]
SITE_ID = 1
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "bench_site.urls"
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [], "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request", "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages"]},
}]
if os.environ["HELPDESK_DATABASE"].startswith("/"):
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["HELPDESK_DATABASE"]}}
else:
    DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql",
                             "NAME": os.environ["HELPDESK_DATABASE"], "HOST": "127.0.0.1", "PORT": 5432,
                             "USER": os.environ.get("HELPDESK_DATABASE_USER", "postgres")}}
DATABASES["default"]["CONN_MAX_AGE"] = 600  # a connection per worker, as ours pools them
STATIC_URL = "/static/"
LOGIN_URL = "/login/"
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
HELPDESK_TEAMS_MODE_ENABLED = False
HELPDESK_PUBLIC_TICKET_QUEUE = "help"
HELPDESK_PUBLIC_TICKET_PRIORITY = 3
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
USE_TZ = True
'''

URLS = '''
from django.contrib.auth import views as auth_views
from django.http import JsonResponse
from django.urls import include, path


def trivial(request):
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("trivial", trivial),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("", include("helpdesk.urls", namespace="helpdesk")),
]
'''

WSGI = '''
import os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench_site.settings")
from django.core.wsgi import get_wsgi_application
application = get_wsgi_application()
'''

FILL = '''
import os, random, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench_site.settings")
import django
django.setup()
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from helpdesk.models import Queue, Ticket
call_command("migrate", verbosity=0)
queue, _ = Queue.objects.get_or_create(slug="help", defaults={"title": "Help",
                                                               "allow_public_submission": True})
now, rng, batch = timezone.now(), random.Random(14), []
for i in range(int(sys.argv[1])):
    batch.append(Ticket(title=f"Can ho tro {i}", queue=queue, submitter_email=f"r{i}@example.vn",
                        description="Can huong dan cai dat va kich hoat ung dung",
                        status=rng.choice([1, 1, 3, 4]), priority=3, created=now, modified=now,
                        secret_key=f"{i:032x}"))
    if len(batch) == 5000:
        Ticket.objects.bulk_create(batch)
        batch = []
Ticket.objects.bulk_create(batch)
with connection.cursor() as cursor:
    cursor.execute("ANALYZE")
'''


def helpdesk_venv() -> Path:
    python = VENV / "bin" / "python"
    if not (VENV / "bin" / "gunicorn").exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *HELPDESK_REQUIREMENTS], check=True)
    return VENV / "bin"


def helpdesk_project(folder: Path, database: str, tickets: int, bin_: Path) -> dict:
    site = folder / "bench_site"
    site.mkdir(parents=True)
    for name, text in (("__init__.py", ""), ("settings.py", SETTINGS), ("urls.py", URLS), ("wsgi.py", WSGI)):
        (site / name).write_text(text)
    (folder / "fill.py").write_text(FILL)
    env = {"HELPDESK_DATABASE": database, "HELPDESK_DATABASE_USER": os.environ.get("USER", "root"),
           "PYTHONPATH": str(folder)}
    subprocess.run([str(bin_ / "python"), "fill.py", str(tickets)], cwd=folder, check=True,
                   env={**os.environ, **env})
    return env


def our_wards(uri: str) -> list[str]:
    from sqlalchemy import create_engine, text

    engine = create_engine(uri.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as connection:
        keys = [f"{code}:{period}" for code, period in connection.execute(  # Ward.key
            text("SELECT code, period FROM wards WHERE is_routing_area"))]
    engine.dispose()
    return keys


def _loop(kind: str, port: int, wards: list, start_at: float, seconds: float) -> tuple[int, int]:
    """One client: (answers as expected, answers not) within the measured seconds."""
    records: list = []
    client = load.Client(port, records)
    client.fresh_identity()
    form_token = None
    if kind in ("ours_submit", "theirs_submit"):
        _, _, page = client.call("form", "GET", "/")
        form_token = load.csrf_of(page) if kind == "ours_submit" else _DJANGO_CSRF.search(page).group(1)
    time.sleep(max(0.0, start_at - time.time()))
    good = bad = 0
    while time.time() < start_at + seconds:
        client.address = load.fresh_address()
        if kind == "ours_submit":
            status, _, _ = client.call(kind, "POST", "/", load.resident_form(
                form_token, {"wards": wards, "categories": ["vneid"]}))
            expected = 302
        elif kind == "theirs_submit":
            status, _, _ = client.call(kind, "POST", "/", {
                "csrfmiddlewaretoken": form_token, "title": "Cần hỗ trợ cài VNeID",
                "body": "Cần hướng dẫn cài đặt và kích hoạt ứng dụng",
                "submitter_email": f"r{random.randrange(10**9)}@example.vn"})
            expected = 302
        else:
            status, _, _ = client.call(kind, "GET", "/healthz" if kind == "ours_trivial" else "/trivial")
            expected = 200
        if time.time() <= start_at + seconds:
            good, bad = (good + 1, bad) if status == expected else (good, bad + 1)
    return good, bad


def _group(kind, port, wards, start_at, seconds, threads):
    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        results = list(pool.map(lambda _: _loop(kind, port, wards, start_at, seconds), range(threads)))
    return sum(g for g, _ in results), sum(b for _, b in results)


def phase(kind: str, server, wards: list, seconds: float, connections: int = 8) -> tuple[float, float, int]:
    """req/s answered as expected, the workers' CPU ms a request, answers not as expected."""
    start_at = time.time() + 1.0
    halves = [connections // 2, connections - connections // 2]
    with concurrent.futures.ProcessPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(_group, kind, server.port, wards, start_at, seconds, n) for n in halves]
        time.sleep(max(0.0, start_at - time.time()))
        cpu = server.cpu_seconds()
        time.sleep(max(0.0, start_at + seconds - time.time()))
        cpu = server.cpu_seconds() - cpu
        results = [f.result() for f in futures]
    good, bad = sum(g for g, _ in results), sum(b for _, b in results)
    return good / seconds, cpu / max(good, 1) * 1000, bad


def side_by_side(backend: str, args) -> int:
    bin_ = helpdesk_venv()
    folder = Path(tempfile.mkdtemp(prefix="helpdesk-bench-"))
    theirs_db = str(folder / "helpdesk.sqlite3") if backend == "sqlite" else f"helpdesk_bench_{os.getpid()}"
    if backend == "postgresql":
        load.create_database(theirs_db)
    servers = []
    failures = 0
    try:
        with queue_bench.bench_database(backend, "helpdesk") as uri:
            started = time.perf_counter()
            queue_bench.build(uri, args.tickets)
            wards = our_wards(uri)
            helpdesk_env = helpdesk_project(folder, theirs_db, args.tickets, bin_)
            print(f"\n{backend}: {args.tickets:,} tickets on each side (built in "
                  f"{time.perf_counter() - started:.0f} s); load average {os.getloadavg()[0]:.1f}")
            ours = load.Server(f"side-ours-{backend}", "wsgi:app", {
                "DATABASE_URL": uri, "SECRET_KEY": load.SECRET_KEY, "PROXY_HOPS": "1",
                "PUBLIC_BASE_URL": load.PUBLIC_BASE_URL, "WEB_CONCURRENCY": "2",
                "GUNICORN_ACCESS_LOG": "-", "REDIS_URL": ""})
            servers.append(ours)
            theirs = load.Server(f"side-helpdesk-{backend}", "bench_site.wsgi", helpdesk_env, command=[
                str(bin_ / "gunicorn"), "--workers", "2", "--worker-class", "sync", "--preload",
                "--access-logfile", "-", "--max-requests", "5000"], cwd=folder)
            servers.append(theirs)
            print("  phase              req/s  workers' CPU ms a request")
            figures: dict[str, list[tuple[float, float]]] = {}
            for kind, server in (("theirs_trivial", theirs), ("ours_trivial", ours),
                                 ("theirs_submit", theirs), ("ours_submit", ours)) * 2:
                phase(kind, server, wards, WARM_SECONDS)
                rate, cpu, bad = phase(kind, server, wards, args.seconds)
                failures += bad
                figures.setdefault(kind, []).append((rate, cpu))
                print(f"  {kind:<16}{rate:>9.0f}{cpu:>10.2f}" + (f"   {bad} not as expected" if bad else ""),
                      flush=True)
            for what in ("trivial", "submit"):
                ours_best = max(figures[f"ours_{what}"])
                theirs_best = max(figures[f"theirs_{what}"])
                print(f"  {what}: ours {ours_best[0]:.0f} req/s against helpdesk's {theirs_best[0]:.0f} "
                      f"({ours_best[0] / theirs_best[0]:.2f}×); CPU a request {ours_best[1]:.2f} ms "
                      f"against {theirs_best[1]:.2f} ({theirs_best[1] / ours_best[1]:.2f}× less)")
    finally:
        for server in servers:
            server.stop()
        if backend == "postgresql":
            load.drop_database(theirs_db)
        shutil.rmtree(folder, ignore_errors=True)
    return failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="sqlite")
    parser.add_argument("--tickets", type=int, default=200_000)
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()
    import logging

    logging.disable(logging.INFO)
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    failures = sum(side_by_side(backend, args) for backend in backends)
    if failures:
        print(f"FAILED: {failures} answers were not the expected redirect or 200")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
