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

import threading
import time as monotonic
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Final, Literal

from digitalcx_frames._read.query import format_instant

__all__ = ["FORGET_AFTER", "MIN_WINDOW", "Window", "WindowLengths", "day_windows", "learned_lengths"]

MIN_WINDOW: Final = timedelta(minutes=15)
"""Splitting stops at this width: a window this small that still times out is an error."""
_DAY: Final = timedelta(days=1)
FORGET_AFTER: Final = timedelta(hours=24)
"""What a client learned about window lengths is forgotten this long after it was last
confirmed: a service that was slow yesterday is given full days again."""


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


class WindowLengths:
    """The window lengths a service answers in time, learned while a client reads.

    One per client and (customer, project, culture). A window that times out (408, 504, no
    answer) teaches at once: no window of that length or longer is tried again, not one
    not yet started, nor the other half of a split in progress on another worker. Windows
    are cut to the longest length that succeeded, else to half the shortest that failed.
    Rarely a longer window is tried again (a *probe*: twice the working length, at most one
    in flight and one per read, since each failed probe costs a timeout), so that a quiet
    period is not fetched in needlessly small slices. All of it is forgotten
    :data:`FORGET_AFTER` after it was last confirmed.

    Parameters
    ----------
    clock
        Monotonic seconds (tests inject one).
    forget_after
        How long what was learned is kept.

    Examples
    --------
    >>> lengths = WindowLengths()
    >>> day = Window.of_day(date(2025, 3, 1))
    >>> lengths.admit(day, read=1)
    'fetch'
    >>> lengths.timed_out(day)
    >>> lengths.admit(day, read=1), lengths.admit(day.split()[0], read=1)
    ('split', 'fetch')
    >>> lengths.succeeded(day.split()[0])
    >>> lengths
    WindowLengths(works=12:00:00, times_out=1 day, 0:00:00, probing=False)
    """

    def __init__(
        self, *, clock: Callable[[], float] = monotonic.monotonic, forget_after: timedelta = FORGET_AFTER
    ) -> None:
        self._clock = clock
        self._forget_after = forget_after.total_seconds()
        self._lock = threading.Lock()
        self._works: timedelta | None = None
        self._fails: timedelta | None = None
        self._confirmed = clock()
        self._probing = False
        self._probed: int | None = None  # id() of the latest read that probed

    def __repr__(self) -> str:
        return f"WindowLengths(works={self._works}, times_out={self._fails}, probing={self._probing})"

    def _expire(self) -> None:
        if self._clock() - self._confirmed > self._forget_after:
            self._works = self._fails = None

    def _target(self) -> timedelta | None:
        if self._works is not None:
            return self._works
        if self._fails is not None:
            return self._fails / 2
        return None

    def fits(self, window: Window) -> bool:
        """Whether ``window`` may be asked for as it is (no probe needed)."""
        with self._lock:
            self._expire()
            target = self._target()
            return target is None or window.end - window.start <= target

    def admit(self, window: Window, *, read: object) -> Literal["fetch", "probe", "split"]:
        """``"fetch"`` it, ``"probe"`` it (then report how it went), or ``"split"`` it first.

        ``read`` identifies the read asking (one probe per read).
        """
        length = window.end - window.start
        with self._lock:
            self._expire()
            target = self._target()
            if target is None or length <= target:
                return "fetch"
            key = id(read)
            if (
                not self._probing
                and key != self._probed
                and self._works is not None
                and length <= 2 * self._works
                and window.can_split
            ):
                self._probing = True
                self._probed = key  # one probe per read
                return "probe"
            return "split"

    def succeeded(self, window: Window, *, probe: bool = False) -> None:
        """``window`` was answered in time."""
        length = window.end - window.start
        with self._lock:
            self._expire()
            self._confirmed = self._clock()
            if self._works is None or length > self._works:
                self._works = length
            if self._fails is not None and length >= self._fails:
                self._fails = None
            if probe:
                self._probing = False

    def timed_out(self, window: Window, *, probe: bool = False) -> None:
        """``window`` timed out."""
        length = window.end - window.start
        with self._lock:
            self._expire()
            self._confirmed = self._clock()
            if self._fails is None or length < self._fails:
                self._fails = length
            if self._works is not None and self._works >= length:
                self._works = None
            if probe:
                self._probing = False

    def probe_ended(self) -> None:
        """A probe ended without an answer either way (an error, a stop)."""
        with self._lock:
            self._probing = False


_LEARNED: weakref.WeakKeyDictionary[object, dict[tuple[str, ...], WindowLengths]] = weakref.WeakKeyDictionary()
_LEARNED_LOCK = threading.Lock()


def learned_lengths(owner: object, key: tuple[str, ...]) -> WindowLengths:
    """The :class:`WindowLengths` that ``owner`` (a client) learned for ``key``; kept as long as the owner lives."""
    with _LEARNED_LOCK:
        per_owner = _LEARNED.setdefault(owner, {})
        if key not in per_owner:
            per_owner[key] = WindowLengths()
        return per_owner[key]
