"""An archive: closed days of one query kept forever as a hive-partitioned Parquet dataset.

The API serves 90 days back; :func:`sync_archive` keeps every closed day it has seen, so a
daily cron job builds history longer than the API's window. :func:`scan_archive` reads it
back as a lazy frame with the columns of :func:`~digitalcx_frames.read_interactions`.

Layout (readable as it is by Polars, pyarrow, DuckDB and Spark, which skip names that start
with ``.`` or ``_``)::

    root/customer_key=<c>/project_key=<p>/_manifest.json       days, fingerprint, versions
    root/customer_key=<c>/project_key=<p>/.lock                 taken while the manifest changes
    root/customer_key=<c>/project_key=<p>/date=YYYY-MM-DD/part-0.parquet

Each day is written whole and atomically (a ``.``-prefixed temporary file in the same
folder, then ``os.replace``), and then recorded in the manifest under an exclusive
``fcntl.flock`` on ``.lock``; two syncs at once leave every day exactly once. Folders are
0700 and files 0600 (rows may hold user info).

Examples
--------
>>> import tempfile
>>> import digitalcx_frames as dcx
>>> from digitalcx_frames.simulator import Simulator
>>> now = datetime(2026, 11, 20, 12, tzinfo=UTC)
>>> with tempfile.TemporaryDirectory() as root, Simulator(rows_per_day=50, today=now.date()) as sim:
...     result = sync_archive(root, sim.customer_key, sim.project_key, culture=sim.culture,
...                           start="2026-11-17", client=dcx.Client(**sim.connection), now=now)
...     again = sync_archive(root, sim.customer_key, sim.project_key, culture=sim.culture,
...                          start="2026-11-17", client=dcx.Client(**sim.connection), now=now)
...     frame = scan_archive(root).collect()
>>> result.summary()
'sync demo-customer/demo-project: ok, 3 day(s) fetched, 0 skipped, 0 imported from exports, ... row(s) written'
>>> again.fetched, len(again.skipped), frame.height == result.rows, frame["date"].n_unique()
((), 3, True, 3)
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from importlib import metadata
from pathlib import Path
from typing import Any, Final, Literal

import polars as pl

from digitalcx_frames._http.transport import Client
from digitalcx_frames._read.cache import CLOSED_MARGIN, atomic_write, fingerprint
from digitalcx_frames._read.export import ExportSource, read_export
from digitalcx_frames._read.frames import fetch_days
from digitalcx_frames._read.query import Instant, Query, build_query, earliest_start, to_utc
from digitalcx_frames.errors import ConfigurationError, DigitalCXError
from digitalcx_frames.schema import SCHEMA_VERSION, polars_schema

if sys.platform != "win32":
    import fcntl

__all__ = ["MANIFEST_NAME", "PARTITION_SCHEMA", "SyncResult", "scan_archive", "sync_archive"]

MANIFEST_NAME: Final = "_manifest.json"
LOCK_NAME: Final = ".lock"
DAY_FILE: Final = "part-0.parquet"
MANIFEST_FORMAT: Final = 1
PARTITION_SCHEMA: Final = pl.Schema({"customer_key": pl.String(), "project_key": pl.String(), "date": pl.Date()})
"""The hive partition columns :func:`scan_archive` adds after the data columns."""
_DIR_MODE: Final = 0o700
_FILE_MODE: Final = 0o600
_CLOUD_RE: Final = re.compile(r"^(s3|s3a|gs|gcs|abfs|abfss|az|adl)://", re.IGNORECASE)
_KEY_RE: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._~-]*$")
_CLOUD_HINT: Final = "pip install 'digitalcx-frames[cloud]'"

Root = str | os.PathLike[str]


@dataclass(frozen=True, slots=True)
class SyncResult:
    """What one :func:`sync_archive` run did.

    ``sync_archive`` does not raise for a failure part-way (an API or network error, a
    disk error): every day completed before it is kept and recorded, ``error`` holds the
    message, ``failed_day`` the day that failed and ``ok`` is ``False``; the next run
    resumes. Bad arguments still raise :class:`~digitalcx_frames.ConfigurationError`.

    Attributes
    ----------
    customer_key, project_key
        The project synced.
    fetched
        Days fetched from the API and written, in order.
    skipped
        Days of the range already in the archive (not fetched again).
    imported
        Days written from portal exports.
    rows
        Rows written in this run (fetched and imported).
    failed_day, error
        The day that failed and the error's message, or ``None``.
    """

    customer_key: str
    project_key: str
    fetched: tuple[date, ...] = ()
    skipped: tuple[date, ...] = ()
    imported: tuple[date, ...] = ()
    rows: int = 0
    failed_day: date | None = None
    error: str | None = field(default=None)

    @property
    def ok(self) -> bool:
        """Whether the run finished without an error (the CLI exits 0, else 1)."""
        return self.error is None

    def summary(self) -> str:
        """One line for a log or the CLI.

        >>> SyncResult("acme", "web", fetched=(date(2026, 11, 1),), rows=10).summary()
        'sync acme/web: ok, 1 day(s) fetched, 0 skipped, 0 imported from exports, 10 row(s) written'
        """
        text = (
            f"sync {self.customer_key}/{self.project_key}: {'ok' if self.ok else 'FAILED'}, "
            f"{len(self.fetched)} day(s) fetched, {len(self.skipped)} skipped, "
            f"{len(self.imported)} imported from exports, {self.rows} row(s) written"
        )
        if not self.ok:
            where = f" on {self.failed_day.isoformat()}" if self.failed_day is not None else ""
            first_line = (self.error or "error").splitlines()[0]
            text += f"; failed{where}: {first_line} (run again to resume)"
        return text


# -- locations ---------------------------------------------------------------------------------


def _is_cloud(root: Root) -> bool:
    return isinstance(root, str) and _CLOUD_RE.match(root) is not None


def _local_root(root: Root) -> Path:
    if not isinstance(root, str | os.PathLike):
        raise ConfigurationError(f"root must be a folder path or a cloud URL, not {root!r}")
    text = os.fspath(root)
    if text.startswith("file://"):
        text = text.removeprefix("file://")
    if not text:
        raise ConfigurationError("root must be a folder path or a cloud URL, not an empty string")
    return Path(text).expanduser()


def _check_key(value: object, name: str) -> str:
    if not isinstance(value, str) or not _KEY_RE.fullmatch(value) or value in {".", ".."}:
        raise ConfigurationError(
            f"{name}={value!r} is not a valid key: use ASCII letters, digits, '.', '_', '~' and '-' only"
        )
    return value


def _project_part(customer_key: str, project_key: str) -> str:
    return f"customer_key={customer_key}/project_key={project_key}"


class _Store:
    """The files of one project's archive on the local filesystem."""

    def __init__(self, root: Path, customer_key: str, project_key: str) -> None:
        self.root = root
        self.folder = root / _project_part(customer_key, project_key)

    def _mkdirs(self, path: Path) -> None:
        missing = []
        probe = path
        while not probe.exists():
            missing.append(probe)
            probe = probe.parent
        for folder in reversed(missing):
            with contextlib.suppress(FileExistsError):
                folder.mkdir(mode=_DIR_MODE)
            folder.chmod(_DIR_MODE)

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the project's exclusive lock (a no-op where ``fcntl`` is missing)."""
        self._mkdirs(self.folder)
        if sys.platform == "win32":  # pragma: no cover - no flock on Windows
            yield
            return
        fd = os.open(self.folder / LOCK_NAME, os.O_RDWR | os.O_CREAT, _FILE_MODE)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def read_manifest(self) -> dict[str, Any] | None:
        path = self.folder / MANIFEST_NAME
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        return _parse_manifest(text, str(path))

    def write_manifest(self, manifest: Mapping[str, Any]) -> None:
        with atomic_write(self.folder / MANIFEST_NAME) as tmp:
            tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True), encoding="utf-8")

    def has_day(self, day: date) -> bool:
        """Whether the day's file is there (a day removed by hand is fetched again)."""
        return (self.folder / f"date={day.isoformat()}" / DAY_FILE).is_file()

    def write_day(self, day: date, frame: pl.DataFrame) -> None:
        folder = self.folder / f"date={day.isoformat()}"
        self._mkdirs(folder)
        with atomic_write(folder / DAY_FILE) as tmp:
            frame.write_parquet(tmp, compression="zstd", statistics=True)


class _CloudStore(_Store):
    """The files of one project's archive on an object store, through fsspec.

    Objects appear whole when their upload completes, so no temporary file is needed; an
    object store has no ``flock``: do not run two syncs of one project at once there.
    """

    def __init__(self, url: str, customer_key: str, project_key: str) -> None:
        try:
            import fsspec  # noqa: PLC0415  (optional extra)
        except ImportError:
            raise ConfigurationError(
                f"root={url!r} is a cloud URL, which needs fsspec and the filesystem's package: {_CLOUD_HINT}"
            ) from None
        self.fs, base = fsspec.core.url_to_fs(url)
        self.url = url.rstrip("/")
        self.base = base.rstrip("/") + "/" + _project_part(customer_key, project_key)

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        yield

    def has_day(self, day: date) -> bool:
        return True  # the manifest is trusted: listing an object store costs a request per day

    def read_manifest(self) -> dict[str, Any] | None:
        path = f"{self.base}/{MANIFEST_NAME}"
        if not self.fs.exists(path):
            return None
        with self.fs.open(path, "rb") as handle:
            return _parse_manifest(handle.read().decode("utf-8"), path)

    def write_manifest(self, manifest: Mapping[str, Any]) -> None:
        with self.fs.open(f"{self.base}/{MANIFEST_NAME}", "wb") as handle:
            handle.write(json.dumps(manifest, indent=2, sort_keys=True).encode())

    def write_day(self, day: date, frame: pl.DataFrame) -> None:
        with self.fs.open(f"{self.base}/date={day.isoformat()}/{DAY_FILE}", "wb") as handle:
            frame.write_parquet(handle, compression="zstd", statistics=True)


def _parse_manifest(text: str, where: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ConfigurationError(
            f"the archive manifest {where} is not valid JSON ({exc}); restore or remove it"
        ) from exc
    if not isinstance(data, dict) or not isinstance(data.get("days"), dict):
        raise ConfigurationError(f"the archive manifest {where} is not a digitalcx_frames manifest")
    return data


def _library_version() -> str:
    try:
        return metadata.version("digitalcx-frames")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "unknown"


# -- sync --------------------------------------------------------------------------------------


def _closed_days(now: datetime) -> tuple[date, date]:
    """The first day the API still serves, and the first day that is not closed yet.

    A day is closed when it ended at least ``CLOSED_MARGIN`` before ``now``.

    >>> _closed_days(datetime(2026, 11, 20, 1, 0, tzinfo=UTC))
    (datetime.date(2026, 8, 22), datetime.date(2026, 11, 19))
    >>> _closed_days(datetime(2026, 11, 20, 2, 0, tzinfo=UTC))[1]
    datetime.date(2026, 11, 20)
    """
    return earliest_start(now).date(), (now - CLOSED_MARGIN).date()


def _day_range(low: date, high: date) -> list[date]:
    return [low + timedelta(days=i) for i in range((high - low).days)]


def _as_day(value: Instant, name: str) -> date:
    moment = to_utc(value, name=name)
    if moment.time() != time():
        raise ConfigurationError(f"{name}={value!r} must be a whole UTC day (the archive holds whole days)")
    return moment.date()


def _conform(frame: pl.DataFrame) -> pl.DataFrame:
    """Exactly the output schema (undocumented columns were warned about when fetched)."""
    schema = polars_schema()
    return frame.select(pl.col(name).cast(dtype) for name, dtype in schema.items())


def sync_archive(
    root: Root,
    customer_key: str,
    project_key: str,
    *,
    culture: str,
    start: Instant | None = None,
    end: Instant | None = None,
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
    now: datetime | None = None,
    exports: ExportSource | None = None,
) -> SyncResult:
    """Bring the archive of one project up to date: fetch the closed days it is missing.

    A day is closed once it ended :data:`~digitalcx_frames._read.cache.CLOSED_MARGIN` (2 h) ago.
    Only closed days that are missing and still inside the API's 90-day window are fetched;
    days already archived are skipped (a second run makes no request), and days that
    have left the API's window stay in the archive. Each day is written as soon as it is
    complete, so a failure part-way keeps every completed day and the next run resumes.

    Parameters
    ----------
    root
        The archive's folder (created 0700 if missing), or a cloud URL (``s3://``,
        ``gs://``, ``abfs://``; needs ``pip install 'digitalcx-frames[cloud]'``).
    customer_key, project_key, culture
        As in :func:`~digitalcx_frames.read_interactions`.
    interaction_types, main_interaction_types, environment, session_mode, active_sessions_only
        As in :func:`~digitalcx_frames.read_interactions`. An archive holds one query:
        syncing it again with other filters (or another base URL) raises
        :class:`~digitalcx_frames.ConfigurationError`.
    start, end
        Whole UTC days ``[start, end)`` to consider; default every closed day the API
        still serves. Days before the API's window are not fetched (only imported).
    client
        The :class:`~digitalcx_frames.Client`; default one built from the environment.
    max_workers
        Days fetched at once.
    progress
        A progress bar over days; default on in an interactive session.
    now
        The clock for the 90-day rule and for which days are closed; tests inject it.
    exports
        Portal CSV downloads (see :func:`~digitalcx_frames._read.export.read_export`) to import
        first: each closed day they hold that the archive is missing is written with
        ``source="export"``, and not fetched. Days already archived are never overwritten
        by exports. Each export should hold whole UTC days of the archive's query.

    Returns
    -------
    SyncResult
        Days fetched, skipped and imported, rows written; on a failure part-way ``ok`` is
        ``False`` and ``error`` says what failed (nothing is raised, so a cron job gets a
        summary).

    Raises
    ------
    ConfigurationError
        Bad arguments, other filters than the archive's, or a cloud URL without fsspec.
    """
    clock = to_utc(now, name="now") if now is not None else datetime.now(UTC)
    floor, open_day = _closed_days(clock)
    query = build_query(
        customer_key,
        project_key,
        culture=culture,
        start=floor,
        end=floor + timedelta(days=1),
        interaction_types=interaction_types,
        main_interaction_types=main_interaction_types,
        environment=environment,
        session_mode=session_mode,
        active_sessions_only=active_sessions_only,
        filter_text=filter_text,
        include_user_info=include_user_info,
        format=format,
        now=clock,
    )
    if not isinstance(max_workers, int) or isinstance(max_workers, bool) or max_workers < 1:
        raise ConfigurationError(f"max_workers must be an int >= 1, got {max_workers!r}")
    low = _as_day(start, "start") if start is not None else floor
    high = _as_day(end, "end") if end is not None else open_day
    if high <= low:
        raise ConfigurationError(f"end ({high}) must be after start ({low}); end is exclusive")
    client = client if client is not None else Client()
    store: _Store = (
        _CloudStore(os.fspath(root), customer_key, project_key)
        if _is_cloud(root)
        else _Store(_local_root(root), customer_key, project_key)
    )
    key = fingerprint(query.identity(), client.base_url)
    description = {**query.identity(), "base_url": client.base_url}
    with store.locked():
        manifest = _open_manifest(store, key, description)
    archived = {d for d in map(date.fromisoformat, manifest["days"]) if store.has_day(d)}
    sync = _Sync(store, key, description)
    if exports is not None:
        sync.import_exports(exports, archived, open_day)
        archived |= set(sync.imported)
    wanted = [d for d in _day_range(low, high) if d < open_day]
    skipped = tuple(d for d in wanted if d in archived and d not in sync.imported)
    missing = [d for d in wanted if d not in archived and d >= floor]
    show = (hasattr(sys, "ps1") or "ipykernel" in sys.modules) if progress is None else progress
    sync.fetch(query, missing, client=client, max_workers=max_workers, progress=bool(show))
    return SyncResult(
        customer_key,
        project_key,
        fetched=tuple(sync.fetched),
        skipped=skipped,
        imported=tuple(sync.imported),
        rows=sync.rows,
        failed_day=sync.failed_day,
        error=sync.error,
    )


def _open_manifest(store: _Store, key: str, description: Mapping[str, str]) -> dict[str, Any]:
    """Read the manifest (under the lock), refusing another query; create it if missing."""
    manifest = store.read_manifest()
    if manifest is None:
        manifest = {
            "format": MANIFEST_FORMAT,
            "fingerprint": key,
            "query": dict(description),
            "schema_version": SCHEMA_VERSION,
            "library_version": _library_version(),
            "days": {},
        }
        store.write_manifest(manifest)
        return manifest
    if manifest.get("fingerprint") != key:
        theirs = manifest.get("query", {})
        changed = sorted(k for k in set(theirs) | set(description) if theirs.get(k) != description.get(k))
        raise ConfigurationError(
            f"the archive of {description['customer']}/{description['project']} holds another query "
            f"(different {', '.join(changed) or 'schema version'}): an archive holds one query. Sync these "
            "filters into another root, or use the archive's own filters"
        )
    return manifest


class _Sync:
    """Writes days and records them in the manifest; remembers what it did."""

    def __init__(self, store: _Store, key: str, description: Mapping[str, str]) -> None:
        self.store = store
        self.key = key
        self.description = description
        self.fetched: list[date] = []
        self.imported: list[date] = []
        self.rows = 0
        self.failed_day: date | None = None
        self.error: str | None = None

    def write(self, day: date, frame: pl.DataFrame, source: str) -> None:
        """Write one whole day atomically, then record it under the lock."""
        frame = _conform(frame)
        self.store.write_day(day, frame)
        with self.store.locked():
            manifest = _open_manifest(self.store, self.key, self.description)
            manifest["days"][day.isoformat()] = {
                "source": source,
                "rows": frame.height,
                "written": datetime.now(UTC).isoformat(timespec="seconds"),
            }
            manifest["library_version"] = _library_version()
            self.store.write_manifest(manifest)
        self.rows += frame.height

    def import_exports(self, exports: ExportSource, archived: set[date], open_day: date) -> None:
        frame = read_export(exports).collect()
        frame = frame.with_columns(pl.col("timestamp_start").dt.date().alias("\x00day"))
        for (day,), part in frame.partition_by("\x00day", as_dict=True, maintain_order=True).items():
            if not isinstance(day, date) or day in archived or day >= open_day:
                continue
            self.write(day, part.drop("\x00day").sort("timestamp_start", "log_id", maintain_order=True), "export")
            self.imported.append(day)
        self.imported.sort()

    def fetch(self, query: Query, days: list[date], *, client: Client, max_workers: int, progress: bool) -> None:
        if not days:
            return
        try:
            for day, frame in fetch_days(query, days, client=client, max_workers=max_workers, progress=progress):
                self.write(day, frame, "api")
                self.fetched.append(day)
        except (DigitalCXError, OSError) as exc:
            done = len(self.fetched)
            self.failed_day = days[done] if done < len(days) else None
            self.error = f"{type(exc).__name__}: {exc}"


# -- scan --------------------------------------------------------------------------------------


def scan_archive(root: Root, customer_key: str | None = None, project_key: str | None = None) -> pl.LazyFrame:
    """Read an archive back as a lazy frame.

    Parameters
    ----------
    root
        The archive's folder or cloud URL (read by Polars itself; credentials as for
        ``pl.scan_parquet``).
    customer_key, project_key
        Only this customer / project; default all in the archive.

    Returns
    -------
    polars.LazyFrame
        The columns and dtypes of :func:`~digitalcx_frames.read_interactions`, then the
        partition columns ``customer_key``, ``project_key`` (String) and ``date`` (Date);
        rows ordered by date, then as stored. An empty archive gives an empty frame.
    """
    customer = "*" if customer_key is None else _check_key(customer_key, "customer_key")
    project = "*" if project_key is None else _check_key(project_key, "project_key")
    schema = polars_schema()
    full = pl.Schema({**schema, **PARTITION_SCHEMA})
    if _is_cloud(root):
        base = os.fspath(root).rstrip("/")
    else:
        local = _local_root(root)
        pattern = f"customer_key={customer}/project_key={project}/date=*/{DAY_FILE}"
        if not any(local.glob(pattern)):
            return pl.LazyFrame(schema=full)
        base = str(local)
    source = f"{base}/customer_key={customer}/project_key={project}/date=*/*.parquet"
    lf = pl.scan_parquet(
        source,
        hive_partitioning=True,
        hive_schema=PARTITION_SCHEMA,
        hidden_file_prefix=(".", "_"),
    )
    lf = lf.select([pl.col(name).cast(dtype) for name, dtype in full.items()])
    if customer_key is None or project_key is None:
        lf = lf.sort("date", maintain_order=True)
    return lf
