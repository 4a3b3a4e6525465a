"""Vietnamese address text as residents type it, made comparable: one normaliser used by
the gazetteer, the official unit names and the router. Pure: no Flask, no database.

`address_tokens("K/p 3, P.05, T/p Đông Hà")` gives
`("khupho", "3", ",", "phuong", "5", ",", "thanhpho", "dong", "ha")`: Unicode NFKC,
diacritics folded, lower case, the abbreviations residents use written out as one
canonical token per kind of unit (the MARKERS below), numbers without leading zeros,
letters and digits typed together split ("F1" -> "phuong", "1"), and "," kept where
the resident separated the parts. House-level words ("số", "kiệt", "hẻm", "ngõ",
"đường" before a name) are dropped: they never name a place.
"""
from __future__ import annotations

import re
import unicodedata

MAX_ADDRESS_CHARS = 300
SEPARATOR = ","

# Canonical tokens for the kinds of unit; the gazetteer and the official names are
# normalised with the same function, so "Phường", "P." and "F" all read "phuong".
WARD = "phuong"
COMMUNE = "xa"
TOWNSHIP = "thitran"
CITY = "thanhpho"
TOWN = "thixa"
URBAN_DISTRICT = "quan"
RURAL_DISTRICT = "huyen"
PROVINCE = "tinh"
QUARTER = "khupho"  # khu phố, thôn, tổ dân phố: inside a ward, never a ward
UNIT_MARKERS = frozenset({WARD, COMMUNE, TOWNSHIP, CITY, TOWN, URBAN_DISTRICT,
                          RURAL_DISTRICT, PROVINCE})
MARKERS = UNIT_MARKERS | {QUARTER}

# Folded spellings -> canonical token. Several words spell one marker ("khu pho").
_PHRASES = {
    ("khu", "pho"): QUARTER, ("k", "p"): QUARTER, ("to", "dan", "pho"): QUARTER,
    ("thanh", "pho"): CITY, ("t", "p"): CITY,
    ("thi", "xa"): TOWN, ("t", "x"): TOWN,
    ("thi", "tran"): TOWNSHIP, ("t", "t"): TOWNSHIP,
    ("quoc", "lo"): "quoc lo",
}
_WORDS = {
    # phường: "P.", "Ph.", "Phg", "F" (from speech and SMS), and common slips
    "p": WARD, "ph": WARD, "phg": WARD, "f": WARD, "fuong": WARD, "phuong": WARD,
    "phuog": WARD, "phuon": WARD, "ward": WARD,
    "kp": QUARTER, "khupho": QUARTER, "tdp": QUARTER, "thon": QUARTER,
    "xom": QUARTER, "khom": QUARTER,
    "tp": CITY, "thanhpho": CITY, "tx": TOWN, "thixa": TOWN, "tt": TOWNSHIP,
    "q": URBAN_DISTRICT, "quan": URBAN_DISTRICT, "h": RURAL_DISTRICT, "huyen": RURAL_DISTRICT,
    "x": COMMUNE, "xa": COMMUNE, "tinh": PROVINCE,
    "ql": "quoc lo",
}
# Words that locate a door, not a place: dropped (before a number for "so"/"to").
_HOUSE_WORDS = frozenset({"kiet", "hem", "ngo", "ngach", "hxh"})
_DIGIT_ONLY_HOUSE_WORDS = frozenset({"so", "sn", "to"})
_STREET_WORDS = frozenset({"duong", "d"})  # "đường Lê Duẩn", "Đ. Lê Duẩn"; "Đường 9" stays
# A token glued to a ward word, as typed without spaces: "phuongdongle", "pdongle" stay
# as typed (the gazetteer compares joined spans); only the digit split is done here.
_GLUED = re.compile(r"([a-z]+)(\d+)|(\d+)([a-z]+)")

_D_MAP = str.maketrans({"đ": "d", "Đ": "D", "ð": "d", "Ð": "D"})
_SLASHED_UNIT = re.compile(r"\b([kt])\s*[/.]\s*([ptx])\b")  # K/p, K.P, T/p, T.X
_TOKEN = re.compile(r"[a-z]+|\d+|[,;\n]")


def fold(text: str) -> str:
    """'Phường Đông Lễ' -> 'phuong dong le': NFKC, đ -> d, combining marks removed, casefolded."""
    text = unicodedata.normalize("NFKC", str(text)).translate(_D_MAP)
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def _split_glued(raw: list[str]) -> list[str]:
    out = []
    for token in raw:
        match = _GLUED.fullmatch(token)
        if match and match.group(1):
            out += [match.group(1), match.group(2)]
        elif match:
            out += [match.group(3), match.group(4)]
        else:
            out.append(token)
    return out


def address_tokens(text: str | None) -> tuple[str, ...]:
    """The canonical tokens of an address (see the module docstring); () for nothing."""
    if not text:
        return ()
    folded = _SLASHED_UNIT.sub(r"\1\2", fold(text[:MAX_ADDRESS_CHARS]))
    raw = _split_glued(_TOKEN.findall(folded.replace("/", " ")))
    raw = [SEPARATOR if t in ",;\n" else (str(int(t)) if t.isdigit() else t) for t in raw]
    out: list[str] = []
    i = 0
    while i < len(raw):
        token = raw[i]
        following = raw[i + 1] if i + 1 < len(raw) else ""
        phrase = next(((n, _PHRASES[tuple(raw[i:i + n])]) for n in (3, 2)
                       if tuple(raw[i:i + n]) in _PHRASES), None)
        if phrase:
            out += phrase[1].split()
            i += phrase[0]
            continue
        i += 1
        if token in _HOUSE_WORDS:
            continue
        if token in _DIGIT_ONLY_HOUSE_WORDS and following.isdigit():
            continue
        if token in _STREET_WORDS and following.isalpha() and following not in _WORDS:
            continue
        if token == "h" and following.isdigit():
            continue  # "H.12" is a hẻm, "H. Cam Lộ" a huyện
        if token == "khu" and following.isdigit():
            token = QUARTER  # "Khu 3"; "khu công nghiệp" is a name
        out += _WORDS.get(token, token).split()
    while out and out[-1] == SEPARATOR:
        out.pop()
    return tuple(out)


def joined(tokens) -> str:
    """Tokens written together, the key for names typed without spaces ("dongle")."""
    return "".join(tokens)
