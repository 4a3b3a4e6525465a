"""Privacy rules (Decree 13/2023): what is masked before storing, what each viewer sees."""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from phonenumbers import Leniency, PhoneNumberMatcher

from .geo.gazetteer import known_street, strip_diacritics
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


MASK = "***"
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# The phone matcher does not read "_" as a separator; NFKC has already made NBSPs spaces.
_PHONE_SEPARATORS = str.maketrans({"_": " "})
_FEWEST_PHONE_DIGITS = 7  # below this the matcher cannot find a number: skip it
_HONORIFICS = ("ong", "ba", "anh", "chi", "co", "chu", "bac", "cu", "em", "di", "me", "bo", "thim", "mo")
# Words that locate a door, folded ("số nhà 12", "kiệt 45/3", "k12"), and numbers like 12/3.
_DOOR = re.compile(r"(?<!\w)(?:so nha|so|nha|sn|kiet|hem|ngo|ngach|k|h)\.?\s*\d+[a-z]?(?:/\d+[a-z]?)*"
                   r"|(?<!\w)\d+[a-z]?(?:/\d+[a-z]?)+(?!\w)")


@dataclass(frozen=True)
class Published:
    """What may be shown of a ticket before it is claimed, or published."""

    description: str | None  # phones, e-mails, the resident's name and door masked
    street: str | None  # a known street of the city, never the typed text
    address: str | None  # that street and the ward, or the ward alone


def publish(*, description: str | None, address: str | None, ward_name: str | None,
            name: str | None = None, email: str | None = None,
            streets: Mapping[tuple[str, ...], str] | None = None) -> Published:
    """THE masking function: every output shown before a claim or published (Open311,
    the queue, the pre-claim ticket page, the CSV without personal data, the map's
    popups) goes through it. `address` is whatever the resident or volunteer typed."""
    if streets is None:
        from .geo import geography
        streets = geography.load().streets
    street = known_street(address, streets)
    place = ", ".join(part for part in (street, ward_name) if part) or None
    text = _masked(description, name, email, address, streets) if description else description
    return Published(description=text, street=street, address=place)


def publish_ticket(ticket: Ticket) -> Published:
    return publish(description=ticket.description, address=ticket.address or ticket.street,
                   ward_name=ticket.ward.name if ticket.ward is not None else None,
                   name=ticket.resident_name, email=ticket.email)


@lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    return strip_diacritics(ch).casefold()


def _fold(text: str) -> tuple[str, list[int]]:
    """A lower-case, accentless copy of `text` and, for each of its characters, the
    index of the character of `text` it came from (folding may change lengths)."""
    folded, origin = [], []
    for index, ch in enumerate(text):
        for part in _fold_char(ch):
            folded.append(part)
            origin.append(index)
    return "".join(folded), origin


def _words(text: str) -> str:
    """A folded phrase as a pattern: whole words, any spacing between them."""
    return r"(?<!\w)" + r"\s+".join(re.escape(w) for w in _fold(text)[0].split()) + r"(?!\w)"


@lru_cache(maxsize=8)
def _street_doors(streets: tuple[str, ...]) -> re.Pattern | None:
    """A house number right before a known street: "12 Lê Duẩn", "45A đường Hùng Vương"."""
    if not streets:
        return None
    names = "|".join(sorted((_words(s) for s in streets), key=len, reverse=True))
    return re.compile(r"(?<!\w)\d+[a-z]?(?:/\d+[a-z]?)*(?=\s+(?:duong\s+)?(?:" + names + "))")


def _masked(text: str, name, email, address, streets) -> str:
    # Masked in NFKC form: full-width digits are digits, NFD accents are composed, and
    # the spans found are spans of the text returned.
    text = unicodedata.normalize("NFKC", text)
    spans = [m.span() for m in _EMAIL.finditer(text)]
    if sum(ch.isdigit() for ch in text) >= _FEWEST_PHONE_DIGITS:
        spans += [(m.start, m.end) for m in PhoneNumberMatcher(
            text.translate(_PHONE_SEPARATORS), "VN", leniency=Leniency.POSSIBLE)]
    folded, origin = _fold(text)
    patterns = [_DOOR]
    doors = _street_doors(tuple(sorted(set(streets.values()))))
    if doors is not None:
        patterns.append(doors)
    for secret in (name, email, address, (address or "").split(",")[0]):
        if secret and len(_fold(secret)[0].strip()) >= 3:
            patterns.append(re.compile(_words(secret)))
    given = _fold(name or "")[0].split()[-1:]
    if given:
        patterns.append(re.compile(r"(?<!\w)(?:" + "|".join(_HONORIFICS) + r")\s+" + _words(given[0])))
    for pattern in patterns:
        spans += [(origin[m.start()], origin[m.end() - 1] + 1)
                  for m in pattern.finditer(folded) if m.end() > m.start()]
    return _replace(text, spans)


def _replace(text: str, spans: list[tuple[int, int]]) -> str:
    out, position = [], 0
    for start, end in sorted(spans):
        if end <= position:
            continue
        out.append(text[position:max(start, position)])
        if start >= position:
            out.append(MASK)
        position = end
    out.append(text[position:])
    return "".join(out)
