"""Alerts and the phone app's weight.

    .venv/bin/python bench/push_bench.py [--submissions 60]

1. From a resident's submission to the push: a SQLite database of its own, the city
   seeded, the nine volunteers of Phường 1's team opted in ("immediately") with one
   device each, registered at a push service on 127.0.0.1 (tests/pushservice.py) that
   checks every VAPID signature and decrypts every payload. A worker thread delivers the
   outbox (polling every 50 ms, as `flask worker --poll 0.05` would). Each round posts
   the public form (test client) and waits for the first push to arrive: the time from
   the POST to that push, median and p95, next to the POST alone (the baseline).
2. The app shell's transfer size: Debian's Chromium signs in as a volunteer and opens
   the queue in a fresh profile (first load, service worker installing), then again
   after the worker took over (later load). Bytes are counted as the server sends them,
   per path.

Exits non-zero if a push failed its signature or decryption, or a later load is not
smaller than the first.
"""
from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from werkzeug.serving import make_server  # noqa: E402

from tests.factories import make_user, submit_request_form  # noqa: E402
from tests.pushservice import PushService, b64encode  # noqa: E402
from volunteer import create_app, geo  # noqa: E402
from volunteer.extensions import db  # noqa: E402
from volunteer.notifications import worker  # noqa: E402
from volunteer.phone import alerts, push  # noqa: E402
from volunteer.seeding import seed_city  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "mat-khau-bench"


def make_app(folder: Path):
    return create_app({
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.sqlite'}",
        "SECRET_KEY": "bench-" + uuid.uuid4().hex, "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_SECURE": False, "RATELIMIT_STORAGE_URI": "lazy-memory://",
        "VAPID_KEY_FILE": str(folder / "vapid.pem"), "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False, "OUTBOX_POLL_SECONDS": 0.05,
    })


def prepare(app, service: PushService, volunteers: int = 9) -> str:
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()
        seed_city(geo.load_city(app.config["CITY_FILE"]))
        first_phone = None
        for number in range(volunteers):
            person = make_user("volunteer", "19333", phone=f"+8490077{number:04d}", password=PASSWORD)
            alerts.set_preference(person.id, "immediate", None, None)
            endpoint, device = service.new_device(f"v{number}")
            push.save_subscription(person.id, endpoint, device.p256dh, b64encode(device.auth))
            first_phone = first_phone or "0" + person.phone[3:]
        db.session.commit()
    return first_phone


def deliver_forever(app, stop: threading.Event) -> None:
    with app.app_context():
        while not stop.is_set():
            if not worker.run_batch():
                time.sleep(app.config["OUTBOX_POLL_SECONDS"])


def summary(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    return statistics.median(ordered), ordered[max(0, int(round(0.95 * len(ordered))) - 1)]


def time_pushes(app, service: PushService, submissions: int) -> tuple[list[float], list[float]]:
    client = app.test_client()
    to_push, post_only = [], []
    for _ in range(submissions):
        seen = len(service.received)
        started = time.perf_counter()
        response = submit_request_form(client, "/?ward=19333:2008", ward="19333:2008")
        posted = time.perf_counter()
        assert response.status_code in (200, 302), response.status_code
        deadline = posted + 10
        while len(service.received) == seen and time.perf_counter() < deadline:
            time.sleep(0.002)
        if len(service.received) == seen:
            raise SystemExit("a push never arrived")
        to_push.append(service.received[seen]["at"] - started)
        post_only.append(posted - started)
        # Let the round's other pushes (one per volunteer) land before the next round.
        while len(service.received) < seen + 9 and time.perf_counter() < deadline:
            time.sleep(0.002)
    return to_push, post_only


class ByteCounter:
    """WSGI middleware: bytes of each response body, by path."""

    def __init__(self, app):
        self.app, self.sent = app, defaultdict(int)

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        for chunk in self.app(environ, start_response):
            self.sent[path] += len(chunk)
            yield chunk


def shell_sizes(app, phone: str) -> tuple[dict, dict]:
    from playwright.sync_api import sync_playwright

    counter = ByteCounter(app.wsgi_app)
    app.wsgi_app = counter
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                                 args=["--no-sandbox", "--disable-gpu"])
            context = browser.new_context(viewport={"width": 390, "height": 844})
            page = context.new_page()
            page.goto(base + "/login")
            page.fill("input[name=login]", phone)
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url("**/volunteer/queue")
            page.evaluate("navigator.serviceWorker.ready.then(() => true)")
            page.wait_for_timeout(1500)  # the worker's install and first copies
            # First load: a phone with the session but no worker and no HTTP cache yet.
            fresh = browser.new_context(viewport={"width": 390, "height": 844},
                                        storage_state=context.storage_state())
            counter.sent.clear()
            fresh.new_page().goto(base + "/volunteer/queue")
            first = dict(counter.sent)
            fresh.close()
            counter.sent.clear()
            page.reload()
            page.wait_for_load_state("networkidle")
            later = dict(counter.sent)
            browser.close()
    finally:
        server.shutdown()
    return first, later


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--submissions", type=int, default=60)
    args = parser.parse_args()
    logging.getLogger("volunteer.access").disabled = True
    logging.getLogger("werkzeug").disabled = True
    logging.getLogger("volunteer.notifications.worker").disabled = True
    with tempfile.TemporaryDirectory() as folder:
        app = make_app(Path(folder))
        with app.app_context():
            service = PushService(push.public_key(app.config))
        phone = prepare(app, service)
        stop = threading.Event()
        thread = threading.Thread(target=deliver_forever, args=(app, stop), daemon=True)
        thread.start()
        try:
            to_push, post_only = time_pushes(app, service, args.submissions)
        finally:
            stop.set()
            thread.join(timeout=5)
            service.stop()
        median, p95 = summary(to_push)
        base_median, base_p95 = summary(post_only)
        print(f"submission → first push at the push service ({args.submissions} rounds, 9 devices each)")
        print(f"  submit (POST only)   median {base_median * 1000:7.1f} ms   p95 {base_p95 * 1000:7.1f} ms")
        print(f"  submit → push        median {median * 1000:7.1f} ms   p95 {p95 * 1000:7.1f} ms"
              f"   ×{median / base_median:.1f} the POST")
        print(f"  pushes received {len(service.received)}, signature/decryption errors {len(service.errors)}")
        first, later = shell_sizes(app, phone)
        print("app shell transfer (bytes sent by the server for one load of the queue)")
        for title, sizes in (("first load", first), ("later load", later)):
            print(f"  {title:<11} {sum(sizes.values()):>8,} B  "
                  + ", ".join(f"{path} {size:,}" for path, size in sorted(sizes.items())))
        failed = bool(service.errors) or sum(later.values()) >= sum(first.values())
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
