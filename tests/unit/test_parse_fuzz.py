"""Round trips: rows drawn from the schema, written the API's ways, parse back to exactly those values."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from digitalcx_frames._read.parse import parse_body
from digitalcx_frames.flags import InteractionType
from digitalcx_frames.schema import COLUMNS, Column, Kind, polars_schema

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Arbitrary unicode without surrogates, rich in what breaks CSV: delimiters, quotes, CR/LF.
_CHARS = st.characters(exclude_categories=["Cs"]) | st.sampled_from(list(',|;\t"\n\r\r\n é€#[{'))
TEXT = st.text(_CHARS, max_size=12)
REQUIRED_TEXT = st.text(_CHARS, min_size=1, max_size=12)
_TYPE_NAMES = st.sampled_from(["QA", "Dialog", "qa", "T-Dialog", "FAQClicks", "GenerativeAI", "Smalltalk", "é"])
_SEPARATORS = st.sampled_from([(",", ":"), (", ", ": "), (" ,\n", ":")])
_EPOCH = datetime(2024, 12, 15, tzinfo=UTC)


@st.composite
def cell(draw: st.DrawFn, column: Column) -> tuple[str, Any]:
    """One wire value (text) and the value the frame must hold."""
    kind = column.kind
    if kind is Kind.INT:
        number = draw(st.integers(min_value=0, max_value=2**62))
        return str(number), number
    if kind is Kind.BOOL:
        flag = draw(st.booleans())
        return draw(st.sampled_from(["True", "true"] if flag else ["False", "false"])), flag
    if kind is Kind.DATETIME:
        seconds = draw(st.integers(min_value=0, max_value=3 * 365 * 86_400))
        millis = draw(st.integers(min_value=0, max_value=999))
        when = _EPOCH + timedelta(seconds=seconds)
        style = draw(st.sampled_from(["ms", "s", "offset", "portal"]))
        if style == "portal":
            return when.strftime("%m/%d/%Y %H:%M:%S"), when
        when += timedelta(milliseconds=millis)
        base = when.strftime("%Y-%m-%dT%H:%M:%S")
        if style == "ms":
            return f"{base}.{millis:03d}Z", when
        if style == "offset":
            return f"{base}.{millis:03d}+00:00", when
        return base + "Z", when - timedelta(milliseconds=millis)
    if kind is Kind.FLOAT:
        real = draw(st.none() | st.floats(allow_nan=False, allow_infinity=False))
        return ("", None) if real is None else (repr(real), real)
    if kind is Kind.MASK:
        spaced = draw(st.booleans())
        text = json.dumps(draw(st.lists(_TYPE_NAMES, max_size=3)), separators=draw(_SEPARATORS), ensure_ascii=spaced)
        return ("[ " + text[1:] if spaced and len(text) > 2 else text), int(
            InteractionType.from_api_names_lenient(text)[0]
        )
    if kind is Kind.CATEGORY and column.name == "main_interaction_type":
        value = draw(st.sampled_from(["QA", "Dialog", "Event", "Smalltalk"]) | REQUIRED_TEXT)
        return value, value
    if not column.nullable:
        value = draw(REQUIRED_TEXT)
        return value, value
    value = draw(TEXT)
    return value, value or None


rows_strategy = st.lists(st.tuples(*(cell(c) for c in COLUMNS)), max_size=4)


def expected_frame(rows: list[tuple[tuple[str, Any], ...]]) -> pl.DataFrame:
    data = {c.name: [r[i][1] for r in rows] for i, c in enumerate(COLUMNS)}
    return pl.DataFrame(data, schema=polars_schema())


def names(case: str) -> list[str]:
    api = [c.api_name for c in COLUMNS]
    return [n.lower() for n in api] if case == "lower" else api


@FUZZ
@given(
    rows=rows_strategy,
    delimiter=st.sampled_from([",", "|", ";", "\t"]),
    bom=st.booleans(),
    eol=st.sampled_from(["\r\n", "\n"]),
    quote_all=st.booleans(),
    case=st.sampled_from(["pascal", "lower"]),
)
def test_csv_round_trip(
    rows: list[tuple[tuple[str, Any], ...]], delimiter: str, bom: bool, eol: str, quote_all: bool, case: str
) -> None:
    # Python's writer quotes a field holding the line terminator's characters only: with a bare
    # "\n" terminator it leaves "\r" unquoted, which no reader can tell from a CRLF line end.
    # The API ends lines with CRLF; a "\n" body is fuzzed with every field quoted.
    quoting: Literal[0, 1] = csv.QUOTE_ALL if quote_all or eol == "\n" else csv.QUOTE_MINIMAL
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=eol, quoting=quoting)
    writer.writerow(names(case))
    writer.writerows([[text for text, _ in r] for r in rows])
    body = (b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode("utf-8")
    page = parse_body(body)
    assert_frame_equal(page.frame, expected_frame(rows))
    assert page.extra_columns == ()


@FUZZ
@given(rows=rows_strategy, camel=st.booleans(), typed=st.booleans())
def test_json_round_trip(rows: list[tuple[tuple[str, Any], ...]], camel: bool, typed: bool) -> None:
    objects = []
    for r in rows:
        obj: dict[str, Any] = {}
        for column, (text, value) in zip(COLUMNS, r, strict=True):
            key = column.api_name[0].lower() + column.api_name[1:] if camel else column.api_name
            native = typed and column.kind in (Kind.INT, Kind.BOOL, Kind.FLOAT) and value is not None
            obj[key] = value if native else text
            if typed and column.kind is Kind.MASK:
                obj[key] = json.loads(text)
        objects.append(obj)
    page = parse_body(json.dumps(objects, ensure_ascii=False).encode("utf-8"), format="json")
    assert_frame_equal(page.frame, expected_frame(rows))
