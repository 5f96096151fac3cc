"""``backend="dask"``: a lazy :class:`dask.dataframe.DataFrame` with one partition per UTC day.

The frame is built with :func:`dask.dataframe.from_map` over the day windows of the read;
nothing is fetched until ``compute`` (or ``persist``, ``to_parquet``...). Each partition
runs the library's own engine for its day (:func:`digitalcx_frames.read_interactions`
with the polars backend: the day cache, splitting of slow windows, retries and the
enforced filters all come with it), so a day fetched in smaller slices is still one
partition.

The index
    ``timestamp`` (:data:`INDEX_NAME`), a copy of ``timestamp_start``, with known
    divisions at the day boundaries. Dask prunes partitions on the index, so
    ``ddf.loc["2026-11-10":"2026-11-11"]`` (two whole days, a date string slice is
    inclusive of its last day) or ``ddf.loc[pd.Timestamp("2026-11-10 06:00", tz="UTC"):]``
    computes only the days it needs; a filter on the ``timestamp_start`` column
    (``ddf[ddf.timestamp_start >= ...]``) is applied after every day is fetched.
    ``compute().reset_index(drop=True)`` is the frame of ``backend="pandas"``.

The schema
    ``meta`` is the pandas schema of ``backend="pandas"`` (nullable dtypes; the two
    categorical columns with unknown categories). The columns are fixed like the polars
    backend's: an undocumented column is kept only when named in ``extra_columns``.
    A column selection (``ddf[["log_id", "main_interaction_type"]]``) reaches the
    partitions, which convert only those columns to pandas.

Credentials
    The task graph never holds the client secret or a token. The partitions carry a
    :class:`WorkerCredentials`: the client's :class:`ClientSettings` (id, endpoints,
    timeouts, deadline, retries) and a random key. In the process that built the frame (Dask's default
    threaded scheduler, or ``distributed`` workers in that process) the key finds the
    :class:`~digitalcx_frames.Client` that was passed (or built from the environment) and
    partitions use it as is. In any other process (a ``distributed`` worker) the
    partition builds a client from those settings and the secret in the worker's
    environment variable ``DIGITALCX_CLIENT_SECRET``; a worker without it fails
    with a :class:`~digitalcx_frames.errors.ConfigurationError` that says so. A worker
    keeps one client per set of settings, shared by later reads (one token); what cannot
    travel (a ``session=``, ``clock=`` or ``sleep=`` given to the client) stays in this
    process, and workers use the defaults. Set the variable in
    the workers' environment (``LocalCluster(env={...})``, your cluster's secret store,
    or inherited from the process that starts the workers). The repr and the pickle of
    the credentials, and therefore of the graph, its task reprs in logs and on the
    dashboard, hold neither secret nor token.

Throughput
    A partition waits on the network most of the time (a day's pages follow each
    other's continuation tokens). ``distributed``'s scheduler holds back root tasks
    beyond about 1.1 per worker thread (``distributed.scheduler.worker-saturation``),
    which can leave a thread idle for a whole day's fetch: for a cluster that mostly
    reads, try ``dask.config.set({"distributed.scheduler.worker-saturation": float("inf")})``
    before the cluster (its scheduler) starts. ``compute()`` brings every row to the
    calling process, which costs more than the read on a small machine; keep the work on
    the cluster where you can (aggregate, ``to_parquet``). B10 in BENCHMARKS.md measures it.

Warnings a partition raises (a :class:`~digitalcx_frames.errors.DataWarning` for an
unknown type name or an undocumented column) are raised where the partition runs: in
the worker's log on a distributed cluster.
"""

from __future__ import annotations

import os
import threading
import uuid
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, Literal

import dask
import dask.dataframe as dd
import pandas as pd
import polars as pl
from dask.dataframe.utils import clear_known_categories

from digitalcx_frames._http.auth import ENV_CLIENT_SECRET
from digitalcx_frames._http.transport import Client
from digitalcx_frames._read.combined import archived_days, build_archived_query
from digitalcx_frames._read.query import Instant, build_query, check_cache, check_workers
from digitalcx_frames._read.windows import day_windows
from digitalcx_frames.errors import ConfigurationError
from digitalcx_frames.schema import polars_schema, to_pandas

__all__ = ["INDEX_NAME", "STAYS", "ClientSettings", "WorkerCredentials", "read_dask"]

INDEX_NAME: Final = "timestamp"
"""The name of the index (a copy of ``timestamp_start``; not a column name, so never ambiguous)."""
_LABEL: Final = "digitalcx-interactions"

# Clients of this process: the caller's own clients by credentials key (weakly held; the
# credentials object keeps its client alive), and the clients a worker built, one per set
# of settings, so every read with the same settings shares one client (token, connections).
_LOCAL_CLIENTS: weakref.WeakValueDictionary[str, Client] = weakref.WeakValueDictionary()
_BUILT_CLIENTS: dict[ClientSettings, Client] = {}
_CLIENTS_LOCK = threading.Lock()


@dataclass(frozen=True, slots=True)
class ClientSettings:
    """The arguments of :class:`~digitalcx_frames.Client` that travel to a worker (never the secret).

    The other arguments stay in the caller's process: see :data:`STAYS`.
    """

    client_id: str | None
    base_url: str
    token_url: str
    timeout: tuple[float, float]
    deadline: float | None
    max_retries: int
    backoff_factor: float
    retry_after_max: float

    @classmethod
    def of(cls, client: Client) -> ClientSettings:
        """The settings ``client`` was built with."""
        retry = getattr(client.session.get_adapter(client.base_url), "max_retries", None)
        return cls(
            client_id=client.client_id,
            base_url=client.base_url,
            token_url=client.token_url,
            timeout=tuple(client.timeout),  # type: ignore[arg-type]
            deadline=client.deadline,
            max_retries=client.max_retries,
            backoff_factor=float(getattr(retry, "backoff_factor", 0.5)),
            retry_after_max=float(getattr(retry, "_cap", 60.0)),
        )

    def build(self) -> Client:
        """A client with these settings and the secret of this process's environment."""
        return Client(
            self.client_id,
            None,  # DIGITALCX_CLIENT_SECRET
            base_url=self.base_url,
            token_url=self.token_url,
            timeout=self.timeout,
            deadline=self.deadline,
            max_retries=self.max_retries,
            backoff_factor=self.backoff_factor,
            retry_after_max=self.retry_after_max,
        )


STAYS: Final = frozenset({"client_secret", "session", "clock", "sleep"})
"""The :class:`~digitalcx_frames.Client` arguments that never leave the caller's process."""


class WorkerCredentials:
    """What a partition needs to build its client, without the secret.

    Parameters
    ----------
    client
        The client of the read; it stays in this process (it holds a secret and a session).

    Examples
    --------
    >>> import pickle
    >>> from digitalcx_frames import Client
    >>> client = Client("my-client", "s3cret", base_url="http://127.0.0.1:8080")
    >>> credentials = WorkerCredentials(client)
    >>> credentials
    WorkerCredentials(client_id='my-client', base_url='http://127.0.0.1:8080', secret=<worker environment>)
    >>> b"s3cret" in pickle.dumps(credentials), pickle.loads(pickle.dumps(credentials)).client() is client
    (False, True)
    """

    __slots__ = ("__weakref__", "_client", "key", "settings")

    def __init__(self, client: Client) -> None:
        self.settings = ClientSettings.of(client)
        self.key: str = uuid.uuid4().hex
        self._client: Client | None = client
        with _CLIENTS_LOCK:
            _LOCAL_CLIENTS[self.key] = client

    def __repr__(self) -> str:
        return (
            f"WorkerCredentials(client_id={self.settings.client_id!r}, base_url={self.settings.base_url!r}, "
            "secret=<worker environment>)"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        # The client (secret, token, session) never travels: only plain settings and the key.
        return (_rebuild_credentials, (self.settings, self.key))

    def __dask_tokenize__(self) -> tuple[object, ...]:
        return (type(self).__name__, self.settings, self.key)

    def client(self) -> Client:
        """The caller's client in the process that built the frame, else this worker's client.

        Raises
        ------
        ConfigurationError
            In a worker process whose environment has no ``DIGITALCX_CLIENT_SECRET``.
        """
        if self._client is not None:
            return self._client
        with _CLIENTS_LOCK:
            local = _LOCAL_CLIENTS.get(self.key)
            if local is not None:
                return local
            built = _BUILT_CLIENTS.get(self.settings)
            if built is not None:
                return built
            if not os.environ.get(ENV_CLIENT_SECRET):
                raise ConfigurationError(
                    f"this Dask worker (pid {os.getpid()}) has no {ENV_CLIENT_SECRET} in its environment: "
                    "backend='dask' never puts the client secret in the task graph, so each worker process "
                    f"reads it from {ENV_CLIENT_SECRET}; set it where the workers start (for a LocalCluster: "
                    f"export it before creating the cluster, or LocalCluster(env={{'{ENV_CLIENT_SECRET}': ...}}))"
                )
            built = self.settings.build()
            _BUILT_CLIENTS[self.settings] = built
            return built


def _rebuild_credentials(settings: ClientSettings, key: str) -> WorkerCredentials:
    credentials = WorkerCredentials.__new__(WorkerCredentials)
    credentials.settings = settings
    credentials.key = key
    credentials._client = None
    return credentials


@dataclass(frozen=True)
class _Plan:
    """Everything a partition needs besides its window (plain, picklable values)."""

    customer_key: str
    project_key: str
    culture: str
    options: dict[str, Any]
    extra_columns: tuple[str, ...]
    columns: tuple[str, ...] = field(repr=False)
    credentials: WorkerCredentials = field(repr=True)


def read_dask(
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
    client: Client | None = None,
    max_workers: int = 4,
    progress: bool | None = None,
    extra_columns: Sequence[str] = (),
    cache: bool | str | os.PathLike[str] = True,
    now: datetime | None = None,
    archive: str | os.PathLike[str] | None = None,
) -> dd.DataFrame:
    """Read interaction logs as a lazy Dask DataFrame, one partition per UTC day.

    The arguments are those of :func:`digitalcx_frames.read_interactions` (which calls
    this for ``backend="dask"``); they are validated here, before any request. See the
    module's notes on the index, pruning with ``.loc`` and credentials.

    Parameters
    ----------
    customer_key, project_key, culture, start, end, interaction_types, main_interaction_types
        As for :func:`digitalcx_frames.read_interactions`.
    environment, session_mode, active_sessions_only, filter_text, include_user_info, format
        As for :func:`digitalcx_frames.read_interactions`.
    client
        The client of this process; default one built from the environment. It is never
        put in the graph: workers in other processes build their own (module notes).
    max_workers
        Slices of one day fetched at once (a day that is split because it times out).
    progress
        Ignored: there is no per-day progress bar; use Dask's diagnostics.
    extra_columns
        Undocumented columns to keep (as ``string``).
    cache
        The day cache of each worker: ``True`` (its default folder), ``False``, or a
        folder path as seen by the workers.
    now
        The clock for the 90-day rule and for closed days (tests inject it).
    archive
        An archive root (:func:`~digitalcx_frames.sync_archive`) as seen by the workers:
        each day it holds is read from it, the others from the cache or the API; ``start``
        may reach back as far as it holds whole days. Checked at the call.

    Returns
    -------
    dask.dataframe.DataFrame
        The columns of ``backend="pandas"`` indexed by ``timestamp`` (a copy of
        ``timestamp_start``), divisions at the day boundaries.

    Examples
    --------
    >>> from datetime import UTC, datetime, timedelta
    >>> import digitalcx_frames as dcx
    >>> from digitalcx_frames.simulator import Simulator
    >>> with Simulator(rows_per_day=40) as sim:
    ...     first = sim.today - timedelta(days=3)
    ...     ddf = read_dask(sim.customer_key, sim.project_key, culture=sim.culture,
    ...                     start=first, end=sim.today, client=dcx.Client(**sim.connection), cache=False)
    ...     asked_before = len(sim.interaction_requests)
    ...     second = first + timedelta(days=1)
    ...     one_day = ddf.loc[str(second)].compute()  # a date string: that whole day, one partition
    ...     asked = [r.window[0].date() for r in sim.interaction_requests]
    ...     day = datetime(second.year, second.month, second.day, tzinfo=UTC)
    ...     expected = sim.expected_rows(day, day + timedelta(days=1))
    >>> ddf.npartitions, ddf.known_divisions, asked_before, asked == [second]
    (3, True, 0, True)
    >>> one_day["log_id"].tolist() == [row["LogId"] for row in expected]
    True
    >>> str(ddf.dtypes["log_id"]), ddf.index.name
    ('Int64', 'timestamp')
    """
    del progress  # one day per partition: Dask's diagnostics show progress
    query = (build_query if archive is None else build_archived_query)(
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
    check_workers(max_workers)
    check_cache(cache)
    if archive is not None:
        archived_days(archive, query, now=now)  # its errors at the call, not in a worker
    extras = tuple(extra_columns)
    schema = polars_schema()
    for name in extras:
        schema[name] = pl.String()
    meta = _meta(schema)
    plan = _Plan(
        customer_key=query.customer_key,
        project_key=query.project_key,
        culture=query.culture,
        options={
            "interaction_types": interaction_types,
            "main_interaction_types": main_interaction_types,
            "environment": environment,
            "session_mode": session_mode,
            "active_sessions_only": active_sessions_only,
            "filter_text": filter_text,
            "include_user_info": include_user_info,
            "format": format,
            "max_workers": max_workers,
            "cache": cache,
            "now": now,
            **({} if archive is None else {"archive": archive}),
        },
        extra_columns=extras,
        columns=tuple(schema.names()),
        credentials=WorkerCredentials(client if client is not None else Client()),
    )
    windows = day_windows(query.start, query.end)
    divisions = (*(pd.Timestamp(w.start) for w in windows), pd.Timestamp(windows[-1].end))
    # The partitions already have the exact dtypes: no string conversion layer on top.
    with dask.config.set({"dataframe.convert-string": False}):
        frame: dd.DataFrame = dd.from_map(  # type: ignore[no-untyped-call]
            _read_partition,
            [(w.start, w.end) for w in windows],
            plan=plan,
            meta=meta,
            divisions=divisions,
            label=_LABEL,
            enforce_metadata=False,
        )
    return frame


def _meta(schema: pl.Schema) -> pd.DataFrame:
    empty = to_pandas(schema.to_frame())
    empty.index = pd.DatetimeIndex(empty["timestamp_start"], name=INDEX_NAME)
    meta: pd.DataFrame = clear_known_categories(empty)  # type: ignore[no-untyped-call]
    return meta


def _read_partition(window: tuple[datetime, datetime], plan: _Plan, columns: list[str] | None = None) -> pd.DataFrame:
    """One day: the library's own read of ``[start, end)``, as pandas, indexed by ``timestamp``."""
    import digitalcx_frames as dcx  # noqa: PLC0415 - the public face; _read/frames imports this module lazily

    start, end = window
    wanted = list(plan.columns) if columns is None else list(columns)
    read = [*wanted, "timestamp_start"] if "timestamp_start" not in wanted else wanted
    lazy = dcx.read_interactions(
        plan.customer_key,
        plan.project_key,
        culture=plan.culture,
        start=start,
        end=end,
        backend="polars",
        client=plan.credentials.client(),
        progress=False,
        extra_columns=plan.extra_columns,
        **plan.options,
    )
    out = to_pandas(lazy.select(read).collect())
    out.index = pd.DatetimeIndex(out["timestamp_start"], name=INDEX_NAME)
    return out[wanted]
