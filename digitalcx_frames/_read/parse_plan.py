"""What the CSV and JSON parsers share: the typed projection to the output schema.

:class:`ParsedPage` is one parsed body; :class:`_Plan` turns columns read as
``Int64``/``Boolean``/``Float64`` or ``String`` into exactly the schema (timestamps,
categoricals, the interaction-type masks) and checks the required columns. Both
:mod:`digitalcx_frames._read.parse` (CSV) and :mod:`digitalcx_frames._read.parse_json`
import it; neither imports the other's internals.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

import polars as pl

from digitalcx_frames.errors import ParseError
from digitalcx_frames.flags import InteractionType, InteractionTypeError
from digitalcx_frames.schema import COLUMNS, Column, Kind, column_by_api_name, polars_schema

__all__ = ["ParsedPage", "empty_frame"]

_ISO_FORMAT: Final = "%+"  # RFC 3339: `Z` or `+00:00`, with or without fractions (fastest in Polars)
_PORTAL_FORMAT: Final = "%m/%d/%Y %H:%M:%S"
_FORMATS: Final = (_ISO_FORMAT, _PORTAL_FORMAT, "%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f")
_RAW: Final = "\x00raw:"  # prefix of temporary raw-text columns, dropped before returning
_READ_DTYPE: Final[Mapping[Kind, pl.DataType]] = {
    Kind.INT: pl.Int64(),
    Kind.BOOL: pl.Boolean(),
    Kind.FLOAT: pl.Float64(),
}


@dataclass(frozen=True, slots=True)
class ParsedPage:
    """One parsed body.

    Attributes
    ----------
    frame
        Exactly the columns of :func:`~digitalcx_frames.schema.polars_schema`, in order,
        followed by any undocumented columns of the body as ``String``.
    unknown_types
        Unknown interaction-type names in ``AllInteractionTypes`` -> number of rows.
    extra_columns
        Undocumented header names (or JSON keys), as given; they are the frame's last columns.
    n_bytes
        Size of the body in bytes.
    missing_columns
        Output names of documented columns the body did not have (null columns in the frame).
    """

    frame: pl.DataFrame
    unknown_types: dict[str, int]
    extra_columns: tuple[str, ...]
    n_bytes: int
    missing_columns: tuple[str, ...] = ()


def empty_frame() -> pl.DataFrame:
    """A frame with zero rows and exactly the output schema.

    >>> empty_frame().shape
    (0, 28)
    """
    return pl.DataFrame(schema=polars_schema())


def _excerpt(text: str, width: int = 80) -> str:
    return repr(text[:width] + ("..." if len(text) > width else ""))


def _nullify_empty(expr: pl.Expr) -> pl.Expr:
    return pl.when(expr.str.len_bytes() > 0).then(expr)


def _same(expr: pl.Expr) -> pl.Expr:
    return expr


class _Plan:
    """The typed projection of read columns to the output schema, and the checks after it.

    Shared by the CSV and JSON paths: the input is a frame whose documented columns are
    read as ``Int64``/``Boolean``/``Float64`` (ids, flags, numbers) or ``String`` (the rest),
    named as in the body.
    """

    def __init__(
        self,
        present: Mapping[str, Column],
        extras: list[str],
        formats: Mapping[str, str],
        *,
        window: str | None,
        page: int | None,
        nullify_empty: bool = True,
    ) -> None:
        self.source = {col.name: name for name, col in present.items()}
        self.nullify_empty = nullify_empty
        self.window = window
        self.page = page
        self.extras = extras
        self.formats = formats
        taken = {c.name for c in COLUMNS}
        self.extra_out: list[str] = []
        for name in extras:
            out = name
            while out in taken:
                out = f"{out}_extra"
            taken.add(out)
            self.extra_out.append(out)

    def exprs(self) -> list[pl.Expr]:
        _non_empty = _nullify_empty if self.nullify_empty else _same
        out: list[pl.Expr] = []
        raws: list[pl.Expr] = []
        for col in COLUMNS:
            name = self.source.get(col.name)
            if name is None:
                out.append(pl.lit(None, dtype=col.polars_dtype).alias(col.name))
                continue
            src = pl.col(name)
            if col.kind is Kind.DATETIME:
                fmt = self.formats.get(name, _ISO_FORMAT)
                out.append(src.str.to_datetime(fmt, time_unit="us", time_zone="UTC", strict=False).alias(col.name))
                raws.append(src.alias(_RAW + col.name))
            elif col.kind is Kind.MASK:
                out.append(pl.lit(None, dtype=pl.UInt16()).alias(col.name))
                raws.append(src.alias(_RAW + col.name))
            elif col.kind is Kind.CATEGORY:
                out.append(_non_empty(src).cast(pl.Categorical()).alias(col.name))
            elif col.kind in (Kind.TEXT, Kind.JSON):
                out.append(_non_empty(src).alias(col.name))
            else:
                out.append(src.alias(col.name))
        for name, alias in zip(self.extras, self.extra_out, strict=True):
            out.append(_non_empty(pl.col(name)).alias(alias))
        return out + raws

    def finish(self, frame: pl.DataFrame, *, n_bytes: int, fail: Callable[[str, int], ParseError]) -> ParsedPage:
        """Decode masks, re-try odd timestamps, enforce non-null columns, drop raw columns."""
        unknown: dict[str, int] = {}
        names = [c for c in frame.columns if not c.startswith(_RAW)]
        series = {name: frame.get_column(name) for name in names}
        for col in COLUMNS:
            raw_name = _RAW + col.name
            if raw_name not in frame.columns:
                continue
            raw = frame.get_column(raw_name)
            if col.kind is Kind.MASK:
                series[col.name] = _decode_masks(raw, col, unknown, fail)
            elif series[col.name].null_count() > raw.null_count():
                series[col.name] = _retry_datetimes(raw, col)
        # Built from its columns: cheaper than with_columns + drop (no query, no copy).
        frame = pl.DataFrame([series[name] for name in names])
        for col in COLUMNS:
            if col.nullable or col.name not in self.source:
                continue
            column = frame.get_column(col.name)
            if column.null_count():
                row = int(column.is_null().arg_max() or 0)
                raise fail(f"column {col.api_name} is empty or does not parse in row {row + 1}", row)
        missing = tuple(c.name for c in COLUMNS if c.name not in self.source)
        return ParsedPage(frame, unknown, tuple(self.extras), n_bytes, missing)

    def out_name(self, name: str) -> str:
        """The output column of a body column."""
        column = column_by_api_name(name)
        if column is not None:
            return column.name
        return self.extra_out[self.extras.index(name)]


def _retry_datetimes(raw: pl.Series, col: Column) -> pl.Series:
    parsed = [raw.str.to_datetime(fmt, time_unit="us", time_zone="UTC", strict=False) for fmt in _FORMATS]
    return pl.select(pl.coalesce(parsed)).to_series().alias(col.name)


def _decode_masks(
    raw: pl.Series,
    col: Column,
    unknown: dict[str, int],
    fail: Callable[[str, int], ParseError],
) -> pl.Series:
    """Decode each distinct JSON text once, then map every row with ``replace_strict``."""
    mapping: dict[str, int | None] = {}
    unknown_by_text: dict[str, list[str]] = {}
    for text in raw.unique().drop_nulls().to_list():
        if not text.strip():
            mapping[text] = None
            continue
        try:
            flag, names = InteractionType.from_api_names_lenient(text)
        except InteractionTypeError as exc:
            row = int((raw == text).arg_max() or 0)
            raise fail(
                f"column {col.api_name} is not a JSON list of names: {_excerpt(text)} in row {row + 1}", row
            ) from exc
        mapping[text] = int(flag)
        if names:
            unknown_by_text[text] = names
    if unknown_by_text:
        counts = raw.filter(raw.is_in(list(unknown_by_text))).value_counts()
        for text, n in counts.iter_rows():
            for name in dict.fromkeys(unknown_by_text[text]):
                unknown[name] = unknown.get(name, 0) + int(n)
    return raw.replace_strict(mapping, default=None, return_dtype=pl.UInt16()).alias(col.name)
