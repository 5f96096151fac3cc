r"""Interaction-log CSV files read into the library's typed schema: portal downloads and the library's own.

Portal downloads are pipe-delimited, carry ``MM/DD/YYYY HH:MM:SS`` UTC timestamps (second
precision) and ``True``/``False`` booleans; :func:`~digitalcx_frames._read.parse.parse_body` detects
the delimiter and the timestamp format itself, so a portal file gives the same typed frame
as the API for the same rows. A CSV this library wrote (the CLI's ``-o x.csv`` in the API's
format, or ``frame.write_csv`` of a frame it returned: output column names, ISO
timestamps, type masks as integers or as JSON lists of names) reads back identically.
:func:`read_export` is lazy: files are read when the frame is collected, one at a time.
"""

from __future__ import annotations

import csv
import glob
import os
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Final

import polars as pl

from digitalcx_frames._read.parse import parse_body
from digitalcx_frames._read.scan import scan_batches
from digitalcx_frames.errors import ConfigurationError, DataWarning, ParseError
from digitalcx_frames.schema import COLUMNS, Kind, column_by_api_name, polars_schema

__all__ = ["ExportSource", "export_files", "read_export", "read_export_file"]

ExportSource = str | os.PathLike[str] | Sequence[str | os.PathLike[str]]
"""A file, a glob pattern (``"downloads/*.csv"``) or a list of files and patterns."""

_GLOB_CHARS = frozenset("*?[")


def export_files(source: ExportSource) -> list[Path]:
    """The files ``source`` names, globs expanded (sorted), duplicates dropped, in order.

    Raises
    ------
    ConfigurationError
        When a named file does not exist, a pattern matches nothing, or nothing is named.
    """
    items: Sequence[str | os.PathLike[str]]
    items = [source] if isinstance(source, str | os.PathLike) else source
    if isinstance(items, str | bytes) or not isinstance(items, Sequence):
        raise ConfigurationError(f"source must be a path, a glob pattern or a list of them, not {source!r}")
    files: dict[Path, None] = {}
    for item in items:
        if not isinstance(item, str | os.PathLike):
            raise ConfigurationError(f"export source entries must be paths or glob patterns, not {item!r}")
        text = os.path.expanduser(os.fspath(item))
        if _GLOB_CHARS & set(text):
            matches = sorted(glob.glob(text, recursive=True))
            matches = [m for m in matches if Path(m).is_file()]
            if not matches:
                raise ConfigurationError(f"the export pattern {text!r} matches no file")
            files.update(dict.fromkeys(Path(m) for m in matches))
        else:
            path = Path(text)
            if not path.is_file():
                raise ConfigurationError(f"the export file {text!r} does not exist (or is not a file)")
            files[path] = None
    if not files:
        raise ConfigurationError("no export file given; pass a path, a glob pattern or a list of paths")
    return list(files)


def read_export(source: ExportSource) -> pl.LazyFrame:
    r"""Read interaction-log CSV files (portal downloads, or files this library wrote) as a typed lazy frame.

    Parameters
    ----------
    source
        A file, a glob pattern or a list of files and patterns. The files are found now
        (a missing file or an empty pattern raises at once) and read when the frame is
        collected, in the order given (patterns sorted).

    Returns
    -------
    polars.LazyFrame
        Exactly the columns and dtypes of :func:`~digitalcx_frames.read_interactions`,
        the rows of each file as stored, file after file; a LogId already read from an
        earlier file is left out (overlapping downloads count once). Undocumented
        columns are dropped with a :class:`~digitalcx_frames.DataWarning`; portal
        timestamps have second precision (the portal's format).

    Raises
    ------
    ConfigurationError
        When ``source`` names no readable file.
    ParseError
        At ``collect()``, for a file that is not an interaction-log CSV or lacks a
        required column (the message names the file and the columns).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import digitalcx_frames as dcx
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = pathlib.Path(tmp) / "export.csv"
    ...     _ = path.write_text(
    ...         "LogId|InteractionUuid|SessionUuid|SessionIsActive|TimestampStart|TimestampEnd|Culture|"
    ...         "MainInteractionType|AllInteractionTypes\n"
    ...         '5300000001|i-1|s-1|True|03/25/2026 09:30:22|03/25/2026 09:30:23|nl|QA|[ "QA"]\n'
    ...     )
    ...     frame = dcx.read_export(path).collect()
    >>> frame.select("log_id", "timestamp_start", "all_interaction_types").row(0)
    (5300000001, datetime.datetime(2026, 3, 25, 9, 30, 22, tzinfo=zoneinfo.ZoneInfo(key='UTC')), 2)
    >>> frame.width
    28
    """
    files = export_files(source)
    return scan_batches(
        lambda _predicate, _n_rows: _distinct_rows(read_export_file(path) for path in files),
        schema=polars_schema(),
        name="digitalcx_frames.read_export",
        detail=f"{len(files)} file(s)",
    )


def _distinct_rows(frames: Iterator[pl.DataFrame]) -> Iterator[pl.DataFrame]:
    """Each frame without the LogIds of the frames before it (or repeated within it)."""
    seen = pl.Series("log_id", [], dtype=pl.Int64)
    for frame in frames:
        fresh = frame.filter(pl.col("log_id").is_first_distinct() & ~pl.col("log_id").is_in(seen.implode()))
        seen = pl.concat([seen, fresh["log_id"]])
        yield fresh


def read_export_file(path: Path) -> pl.DataFrame:
    """One file as a frame with exactly the output schema (undocumented columns dropped, warned).

    Raises
    ------
    ParseError
        For a file that is not an interaction-log CSV or lacks a required column.
    """
    data = path.read_bytes()
    names, delimiter = _header(data, path)
    found = (column_by_api_name(_OWN_TO_API.get(name, name)) for name in names)
    present = {column.name for column in found if column is not None}
    missing = [c for c in COLUMNS if not c.nullable and c.name not in present]
    if missing:
        listed = ", ".join(f"{c.name} ({c.api_name})" for c in missing)
        raise _file_error(
            f"it lacks the required column(s) {listed}; found {', '.join(names[:12])}"
            f"{', ...' if len(names) > 12 else ''}",
            path,
        )
    own = any(name in _OWN_TO_API for name in names)
    try:
        if own:
            frame, extras = _read_own(data, delimiter, path)
        else:
            parsed = parse_body(data, window=str(path))
            frame, extras = parsed.frame, parsed.extra_columns
    except ParseError as exc:
        raise _file_error(exc.message, path, exc.line) from exc
    if extras:
        warnings.warn(
            f"the export {path} has undocumented column(s) {list(extras)}; they are not read",
            DataWarning,
            stacklevel=3,
        )
    return frame.select(list(polars_schema()))


_OWN_TO_API: Final = {c.name: c.api_name for c in COLUMNS if c.name != c.api_name}
"""Output names (``log_id``) that differ from the API's (``LogId``): a file this library wrote."""
_DELIMITERS: Final = (",", "|", ";", "\t")
_ISO_OUT: Final = "%Y-%m-%dT%H:%M:%S%.6fZ"
_TIMESTAMP_FORMATS: Final = ("%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%.f%z", "%+")


def _file_error(message: str, path: Path, line: int | None = None) -> ParseError:
    """A ParseError about a local file: what is wrong and where, with no advice to retry."""
    return ParseError(message, window=str(path), line=line, file=str(path))


def _header(data: bytes, path: Path) -> tuple[list[str], str]:
    """The header's names and the delimiter, detected as the parser does."""
    text = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    line = text.split(b"\n", 1)[0].rstrip(b"\r")
    try:
        header = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _file_error(f"invalid UTF-8 in the header at byte {exc.start}", path, 1) from None
    if not header.strip():
        raise _file_error("the file is empty (a valid file has at least a header line)", path, 1)
    delimiter = max(_DELIMITERS, key=header.count)
    try:
        names = next(csv.reader([header], delimiter=delimiter), [])
    except csv.Error as exc:
        raise _file_error(f"the header line is not CSV ({exc})", path, 1) from None
    return names, delimiter


def _read_own(data: bytes, delimiter: str, path: Path) -> tuple[pl.DataFrame, tuple[str, ...]]:
    """A CSV of an output frame: rename to the API's names, normalise timestamps and masks, parse."""
    try:
        raw = pl.read_csv(data, separator=delimiter, infer_schema=False, null_values=[""], raise_if_empty=True)
    except pl.exceptions.PolarsError as exc:
        raise _file_error(f"Polars could not read the CSV: {str(exc).splitlines()[0]}", path) from None
    raw = raw.rename({name: _OWN_TO_API[name] for name in raw.columns if name in _OWN_TO_API})
    masks: dict[str, pl.Series] = {}
    for column in COLUMNS:
        if column.api_name not in raw.columns:
            continue
        values = raw[column.api_name]
        if column.kind is Kind.DATETIME:
            parsed = pl.select(
                pl.coalesce(
                    [
                        values.str.to_datetime(f, time_unit="us", time_zone="UTC", strict=False)
                        for f in _TIMESTAMP_FORMATS
                    ]
                )
            ).to_series()
            if parsed.null_count() == values.null_count():  # else the parser reports the bad value
                raw = raw.with_columns(parsed.dt.to_string(_ISO_OUT).alias(column.api_name))
        elif column.kind is Kind.MASK and values.drop_nulls().str.contains(r"^\d+$").all():
            masks[column.name] = values.cast(pl.UInt16, strict=False)
            if masks[column.name].null_count() != values.null_count():
                raise _file_error(f"column {column.name} holds a number too large for a type mask", path)
            raw = raw.with_columns(pl.when(values.is_not_null()).then(pl.lit("[]")).alias(column.api_name))
    parsed_page = parse_body(raw.write_csv().encode(), window=str(path))
    frame = parsed_page.frame
    if masks:
        frame = frame.with_columns(series.alias(name) for name, series in masks.items())
    return frame, parsed_page.extra_columns
