"""The JSON path of :func:`digitalcx_frames._read.parse.parse_body`: an array of objects -> the typed frame.

Keys are matched case-insensitively (``logId``, ``LogId``, ``logid``). Values are brought
to the same read types as the CSV path (ids ``Int64`` from a number or a string, booleans
from ``true``/``"True"``, ``AllInteractionTypes`` from JSON text or a real list, nested
JSON columns back to compact JSON text) and then typed by the same plan, so the same data
gives the same frame either way. Polars' ``read_json`` cannot take keys whose case varies
or values whose JSON type varies, so this uses the standard library's :mod:`json`.

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
