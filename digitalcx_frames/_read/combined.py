"""One read over an archive and the live API: archived days from Parquet, the rest from the engine.

``read_interactions(..., archive=ROOT)`` (issue 17 item 3) is :func:`archived_read`: each UTC
day of the range that the archive (see :mod:`digitalcx_frames._archive`) holds is read
from its Parquet file; every other day comes from ``live`` (the normal read, so the day
cache and the API), asked only for those days, in runs of consecutive days. The parts are
joined, in day order, into one lazy frame with exactly the reader's schema (no partition
columns). Nothing is fetched or scanned before ``collect``; the call itself reads only the
archive's manifest and the footers of the day files it will use.

- A range may start before the API's 90-day window as far back as the archive holds whole
  days (build the query with :func:`build_archived_query`); a day older than that which
  the archive lacks is a :class:`~digitalcx_frames.ConfigurationError` naming the days.
- The archive holds one query: its manifest records the customer, project, culture and
  filters, and a read with other filters is refused, saying which differ.
- A row an archived day and a fetched day both hold (same ``log_id``) is kept once: the
  archived copy (only the archived days next to a fetched run are compared).
- A day the archive holds only partly in the range (a range starting at 10:00) is read
  from the archive and cut to the range on ``timestamp_start``.

The pandas backend is ``to_pandas(archived_read(...).collect())``: :func:`archived_pandas`.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import polars as pl

from digitalcx_frames._archive import DAY_FILE, MANIFEST_NAME, check_day_file, parse_manifest
from digitalcx_frames._read.query import HISTORY_DAYS, Instant, Query, build_query, earliest_start, to_utc
from digitalcx_frames.errors import ConfigurationError, DataWarning
from digitalcx_frames.flags import InteractionType
from digitalcx_frames.schema import SCHEMA_VERSION, polars_schema, to_pandas

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["LiveRead", "archived_days", "archived_pandas", "archived_read", "build_archived_query"]

LiveRead = Callable[[Query], pl.LazyFrame]
"""``live(query)``: the normal lazy read (cache, then API) of ``query``'s range, nothing fetched before collect."""

_DAY: Final = timedelta(days=1)
_NOT_IDENTITY: Final = frozenset({"base_url", "format"})  # the host and the wire format do not shape the rows
_ARGUMENT: Final = {
    "customer": "customer_key",
    "project": "project_key",
    "culture": "culture",
    "environment": "environment",
    "sessionMode": "session_mode",
    "interactionTypes": "interaction_types",
    "mainInteractionType": "main_interaction_types",
    "activeSessionOnly": "active_sessions_only",
    "filterText": "filter_text",
    "includeUserInfo": "include_user_info",
}
"""Identity key (wire spelling) -> the ``read_interactions`` argument, for messages."""
_MASKS: Final = frozenset({"interactionTypes", "mainInteractionType"})


def build_archived_query(
    customer_key: str, project_key: str, *, start: Instant, end: Instant, now: datetime | None = None, **filters: Any
) -> Query:
    """:func:`~digitalcx_frames._read.query.build_query`, but ``start`` may be before the API's 90 days.

    Every argument is validated as for a plain read; only the 90-day rule is left to
    :func:`archived_read`, which knows which old days the archive holds.

    Examples
    --------
    >>> from datetime import UTC, datetime
    >>> q = build_archived_query("acme", "web", culture="nl", start="2026-01-01", end="2026-11-01",
    ...                          now=datetime(2026, 11, 20, tzinfo=UTC))
    >>> q.start.date().isoformat(), q.end.date().isoformat()
    ('2026-01-01', '2026-11-01')
    """
    clock = to_utc(now, name="now") if now is not None else datetime.now(UTC)
    begin = to_utc(start, name="start")
    stop = to_utc(end, name="end")
    floor = earliest_start(clock)
    if begin >= floor or stop <= begin:  # nothing to relax (or build_query's own "end after start" error)
        return build_query(customer_key, project_key, start=begin, end=stop, now=clock, **filters)
    query = build_query(customer_key, project_key, start=floor, end=floor + _DAY, now=clock, **filters)
    return replace(query, start=begin, end=stop)


@dataclass(frozen=True, slots=True)
class _Archive:
    """One project's archive: its folder, the days of the read it holds sound, and its query."""

    folder: Path
    days: frozenset[date]
    query: Mapping[str, str]
    """The manifest's query when it records any day (an archive without days takes any query)."""

    def file(self, day: date) -> Path:
        return self.folder / f"date={day.isoformat()}" / DAY_FILE


def archived_read(
    root: str | os.PathLike[str],
    query: Query,
    *,
    live: LiveRead,
    now: datetime | None = None,
    extra_columns: Sequence[str] = (),
) -> pl.LazyFrame:
    """The rows of ``query`` from the archive at ``root`` where it holds the day, else from ``live``.

    Parameters
    ----------
    root
        The archive's root folder (as given to :func:`~digitalcx_frames.sync_archive`).
    query
        The read (from :func:`build_archived_query`: its start may be older than 90 days).
    live
        ``live(sub_query)`` returns the normal lazy read of ``sub_query`` (the same query
        with ``start``/``end`` narrowed to the days the archive lacks); called for runs of
        consecutive such days (a day next to an archived day on its own, to be compared
        with it), and only for them; nothing it returns is collected here.
    now
        The clock for the API's 90-day window (default: the current time); tests inject it.
    extra_columns
        The undocumented columns the live read keeps (String); archived days have them null.

    Returns
    -------
    polars.LazyFrame
        Exactly the reader's schema (:func:`~digitalcx_frames.schema.polars_schema`, then
        ``extra_columns``), rows day by day in time order, each ``log_id`` once between an
        archived day and the fetched day next to it (the archived copy is kept).

    Raises
    ------
    ConfigurationError
        The root does not exist or is not a folder; it holds other projects but not this
        one; its manifest is damaged; the archive's filters differ from the read's (the
        message says which); or a day older than the API's 90 days is neither in the range's
        archive nor servable (the message names the days). All at the call, before any request.

    Examples
    --------
    >>> import tempfile
    >>> from datetime import UTC, datetime
    >>> import digitalcx_frames as dcx
    >>> from digitalcx_frames.simulator import Simulator
    >>> now = datetime(2026, 11, 20, 12, tzinfo=UTC)
    >>> def plain(client, q):
    ...     return dcx.read_interactions(q.customer_key, q.project_key, culture=q.culture, start=q.start,
    ...                                  end=q.end, client=client, cache=False, now=now)
    >>> with tempfile.TemporaryDirectory() as root, Simulator(rows_per_day=50, today=now.date()) as sim:
    ...     client = dcx.Client(**sim.connection)
    ...     _ = dcx.sync_archive(root, sim.customer_key, sim.project_key, culture=sim.culture,
    ...                          start="2026-11-15", end="2026-11-18", client=client, now=now)
    ...     sim.clear_log()
    ...     q = build_archived_query(sim.customer_key, sim.project_key, culture=sim.culture,
    ...                              start="2026-11-15", end="2026-11-20", now=now)
    ...     lf = archived_read(root, q, live=lambda sub: plain(client, sub), now=now)
    ...     before = len(sim.interaction_requests)
    ...     frame = lf.collect()
    ...     asked = sorted({r.window[0].date().isoformat() for r in sim.interaction_requests})
    ...     same = frame.equals(plain(client, q).collect())  # a plain read of the same range from the API
    >>> before, asked, same
    (0, ['2026-11-18', '2026-11-19'], True)
    """
    clock = to_utc(now, name="now") if now is not None else datetime.now(UTC)
    archive = _open(root, query)
    _check_filters(archive, query)
    schema = polars_schema()
    for name in extra_columns:
        schema[name] = pl.String()
    plan = _plan(archive, query, clock)
    parts: list[pl.LazyFrame] = []
    for source, days in plan:
        if source == "archive":
            parts.append(_scan_days(archive, days, query, schema))
            continue
        for piece, neighbours in _live_pieces(archive, days):
            low = max(query.start, _midnight(piece[0]))
            high = min(query.end, _midnight(piece[-1]) + _DAY)
            part = _conform(live(replace(query, start=low, end=high)), schema)
            if neighbours:  # a row both hold is kept once: the archived copy
                keys = pl.concat([_scan_days(archive, [d], query, schema).select("log_id") for d in neighbours])
                part = part.join(keys, on="log_id", how="anti", maintain_order="left")
            parts.append(part)
    if not parts:  # pragma: no cover - a query's range is never empty
        return schema.to_frame().lazy()
    return parts[0] if len(parts) == 1 else pl.concat(parts, how="vertical")


def archived_days(root: str | os.PathLike[str], query: Query, *, now: datetime | None = None) -> frozenset[date]:
    """The days of ``query`` that :func:`archived_read` reads from the archive, after all its checks.

    For a backend that plans per day (``backend="dask"``: a partition per day) and wants
    the errors of :func:`archived_read` at the call: a missing root, other filters, old
    days the archive lacks. Reads only the manifest and the footers of those days.

    Examples
    --------
    >>> import tempfile
    >>> from datetime import UTC, datetime
    >>> import digitalcx_frames as dcx
    >>> from digitalcx_frames.simulator import Simulator
    >>> now = datetime(2026, 11, 20, 12, tzinfo=UTC)
    >>> with tempfile.TemporaryDirectory() as root, Simulator(rows_per_day=20, today=now.date()) as sim:
    ...     _ = dcx.sync_archive(root, sim.customer_key, sim.project_key, culture=sim.culture,
    ...                          start="2026-11-17", end="2026-11-19", client=dcx.Client(**sim.connection), now=now)
    ...     q = build_archived_query(sim.customer_key, sim.project_key, culture=sim.culture,
    ...                              start="2026-11-18", end="2026-11-20", now=now)
    ...     held = archived_days(root, q, now=now)
    >>> sorted(d.isoformat() for d in held)
    ['2026-11-18']
    """
    clock = to_utc(now, name="now") if now is not None else datetime.now(UTC)
    archive = _open(root, query)
    _check_filters(archive, query)
    _plan(archive, query, clock)
    return archive.days


def archived_pandas(
    root: str | os.PathLike[str],
    query: Query,
    *,
    live: LiveRead,
    now: datetime | None = None,
    extra_columns: Sequence[str] = (),
) -> pd.DataFrame:
    """:func:`archived_read`, collected and converted like ``backend="pandas"`` (nullable dtypes).

    Examples
    --------
    >>> import tempfile
    >>> from datetime import UTC, datetime
    >>> import digitalcx_frames as dcx
    >>> from digitalcx_frames.simulator import Simulator
    >>> now = datetime(2026, 11, 20, 12, tzinfo=UTC)
    >>> with tempfile.TemporaryDirectory() as root, Simulator(rows_per_day=20, today=now.date()) as sim:
    ...     client = dcx.Client(**sim.connection)
    ...     synced = dcx.sync_archive(root, sim.customer_key, sim.project_key, culture=sim.culture,
    ...                               start="2026-11-18", end="2026-11-19", client=client, now=now)
    ...     q = build_archived_query(sim.customer_key, sim.project_key, culture=sim.culture,
    ...                              start="2026-11-18", end="2026-11-20", now=now)
    ...     live = lambda sub: dcx.read_interactions(sim.customer_key, sim.project_key, culture=sim.culture,
    ...                                              start=sub.start, end=sub.end, client=client,
    ...                                              cache=False, now=now)
    ...     frame = archived_pandas(root, q, live=live, now=now)
    >>> len(frame) > synced.rows, str(frame["all_interaction_types"].dtype), str(frame["log_id"].dtype)
    (True, 'UInt16', 'Int64')
    """
    return to_pandas(archived_read(root, query, live=live, now=now, extra_columns=extra_columns).collect())


# -- the archive's folder and manifest ---------------------------------------------------------


def _open(root: str | os.PathLike[str], query: Query) -> _Archive:
    """The project's archive under ``root``: its sound days and its query (none when it holds none)."""
    if not isinstance(root, str | os.PathLike):
        raise ConfigurationError(f"archive must be the folder of an archive (see sync_archive), not {root!r}")
    text = os.fspath(root)
    if "://" in text and not text.startswith("file://"):
        raise ConfigurationError(
            f"archive={text!r}: a read over an archive and the API takes a local folder; "
            "read a cloud archive with scan_archive"
        )
    base = Path(text.removeprefix("file://")).expanduser()
    if not base.exists():
        raise ConfigurationError(f"the archive {base} does not exist; create it with sync_archive (or check the path)")
    if not base.is_dir():
        raise ConfigurationError(f"the archive {base} is not a folder; pass the root folder given to sync_archive")
    folder = base / f"customer_key={query.customer_key}" / f"project_key={query.project_key}"
    if folder.is_symlink() or not folder.is_dir():
        held = _projects(base)
        if held:
            raise ConfigurationError(
                f"the archive {base} holds no {query.customer_key}/{query.project_key}; it holds {', '.join(held)}"
            )
        return _Archive(folder, frozenset(), {})
    manifest = _manifest(folder / MANIFEST_NAME)
    if manifest is None:
        return _Archive(folder, frozenset(), {})
    if manifest.get("schema_version", SCHEMA_VERSION) != SCHEMA_VERSION:
        raise ConfigurationError(
            f"the archive {folder} was written with schema version {manifest.get('schema_version')}, "
            f"this library reads version {SCHEMA_VERSION}; sync it into a new root"
        )
    days = {date.fromisoformat(key) for key in manifest["days"]}
    query_of = {k: v for k, v in manifest.get("query", {}).items() if k not in _NOT_IDENTITY} if days else {}
    archive = _Archive(folder, frozenset(), query_of)
    sound = set()
    for day in _touched_days(query):
        if day in days and _sound(archive.file(day)):
            sound.add(day)
    return replace(archive, days=frozenset(sound))


def _projects(base: Path) -> list[str]:
    held = []
    for customer in sorted(base.glob("customer_key=*")):
        if customer.is_dir() and not customer.is_symlink():
            held += [
                f"{customer.name.partition('=')[2]}/{p.name.partition('=')[2]}"
                for p in sorted(customer.glob("project_key=*"))
                if p.is_dir() and not p.is_symlink()
            ]
    return held


def _manifest(path: Path) -> dict[str, Any] | None:
    """The archive's manifest, checked as a sync checks it, or ``None`` if there is none yet."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigurationError(
            f"the archive manifest {path} cannot be read ({exc}); fix it by hand or remove it "
            "(the days stay; the next sync records them again)"
        ) from exc
    return parse_manifest(text, str(path))


def _sound(path: Path) -> bool:
    """Whether ``path`` is a regular file whose Parquet footer holds the reader's columns (a warning if not)."""
    if path.is_symlink() or not path.is_file():
        return False
    problem = check_day_file(path)
    if problem is not None:
        warnings.warn(f"{problem}; the day is read from the API where it still serves it", DataWarning, stacklevel=4)
        return False
    return True


def _check_filters(archive: _Archive, query: Query) -> None:
    """Refuse a read whose customer, project, culture or filters differ from the archive's."""
    if not archive.query:
        return
    asked = {k: v for k, v in query.identity().items() if k not in _NOT_IDENTITY}
    theirs = archive.query
    changed = sorted(k for k in set(theirs) | set(asked) if theirs.get(k) != asked.get(k))
    if not changed:
        return
    details = "; ".join(
        f"{_ARGUMENT.get(k, k)}: archived {_shown(k, theirs.get(k))}, this read {_shown(k, asked.get(k))}"
        for k in changed
    )
    raise ConfigurationError(
        f"the archive {archive.folder} holds another query than this read ({details}). An archive holds "
        f"one query (recorded in {archive.folder / MANIFEST_NAME}): read with the archive's filters, or "
        "pass archive= the root of an archive synced with these filters (sync_archive(OTHER_ROOT, ...) "
        "with the same arguments as this read)"
    )


def _shown(key: str, value: str | None) -> str:
    """A manifest/identity value for a message; a type mask with its names (``'2' (QA)``)."""
    if value is None:
        return "not set"
    if key in _MASKS and value.isdigit():
        return f"{value!r} ({', '.join(InteractionType(int(value)).api_names()) or 'none'})"
    return repr(value)


# -- days ----------------------------------------------------------------------------------------


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


def _touched_days(query: Query) -> list[date]:
    """Every UTC day the range ``[start, end)`` has an instant of, in order."""
    first = query.start.date()
    last = (query.end - timedelta(microseconds=1)).date()
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _plan(archive: _Archive, query: Query, clock: datetime) -> list[tuple[str, list[date]]]:
    """Runs of consecutive days, each ``("archive", days)`` or ``("live", days)``, in order."""
    floor = earliest_start(clock).date()
    runs: list[tuple[str, list[date]]] = []
    missing = []
    for day in _touched_days(query):
        source = "archive" if day in archive.days else "live"
        if source == "live" and day < floor:
            missing.append(day)
        if runs and runs[-1][0] == source:
            runs[-1][1].append(day)
        else:
            runs.append((source, [day]))
    if missing:
        held = sorted(archive.days)
        holds = f"; in this range it holds {_spans(held)}" if held else "; it holds none of this range"
        raise ConfigurationError(
            f"the archive {archive.folder} lacks {_spans(missing)}, older than the API's {HISTORY_DAYS} days "
            f"(it serves from {floor.isoformat()}){holds}. Start the read later, or import those days "
            "from portal exports with sync_archive(..., exports=...)"
        )
    return runs


def _live_pieces(archive: _Archive, days: list[date]) -> list[tuple[list[date], list[date]]]:
    """A run of days to fetch as pieces, each with the archived days next to it to de-duplicate against.

    Only a fetched day next to an archived one can share a row with it (a row at the days'
    edge), so only that day is joined against the archived day's ``log_id``: the rest of the
    run stays a plain scan, where ``head`` stops early.
    """
    before = [days[0] - _DAY] if days[0] - _DAY in archive.days else []
    after = [days[-1] + _DAY] if days[-1] + _DAY in archive.days else []
    if len(days) == 1:
        return [(days, before + after)]
    middle = days[1 if before else 0 : -1 if after else None]
    return [
        *([([days[0]], before)] if before else []),
        *([(middle, [])] if middle else []),
        *([([days[-1]], after)] if after else []),
    ]


def _spans(days: Iterable[date]) -> str:
    """Days as ranges: ``2026-05-01..2026-05-03, 2026-05-07``."""
    spans: list[list[date]] = []
    for day in sorted(days):
        if spans and day - spans[-1][-1] == _DAY:
            spans[-1].append(day)
        else:
            spans.append([day])
    return ", ".join(s[0].isoformat() if len(s) == 1 else f"{s[0].isoformat()}..{s[-1].isoformat()}" for s in spans)


# -- frames --------------------------------------------------------------------------------------


def _conform(frame: pl.LazyFrame, schema: pl.Schema) -> pl.LazyFrame:
    """Exactly ``schema``'s columns, in its order and dtypes (missing ones null)."""
    have = frame.collect_schema()
    return frame.select(
        [
            (pl.col(name) if have.get(name) == dtype else pl.col(name).cast(dtype))
            if name in have
            # a column the source lacks (an archived day has no undocumented columns)
            else pl.lit(None, dtype=dtype).alias(name)
            for name, dtype in schema.items()
        ]
    )


def _scan_days(archive: _Archive, days: Sequence[date], query: Query, schema: pl.Schema) -> pl.LazyFrame:
    """The archived ``days`` in order; a day the range cuts is cut to it on ``timestamp_start``."""
    parts: list[pl.LazyFrame] = []
    whole: list[Path] = []
    for day in days:
        low, high = _midnight(day), _midnight(day) + _DAY
        if low >= query.start and high <= query.end:
            whole.append(archive.file(day))
            continue
        if whole:
            parts.append(_scan_files(whole))
            whole = []
        cut = pl.col("timestamp_start").is_between(max(low, query.start), min(high, query.end), closed="left")
        parts.append(_scan_files([archive.file(day)]).filter(cut))
    if whole:
        parts.append(_scan_files(whole))
    frame = parts[0] if len(parts) == 1 else pl.concat(parts, how="vertical")
    return _conform(frame, schema)


def _scan_files(files: Sequence[Path]) -> pl.LazyFrame:
    # glob=False: a folder named ``dcx[1]`` is that folder; no hive columns: the folder names are not data
    return pl.scan_parquet([str(f) for f in files], glob=False, hive_partitioning=False)
