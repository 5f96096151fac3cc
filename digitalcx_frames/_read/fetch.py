"""Windows x pages over a bounded thread pool: the one loop that fetches a read.

Each window is fetched by one worker: its pages in sequence (the next page is asked for as
soon as a response's headers carry its token, see :mod:`digitalcx_frames._http.pages`), each
page parsed into a typed frame as it arrives. A window that times out is split in halves
and fetched again; a page that does not parse is fetched again a few times. Windows come
back in window order whatever the concurrency, so a read gives the same frame with one
worker or eight.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

import polars as pl

from digitalcx_frames._http.pages import iter_pages
from digitalcx_frames._http.transport import Client
from digitalcx_frames._read.parse import ParsedPage, empty_frame, parse_bodies, parse_body
from digitalcx_frames._read.query import Query
from digitalcx_frames._read.windows import Window
from digitalcx_frames.errors import ParseError, WindowTimeoutError

__all__ = ["Cancelled", "Fetcher", "ReadStats", "WindowResult", "iter_ordered"]

logger = logging.getLogger("digitalcx_frames")

T = TypeVar("T")


class Cancelled(Exception):  # noqa: N818 - a control-flow signal, not an error reported to users
    """The read was stopped (a ``head`` is satisfied or another window failed)."""


@dataclass
class ReadStats:
    """Counters of one read, updated from worker threads under a lock."""

    requests: int = 0
    pages: int = 0
    rows: int = 0
    bytes: int = 0
    retries: int = 0
    splits: int = 0
    windows: int = 0
    cached_windows: int = 0
    unknown_types: Counter[str] = field(default_factory=Counter)
    extra_columns: dict[str, None] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add_page(self, parsed: ParsedPage, attempts: int, *, pages: int = 1) -> None:
        """Count parsed pages (``attempts``: the requests they took)."""
        with self._lock:
            self.pages += pages
            self.requests += attempts
            self.retries += attempts - pages
            self.rows += parsed.frame.height
            self.bytes += parsed.n_bytes
            self.unknown_types.update(parsed.unknown_types)
            self.extra_columns.update(dict.fromkeys(parsed.extra_columns))

    def add(self, **counts: int) -> None:
        """Add to named counters (``splits=1``, ``windows=1`` ...)."""
        with self._lock:
            for name, value in counts.items():
                setattr(self, name, getattr(self, name) + value)


@dataclass(frozen=True, slots=True)
class WindowResult:
    """The parsed pages of one window, in the order the server sent them."""

    window: Window
    frames: tuple[pl.DataFrame, ...]


class DayStore(Protocol):
    """Where whole closed days are kept between reads (the day cache)."""

    def load(self, window: Window) -> pl.DataFrame | None:
        """The stored frame of a whole-day window, or ``None``."""

    def save(self, window: Window, frame: pl.DataFrame) -> object:
        """Keep the complete frame of a whole-day window, if the day is closed."""


class Fetcher:
    """Fetches windows of one query with one client.

    Parameters
    ----------
    client
        The :class:`~digitalcx_frames.Client` to fetch with.
    query
        The validated query.
    stats
        Counters for the read, shared by all workers.
    stop
        Set to stop every worker at its next page.
    store
        The day cache, or ``None``.
    parse_retries
        How often a window whose body does not parse is fetched again.
    """

    def __init__(
        self,
        client: Client,
        query: Query,
        *,
        stats: ReadStats,
        stop: threading.Event,
        store: DayStore | None = None,
        parse_retries: int = 2,
    ) -> None:
        self.client = client
        self.query = query
        self.stats = stats
        self.stop = stop
        self.store = store
        self.parse_retries = parse_retries
        self._url = client.interactions_url(query.customer_key, query.project_key)
        self._params = query.wire_params()

    def result(self, window: Window) -> WindowResult:
        """All rows of ``window``: from the store if it has the day, else fetched (and stored)."""
        if self.stop.is_set():
            raise Cancelled
        cached = self.cached(window)
        if cached is not None:
            return WindowResult(window, (cached,))
        frames = tuple(self.fetch(window))
        self.stats.add(windows=1)
        if self.store is not None and window.is_whole_day:
            self.store.save(window, _concat(frames))
        return WindowResult(window, frames)

    def cached(self, window: Window) -> pl.DataFrame | None:
        """The stored frame of a whole-day window (counted in the stats), or ``None``."""
        if self.store is None or not window.is_whole_day:
            return None
        frame = self.store.load(window)
        if frame is not None:
            self.stats.add(cached_windows=1, windows=1, rows=frame.height)
        return frame

    def fetch(self, window: Window) -> list[pl.DataFrame]:
        """Every page of ``window``, splitting it in halves while it times out."""
        attempt = 0
        while True:
            attempt += 1
            try:
                return [self.whole(window)]
            except WindowTimeoutError as exc:
                if not window.can_split:
                    raise
                logger.info("window %s timed out (%s); splitting it in two", window.label, exc.status_code or "read")
                self.stats.add(splits=1)
                first, second = window.split()
                return self.fetch(first) + self.fetch(second)
            except ParseError:
                if attempt > self.parse_retries:
                    raise
                self.stats.add(retries=1)
                logger.info("window %s: a page did not parse; fetching the window again", window.label)

    def whole(self, window: Window) -> pl.DataFrame:
        """Every page of ``window`` read, then parsed together (no splitting, no retries).

        Parsing a window's pages in one go pays the fixed cost of a parse once per window;
        the next page is still asked for while the current body is read.
        """
        params = {**self._params, **window.wire_params()}
        pages = iter_pages(self.client, self._url, params, accept=self.query.accept, window=window.label)
        bodies: list[bytes] = []
        attempts = 0
        try:
            for page in pages:
                if self.stop.is_set():
                    raise Cancelled
                if page.continuation_token is not None and _holds_no_row(page.body, self.query.format):
                    raise _empty_page_with_token(window, page.number)
                bodies.append(page.body)
                attempts += page.attempts
        finally:
            pages.close()  # type: ignore[attr-defined]
        parsed = parse_bodies(bodies, format=self.query.format, window=window.label)
        if parsed.frame.get_column("log_id").is_duplicated().any():
            raise ParseError("a LogId appears twice in the window (a page served twice?)", window=window.label)
        self.stats.add_page(parsed, attempts, pages=len(bodies))
        return parsed.frame

    def stream_resilient(self, window: Window) -> Iterator[pl.DataFrame]:
        """The pages of ``window`` as they arrive, recovering like :meth:`fetch`.

        If a page times out or does not parse, the window is fetched again as :meth:`fetch`
        does (split, re-fetched) and only the rows not yet yielded follow, so nothing is
        repeated and nothing is lost.
        """
        yielded: list[pl.Series] = []
        pages = self.stream(window)
        try:
            for frame in pages:
                yielded.append(frame.get_column("log_id"))
                yield frame
            return
        except (WindowTimeoutError, ParseError) as exc:
            logger.info("window %s failed while streaming (%s); fetching it again", window.label, type(exc).__name__)
        finally:
            pages.close()  # type: ignore[attr-defined]
        seen = pl.concat(yielded) if yielded else None
        for frame in self.fetch(window):
            yield frame if seen is None else frame.filter(~pl.col("log_id").is_in(seen.implode()))

    def stream(self, window: Window) -> Iterator[pl.DataFrame]:
        """The pages of ``window`` as typed frames, as they arrive (no splitting, no retries)."""
        params = {**self._params, **window.wire_params()}
        pages = iter_pages(self.client, self._url, params, accept=self.query.accept, window=window.label)
        seen: list[pl.Series] = []
        try:
            for page in pages:
                if self.stop.is_set():
                    raise Cancelled
                parsed = parse_body(page.body, format=self.query.format, window=window.label, page=page.number)
                if parsed.frame.height == 0 and page.continuation_token is not None:
                    raise _empty_page_with_token(window, page.number)
                ids = parsed.frame.get_column("log_id")
                if seen and ids.is_in(pl.concat(seen).implode()).any():
                    raise ParseError(
                        "the page repeats LogIds of an earlier page of this window (a page served twice?)",
                        window=window.label,
                        page=page.number,
                    )
                seen.append(ids)
                self.stats.add_page(parsed, page.attempts)
                yield parsed.frame
        finally:
            pages.close()  # type: ignore[attr-defined]


def _holds_no_row(body: bytes, format: str) -> bool:
    """Whether a body is only a CSV header line (or an empty JSON array)."""
    text = body.strip()
    return text == b"[]" if format == "json" else b"\n" not in text


def _empty_page_with_token(window: Window, page: int) -> ParseError:
    return ParseError(
        "the page holds no row but carries a continuationToken (a body cut to its header line?)",
        window=window.label,
        page=page,
        line=2,
    )


def _concat(frames: Sequence[pl.DataFrame]) -> pl.DataFrame:
    if len(frames) == 1:
        return frames[0]
    if not frames:
        return empty_frame()
    return pl.concat(frames, how="diagonal_relaxed", rechunk=False)


def iter_ordered(
    tasks: Sequence[Callable[[], T]],
    *,
    max_workers: int,
    lookahead: int,
    stop: threading.Event,
) -> Iterator[T]:
    """Run ``tasks`` on a pool, at most ``lookahead`` ahead, and yield their results in order.

    A failing task raises its own exception here, once every earlier result was yielded.
    Closing the iterator (or an error) sets ``stop``, drops tasks not yet started and waits
    for the running ones, which stop at their next page.
    """
    pending: deque[Future[T]] = deque()
    queue = iter(tasks)
    pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="digitalcx-window")
    try:
        for task in queue:
            pending.append(pool.submit(task))
            if len(pending) >= lookahead:
                break
        while pending:
            result = pending.popleft().result()
            following = next(queue, None)
            if following is not None:
                pending.append(pool.submit(following))
            yield result
    finally:
        stop.set()
        for future in pending:
            future.cancel()
        pool.shutdown(wait=True, cancel_futures=True)
        for future in pending:
            if future.done() and not future.cancelled():
                future.exception()  # retrieved, so a cancelled worker's error is not reported twice
