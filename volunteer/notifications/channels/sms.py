"""SMS through a Vietnamese gateway. The provider is a small adapter chosen by
SMS_PROVIDER; eSMS.vn is the one we ship (its "SendMultipleMessage_V4_post_json"
API, customer-care SmsType 2, with a registered Brandname).

eSMS answers HTTP 200 with a CodeResult: 100 accepted; 124 a RequestId it has
seen, which for us means an earlier try was accepted (a worker that died before
recording it), so the message counts as sent. Each message's delivery key is its
RequestId."""
from __future__ import annotations

from . import PermanentFailure, TemporaryFailure, register
from .. import texts
from ..links import message_url
from ..outbox import params_of
from .http import json_of, post

ESMS_URL = "https://rest.esms.vn/MainService.svc/json/SendMultipleMessage_V4_post_json/"
ESMS_ACCEPTED = {"100", "124"}
# Out of credit or no price list yet: an operator can fix it while we retry.
ESMS_TEMPORARY = {"102", "103"}


def local_number(phone: str) -> str:
    """+84912345678 -> 0912345678, as Vietnamese gateways take it."""
    return "0" + phone[3:] if phone.startswith("+84") else phone


def render(message, app_config) -> str:
    try:
        return texts.sms_text(
            message.template, params_of(message), message.locale,
            brand=app_config.get("SMS_BRAND_NAME", ""),
            link=message_url(message.ticket_id, app_config),
            replies=bool(app_config.get("SMS_REPLIES")))
    except ValueError as error:
        raise PermanentFailure(str(error)) from None


class EsmsGateway:
    name = "esms"

    def send(self, phone: str, text: str, request_id: str, app_config) -> None:
        if not (app_config.get("ESMS_API_KEY") and app_config.get("ESMS_SECRET_KEY")):
            raise PermanentFailure("eSMS: ESMS_API_KEY and ESMS_SECRET_KEY are not set")
        response = post(app_config.get("ESMS_URL") or ESMS_URL, app_config, "eSMS", json={
            "ApiKey": app_config["ESMS_API_KEY"],
            "SecretKey": app_config["ESMS_SECRET_KEY"],
            "Phone": local_number(phone),
            "Content": text,
            "Brandname": app_config.get("SMS_BRAND_NAME", ""),
            "SmsType": "2",
            "IsUnicode": "0",
            "Sandbox": "1" if app_config.get("ESMS_SANDBOX") else "0",
            "RequestId": request_id,
        })
        if response.status_code >= 400:
            raise PermanentFailure(f"eSMS: HTTP {response.status_code}")
        code = str(json_of(response, "eSMS").get("CodeResult", ""))
        if code in ESMS_ACCEPTED:
            return
        reason = f"eSMS: CodeResult {code or 'missing'}"
        raise (TemporaryFailure if code in ESMS_TEMPORARY else PermanentFailure)(reason)

    @staticmethod
    def inbound(fields) -> tuple[str, str]:
        """(phone, text) of a reply the gateway forwards to our webhook."""
        return str(fields.get("Phone") or ""), str(fields.get("Content") or "")


GATEWAYS = {gateway.name: gateway for gateway in (EsmsGateway(),)}


class SmsChannel:
    name = "sms"

    def send(self, message, app_config) -> None:
        gateway = GATEWAYS.get(app_config.get("SMS_PROVIDER") or "")
        if gateway is None:
            raise PermanentFailure("SMS: no gateway configured (SMS_PROVIDER)")
        gateway.send(message.address, render(message, app_config), message.delivery_key, app_config)


register(SmsChannel())
