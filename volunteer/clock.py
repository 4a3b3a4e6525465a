"""Time, in one place: moments are stored as naive UTC; people live in Asia/Ho_Chi_Minh."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def utcnow() -> datetime:
    """Naive UTC, the one form SQLite and PostgreSQL both hand back unchanged."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def to_local(moment: datetime | None) -> datetime | None:
    """A stored moment (naive means UTC) as aware local time."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(LOCAL_TZ)


def local_date(moment: datetime) -> date:
    """The local calendar day of a stored moment."""
    return to_local(moment).date()


def as_stored(moment: datetime) -> datetime:
    """An aware moment, or a naive one read as local time, as stored (naive UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LOCAL_TZ)
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def local_midnight_utc(day: date) -> datetime:
    """The stored moment a local day starts."""
    return as_stored(datetime.combine(day, time.min))


def local_offset() -> timedelta:
    """Asia/Ho_Chi_Minh has no daylight saving, so one offset shifts every day in SQL."""
    return datetime.now(LOCAL_TZ).utcoffset() or timedelta()


def local_isoformat(moment: datetime | None) -> str | None:
    """ISO 8601 (W3C) in local time with its offset, e.g. 2026-01-01T07:00:00+07:00."""
    local = to_local(moment)
    return local.isoformat(timespec="seconds") if local else None
