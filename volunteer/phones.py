"""Vietnamese phone numbers, normalized to +84 form."""
import re
import unicodedata

from flask_babel import lazy_gettext as _l

_SEPARATORS = re.compile(r"[\s.\-()/]")
# National significant numbers: mobiles are 9 digits starting 3, 5, 7, 8 or 9
# (since the 2018 renumbering); landlines are 10 digits starting 2 (area code 2xx).
_MOBILE = re.compile(r"[35789][0-9]{8}")
_LANDLINE = re.compile(r"2[0-9]{9}")


class InvalidPhone(ValueError):
    def __init__(self, message=None):
        self.message = message or _l(
            "Số điện thoại không hợp lệ. Vui lòng nhập số di động hoặc số bàn Việt Nam, "
            "ví dụ 0912 345 678."
        )
        super().__init__(str(self.message))


def _plain_digits(text: str) -> str:
    """Full-width digits and plus (NFKC), then any script's digits (Arabic-Indic, …), as
    ASCII: "０９１２…" and "٠٩١٢…" are the same person as "0912…"."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in text)


def normalize_phone(raw: str | None) -> str:
    """Return the number as +84…, or raise InvalidPhone."""
    if raw is None:
        raise InvalidPhone()
    compact = _SEPARATORS.sub("", _plain_digits(str(raw)).strip())
    if compact.startswith("+84"):
        national = compact[3:]
    elif compact.startswith("0084"):
        national = compact[4:]
    elif compact.startswith("84") and len(compact) in (11, 12):
        national = compact[2:]
    elif compact.startswith("0"):
        national = compact[1:]
    else:
        raise InvalidPhone()
    if national.startswith("0"):
        national = national[1:]  # "+84 0912…" is a common way to write it
    if not (_MOBILE.fullmatch(national) or _LANDLINE.fullmatch(national)):
        raise InvalidPhone()
    return "+84" + national


def display_phone(normalized: str) -> str:
    """+84912345678 → 0912 345 678, as people read it aloud."""
    national = "0" + normalized[3:]
    if len(national) == 10:
        return f"{national[:4]} {national[4:7]} {national[7:]}"
    return f"{national[:4]} {national[4:8]} {national[8:]}"
