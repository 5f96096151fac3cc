"""``read_interactions``: the lazy Polars frame (an IO plugin) or an eager pandas frame.

Building the frame validates the arguments and makes no request. Polars calls the source
when the frame is collected, with the columns, predicate and row limit of the query:
the source fetches only the days the predicate can match, stops once a bare ``head(n)``
has its rows, and applies the predicate and projection to every batch.
"""

from __future__ import annotations

import functools
import logging
import os
import sys
import threading
import warnings
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Literal, Never, overload

import polars as pl
from tqdm import TqdmWarning, tqdm

from digitalcx_frames._http.transport import Client
from digitalcx_frames._read.bounds import timestamp_bounds
from digitalcx_frames._read.cache import DayCache, cache_root, fingerprint
from digitalcx_frames._read.fetch import DayStore, Fetcher, ReadStats, WindowResult, iter_ordered
from digitalcx_frames._read.query import Instant, Query, build_query
from digitalcx_frames._read.scan import pushdown, scan_batches
from digitalcx_frames._read.windows import Window, day_windows
from digitalcx_frames.errors import ConfigurationError, DataWarning
from digitalcx_frames.schema import polars_schema, to_pandas

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["read_interactions"]

logger = logging.getLogger("digitalcx_frames")


@overload
def read_interactions(
    customer_key: str,
    project_key: str,
    *,
    culture: str,
    start: Instant,
    end: Instant,
    interaction_types: object = ...,
    main_interaction_types: object = ...,
    environment: str = ...,
    session_mode: str = ...,
    active_sessions_only: bool = ...,
    filter_text: str | None = ...,
    include_user_info: bool = ...,
    format: Literal["csv", "json"] = ...,
    backend: Literal["polars"] = ...,
    client: Client | None = ...,
    max_workers: int = ...,
    progress: bool | None = ...,
    extra_columns: Sequence[str] = ...,
    cache: bool | str | os.PathLike[str] = ...,
    now: datetime | None = ...,
) -> pl.LazyFrame: ...


@overload
def read_interactions(
    customer_key: str,
    project_key: str,
    *,
    culture: str,
    start: Instant,
    end: Instant,
    interaction_types: object = ...,
    main_interaction_types: object = ...,
    environment: str = ...,
    session_mode: str = ...,
    active_sessions_only: bool = ...,
    filter_text: str | None = ...,
    include_user_info: bool = ...,
    format: Literal["csv", "json"] = ...,
    backend: Literal["pandas"],
    client: Client | None = ...,
    max_workers: int = ...,
    progress: bool | None = ...,
    extra_columns: Sequence[str] = ...,
    cache: bool | str | os.PathLike[str] = ...,
    now: datetime | None = ...,
) -> pd.DataFrame: ...


def read_interactions(
    customer_key: str,
    project_key: str,
    *,
    culture: str,
    start: Instant,
    end: Instant,
    interaction_types: object = None,
    main_interaction_types: object = None,
    environment: str = "Production",
    session_mode: str = "Public",
    active_sessions_only: bool = False,
    filter_text: str | None = None,
    include_user_info: bool = False,
    format: Literal["csv", "json"] = "csv",
    backend: Literal["polars", "pandas"] = "polars",
    client: Client | None = None,
    max_workers: int = 4,
    progress: bool | None = None,
    extra_columns: Sequence[str] = (),
    cache: bool | str | os.PathLike[str] = True,
    now: datetime | None = None,
) -> pl.LazyFrame | pd.DataFrame:
    """Read interaction logs of one project as a typed frame.

    Parameters
    ----------
    customer_key, project_key
        The project, as in the API's path.
    culture
        The project's culture, case-sensitive (``"nl"``, ``"en"``, ``"nl-NL"``).
    start, end
        The half-open range ``[start, end)``: dates (00:00 UTC), datetimes (naive means
        UTC) or ISO strings. ``start="2025-03-01", end="2025-03-08"`` is seven whole days.
        At most 90 days back (API rule), never before 2024-12-15.
    interaction_types
        Rows whose set of types overlaps this mask (int, name, names or
        :class:`~digitalcx_frames.InteractionType`); default all.
    main_interaction_types
        Rows whose main type is in this mask; default all.
    environment
        ``"Production"`` or ``"Staging"``.
    session_mode
        ``"Public"``, ``"Internal"``, ``"Test"`` or ``"Monitor"``.
    active_sessions_only
        Only sessions with a user interaction.
    filter_text
        Case-sensitive filter on the interaction value (the user's input).
    include_user_info
        Fill ``additional_session_info`` and ``variables`` (sensitive; needs rights).
    format
        ``"csv"`` (default) or ``"json"``: what the API is asked to send. Same frame.
    backend
        ``"polars"`` returns a lazy frame (nothing fetched until ``collect``),
        ``"pandas"`` a pandas DataFrame with nullable dtypes.
    client
        The :class:`~digitalcx_frames.Client`; default one built from the environment.
    max_workers
        Windows (days) fetched at once.
    progress
        A progress bar over windows; default on in an interactive session for ranges
        longer than one day.
    extra_columns
        Undocumented columns the API may send that you want kept (as String). Any other
        undocumented column is reported with a :class:`~digitalcx_frames.DataWarning`
        (with ``backend="pandas"`` every one is kept).
    cache
        Keep closed days as Parquet files and read them back instead of fetching:
        ``True`` (default; the folder of :func:`digitalcx_frames.cache_info`), ``False``,
        or a folder path. Only whole UTC days that ended over two hours ago are kept.
    now
        The clock for the 90-day rule and for which days are closed; tests inject it.

    Returns
    -------
    polars.LazyFrame or pandas.DataFrame
        The columns of :func:`digitalcx_frames.schema.polars_schema`, rows in time order.

    Examples
    --------
    >>> import polars as pl
    >>> import digitalcx_frames as dcx
    >>> from digitalcx_frames.simulator import Simulator
    >>> with Simulator(rows_per_day=500) as sim:
    ...     lf = dcx.read_interactions(sim.customer_key, sim.project_key, culture=sim.culture,
    ...                                start=sim.today - timedelta(days=3), end=sim.today,
    ...                                client=dcx.Client(**sim.connection), cache=False)
    ...     before = len(sim.interaction_requests)
    ...     frame = lf.collect()
    ...     after = len(sim.interaction_requests)
    >>> before, after > 0, frame.schema["all_interaction_types"], frame["log_id"].is_unique().all()
    (0, True, UInt16, True)
    """
    query = build_query(
        customer_key,
        project_key,
        culture=culture,
        start=start,
        end=end,
        interaction_types=interaction_types,
        main_interaction_types=main_interaction_types,
        environment=environment,
        session_mode=session_mode,
        active_sessions_only=active_sessions_only,
        filter_text=filter_text,
        include_user_info=include_user_info,
        format=format,
        now=now,
    )
    if backend not in ("polars", "pandas"):
        raise ConfigurationError(f"backend={backend!r} is not allowed; use 'polars' (lazy) or 'pandas'")
    if not isinstance(max_workers, int) or isinstance(max_workers, bool) or max_workers < 1:
        raise ConfigurationError(f"max_workers must be an int >= 1, got {max_workers!r}")
    extras = tuple(extra_columns)
    client = client if client is not None else Client()
    source = _Source(
        query,
        client=client,
        max_workers=max_workers,
        progress=_show_progress(query) if progress is None else progress,
        extra_columns=extras,
        store=_store(query, client, cache, now),
    )
    if backend == "pandas":
        return to_pandas(source.collect_all())
    return scan_batches(
        source.batches,
        schema=source.schema(),
        name="digitalcx_frames.read_interactions",
        detail=f"{query.customer_key}/{query.project_key} {query.start:%Y-%m-%d}..{query.end:%Y-%m-%d}",
    )


def _store(query: Query, client: Client, cache: object, now: datetime | None) -> DayCache | None:
    if cache is False:
        return None
    if cache is True:
        root = cache_root()
    elif isinstance(cache, str | os.PathLike):
        root = cache_root(cache)
    else:
        raise ConfigurationError(f"cache must be True, False or a folder path, not {cache!r}")
    identity = query.identity()
    clock = (lambda: now) if now is not None else (lambda: datetime.now(UTC))
    return DayCache(
        root,
        fingerprint(identity, client.base_url),
        description={**identity, "base_url": client.base_url},
        now=clock,
    )


def _show_progress(query: Query) -> bool:
    interactive = hasattr(sys, "ps1") or "ipykernel" in sys.modules
    return interactive and query.end - query.start > timedelta(days=1)


class _Source:
    """The IO plugin: called by Polars with the projection, predicate and row limit."""

    def __init__(
        self,
        query: Query,
        *,
        client: Client,
        max_workers: int,
        progress: bool,
        extra_columns: tuple[str, ...],
        store: DayStore | None,
    ) -> None:
        self.query = query
        self.client = client
        self.max_workers = max_workers
        self.progress = progress
        self.store = store
        schema = polars_schema()
        for name in extra_columns:
            schema[name] = pl.String()
        self._schema = schema

    def schema(self) -> pl.Schema:
        """The output schema (known without any request)."""
        return pl.Schema(self._schema)

    def collect_all(self) -> pl.DataFrame:
        """Every row, every column, undocumented ones included (for the pandas backend)."""
        results = self._results(self._windows(None), n_rows=None, keep_extras=True)
        batches = [frame for result in results for frame in result.frames]
        if not batches:
            return self.schema().to_frame()
        return pl.concat(batches, how="diagonal_relaxed")

    def batches(self, predicate: pl.Expr | None, n_rows: int | None) -> Iterator[pl.DataFrame]:
        """Every page frame of the days ``predicate`` can match, in order (the plugin filters them)."""
        for result in self._results(self._windows(predicate), n_rows=n_rows):
            yield from result.frames

    def _windows(self, predicate: pl.Expr | None) -> list[Window]:
        low, high = timestamp_bounds(predicate)
        windows = day_windows(self.query.start, self.query.end)
        return [w for w in windows if (low is None or w.end > low) and (high is None or w.start <= high)]

    def _results(
        self, windows: list[Window], *, n_rows: int | None, keep_extras: bool = False
    ) -> Iterator[WindowResult]:
        stats = ReadStats()
        stop = threading.Event()
        fetcher = Fetcher(self.client, self.query, stats=stats, stop=stop, store=self.store)
        bar = _progress_bar(len(windows)) if self.progress else None
        try:
            if n_rows is not None:
                yield from self._stream_until(fetcher, windows, n_rows)
                return
            tasks = [functools.partial(fetcher.result, window) for window in windows]
            for result in iter_ordered(tasks, max_workers=self.max_workers, lookahead=self.max_workers + 1, stop=stop):
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(rows=stats.rows, pages=stats.pages, retries=stats.retries, refresh=False)
                yield result
        finally:
            if bar is not None:
                bar.close()
            _report(stats, self._schema, keep_extras=keep_extras)

    def _stream_until(self, fetcher: Fetcher, windows: list[Window], n_rows: int) -> Iterator[WindowResult]:
        """A bare ``head(n)``: one window at a time, page by page, until n rows are in."""
        seen = 0
        for window in windows:
            cached = fetcher.cached(window)
            if cached is not None:
                seen += cached.height
                yield WindowResult(window, (cached,))
                if seen >= n_rows:
                    return
                continue
            pages = fetcher.stream_resilient(window)
            try:
                for frame in pages:
                    seen += frame.height
                    yield WindowResult(window, (frame,))
                    if seen >= n_rows:
                        return
            finally:
                pages.close()  # type: ignore[attr-defined]


def _report(stats: ReadStats, schema: pl.Schema, *, keep_extras: bool) -> None:
    for name, count in sorted(stats.unknown_types.items()):
        warnings.warn(
            f"the API sent the unknown interaction type name {name!r} in {count} row(s); it is kept in "
            "main_interaction_type and flagged as InteractionType.UNKNOWN (bit 1<<15) in all_interaction_types",
            DataWarning,
            stacklevel=2,
        )
    dropped = [name for name in stats.extra_columns if name not in schema]
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
    logger.debug(
        "read done: %d windows (%d cached), %d pages, %d rows, %d bytes, %d retries, %d splits",
        stats.windows,
        stats.cached_windows,
        stats.pages,
        stats.rows,
        stats.bytes,
        stats.retries,
        stats.splits,
    )


def _progress_bar(total: int) -> tqdm[Never]:
    # tqdm.auto warns at import in a notebook kernel without ipywidgets, then falls back to
    # the text bar: import it only when a bar is shown, and keep that fallback quiet.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TqdmWarning)
        from tqdm.auto import tqdm as auto_tqdm  # noqa: PLC0415 - see above

    bar: tqdm[Never] = auto_tqdm(total=total, unit="day", desc="digitalcx", leave=False)
    return bar


def fetch_days(
    query: Query,
    days: Sequence[date],
    *,
    client: Client,
    max_workers: int = 4,
    progress: bool = False,
    cache: DayCache | None = None,
) -> Iterator[tuple[date, pl.DataFrame]]:
    """Fetch whole UTC days of ``query`` and yield each complete day with its frame, in day order.

    The building block of the archive: a day is yielded only once every page of it is in,
    so a caller that writes each day as it comes keeps every completed day if a later one
    fails. Each frame has exactly the documented schema; undocumented columns are dropped
    with a warning.

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
    """
    source = _Source(query, client=client, max_workers=max_workers, progress=progress, extra_columns=(), store=cache)
    windows = [Window(start, start + timedelta(days=1)) for start in (datetime.combine(d, time(), UTC) for d in days)]
    schema = polars_schema()
    for result in source._results(windows, n_rows=None):
        frames = list(pushdown(result.frames, schema=schema, with_columns=None, predicate=None, n_rows=None))
        yield result.window.day, pl.concat(frames) if frames else schema.to_frame()
