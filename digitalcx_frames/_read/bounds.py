"""Bounds on ``timestamp_start`` read from a Polars predicate, so unneeded days are not fetched.

Only simple shapes are recognised: comparisons of ``timestamp_start`` (or its ``.dt.date()``)
with a literal, ``is_between``, and their combination with ``&`` / ``|``. Anything else
yields no bound, which is always safe: the predicate itself is applied to every batch.

Examples
--------
>>> import polars as pl
>>> from datetime import datetime, UTC
>>> lo, hi = timestamp_bounds(pl.col("timestamp_start") >= datetime(2025, 3, 2, tzinfo=UTC))
>>> lo.isoformat(), hi
('2025-03-02T00:00:00+00:00', None)
>>> timestamp_bounds(pl.col("log_id") > 3)
(None, None)
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import polars as pl

__all__ = ["Bounds", "timestamp_bounds"]

Bounds = tuple[datetime | None, datetime | None]
"""``(lowest possible timestamp_start, highest possible)``; ``None`` is unbounded. Both inclusive."""

_COLUMN: Final = "timestamp_start"
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_UNITS: Final = {"Microseconds": 1, "Milliseconds": 1_000, "Nanoseconds": 0.001}
_FLIP: Final = {"Gt": "Lt", "GtEq": "LtEq", "Lt": "Gt", "LtEq": "GtEq", "Eq": "Eq"}
_NONE: Final[Bounds] = (None, None)
_TICK: Final = timedelta(microseconds=1)  # the column's resolution: a strict bound is one tick inside


def timestamp_bounds(predicate: pl.Expr | None) -> Bounds:
    """The range of ``timestamp_start`` outside which ``predicate`` cannot be true."""
    if predicate is None:
        return _NONE
    try:
        tree = json.loads(predicate.meta.serialize(format="json"))
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
    function = body.get("function") if kind == "Function" else None
    if isinstance(function, dict) and isinstance(function.get("Boolean"), dict) and "IsBetween" in function["Boolean"]:
        column, low, high = body["input"]
        key = _column_key(column)
        if key is None:
            return _NONE
        lo = _literal(low, key == "date")
        hi = _literal(high, key == "date")
        if lo is None or hi is None:
            return _NONE
        closed = function["Boolean"]["IsBetween"].get("closed", "Both")
        return (
            lo[0] if closed in ("Both", "Left") else lo[1] + _TICK,
            hi[1] if closed in ("Both", "Right") else hi[0] - _TICK,
        )
    return _NONE


def _comparison(left: Any, op: str, right: Any) -> Bounds:
    key = _column_key(left)
    if key is None:
        key = _column_key(right)
        if key is None or op not in _FLIP:
            return _NONE
        left, right, op = right, left, _FLIP[op]
    value = _literal(right, key == "date")
    if value is None:
        return _NONE
    low, high = value
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


def _column_key(node: Any) -> str | None:
    """``"ts"`` for the bare column, ``"date"`` for ``col.dt.date()``, else ``None``."""
    if node == {"Column": _COLUMN}:
        return "ts"
    if isinstance(node, dict) and "Function" in node:
        fn = node["Function"]
        if fn.get("function") == {"TemporalExpr": "Date"} and fn.get("input") == [{"Column": _COLUMN}]:
            return "date"
    return None


def _literal(node: Any, as_day: bool) -> tuple[datetime, datetime] | None:
    """The literal as an inclusive range of instants (a date covers its whole UTC day)."""
    scalar = node.get("Literal", {}).get("Scalar") if isinstance(node, dict) else None
    if not isinstance(scalar, dict):
        return None
    if "Datetime" in scalar:
        value, unit, tz = scalar["Datetime"]
        if tz not in (None, {"inner": "UTC"}) or unit not in _UNITS:
            return None
        moment = _EPOCH + timedelta(microseconds=value * _UNITS[unit])
        if as_day:
            return None
        return (moment, moment)
    if "Date" in scalar and as_day:
        day = _EPOCH + timedelta(days=scalar["Date"])
        return (day, day + timedelta(days=1) - timedelta(microseconds=1))
    return None


def _intersect(a: Bounds, b: Bounds) -> Bounds:
    lows = [x for x in (a[0], b[0]) if x is not None]
    highs = [x for x in (a[1], b[1]) if x is not None]
    return (max(lows) if lows else None, min(highs) if highs else None)


def _hull(a: Bounds, b: Bounds) -> Bounds:
    low = None if a[0] is None or b[0] is None else min(a[0], b[0])
    high = None if a[1] is None or b[1] is None else max(a[1], b[1])
    return (low, high)
