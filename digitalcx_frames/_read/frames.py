"""``read_interactions``: the arguments, and the choice of backend.

Building the frame validates the arguments and makes no request. Reading is the read
engine's (:mod:`digitalcx_frames._read.fetch`): for Polars it is the source of a lazy
frame (an IO plugin called at collect with the columns, predicate and row limit, fetching
only the days the predicate can match), for pandas it reads at once, for Dask it is one
partition per day (:mod:`digitalcx_frames._read.dask`).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, overload

import polars as pl

from digitalcx_frames._http.transport import Client
from digitalcx_frames._read.cache import DayCache, cache_root, fingerprint
from digitalcx_frames._read.fetch import ReadEngine, ReadReport, fetch_days
from digitalcx_frames._read.query import Instant, Query, build_query
from digitalcx_frames._read.scan import scan_batches
from digitalcx_frames.errors import ConfigurationError
from digitalcx_frames.schema import to_pandas

if TYPE_CHECKING:
    import dask.dataframe as dd
    import pandas as pd

__all__ = ["fetch_days", "read_interactions"]  # fetch_days: the engine's, re-exported for the archive

logger = logging.getLogger("digitalcx_frames")
BACKENDS = ("polars", "pandas", "dask")


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
    report: Callable[[ReadReport], object] | None = ...,
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
    report: Callable[[ReadReport], object] | None = ...,
) -> pd.DataFrame: ...


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
    backend: Literal["dask"],
    client: Client | None = ...,
    max_workers: int = ...,
    progress: bool | None = ...,
    extra_columns: Sequence[str] = ...,
    cache: bool | str | os.PathLike[str] = ...,
    now: datetime | None = ...,
    report: Callable[[ReadReport], object] | None = ...,
) -> dd.DataFrame: ...


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
    backend: Literal["polars", "pandas", "dask"] = "polars",
    client: Client | None = None,
    max_workers: int = 4,
    progress: bool | None = None,
    extra_columns: Sequence[str] = (),
    cache: bool | str | os.PathLike[str] = True,
    now: datetime | None = None,
    report: Callable[[ReadReport], object] | None = None,
) -> pl.LazyFrame | pd.DataFrame | dd.DataFrame:
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
        ``"pandas"`` a pandas DataFrame with nullable dtypes, ``"dask"`` a lazy Dask
        DataFrame with one partition per UTC day (needs the ``dask`` extra).
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
    report
        Called with a :class:`~digitalcx_frames.ReadReport` when a read ends (each
        ``collect`` of the lazy frame; the pandas read before it returns): days from the
        cache, days fetched, requests, retries, splits, rows, bytes and seconds.

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
    if backend not in BACKENDS:
        raise ConfigurationError(
            f"backend={backend!r} is not allowed; use 'polars' (lazy) or 'pandas' (or 'dask', with the dask extra)"
        )
    if not isinstance(max_workers, int) or isinstance(max_workers, bool) or max_workers < 1:
        raise ConfigurationError(f"max_workers must be an int >= 1, got {max_workers!r}")
    if report is not None and not callable(report):
        raise ConfigurationError(f"report must be a function that takes a ReadReport, not {report!r}")
    if not (isinstance(cache, bool | str | os.PathLike)):
        raise ConfigurationError(f"cache must be True, False or a folder path, not {cache!r}")
    extras = tuple(extra_columns)
    if backend == "dask":
        if report is not None:
            raise ConfigurationError(
                "report= is not available with backend='dask': each partition is a read of its own"
            )
        from digitalcx_frames._read.dask import read_dask  # noqa: PLC0415 - dask is an optional extra

        arguments: dict[str, Any] = {
            "culture": culture,
            "start": start,
            "end": end,
            "interaction_types": interaction_types,
            "main_interaction_types": main_interaction_types,
            "environment": environment,
            "session_mode": session_mode,
            "active_sessions_only": active_sessions_only,
            "filter_text": filter_text,
            "include_user_info": include_user_info,
            "format": format,
            "client": client,
            "max_workers": max_workers,
            "progress": progress,
            "extra_columns": extra_columns,
            "cache": cache,
            "now": now,
        }
        return read_dask(customer_key, project_key, **arguments)
    client = client if client is not None else Client()
    engine = ReadEngine(
        client,
        query,
        store=_store(query, client, cache, now),
        max_workers=max_workers,
        progress=_show_progress(query) if progress is None else progress,
        extra_columns=extras,
        report=report,
    )
    if backend == "pandas":
        return to_pandas(engine.collect())
    return scan_batches(
        engine.batches,
        schema=engine.schema,
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
