"""The short signed token in every message's link (/m/<token>): it names one ticket
and proves the link came from us, so its page may show the status, take the
resident's yes/no answer and stop messages without the phone's last digits, and
short enough to leave room in a 160-character SMS."""
from __future__ import annotations

import base64
import hashlib
import hmac

# 50 bits of HMAC-SHA256 (base32): far beyond guessing over HTTP, and short.
SIGNATURE_CHARS = 10


def _signature(ticket_id: int, secret: str) -> str:
    digest = hmac.new(secret.encode(), f"resident-link:{ticket_id}".encode(), hashlib.sha256)
    return base64.b32encode(digest.digest()[:8]).decode()[:SIGNATURE_CHARS].lower()


def token_for(ticket_id: int, secret: str) -> str:
    return f"{ticket_id:x}{_signature(ticket_id, secret)}"


def ticket_id_of(token: str, secret: str) -> int | None:
    """The ticket a token names, or None for a token we did not sign."""
    head, signature = token[:-SIGNATURE_CHARS], token[-SIGNATURE_CHARS:]
    if not head or len(token) > 40:
        return None
    try:
        ticket_id = int(head, 16)
    except ValueError:
        return None
    if not hmac.compare_digest(signature, _signature(ticket_id, secret)):
        return None
    return ticket_id


# Where `make run` serves when PUBLIC_BASE_URL is not set.
EMBEDDED_BASE_URL = "http://127.0.0.1:5000"


def message_url(ticket_id: int, app_config) -> str:
    """The link a message to the resident of this ticket carries."""
    base = (app_config.get("PUBLIC_BASE_URL") or EMBEDDED_BASE_URL).rstrip("/")
    return f"{base}/m/{token_for(ticket_id, app_config['SECRET_KEY'])}"
