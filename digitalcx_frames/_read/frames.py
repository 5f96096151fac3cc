"""``read_interactions``: the arguments, and the choice of backend.

Building the frame validates the arguments and makes no request. Reading is the read
engine's (:mod:`digitalcx_frames._read.fetch`): for Polars it is the source of a lazy
frame (an IO plugin called at collect with the columns, predicate and row limit, fetching
only the days the predicate can match), for pandas it reads at once, for Dask it is one
partition per day (:mod:`digitalcx_frames._read.dask`).
"""

from __future__ import annotations

import functools
import logging
import os
import sys
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, Literal, overload
from zoneinfo import ZoneInfo

import polars as pl

from digitalcx_frames._http.auth import is_loopback
from digitalcx_frames._http.transport import Client
from digitalcx_frames._read.bounds import timestamp_bounds
from digitalcx_frames._read.cache import ENV_VAR as CACHE_DIR_ENV
from digitalcx_frames._read.cache import DayCache, cache_root, fingerprint
from digitalcx_frames._read.combined import archived_read, build_archived_query
from digitalcx_frames._read.fetch import ReadEngine, ReadEngines, ReadReport
from digitalcx_frames._read.local import (
    SESSION_MARGIN,
    local_bounds,
    localize,
    localized_schema,
    resolve_tz,
    whole_sessions,
)
from digitalcx_frames._read.query import Instant, Query, build_query, check_cache, check_workers, earliest_start
from digitalcx_frames._read.scan import scan_batches
from digitalcx_frames.errors import ConfigurationError, DataWarning
from digitalcx_frames.features._json import decode_json_columns, decoded_schema, warn_failures
from digitalcx_frames.schema import to_pandas

if TYPE_CHECKING:
    import dask.dataframe as dd
    import pandas as pd

__all__ = ["read_interactions"]

logger = logging.getLogger("digitalcx_frames")
BACKENDS = ("polars", "pandas", "dask")


@overload
def read_interactions(
    customer_key: str,
    project_key: str | Sequence[str],
    *,
    culture: str | Sequence[str],
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
    report: Callable[[ReadReport], object] | None = ...,
    tz: str | None = ...,
    whole_sessions: bool = ...,
    decode_json: bool | Literal["keep"] = ...,
    archive: str | os.PathLike[str] | None = ...,
) -> pl.LazyFrame: ...


@overload
def read_interactions(
    customer_key: str,
    project_key: str | Sequence[str],
    *,
    culture: str | Sequence[str],
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
    report: Callable[[ReadReport], object] | None = ...,
    tz: str | None = ...,
    whole_sessions: bool = ...,
    decode_json: bool | Literal["keep"] = ...,
    archive: str | os.PathLike[str] | None = ...,
) -> pd.DataFrame: ...


@overload
def read_interactions(
    customer_key: str,
    project_key: str | Sequence[str],
    *,
    culture: str | Sequence[str],
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
    backend: Literal["dask"],
    client: Client | None = ...,
    max_workers: int = ...,
    progress: bool | None = ...,
    extra_columns: Sequence[str] = ...,
    cache: bool | str | os.PathLike[str] = ...,
    now: datetime | None = ...,
    report: Callable[[ReadReport], object] | None = ...,
    tz: str | None = ...,
    whole_sessions: bool = ...,
    decode_json: bool | Literal["keep"] = ...,
    archive: str | os.PathLike[str] | None = ...,
) -> dd.DataFrame: ...


def read_interactions(
    customer_key: str,
    project_key: str | Sequence[str],
    *,
    culture: str | Sequence[str],
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
    backend: Literal["polars", "pandas", "dask"] = "polars",
    client: Client | None = None,
    max_workers: int = 8,
    progress: bool | None = None,
    extra_columns: Sequence[str] = (),
    cache: bool | str | os.PathLike[str] = True,
    now: datetime | None = None,
    report: Callable[[ReadReport], object] | None = None,
    tz: str | None = None,
    whole_sessions: bool = False,
    decode_json: bool | Literal["keep"] = False,
    archive: str | os.PathLike[str] | None = None,
) -> pl.LazyFrame | pd.DataFrame | dd.DataFrame:
    """Read interaction logs of one project (or several) as a typed frame.

    Parameters
    ----------
    customer_key, project_key
        The project, as in the API's path. ``project_key`` may be a list: every project
        is read (one unit of work per project, culture and window on the same pool) and
        the frame gets a ``project_key`` column (Categorical, first).
    culture
        The project's culture, case-sensitive (``"nl"``, ``"en"``, ``"nl-NL"``). A list
        reads each culture; ``culture`` is then the culture the row was requested under,
        and the frame gets the ``project_key`` column too. A single key and culture keep
        exactly the documented schema.
    start, end
        The half-open range ``[start, end)``: dates (00:00 UTC, or 00:00 in ``tz``),
        datetimes (naive means UTC, or wall time in ``tz``) or ISO strings.
        ``start="2025-03-01", end="2025-03-08"`` is seven whole days. At most 90 days back
        (API rule, in UTC), never before 2024-12-15 (further back with ``archive``).
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
        ``"pandas"`` a pandas DataFrame with nullable dtypes, ``"dask"`` a lazy Dask
        DataFrame with one partition per UTC day (needs the ``dask`` extra).
    client
        The :class:`~digitalcx_frames.Client`; default one built from the environment.
    max_workers
        Windows (days) fetched at once. 8 by default: measured against the simulator with
        250 ms per response, 30 days took 4.9 s with 8 against 8.9 s with 4 (BENCHMARKS.md
        B1), since a day's pages are a chain of requests; memory grows by about a day's
        frame per worker (B5).
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
    report
        Called with a :class:`~digitalcx_frames.ReadReport` when a read ends (each
        ``collect`` of the lazy frame; the pandas read before it returns): days from the
        cache, days fetched, requests, retries, splits, rows, bytes and seconds.
    tz
        An IANA time zone (``"Europe/Amsterdam"``): dates are that zone's calendar days
        (23 or 25 hours when the clocks change), naive datetimes its wall time, and the
        timestamp columns come back in it. Whole UTC days are still what is fetched and
        cached, so a local-day read reuses what a UTC read cached and the reverse.
    whole_sessions
        Every session with a row in ``[start, end)`` comes with all its rows, also those
        before ``start`` or after ``end`` (up to two hours either side are fetched; a
        session that may reach further is warned about, never cut silently). With type
        filters it is the matching rows of each session that has a matching row. On the
        lazy frame a filter then selects sessions: a session is kept whole when one of its
        rows in the range matches.
    decode_json
        ``True``: the JSON text columns come back typed (Struct/List, see
        :func:`digitalcx_frames.schema.json_dtypes`; pandas: ``pd.ArrowDtype``), decoded
        per batch; a value that does not decode is null, counted in one warning per column.
        ``"keep"`` also keeps the text as ``<column>_raw``.
    archive
        The root folder of an archive (:func:`~digitalcx_frames.sync_archive`) of this
        project and filters: the days it holds are read from it, only the others from the
        cache or the API, and ``start`` may then reach back as far as it holds whole days.

    Returns
    -------
    polars.LazyFrame, pandas.DataFrame or dask.dataframe.DataFrame
        The columns of :func:`digitalcx_frames.schema.polars_schema`, rows in time order.

    Examples
    --------
    >>> import polars as pl
    >>> import digitalcx_frames as dcx
    >>> from datetime import timedelta
    >>> from digitalcx_frames.simulator import Simulator
    >>> reports = []
    >>> with Simulator(rows_per_day=500) as sim:
    ...     lf = dcx.read_interactions(sim.customer_key, sim.project_key, culture=sim.culture,
    ...                                start=sim.today - timedelta(days=3), end=sim.today,
    ...                                client=dcx.Client(**sim.connection), cache=False,
    ...                                report=reports.append)
    ...     before = len(sim.interaction_requests)
    ...     frame = lf.collect()
    ...     after = len(sim.interaction_requests)
    >>> before, after > 0, frame.schema["all_interaction_types"], frame["log_id"].is_unique().all()
    (0, True, UInt16, True)
    >>> reports[-1].days_fetched, reports[-1].requests == after
    (3, True)
    """
    zone = resolve_tz(tz)
    projects, cultures, tagged = _units(project_key, culture)
    if decode_json not in (False, True, "keep"):
        raise ConfigurationError(f"decode_json must be False, True or 'keep', not {decode_json!r}")
    if not isinstance(whole_sessions, bool):
        raise ConfigurationError(f"whole_sessions must be True or False, not {whole_sessions!r}")
    filters: dict[str, Any] = {
        "interaction_types": interaction_types,
        "main_interaction_types": main_interaction_types,
        "environment": environment,
        "session_mode": session_mode,
        "active_sessions_only": active_sessions_only,
        "filter_text": filter_text,
        "include_user_info": include_user_info,
        "format": format,
        "now": now,
    }
    build = build_query if archive is None else build_archived_query
    first, last = (start, end) if zone is None else local_bounds(start, end, zone)
    try:
        exact = build(customer_key, projects[0], culture=cultures[0], start=first, end=last, **filters)
    except ConfigurationError as exc:
        if zone is None:
            raise
        raise ConfigurationError(
            f"{exc} (in {zone.key}: start {start!s} is {first:%Y-%m-%dT%H:%M:%SZ} UTC, end {end!s} is "
            f"{last:%Y-%m-%dT%H:%M:%SZ} UTC; the API applies its limits in UTC)"
        ) from None
    if backend not in BACKENDS:
        raise ConfigurationError(
            f"backend={backend!r} is not allowed; use 'polars' (lazy) or 'pandas' (or 'dask', with the dask extra)"
        )
    check_workers(max_workers)
    if report is not None and not callable(report):
        raise ConfigurationError(f"report must be a function that takes a ReadReport, not {report!r}")
    check_cache(cache)
    extras = tuple(extra_columns)
    if backend == "dask":
        unsupported = {"tz": zone, "whole_sessions": whole_sessions or None, "decode_json": decode_json or None}
        named = [name for name, value in unsupported.items() if value is not None]
        if tagged:
            named.append("a list of projects or cultures")
        if report is not None:
            named.append("report")
        if named:
            raise ConfigurationError(
                f"backend='dask' does not take {', '.join(named)}: each partition is one UTC day of one project and "
                "culture read on its own; use backend='polars' or 'pandas' for these"
            )
        from digitalcx_frames._read.dask import read_dask  # noqa: PLC0415 - dask is an optional extra

        arguments: dict[str, Any] = {
            **filters,
            "culture": cultures[0],
            "start": start,
            "end": end,
            "client": client,
            "max_workers": max_workers,
            "progress": progress,
            "extra_columns": extra_columns,
            "cache": cache,
            "archive": archive,
        }
        return read_dask(customer_key, projects[0], **arguments)
    client = client if client is not None else Client()
    span = _Span.of(exact, zone=zone, whole_sessions=whole_sessions, now=now, archive=archive is not None)
    units = [
        exact
        if (project, code) == (projects[0], cultures[0]) and not span.widened
        else build(customer_key, project, culture=code, start=span.fetch_from, end=span.fetch_to, **filters)
        for project in projects
        for code in cultures
    ]
    finish = _Finish(span, zone=zone, tagged=tagged, decode=decode_json)
    if archive is not None:
        return _archived(
            archive,
            units,
            finish,
            client=client,
            cache=cache,
            now=now,
            max_workers=max_workers,
            progress=progress,
            extras=extras,
            report=report,
            backend=backend,
        )
    engines = ReadEngines(
        [
            ReadEngine(
                client,
                query,
                store=_store(query, client, cache, now),
                max_workers=max_workers,
                progress=_show_progress(query, len(units)) if progress is None else progress,
                extra_columns=extras,
                report=report,
            )
            for query in units
        ]
    )
    if backend == "pandas":
        parts = [finish.frame(frame, engine.query) for engine, frame in engines.collect()]
        frame = finish.sessions(_stack(parts, finish.schema(engines.engines[0].schema)), None)
        finish.warn()
        return to_pandas(frame)
    source = _Source(engines, finish)
    detail = f"{exact.customer_key}/{','.join(projects)} {span.first:%Y-%m-%d}..{span.last:%Y-%m-%d}"
    return scan_batches(
        source.batches,
        schema=source.schema,
        name="digitalcx_frames.read_interactions",
        detail=detail,
        filters_itself=whole_sessions,
    )


def _units(project_key: object, culture: object) -> tuple[list[Any], list[Any], bool]:
    """The projects and cultures to read, and whether the frame names them (a list was given).

    A single value is passed on as it is (the query checks it, with its own words).
    """
    tagged = False
    lists: list[list[Any]] = []
    for name, value in (("project_key", project_key), ("culture", culture)):
        if isinstance(value, str) or not isinstance(value, Sequence):
            lists.append([value])
            continue
        if not value or not all(isinstance(item, str) for item in value):
            raise ConfigurationError(f"{name} must be a string or a non-empty list of strings, not {value!r}")
        if len(set(value)) != len(value):
            raise ConfigurationError(f"{name} lists {value!r}: name each only once")
        lists.append(list(value))
        tagged = True
    return lists[0], lists[1], tagged


@dataclass(frozen=True)
class _Span:
    """The rows' instants ``[first, last)`` and what is fetched for them ``[fetch_from, fetch_to)``."""

    first: datetime
    last: datetime
    fetch_from: datetime
    fetch_to: datetime
    whole_sessions: bool
    now: datetime

    @property
    def widened(self) -> bool:
        return (self.fetch_from, self.fetch_to) != (self.first, self.last)

    @classmethod
    def of(
        cls, query: Query, *, zone: ZoneInfo | None, whole_sessions: bool, now: datetime | None, archive: bool
    ) -> _Span:
        clock = now.astimezone(UTC) if now is not None else datetime.now(UTC)
        first, last = query.start, query.end
        low, high = first, last
        if whole_sessions:
            floor = earliest_start(clock)
            low = first - SESSION_MARGIN if first - SESSION_MARGIN >= floor or archive else max(floor, first)
            high = last + SESSION_MARGIN
        if zone is not None:  # whole UTC days: the unit of the day cache, shared with UTC reads
            low = datetime.combine(low.date(), time(), UTC)
            day_end = datetime.combine(high.date(), time(), UTC)
            high = day_end if day_end == high else day_end + timedelta(days=1)
        return cls(first, last, low, high, whole_sessions, clock)


class _Finish:
    """What each fetched frame becomes: cut to the range, named by project, in the zone, decoded."""

    def __init__(self, span: _Span, *, zone: ZoneInfo | None, tagged: bool, decode: bool | str) -> None:
        self.span = span
        self.zone = zone
        self.tagged = tagged
        self.decode = bool(decode)
        self.keep_raw = decode == "keep"
        self.tally: Counter[str] = Counter()
        self.cut_warned = False

    def schema(self, base: pl.Schema) -> pl.Schema:
        schema = dict(base)
        if self.tagged:
            schema = {"project_key": pl.Categorical(), **schema}
        out = localized_schema(pl.Schema(schema), self.zone)
        return decoded_schema(out, keep_raw=self.keep_raw) if self.decode else out

    def frame(self, frame: pl.DataFrame, query: Query) -> pl.DataFrame:
        if self.span.widened and not self.span.whole_sessions:
            ts = pl.col("timestamp_start")
            frame = frame.filter((ts >= _utc(self.span.first)) & (ts < _utc(self.span.last)))
        if self.tagged:
            frame = frame.with_columns(pl.lit(query.culture).cast(pl.Categorical()).alias("culture"))
            frame = frame.select(pl.lit(query.project_key).cast(pl.Categorical()).alias("project_key"), pl.all())
        frame = localize(frame, self.zone)
        if self.decode:
            frame = decode_json_columns(frame, keep_raw=self.keep_raw, warn=False, tally=self.tally)
        return frame

    def sessions(self, frame: pl.DataFrame, predicate: pl.Expr | None) -> pl.DataFrame:
        """Whole sessions of the range (a no-op without ``whole_sessions``); warns about cut ones."""
        if not self.span.whole_sessions:
            return frame
        key = ["project_key", "session_uuid"] if self.tagged else ["session_uuid"]
        kept, cut = whole_sessions(
            frame,
            start=self.span.first,
            end=self.span.last,
            fetched_from=self.span.fetch_from,
            fetched_to=self.span.fetch_to,
            now=self.span.now,
            predicate=predicate,
            by=key,
        )
        message = cut.message(self.span.fetch_from, self.span.fetch_to)
        if message is not None:
            warnings.warn(message, DataWarning, stacklevel=4)
        return kept

    def warn(self) -> None:
        if self.decode:
            warn_failures(self.tally, keep_raw=self.keep_raw)
            self.tally.clear()


class _Source:
    """The lazy frame's source: the engines' frames, finished, in order."""

    def __init__(self, engines: ReadEngines, finish: _Finish) -> None:
        self.engines = engines
        self.finish = finish
        self.schema = finish.schema(engines.engines[0].schema)

    def batches(self, predicate: pl.Expr | None, n_rows: int | None) -> Iterator[pl.DataFrame]:
        span = self.finish.span
        zone = self.finish.zone.key if self.finish.zone is not None else "UTC"
        low, high = timestamp_bounds(predicate, zone=zone)
        if span.whole_sessions:  # the rows of sessions reach past the filter's bounds by the margin
            low = None if low is None else low - SESSION_MARGIN
            high = None if high is None else high + SESSION_MARGIN
        wanted = _utc_range(low, high)
        if span.whole_sessions:
            parts = [self.finish.frame(frame, engine.query) for engine, frame in self.engines.batches(wanted, None)]
            frame = self.finish.sessions(_stack(parts, self.schema), predicate)
            self.finish.warn()
            yield frame
            return
        limit = n_rows if not span.widened else None  # the engine counts rows before the cut
        try:
            for engine, frame in self.engines.batches(wanted, limit):
                yield self.finish.frame(frame, engine.query)
        finally:
            self.finish.warn()


def _utc(moment: datetime) -> pl.Expr:
    return pl.lit(moment.astimezone(UTC), dtype=pl.Datetime("us", "UTC"))


def _utc_range(low: datetime | None, high: datetime | None) -> pl.Expr | None:
    """A predicate on the engine's (UTC) frames with exactly these bounds (inclusive), for pruning days."""
    ts = pl.col("timestamp_start")
    parts = ([ts >= _utc(low)] if low is not None else []) + ([ts <= _utc(high)] if high is not None else [])
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else parts[0] & parts[1]


def _stack(parts: list[pl.DataFrame], schema: pl.Schema) -> pl.DataFrame:
    if not parts:
        return schema.to_frame()
    return pl.concat(parts, how="diagonal_relaxed")


def _archived(
    root: str | os.PathLike[str],
    units: list[Query],
    finish: _Finish,
    *,
    client: Client,
    cache: bool | str | os.PathLike[str],
    now: datetime | None,
    max_workers: int,
    progress: bool | None,
    extras: tuple[str, ...],
    report: Callable[[ReadReport], object] | None,
    backend: str,
) -> pl.LazyFrame | pd.DataFrame:
    """Each unit's days from the archive where it holds them, the others from the cache or the API."""

    def live(sub: Query) -> pl.LazyFrame:
        engine = ReadEngine(
            client,
            sub,
            store=_store(sub, client, cache, now),
            max_workers=max_workers,
            progress=_show_progress(sub, 1) if progress is None else progress,
            extra_columns=extras,
            report=report,
        )
        return scan_batches(
            engine.batches,
            schema=engine.schema,
            name="digitalcx_frames.read_interactions",
            detail=f"{sub.customer_key}/{sub.project_key} {sub.start:%Y-%m-%d}..{sub.end:%Y-%m-%d}",
        )

    frames: list[pl.LazyFrame] = []
    for query in units:
        lazy = archived_read(root, query, live=live, now=now, extra_columns=extras)
        base = lazy.collect_schema()
        frames.append(
            lazy.map_batches(
                functools.partial(_finish_batch, finish, query), schema=finish.schema(base), streamable=True
            )
        )
    combined = pl.concat(frames, how="vertical") if len(frames) > 1 else frames[0]
    if finish.span.whole_sessions:
        combined = combined.map_batches(
            functools.partial(_whole_sessions_batch, finish), schema=combined.collect_schema(), streamable=False
        )
    if backend == "pandas":
        return to_pandas(combined.collect())
    return combined


def _finish_batch(finish: _Finish, query: Query, frame: pl.DataFrame) -> pl.DataFrame:
    out = finish.frame(frame, query)
    finish.warn()
    return out


def _whole_sessions_batch(finish: _Finish, frame: pl.DataFrame) -> pl.DataFrame:
    return finish.sessions(frame, None)


def _store(query: Query, client: Client, cache: bool | str | os.PathLike[str], now: datetime | None) -> DayCache | None:
    if cache is False:
        return None
    if cache is True:
        if is_loopback(client.base_url) and not os.environ.get(CACHE_DIR_ENV):
            return None  # the simulator or a test server: nothing in the user's cache folder (cache=<folder> works)
        root = cache_root()
    else:
        root = cache_root(cache)  # checked at the call (check_cache)
    identity = query.identity()
    clock = (lambda: now) if now is not None else (lambda: datetime.now(UTC))
    return DayCache(
        root,
        fingerprint(identity, client.base_url),
        description={**identity, "base_url": client.base_url},
        now=clock,
    )


def _show_progress(query: Query, units: int) -> bool:
    interactive = hasattr(sys, "ps1") or "ipykernel" in sys.modules
    return interactive and (query.end - query.start > timedelta(days=1) or units > 1)
