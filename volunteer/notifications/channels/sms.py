"""SMS through a Vietnamese gateway. The provider is a small adapter chosen by
SMS_PROVIDER; eSMS.vn is the one we ship (its "SendMultipleMessage_V4_post_json"
API, customer-care SmsType 2, with a registered Brandname), as documented at
https://developers.esms.vn/en/esms-api/send-sms-api/send-otp-customer-care-message
(stored copy: github.com/devesms/gitbook_esms_for_develop_v2_en).

eSMS answers HTTP 200 with a CodeResult (table:
https://developers.esms.vn/en/esms-api/table-of-error-codes): 100 accepted; 124
"Duplicate RequestId", which for us means an earlier try was accepted (a worker that
died before recording it), so the message counts as sent. Each message's delivery key
is its RequestId ("to prevent the request from duplicated").

Replies: a Brandname SMS cannot be answered; eSMS forwards messages sent to a short
code (its "shortcode service") to the partner's URL as an HTTP GET with sender,
content, serviceNumber, keyword, sign, cpid, smsid, receiverTime, and takes a
<ClientResponse> XML answer whose Message it sends back
(https://developers.esms.vn/en/esms-api/svoucher-connect/connect-to-shortcode-service).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from xml.sax.saxutils import escape

from . import PermanentFailure, TemporaryFailure, register
from .. import texts
from ..links import message_url
from ..outbox import params_of
from .http import json_of, post

ESMS_URL = "https://rest.esms.vn/MainService.svc/json/SendMultipleMessage_V4_post_json/"
ESMS_ACCEPTED = {"100", "124"}
# No price list (102), not enough balance (103), this server's IP not whitelisted (140):
# an operator can fix each while we retry. Every other code is final: wrong keys (101),
# Brandname (104), phone format (108), a number blocked at eSMS (99), the customer-care
# template not registered (146), the network not registered (177).
ESMS_TEMPORARY = {"102", "103", "140"}


def local_number(phone: str) -> str:
    """+84912345678 -> 0912345678, as Vietnamese gateways take it."""
    return "0" + phone[3:] if phone.startswith("+84") else phone


def render(message, app_config) -> str:
    try:
        return texts.sms_text(
            message.template, params_of(message), message.locale,
            brand=app_config.get("SMS_BRAND_NAME", ""),
            link=message_url(message.ticket_id, app_config),
            stop_number=app_config.get("SMS_STOP_NUMBER") or None)
    except ValueError as error:
        raise PermanentFailure(str(error)) from None


class EsmsGateway:
    name = "esms"

    @staticmethod
    def configured(app_config) -> bool:
        return bool(app_config.get("ESMS_API_KEY") and app_config.get("ESMS_SECRET_KEY"))

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
    def inbound(fields, app_config) -> tuple[str, str]:
        """(phone, text) of a message eSMS forwards from its short code; InboundRefused
        when it is not signed by eSMS. sign = base64(MD5(cpid + smsid + content +
        receiverTime + private key)), as the shortcode document gives it."""
        private_key = app_config.get("ESMS_MO_PRIVATE_KEY")
        cpid = app_config.get("ESMS_MO_CPID")
        if not private_key or (cpid and fields.get("cpid") != cpid):
            raise InboundRefused()
        signed = "".join(str(fields.get(name) or "") for name in
                         ("cpid", "smsid", "content", "receiverTime")) + private_key
        expected = base64.b64encode(hashlib.md5(signed.encode()).digest()).decode()
        if not hmac.compare_digest(expected, str(fields.get("sign") or "")):
            raise InboundRefused()
        sender = str(fields.get("sender") or "")  # international, 84…
        return ("+" + sender if sender.startswith("84") else sender), str(fields.get("content") or "")

    @staticmethod
    def inbound_answer(fields, reply: str) -> tuple[str, str]:
        """(body, mimetype): the XML eSMS expects, with the reply it sends back."""
        return (f"<ClientResponse><Message>{escape(reply)}</Message>"
                f"<Smsid>{escape(str(fields.get('smsid') or ''))}</Smsid>"
                f"<Receiver>{escape(str(fields.get('sender') or ''))}</Receiver></ClientResponse>",
                "application/xml")


class InboundRefused(Exception):
    """A forwarded message the gateway did not sign."""


GATEWAYS = {gateway.name: gateway for gateway in (EsmsGateway(),)}


class SmsChannel:
    name = "sms"

    def configured(self, app_config) -> bool:
        gateway = GATEWAYS.get(app_config.get("SMS_PROVIDER") or "")
        return gateway is not None and gateway.configured(app_config)

    def preview(self, message, app_config) -> tuple[str, bytes]:
        """The SMS as the phone shows it: sender, number, text."""
        return ".txt", (f"From: {app_config.get('SMS_BRAND_NAME', '')}\n"
                        f"To: {local_number(message.address)}\n\n"
                        f"{render(message, app_config)}\n").encode()

    def send(self, message, app_config) -> None:
        gateway = GATEWAYS.get(app_config.get("SMS_PROVIDER") or "")
        if gateway is None:
            raise PermanentFailure("SMS: no gateway configured (SMS_PROVIDER)")
        gateway.send(message.address, render(message, app_config), message.delivery_key, app_config)


register(SmsChannel())
