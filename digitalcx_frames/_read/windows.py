"""Half-open UTC windows of at most one day, splitting a window in two, and the lengths that work.

The API serves at most one day per request. A range becomes one window per UTC day
(clipped to the range); a window that times out is split in halves down to a floor.

What a client learns about the window lengths a service answers in time
(:class:`WindowLengths`) lives on the client, per (customer, project, culture), and, when
the read has a day cache, also in ``<cache folder>/window-lengths.json`` so that the next
process starts from it (:func:`learned_lengths`). Both are forgotten :data:`FORGET_AFTER`
(24 h) after they were last confirmed. The file holds lengths, a time and the key (the
base URL's host and port, customer, project, culture): never a secret, a token or a row.

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

import json
import logging
import math
import threading
import time as clocks
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Final, Literal
from urllib.parse import urlsplit

from digitalcx_frames._files import atomic_write
from digitalcx_frames._read.query import format_instant

__all__ = [
    "FORGET_AFTER",
    "LENGTHS_FILE",
    "MIN_WINDOW",
    "Learned",
    "Window",
    "WindowLengths",
    "day_windows",
    "learned_lengths",
    "without_learning",
]

logger = logging.getLogger(__name__)

MIN_WINDOW: Final = timedelta(minutes=15)
"""Splitting stops at this width: a window this small that still times out is an error."""
_DAY: Final = timedelta(days=1)
FORGET_AFTER: Final = timedelta(hours=24)
"""What a client learned about window lengths is forgotten this long after it was last
confirmed: a service that was slow yesterday is given full days again. The same holds for
what is remembered in the cache folder across processes."""
LENGTHS_FILE: Final = "window-lengths.json"
"""The file in the cache folder that remembers learned lengths across processes."""
_FILE_VERSION: Final = 1
_REFRESH_AFTER: Final = 3600.0
"""Seconds after which a confirmation alone (nothing changed) is written to the file again."""


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


@dataclass(frozen=True, slots=True)
class Learned:
    """What a :class:`WindowLengths` knows: the longest length that worked, the shortest that timed out."""

    works: timedelta | None = None
    times_out: timedelta | None = None

    @property
    def empty(self) -> bool:
        """Whether nothing was learned."""
        return self.works is None and self.times_out is None


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
    learn
        ``False``: learn nothing. Every window is fetched as it comes and split only when it
        times out, each day starting again at 24 h (the reader before adaptive windows; see
        :func:`without_learning`).

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
    >>> off = WindowLengths(learn=False)
    >>> off.timed_out(day)
    >>> off.admit(day, read=1)
    'fetch'
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = clocks.monotonic,
        forget_after: timedelta = FORGET_AFTER,
        learn: bool = True,
    ) -> None:
        self._clock = clock
        self._forget_after = forget_after.total_seconds()
        self._learn = learn
        self._lock = threading.Lock()
        self._works: timedelta | None = None
        self._fails: timedelta | None = None
        self._confirmed = clock()
        self._probing = False
        self._probed: int | None = None  # id() of the latest read that probed
        self._sink: Callable[[Learned], object] | None = None
        self._sink_lock = threading.Lock()
        self._reported = self._confirmed

    def __repr__(self) -> str:
        if not self._learn:
            return "WindowLengths(learn=False)"
        return f"WindowLengths(works={self._works}, times_out={self._fails}, probing={self._probing})"

    @property
    def learns(self) -> bool:
        """Whether outcomes are learned from (``False`` for :func:`without_learning`)."""
        return self._learn

    def learned(self) -> Learned:
        """What is known now (nothing once it is older than ``forget_after``)."""
        with self._lock:
            self._expire()
            return Learned(self._works, self._fails)

    def restore(self, learned: Learned, *, age: float = 0.0) -> None:
        """Start from ``learned``, confirmed ``age`` seconds ago (what another process learned)."""
        with self._lock:
            if not self._learn:
                return
            self._works, self._fails = learned.works, learned.times_out
            self._confirmed = self._reported = self._clock() - max(age, 0.0)

    def report_to(self, sink: Callable[[Learned], object] | None) -> None:
        """Call ``sink`` with what is known whenever it changes (and at most hourly when only confirmed)."""
        self._sink = sink

    @property
    def reported(self) -> bool:
        """Whether changes are reported to a sink (remembered across processes)."""
        return self._sink is not None

    def _expire(self) -> None:
        if self._clock() - self._confirmed > self._forget_after:
            self._works = self._fails = None

    def _target(self) -> timedelta | None:
        if self._works is not None:
            return self._works
        if self._fails is not None:
            return self._fails / 2
        return None

    def _report(self, changed: bool) -> None:
        """Hand what is known to the sink, outside the lengths' lock; the latest state is written last."""
        sink = self._sink
        if sink is None:
            return
        with self._sink_lock:
            with self._lock:
                now = self._clock()
                if not changed and now - self._reported < _REFRESH_AFTER:
                    return
                self._reported = now
                learned = Learned(self._works, self._fails)
            sink(learned)

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
        if not self._learn:
            return
        length = window.end - window.start
        with self._lock:
            self._expire()
            before = (self._works, self._fails)
            self._confirmed = self._clock()
            if probe:
                self._probing = False
            if self._works is None and self._fails is None:
                return  # nothing has timed out: nothing to learn (a part of a day restricts no later window)
            if self._works is None or length > self._works:
                self._works = length
            if self._fails is not None and length >= self._fails:
                self._fails = None
            changed = before != (self._works, self._fails)
        self._report(changed)

    def timed_out(self, window: Window, *, probe: bool = False) -> None:
        """``window`` timed out."""
        if not self._learn:
            return
        length = window.end - window.start
        with self._lock:
            self._expire()
            before = (self._works, self._fails)
            self._confirmed = self._clock()
            if self._fails is None or length < self._fails:
                self._fails = length
            if self._works is not None and self._works >= length:
                self._works = None
            if probe:
                self._probing = False
            changed = before != (self._works, self._fails)
        self._report(changed)

    def probe_ended(self) -> None:
        """A probe ended without an answer either way (an error, a stop)."""
        with self._lock:
            self._probing = False


# -- remembered across processes ------------------------------------------------------------


def _entry_key(owner: object, key: tuple[str, ...]) -> str:
    """The file's key for ``key`` read by ``owner``: the base URL's host and port first (no path, no user info)."""
    base_url = getattr(owner, "base_url", None)
    host = ""
    if isinstance(base_url, str):
        parts = urlsplit(base_url)
        host = (parts.hostname or "") + (f":{parts.port}" if parts.port else "")
    return json.dumps([host, *key], separators=(",", ":"))


def _seconds(value: object) -> timedelta | None:
    """A stored length: ``None``, or seconds in (0, one day]; anything else is damage."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= _DAY.total_seconds():
        raise ValueError(f"not a window length: {value!r}")
    return timedelta(seconds=value)


class _LengthsFile:
    """``<folder>/window-lengths.json``: what clients learned, per key, with the wall time it was confirmed.

    Damage of any kind (not JSON, a wrong shape, a length out of range) reads as "nothing
    remembered"; a write that fails is logged and forgotten: remembering never fails a read.
    """

    _lock = threading.Lock()  # one writer at a time in this process (others: last one wins)

    def __init__(self, folder: Path, entry: str, *, wall: Callable[[], float], forget_after: timedelta) -> None:
        self.folder = folder
        self.path = folder / LENGTHS_FILE
        self.entry = entry
        self.wall = wall
        self.forget_after = forget_after.total_seconds()

    def _entries(self) -> dict[str, Any]:
        try:
            if self.path.is_symlink() or not self.path.is_file():
                return {}
            document = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            logger.debug("ignoring %s: %s", self.path, type(exc).__name__)
            return {}
        if not isinstance(document, dict) or document.get("version") != _FILE_VERSION:
            return {}
        entries = document.get("entries")
        return entries if isinstance(entries, dict) else {}

    def _parse(self, entry: object) -> tuple[Learned, float] | None:
        """``(learned, age in seconds)`` of one entry, or ``None`` when damaged, expired or from the future."""
        if not isinstance(entry, dict):
            return None
        try:
            learned = Learned(_seconds(entry.get("works_seconds")), _seconds(entry.get("times_out_seconds")))
        except ValueError:
            return None
        confirmed = entry.get("confirmed")
        if isinstance(confirmed, bool) or not isinstance(confirmed, int | float) or not math.isfinite(confirmed):
            return None
        age = self.wall() - confirmed
        if learned.empty or not -60 <= age <= self.forget_after:
            return None
        return learned, max(age, 0.0)

    def load(self) -> tuple[Learned, float] | None:
        """What is remembered for this entry and how old it is, or ``None``."""
        with self._lock:
            return self._parse(self._entries().get(self.entry))

    def save(self, learned: Learned) -> None:
        """Remember ``learned`` as confirmed now (entries that are forgotten anyway are dropped)."""
        with self._lock:
            entries = {key: value for key, value in self._entries().items() if self._parse(value) is not None}
            if learned.times_out is None and (learned.works is None or learned.works >= _DAY):
                entries.pop(self.entry, None)  # whole days work: nothing worth remembering
            else:
                entries[self.entry] = {
                    "works_seconds": None if learned.works is None else learned.works.total_seconds(),
                    "times_out_seconds": None if learned.times_out is None else learned.times_out.total_seconds(),
                    "confirmed": self.wall(),
                }
            text = json.dumps({"version": _FILE_VERSION, "entries": entries}, indent=1, sort_keys=True)
            try:
                if self.folder.is_symlink():  # the cache never follows a link; neither does this
                    return
                with atomic_write(self.path, private_folder=not self.folder.is_dir()) as part:
                    part.write_text(text + "\n", encoding="utf-8")
            except Exception as exc:
                logger.debug("could not remember window lengths in %s: %s", self.path, type(exc).__name__)


_LEARNED: weakref.WeakKeyDictionary[object, dict[tuple[str, ...], WindowLengths]] = weakref.WeakKeyDictionary()
_NOT_LEARNING: weakref.WeakSet[object] = weakref.WeakSet()
_LEARNED_LOCK = threading.Lock()


def learned_lengths(
    owner: object,
    key: tuple[str, ...],
    *,
    folder: Path | None = None,
    wall: Callable[[], float] = clocks.time,
    clock: Callable[[], float] = clocks.monotonic,
    forget_after: timedelta = FORGET_AFTER,
) -> WindowLengths:
    """The :class:`WindowLengths` that ``owner`` (a client) learned for ``key``; kept as long as the owner lives.

    Parameters
    ----------
    owner
        The client (its ``base_url``'s host and port are part of the file's key).
    key
        ``(customer, project, culture)``.
    folder
        The day cache's folder (see ``cache_root``): what was learned is also kept in its
        ``window-lengths.json`` and a new client (another process) starts from it. ``None``
        (``cache=False``): nothing is read or written.
    wall, clock
        Wall-clock seconds (the file's times) and monotonic seconds; tests inject them.
    forget_after
        How long what was learned is kept, in memory and in the file.

    Examples
    --------
    >>> import tempfile
    >>> class Owner:
    ...     base_url = "https://analytics.example"
    >>> day = Window.of_day(date(2025, 3, 1))
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     learned_lengths(Owner(), ("acme", "support", "nl"), folder=Path(tmp)).timed_out(day)
    ...     later = learned_lengths(Owner(), ("acme", "support", "nl"), folder=Path(tmp))  # a new client
    >>> later.admit(day, read=1)
    'split'
    """
    with _LEARNED_LOCK:
        per_owner = _LEARNED.setdefault(owner, {})
        lengths = per_owner.get(key)
        if lengths is None:
            learn = owner not in _NOT_LEARNING
            lengths = per_owner[key] = WindowLengths(clock=clock, forget_after=forget_after, learn=learn)
        if folder is not None and lengths.learns and not lengths.reported:
            remembered = _LengthsFile(folder, _entry_key(owner, key), wall=wall, forget_after=forget_after)
            if lengths.learned().empty:
                loaded = remembered.load()
                if loaded is not None:
                    lengths.restore(loaded[0], age=loaded[1])
            lengths.report_to(remembered.save)
        return lengths


def without_learning(owner: object) -> None:
    """Make every read with ``owner`` (a client) fetch as before adaptive windows: learn nothing.

    Each window starts at its full length (a day) and is split only when it times out; no
    length is remembered, in memory or in the cache folder. Benchmarks use it to compare
    against the adaptive reader; a user has no reason to.

    Examples
    --------
    >>> class Owner: ...
    >>> owner = Owner()
    >>> without_learning(owner)
    >>> lengths = learned_lengths(owner, ("acme", "support", "nl"))
    >>> day = Window.of_day(date(2025, 3, 1))
    >>> lengths.timed_out(day)
    >>> lengths.admit(day, read=1), lengths.learns
    ('fetch', False)
    """
    with _LEARNED_LOCK:
        _NOT_LEARNING.add(owner)
        _LEARNED[owner] = {}
