"""A push service on 127.0.0.1 for tests and the bench: it checks each request's VAPID
signature (an ES256 JWT against the key the request names, which must be the app's)
and decrypts the aes128gcm payload with the subscription's private key, as a real push
service and browser would, without the internet."""
from __future__ import annotations

import base64
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat


def b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class Device:
    """A browser's side of a subscription: its key pair and auth secret."""

    def __init__(self):
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)

    @property
    def p256dh(self) -> str:
        return b64encode(self.private_key.public_key().public_bytes(
            Encoding.X962, PublicFormat.UncompressedPoint))


def verify_vapid(authorization: str, audience: str, server_key: str) -> dict:
    """The JWT's claims, once its ES256 signature checks against `server_key`."""
    scheme, _, rest = authorization.partition(" ")
    assert scheme == "vapid", scheme
    fields = dict(part.strip().split("=", 1) for part in rest.split(","))
    assert fields["k"] == server_key, "signed with another key than the app's"
    header, claims, signature = fields["t"].split(".")
    raw = b64decode(signature)
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64decode(fields["k"]))
    public.verify(encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")),
                  f"{header}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
    assert json.loads(b64decode(header))["alg"] == "ES256"
    decoded = json.loads(b64decode(claims))
    assert decoded["aud"] == audience and decoded["exp"] > time.time() and decoded["sub"]
    return decoded


class PushService:
    """Answers 201 per path by default; `answers[path] = 410` makes a device gone."""

    def __init__(self, server_key: str):
        self.server_key = server_key
        self.devices: dict[str, Device] = {}
        self.answers: dict[str, int] = {}
        self.received: list[dict] = []
        self.errors: list[str] = []
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status = service.answers.get(self.path, 201)
                try:
                    claims = verify_vapid(self.headers["Authorization"], service.url, service.server_key)
                    assert self.headers["Content-Encoding"] == "aes128gcm"
                    device = service.devices[self.path]
                    plain = http_ece.decrypt(body, private_key=device.private_key,
                                             auth_secret=device.auth, version="aes128gcm")
                    service.received.append({"path": self.path, "payload": json.loads(plain),
                                             "claims": claims, "ttl": self.headers.get("TTL"),
                                             "at": time.perf_counter()})
                except Exception as error:  # noqa: BLE001 - reported to the test
                    service.errors.append(f"{type(error).__name__}: {error}")
                    status = 400
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def new_device(self, name: str) -> tuple[str, Device]:
        path = f"/push/{name}"
        self.devices[path] = Device()
        return self.url + path, self.devices[path]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
