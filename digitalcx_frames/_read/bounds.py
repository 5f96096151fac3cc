"""Bounds on ``timestamp_start`` read from a Polars predicate, so unneeded days are not fetched.

Recognised shapes: comparisons (``==``, ``<``, ``<=``, ``>``, ``>=``), ``is_between`` and
``is_in`` of ``timestamp_start``, of ``timestamp_start.dt.date()``, or of either after
``.dt.convert_time_zone(tz)`` (a filter on a local date), with anything that evaluates to a
date or datetime without reading a column: a Python ``datetime``/``date``, ``pl.lit(...)``,
``pl.datetime(..., time_zone="UTC")``, ``pl.date(...)``, a list of them; and their
combination with ``&`` / ``|``. Anything else yields no bound, which is always safe: the
predicate itself is applied to every batch.

A comparison Polars cannot evaluate (a naive datetime, or one in another time zone than the
column it is compared with) raises :class:`polars.exceptions.SchemaError` here, before any
request, instead of after the first day has been fetched.

Examples
--------
>>> import polars as pl
>>> from datetime import date, datetime, UTC
>>> lo, hi = timestamp_bounds(pl.col("timestamp_start") >= datetime(2025, 3, 2, tzinfo=UTC))
>>> lo.isoformat(), hi
('2025-03-02T00:00:00+00:00', None)
>>> lo, hi = timestamp_bounds(pl.col("timestamp_start").dt.date().is_in([date(2025, 3, 2), date(2025, 3, 4)]))
>>> lo.isoformat(), hi.isoformat()
('2025-03-02T00:00:00+00:00', '2025-03-04T23:59:59.999999+00:00')
>>> timestamp_bounds(pl.col("log_id") > 3)
(None, None)
"""

from __future__ import annotations

import io
import json
import warnings
from contextvars import ContextVar
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

import polars as pl

__all__ = ["Bounds", "timestamp_bounds"]

Bounds = tuple[datetime | None, datetime | None]
"""``(lowest possible timestamp_start, highest possible)``; ``None`` is unbounded. Both inclusive."""

_COLUMN: Final = "timestamp_start"
_FLIP: Final = {"Gt": "Lt", "GtEq": "LtEq", "Lt": "Gt", "LtEq": "GtEq", "Eq": "Eq", "NotEq": "NotEq"}
_COMPARE: Final = frozenset(_FLIP)
_NONE: Final[Bounds] = (None, None)
_TICK: Final = timedelta(microseconds=1)  # the column's resolution: a strict bound is one tick inside

Side = tuple[str, str]
"""What the predicate compares: ``("ts" | "date", time zone)``."""
_ZONE: ContextVar[str] = ContextVar("digitalcx_frames_column_zone", default="UTC")
"""The time zone of the ``timestamp_start`` column being read (``tz=`` of the read)."""


def timestamp_bounds(predicate: pl.Expr | None, *, zone: str = "UTC") -> Bounds:
    """The range of ``timestamp_start`` outside which ``predicate`` cannot be true.

    ``zone`` is the time zone of the column itself (``read_interactions(tz=...)``); the
    bounds are UTC instants either way.

    Raises
    ------
    polars.exceptions.SchemaError
        The predicate compares ``timestamp_start`` with a datetime in another time zone (or
        none): Polars would raise the same error on the first batch, after requests.
    """
    if predicate is None:
        return _NONE
    token = _ZONE.set(zone)
    try:
        return _timestamp_bounds(predicate)
    finally:
        _ZONE.reset(token)


def _timestamp_bounds(predicate: pl.Expr) -> Bounds:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = json.loads(predicate.meta.serialize(format="json"))
    except Exception:
        return _NONE
    _check_time_zones(tree)
    try:
        return _bounds(tree)
    except Exception:
        return _NONE


def _bounds(node: Any) -> Bounds:
    if not isinstance(node, dict) or len(node) != 1:
        return _NONE
    kind, body = next(iter(node.items()))
    if kind == "BinaryExpr":
        op = body["op"]
        if op in {"And", "LogicalAnd"}:
            return _intersect(_bounds(body["left"]), _bounds(body["right"]))
        if op in {"Or", "LogicalOr"}:
            return _hull(_bounds(body["left"]), _bounds(body["right"]))
        return _comparison(body["left"], op, body["right"])
    boolean = _boolean_function(node)
    if boolean is None:
        return _NONE
    name, inputs = boolean
    side = _side(inputs[0])
    if side is None:
        return _NONE
    if name == "IsBetween":
        low, high = (_ranges(side, bound) for bound in inputs[1:3])
        if not low or not high or len(low) != 1 or len(high) != 1:
            return _NONE
        closed = body["function"]["Boolean"]["IsBetween"].get("closed", "Both")
        return (
            low[0][0] if closed in ("Both", "Left") else low[0][1] + _TICK,
            high[0][1] if closed in ("Both", "Right") else high[0][0] - _TICK,
        )
    if name == "IsIn":
        ranges = _ranges(side, inputs[1])
        if not ranges:
            return _NONE
        return (min(r[0] for r in ranges), max(r[1] for r in ranges))
    return _NONE


def _comparison(left: Any, op: str, right: Any) -> Bounds:
    side = _side(left)
    if side is None:
        side = _side(right)
        if side is None or op not in _FLIP:
            return _NONE
        left, right, op = right, left, _FLIP[op]
    ranges = _ranges(side, right)
    if ranges is None or len(ranges) != 1:
        return _NONE
    low, high = ranges[0]
    if op == "GtEq":
        return (low, None)
    if op == "Gt":
        return (high + _TICK, None)
    if op == "LtEq":
        return (None, high)
    if op == "Lt":
        return (None, low - _TICK)
    if op == "Eq":
        return (low, high)
    return _NONE


def _boolean_function(node: Any) -> tuple[str, list[Any]] | None:
    """``("IsBetween" | "IsIn" | ..., inputs)`` for a boolean function node, else ``None``."""
    body = node.get("Function") if isinstance(node, dict) else None
    if not isinstance(body, dict):
        return None
    function = body.get("function")
    if not isinstance(function, dict) or not isinstance(function.get("Boolean"), dict):
        return None
    inputs = body.get("input")
    if not isinstance(inputs, list) or not inputs:
        return None
    return next(iter(function["Boolean"])), inputs


def _side(node: Any) -> Side | None:
    """``("ts", tz)`` for the column (after ``convert_time_zone(tz)``), ``("date", tz)`` for its ``.dt.date()``."""
    if node == {"Column": _COLUMN}:
        return ("ts", _ZONE.get())
    body = node.get("Function") if isinstance(node, dict) else None
    if not isinstance(body, dict) or not isinstance(body.get("input"), list) or len(body["input"]) != 1:
        return None
    inner = _side(body["input"][0])
    if inner is None or inner[0] != "ts":
        return None
    function = body.get("function")
    if function == {"TemporalExpr": "Date"}:
        return ("date", inner[1])
    if isinstance(function, dict) and isinstance(function.get("TemporalExpr"), dict):
        convert = function["TemporalExpr"].get("ConvertTimeZone")
        if isinstance(convert, dict) and isinstance(convert.get("inner"), str):
            return ("ts", convert["inner"])
    return None


def _evaluate(node: Any) -> pl.Series | None:
    """The value of a node that reads no column (a literal, ``pl.datetime(...)``, a list), else ``None``."""
    if not isinstance(node, dict) or _reads_columns(node):
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expr = pl.Expr.deserialize(io.StringIO(json.dumps(node)), format="json")
            values = pl.select(expr).to_series()
    except Exception:
        return None
    if isinstance(values.dtype, pl.List):
        values = values.explode()
    if values.dtype not in (pl.Date, pl.Datetime) or values.len() == 0 or values.null_count():
        return None
    return values


def _reads_columns(node: Any) -> bool:
    if isinstance(node, dict):
        if any(key in node for key in ("Column", "Columns", "Nth", "Selector", "Wildcard", "Len", "Field")):
            return True
        return any(_reads_columns(value) for value in node.values())
    if isinstance(node, list):
        return any(_reads_columns(value) for value in node)
    return False


def _ranges(side: Side, node: Any) -> list[tuple[datetime, datetime]] | None:
    """Each value of the literal ``node`` as an inclusive range of instants (a date covers its day)."""
    values = _evaluate(node)
    if values is None:
        return None
    kind, zone = side
    dtype = values.dtype
    if kind == "ts" and isinstance(dtype, pl.Datetime) and dtype.time_zone == zone:
        return [(moment.astimezone(UTC), moment.astimezone(UTC)) for moment in values.to_list()]
    if kind == "date" and dtype == pl.Date:
        return [_day(day, zone) for day in values.to_list()]
    return None


def _day(day: date, zone: str) -> tuple[datetime, datetime]:
    """The instants whose local date in ``zone`` is ``day`` (both folds of an ambiguous midnight)."""
    tz = UTC if zone == "UTC" else ZoneInfo(zone)
    starts = [datetime.combine(day, time(), tz).replace(fold=fold).astimezone(UTC) for fold in (0, 1)]
    following = day + timedelta(days=1)
    ends = [datetime.combine(following, time(), tz).replace(fold=fold).astimezone(UTC) for fold in (0, 1)]
    return (min(starts), max(ends) - _TICK)


def _check_time_zones(node: Any) -> None:
    """Raise where a comparison mixes ``timestamp_start`` with a datetime Polars cannot compare it to."""
    if isinstance(node, list):
        for child in node:
            _check_time_zones(child)
        return
    if not isinstance(node, dict):
        return
    binary = node.get("BinaryExpr")
    if isinstance(binary, dict) and binary.get("op") in _COMPARE:
        _check_pair(binary.get("left"), binary.get("right"))
        _check_pair(binary.get("right"), binary.get("left"))
    boolean = _boolean_function(node)
    if boolean is not None and boolean[0] == "IsBetween":
        for bound in boolean[1][1:]:
            _check_pair(boolean[1][0], bound)
    for child in node.values():
        _check_time_zones(child)


def _check_pair(column: Any, literal: Any) -> None:
    side = _side(column)
    if side is None or side[0] != "ts":
        return
    values = _evaluate(literal)
    if values is None or not isinstance(values.dtype, pl.Datetime) or values.dtype.time_zone == side[1]:
        return
    found = values.dtype.time_zone
    column_text = _COLUMN if side[1] == "UTC" else f"{_COLUMN}.dt.convert_time_zone({side[1]!r})"
    literal_text = "a naive datetime (no time zone)" if found is None else f"a datetime in time zone {found!r}"
    hint = (
        "datetime(..., tzinfo=UTC) or pl.datetime(..., time_zone='UTC')"
        if side[1] == "UTC"
        else f"datetime(..., tzinfo=ZoneInfo({side[1]!r})) or pl.datetime(..., time_zone={side[1]!r})"
    )
    local = f"; to filter in local time, compare pl.col({_COLUMN!r}).dt.convert_time_zone({found!r})" if found else ""
    msg = (
        f"the filter compares {column_text} (time zone {side[1]!r}) with {literal_text}, which Polars cannot "
        f"compare; nothing was fetched. Use {hint}{local}"
    )
    raise pl.exceptions.SchemaError(msg)


def _intersect(a: Bounds, b: Bounds) -> Bounds:
    lows = [x for x in (a[0], b[0]) if x is not None]
    highs = [x for x in (a[1], b[1]) if x is not None]
    return (max(lows) if lows else None, min(highs) if highs else None)


def _hull(a: Bounds, b: Bounds) -> Bounds:
    low = None if a[0] is None or b[0] is None else min(a[0], b[0])
    high = None if a[1] is None or b[1] is None else max(a[1], b[1])
    return (low, high)
