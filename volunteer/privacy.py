"""Privacy rules (Decree 13/2023): what is masked before storing, what each viewer sees."""
import re

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
    return bool(relations & {"holder", "lead", "coordinator"})


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
