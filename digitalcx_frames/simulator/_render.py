"""Rendering rows to the wire: CSV lines and JSON objects, cached per day.

CSV follows RFC 4180 quoting (a field holding the delimiter, a quote, CR or LF is quoted,
quotes doubled), lines end in CRLF, booleans are ``True``/``False`` and timestamps
``2026-03-25T09:30:22.605Z``. Each row is rendered once per delimiter as two byte strings:
the line without user info and the tail of the two sensitive fields, so that
``includeUserInfo`` only swaps the tail. JSON bodies are arrays of objects with PascalCase
keys; ``AllInteractionTypes`` is the same JSON *text* as in the CSV, ``LogId`` a number,
``SessionIsActive`` a JSON boolean, ``RecognitionQuality`` a number or ``null`` and every
other column a string (``""`` when empty).

Examples
--------
>>> csv_field("a,b", ",")
'"a,b"'
>>> csv_field("plain", ",")
'plain'
"""

from __future__ import annotations

import io
import json
import re
from typing import Final

import polars as pl

from digitalcx_frames.schema import API_COLUMN_NAMES
from digitalcx_frames.simulator._data import COL, COLUMNS_KEY, VECTORISE_FROM, Day, iso_ms

__all__ = ["csv_field", "csv_header", "csv_lines", "extra_value", "full_lines", "json_objects", "key_name"]

_SENSITIVE: Final = len(API_COLUMN_NAMES) - 2
_TS: Final = (COL["TimestampStart"], COL["TimestampEnd"])
_BOOL: Final = COL["SessionIsActive"]
_QUALITY: Final = COL["RecognitionQuality"]


def csv_field(text: str, delimiter: str) -> str:
    """Quote one CSV field when it holds the delimiter, a quote, CR or LF."""
    if delimiter in text or '"' in text or "\n" in text or "\r" in text:
        return '"' + text.replace('"', '""') + '"'
    return text


def key_name(name: str, case: str) -> str:
    """An API column name in another case: ``"pascal"`` (as is), ``"camel"``, ``"lower"`` or ``"upper"``.

    >>> [key_name("LogId", case) for case in ("pascal", "camel", "lower", "upper")]
    ['LogId', 'logId', 'logid', 'LOGID']
    """
    if case == "camel":
        return name[:1].lower() + name[1:]
    if case == "lower":
        return name.lower()
    if case == "upper":
        return name.upper()
    return name


def extra_value(day: Day, index: int) -> str:
    """The value of the undocumented extra column (``extra_column=``) in one row: a region code."""
    return ("westeurope", "northeurope")[int(day.rows[index][0]) % 2]  # type: ignore[call-overload]


def csv_header(delimiter: str, *, case: str = "pascal", bom: bool = False, extra_column: str | None = None) -> bytes:
    r"""The header line: the API column names in wire order (then ``extra_column``), CRLF-terminated.

    >>> csv_header(",", case="upper", extra_column="Region")[-18:]
    b'VARIABLES,Region\r\n'
    """
    names = [key_name(n, case) for n in API_COLUMN_NAMES]
    if extra_column is not None:
        names.append(extra_column)
    return ("\ufeff" if bom else "").encode() + (delimiter.join(names) + "\r\n").encode()


def csv_lines(day: Day, delimiter: str) -> tuple[list[bytes], list[bytes], list[bytes]]:
    """``(heads, tails_without_user_info, tails_with_user_info)`` of every row.

    A row's line is ``heads[i] + tails[i]``; heads end with the delimiter, tails with CRLF.
    Built from what :func:`full_lines` caches (the heads are not kept: a day holds its lines
    without user info once, and the user-info tails).
    """
    plain, tails = _rendered(day, delimiter)
    cut = len(delimiter.encode()) + 2
    empty = (delimiter + "\r\n").encode()
    return [line[:-cut] for line in plain], [empty] * len(plain), tails


def _rendered(day: Day, delimiter: str) -> tuple[list[bytes], list[bytes]]:
    """``(lines without user info, user-info tails)``, rendered once and cached on the day.

    Days of :data:`~digitalcx_frames.simulator._data.VECTORISE_FROM` rows or more are rendered
    column by column with Polars (the same bytes, several times faster), smaller ones row by row.
    """
    key = ("csv", delimiter)
    cached = day.cache.get(key)
    if cached is not None:
        return cached  # type: ignore[return-value]
    result = _csv_lines_polars(day, delimiter) if len(day.rows) >= VECTORISE_FROM else _csv_lines_rows(day, delimiter)
    day.cache[key] = result
    day.cache.pop(COLUMNS_KEY, None)
    return result


def _columns(day: Day) -> list[list[object]]:
    found = day.cache.get(COLUMNS_KEY)
    if found is not None:
        return found  # type: ignore[return-value]
    return [list(column) for column in zip(*day.rows, strict=True)] if day.rows else [[] for _ in API_COLUMN_NAMES]


def _csv_lines_polars(day: Day, delimiter: str) -> tuple[list[bytes], list[bytes]]:
    columns = _columns(day)
    special = "[" + re.escape(delimiter) + '"\r\n]'
    texts: list[pl.Series] = []
    start, end = _TS
    for i, values in enumerate(columns):
        if i == 0:
            series = pl.Series(values, dtype=pl.Int64).cast(pl.String)
        elif i == _BOOL:
            series = pl.Series(values, dtype=pl.Boolean).replace_strict(
                {True: "True", False: "False"}, return_dtype=pl.String
            )
        elif i in (start, end):
            series = pl.from_epoch(pl.Series(values, dtype=pl.Int64), "ms").dt.strftime("%Y-%m-%dT%H:%M:%S%.3fZ")
        elif i == _QUALITY:
            series = pl.Series(values, dtype=pl.Float64).cast(pl.String).fill_null("")
        else:
            series = pl.Series(values, dtype=pl.String)
        texts.append(series.alias(str(i)))
    frame = pl.DataFrame(texts)
    quoted = [
        pl.when(pl.col(c).str.contains(special))
        .then(pl.lit('"') + pl.col(c).str.replace_all('"', '""', literal=True) + pl.lit('"'))
        .otherwise(pl.col(c))
        for c in frame.columns
    ]
    lines = frame.select(
        plain=pl.concat_str([*quoted[:_SENSITIVE], pl.lit(""), pl.lit("")], separator=delimiter) + pl.lit("\r\n"),
        tail=pl.concat_str(quoted[_SENSITIVE:], separator=delimiter) + pl.lit("\r\n"),
    )
    del frame, texts, columns
    plain = [text.encode() for text in lines["plain"].to_list()]
    tails = [text.encode() for text in lines["tail"].to_list()]
    return plain, tails


def _csv_lines_rows(day: Day, delimiter: str) -> tuple[list[bytes], list[bytes]]:
    plain: list[bytes] = []
    tails: list[bytes] = []
    start, end = _TS
    suffix = delimiter + delimiter + "\r\n"
    for row in day.rows:
        texts: list[str] = list(row)  # type: ignore[arg-type]
        texts[0] = str(row[0])
        texts[_BOOL] = "True" if row[_BOOL] else "False"
        texts[start] = iso_ms(row[start])  # type: ignore[arg-type]
        texts[end] = iso_ms(row[end])  # type: ignore[arg-type]
        quality = row[_QUALITY]
        texts[_QUALITY] = "" if quality is None else repr(quality)
        fields = [
            '"' + t.replace('"', '""') + '"' if (delimiter in t or '"' in t or "\n" in t or "\r" in t) else t
            for t in texts
        ]
        plain.append((delimiter.join(fields[:_SENSITIVE]) + suffix).encode())
        tails.append((delimiter.join(fields[_SENSITIVE:]) + "\r\n").encode())
    return plain, tails


def full_lines(day: Day, delimiter: str, *, user_info: bool) -> list[bytes]:
    """Each row as one complete CSV line (CRLF-terminated), cached on the day.

    Without user info these are the rendered lines themselves; with it, each line's two empty
    last fields are swapped for the user-info tail (built on the first such request).
    """
    plain, tails = _rendered(day, delimiter)
    if not user_info:
        return plain
    key = ("lines", delimiter, True)
    cached = day.cache.get(key)
    if cached is not None:
        return cached  # type: ignore[return-value]
    cut = len(delimiter.encode()) + 2
    lines = [line[:-cut] + tail for line, tail in zip(plain, tails, strict=True)]
    day.cache[key] = lines
    return lines


def json_objects(
    day: Day, *, user_info: bool, key_case: str = "pascal", extra_column: str | None = None
) -> list[bytes]:
    """Each row as one compact JSON object (UTF-8), keys in ``key_case``, cached on the day.

    Days of :data:`~digitalcx_frames.simulator._data.VECTORISE_FROM` rows or more are written
    by Polars (``write_ndjson``: the same bytes as ``json.dumps``, several times faster).
    """
    key = ("json", user_info, key_case, extra_column)
    cached = day.cache.get(key)
    if cached is not None:
        return cached  # type: ignore[return-value]
    render = _json_polars if len(day.rows) >= VECTORISE_FROM else _json_rows
    out = render(day, user_info, [key_name(n, key_case) for n in API_COLUMN_NAMES], extra_column)
    day.cache[key] = out
    return out


def _json_rows(day: Day, user_info: bool, names: list[str], extra_column: str | None) -> list[bytes]:
    out: list[bytes] = []
    for index, row in enumerate(day.rows):
        obj: dict[str, object] = {}
        for i, (name, value) in enumerate(zip(names, row, strict=True)):
            if i in _TS:
                obj[name] = iso_ms(int(value))  # type: ignore[call-overload]
            elif i >= _SENSITIVE and not user_info:
                obj[name] = ""
            else:
                obj[name] = value
        if extra_column is not None:
            obj[extra_column] = extra_value(day, index)
        out.append(json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode())
    return out


def _json_polars(day: Day, user_info: bool, names: list[str], extra_column: str | None) -> list[bytes]:
    columns = _columns(day)
    series: list[pl.Series] = []
    for i, (name, values) in enumerate(zip(names, columns, strict=True)):
        if i == 0:
            item = pl.Series(name, values, dtype=pl.Int64)
        elif i == _BOOL:
            item = pl.Series(name, values, dtype=pl.Boolean)
        elif i in _TS:
            item = pl.from_epoch(pl.Series(name, values, dtype=pl.Int64), "ms").dt.strftime("%Y-%m-%dT%H:%M:%S%.3fZ")
        elif i == _QUALITY:
            item = pl.Series(name, values, dtype=pl.Float64)
        elif i >= _SENSITIVE and not user_info:
            item = pl.Series(name, [""] * len(values), dtype=pl.String)
        else:
            item = pl.Series(name, values, dtype=pl.String)
        series.append(item)
    if extra_column is not None:
        series.append(pl.Series(extra_column, [extra_value(day, i) for i in range(len(day.rows))], dtype=pl.String))
    buffer = io.BytesIO()
    pl.DataFrame(series).write_ndjson(buffer)
    return buffer.getvalue().split(b"\n")[: len(day.rows)]
