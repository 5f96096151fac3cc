r"""Finding the line of a problem in a CSV body: the parser's slow path, run only after a failure.

Polars reports that a body is malformed but not where. These helpers scan the bytes again
with Python's :mod:`csv` module (strict mode) to name the 1-based line of the first bad
record. They decode the body to ``str``, which the fast path never does.

Examples
--------
>>> from digitalcx_frames._read.parse_locate import find_bad_row, line_of_row
>>> from digitalcx_frames.schema import Kind
>>> body = b'a,b\r\n1,"x\ny"\r\n2\r\n'
>>> find_bad_row(body, 0, ",", [("a", Kind.INT), ("b", Kind.TEXT)])
(4, 'row 2 has 1 field, the header has 2')
>>> line_of_row(body, 0, ",", 1)
4
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Sequence
from typing import Final

from digitalcx_frames.schema import Kind

__all__ = ["find_bad_row", "line_of_byte", "line_of_row", "tail_record_fields"]

_INT: Final = re.compile(r"[+-]?[0-9]+")
_BOOLS: Final = frozenset({"true", "false"})


def line_of_byte(data: bytes, offset: int) -> int:
    r"""The 1-based line holding byte ``offset``.

    >>> line_of_byte(b"a\nb\nc", 4)
    3
    """
    return data.count(b"\n", 0, offset) + 1


def _records(data: bytes, start: int, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """Every record with the 1-based line it starts on (the header included)."""
    text = data[start:].decode("utf-8", "replace")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    before = 0
    try:
        for record in reader:
            yield before + 1, record
            before = reader.line_num
    except csv.Error as exc:
        raise _SyntaxError(before + 1, str(exc)) from exc


class _SyntaxError(Exception):
    """The :mod:`csv` module gave up on the record starting at ``line``."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line = line
        self.reason = reason


def line_of_row(data: bytes, start: int, delimiter: str, row: int) -> int | None:
    """The line on which data row ``row`` (0-based, after the header) starts.

    ``None`` when the body has fewer rows or cannot be read by the :mod:`csv` module.
    """
    try:
        for index, (line, _record) in enumerate(_records(data, start, delimiter)):
            if index == row + 1:
                return line
    except _SyntaxError:
        return None
    return None


def find_bad_row(
    data: bytes,
    start: int,
    delimiter: str,
    kinds: Sequence[tuple[str, Kind]],
) -> tuple[int, str] | None:
    """The line and a description of the first problem, or ``None`` if none is found.

    Checks, in order: UTF-8 validity, CSV syntax (an unclosed quote), the number of
    fields of every row against the header, and that integer, boolean and number fields parse.

    Parameters
    ----------
    data
        The whole body.
    start
        Where the header starts (3 after a BOM).
    delimiter
        The delimiter detected from the header.
    kinds
        The header's column names and how each is read.
    """
    try:
        data[start:].decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = start + exc.start
        return line_of_byte(data, offset), f"invalid UTF-8 at byte {offset} ({exc.reason})"
    n_fields = len(kinds)
    try:
        for index, (line, record) in enumerate(_records(data, start, delimiter)):
            if index == 0:
                continue
            if len(record) != n_fields:
                plural = "s" if len(record) != 1 else ""
                return line, f"row {index} has {len(record)} field{plural}, the header has {n_fields}"
            problem = _bad_value(record, kinds)
            if problem is not None:
                return line, f"row {index}: {problem}"
    except _SyntaxError as exc:
        if "end of data" in exc.reason:
            return exc.line, "the body ends inside a quoted field of the row starting here (was it cut short?)"
        return exc.line, f"malformed CSV in the row starting here ({exc.reason})"
    return None


def _bad_value(record: Sequence[str], kinds: Sequence[tuple[str, Kind]]) -> str | None:
    for value, (name, kind) in zip(record, kinds, strict=True):
        if not value:
            continue
        if kind is Kind.INT and not _INT.fullmatch(value):
            return f"{name} {value[:40]!r} is not an integer"
        if kind is Kind.BOOL and value.casefold() not in _BOOLS:
            return f"{name} {value[:40]!r} is not True/False"
        if kind is Kind.FLOAT:
            try:
                float(value)
            except ValueError:
                return f"{name} {value[:40]!r} is not a number"
    return None


def tail_record_fields(data: bytes, delimiter: str) -> tuple[int, int] | None:
    r"""Where the last record starts and how many fields it has.

    A newline is a record boundary when an even number of quote characters precede it
    (RFC 4180 quotes come in pairs). ``None`` if the body is a single record.

    >>> tail_record_fields(b'a,b\n1,"x\ny"', ",")
    (4, 2)
    """
    quotes = data.count(b'"')
    pos = len(data)
    while True:
        newline = data.rfind(b"\n", 0, pos)
        if newline < 0:
            return None
        if (quotes - data.count(b'"', newline)) % 2 == 0:
            break
        pos = newline
    text = data[newline + 1 :].decode("utf-8", "replace")
    records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    return newline + 1, len(records[0]) if records else 0
