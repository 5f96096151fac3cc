"""Half-open UTC windows of at most one day, and splitting a window in two.

The API serves at most one day per request. A range becomes one window per UTC day
(clipped to the range); a window that times out is split in halves down to a floor.

Examples
--------
>>> from datetime import datetime, UTC
>>> ws = day_windows(datetime(2025, 3, 1, 12, tzinfo=UTC), datetime(2025, 3, 3, tzinfo=UTC))
>>> [w.label for w in ws]
['2025-03-01T12:00:00Z/2025-03-02T00:00:00Z', '2025-03-02T00:00:00Z/2025-03-03T00:00:00Z']
>>> ws[1].is_whole_day, ws[0].is_whole_day
(True, False)
>>> [w.label for w in ws[1].split()]
['2025-03-02T00:00:00Z/2025-03-02T12:00:00Z', '2025-03-02T12:00:00Z/2025-03-03T00:00:00Z']
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Final

from digitalcx_frames._read.query import format_instant

__all__ = ["MIN_WINDOW", "Window", "day_windows"]

MIN_WINDOW: Final = timedelta(minutes=15)
"""Splitting stops at this width: a window this small that still times out is an error."""
_DAY: Final = timedelta(days=1)


@dataclass(frozen=True, slots=True, order=True)
class Window:
    """The half-open UTC interval ``[start, end)`` of one request."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("window bounds must be aware UTC datetimes")
        if not self.start < self.end <= self.start + _DAY:
            raise ValueError(f"a window spans more than 0 and at most 24 h, got {self.start} .. {self.end}")

    @classmethod
    def of_day(cls, day: date) -> Window:
        """The whole UTC day ``day``, 00:00 to 00:00.

        >>> Window.of_day(date(2025, 3, 1)).label
        '2025-03-01T00:00:00Z/2025-03-02T00:00:00Z'
        """
        start = datetime.combine(day, time(), UTC)
        return cls(start, start + _DAY)

    @property
    def label(self) -> str:
        """``start/end`` in the wire format, used in messages and logs."""
        return f"{format_instant(self.start)}/{format_instant(self.end)}"

    @property
    def day(self) -> date:
        """The UTC day the window lies in."""
        return self.start.astimezone(UTC).date()

    @property
    def is_whole_day(self) -> bool:
        """Whether the window is exactly one UTC day, 00:00 to 00:00."""
        return self.start.timetz() == time(tzinfo=UTC) and self.end - self.start == _DAY

    @property
    def can_split(self) -> bool:
        """Whether halving the window keeps both halves at least :data:`MIN_WINDOW` wide."""
        return (self.end - self.start) / 2 >= MIN_WINDOW

    def split(self) -> tuple[Window, Window]:
        """The two halves, cut at the middle rounded down to the second."""
        middle = self.start + (self.end - self.start) / 2
        middle = middle.replace(microsecond=0) if middle.replace(microsecond=0) > self.start else middle
        return Window(self.start, middle), Window(middle, self.end)

    def wire_params(self) -> dict[str, str]:
        """``startDate`` and ``endDate`` as the API wants them."""
        return {"startDate": format_instant(self.start), "endDate": format_instant(self.end)}


def day_windows(start: datetime, end: datetime) -> list[Window]:
    """The windows covering ``[start, end)`` without gap or overlap, cut at UTC midnights."""
    start = start.astimezone(UTC)
    end = end.astimezone(UTC)
    windows: list[Window] = []
    cursor = start
    while cursor < end:
        midnight = datetime.combine(cursor.date() + _DAY, time(), UTC)
        stop = min(midnight, end)
        windows.append(Window(cursor, stop))
        cursor = stop
    return windows
