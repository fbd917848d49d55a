"""Fast, allocation-light time helpers.

The world keeps every moment as an integer number of seconds since
1970-01-01 in *naive Brazil local time* (the API sends no timezone), because
ints are small and cheap to compare; strings are produced only when a row is
rendered or indexed. Formatting uses a per-day cache since ``strftime`` is too
slow for millions of rows.
"""
from __future__ import annotations

from datetime import datetime, timedelta

ZERO = "0000-00-00 00:00:00"
DAY = 86400
_EPOCH = datetime(1970, 1, 1)
_DAYS: dict[int, tuple[str, str]] = {}


def to_ts(dt: datetime) -> int:
    """Encode a naive datetime as whole seconds (no timezone arithmetic)."""
    return int((dt - _EPOCH).total_seconds())


def from_ts(ts: int) -> datetime:
    """Decode seconds back into a naive datetime."""
    return _EPOCH + timedelta(seconds=ts)


def _day(ts: int) -> tuple[str, str]:
    """(YYYY-MM-DD, DD/MM/YYYY) for the day containing ``ts``, cached."""
    d = ts // DAY
    hit = _DAYS.get(d)
    if hit is None:
        dt = _EPOCH + timedelta(days=d)
        hit = (f"{dt.year:04d}-{dt.month:02d}-{dt.day:02d}",
               f"{dt.day:02d}/{dt.month:02d}/{dt.year:04d}")
        _DAYS[d] = hit
    return hit


def fmt_dt(ts: int | None) -> str | None:
    """``YYYY-MM-DD HH:MM:SS`` as CVDW sends it; None stays None."""
    if ts is None:
        return None
    s = ts % DAY
    return f"{_day(ts)[0]} {s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}"


def fmt_d(ts: int | None) -> str | None:
    """Date-only ``YYYY-MM-DD`` (some CVDW columns come like this)."""
    return None if ts is None else _day(ts)[0]


def fmt_br(ts: int | None) -> str | None:
    """``DD/MM/YYYY`` text, as ``unidades`` dates are sent."""
    return None if ts is None else _day(ts)[1]


def midnight(ts: int) -> int:
    """Start of the day containing ``ts``."""
    return ts - ts % DAY


def parse_dt(text: str) -> int:
    """Inverse of :func:`fmt_dt` (raises ValueError on anything else)."""
    return to_ts(datetime.strptime(text, "%Y-%m-%d %H:%M:%S"))
