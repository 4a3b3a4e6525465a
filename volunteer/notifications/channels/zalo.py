"""Zalo Notification Service (ZNS): a template registered at Zalo, sent to the
resident's phone number through the Zalo OA API.

POST https://business.openapi.zalo.me/message/template with the header
`access_token`, body {phone: "84…", template_id, template_data, tracking_id}; Zalo
answers {"error": 0, "data": {"msg_id": …}} or a negative error code. The access token
lives 25 hours; it is refreshed at https://oauth.zaloapp.com/v4/oa/access_token
(form app_id, refresh_token, grant_type=refresh_token; header secret_key = the app
secret), which answers a new access token AND a new refresh token (the old one is
spent: a refresh token serves once, for 3 months), so both are kept in the
provider_tokens table, one row every worker shares. ZALO_ACCESS_TOKEN /
ZALO_REFRESH_TOKEN only seed that row. (Refresh as described in
https://www.hexasync.vn/zalo-oa-api-huong-dan-cach-lay-access-token-tu-refresh-token/;
Zalo's own page was not in the stored copies.)

`tracking_id` is ours (the message's delivery key): Zalo echoes it for reconciliation
but does not refuse a repeat, so a worker killed after Zalo accepted a message and
before the outbox recorded it sends it twice (README, "What can still repeat").

Template ids come from ZALO_TEMPLATES ("received:123456,taken:123457,…")."""
from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from . import PermanentFailure, TemporaryFailure, register
from .. import texts
from ...clock import utcnow
from ...extensions import db
from ...models import ProviderToken
from ..links import message_url
from ..outbox import params_of
from .http import json_of, post

ZNS_URL = "https://business.openapi.zalo.me/message/template"
OAUTH_URL = "https://oauth.zaloapp.com/v4/oa/access_token"
PROVIDER = "zalo"
# ZNS error codes. Checked against Zalo's table, https://zalo.cloud/zns/guidelines/handle-error-code
# (stored copy, 12/2026; only its first rows could be read): 0 success; -100 "Unknown
# error ... vui lòng thử lại sau" (try again later); -108 phone number invalid; -109
# template ID invalid; -111/-112 template data empty/invalid; and, from eSMS's copy of
# a ZNS callback (https://developers.esms.vn/en/esms-api/callback-url), -114 "User is
# inactive, or reject the message, or using an outdated Zalo version": all final but
# -100. NOT found in any copy we could read, so kept from memory (README says so):
# -124 the access token is invalid (we refresh once, then retry later), and the quota
# and rate codes below, retried because a retry costs little and a refusal loses the
# message. The access token is also refreshed before its 25 hours run out
# (REFRESH_MARGIN), so a wrong -124 matters only for a token revoked early.
INVALID_TOKEN = -124
TEMPORARY_ERRORS = {-100, -32, -144}
REFRESH_MARGIN = timedelta(minutes=5)


def template_ids(app_config) -> dict[str, str]:
    pairs = (item.split(":", 1) for item in (app_config.get("ZALO_TEMPLATES") or "").split(",")
             if ":" in item)
    return {name.strip(): template_id.strip() for name, template_id in pairs}


def _stored_tokens(app_config) -> ProviderToken:
    token = db.session.get(ProviderToken, PROVIDER)
    if token is not None:
        return token
    if not app_config.get("ZALO_ACCESS_TOKEN"):
        raise PermanentFailure("Zalo: ZALO_ACCESS_TOKEN is not set")
    try:
        with db.session.begin_nested():
            # Unknown age: it is refreshed when Zalo calls it invalid.
            db.session.add(ProviderToken(
                provider=PROVIDER, access_token=app_config["ZALO_ACCESS_TOKEN"],
                refresh_token=app_config.get("ZALO_REFRESH_TOKEN") or "",
                expires_at=utcnow() + timedelta(hours=25), updated_at=utcnow()))
        db.session.commit()
    except IntegrityError:
        db.session.rollback()  # another worker stored it first
    return db.session.get(ProviderToken, PROVIDER)


def access_token(app_config) -> str:
    token = _stored_tokens(app_config)
    value = token.access_token
    if token.expires_at - REFRESH_MARGIN <= utcnow():
        value = refresh(value, app_config)
    db.session.commit()
    return value


def refresh(spent_access_token: str, app_config) -> str:
    """A fresh access token. The row is locked (an UPDATE) while we ask Zalo, so two
    workers never spend the same refresh token; the second finds the first's result."""
    db.session.execute(update(ProviderToken).where(ProviderToken.provider == PROVIDER)
                       .values(updated_at=utcnow()))
    token = db.session.scalar(select(ProviderToken).where(ProviderToken.provider == PROVIDER)
                              .execution_options(populate_existing=True))
    if token.access_token != spent_access_token:
        db.session.commit()
        return token.access_token
    response = post(app_config.get("ZALO_OAUTH_URL") or OAUTH_URL, app_config, "Zalo OAuth",
                    headers={"secret_key": app_config.get("ZALO_APP_SECRET") or ""},
                    data={"app_id": app_config.get("ZALO_APP_ID") or "",
                          "refresh_token": token.refresh_token, "grant_type": "refresh_token"})
    body = json_of(response, "Zalo OAuth")
    if not body.get("access_token") or not body.get("refresh_token"):
        db.session.rollback()
        # A spent or revoked refresh token: an operator must give a new one; retrying
        # keeps the messages until then.
        raise TemporaryFailure(f"Zalo OAuth: refresh refused ({body.get('error', 'no token')})")
    token.access_token = body["access_token"]
    token.refresh_token = body["refresh_token"]
    token.expires_at = utcnow() + timedelta(seconds=int(body.get("expires_in") or 90000))
    db.session.commit()
    return token.access_token


def _payload(message, template_id: str, app_config) -> dict:
    return {
        "phone": message.address.removeprefix("+"),
        "template_id": template_id,
        "template_data": texts.zns_data(params_of(message),
                                        message_url(message.ticket_id, app_config)),
        "tracking_id": message.delivery_key,
    }


class ZaloChannel:
    name = "zalo"

    def configured(self, app_config) -> bool:
        # Settings only, never the database: a worker starting while PostgreSQL is
        # down asks this (bench/notify_bench.py's restart found it out).
        return bool(app_config.get("ZALO_ACCESS_TOKEN"))

    def preview(self, message, app_config) -> tuple[str, bytes]:
        """What Zalo would be asked: the registered template (its id, or its name when
        none is configured) and its parameters; Zalo words the message itself."""
        template_id = template_ids(app_config).get(message.template) or message.template
        return ".json", json.dumps(_payload(message, template_id, app_config),
                                   ensure_ascii=False, indent=2).encode() + b"\n"

    def send(self, message, app_config) -> None:
        template_id = template_ids(app_config).get(message.template)
        if not template_id:
            raise PermanentFailure(f"Zalo: no ZNS template id for {message.template!r}")
        payload = _payload(message, template_id, app_config)
        token = access_token(app_config)
        error = self._post(payload, token, app_config)
        if error == INVALID_TOKEN:
            error = self._post(payload, refresh(token, app_config), app_config)
        if error == 0:
            return
        reason = f"Zalo ZNS: error {error}"
        raise (TemporaryFailure if error in TEMPORARY_ERRORS or error == INVALID_TOKEN
               else PermanentFailure)(reason)

    @staticmethod
    def _post(payload: dict, token: str, app_config) -> int:
        response = post(app_config.get("ZALO_ZNS_URL") or ZNS_URL, app_config, "Zalo ZNS",
                        headers={"access_token": token}, json=payload)
        body = json_of(response, "Zalo ZNS")
        try:
            return int(body.get("error", -1))
        except (TypeError, ValueError):
            return -1


register(ZaloChannel())
