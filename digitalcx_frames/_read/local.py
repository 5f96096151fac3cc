"""Local calendar days and whole sessions: the read's range in a time zone, and sessions kept whole.

Local days. With ``tz="Europe/Amsterdam"`` a date means that zone's calendar day (23 or 25
hours on the days the clocks change) and a naive datetime that zone's wall time; the range
becomes the UTC instants ``[start, end)`` the rows must fall in. What is fetched is always
whole UTC days (the unit of the day cache, so a local-day read reuses what a UTC read
cached and the reverse, and no request spans more than 24 h); the rows outside the UTC
instants are dropped, and the timestamp columns come back in the zone.

Whole sessions. Sessions time out after 15 minutes without interaction (a day when
extended, API.md §5), so a session with a row in the range may have rows before or after
it. :data:`SESSION_MARGIN` either side is fetched with the range, and every row of a
session that has a row in the range is kept. A session that still has a row in the first
or last :data:`SESSION_GAP` of what was fetched may reach further than the margin: the
read warns with the count of such sessions (it never cuts one silently).

Examples
--------
>>> from datetime import date
>>> start, end = local_bounds(date(2026, 10, 25), date(2026, 10, 26), resolve_tz("Europe/Amsterdam"))
>>> start.isoformat(), end.isoformat(), (end - start).total_seconds() / 3600
('2026-10-24T22:00:00+00:00', '2026-10-25T23:00:00+00:00', 25.0)
>>> [d.isoformat() for d in covering_days(start, end)]
['2026-10-24', '2026-10-25']
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Final

import numpy as np
import polars as pl

from digitalcx_frames._read.query import Instant, to_utc
from digitalcx_frames.errors import ConfigurationError

__all__ = [
    "SESSION_GAP",
    "SESSION_MARGIN",
    "TIMESTAMP_COLUMNS",
    "SessionCut",
    "covering_days",
    "local_bounds",
    "localize",
    "localized_schema",
    "resolve_tz",
    "whole_sessions",
]

SESSION_MARGIN: Final = timedelta(hours=2)
"""Fetched before and after the range for ``whole_sessions=True``."""
SESSION_GAP: Final = timedelta(minutes=15)
"""The API's session timeout: a session idle this long has ended (unless extended)."""
TIMESTAMP_COLUMNS: Final = ("timestamp_start", "timestamp_end")
_DATE_ONLY: Final = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_HAS_OFFSET: Final = re.compile(r"(Z|[+-]\d{2}:?\d{2})$", re.IGNORECASE)


def resolve_tz(tz: object) -> zoneinfo.ZoneInfo | None:
    """The zone of ``tz=``: ``None`` (UTC, the default) or an IANA name.

    >>> resolve_tz("Europe/Amsterdam").key
    'Europe/Amsterdam'
    >>> resolve_tz("Europe/Amsterdamm")
    Traceback (most recent call last):
    ...
    digitalcx_frames.errors.ConfigurationError: tz='Europe/Amsterdamm' is not an IANA time zone name ...
    """
    if tz is None:
        return None
    if isinstance(tz, zoneinfo.ZoneInfo):
        return tz
    if not isinstance(tz, str) or not tz:
        raise ConfigurationError(f"tz must be an IANA time zone name such as 'Europe/Amsterdam', not {tz!r}")
    try:
        return zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        import difflib  # noqa: PLC0415 - only on the error path

        close = difflib.get_close_matches(tz, sorted(zoneinfo.available_timezones()), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ConfigurationError(
            f"tz={tz!r} is not an IANA time zone name (e.g. 'Europe/Amsterdam', 'UTC'){hint}"
        ) from None


def _local_instant(value: Instant, zone: zoneinfo.ZoneInfo, name: str) -> datetime:
    """``value`` read in ``zone``: a date is its local midnight, naive means local wall time."""
    if isinstance(value, np.datetime64):
        value = value.astype("datetime64[us]").item()
    if isinstance(value, str):
        text = value.strip()
        if _DATE_ONLY.match(text):
            value = date.fromisoformat(text)
        elif not _HAS_OFFSET.search(text):
            try:
                value = datetime.fromisoformat(text)
            except ValueError:
                return to_utc(value, name=name)  # its own words for a bad string
        else:
            return to_utc(value, name=name)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.replace(tzinfo=zone).astimezone(UTC)
        return value.astimezone(UTC)
    if isinstance(value, date):
        return datetime.combine(value, time(), zone).astimezone(UTC)
    return to_utc(value, name=name)


def local_bounds(start: Instant, end: Instant, zone: zoneinfo.ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants of a range given in ``zone`` (dates are that zone's calendar days).

    >>> from datetime import date
    >>> s, e = local_bounds(date(2026, 3, 29), date(2026, 3, 30), resolve_tz("Europe/Amsterdam"))
    >>> s.isoformat(), (e - s).total_seconds() / 3600
    ('2026-03-28T23:00:00+00:00', 23.0)
    """
    return _local_instant(start, zone, "start"), _local_instant(end, zone, "end")


def covering_days(start: datetime, end: datetime) -> list[date]:
    """The UTC days that hold any instant of ``[start, end)``."""
    first = start.astimezone(UTC).date()
    last_instant = end.astimezone(UTC) - timedelta(microseconds=1)
    return [first + timedelta(days=n) for n in range((last_instant.date() - first).days + 1)]


def localized_schema(schema: pl.Schema, zone: zoneinfo.ZoneInfo | None) -> pl.Schema:
    """``schema`` with its timestamp columns in ``zone`` (unchanged for ``None``)."""
    if zone is None:
        return schema
    return pl.Schema(
        {name: pl.Datetime("us", zone.key) if name in TIMESTAMP_COLUMNS else dtype for name, dtype in schema.items()}
    )


def localize(frame: pl.DataFrame, zone: zoneinfo.ZoneInfo | None) -> pl.DataFrame:
    """``frame``'s timestamp columns converted to ``zone`` (the same instants)."""
    if zone is None:
        return frame
    present = [name for name in TIMESTAMP_COLUMNS if name in frame.columns]
    return frame.with_columns(pl.col(name).dt.convert_time_zone(zone.key) for name in present)


def _utc_lit(moment: datetime) -> pl.Expr:
    return pl.lit(moment.astimezone(UTC), dtype=pl.Datetime("us", "UTC"))


@dataclass(frozen=True)
class SessionCut:
    """Sessions of a whole-sessions read that may reach beyond what was fetched."""

    before: int
    """Sessions with a row in the first :data:`SESSION_GAP` of the fetched span."""
    after: int
    """Sessions with a row in the last :data:`SESSION_GAP` of the fetched span (when it ends in the past)."""

    def message(self, fetched_from: datetime, fetched_to: datetime) -> str | None:
        """The warning to give, or ``None``."""
        if not (self.before or self.after):
            return None
        parts = []
        if self.before:
            parts.append(f"{self.before} session(s) may have begun before {fetched_from:%Y-%m-%d %H:%M} UTC")
        if self.after:
            parts.append(f"{self.after} session(s) may go on after {fetched_to:%Y-%m-%d %H:%M} UTC")
        return (
            "whole_sessions: " + " and ".join(parts) + f" (rows up to {SESSION_MARGIN} either side of the range "
            "were fetched); widen start/end to include them whole"
        )


def whole_sessions(
    frame: pl.DataFrame,
    *,
    start: datetime,
    end: datetime,
    fetched_from: datetime,
    fetched_to: datetime,
    now: datetime,
    predicate: pl.Expr | None = None,
    by: Sequence[str] = ("session_uuid",),
) -> tuple[pl.DataFrame, SessionCut]:
    """Every row of each session that has a row in ``[start, end)`` (and matching ``predicate``).

    ``frame`` holds the rows of ``[fetched_from, fetched_to)`` (the range and its margin),
    in time order; the result keeps that order. With a ``predicate`` a session is kept when
    one of its rows in the range matches it: filters select sessions, and keep them whole.
    ``by`` names a session (with several projects: the project and the session id). The
    timestamp column may be in any time zone.
    """
    ts = pl.col("timestamp_start").dt.convert_time_zone("UTC")
    in_range = (ts >= _utc_lit(start)) & (ts < _utc_lit(end))
    if predicate is not None:
        in_range = in_range & predicate.fill_null(False)
    kept = frame.filter(in_range.any().over(list(by)))
    if kept.is_empty():
        return kept, SessionCut(0, 0)
    first = kept.group_by(list(by)).agg(ts.min().alias("first"), ts.max().alias("last"))
    edge_lo = fetched_from + SESSION_GAP
    edge_hi = fetched_to - SESSION_GAP
    before = first.filter(pl.col("first") < edge_lo).height
    after = first.filter(pl.col("last") >= edge_hi).height if fetched_to <= now else 0
    return kept, SessionCut(before, after)
