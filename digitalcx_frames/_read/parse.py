r"""One response body (CSV or JSON bytes) -> a ``pl.DataFrame`` with exactly the schema.

The CSV path hands the body's bytes to Polars as they are (Polars skips a UTF-8 BOM
itself), reads text columns as ``String`` and ids, booleans and numbers as typed columns,
with empty fields (quoted or not) as null, then types the rest in one lazy query:
``str.to_datetime`` with an explicit format and ``Categorical`` casts. The interaction-type masks are decoded
from the few distinct ``AllInteractionTypes`` strings once and mapped with
``replace_strict``. Nothing decodes the whole body to ``str`` unless something already
went wrong: line numbers for errors are found afterwards, on the error path only, by
scanning the bytes with Python's :mod:`csv` module (see :mod:`digitalcx_frames._read.parse_locate`).

Ragged rows: Polars raises on a row with too many fields (``truncate_ragged_lines=False``)
but pads a row with too few with nulls, and has no option to refuse it. A short row is
still caught when it lacks a required column (the first ten), when it is the first half of
a row split by a bare newline (the second half's ``LogId`` does not parse), or when it is
the last row of a body cut short (checked from the tail bytes). A short row in the middle
that lacks only trailing nullable columns is not: an exact check costs a full pass over
the bytes (~+35 % measured), which the speed goal does not allow.

Examples
--------
>>> from digitalcx_frames._read.parse import parse_body
>>> body = (
...     b"LogId,InteractionUuid,SessionUuid,SessionIsActive,TimestampStart,TimestampEnd,"
...     b"Culture,MainInteractionType,AllInteractionTypes,OutputText\r\n"
...     b'5300000001,i-1,s-1,True,2026-03-25T09:30:22.605Z,2026-03-25T09:30:23Z,nl,QA,"[ ""Dialog"", ""QA""]",'
...     b'"Hallo,\nwereld"\r\n'
... )
>>> page = parse_body(body)
>>> page.frame.select("log_id", "all_interaction_types", "output_text").row(0)
(5300000001, 10, 'Hallo,\nwereld')
>>> page.frame.schema["timestamp_start"]
Datetime(time_unit='us', time_zone='UTC')
>>> page.unknown_types, page.extra_columns
({}, ())
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from typing import Final, Literal

import polars as pl

from digitalcx_frames._read.parse_json import parse_json_body
from digitalcx_frames._read.parse_locate import find_bad_row, line_of_byte, line_of_row, tail_record_fields
from digitalcx_frames._read.parse_plan import (
    _ISO_FORMAT,
    _PORTAL_FORMAT,
    _READ_DTYPE,
    ParsedPage,
    _excerpt,
    _Plan,
    empty_frame,
)
from digitalcx_frames.errors import ParseError
from digitalcx_frames.schema import Column, Kind, column_by_api_name

__all__ = ["ParsedPage", "empty_frame", "parse_bodies", "parse_body"]

_BOM: Final = b"\xef\xbb\xbf"
_DELIMITERS: Final = (",", "|", ";", "\t")


def parse_body(
    body: bytes | bytearray | memoryview,
    *,
    format: Literal["csv", "json"] = "csv",
    window: str | None = None,
    page: int | None = None,
) -> ParsedPage:
    """Parse one response body into a typed frame.

    Parameters
    ----------
    body
        The raw UTF-8 bytes (a ``bytearray`` or ``memoryview`` is copied once to ``bytes``).
    format
        ``"csv"`` (the default reply) or ``"json"`` (an array of objects).
    window, page
        Where the body came from; only used in error messages.

    Returns
    -------
    ParsedPage

    Raises
    ------
    ParseError
        For an empty body, a header that is not the documented one (an HTML page), a row
        with too many or too few fields, invalid UTF-8, or a required value that is empty or
        does not parse; ``line`` is the 1-based line where it was found.
    """
    data = body if isinstance(body, bytes) else bytes(body)
    if format == "json":
        return parse_json_body(data, window=window, page=page)
    if format != "csv":
        raise ValueError(f"format must be 'csv' or 'json', not {format!r}")
    return _CsvBody(data, window, page).parse()


def parse_bodies(
    bodies: Sequence[bytes],
    *,
    format: Literal["csv", "json"] = "csv",
    window: str | None = None,
) -> ParsedPage:
    r"""Parse the pages of one window together into one typed frame.

    CSV pages that share one header are read by a single Polars scan over all the bodies
    (no bytes are joined), so the fixed cost of a parse is paid once per window instead of
    once per page. Anything unusual — pages whose headers differ, a body that does not end
    with a line end, JSON — is parsed page by page. When the scan fails, each page is
    parsed on its own to name the page and line of the error.

    >>> page = b"LogId,InteractionUuid,SessionUuid,SessionIsActive,TimestampStart,TimestampEnd,"
    >>> page += b"Culture,MainInteractionType,AllInteractionTypes\r\n"
    >>> row = '{},u{},s,True,2026-03-25T09:30:22.605Z,2026-03-25T09:30:23.000Z,nl,QA,"[""QA""]"\r\n'
    >>> pages = [page + row.format(n, n).encode() for n in (1, 2)]
    >>> parse_bodies(pages, window="w").frame["log_id"].to_list()
    [1, 2]

    Raises
    ------
    ParseError
        As :func:`parse_body`, naming the page (1-based) and line.
    """
    if len(bodies) == 1:
        return parse_body(bodies[0], format=format, window=window, page=1)
    try:
        if format == "csv" and bodies:
            together = _CsvBodies(bodies, window).parse()
            if together is not None:
                return together
        return _concat_pages([parse_body(b, format=format, window=window, page=n) for n, b in enumerate(bodies, 1)])
    except ParseError:
        for number, body in enumerate(bodies, 1):  # name the page and line of the problem
            parse_body(body, format=format, window=window, page=number)
        raise


def _concat_pages(pages: Sequence[ParsedPage]) -> ParsedPage:
    if not pages:
        return ParsedPage(empty_frame(), {}, (), 0)
    unknown: dict[str, int] = {}
    for page in pages:
        for name, count in page.unknown_types.items():
            unknown[name] = unknown.get(name, 0) + count
    extras = tuple(dict.fromkeys(name for page in pages for name in page.extra_columns))
    frame = (
        pl.concat([page.frame for page in pages], how="diagonal_relaxed")
        if extras
        else pl.concat([page.frame for page in pages])
    )
    missing = tuple(name for name in pages[0].missing_columns if all(name in p.missing_columns for p in pages))
    return ParsedPage(frame, unknown, extras, sum(page.n_bytes for page in pages), missing)


class _CsvBodies:
    """Several CSV pages with one header, read by one scan; ``None`` when they do not qualify."""

    def __init__(self, bodies: Sequence[bytes], window: str | None) -> None:
        self.bodies = [_strip_trailing_blank_lines(b) for b in bodies]
        self.window = window

    def fail(self, message: str, row: int) -> ParseError:
        return ParseError(message, window=self.window)

    def parse(self) -> ParsedPage | None:
        first = _CsvBody(self.bodies[0], self.window, None)
        present, extras = first.header()
        for body in self.bodies:
            if not body.endswith(b"\n"):
                return None  # a possibly cut last row: the per-page path checks it
            other = _CsvBody(body, self.window, None)
            other.header()
            if other.names != first.names or other.delimiter != first.delimiter:
                return None
        schema = {name: _READ_DTYPE.get(col.kind, pl.String()) if col else pl.String() for name, col in _named(first)}
        lf = pl.scan_csv(
            list(self.bodies),
            schema=schema,
            separator=first.delimiter,
            has_header=True,
            quote_char='"',
            truncate_ragged_lines=False,
            raise_if_empty=False,
            encoding="utf8",
            null_values=[""],
        )
        plan = _Plan(present, extras, first.iso_or_portal(present), window=self.window, page=None, nullify_empty=False)
        try:
            frame = lf.select(plan.exprs()).collect()
        except pl.exceptions.PolarsError as exc:
            raise ParseError(f"Polars could not read the CSV: {str(exc).splitlines()[0]}", window=self.window) from exc
        return plan.finish(frame, n_bytes=sum(len(b) for b in self.bodies), fail=self.fail)


class _CsvBody:
    """The CSV path: header, one lazy Polars query, checks; error locating on failure only."""

    def __init__(self, data: bytes, window: str | None, page: int | None) -> None:
        self.data = data
        self.window = window
        self.page = page
        self.start = len(_BOM) if data.startswith(_BOM) else 0
        self.delimiter = ","
        self.names: list[str] = []

    def error(self, message: str, line: int | None = None) -> ParseError:
        return ParseError(message, window=self.window, page=self.page, line=line)

    def header(self) -> tuple[dict[str, Column], list[str]]:
        """Read the header line: detect the delimiter and match the names."""
        data, start = self.data, self.start
        end = data.find(b"\n", start)
        raw = data[start : end if end >= 0 else len(data)]
        if not raw.strip() and not data[start : start + 4096].strip():
            raise self.error("the body is empty (a valid reply has at least a header line)", 1)
        try:
            text = raw.decode("utf-8").rstrip("\r")
        except UnicodeDecodeError as exc:
            raise self.error(f"invalid UTF-8 in the header at byte {start + exc.start}", 1) from exc
        counts = {d: text.count(d) for d in _DELIMITERS}
        self.delimiter = max(_DELIMITERS, key=lambda d: counts[d])
        self.names = next(csv.reader([text], delimiter=self.delimiter))
        present: dict[str, Column] = {}
        extras: list[str] = []
        seen: set[tuple[bool, str]] = set()
        for name in self.names:
            column = column_by_api_name(name)
            key = (True, column.name) if column is not None else (False, name)
            if key in seen:
                raise self.error(f"the header names column {name!r} twice", 1)
            seen.add(key)
            if column is None:
                extras.append(name)
            else:
                present[name] = column
        if not present:
            raise self.error(f"the first line is not the documented CSV header: {_excerpt(text)}", 1)
        return present, extras

    def parse(self) -> ParsedPage:
        present, extras = self.header()
        data = _strip_trailing_blank_lines(self.data)
        schema = {name: _READ_DTYPE.get(col.kind, pl.String()) if col else pl.String() for name, col in _named(self)}
        lf = pl.scan_csv(
            data,
            schema=schema,
            separator=self.delimiter,
            has_header=True,
            quote_char='"',
            truncate_ragged_lines=False,
            raise_if_empty=True,
            encoding="utf8",
            null_values=[""],  # a quoted empty field too (an unquoted one is null anyway)
        )
        formats = self.iso_or_portal(present)
        plan = _Plan(present, extras, formats, window=self.window, page=self.page, nullify_empty=False)
        try:
            frame = lf.select(plan.exprs()).collect()
        except pl.exceptions.PolarsError as exc:
            raise self.located(exc) from exc
        self.check_last_row(frame.get_column(plan.out_name(self.names[-1])), data)
        return plan.finish(frame, n_bytes=len(self.data), fail=self.row_error)

    def iso_or_portal(self, present: Mapping[str, Column]) -> dict[str, str]:
        """The timestamp format of each datetime column, judged from the first data line."""
        first = self.data.find(b"\n", self.start) + 1
        line = self.data[first : first + 4096].split(b"\n", 1)[0].decode("utf-8", "replace")
        try:
            values = next(csv.reader([line], delimiter=self.delimiter), [])
        except csv.Error:  # a quoted field with a newline cut by the peek; the fallback formats cope
            values = []
        formats: dict[str, str] = {}
        for i, name in enumerate(self.names):
            col = present.get(name)
            if col is not None and col.kind is Kind.DATETIME:
                value = values[i] if i < len(values) else ""
                formats[name] = _PORTAL_FORMAT if "/" in value[:10] else _ISO_FORMAT
        return formats

    def located(self, exc: pl.exceptions.PolarsError) -> ParseError:
        """Turn a Polars read error into a ParseError with a line number (the slow path)."""
        kinds = [(col.api_name, col.kind) if col else (name, Kind.TEXT) for name, col in _named(self)]
        found = find_bad_row(self.data, self.start, self.delimiter, kinds)
        if found is not None:
            line, message = found
            return self.error(message, line)
        return self.error(f"Polars could not read the CSV: {str(exc).splitlines()[0]}")

    def check_last_row(self, last_column: pl.Series, data: bytes) -> None:
        """Catch a body cut short: Polars pads a short last row with nulls instead of failing."""
        if last_column.is_empty() or data.endswith(b"\n") or last_column[-1] is not None:
            return
        fields = tail_record_fields(data, self.delimiter)
        if fields is not None and fields[1] != len(self.names):
            line = line_of_byte(data, fields[0])
            raise self.error(f"the last row has {fields[1]} fields, the header has {len(self.names)}", line)

    def row_error(self, message: str, row: int) -> ParseError:
        """The error for a bad value in data row ``row``; a broken row found before it wins."""
        kinds = [(col.api_name, col.kind) if col else (name, Kind.TEXT) for name, col in _named(self)]
        found = find_bad_row(self.data, self.start, self.delimiter, kinds)
        if found is not None:
            return self.error(found[1], found[0])
        return self.error(message, line_of_row(self.data, self.start, self.delimiter, row))


def _named(body: _CsvBody) -> list[tuple[str, Column | None]]:
    return [(name, column_by_api_name(name)) for name in body.names]


def _strip_trailing_blank_lines(data: bytes) -> bytes:
    """Drop blank lines at the very end (Polars would read each as a row of nulls)."""
    end = len(data)
    while end > 0 and data[end - 1] in b"\r\n":
        end -= 1
    keep = end + (2 if data[end : end + 2] == b"\r\n" else 1 if end < len(data) else 0)
    return data if keep == len(data) else data[:keep]
