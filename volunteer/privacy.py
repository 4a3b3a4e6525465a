"""Privacy rules (Decree 13/2023): what is masked before storing, what each viewer sees."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .lifecycle import Relation

if TYPE_CHECKING:
    from .models import Ticket

# A run of digits, optionally split by single spaces, dots or dashes.
_DIGIT_RUN = re.compile(r"(?<![\d])\d(?:[ .\-]?\d)+(?![\d])")
ID_NUMBER_LENGTHS = (9, 12)  # old ID cards have 9 digits, chip ID cards 12


def mask_id_numbers(text: str | None) -> str | None:
    """Replace each 9- or 12-digit number (an ID number typed by mistake) with asterisks."""
    if not text:
        return text

    def mask(match: re.Match) -> str:
        run = match.group(0)
        digits = sum(ch.isdigit() for ch in run)
        if digits not in ID_NUMBER_LENGTHS:
            return run
        return "".join("*" if ch.isdigit() else ch for ch in run)

    return _DIGIT_RUN.sub(mask, text)


def rough_coordinate(value: float | None) -> float | None:
    """About 100 m: enough to plan a walk, not enough to find a door."""
    return None if value is None else round(value, 3)


def can_see_personal_data(relations: set[str]) -> bool:
    """Holders see their resident; leads and coordinators see all of their scope."""
    return bool(relations & {Relation.HOLDER, Relation.LEAD, Relation.COORDINATOR})


_HOUSE_WORDS = {"số", "so", "sn", "nhà", "nha", "kiệt", "kiet", "hẻm", "hem", "ngõ", "ngo",
                "ngách", "ngach", "k", "h"}


def street_of(address: str | None) -> str | None:
    """The address without its house number, for public views (Open311, map popups).

    Leading words that locate a door ("số 12", "kiệt 45/3", "12A") are dropped; the
    street and what follows it (ward, city) stay."""
    if not address:
        return None
    first, *rest = [part.strip() for part in address.split(",")]
    words = first.split()
    while words and (words[0].lower().rstrip(".") in _HOUSE_WORDS or any(ch.isdigit() for ch in words[0])):
        words.pop(0)
    parts = [" ".join(words), *rest]
    return ", ".join(part for part in parts if part) or None


_PHONE_LIKE = re.compile(r"(?<![\d+])(?:\+\s?84|0084|84|0)(?:[ .\-]?\d){8,10}(?!\d)")
_EMAIL_LIKE = re.compile(r"[^\s@<>,;:()\[\]]+@[^\s@<>,;:()\[\]]+\.[A-Za-z]{2,}")
MASK = "***"


def _mask_verbatim(text: str, secret: str | None) -> str:
    if not secret or len(secret.strip()) < 3:
        return text
    secret = secret.strip()
    if secret.lower() not in text.lower():
        return text  # the usual case, without compiling a pattern per ticket
    return re.sub(re.escape(secret), MASK, text, flags=re.IGNORECASE)


def public_text(text: str | None, ticket: Ticket) -> str | None:
    """Free text as the public may read it: phone numbers, e-mail addresses and the
    resident's own name and address masked."""
    if not text:
        return text
    text = _EMAIL_LIKE.sub(MASK, text)
    text = _PHONE_LIKE.sub(MASK, text)
    for secret in (ticket.email, ticket.resident_name, ticket.address):
        text = _mask_verbatim(text, secret)
    if ticket.address:
        door = ticket.address.split(",")[0]
        if any(ch.isdigit() for ch in door):
            text = _mask_verbatim(text, door)
    return text


def public_address(ticket: Ticket) -> str | None:
    """Street and ward: never the house number (privacy.street_of drops it on create)."""
    parts = []
    street = (ticket.street or "").split(",")[0].strip()
    street = public_text(street, ticket) if street else ""
    ward_name = ticket.ward.name if ticket.ward is not None else None
    if street and street != MASK and (ward_name is None or street.lower() != ward_name.lower()):
        parts.append(street)
    if ward_name:
        parts.append(ward_name)
    return ", ".join(parts) or None
