"""An archive: closed days of one query kept forever as a hive-partitioned Parquet dataset.

The API serves 90 days back; :func:`sync_archive` keeps every closed day it has seen, so a
daily cron job builds history longer than the API's window. :func:`scan_archive` reads it
back as a lazy frame with the columns of :func:`~digitalcx_frames.read_interactions`.

Layout (readable as it is by Polars, pyarrow, DuckDB, Dask and Spark, which skip names that
start with ``.`` or ``_``)::

    root/customer_key=<c>/project_key=<p>/_manifest.json       days, query, versions
    root/customer_key=<c>/project_key=<p>/.lock                 taken while the manifest changes
    root/customer_key=<c>/project_key=<p>/date=YYYY-MM-DD/part-0.parquet

Each day is written whole and atomically (see :mod:`digitalcx_frames._files`), and then
recorded in the manifest under an exclusive ``fcntl.flock`` on ``.lock``; two syncs at once
leave every day exactly once. Folders are 0700 and files 0600 (rows may hold user info); a
symbolic link inside the archive is never followed.

An archive's identity is the query that shapes its rows (customer, project, culture and
filters), not the host it was fetched from; the manifest is written with the first day, so
a run that archives nothing does not tie the archive to its filters.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from importlib import metadata
from pathlib import Path
from typing import Any, Final, Literal, Protocol

import polars as pl

from digitalcx_frames._files import atomic_write, open_private, private_dir
from digitalcx_frames._http.transport import Client
from digitalcx_frames._read.cache import CLOSED_MARGIN, fingerprint
from digitalcx_frames._read.export import ExportSource, export_files, read_export_file
from digitalcx_frames._read.fetch import fetch_days
from digitalcx_frames._read.query import (
    Instant,
    Query,
    build_query,
    check_key,
    check_workers,
    earliest_start,
    to_utc,
)
from digitalcx_frames.errors import (
    AuthenticationError,
    ConfigurationError,
    DataWarning,
    DigitalCXError,
    InvalidRequestError,
    PermissionDeniedError,
)
from digitalcx_frames.schema import SCHEMA_VERSION, polars_schema

if sys.platform != "win32":
    import fcntl

__all__ = [
    "DAY_FILE",
    "MANIFEST_NAME",
    "PARTITION_SCHEMA",
    "ArchiveStore",
    "SyncResult",
    "check_day_file",
    "parse_manifest",
    "scan_archive",
    "sync_archive",
]

MANIFEST_NAME: Final = "_manifest.json"
LOCK_NAME: Final = ".lock"
DAY_FILE: Final = "part-0.parquet"
MANIFEST_FORMAT: Final = 1
PARTITION_SCHEMA: Final = pl.Schema({"customer_key": pl.String(), "project_key": pl.String(), "date": pl.Date()})
"""The hive partition columns :func:`scan_archive` adds after the data columns."""
_CLOUD_RE: Final = re.compile(r"^(s3|s3a|gs|gcs|abfs|abfss|az|adl)://", re.IGNORECASE)
_CLOUD_HINT: Final = "pip install 'digitalcx-frames[cloud]'"
_NAME_MAX: Final = 255  # bytes in one folder name on the usual filesystems
_NOT_IDENTITY: Final = frozenset({"base_url", "format"})  # the host and the wire format do not shape the rows
_PERMANENT: Final = (InvalidRequestError, PermissionDeniedError, AuthenticationError, ConfigurationError)
_MISSING: Final = "missing"

Root = str | os.PathLike[str]
DayFetcher = Callable[..., Iterator[tuple[date, pl.DataFrame]]]
"""``fetch_days``' signature: ``(query, days, *, client, max_workers, progress)`` -> (day, frame) in day order."""


@dataclass(frozen=True, slots=True)
class SyncResult:
    """What one :func:`sync_archive` run did.

    A transient failure (a 5xx, a timeout, the network, a disk error) does not stop a sync:
    the day is recorded in ``failed`` with its error, the other days are fetched and kept,
    ``ok`` is ``False``, and the next run fetches what is missing. Permanent errors (any
    other 400, a 403, refused credentials, bad arguments) raise instead.

    Attributes
    ----------
    customer_key, project_key
        The project synced.
    fetched
        Days fetched from the API and written, in order.
    skipped
        Days of the range already in the archive, checked and not fetched again.
    imported
        Days written from portal exports.
    rows
        Rows written in this run (fetched and imported).
    failed
        Every day that failed, with its error (a damaged day out of the API's window
        included, naming its file).
    partial
        Days the exports hold only part of (not imported; see ``exports_whole_days``).
    notes
        Anything else worth a line: a day skipped at the 90-day edge.
    """

    customer_key: str
    project_key: str
    fetched: tuple[date, ...] = ()
    skipped: tuple[date, ...] = ()
    imported: tuple[date, ...] = ()
    rows: int = 0
    failed: dict[date, str] = field(default_factory=dict)
    partial: tuple[date, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether no day failed (the CLI exits 0, else 1)."""
        return not self.failed

    @property
    def error(self) -> str | None:
        """Every failed day and its error on one line each, or ``None``."""
        if not self.failed:
            return None
        return "\n".join(f"{day.isoformat()}: {message}" for day, message in sorted(self.failed.items()))

    def summary(self) -> str:
        """One line for a log or the CLI.

        >>> SyncResult("acme", "web", fetched=(date(2026, 11, 1),), rows=10).summary()
        'sync acme/web: ok, 1 day(s) fetched, 0 skipped, 0 imported from exports, 10 row(s) written'
        >>> SyncResult("acme", "web", failed={date(2026, 11, 2): "HTTP 500"}).summary()
        'sync acme/web: FAILED, 0 day(s) fetched, ...; failed on 2026-11-02: HTTP 500 (run again to resume)'
        """
        text = (
            f"sync {self.customer_key}/{self.project_key}: {'ok' if self.ok else 'FAILED'}, "
            f"{len(self.fetched)} day(s) fetched, {len(self.skipped)} skipped, "
            f"{len(self.imported)} imported from exports, {self.rows} row(s) written"
        )
        if self.partial:
            text += (
                f"; {len(self.partial)} partial day(s) in the exports not imported: "
                f"{', '.join(d.isoformat() for d in self.partial)}"
            )
        text += "".join(f"; {note}" for note in self.notes)
        if self.failed:
            first_day, first = min(self.failed.items())
            where = first_day.isoformat() if len(self.failed) == 1 else f"{len(self.failed)} days, first {first_day}"
            text += f"; failed on {where}: {first.splitlines()[0]} (run again to resume)"
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
    path = Path(text).expanduser()
    if path.exists() and not path.is_dir():
        raise ConfigurationError(f"the archive root {path} is not a folder; pass a folder (it is created if missing)")
    return path


def _project_part(customer_key: str, project_key: str) -> str:
    return f"customer_key={customer_key}/project_key={project_key}"


def _check_name_length(customer_key: str, project_key: str) -> None:
    for name, value in (("customer_key", customer_key), ("project_key", project_key)):
        if len(f"{name}={value}".encode()) > _NAME_MAX:
            raise ConfigurationError(
                f"{name} is {len(value)} characters, too long for a folder name of the archive "
                f"(at most {_NAME_MAX - len(name) - 1}); check the key"
            )


def check_day_file(path: Path) -> str | None:
    """``None`` if ``path`` is a readable day of the output schema (footer and schema only), else why not."""
    try:
        schema = pl.read_parquet_schema(path)
    except Exception as exc:
        return f"{path} is damaged ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else 'unreadable'})"
    for name, dtype in polars_schema().items():
        if schema.get(name) != dtype:
            return f"{path} is not a day of this archive (column {name} is {schema.get(name)}, expected {dtype})"
    return None


class ArchiveStore(Protocol):
    """Where one project's archive lives: a local folder or an object store."""

    where: str
    """The project's folder or URL, for messages."""

    def locked(self) -> AbstractContextManager[None]:
        """Hold the project's exclusive lock while the manifest changes."""
        ...

    def read_manifest(self) -> dict[str, Any] | None:
        """The manifest (validated), or ``None`` if there is none yet."""
        ...

    def write_manifest(self, manifest: Mapping[str, Any]) -> None:
        """Replace the manifest."""
        ...

    def check_day(self, day: date) -> str | None:
        """``None`` if the day is stored whole and readable, else what is wrong (``"missing"``, damaged)."""
        ...

    def write_day(self, day: date, frame: pl.DataFrame) -> None:
        """Store one whole day, replacing what was there."""
        ...


class _LocalStore:
    """The files of one project's archive on the local filesystem."""

    def __init__(self, root: Path, customer_key: str, project_key: str) -> None:
        _check_name_length(customer_key, project_key)
        self.root = root
        self.folder = root / _project_part(customer_key, project_key)
        self.where = str(self.folder)

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the project's exclusive lock (a no-op where ``fcntl`` is missing)."""
        try:
            private_dir(self.folder)
        except OSError as exc:
            raise ConfigurationError(
                f"cannot create the archive folder {self.folder} ({type(exc).__name__}: {exc.strerror or exc}); "
                "check the root and its permissions"
            ) from exc
        if sys.platform == "win32":  # pragma: no cover - no flock on Windows
            yield
            return
        fd = open_private(self.folder / LOCK_NAME)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def read_manifest(self) -> dict[str, Any] | None:
        path = self.folder / MANIFEST_NAME
        if self.folder.is_symlink():
            private_dir(self.folder)  # raises, naming the link
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigurationError(
                f"the archive manifest {path} cannot be read ({exc}); restore or remove it"
            ) from exc
        return parse_manifest(text, str(path))

    def write_manifest(self, manifest: Mapping[str, Any]) -> None:
        with atomic_write(self.folder / MANIFEST_NAME) as tmp:
            tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True), encoding="utf-8")

    def check_day(self, day: date) -> str | None:
        path = self.folder / f"date={day.isoformat()}" / DAY_FILE
        if path.is_symlink() or not path.is_file():
            return _MISSING
        return check_day_file(path)

    def write_day(self, day: date, frame: pl.DataFrame) -> None:
        with atomic_write(self.folder / f"date={day.isoformat()}" / DAY_FILE) as tmp:
            frame.write_parquet(tmp, compression="zstd", statistics=True)


class _CloudStore:
    """The files of one project's archive on an object store, through fsspec.

    Objects appear whole when their upload completes, so no temporary file is needed; an
    object store has no ``flock``: do not run two syncs of one project at once there. The
    manifest is trusted for which days are there (listing costs a request per day).
    """

    def __init__(self, url: str, customer_key: str, project_key: str) -> None:
        try:
            import fsspec  # noqa: PLC0415  (optional extra)
        except ImportError:
            raise ConfigurationError(
                f"root={url!r} is a cloud URL, which needs fsspec and the filesystem's package: {_CLOUD_HINT}"
            ) from None
        self.fs, base = fsspec.core.url_to_fs(url)
        self.base = base.rstrip("/") + "/" + _project_part(customer_key, project_key)
        self.where = url.rstrip("/") + "/" + _project_part(customer_key, project_key)

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        yield

    def read_manifest(self) -> dict[str, Any] | None:
        path = f"{self.base}/{MANIFEST_NAME}"
        if not self.fs.exists(path):
            return None
        with self.fs.open(path, "rb") as handle:
            return parse_manifest(handle.read().decode("utf-8"), path)

    def write_manifest(self, manifest: Mapping[str, Any]) -> None:
        with self.fs.open(f"{self.base}/{MANIFEST_NAME}", "wb") as handle:
            handle.write(json.dumps(manifest, indent=2, sort_keys=True).encode())

    def check_day(self, day: date) -> str | None:
        return None

    def write_day(self, day: date, frame: pl.DataFrame) -> None:
        with self.fs.open(f"{self.base}/date={day.isoformat()}/{DAY_FILE}", "wb") as handle:
            frame.write_parquet(handle, compression="zstd", statistics=True)


def _open_store(root: Root, customer_key: str, project_key: str) -> ArchiveStore:
    if _is_cloud(root):
        return _CloudStore(os.fspath(root), customer_key, project_key)
    return _LocalStore(_local_root(root), customer_key, project_key)


def parse_manifest(text: str, where: str) -> dict[str, Any]:
    """The manifest's content, or a ConfigurationError that names the file and what to do."""
    fix = "fix it by hand or remove it (the days stay; the next sync records them again)"
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ConfigurationError(f"the archive manifest {where} is not valid JSON ({exc}); {fix}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("days"), dict):
        raise ConfigurationError(f"the archive manifest {where} is not a digitalcx_frames manifest; {fix}")
    query = data.get("query", {})
    if not isinstance(query, dict) or not all(isinstance(v, str) for v in query.values()):
        raise ConfigurationError(f"the archive manifest {where}: 'query' must be an object of strings; {fix}")
    for key in data["days"]:
        try:
            date.fromisoformat(key)
        except (TypeError, ValueError):
            raise ConfigurationError(
                f"the archive manifest {where} lists the day {key!r}, which is not a YYYY-MM-DD date; {fix}"
            ) from None
    return data


def _library_version() -> str:
    try:
        return metadata.version("digitalcx-frames")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "unknown"


def _identity(query: Mapping[str, str]) -> dict[str, str]:
    """What shapes an archive's rows: customer, project, culture and filters (not the host or format)."""
    return {k: str(v) for k, v in query.items() if k not in _NOT_IDENTITY}


def _check_identity(manifest: Mapping[str, Any] | None, identity: Mapping[str, str], where: str) -> None:
    """Refuse another query on an archive that holds days; an archive without days takes any."""
    if manifest is None or not manifest["days"]:
        return
    theirs = _identity(manifest.get("query", {}))
    changed = sorted(k for k in set(theirs) | set(identity) if theirs.get(k) != identity.get(k))
    if manifest.get("schema_version", SCHEMA_VERSION) != SCHEMA_VERSION:
        changed.append("schema version")
    if changed:
        details = ", ".join(
            f"{k}: archived {theirs.get(k)!r}, asked {identity.get(k)!r}" for k in changed if k in theirs
        )
        raise ConfigurationError(
            f"the archive {where} holds another query (different {', '.join(changed)}"
            f"{'; ' + details if details else ''}): an archive holds one query. Use the archive's own filters, "
            f"sync these into another root, or start this archive over by removing {where} "
            f"(its query is recorded in {where}/{MANIFEST_NAME})"
        )


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


def _error_day(exc: BaseException, pending: Sequence[date]) -> date:
    """The day an error belongs to: its window's day when it names one we asked for, else the first pending."""
    window = getattr(exc, "window", None)
    if isinstance(window, str):
        with contextlib.suppress(ValueError):
            day = date.fromisoformat(window[:10])
            if day in pending:
                return day
    return pending[0]


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


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
    exports_whole_days: bool = False,
) -> SyncResult:
    """Bring the archive of one project up to date: fetch the closed days it is missing.

    A day is closed once it ended :data:`~digitalcx_frames._read.cache.CLOSED_MARGIN` (2 h) ago.
    Only closed days that are missing (or damaged) and still inside the API's 90-day window
    are fetched; days already archived are checked (their Parquet footer and schema) and
    skipped, so a second run makes no request; days that have left the API's window stay in
    the archive. Each day is written as soon as it is complete.

    Parameters
    ----------
    root
        The archive's folder (created 0700 if missing), or a cloud URL (``s3://``,
        ``gs://``, ``abfs://``; needs ``pip install 'digitalcx-frames[cloud]'``).
    customer_key, project_key, culture
        As in :func:`~digitalcx_frames.read_interactions`.
    interaction_types, main_interaction_types, environment, session_mode, active_sessions_only
        As in :func:`~digitalcx_frames.read_interactions`. An archive holds one query:
        syncing an archive that holds days with other filters raises
        :class:`~digitalcx_frames.ConfigurationError` (the host and ``format`` may change).
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
        Portal CSV downloads (see :func:`~digitalcx_frames.read_export`) to import first:
        each closed day they hold whole that the archive is missing is written with
        ``source="export"`` and not fetched; rows of overlapping downloads count once (by
        LogId). Days already archived are never overwritten by exports.
    exports_whole_days
        Whether every day in the exports is whole. By default a day counts as whole when
        one file holds rows before and after it, or its rows start in its first hour and
        end in its last; other days are reported in ``partial`` and not imported.

    Returns
    -------
    SyncResult
        Days fetched, skipped and imported, rows written, and ``failed``: each day that
        failed with a transient error (5xx, timeout, network, disk) and its message; the
        other days are still fetched, and ``ok`` is ``False``. A 400 for the oldest day at
        the 90-day edge (the clock a little behind the server's) is a note, not a failure.

    Raises
    ------
    ConfigurationError
        Bad arguments, other filters than the archive's, a damaged manifest, a root that
        is a file, or a cloud URL without fsspec.
    InvalidRequestError, PermissionDeniedError, AuthenticationError
        A permanent refusal (a wrong culture or key, no access, wrong credentials): days
        completed before it are kept; a run that completed no day writes nothing.

    Examples
    --------
    >>> import tempfile
    >>> from datetime import UTC, datetime
    >>> import digitalcx_frames as dcx
    >>> from digitalcx_frames.simulator import Simulator
    >>> now = datetime(2026, 11, 20, 12, tzinfo=UTC)
    >>> with tempfile.TemporaryDirectory() as root, Simulator(rows_per_day=50, today=now.date()) as sim:
    ...     result = dcx.sync_archive(root, sim.customer_key, sim.project_key, culture=sim.culture,
    ...                               start="2026-11-17", client=dcx.Client(**sim.connection), now=now)
    ...     again = dcx.sync_archive(root, sim.customer_key, sim.project_key, culture=sim.culture,
    ...                              start="2026-11-17", client=dcx.Client(**sim.connection), now=now)
    >>> result.summary()
    'sync demo-customer/demo-project: ok, 3 day(s) fetched, 0 skipped, 0 imported from exports, ... row(s) written'
    >>> again.fetched, len(again.skipped), again.failed
    ((), 3, {})
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
    check_workers(max_workers)
    low = _as_day(start, "start") if start is not None else floor
    high = _as_day(end, "end") if end is not None else open_day
    if high <= low:
        raise ConfigurationError(f"end ({high}) must be after start ({low}); end is exclusive")
    store = _open_store(root, customer_key, project_key)
    client = client if client is not None else Client()
    identity = _identity(query.identity())
    with store.locked():
        manifest = store.read_manifest()
        _check_identity(manifest, identity, store.where)
    recorded = {date.fromisoformat(d) for d in manifest["days"]} if manifest is not None else set()
    sync = _Sync(store, identity, client.base_url)
    wanted = [d for d in _day_range(low, high) if d < open_day]
    archived: set[date] = set()
    for day in sorted(recorded.intersection(wanted)):
        problem = store.check_day(day)
        if problem is None:
            archived.add(day)
        elif problem != _MISSING and day < floor:
            sync.failed[day] = (
                f"{problem}; the day has left the API's 90-day window and cannot be fetched again: "
                "restore the file from a backup, import it from a portal export, or remove its folder"
            )
    if exports is not None:
        sync.import_exports(
            exports, lambda d: d in recorded and store.check_day(d) is None, open_day, exports_whole_days
        )
        archived |= set(sync.imported)
    skipped = tuple(d for d in wanted if d in archived and d not in sync.imported)
    missing = [d for d in wanted if d not in archived and d >= floor]
    show = (hasattr(sys, "ps1") or "ipykernel" in sys.modules) if progress is None else progress
    sync.fetch(query, missing, floor=floor, client=client, max_workers=max_workers, progress=bool(show))
    return SyncResult(
        customer_key,
        project_key,
        fetched=tuple(sorted(sync.fetched)),
        skipped=skipped,
        imported=tuple(sync.imported),
        rows=sync.rows,
        failed=dict(sorted(sync.failed.items())),
        partial=tuple(sync.partial),
        notes=tuple(sync.notes),
    )


class _Sync:
    """Writes days and records them in the manifest; remembers what it did."""

    def __init__(
        self, store: ArchiveStore, identity: Mapping[str, str], base_url: str, *, fetch: DayFetcher = fetch_days
    ) -> None:
        self.store = store
        self.identity = dict(identity)
        self.base_url = base_url
        self.fetch_days = fetch
        self.fetched: list[date] = []
        self.imported: list[date] = []
        self.partial: list[date] = []
        self.notes: list[str] = []
        self.failed: dict[date, str] = {}
        self.rows = 0

    def write(self, day: date, frame: pl.DataFrame, source: str) -> None:
        """Write one whole day (already in the output schema) atomically, then record it under the lock."""
        self.store.write_day(day, frame)
        with self.store.locked():
            manifest = self.store.read_manifest()
            _check_identity(manifest, self.identity, self.store.where)
            if manifest is None or not manifest["days"]:
                manifest = {
                    "format": MANIFEST_FORMAT,
                    "fingerprint": fingerprint(self.identity, ""),
                    "query": self.identity,
                    "schema_version": SCHEMA_VERSION,
                    "days": {},
                }
            manifest["base_url"] = self.base_url  # where the last day came from: information, not identity
            manifest["days"][day.isoformat()] = {
                "source": source,
                "rows": frame.height,
                "written": datetime.now(UTC).isoformat(timespec="seconds"),
            }
            manifest["library_version"] = _library_version()
            self.store.write_manifest(manifest)
        self.rows += frame.height

    def _write_or_record(self, day: date, frame: pl.DataFrame, source: str) -> bool:
        try:
            self.write(day, frame, source)
        except (OSError, DigitalCXError, pl.exceptions.PolarsError) as exc:
            self.failed[day] = f"writing the day failed: {_describe(exc)}"
            return False
        self.failed.pop(day, None)
        return True

    def import_exports(
        self, exports: ExportSource, is_archived: Callable[[date], bool], open_day: date, whole_days: bool
    ) -> None:
        """Write each whole, closed day of the exports the archive lacks; rows count once per LogId."""
        frames: list[pl.DataFrame] = []
        whole: set[date] = set()
        for path in export_files(exports):
            frame = read_export_file(path)
            frames.append(frame)
            whole |= _whole_days(frame["timestamp_start"], assume_whole=whole_days)
        rows = pl.concat(frames).unique("log_id", keep="first", maintain_order=True)
        rows = rows.with_columns(pl.col("timestamp_start").dt.date().alias("\x00day"))
        for (day,), part in sorted(rows.partition_by("\x00day", as_dict=True, maintain_order=True).items()):
            if not isinstance(day, date) or day >= open_day or is_archived(day):
                continue
            if day not in whole:
                self.partial.append(day)
                continue
            frame = part.drop("\x00day").sort("timestamp_start", "log_id", maintain_order=True)
            if self._write_or_record(day, frame, "export"):
                self.imported.append(day)

    def fetch(
        self, query: Query, days: list[date], *, floor: date, client: Client, max_workers: int, progress: bool
    ) -> None:
        """Fetch and write ``days``; a transient failure is recorded and the other days go on."""
        pending = list(days)
        while pending:
            done: set[date] = set()
            try:
                for day, frame in self.fetch_days(
                    query, pending, client=client, max_workers=max_workers, progress=progress
                ):
                    done.add(day)
                    if self._write_or_record(day, frame, "api"):
                        self.fetched.append(day)
                pending = []
            except _PERMANENT as exc:
                left = [d for d in pending if d not in done]
                day = _error_day(exc, left)
                if not (isinstance(exc, InvalidRequestError) and day == floor):
                    raise
                self.notes.append(
                    f"{day.isoformat()} skipped: the API no longer serves it (it left the 90-day window "
                    f"as the sync ran: {exc.message})"
                )
                pending = [d for d in left if d != day]
            except (DigitalCXError, OSError) as exc:
                left = [d for d in pending if d not in done]
                day = _error_day(exc, left)
                self.failed[day] = _describe(exc)
                pending = [d for d in left if d != day]


def _whole_days(stamps: pl.Series, *, assume_whole: bool) -> set[date]:
    """The days of one export file that it holds whole (see ``exports_whole_days``)."""
    days = stamps.dt.date()
    present = sorted(d for d in days.unique().to_list() if d is not None)
    if assume_whole or not present:
        return set(present)
    whole = {d for d in present if present[0] < d < present[-1]}  # the file runs on past both ends
    bounds = (
        pl.DataFrame({"day": days, "t": stamps}).group_by("day").agg(first=pl.col("t").min(), last=pl.col("t").max())
    )
    for day, first, last in bounds.iter_rows():
        if day is None:
            continue
        midnight = datetime.combine(day, time(), UTC)
        if first - midnight <= timedelta(hours=1) and midnight + timedelta(days=1) - last <= timedelta(hours=1):
            whole.add(day)
    return whole


# -- scan --------------------------------------------------------------------------------------


def _projects(root: Path) -> list[tuple[str, str, Path]]:
    """The (customer, project, folder) the archive holds, read from folder names (no glob)."""
    found = []
    for customer in sorted(root.iterdir()):
        if not customer.name.startswith("customer_key=") or customer.is_symlink() or not customer.is_dir():
            continue
        for project in sorted(customer.iterdir()):
            if project.name.startswith("project_key=") and not project.is_symlink() and project.is_dir():
                found.append((customer.name.partition("=")[2], project.name.partition("=")[2], project))
    return found


def _day_files(project: Path) -> Iterator[Path]:
    for folder in sorted(project.iterdir()):
        if not folder.name.startswith("date=") or folder.is_symlink() or not folder.is_dir():
            continue
        try:
            date.fromisoformat(folder.name.partition("=")[2])
        except ValueError:
            warnings.warn(
                f"{folder} is not a day of the archive (date=YYYY-MM-DD); not read", DataWarning, stacklevel=4
            )
            continue
        for file in sorted(folder.iterdir()):
            if file.suffix == ".parquet" and not file.name.startswith((".", "_")) and file.is_file():
                yield file


def scan_archive(root: Root, customer_key: str | None = None, project_key: str | None = None) -> pl.LazyFrame:
    """Read an archive back as a lazy frame.

    Parameters
    ----------
    root
        The archive's folder, taken literally (``dcx[1]`` is that folder, not a pattern),
        or a cloud URL (read by Polars itself; credentials as for ``pl.scan_parquet``).
    customer_key, project_key
        Only this customer / project; default all in the archive.

    Returns
    -------
    polars.LazyFrame
        The columns and dtypes of :func:`~digitalcx_frames.read_interactions`, then the
        partition columns ``customer_key``, ``project_key`` (String) and ``date`` (Date);
        rows ordered by date, then as stored. An archive that holds no day yet gives an
        empty frame with these columns. A day file that is damaged or not of this schema
        is left out with a :class:`~digitalcx_frames.DataWarning` naming it (a sync
        fetches it again while it is in the API's window).

    Raises
    ------
    ConfigurationError
        A root that does not exist or is a file, or a customer/project key the archive
        does not hold (the message lists what it holds).

    Examples
    --------
    >>> import tempfile
    >>> from datetime import UTC, datetime
    >>> import digitalcx_frames as dcx
    >>> from digitalcx_frames.simulator import Simulator
    >>> now = datetime(2026, 11, 20, 12, tzinfo=UTC)
    >>> with tempfile.TemporaryDirectory() as root, Simulator(rows_per_day=50, today=now.date()) as sim:
    ...     result = dcx.sync_archive(root, sim.customer_key, sim.project_key, culture=sim.culture,
    ...                               start="2026-11-17", client=dcx.Client(**sim.connection), now=now)
    ...     frame = dcx.scan_archive(root, sim.customer_key).collect()
    >>> frame.height == result.rows, frame["date"].n_unique(), frame.columns[-3:]
    (True, 3, ['customer_key', 'project_key', 'date'])
    """
    if customer_key is not None:
        check_key(customer_key, "customer_key")
    if project_key is not None:
        check_key(project_key, "project_key")
    full = pl.Schema({**polars_schema(), **PARTITION_SCHEMA})
    if _is_cloud(root):
        return _scan_cloud(os.fspath(root).rstrip("/"), customer_key, project_key, full)
    local = _local_root(root)
    if not local.exists():
        raise ConfigurationError(f"the archive {local} does not exist; create it with sync_archive (or check the path)")
    projects = _projects(local)
    chosen = [(c, p, folder) for c, p, folder in projects if customer_key in (None, c) and project_key in (None, p)]
    if projects and not chosen:
        held = ", ".join(f"{c}/{p}" for c, p, _ in projects)
        asked = f"{customer_key or '*'}/{project_key or '*'}"
        raise ConfigurationError(f"the archive {local} holds no {asked}; it holds {held}")
    files: list[tuple[str, str, Path]] = []
    for customer, project, folder in chosen:
        for file in _day_files(folder):
            problem = check_day_file(file)
            if problem is not None:
                warnings.warn(f"{problem}; left out of the scan", DataWarning, stacklevel=2)
                continue
            files.append((customer, project, file))
    if not files:
        return pl.LazyFrame(schema=full)
    if any("=" in part for part in local.absolute().parts):
        # Polars would read ``key=value`` folders above the root as partitions too: add the columns here
        lf = pl.concat(
            [
                pl.scan_parquet(file, glob=False).with_columns(
                    customer_key=pl.lit(customer),
                    project_key=pl.lit(project),
                    date=pl.lit(date.fromisoformat(file.parent.name.partition("=")[2])),
                )
                for customer, project, file in files
            ],
            how="vertical_relaxed",
        )
    else:
        paths = [str(file) for _, _, file in files]
        lf = pl.scan_parquet(paths, hive_partitioning=True, hive_schema=PARTITION_SCHEMA, glob=False)
    lf = lf.select([pl.col(name).cast(dtype) for name, dtype in full.items()])
    if len(chosen) > 1:
        lf = lf.sort("date", maintain_order=True)
    return lf


def _scan_cloud(base: str, customer_key: str | None, project_key: str | None, full: pl.Schema) -> pl.LazyFrame:
    customer = "*" if customer_key is None else customer_key
    project = "*" if project_key is None else project_key
    lf = pl.scan_parquet(
        f"{base}/customer_key={customer}/project_key={project}/date=*/*.parquet",
        hive_partitioning=True,
        hive_schema=PARTITION_SCHEMA,
        hidden_file_prefix=(".", "_"),
    )
    lf = lf.select([pl.col(name).cast(dtype) for name, dtype in full.items()])
    if customer_key is None or project_key is None:
        lf = lf.sort("date", maintain_order=True)
    return lf
