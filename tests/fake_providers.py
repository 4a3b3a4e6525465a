"""Small servers on 127.0.0.1 that answer as the providers' documentation shows,
errors included, for the tests and bench/notify_bench.py:

- FakeEsms: eSMS.vn's SendMultipleMessage_V4_post_json (CodeResult 100 accepted,
  101 wrong keys, 104 unknown Brandname, 108 bad phone, 124 a RequestId seen before,
  answers copied from https://developers.esms.vn/en/esms-api/send-sms-api/send-otp-customer-care-message);
  it counts deliveries, so "sent twice" is measured where a resident would feel it.
  `esms_forward` is what its short-code service sends us for a message to it.
- FakeZalo: the ZNS template API (error 0; -108 phone number invalid and -109
  template ID invalid, as https://zalo.cloud/zns/guidelines/handle-error-code lists
  them; -124 invalid access token, which no copy of the documentation we could read
  shows: see channels/zalo.py) and the OA OAuth v4 refresh, which spends the refresh
  token it is given and hands out a new pair.
- SmtpServer: aiosmtpd, keeping every message it receives.
"""
from __future__ import annotations

import json
import re
import threading
import time
import uuid
from email import message_from_bytes
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

ESMS_PATH = "/MainService.svc/json/SendMultipleMessage_V4_post_json/"
ZNS_PATH = "/message/template"
OAUTH_PATH = "/v4/oa/access_token"


class _Server:
    """A threaded HTTP server whose handler calls `self.answer(method, path, headers, body)`."""

    def __init__(self):
        owner = self

        class Handler(BaseHTTPRequestHandler):
            # Keep-alive and no Nagle, as a production gateway's server would do.
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, payload = owner.answer(self.path, self.headers, body)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        # A client killed mid-request (the bench's kill -9) is not the server's error.
        self.httpd.handle_error = lambda request, client_address: None
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class FakeEsms(_Server):
    API_KEY, SECRET_KEY, BRAND = "test-api-key", "test-secret-key", "TO CNS"

    def __init__(self):
        super().__init__()
        self.delivered: list[dict] = []  # one per message a phone would receive
        self.requests = 0
        self.duplicates = 0
        self.failing_until = 0.0  # answer HTTP 500 until this monotonic time
        self.delay = 0.0  # seconds to wait before answering (to kill a worker mid-send)
        self.out_of_balance = False  # CodeResult 103, "Not enough balance to send message"
        self._seen: set[str] = set()

    @property
    def endpoint(self) -> str:
        return self.url + ESMS_PATH

    def fail_for(self, seconds: float) -> None:
        self.failing_until = time.monotonic() + seconds

    def answer(self, path, headers, body):
        if path != ESMS_PATH:
            return 404, {"error": "Invalid request"}
        if self.delay:
            time.sleep(self.delay)
        with self.lock:
            self.requests += 1
            if time.monotonic() < self.failing_until:
                return 500, {"error": "Invalid request"}
            fields = json.loads(body or b"{}")
            if fields.get("ApiKey") != self.API_KEY or fields.get("SecretKey") != self.SECRET_KEY:
                return 200, {"CodeResult": "101", "CountRegenerate": 0,
                             "ErrorMessage": "Authorize Failed"}
            if fields.get("Brandname") != self.BRAND:
                return 200, {"CodeResult": "104", "CountRegenerate": 0,
                             "ErrorMessage": "Brand name code is not exist"}
            if self.out_of_balance:
                return 200, {"CodeResult": "103", "CountRegenerate": 0,
                             "ErrorMessage": "Not enough balance to send message"}
            if not re.fullmatch(r"0\d{9}", str(fields.get("Phone", ""))):
                return 200, {"CodeResult": "108", "CountRegenerate": 0,
                             "ErrorMessage": "Phone number is not in correct format"}
            request_id = fields.get("RequestId")
            if request_id and request_id in self._seen:
                self.duplicates += 1
                return 200, {"CodeResult": "124", "CountRegenerate": 0,
                             "ErrorMessage": "Request exist 1", "SendStatus": "5"}
            if request_id:
                self._seen.add(request_id)
            self.delivered.append({**fields, "received_at": time.monotonic()})
            return 200, {"CodeResult": "100", "CountRegenerate": 0, "SMSID": uuid.uuid4().hex}


def esms_forward(sender: str, content: str, *, cpid: str, private_key: str,
                 service_number: str = "8079") -> dict:
    """The query string eSMS's short-code service sends (HTTP GET) for a message a phone
    texted to the service number, signed as its document says: sign =
    base64(MD5(cpid + smsid + content + receiverTime + private key))
    (https://developers.esms.vn/en/esms-api/svoucher-connect/connect-to-shortcode-service)."""
    import base64
    import hashlib

    smsid, received = uuid.uuid4().hex, time.strftime("%Y%m%d%H%M%S")
    sign = base64.b64encode(hashlib.md5(
        (cpid + smsid + content + received + private_key).encode()).digest()).decode()
    return {"sender": sender, "content": content, "serviceNumber": service_number,
            "keyword": content.split()[0] if content.split() else "", "sign": sign,
            "cpid": cpid, "smsid": smsid, "receiverTime": received}


class FakeZalo(_Server):
    APP_ID, APP_SECRET = "4291763606161179100", "test-app-secret"
    TEMPLATES = {"1001", "1002", "1003", "1004", "1005", "1006"}

    def __init__(self, access_token="first-access", refresh_token="first-refresh"):
        super().__init__()
        self.access_token = access_token
        self.refresh_token = refresh_token
        self.delivered: list[dict] = []
        self.refreshes = 0
        self.unknown_errors = 0  # answer -100 "Unknown error" (try again later) this many times

    def expire_access_token(self) -> None:
        self.access_token = f"rotated-{uuid.uuid4().hex[:8]}"

    def answer(self, path, headers, body):
        with self.lock:
            if path == OAUTH_PATH:
                return self._refresh(headers, parse_qs(body.decode()))
            if path != ZNS_PATH:
                return 404, {"error": -201, "message": "Invalid request"}
            if headers.get("access_token") != self.access_token:
                return 200, {"error": -124, "message": "Access token is invalid"}
            if self.unknown_errors:
                self.unknown_errors -= 1
                return 200, {"error": -100, "message": "Unknown error"}
            fields = json.loads(body or b"{}")
            # The table accepts 84xxxxxxxxx and 0xxxxxxxxx (we send the former).
            if not re.fullmatch(r"(84|0)\d{9}", str(fields.get("phone", ""))):
                return 200, {"error": -108, "message": "Phone number invalid"}
            if str(fields.get("template_id")) not in self.TEMPLATES:
                return 200, {"error": -109, "message": "Template ID invalid"}
            self.delivered.append(fields)
            return 200, {"error": 0, "message": "Success", "data": {
                "msg_id": uuid.uuid4().hex, "sent_time": str(int(time.time() * 1000)),
                "quota": {"dailyQuota": "500", "remainingQuota": "499"}}}

    def _refresh(self, headers, form):
        given = (form.get("refresh_token") or [""])[0]
        if (headers.get("secret_key") != self.APP_SECRET
                or (form.get("app_id") or [""])[0] != self.APP_ID
                or (form.get("grant_type") or [""])[0] != "refresh_token"
                or given != self.refresh_token):
            return 200, {"error": -14014, "error_name": "Invalid refresh token",
                         "error_reason": "Refresh token is invalid",
                         "error_description": "Refresh token is invalid or expired"}
        self.refreshes += 1
        self.access_token = f"access-{self.refreshes}"
        self.refresh_token = f"refresh-{self.refreshes}"
        return 200, {"access_token": self.access_token, "refresh_token": self.refresh_token,
                     "expires_in": "90000"}


def _free_port() -> int:
    # aiosmtpd 1.4 checks its own start by connecting to the port it was given, so
    # it needs a real one rather than 0.
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpServer:
    """aiosmtpd on a loopback port; `messages` holds what it received, parsed."""

    def __init__(self, refuse: str | None = None):
        from aiosmtpd.controller import Controller

        owner = self
        self.messages = []

        class Handler:
            async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
                if refuse and address == refuse:
                    return "550 5.1.1 No such user"
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, server, session, envelope):
                owner.messages.append(message_from_bytes(envelope.content, policy=default_policy))
                return "250 Message accepted"

        self.port = _free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        self.controller.stop()
