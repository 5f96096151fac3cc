"""The day cache: closed UTC days of a query kept as Parquet files, so re-reads cost nothing.

Layout: ``<root>/<fingerprint>/<YYYY-MM-DD>.parquet`` and ``<root>/<fingerprint>/query.json``
(what the fingerprint stands for: base URL, project and filters; never a credential). The
fingerprint covers the base URL, customer, project, culture, every filter,
``include_user_info``, the format and the schema version, so changing any of them never
serves stale rows. Only days that ended before ``now - margin`` are written, each whole
and atomically (see :mod:`digitalcx_frames._files`); folders are 0700 and files 0600
because rows may hold user info.

The cache folder may be shared with other things (``DIGITALCX_FRAMES_CACHE_DIR`` pointing
at a general data folder): :func:`cache_info` and :func:`clear_cache` count and remove only
what the cache wrote, its own folders (a 20-hex-digit fingerprint holding a ``query.json``
that names a customer and project) and, inside them, its own day files. A symbolic link
inside the cache is never followed. A failed write (disk full, a cache path that is a file,
a read-only folder) is warned about once and the read goes on with its data.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import threading
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Final

import platformdirs
import polars as pl

from digitalcx_frames._files import atomic_write, private_dir
from digitalcx_frames._read.windows import Window
from digitalcx_frames.errors import ConfigurationError, DataWarning
from digitalcx_frames.schema import SCHEMA_VERSION, polars_schema

__all__ = [
    "CLOSED_MARGIN",
    "CacheInfo",
    "DayCache",
    "cache_info",
    "cache_root",
    "clear_cache",
    "fingerprint",
]

CLOSED_MARGIN: Final = timedelta(hours=2)
"""A day is closed, and may be cached, once it ended at least this long ago (late rows arrive)."""
ENV_VAR: Final = "DIGITALCX_FRAMES_CACHE_DIR"
META_NAME: Final = "query.json"
_KEY_FOLDER: Final = re.compile(r"^[0-9a-f]{20}$")
_DAY_FILE: Final = re.compile(r"^(\d{4}-\d{2}-\d{2})\.parquet$")
_TEMP_FILE: Final = re.compile(r"^\.(\d{4}-\d{2}-\d{2}\.parquet|query\.json)\..+\.tmp$")

CacheLocation = str | os.PathLike[str] | None


def cache_root(location: CacheLocation = None) -> Path:
    """The cache folder: the argument, else ``$DIGITALCX_FRAMES_CACHE_DIR``, else the user cache dir."""
    if location is not None:
        if not isinstance(location, str | os.PathLike):
            raise ConfigurationError(f"cache must be True, False or a folder path, not {location!r}")
        return Path(location).expanduser()
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_cache_dir("digitalcx_frames", appauthor=False))


def fingerprint(identity: Mapping[str, str], base_url: str) -> str:
    """A short stable hash of everything that changes which rows a day holds.

    >>> fingerprint({"culture": "nl"}, "https://x") == fingerprint({"culture": "nl"}, "https://x")
    True
    >>> fingerprint({"culture": "nl"}, "https://x") == fingerprint({"culture": "en"}, "https://x")
    False
    """
    payload = {"base_url": base_url.rstrip("/"), "schema_version": SCHEMA_VERSION, **identity}
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def _as_day(day: date | Window) -> date | None:
    """The UTC day to store: a date, or a whole-day window's day (``None`` for part of a day)."""
    if isinstance(day, Window):  # until the engine passes ``window.day`` itself
        return day.day if day.is_whole_day else None
    if isinstance(day, datetime) or not isinstance(day, date):
        raise TypeError(f"the day cache stores whole UTC days: pass a datetime.date, not {day!r}")
    return day


class DayCache:
    """Whole closed days of one query, as Parquet files.

    Parameters
    ----------
    root
        The cache folder (see :func:`cache_root`).
    key
        The query's :func:`fingerprint`.
    description
        What the key stands for, written once to ``query.json`` (no credentials).
    now
        The clock deciding which days are closed.
    """

    def __init__(
        self,
        root: Path,
        key: str,
        *,
        description: Mapping[str, str],
        now: Callable[[], datetime],
    ) -> None:
        self.folder = root / key
        self.description = dict(description)
        self.now = now
        self._warned = threading.Event()

    def __repr__(self) -> str:
        return f"DayCache({str(self.folder)!r})"

    def path(self, day: date) -> Path:
        """The file of one UTC day."""
        return self.folder / f"{day.isoformat()}.parquet"

    def is_closed(self, day: date) -> bool:
        """Whether the UTC ``day`` is over for good (it ended before now minus the margin)."""
        end = datetime.combine(day, time(), UTC) + timedelta(days=1)
        return end <= self.now().astimezone(UTC) - CLOSED_MARGIN

    def load(self, day: date | Window) -> pl.DataFrame | None:
        """The cached frame of a UTC day, or ``None``; a damaged file is removed with a warning."""
        which = _as_day(day)
        if which is None or self.folder.is_symlink():
            return None
        path = self.path(which)
        if path.is_symlink() or not path.is_file():
            return None
        try:
            frame = pl.read_parquet(path)
            _check_schema(frame)
        except Exception as exc:
            warnings.warn(
                f"cached day {which} at {path} is unreadable ({type(exc).__name__}); "
                "it was removed and is fetched again",
                DataWarning,
                stacklevel=2,
            )
            path.unlink(missing_ok=True)
            return None
        return frame

    def save(self, day: date | Window, frame: pl.DataFrame) -> bool:
        """Keep the complete frame of a closed UTC day; returns whether it was written.

        A write that fails (disk full, a file where the folder should be, no permission, a
        symbolic link) is warned about once per cache and returns ``False``: the caller
        keeps its data, the day is fetched again next time.
        """
        which = _as_day(day)
        if which is None or not self.is_closed(which):
            return False
        try:
            self._describe()
            with atomic_write(self.path(which)) as tmp:
                frame.write_parquet(tmp, compression="zstd", statistics=True)
        except (OSError, ConfigurationError, pl.exceptions.PolarsError) as exc:
            if not self._warned.is_set():
                self._warned.set()
                reason = str(exc) if isinstance(exc, ConfigurationError) else f"{type(exc).__name__}: {exc}"
                warnings.warn(
                    f"day {which} was not cached in {self.folder} ({reason}); the read goes on without the "
                    "cache for what it cannot write. Free space, fix the folder, or pass cache=False",
                    DataWarning,
                    stacklevel=2,
                )
            return False
        return True

    def _describe(self) -> None:
        meta = self.folder / META_NAME
        private_dir(self.folder)
        if meta.is_file() and not meta.is_symlink():
            return
        with atomic_write(meta) as tmp:
            tmp.write_text(json.dumps(self.description, indent=2, sort_keys=True))


def _check_schema(frame: pl.DataFrame) -> None:
    expected = polars_schema()
    for name, dtype in expected.items():
        if frame.schema.get(name) != dtype:
            raise ValueError(f"column {name} is {frame.schema.get(name)}, expected {dtype}")


@dataclass(frozen=True, slots=True)
class _Folder:
    """One folder the cache wrote: its description and its day files."""

    path: Path
    meta: dict[str, str]

    def days(self) -> Iterator[tuple[date, Path]]:
        for file in sorted(self.path.iterdir()):
            match = _DAY_FILE.fullmatch(file.name)
            if match is None or file.is_symlink() or not file.is_file():
                continue
            with contextlib.suppress(ValueError):
                yield date.fromisoformat(match.group(1)), file


def _own_folders(root: Path) -> Iterator[_Folder]:
    """The folders under ``root`` that the cache wrote; nothing else is looked into."""
    if root.is_symlink() or not root.is_dir():
        return
    for folder in sorted(root.iterdir()):
        if not _KEY_FOLDER.fullmatch(folder.name) or folder.is_symlink() or not folder.is_dir():
            continue
        meta = _read_meta(folder)
        if meta is not None:
            yield _Folder(folder, meta)


@dataclass(frozen=True, slots=True)
class CacheInfo:
    """What the cache holds: ``location``, ``queries`` (folders), ``days`` (files) and ``bytes``."""

    location: Path
    queries: int
    days: int
    bytes: int


def cache_info(location: CacheLocation = None) -> CacheInfo:
    """Count what the day cache holds (only what it wrote; other files in the folder are ignored).

    Parameters
    ----------
    location
        The cache folder; default the ``cache=True`` folder of
        :func:`~digitalcx_frames.read_interactions`: ``$DIGITALCX_FRAMES_CACHE_DIR``, else
        the user cache folder.

    Returns
    -------
    CacheInfo
        The folder, the number of queries (with at least one day), of days and their bytes.

    Examples
    --------
    >>> import tempfile
    >>> from datetime import date, timedelta
    >>> import digitalcx_frames as dcx
    >>> from digitalcx_frames.simulator import Simulator
    >>> today = date.today()
    >>> with tempfile.TemporaryDirectory() as tmp, Simulator(rows_per_day=20) as sim:
    ...     frame = dcx.read_interactions(sim.customer_key, sim.project_key, culture=sim.culture,
    ...                                   start=today - timedelta(days=3), end=today - timedelta(days=1),
    ...                                   client=dcx.Client(**sim.connection), cache=tmp).collect()
    ...     info = dcx.cache_info(tmp)
    >>> info.queries, info.days, info.bytes > 0
    (1, 2, True)
    """
    root = cache_root(location)
    queries = days = size = 0
    for folder in _own_folders(root):
        files = [file for _, file in folder.days()]
        queries += bool(files)
        days += len(files)
        size += sum(file.stat().st_size for file in files)
    return CacheInfo(location=root, queries=queries, days=days, bytes=size)


def clear_cache(
    location: CacheLocation = None,
    *,
    customer_key: str | None = None,
    project_key: str | None = None,
    before: date | None = None,
) -> int:
    """Remove cached days and return how many day files were removed.

    Only what the cache wrote is removed: its day files, its ``query.json`` and the
    temporary files of an interrupted write; a folder is removed once it is empty. Other
    files and folders in the cache folder (a user's ``reports/``, an archive) are never
    touched, and a symbolic link is never followed.

    Parameters
    ----------
    location
        The cache folder; default as in :func:`cache_info`.
    customer_key, project_key
        Only the queries of this customer / project.
    before
        Only days before this date.

    Returns
    -------
    int
        The number of cached days removed.

    Examples
    --------
    >>> import tempfile
    >>> from datetime import date, timedelta
    >>> import digitalcx_frames as dcx
    >>> from digitalcx_frames.simulator import Simulator
    >>> today = date.today()
    >>> with tempfile.TemporaryDirectory() as tmp, Simulator(rows_per_day=20) as sim:
    ...     frame = dcx.read_interactions(sim.customer_key, sim.project_key, culture=sim.culture,
    ...                                   start=today - timedelta(days=3), end=today - timedelta(days=1),
    ...                                   client=dcx.Client(**sim.connection), cache=tmp).collect()
    ...     older = dcx.clear_cache(tmp, before=today - timedelta(days=2))
    ...     rest = dcx.clear_cache(tmp, customer_key=sim.customer_key)
    ...     left = dcx.cache_info(tmp).days
    >>> older, rest, left
    (1, 1, 0)
    """
    if before is not None and (isinstance(before, datetime) or not isinstance(before, date)):
        raise ConfigurationError(f"before must be a datetime.date, not {before!r}")
    root = cache_root(location)
    removed = 0
    for folder in list(_own_folders(root)):
        if customer_key is not None and folder.meta.get("customer") != customer_key:
            continue
        if project_key is not None and folder.meta.get("project") != project_key:
            continue
        for day, file in list(folder.days()):
            if before is None or day < before:
                file.unlink(missing_ok=True)
                removed += 1
        if any(True for _ in folder.days()):
            continue
        for file in folder.path.iterdir():
            if file.name == META_NAME or _TEMP_FILE.fullmatch(file.name):
                file.unlink(missing_ok=True)
        with contextlib.suppress(OSError):  # still holds something the cache did not write
            folder.path.rmdir()
    return removed


def _read_meta(folder: Path) -> dict[str, str] | None:
    """The folder's ``query.json`` if it is the cache's own (names a customer and a project)."""
    meta = folder / META_NAME
    if meta.is_symlink():
        return None
    try:
        data = json.loads(meta.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not {"customer", "project"} <= data.keys():
        return None
    return {str(k): str(v) for k, v in data.items()}
