"""E-mail over SMTP (smtplib), for residents who gave an address.

SMTP has no request id the server dedupes by: a worker killed after the server
accepted a mail and before the outbox recorded it sends the mail again on the next
try. Both copies carry the same Message-ID (`message_id`), which mail systems that
dedupe by it show once; others show two.

SMTP_HOST unset: the channel is off. A 4xx answer or a lost connection is tried
again; a 5xx answer (no such mailbox, refused) is final. smtplib's error texts name
the recipient, so only the codes are kept."""
from __future__ import annotations

import smtplib
import socket
from email.message import EmailMessage

from . import PermanentFailure, TemporaryFailure, register
from .. import texts
from ..links import message_url
from ..outbox import params_of


class EmailChannel:
    name = "email"

    def configured(self, app_config) -> bool:
        return bool(app_config.get("SMTP_HOST"))

    def compose(self, message, app_config) -> EmailMessage:
        host = app_config.get("SMTP_HOST") or "localhost"
        link = message_url(message.ticket_id, app_config)
        content = texts.email(message.template, params_of(message), message.locale, link=link)
        mail = EmailMessage()
        mail["From"] = app_config.get("SMTP_FROM") or f"no-reply@{host}"
        mail["To"] = message.address
        mail["Subject"] = content.subject
        mail["Message-ID"] = message_id(message.delivery_key, mail["From"], host)
        mail["List-Unsubscribe"] = f"<{link}/stop>"
        mail.set_content(content.body)
        return mail

    def preview(self, message, app_config) -> tuple[str, bytes]:
        """The mail itself, as an .eml file any mail program opens."""
        return ".eml", bytes(self.compose(message, app_config))

    def send(self, message, app_config) -> None:
        host = app_config.get("SMTP_HOST")
        if not host:
            raise PermanentFailure("e-mail: SMTP_HOST is not set")
        mail = self.compose(message, app_config)
        try:
            with smtplib.SMTP(host, int(app_config.get("SMTP_PORT", 587)),
                              timeout=float(app_config.get("NOTIFY_TIMEOUT_SECONDS", 10))) as smtp:
                if app_config.get("SMTP_STARTTLS"):
                    smtp.starttls()
                if app_config.get("SMTP_USERNAME"):
                    smtp.login(app_config["SMTP_USERNAME"], app_config.get("SMTP_PASSWORD", ""))
                smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as error:
            codes = sorted({code for code, _text in error.recipients.values()})
            raise _by_code(codes[0] if codes else 550, "recipient refused") from None
        except smtplib.SMTPResponseException as error:
            raise _by_code(error.smtp_code, "refused") from None
        except (smtplib.SMTPException, OSError, socket.timeout) as error:
            raise TemporaryFailure(f"SMTP: {type(error).__name__}") from None


def message_id(delivery_key: str, sender: str, host: str) -> str:
    """The same Message-ID on every try of one message (RFC 5322 3.6.4: unique per
    message, which a retry is not a new one of): made from the delivery key alone, so a
    worker killed after the server took the mail sends the same header again, and a
    mail system that drops repeated Message-IDs shows it
    once. email.utils.make_msgid would add the time and a random part, a new id on
    every try."""
    return f"<{delivery_key}@{sender.rpartition('@')[2] or host}>"


def _by_code(code: int, what: str):
    failure = TemporaryFailure if 400 <= code < 500 else PermanentFailure
    return failure(f"SMTP: {what} ({code})")


register(EmailChannel())
