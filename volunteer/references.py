"""Public ticket references: short, not sequential, not guessable."""
import re
import secrets

# No 0/O, 1/I/L: a reference is read aloud over the phone and copied from paper.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 6


def new_reference(prefix: str) -> str:
    return f"{prefix}-" + "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def clean_reference(raw: str | None, prefix: str) -> str | None:
    """Accept what residents type ("dh 7k3q9m", "7K3Q9M"); None if it cannot be one."""
    if not raw:
        return None
    compact = re.sub(r"[\s\-_.]", "", raw.upper())
    if compact.startswith(prefix.upper()):
        compact = compact[len(prefix):]
    if len(compact) != LENGTH or any(ch not in ALPHABET for ch in compact):
        return None
    return f"{prefix.upper()}-{compact}"
