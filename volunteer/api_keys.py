"""Open311 API keys: issued only to an organisation that attests its residents'
consent, shown once, stored as a hash.

A key is 43 random URL-safe characters behind a short marker, so a plain SHA-256 is
the right hash: there is nothing to guess that a slow hash would protect, and a
lookup by hash stays one indexed query per request.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import select

from .extensions import db
from .clock import utcnow
from .limits import ORGANISATION_MAX, fit
from .models import ApiKey, AuditLog
from .vocabulary import AuditAction

KEY_MARKER = "o311_"
PREFIX_LENGTH = 12  # what `flask apikeys list` shows, to tell keys apart
MAX_PRESENTED_LENGTH = 200  # anything longer is not one of ours; don't hash megabytes


class ConsentNotAttested(ValueError):
    pass


def fingerprint(presented: str) -> str:
    return hashlib.sha256(presented.encode("utf-8")).hexdigest()


def issue(organisation: str, *, consent_attested: bool, now: datetime | None = None) -> tuple[ApiKey, str]:
    """Create a key; return the row and the plain key, which is never stored."""
    organisation = (organisation or "").strip()
    if not organisation:
        raise ValueError("the organisation's name is required")
    if not consent_attested:
        raise ConsentNotAttested(
            "a key is issued only to an organisation that attests its residents' consent"
        )
    now = now or utcnow()
    plain = KEY_MARKER + secrets.token_urlsafe(32)
    key = ApiKey(
        organisation=fit(organisation, ORGANISATION_MAX),
        key_prefix=plain[:PREFIX_LENGTH],
        key_hash=fingerprint(plain),
        consent_attested_at=now,
        created_at=now,
    )
    db.session.add(key)
    db.session.flush()
    db.session.add(AuditLog(action=AuditAction.API_KEY_ISSUED, created_at=now,
                            detail=f"{key.id} {key.key_prefix} {key.organisation}"))
    db.session.flush()
    return key, plain


def authenticate(presented: str | None) -> ApiKey | None:
    """The active key matching what a client sent, or None."""
    if not presented or len(presented) > MAX_PRESENTED_LENGTH:
        return None
    return db.session.scalar(
        select(ApiKey).where(ApiKey.key_hash == fingerprint(presented.strip()), ApiKey.revoked_at.is_(None))
    )


def find(identifier: str) -> list[ApiKey]:
    """Keys matching an id or a displayed prefix (a prefix may, rarely, match several)."""
    identifier = (identifier or "").strip()
    if identifier.isdigit():
        key = db.session.get(ApiKey, int(identifier))
        return [key] if key is not None else []
    if len(identifier) < len(KEY_MARKER) + 3:
        return []
    prefix = identifier[:PREFIX_LENGTH]
    return list(db.session.scalars(
        select(ApiKey).where(ApiKey.key_prefix.startswith(prefix, autoescape=True))
    ))


def revoke(key: ApiKey, now: datetime | None = None) -> bool:
    """Revoke a key; False if it already was."""
    if key.revoked_at is not None:
        return False
    key.revoked_at = now or utcnow()
    db.session.add(AuditLog(action=AuditAction.API_KEY_REVOKED, created_at=key.revoked_at,
                            detail=f"{key.id} {key.key_prefix} {key.organisation}"))
    db.session.flush()
    return True


def all_keys() -> list[ApiKey]:
    return list(db.session.scalars(select(ApiKey).order_by(ApiKey.id)))
