r"""Interaction-log CSV files downloaded from the CMS portal, read into the library's typed schema.

Portal downloads are pipe-delimited, carry ``MM/DD/YYYY HH:MM:SS`` UTC timestamps (second
precision) and ``True``/``False`` booleans; :func:`~digitalcx_frames._read.parse.parse_body` detects
the delimiter and the timestamp format itself, so a portal file gives the same typed frame
as the API for the same rows. :func:`read_export` is lazy: files are read when the frame is
collected, one file at a time.

Examples
--------
>>> import tempfile, pathlib
>>> with tempfile.TemporaryDirectory() as tmp:
...     path = pathlib.Path(tmp) / "export.csv"
...     _ = path.write_text(
...         "LogId|InteractionUuid|SessionUuid|SessionIsActive|TimestampStart|TimestampEnd|Culture|"
...         "MainInteractionType|AllInteractionTypes\n"
...         '5300000001|i-1|s-1|True|03/25/2026 09:30:22|03/25/2026 09:30:23|nl|QA|[ "QA"]\n'
...     )
...     frame = read_export(path).collect()
>>> frame.select("log_id", "timestamp_start", "all_interaction_types").row(0)
(5300000001, datetime.datetime(2026, 3, 25, 9, 30, 22, tzinfo=zoneinfo.ZoneInfo(key='UTC')), 2)
>>> frame.width
28
"""

from __future__ import annotations

import glob
import os
import warnings
from collections.abc import Sequence
from pathlib import Path

import polars as pl

from digitalcx_frames._read.parse import parse_body
from digitalcx_frames._read.scan import scan_batches
from digitalcx_frames.errors import ConfigurationError, DataWarning
from digitalcx_frames.schema import polars_schema

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
    """Read interaction-log CSV files downloaded from the CMS portal as a typed lazy frame.

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
        the rows of each file as stored, file after file. Undocumented columns are
        dropped with a :class:`~digitalcx_frames.DataWarning`; timestamps have second
        precision (the portal's format).

    Raises
    ------
    ConfigurationError
        When ``source`` names no readable file.
    ParseError
        At ``collect()``, for a file that is not an interaction-log CSV (its path is in
        the message, as the ``window``).
    """
    files = export_files(source)
    return scan_batches(
        lambda _predicate, _n_rows: (read_export_file(path) for path in files),
        schema=polars_schema(),
        name="digitalcx_frames.read_export",
        detail=f"{len(files)} file(s)",
    )


def read_export_file(path: Path) -> pl.DataFrame:
    """One portal file as a frame with exactly the output schema (undocumented columns dropped, warned)."""
    parsed = parse_body(path.read_bytes(), window=str(path))
    if parsed.extra_columns:
        warnings.warn(
            f"the export {path} has undocumented column(s) {list(parsed.extra_columns)}; they are not read",
            DataWarning,
            stacklevel=3,
        )
    return parsed.frame.select(list(polars_schema()))
