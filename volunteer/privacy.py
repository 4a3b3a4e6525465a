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
_WORD = re.compile(r"\w+")
_DIGIT = re.compile(r"\d")
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


class _FoldTable(dict):
    """str.translate's table: each character lower-cased without accents, computed once."""

    uneven: set[str] = set()  # characters that fold to more or fewer than one

    def __missing__(self, code: int) -> str:
        folded = self[code] = strip_diacritics(chr(code)).casefold()
        if len(folded) != 1:
            self.uneven.add(chr(code))
        return folded


_FOLD = _FoldTable()


def _fold(text: str) -> tuple[str, list[int]]:
    """A lower-case, accentless copy of `text` and, for each of its characters, the
    index of the character of `text` it came from (folding may change lengths)."""
    folded = text.translate(_FOLD)
    if len(folded) == len(text) and not _FoldTable.uneven.intersection(text):
        return folded, list(range(len(text)))
    origin = [index for index, ch in enumerate(text) for _ in range(len(_FOLD[ord(ch)]))]
    return folded, origin


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
    if len(_DIGIT.findall(text)) >= _FEWEST_PHONE_DIGITS:
        spans += [(m.start, m.end) for m in PhoneNumberMatcher(
            text.translate(_PHONE_SEPARATORS), "VN", leniency=Leniency.POSSIBLE)]
    folded, origin = _fold(text)
    patterns = [_DOOR]
    doors = _street_doors(tuple(sorted(set(streets.values()))))
    if doors is not None:
        patterns.append(doors)
    found = [m.span() for pattern in patterns for m in pattern.finditer(folded) if m.end() > m.start()]
    # The resident's own words as runs of whole words, whatever lies between them.
    tokens = [(m.group(), m.start(), m.end()) for m in _WORD.finditer(folded)]
    words = [token[0] for token in tokens]
    given = _WORD.findall(_fold(name or "")[0])[-1:]
    runs = [*([honorific, *given] for honorific in _HONORIFICS if given)]
    for secret in (name, email, address, (address or "").split(",")[0]):
        run = _WORD.findall(_fold(secret or "")[0])
        if len("".join(run)) >= 3:
            runs.append(run)
    starts: dict[str, list[int]] = {}
    for i, word in enumerate(words):
        starts.setdefault(word, []).append(i)
    for run in runs:
        for i in starts.get(run[0], ()):
            if words[i:i + len(run)] == run:
                found.append((tokens[i][1], tokens[i + len(run) - 1][2]))
    spans += [(origin[start], origin[end - 1] + 1) for start, end in found]
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
