"""Web push: the server's VAPID keys, people's devices, and the "webpush" channel the
outbox worker sends through (pywebpush: VAPID-signed, aes128gcm-encrypted).

The keys live in instance/ (VAPID_KEY_FILE), never in the repository: `flask push
keys` makes them, or the first use does. The payload names the ticket's category and
ward and links its page; never the resident's name, phone or address.
"""
from __future__ import annotations

import base64
import json
import os
from pathlib import Path

from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from py_vapid import Vapid
from sqlalchemy import select

from ..extensions import db
from ..models import PUSH_ENDPOINT_MAX, PUSH_KEY_MAX, PushSubscription
from ..notifications.channels import GoneRecipient, PermanentFailure, TemporaryFailure, register
from ..notifications.outbox import params_of
from . import inbox

# How long a push service keeps an alert for a phone that is off: a day.
TIME_TO_LIVE = 24 * 3600
SEND_TIMEOUT = 10


def key_file(config) -> Path:
    return Path(config.get("VAPID_KEY_FILE") or Path(current_app.instance_path) / "vapid_private.pem")


def ensure_keys(config, rotate: bool = False) -> Vapid:
    """The server's VAPID key pair, made on first use (or anew with `rotate`)."""
    path = key_file(config)
    if rotate and path.exists():
        path.unlink()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        vapid = Vapid()
        vapid.generate_keys()
        try:
            # O_EXCL: of two processes starting at once, one writes and both read it.
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(vapid.private_pem())
    return Vapid.from_file(str(path))


def public_key(config) -> str:
    """The application server key a browser subscribes with (base64url, no padding)."""
    raw = ensure_keys(config).public_key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class SubscriptionRefused(ValueError):
    pass


def save_subscription(user_id: int, endpoint: str, p256dh: str, auth: str) -> PushSubscription:
    """Add (or move to this person) a device's subscription; several per person."""
    if not endpoint.startswith(("https://", "http://")) or len(endpoint) > PUSH_ENDPOINT_MAX:
        raise SubscriptionRefused("endpoint")
    if not p256dh or not auth or len(p256dh) > PUSH_KEY_MAX or len(auth) > PUSH_KEY_MAX:
        raise SubscriptionRefused("keys")
    row = db.session.scalar(select(PushSubscription).where(PushSubscription.endpoint == endpoint))
    if row is None:
        row = PushSubscription(endpoint=endpoint, user_id=user_id, p256dh=p256dh, auth=auth)
        db.session.add(row)
    else:
        row.user_id, row.p256dh, row.auth = user_id, p256dh, auth
    db.session.flush()
    return row


def remove_subscription(user_id: int, endpoint: str) -> None:
    row = db.session.scalar(select(PushSubscription).where(
        PushSubscription.endpoint == endpoint, PushSubscription.user_id == user_id))
    if row is not None:
        db.session.delete(row)
        db.session.flush()


def devices_of(user_id: int) -> list[PushSubscription]:
    return list(db.session.scalars(select(PushSubscription).where(PushSubscription.user_id == user_id)
                                   .order_by(PushSubscription.id)))


def payload_for(template: str, params: dict, locale: str) -> dict:
    """What the phone shows: the kind of alert, the category and ward, a link."""
    with force_locale(locale):
        title = str(inbox.KIND_LABELS.get(template, _("Thông báo")))
        if "unclaimed" in params:
            body = _("%(unclaimed)d yêu cầu chờ quá 24 giờ, %(idle)d yêu cầu đang giữ lâu không cập nhật",
                     unclaimed=params["unclaimed"], idle=params["idle"])
        elif "new" in params:
            body = _("%(num)d yêu cầu mới đang chờ trong hàng chờ của tổ", num=params["new"])
        else:
            category = params.get("category_en" if locale == "en" else "category_vi", "")
            body = " · ".join(part for part in (params.get("reference"), category, params.get("ward")) if part)
    return {"title": title, "body": body, "url": params.get("url", "/volunteer/notifications"),
            "tag": f"{template}:{params.get('reference', '')}"}


class WebPushChannel:
    name = "webpush"

    def send(self, message, app_config) -> None:
        from pywebpush import WebPushException, webpush
        from requests import RequestException

        device = db.session.get(PushSubscription, int(message.address))
        if device is None:
            raise GoneRecipient("the device's subscription was removed")
        payload = payload_for(message.template, params_of(message), message.locale)
        try:
            webpush(
                {"endpoint": device.endpoint, "keys": {"p256dh": device.p256dh, "auth": device.auth}},
                json.dumps(payload, ensure_ascii=False),
                vapid_private_key=ensure_keys(app_config),
                vapid_claims={"sub": app_config.get("VAPID_SUBJECT") or "mailto:admin@localhost"},
                ttl=TIME_TO_LIVE, timeout=SEND_TIMEOUT, content_encoding="aes128gcm",
            )
        except WebPushException as failure:
            status = failure.response.status_code if failure.response is not None else None
            if status in (404, 410):
                raise GoneRecipient(f"push service answered {status}") from None
            if status in (400, 401, 403, 413):
                raise PermanentFailure(f"push service answered {status}") from None
            raise TemporaryFailure(f"push service answered {status}") from None
        except RequestException as failure:
            raise TemporaryFailure(f"push service unreachable ({type(failure).__name__})") from None

    def forget_recipient(self, message) -> None:
        """The push service says the device unsubscribed or expired: forget it."""
        device = db.session.get(PushSubscription, int(message.address))
        if device is not None:
            db.session.delete(device)
            db.session.flush()


register(WebPushChannel())
