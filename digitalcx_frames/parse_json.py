"""The JSON path of :func:`digitalcx_frames.parse.parse_body`: an array of objects -> the typed frame.

Keys are matched case-insensitively (``logId``, ``LogId``, ``logid``). Values are brought
to the same read types as the CSV path (ids ``Int64`` from a number or a string, booleans
from ``true``/``"True"``, ``AllInteractionTypes`` from JSON text or a real list, nested
JSON columns back to compact JSON text) and then typed by the same plan, so the same data
gives the same frame either way. Polars' ``read_json`` cannot take keys whose case varies
or values whose JSON type varies, so this uses the standard library's :mod:`json`.

Examples
--------
>>> from digitalcx_frames.parse import parse_body
>>> body = b'[{"logId": "5300000001", "allInteractionTypes": ["QA"], "sessionIsActive": "True"}]'
>>> parse_body(body, format="json").frame.select("log_id", "all_interaction_types", "session_is_active").row(0)
(5300000001, 2, True)
"""

from __future__ import annotations

import json
from typing import Any, Final

import polars as pl

from digitalcx_frames.errors import ParseError
from digitalcx_frames.parse import _READ_DTYPE, ParsedPage, _Plan, empty_frame
from digitalcx_frames.schema import Column, Kind, column_by_api_name

__all__ = ["parse_json_body"]

_BOM: Final = b"\xef\xbb\xbf"
_BOOLS: Final = {"true": True, "false": False}


def parse_json_body(data: bytes, *, window: str | None = None, page: int | None = None) -> ParsedPage:
    """Parse a JSON array of interaction objects (see the module docstring)."""

    def error(message: str, line: int | None = None) -> ParseError:
        return ParseError(message, window=window, page=page, line=line)

    start = len(_BOM) if data.startswith(_BOM) else 0
    if not data[start:].strip():
        raise error("the body is empty (a valid JSON reply is at least `[]`)", 1)
    try:
        items = json.loads(data[start:] if start else data)
    except UnicodeDecodeError as exc:
        offset = start + exc.start
        raise error(f"invalid UTF-8 at byte {offset}", data.count(b"\n", 0, offset) + 1) from exc
    except json.JSONDecodeError as exc:
        raise error(f"not JSON: {exc.msg}", exc.lineno) from exc
    if not isinstance(items, list):
        raise error(f"expected a JSON array of objects, got a {type(items).__name__}", 1)

    keys: dict[str, Column | None] = {}
    columns: dict[str, list[Any]] = {}
    present: dict[str, Column] = {}
    extras: list[str] = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise error(f"element {index + 1} of the array is a {type(item).__name__}, not an object")
        for key, value in item.items():
            if key not in keys:
                column = keys[key] = column_by_api_name(key)
                name = column.api_name if column is not None else key
                if name in columns:
                    raise error(f"object {index + 1} names column {key!r} twice (keys match case-insensitively)")
                columns[name] = [None] * index
                if column is None:
                    extras.append(key)
                else:
                    present[name] = column
            column = keys[key]
            target = columns[column.api_name if column is not None else key]
            if len(target) != index:
                raise error(f"object {index + 1} names column {key!r} twice (keys match case-insensitively)")
            try:
                target.append(_value(value, column.kind if column is not None else Kind.TEXT))
            except (TypeError, ValueError) as exc:
                raise error(f"object {index + 1}, key {key!r}: {exc}") from exc
        for values in columns.values():
            if len(values) == index:
                values.append(None)

    if not items:
        return ParsedPage(empty_frame(), {}, (), len(data), ())
    if not present:
        raise error(f"no documented key in the objects (keys seen: {', '.join(list(keys)[:10])})", 1)
    schema = {name: _READ_DTYPE.get(col.kind, pl.String()) for name, col in present.items()}
    schema.update({name: pl.String() for name in extras})
    frame = pl.DataFrame({name: columns[name] for name in schema}, schema=schema, orient="col")
    plan = _Plan(present, extras, {}, window=window, page=page)
    typed = frame.lazy().select(plan.exprs()).collect()
    return plan.finish(typed, n_bytes=len(data), fail=lambda message, _row: error(message))


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
