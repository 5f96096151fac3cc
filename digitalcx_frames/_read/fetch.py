"""The read engine: windows x pages over a bounded pool, the one loop every read goes through.

Every read path — ``collect`` of the lazy frame, a bare ``head``, the pandas backend and
the archive's days — runs through :class:`ReadEngine`:

- **one scheduler** (:func:`run_ordered`): windows are fetched at most ``max_workers`` at a
  time and come back in window order whatever the concurrency, so a read gives the same
  frame with one worker or eight. With ``max_workers=0`` (a bare ``head``) each window runs
  in the caller's thread only when its turn comes, page by page, and nothing is fetched
  ahead. The caller's thread never blocks without a timeout (Ctrl-C wakes it within a
  fraction of a second) and the pool is shut down only from the thread that owns it.
- **one page loop** (``_WindowReader.pages``): each page is parsed as it arrives and
  checked by the two guards of the loop — a page that holds no row but carries a token,
  and a LogId served twice in the window. The first time either fires, the window is read
  again (never split); the second time, an empty page with a token is taken as it is (some
  back ends legitimately send one in the middle of paging) and its token followed, while
  rows served twice raise :class:`~digitalcx_frames.errors.PagingError`. Pages per
  window are bounded by :data:`~digitalcx_frames._http.pages.MAX_PAGES`.
- **window recovery**: a window that times out is split in halves and fetched again; a
  page that does not parse is fetched again a few times.
- **learned window lengths**: what times out is remembered on the client, per (customer,
  project, culture) (:class:`~digitalcx_frames._read.windows.WindowLengths`): no window is
  tried again at a length that timed out, windows start at the longest length that worked,
  and one probe per read tries twice that length. The day cache still stores whole days.

A read ends with a :class:`ReadReport`: days from the cache, days fetched, requests,
retries, splits, rows, bytes and seconds.
"""

from __future__ import annotations

import atexit
import functools
import itertools
import logging
import sys
import threading
import time
import warnings
from collections import Counter, deque
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final, Never, Protocol, TypeVar

import polars as pl
from tqdm import TqdmWarning, tqdm

from digitalcx_frames._http.pages import MAX_PAGES, iter_pages
from digitalcx_frames._http.transport import Client
from digitalcx_frames._read.bounds import timestamp_bounds
from digitalcx_frames._read.cache import DayCache
from digitalcx_frames._read.enforce import FilterTally, enforce
from digitalcx_frames._read.parse import ParsedPage, empty_frame, parse_body
from digitalcx_frames._read.query import Query
from digitalcx_frames._read.scan import threads_in_sources
from digitalcx_frames._read.windows import Window, day_windows, learned_lengths
from digitalcx_frames.errors import DataWarning, PagingError, ParseError, WindowTimeoutError
from digitalcx_frames.schema import polars_schema

__all__ = ["Cancelled", "DayStore", "ReadEngine", "ReadEngines", "ReadReport", "fetch_days", "run_ordered", "run_reads"]

logger = logging.getLogger("digitalcx_frames")

T = TypeVar("T")

WAIT_SLICE: Final = 0.2
"""Seconds the caller's thread waits at a time for a window, so that Ctrl-C is seen at once."""
JOIN_LIMIT: Final = 10.0
"""Seconds an early stop waits for running workers to reach their next page (they are
daemon threads: one stuck in a read beyond this never holds the process at exit)."""


class Cancelled(Exception):  # noqa: N818 - a control-flow signal, not an error reported to users
    """The read was stopped (enough rows, Ctrl-C, or another window failed)."""


class _ReadAgain(Exception):  # noqa: N818 - a control-flow signal of the page loop
    """A guard of the page loop fired: the window is read once more."""

    def __init__(self, reason: str, page: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.page = page


# -- the report ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReadReport:
    """What one read did, the way a database reports a job.

    Attributes
    ----------
    days_cached : int
        Whole days read back from the day cache (no request).
    days_fetched : int
        Windows fetched from the service (whole days, or the part of a day in the range).
    requests : int
        Requests sent to the interactions endpoint, every retry included.
    retries : int
        Requests beyond one per page: retried pages, re-read bodies and windows.
    splits : int
        Windows that timed out and were fetched again as two halves.
    rows : int
        Rows the read returned before the frame's own filters (cached days included).
    bytes : int
        Body bytes received.
    seconds : float
        Wall time of the read.

    Examples
    --------
    >>> report = ReadReport(days_cached=2, days_fetched=1, requests=4, retries=1, splits=0,
    ...                     rows=900, bytes=150_000, seconds=0.25)
    >>> print(report)
    3 days (2 from the cache, 1 fetched): 4 requests (1 retry, 0 splits), 900 rows, 0.15 MB in 0.2 s
    """

    days_cached: int
    days_fetched: int
    requests: int
    retries: int
    splits: int
    rows: int
    bytes: int
    seconds: float

    def __str__(self) -> str:
        days = self.days_cached + self.days_fetched
        return (
            f"{days} day{'s' * (days != 1)} ({self.days_cached} from the cache, {self.days_fetched} fetched): "
            f"{self.requests} request{'s' * (self.requests != 1)} ({self.retries} "
            f"retr{'ies' if self.retries != 1 else 'y'}, {self.splits} split{'s' * (self.splits != 1)}), "
            f"{self.rows:,} rows, {self.bytes / 1e6:.2f} MB in {self.seconds:.1f} s"
        )


@dataclass
class _Counters:
    """Counters of one read, updated from worker threads under a lock."""

    requests: int = 0
    pages: int = 0
    rows: int = 0
    bytes: int = 0
    retries: int = 0
    splits: int = 0
    days_cached: int = 0
    days_fetched: int = 0
    unknown_types: Counter[str] = field(default_factory=Counter)
    extra_columns: dict[str, None] = field(default_factory=dict)
    removed: Counter[str] = field(default_factory=Counter)
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)

    def remove(self, removed: Mapping[str, int]) -> None:
        """Rows the service sent that a filter of the query excludes (by wire parameter)."""
        with self._lock:
            self.removed.update(removed)

    def add(self, **counts: int) -> None:
        """Add to named counters (``splits=1``, ``rows=300`` ...)."""
        with self._lock:
            for name, value in counts.items():
                setattr(self, name, getattr(self, name) + value)

    def replied(self, attempts: int) -> None:
        """An answer arrived after ``attempts`` requests (a page, a re-read, a prefetch, an error)."""
        self.add(requests=attempts)

    def page(self, page_attempts: int, n_bytes: int) -> None:
        """One page arrived after ``page_attempts`` requests."""
        self.add(pages=1, retries=page_attempts - 1, bytes=n_bytes)

    def kept(self, pages: Iterable[ParsedPage]) -> None:
        """Pages whose rows are part of the result: their unknown names and extra columns count."""
        with self._lock:
            for parsed in pages:
                self.rows += parsed.frame.height
                self.unknown_types.update(parsed.unknown_types)
                self.extra_columns.update(dict.fromkeys(parsed.extra_columns))

    def report(self, seconds: float) -> ReadReport:
        with self._lock:
            return ReadReport(
                days_cached=self.days_cached,
                days_fetched=self.days_fetched,
                requests=self.requests,
                retries=self.retries,
                splits=self.splits,
                rows=self.rows,
                bytes=self.bytes,
                seconds=seconds,
            )


class DayStore(Protocol):
    """Where whole closed days are kept between reads (the day cache)."""

    def load(self, window: Window) -> pl.DataFrame | None:
        """The stored frame of a whole-day window, or ``None``."""

    def save(self, window: Window, frame: pl.DataFrame) -> object:
        """Keep the complete frame of a whole-day window, if the day is closed."""


# -- the scheduler --------------------------------------------------------------------------


_EXITING = threading.Event()
"""Set at interpreter exit: every wait of the engine ends at once."""


class _Pool:
    """Daemon worker threads that exist only while there is work: at most ``workers`` at a time.

    A worker takes queued tasks until none is left, then ends. So a read that Polars stops
    pulling early (``slice``, ``filter(...).head``: it never closes the source, it only
    stops asking) leaves no thread behind once the few windows already started are done;
    and being daemon threads, workers never hold the process at exit, as
    ``ThreadPoolExecutor``'s do. :meth:`close` never joins the thread it is called from (a
    source finalised by the garbage collector on a worker thread).
    """

    def __init__(self, workers: int) -> None:
        self._limit = workers
        self._queue: deque[tuple[Future[Any], Callable[[], Any]]] = deque()
        self._threads: set[threading.Thread] = set()
        self._lock = threading.RLock()  # re-entrant: a finaliser may run close() inside submit()
        self._names = itertools.count()

    def submit(self, task: Callable[[], T]) -> Future[T]:
        future: Future[T] = Future()
        with self._lock:
            self._queue.append((future, task))
            if len(self._threads) < self._limit:
                thread = threading.Thread(target=self._work, name=f"digitalcx-window-{next(self._names)}", daemon=True)
                self._threads.add(thread)
                thread.start()
        return future

    def _work(self) -> None:
        while True:
            with self._lock:
                if not self._queue:
                    self._threads.discard(threading.current_thread())
                    return
                future, task = self._queue.popleft()
            if not future.set_running_or_notify_cancel():
                continue
            try:
                result = task()
            except BaseException as exc:  # handed to the owner through the future
                future.set_exception(exc)
            else:
                future.set_result(result)
            del future, task

    def close(self, *, wait: float) -> None:
        """Drop the tasks not started; wait up to ``wait`` seconds for running ones (never for the calling thread)."""
        with self._lock:
            for future, _task in self._queue:
                future.cancel()
            self._queue.clear()
            threads = list(self._threads)
        current = threading.current_thread()
        if current in threads:
            return  # a finaliser run on a worker: never join (or wait for) the pool from inside it
        deadline = time.monotonic() + wait
        for thread in threads:
            while thread.is_alive() and time.monotonic() < deadline:
                if _EXITING.is_set():
                    return  # the interpreter is exiting: leave Python now (see _result)
                thread.join(WAIT_SLICE)


_waiting = [0]
_waiting_lock = threading.Lock()


def _result(future: Future[T]) -> T:
    """``future.result()`` in short waits, so that the waiting thread sees Ctrl-C at once.

    At interpreter exit the wait ends with :class:`Cancelled`: a thread of Polars that is
    still pulling a source it no longer needs must leave Python before the interpreter is
    finalised (a thread that wakes up during finalisation is stopped abruptly, and inside
    Polars' Rust frames that aborts the process).
    """
    with _waiting_lock:
        _waiting[0] += 1
    try:
        while not _EXITING.is_set():
            try:
                return future.result(timeout=WAIT_SLICE)
            except TimeoutError:
                continue
        raise Cancelled
    finally:
        with _waiting_lock:
            _waiting[0] -= 1


@atexit.register
def _release_waiting_threads() -> None:
    """At exit: end every wait for a window (see :func:`_result`) and let the sources' threads leave Python."""
    _EXITING.set()
    deadline = time.monotonic() + 2 * WAIT_SLICE + 0.5
    while (_waiting[0] or threads_in_sources()) and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.05)  # the last one hands its end of stream back to Polars


def run_ordered(
    tasks: Sequence[Callable[[], T]],
    *,
    max_workers: int,
    stop: threading.Event,
) -> Generator[T, None, None]:
    """Run ``tasks`` at most ``max_workers`` at a time and yield their results in order.

    At most ``max_workers + 1`` tasks are started ahead of the one the caller waits for.
    With ``max_workers=0`` each task runs in the caller's thread when its turn comes.
    A failing task raises its own exception here, once every earlier result was yielded.
    Closing the generator, an error or Ctrl-C sets ``stop`` (running tasks stop at their
    next page) and drops the tasks not yet started; an early stop waits for the running
    ones (up to :data:`JOIN_LIMIT`, and only in the thread that drove the read), Ctrl-C
    does not.

    Examples
    --------
    >>> import threading
    >>> list(run_ordered([lambda n=n: n * n for n in range(5)], max_workers=2, stop=threading.Event()))
    [0, 1, 4, 9, 16]
    """
    if max_workers == 0:
        try:
            for task in tasks:
                if stop.is_set():
                    raise Cancelled
                yield task()
        finally:
            stop.set()
        return
    pending: deque[Future[T]] = deque()
    waiting = iter(tasks)
    pool = _Pool(min(max_workers, len(tasks)))
    interrupted = False
    try:
        pending.extend(pool.submit(task) for task in itertools.islice(waiting, max_workers + 1))
        while pending:
            result = _result(pending[0])
            pending.popleft()
            following = next(waiting, None)
            if following is not None:
                pending.append(pool.submit(following))
            yield result
    except KeyboardInterrupt:
        interrupted = True
        raise
    finally:
        stop.set()
        for future in pending:
            future.cancel()
        # Wait for the running workers (they stop at their next page), except at Ctrl-C or
        # interpreter exit, and never from one of the pool's own threads (a source finalised
        # by the garbage collector there): then they end on their own.
        waits = not interrupted and not sys.is_finalizing()
        pool.close(wait=JOIN_LIMIT if waits else 0.0)
        for future in pending:
            if future.done() and not future.cancelled():
                future.exception()  # retrieved: a stopped worker's error is not reported twice


# -- one window -------------------------------------------------------------------------------


class _WindowReader:
    """The rows of windows of one read: from the day cache, or fetched page by page."""

    def __init__(self, engine: ReadEngine, counters: _Counters, stop: threading.Event) -> None:
        self.engine = engine
        self.query = engine.query
        self.counters = counters
        self.stop = stop
        self._url = engine.client.interactions_url(engine.query.customer_key, engine.query.project_key)
        self._params = engine.query.wire_params()

    # -- whole windows (collect, pandas, archive) ---------------------------------------------

    def whole(self, window: Window) -> list[pl.DataFrame]:
        """Every row of ``window``: the cached day, or fetched (and the day stored)."""
        if self.stop.is_set():
            raise Cancelled
        cached = self.cached(window)
        if cached is not None:
            return [cached]
        self.counters.add(days_fetched=1)
        pages = self.fetch(window)
        self.counters.kept(pages)
        frames = [page.frame for page in pages]
        store = self.engine.store
        if store is not None and window.is_whole_day:
            store.save(window, _concat(frames))
        return frames

    def cached(self, window: Window) -> pl.DataFrame | None:
        """The stored frame of a whole-day window (counted in the report), or ``None``."""
        store = self.engine.store
        if store is None or not window.is_whole_day:
            return None
        frame = store.load(window)
        if frame is not None:
            self.counters.add(days_cached=1, rows=frame.height)
        return frame

    def fetch(self, window: Window, *, again: bool = False) -> list[ParsedPage]:
        """Every page of ``window``, cut to the length the service answers in time.

        Split in halves while it times out, read again when a guard fires.
        """
        lengths = self.engine.lengths
        verdict = lengths.admit(window, read=self) if window.can_split else "fetch"
        if verdict == "split":
            first, second = window.split()
            return self.fetch(first, again=again) + self.fetch(second, again=again)
        probe = verdict == "probe"
        failures = 0
        try:
            while True:
                try:
                    pages = list(self.pages(window, again=again))
                except _ReadAgain as signal:
                    again = True
                    self.counters.add(retries=1)
                    logger.info("window %s page %d: %s; reading it again", window.label, signal.page, signal.reason)
                except WindowTimeoutError as exc:
                    lengths.timed_out(window, probe=probe)
                    probe = False
                    if not window.can_split:
                        raise
                    logger.info(
                        "window %s timed out (%s); splitting it in two", window.label, exc.status_code or "read"
                    )
                    self.counters.add(splits=1)
                    first, second = window.split()
                    return self.fetch(first, again=again) + self.fetch(second, again=again)
                except ParseError:
                    failures += 1
                    if failures > self.engine.parse_retries:
                        raise
                    self.counters.add(retries=1)
                    logger.info("window %s: a page did not parse; fetching the window again", window.label)
                else:
                    lengths.succeeded(window, probe=probe)
                    probe = False
                    return pages
        finally:
            if probe:
                lengths.probe_ended()

    # -- page by page (a bare head) ---------------------------------------------------------

    def streamed(self, window: Window) -> Iterator[pl.DataFrame]:
        """The rows of ``window`` page by page as they arrive (the cached day in one piece).

        If a page times out, does not parse or trips a guard, the window is fetched again
        as :meth:`fetch` does and only the rows not yet given follow: nothing is repeated
        and nothing is lost.
        """
        cached = self.cached(window)
        if cached is not None:
            yield cached
            return
        self.counters.add(days_fetched=1)
        if not self.engine.lengths.fits(window):  # the service times out on windows this long: cut it
            cut = self.fetch(window)
            self.counters.kept(cut)
            yield from (page.frame for page in cut)
            return
        given: set[int] = set()
        pages = self.pages(window, again=False)
        again = False
        try:
            for page in pages:
                self.counters.kept([page])
                given.update(page.frame.get_column("log_id").to_list())
                yield page.frame
            return
        except _ReadAgain as signal:
            again = True
            self.counters.add(retries=1)
            logger.info("window %s page %d: %s; reading the window again", window.label, signal.page, signal.reason)
        except (WindowTimeoutError, ParseError) as exc:
            logger.info("window %s failed while streaming (%s); fetching it again", window.label, type(exc).__name__)
        finally:
            pages.close()
        for page in self.fetch(window, again=again):
            rest = page.frame.filter(~pl.col("log_id").is_in(list(given)))
            self.counters.kept([ParsedPage(rest, page.unknown_types, page.extra_columns, page.n_bytes)])
            yield rest

    def enforce(self, parsed: ParsedPage) -> ParsedPage:
        """Remove the rows a filter of the query excludes (the service's filters are only an optimisation)."""
        result = enforce(parsed.frame, self.query)
        if not result.removed:
            return parsed
        self.counters.remove(result.removed)
        frame = result.frame
        return ParsedPage(frame, parsed.unknown_types, parsed.extra_columns, parsed.n_bytes, parsed.missing_columns)

    # -- THE page loop -------------------------------------------------------------------------

    def pages(self, window: Window, *, again: bool) -> Generator[ParsedPage, None, None]:
        """The pages of one read of ``window``, parsed and checked as they arrive.

        The two guards of every read: a page that holds no row but carries a token, and a
        LogId served twice in the window. When ``again`` is false either raises
        :class:`_ReadAgain`; on the window's second read an empty page is followed and
        rows served twice raise :class:`PagingError`.
        """
        params = {**self._params, **window.wire_params()}
        source = iter_pages(
            self.engine.client,
            self._url,
            params,
            accept=self.query.accept,
            window=window.label,
            max_pages=self.engine.max_pages,
            on_reply=self.counters.replied,
        )
        seen: set[int] = set()
        try:
            for page in source:
                if self.stop.is_set():
                    raise Cancelled
                self.counters.page(page.attempts, len(page.body))
                parsed = parse_body(page.body, format=self.query.format, window=window.label, page=page.number)
                if parsed.frame.height == 0 and page.continuation_token is not None:
                    if not again:
                        raise _ReadAgain("the page holds no row but carries a continuationToken", page.number)
                    logger.info(
                        "window %s page %d holds no row again and carries a token: following it",
                        window.label,
                        page.number,
                    )
                ids = parsed.frame.get_column("log_id").to_list()
                fresh = set(ids)
                if len(fresh) != len(ids) or not seen.isdisjoint(fresh):
                    if not again:
                        raise _ReadAgain("the page repeats LogIds already served in this window", page.number)
                    raise PagingError(
                        200,
                        "the service served LogIds twice in this window (a page repeats rows of an earlier page), "
                        "also when the window was read again; stopping rather than returning rows twice",
                        window=window.label,
                        page=page.number,
                    )
                seen |= fresh
                yield self.enforce(parsed)
        finally:
            source.close()


# -- the engine -------------------------------------------------------------------------------


class ReadEngine:
    """Reads one query with one client: the lazy frame's source, the pandas frame, the archive's days.

    Parameters
    ----------
    client
        The :class:`~digitalcx_frames.Client` to fetch with.
    query
        The validated query.
    store
        The day cache, or ``None``.
    max_workers
        Windows fetched at once.
    progress
        Show a progress bar over windows (its final state is the read's report).
    extra_columns
        Undocumented columns kept (as String) in the lazy frame's schema.
    report
        Called with the :class:`ReadReport` of every read when it ends (also when it fails).
    max_pages
        The most pages one window may have.
    parse_retries
        How often a window whose body does not parse is fetched again.
    """

    def __init__(
        self,
        client: Client,
        query: Query,
        *,
        store: DayStore | None = None,
        max_workers: int = 4,
        progress: bool = False,
        extra_columns: Sequence[str] = (),
        report: Callable[[ReadReport], object] | None = None,
        max_pages: int = MAX_PAGES,
        parse_retries: int = 2,
    ) -> None:
        self.client = client
        self.query = query
        self.store = store
        self.max_workers = max_workers
        self.progress = progress
        self.on_report = report
        self.max_pages = max_pages
        self.parse_retries = parse_retries
        schema = polars_schema()
        for name in extra_columns:
            schema[name] = pl.String()
        self._schema = schema
        self.last_report: ReadReport | None = None
        folder = store.folder.parent if isinstance(store, DayCache) else None  # the cache folder; none: cache=False
        self.lengths = learned_lengths(client, (query.customer_key, query.project_key, query.culture), folder=folder)

    @property
    def schema(self) -> pl.Schema:
        """The lazy frame's schema (known without any request)."""
        return pl.Schema(self._schema)

    def windows(self, predicate: pl.Expr | None = None) -> list[Window]:
        """The query's windows the predicate can match (all of them without one)."""
        low, high = timestamp_bounds(predicate)
        windows = day_windows(self.query.start, self.query.end)
        return [w for w in windows if (low is None or w.end > low) and (high is None or w.start <= high)]

    # -- the read paths -----------------------------------------------------------------------

    def batches(self, predicate: pl.Expr | None, n_rows: int | None) -> Iterator[pl.DataFrame]:
        """Frames of the days ``predicate`` can match, in order (the lazy frame filters them).

        With ``n_rows`` (a bare ``head``) windows are read one at a time, page by page, until
        that many rows are in; otherwise ``max_workers`` windows at a time.
        """
        given = 0
        try:
            for _window, frames in self._run(self.windows(predicate), streamed=n_rows is not None, keep_extras=False):
                for frame in frames:
                    yield frame
                    given += frame.height
                    if n_rows is not None and given >= n_rows:
                        return
        except Cancelled:
            if not _EXITING.is_set():
                raise
            # the interpreter is exiting and Polars still pulls a source it no longer needs: end it quietly

    def collect(self) -> pl.DataFrame:
        """Every row, every column, undocumented ones included (the pandas backend)."""
        frames = [frame for _, parts in self._run(self.windows(), streamed=False, keep_extras=True) for frame in parts]
        if not frames:
            return self.schema.to_frame()
        return pl.concat(frames, how="diagonal_relaxed")

    def days(self, days: Sequence[date]) -> Iterator[tuple[date, pl.DataFrame]]:
        """Whole UTC days, each once all its pages are in, with exactly the documented schema."""
        windows = [Window.of_day(day) for day in days]
        schema = polars_schema()
        for window, frames in self._run(windows, streamed=False, keep_extras=False):
            yield window.day, _in_schema(_concat(list(frames)), schema)

    # -- the one run ----------------------------------------------------------------------------

    def _run(
        self, windows: list[Window], *, streamed: bool, keep_extras: bool
    ) -> Iterator[tuple[Window, Iterable[pl.DataFrame]]]:
        for _engine, window, frames in run_reads(
            [(self, window) for window in windows], streamed=streamed, keep_extras=keep_extras
        ):
            yield window, frames


class ReadEngines:
    """Several reads as one (one per project and culture): one pool, one progress bar, one report.

    Every (read, window) is one unit of work on the same bounded pool, in a fixed order:
    the reads in the order given, each read's windows in time order. The first read's
    settings (workers, progress, report) are the run's.

    Parameters
    ----------
    engines
        The reads, each with its own query, cache and learned window lengths.
    """

    def __init__(self, engines: Sequence[ReadEngine]) -> None:
        if not engines:
            raise ValueError("at least one read")
        self.engines = tuple(engines)

    def batches(self, predicate: pl.Expr | None, n_rows: int | None) -> Iterator[tuple[ReadEngine, pl.DataFrame]]:
        """Each read's frames of the days ``predicate`` can match, with the read they belong to."""
        pairs = [(engine, window) for engine in self.engines for window in engine.windows(predicate)]
        given = 0
        try:
            for engine, _window, frames in run_reads(pairs, streamed=n_rows is not None, keep_extras=False):
                for frame in frames:
                    yield engine, frame
                    given += frame.height
                    if n_rows is not None and given >= n_rows:
                        return
        except Cancelled:
            if not _EXITING.is_set():
                raise

    def collect(self) -> list[tuple[ReadEngine, pl.DataFrame]]:
        """Every row of every read, undocumented columns included (the pandas backend)."""
        pairs = [(engine, window) for engine in self.engines for window in engine.windows()]
        return [
            (engine, frame)
            for engine, _window, frames in run_reads(pairs, streamed=False, keep_extras=True)
            for frame in frames
        ]


def run_reads(
    pairs: Sequence[tuple[ReadEngine, Window]], *, streamed: bool, keep_extras: bool
) -> Iterator[tuple[ReadEngine, Window, Iterable[pl.DataFrame]]]:
    """THE run: every (read, window) on one bounded pool, results in the given order.

    The first read's settings are the run's: its workers, its progress bar (whose final
    state is the report), its report callback; every read's ``last_report`` is set.
    """
    lead = pairs[0][0] if pairs else None
    counters = _Counters()
    stop = threading.Event()
    readers: dict[int, _WindowReader] = {}
    for engine, _window in pairs:
        readers.setdefault(id(engine), _WindowReader(engine, counters, stop))
    started = time.monotonic()
    bar = _progress_bar(len(pairs)) if lead is not None and lead.progress else None
    tasks: list[Callable[[], Iterable[pl.DataFrame]]] = []
    for engine, window in pairs:
        reader = readers[id(engine)]
        task: Callable[[Window], Iterable[pl.DataFrame]] = reader.streamed if streamed else reader.whole
        tasks.append(functools.partial(task, window))
    workers = 0 if streamed or lead is None else lead.max_workers
    try:
        results = run_ordered(tasks, max_workers=workers, stop=stop)
        frames: Iterable[pl.DataFrame] = ()
        try:
            for (engine, window), frames in zip(pairs, results, strict=False):
                yield engine, window, frames
                _close(frames)
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(rows=counters.rows, requests=counters.requests, refresh=False)
        finally:
            _close(frames)  # a window read page by page and left early
            results.close()
    finally:
        report = counters.report(time.monotonic() - started)
        for engine in {id(engine): engine for engine, _ in pairs}.values():
            engine.last_report = report
        if bar is not None:
            bar.set_postfix_str(str(report), refresh=True)
            bar.close()
        if lead is not None:
            _warn(counters, lead.schema, keep_extras=keep_extras)
            logger.debug("read done: %s", report)
            if lead.on_report is not None:
                lead.on_report(report)


def fetch_days(
    query: Query,
    days: Sequence[date],
    *,
    client: Client,
    max_workers: int = 4,
    progress: bool = False,
    cache: DayStore | None = None,
    report: Callable[[ReadReport], object] | None = None,
) -> Iterator[tuple[date, pl.DataFrame]]:
    """Fetch whole UTC days of ``query`` and yield each complete day with its frame, in day order.

    The archive's entry to the engine: a day is yielded only once every page of it is in,
    so a caller that writes each day as it comes keeps every completed day if a later one
    fails. Each frame has exactly the documented schema, rows in the order served;
    undocumented columns are dropped with a warning.

    Parameters
    ----------
    query
        A validated query (its ``start``/``end`` are not used; ``days`` are).
    days
        The UTC days to fetch.
    client
        The client to fetch with.
    max_workers
        Days fetched at once.
    progress
        Show a progress bar.
    cache
        A day cache to read from and write to, or ``None``.
    report
        Called with the read's :class:`ReadReport` when it ends.
    """
    engine = ReadEngine(client, query, store=cache, max_workers=max_workers, progress=progress, report=report)
    yield from engine.days(days)


# -- helpers ----------------------------------------------------------------------------------


def _close(frames: Iterable[pl.DataFrame]) -> None:
    if isinstance(frames, Generator):
        frames.close()


def _in_schema(frame: pl.DataFrame, schema: pl.Schema) -> pl.DataFrame:
    missing = [name for name in schema if name not in frame.columns]
    if missing:
        frame = frame.with_columns(pl.lit(None, dtype=schema[name]).alias(name) for name in missing)
    return frame.select(list(schema))


def _concat(frames: Sequence[pl.DataFrame]) -> pl.DataFrame:
    if len(frames) == 1:
        return frames[0]
    if not frames:
        return empty_frame()
    return pl.concat(frames, how="diagonal_relaxed", rechunk=False)


def _warn(counters: _Counters, schema: pl.Schema, *, keep_extras: bool) -> None:
    tally = FilterTally(dict(counters.removed))
    tally.warn(stacklevel=2)
    for name, count in sorted(counters.unknown_types.items()):
        warnings.warn(
            f"the API sent the unknown interaction type name {name!r} in {count} row(s); it is kept in "
            "main_interaction_type and flagged as InteractionType.UNKNOWN (bit 1<<15) in all_interaction_types",
            DataWarning,
            stacklevel=2,
        )
    dropped = [name for name in counters.extra_columns if name not in schema]
    if dropped and keep_extras:
        warnings.warn(
            f"the API sent undocumented column(s) {dropped}; they are kept as String columns",
            DataWarning,
            stacklevel=2,
        )
    elif dropped:
        warnings.warn(
            f"the API sent undocumented column(s) {dropped}; they are not kept, because this frame's schema is "
            f"fixed. Pass extra_columns={dropped!r} to read_interactions to keep them (as String), or use "
            "backend='pandas'",
            DataWarning,
            stacklevel=2,
        )


def _progress_bar(total: int) -> tqdm[Never]:
    # tqdm.auto warns at import in a notebook kernel without ipywidgets, then falls back to
    # the text bar: import it only when a bar is shown, and keep that fallback quiet.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TqdmWarning)
        from tqdm.auto import tqdm as auto_tqdm  # noqa: PLC0415 - see above

    bar: tqdm[Never] = auto_tqdm(total=total, unit="day", desc="digitalcx", leave=True)
    return bar
