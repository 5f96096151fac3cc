"""The day cache: closed UTC days of a query kept as Parquet files, so re-reads cost nothing.

Layout: ``<root>/<fingerprint>/<YYYY-MM-DD>.parquet`` and ``<root>/<fingerprint>/query.json``
(what the fingerprint stands for: base URL, project and filters; never a credential). The
fingerprint covers the base URL, customer, project, culture, every filter,
``include_user_info``, the format and the schema version, so changing any of them never
serves stale rows. Only days that ended before ``now - margin`` are written, each whole
and atomically (a temporary file in the same folder, then ``os.replace``); folders are
0700 and files 0600 because rows may hold user info.

Examples
--------
>>> import tempfile
>>> from digitalcx_frames._read.cache import cache_info
>>> with tempfile.TemporaryDirectory() as tmp:
...     info = cache_info(tmp)
>>> info.days, info.bytes
(0, 0)
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Final

import platformdirs
import polars as pl

from digitalcx_frames.errors import ConfigurationError, DataWarning
from digitalcx_frames.schema import SCHEMA_VERSION, polars_schema

__all__ = [
    "CLOSED_MARGIN",
    "CacheInfo",
    "DayCache",
    "atomic_write",
    "cache_info",
    "cache_root",
    "clear_cache",
    "fingerprint",
]

CLOSED_MARGIN: Final = timedelta(hours=2)
"""A day is closed, and may be cached, once it ended at least this long ago (late rows arrive)."""
ENV_VAR: Final = "DIGITALCX_FRAMES_CACHE_DIR"
_DIR_MODE: Final = 0o700
_FILE_MODE: Final = 0o600

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


def _private_dir(path: Path) -> None:
    missing = []
    probe = path
    while not probe.exists():
        missing.append(probe)
        probe = probe.parent
    for folder in reversed(missing):  # every folder created here is owner-only, not just the last
        with contextlib.suppress(FileExistsError):
            folder.mkdir(mode=_DIR_MODE)
        with contextlib.suppress(OSError):
            folder.chmod(_DIR_MODE)
    with contextlib.suppress(OSError):
        path.chmod(_DIR_MODE)


@contextlib.contextmanager
def atomic_write(target: Path, *, private_folder: bool = True) -> Iterator[Path]:
    """Yield a temporary path next to ``target``; move it into place only if the block succeeds.

    A failure (or Ctrl-C) inside the block leaves no partial file under any name a reader
    looks at: temporary names start with ``.`` and end with ``.tmp``. The file is readable
    by its owner only (rows may hold user info).

    Parameters
    ----------
    target
        The file to write.
    private_folder
        Create the folder (and make it owner-only) if needed. ``False`` leaves the folder as
        it is, for files written where the user asked (the CLI's ``-o``, the demo).
    """
    if private_folder:
        _private_dir(target.parent)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        tmp.chmod(_FILE_MODE)
        yield tmp
        with tmp.open("rb+") as handle:
            os.fsync(handle.fileno())
        tmp.chmod(_FILE_MODE)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


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

    def __repr__(self) -> str:
        return f"DayCache({str(self.folder)!r})"

    def path(self, day: date) -> Path:
        """The file of one UTC day."""
        return self.folder / f"{day.isoformat()}.parquet"

    def is_closed(self, end: datetime) -> bool:
        """Whether a day ending at ``end`` is over for good (ended before now minus the margin)."""
        return end <= self.now().astimezone(UTC) - CLOSED_MARGIN

    def load(self, window: object) -> pl.DataFrame | None:
        """The cached frame of a whole-day window, or ``None``; a damaged file is removed with a warning."""
        day = getattr(window, "day", None)
        if not isinstance(day, date):
            return None
        path = self.path(day)
        if not path.is_file():
            return None
        try:
            frame = pl.read_parquet(path)
            _check_schema(frame)
        except Exception as exc:
            warnings.warn(
                f"cached day {day} at {path} is unreadable ({type(exc).__name__}); it was removed and is fetched again",
                DataWarning,
                stacklevel=2,
            )
            path.unlink(missing_ok=True)
            return None
        return frame

    def save(self, window: object, frame: pl.DataFrame) -> bool:
        """Keep the complete frame of a whole, closed day; returns whether it was written."""
        day = getattr(window, "day", None)
        end = getattr(window, "end", None)
        if not isinstance(day, date) or not isinstance(end, datetime) or not self.is_closed(end):
            return False
        if not getattr(window, "is_whole_day", False):
            return False
        self._describe()
        with atomic_write(self.path(day)) as tmp:
            frame.write_parquet(tmp, compression="zstd", statistics=True)
        return True

    def _describe(self) -> None:
        meta = self.folder / "query.json"
        if meta.is_file():
            return
        with atomic_write(meta) as tmp:
            tmp.write_text(json.dumps(self.description, indent=2, sort_keys=True))


def _check_schema(frame: pl.DataFrame) -> None:
    expected = polars_schema()
    for name, dtype in expected.items():
        if frame.schema.get(name) != dtype:
            raise ValueError(f"column {name} is {frame.schema.get(name)}, expected {dtype}")


@dataclass(frozen=True, slots=True)
class CacheInfo:
    """What the cache holds: ``location``, ``queries`` (folders), ``days`` (files) and ``bytes``."""

    location: Path
    queries: int
    days: int
    bytes: int


def cache_info(location: CacheLocation = None) -> CacheInfo:
    """Count what the day cache holds.

    Parameters
    ----------
    location
        The cache folder; default as in :func:`cache_root`.
    """
    root = cache_root(location)
    files = list(root.glob("*/*.parquet")) if root.is_dir() else []
    return CacheInfo(
        location=root,
        queries=len({f.parent for f in files}),
        days=len(files),
        bytes=sum(f.stat().st_size for f in files),
    )


def clear_cache(
    location: CacheLocation = None,
    *,
    customer_key: str | None = None,
    project_key: str | None = None,
    before: date | None = None,
) -> int:
    """Remove cached days and return how many files were removed.

    Parameters
    ----------
    location
        The cache folder; default as in :func:`cache_root`.
    customer_key, project_key
        Only the queries of this customer / project.
    before
        Only days before this date.
    """
    root = cache_root(location)
    if not root.is_dir():
        return 0
    removed = 0
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        meta = _read_meta(folder)
        if customer_key is not None and meta.get("customer") != customer_key:
            continue
        if project_key is not None and meta.get("project") != project_key:
            continue
        for file in folder.glob("*.parquet"):
            if before is None or date.fromisoformat(file.stem) < before:
                file.unlink()
                removed += 1
        if before is None or not any(folder.glob("*.parquet")):
            shutil.rmtree(folder, ignore_errors=True)
    return removed


def _read_meta(folder: Path) -> dict[str, str]:
    try:
        data = json.loads((folder / "query.json").read_text())
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
