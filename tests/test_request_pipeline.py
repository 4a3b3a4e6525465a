"""The probes' short way (volunteer/pipeline.py): /healthz and /readyz run none of the
app's hooks but the security headers and the request id, and get no session; every
other request keeps the whole pipeline."""
from __future__ import annotations

import json

from tests.factories import make_user
from volunteer.extensions import db


def _request_lines(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines()
            if line.startswith("{") and '"event":"request"' in line]


def test_a_probe_gets_no_session_even_from_a_signed_in_browser(app, client, sign_in):
    with app.app_context():
        sign_in(client, make_user("coordinator", None))
        db.session.commit()
    page = client.get("/coordinator/")
    assert page.status_code == 200 and "Cookie" in page.headers.get("Vary", "")
    for path in ("/healthz", "/readyz"):
        response = client.get(path)
        assert response.status_code == 200
        assert "Set-Cookie" not in response.headers  # nothing saved
        assert "Cookie" not in response.headers.get("Vary", "")  # nothing opened or read
    assert client.get("/coordinator/").status_code == 200  # the session is untouched


def test_a_probe_keeps_the_security_headers_and_its_request_id(client):
    response = client.get("/healthz", headers={"X-Request-ID": "monitor-0123456789"})
    assert response.headers["X-Request-ID"] == "monitor-0123456789"
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert "'nonce-" not in csp  # a JSON answer has no inline script to allow
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY" and response.headers["Referrer-Policy"]
    assert response.headers["Cache-Control"] == "no-store"
    assert len(client.get("/healthz").headers["X-Request-ID"]) == 32


def test_probes_are_never_limited_nor_logged_by_us_pages_are(make_app, capsys):
    app = make_app(OPEN311_READ_LIMIT="2 per minute")
    client = app.test_client()
    capsys.readouterr()
    assert all(client.get("/healthz").status_code == 200 for _ in range(20))
    assert _request_lines(capsys.readouterr().out) == []
    statuses = [client.get("/open311/v2/services.json").status_code for _ in range(3)]
    assert statuses[-1] == 429, statuses  # the limiter still runs for everything else
    lines = _request_lines(capsys.readouterr().out)
    assert [line["status"] for line in lines] == statuses
