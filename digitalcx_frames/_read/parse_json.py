"""The JSON path of :func:`digitalcx_frames._read.parse.parse_body`: an array of objects -> the typed frame.

Keys are matched case-insensitively (``logId``, ``LogId``, ``logid``). Values are brought
to the same read types as the CSV path (ids ``Int64`` from a number or a string, booleans
from ``true``/``"True"``, ``AllInteractionTypes`` from JSON text or a real list, nested
JSON columns back to compact JSON text) and then typed by the same plan, so the same data
gives the same frame either way.

Two paths. The fast one hands the bytes to Polars' ``read_json`` with every key read as
text and brings the columns to the read types with expressions: it takes a body whose keys
keep one spelling and whose values are strings, numbers, booleans or null, which is what a
service writes. Anything else — keys whose case varies between objects, a key first seen
after the 100th object, nested objects or lists, a value that does not convert — goes to
the exact path on the standard library's :mod:`json`, which also finds the row and the
words for an error. Both give the same frame (tested), with one difference: a JSON
*float* is re-written by Polars (``2.0`` as ``2``, ``1e+20`` as digits), so an integral
float is accepted as an id, and a float in a text column keeps Polars' spelling.

Examples
--------
>>> from digitalcx_frames._read.parse import parse_body
>>> body = b'[{"logId": "5300000001", "allInteractionTypes": ["QA"], "sessionIsActive": "True"}]'
>>> parse_body(body, format="json").frame.select("log_id", "all_interaction_types", "session_is_active").row(0)
(5300000001, 2, True)
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Final

import polars as pl

from digitalcx_frames._read.parse_plan import _READ_DTYPE, ParsedPage, _Plan, empty_frame
from digitalcx_frames.errors import ParseError
from digitalcx_frames.schema import Column, Kind, column_by_api_name

__all__ = ["parse_json_body"]

_BOM: Final = b"\xef\xbb\xbf"
_BOOLS: Final = {"true": True, "false": False}


def parse_json_body(
    data: bytes, *, window: str | None = None, page: int | None = None, exact: bool = False
) -> ParsedPage:
    """Parse a JSON array of interaction objects (see the module docstring).

    ``exact=True`` skips the fast path (the tests compare the two).
    """

    def error(message: str, line: int | None = None) -> ParseError:
        return ParseError(message, window=window, page=page, line=line)

    start = len(_BOM) if data.startswith(_BOM) else 0
    if not data[start:].strip():
        raise error("the body is empty (a valid JSON reply is at least `[]`)", 1)
    fast = None if exact else _read_fast(data[start:] if start else data)
    if fast is not None:
        read, read_present, read_extras = fast
        fast_plan = _Plan(read_present, read_extras, {}, window=window, page=page)
        typed = read.lazy().select(fast_plan.exprs()).collect()
        return fast_plan.finish(typed, n_bytes=len(data), fail=lambda message, _row: error(message))
    try:
        items = json.loads(data[start:] if start else data)
    except UnicodeDecodeError as exc:
        offset = start + exc.start
        raise error(f"invalid UTF-8 at byte {offset}", data.count(b"\n", 0, offset) + 1) from exc
    except json.JSONDecodeError as exc:
        raise error(f"not JSON: {exc.msg}", exc.lineno) from exc
    if not isinstance(items, list):
        raise error(f"expected a JSON array of objects, got a {type(items).__name__}", 1)

    names, columns = _gather(items, error)
    present: dict[str, Column] = {}
    extras: list[str] = []
    data_by_name: dict[str, list[Any]] = {}
    for name, values in zip(names, columns, strict=True):
        column = column_by_api_name(name)
        kind = column.kind if column is not None else Kind.TEXT
        if column is None:
            extras.append(name)
        else:
            present[name] = column
        if kind in _READ_DTYPE or not all(type(v) is str or v is None for v in values):
            try:
                data_by_name[name] = [_value(v, kind) for v in values]
            except (TypeError, ValueError) as exc:
                raise error(f"key {name!r}: {exc}") from exc
        else:
            data_by_name[name] = values

    if not items:
        return ParsedPage(empty_frame(), {}, (), len(data), ())
    if not present:
        raise error(f"no documented key in the objects (keys seen: {', '.join(names[:10])})", 1)
    schema = {name: _READ_DTYPE.get(col.kind, pl.String()) for name, col in present.items()}
    schema.update({name: pl.String() for name in extras})
    frame = pl.DataFrame({name: data_by_name[name] for name in schema}, schema=schema, orient="col")
    plan = _Plan(present, extras, {}, window=window, page=page)
    typed = frame.lazy().select(plan.exprs()).collect()
    return plan.finish(typed, n_bytes=len(data), fail=lambda message, _row: error(message))


def _read_fast(payload: bytes) -> tuple[pl.DataFrame, dict[str, Column], list[str]] | None:
    """The body read by Polars and brought to the read types, or ``None`` for the exact path.

    Every key is read as text (a number as its digits, a boolean as ``true``/``false``, an
    object or a list refused), then converted as :func:`_value` converts each value. Polars
    would otherwise coerce quietly (``false`` read into an integer column becomes 0).
    """
    if payload[:64].lstrip()[:1] != b"[":
        return None
    try:
        raw = pl.read_json(payload, schema_overrides=dict.fromkeys(_first_keys(payload), pl.String()))
        if any(dtype not in (pl.String, pl.Null) for dtype in raw.schema.values()):
            raw = pl.read_json(payload, schema_overrides=dict.fromkeys(raw.columns, pl.String()))
    except Exception:
        return None
    if raw.height == 0 or not raw.width:
        return None
    present: dict[str, Column] = {}
    extras: list[str] = []
    names: set[str] = set()
    exprs: list[pl.Expr] = []
    for key in raw.columns:
        column = column_by_api_name(key)
        name = column.api_name if column is not None else key
        if name in names:
            return None  # one column under two spellings: the exact path merges them
        names.add(name)
        kind = column.kind if column is not None else Kind.TEXT
        exprs.append(_from_text(pl.col(key), kind).alias(name))
        if column is None:
            extras.append(name)
        else:
            present[name] = column
    if not present:
        return None
    try:
        frame = raw.select(exprs)
    except pl.exceptions.PolarsError:
        return None  # a value that does not convert: the exact path names it
    return frame, present, extras


def _first_keys(payload: bytes) -> list[str]:
    """The keys of the body's first object (from its first 64 KiB), to read them as text."""
    head = payload[: 1 << 16].decode("utf-8", "ignore")
    try:
        first, _ = json.JSONDecoder().raw_decode(head, head.index("{"))
    except ValueError:
        return []
    return list(first) if isinstance(first, dict) else []


def _from_text(expr: pl.Expr, kind: Kind) -> pl.Expr:
    """A column read as text in its read type; a value that does not convert raises."""
    target = _READ_DTYPE.get(kind, pl.String())
    if kind is Kind.BOOL:
        lowered = expr.str.to_lowercase()
        return pl.when(lowered == "").then(None).otherwise(lowered.replace_strict(_BOOLS, return_dtype=target))
    if kind in (Kind.INT, Kind.FLOAT):
        stripped = expr.str.strip_chars()
        return pl.when(stripped == "").then(None).otherwise(stripped.cast(target, strict=True))
    return expr.cast(target)


def _gather(items: list[Any], error: Callable[[str], ParseError]) -> tuple[list[str], list[list[Any]]]:
    """Column names (API spelling for documented keys) and their values, null where a key is absent."""
    slot_of_key: dict[str, int] = {}
    slot_of_name: dict[str, int] = {}
    names: list[str] = []
    columns: list[list[Any]] = []
    for index, item in enumerate(items):
        if type(item) is not dict:
            raise error(f"element {index + 1} of the array is a {type(item).__name__}, not an object")
        for key, value in item.items():
            slot = slot_of_key.get(key)
            if slot is None:
                column = column_by_api_name(key)
                name = column.api_name if column is not None else key
                slot = slot_of_key[key] = slot_of_name.setdefault(name, len(names))
                if slot == len(names):
                    names.append(name)
                    columns.append([])
            target = columns[slot]
            if len(target) != index:
                if len(target) > index:
                    raise error(f"object {index + 1} names column {key!r} twice (keys match case-insensitively)")
                target.extend([None] * (index - len(target)))
            target.append(value)
    for target in columns:
        target.extend([None] * (len(items) - len(target)))
    return names, columns


def _value(value: Any, kind: Kind) -> Any:
    """One JSON value as the CSV path would read it (``None`` for null)."""
    if value is None:
        return None
    if kind is Kind.INT:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise TypeError(f"{value!r} is not an integer")
        return int(value) if isinstance(value, int) else (int(value.strip()) if value.strip() else None)
    if kind is Kind.BOOL:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and (not value or value.casefold() in _BOOLS):
            return _BOOLS.get(value.casefold())
        raise ValueError(f"{value!r} is not true/false")
    if kind is Kind.FLOAT:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise TypeError(f"{value!r} is not a number")
        return float(value) if not isinstance(value, str) or value.strip() else None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
