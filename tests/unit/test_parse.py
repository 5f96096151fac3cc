"""parse_body: one CSV or JSON body -> the typed frame, and every way a body can be wrong."""

from __future__ import annotations

import csv
import io
import json
import random
from datetime import UTC, datetime
from typing import Any, Literal

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from digitalcx_frames._read.parse import ParsedPage, empty_frame, parse_body
from digitalcx_frames.errors import ParseError
from digitalcx_frames.flags import UNKNOWN_BIT, InteractionType
from digitalcx_frames.schema import API_COLUMN_NAMES, COLUMNS, polars_schema

BOM = b"\xef\xbb\xbf"


def row(i: int = 1, **values: str) -> dict[str, str]:
    """A valid wire row (API names -> text); keyword arguments override fields."""
    base = {
        "LogId": str(5_300_000_000 + i),
        "InteractionUuid": f"int-{i}",
        "OriginatingInteractionUuid": "",
        "SessionUuid": f"ses-{i}",
        "SessionIsActive": "True",
        "TimestampStart": "2026-03-25T09:30:22.605Z",
        "TimestampEnd": "2026-03-25T09:30:23.100Z",
        "Culture": "nl",
        "MainInteractionType": "QA",
        "AllInteractionTypes": '[ "Dialog", "QA"]',
        "InteractionValue": "Hoe wijzig ik mijn adres?",
        "OutputText": "Ga naar Mijn café, € 12,50",
        "OutputMetadata": '[{"key":"channel","value":"web"}]',
        "RecognitionQuality": "87.5",
    }
    base.update(values)
    return base


def csv_body(
    rows: list[dict[str, str]],
    *,
    header: tuple[str, ...] | list[str] = API_COLUMN_NAMES,
    delimiter: str = ",",
    bom: bool = False,
    quoting: Literal[0, 1, 2, 3] = csv.QUOTE_MINIMAL,
    names: list[str] | None = None,
) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n", quoting=quoting)
    writer.writerow(names if names is not None else header)
    for r in rows:
        writer.writerow([r.get(name, "") for name in header])
    return (BOM if bom else b"") + out.getvalue().encode("utf-8")


def parse(body: bytes, **kwargs: Any) -> pl.DataFrame:
    return parse_body(body, **kwargs).frame


# --- the happy paths --------------------------------------------------------------------------


def test_schema_is_exact_and_values_typed() -> None:
    page = parse_body(csv_body([row(1), row(2, SessionIsActive="False")]))
    assert isinstance(page, ParsedPage)
    assert page.frame.schema == polars_schema()
    first = page.frame.row(0, named=True)
    assert first["log_id"] == 5_300_000_001
    assert first["timestamp_start"] == datetime(2026, 3, 25, 9, 30, 22, 605_000, tzinfo=UTC)
    assert first["all_interaction_types"] == int(InteractionType.DIALOG | InteractionType.QA)
    assert first["recognition_quality"] == 87.5
    assert first["output_text"] == "Ga naar Mijn café, € 12,50"
    assert page.frame.get_column("session_is_active").to_list() == [True, False]
    assert page.unknown_types == {}
    assert page.extra_columns == ()
    assert page.n_bytes == len(csv_body([row(1), row(2, SessionIsActive="False")]))


@pytest.mark.parametrize("delimiter", [",", "|", ";", "\t"])
def test_delimiter_is_detected(delimiter: str) -> None:
    rows = [row(1, OutputText="a, b | c ; d \t e"), row(2)]
    assert_frame_equal(parse(csv_body(rows, delimiter=delimiter)), parse(csv_body(rows)))
    assert parse(csv_body(rows, delimiter=delimiter)).item(0, "output_text") == "a, b | c ; d \t e"


def test_bom_and_lower_case_header() -> None:
    rows = [row(1), row(2)]
    plain = parse(csv_body(rows))
    assert_frame_equal(parse(csv_body(rows, bom=True)), plain)
    lower = csv_body(rows, names=[n.lower() for n in API_COLUMN_NAMES], bom=True, delimiter="|")
    assert_frame_equal(parse(lower), plain)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-25T09:30:22.605Z", datetime(2026, 3, 25, 9, 30, 22, 605_000, tzinfo=UTC)),
        ("2026-03-25T09:30:22Z", datetime(2026, 3, 25, 9, 30, 22, tzinfo=UTC)),
        ("2026-03-25T09:30:22.605+00:00", datetime(2026, 3, 25, 9, 30, 22, 605_000, tzinfo=UTC)),
        ("2026-03-25T11:30:22+02:00", datetime(2026, 3, 25, 9, 30, 22, tzinfo=UTC)),
        ("03/25/2026 09:30:22", datetime(2026, 3, 25, 9, 30, 22, tzinfo=UTC)),
    ],
)
def test_timestamp_formats(text: str, expected: datetime) -> None:
    frame = parse(csv_body([row(1, TimestampStart=text, TimestampEnd=text)]))
    assert frame.row(0, named=True)["timestamp_start"] == expected
    assert frame.row(0, named=True)["timestamp_end"] == expected


def test_mixed_timestamp_formats_in_one_body() -> None:
    rows = [row(1, TimestampStart="03/25/2026 09:30:22"), row(2, TimestampStart="2026-03-25T09:30:23Z")]
    got = parse(csv_body(rows)).get_column("timestamp_start").to_list()
    assert got == [datetime(2026, 3, 25, 9, 30, 22, tzinfo=UTC), datetime(2026, 3, 25, 9, 30, 23, tzinfo=UTC)]


def test_booleans_in_any_case() -> None:
    rows = [row(i, SessionIsActive=v) for i, v in enumerate(["True", "False", "true", "false"])]
    assert parse(csv_body(rows)).get_column("session_is_active").to_list() == [True, False, True, False]


def test_masks_categoricals_and_unknown_names() -> None:
    rows = [
        row(1, AllInteractionTypes='["QA","Dialog"]'),
        row(2, AllInteractionTypes='[ "Dialog", "QA"]'),
        row(3, AllInteractionTypes="[]", MainInteractionType="Smalltalk"),
        row(4, AllInteractionTypes='["QA", "Smalltalk"]'),
        row(5, AllInteractionTypes='["Smalltalk","Chitchat"]'),
        row(6, AllInteractionTypes='["TransactionalDialog"]', Culture="nl-NL"),
    ]
    page = parse_body(csv_body(rows))
    masks = page.frame.get_column("all_interaction_types").to_list()
    assert masks == [10, 10, 0, 2 | UNKNOWN_BIT, UNKNOWN_BIT, 128]
    assert page.unknown_types == {"Smalltalk": 2, "Chitchat": 1}
    assert page.frame.schema["main_interaction_type"] == pl.Categorical()
    assert page.frame.get_column("main_interaction_type").to_list()[2] == "Smalltalk"
    assert page.frame.get_column("culture").to_list()[-1] == "nl-NL"


@pytest.mark.parametrize("quoting", [csv.QUOTE_MINIMAL, csv.QUOTE_ALL])
def test_empty_strings_become_null(quoting: Literal[0, 1, 2, 3]) -> None:
    body = csv_body([row(1, InteractionValue="", OutputText="", RecognitionQuality="", Variables="")], quoting=quoting)
    got = parse(body).row(0, named=True)
    assert got["interaction_value"] is None
    assert got["output_text"] is None
    assert got["recognition_quality"] is None
    assert got["variables"] is None
    assert got["originating_interaction_uuid"] is None


def test_missing_column_is_a_typed_null_column() -> None:
    header = [n for n in API_COLUMN_NAMES if n not in ("Variables", "RecognitionQuality", "DialogPaths")]
    page = parse_body(csv_body([row(1)], header=header))
    assert page.frame.schema == polars_schema()
    assert page.frame.get_column("recognition_quality").to_list() == [None]
    assert page.missing_columns == ("dialog_paths", "recognition_quality", "variables")


def test_extra_columns_are_kept_as_text_at_the_end() -> None:
    header = [*API_COLUMN_NAMES[:5], "NewThing", *API_COLUMN_NAMES[5:], "log_id"]
    page = parse_body(csv_body([row(1, NewThing="42", log_id="x"), row(2)], header=header))
    assert page.extra_columns == ("NewThing", "log_id")
    assert page.frame.columns[: len(COLUMNS)] == list(polars_schema())
    assert page.frame.columns[len(COLUMNS) :] == ["NewThing", "log_id_extra"]
    assert page.frame.get_column("NewThing").to_list() == ["42", None]
    assert page.frame.schema["NewThing"] == pl.String()


@pytest.mark.parametrize("body", [csv_body([]), csv_body([]).rstrip(), BOM + csv_body([], delimiter="|")])
def test_header_only_is_an_empty_frame(body: bytes) -> None:
    page = parse_body(body)
    assert_frame_equal(page.frame, empty_frame())
    assert page.frame.height == 0


def test_empty_frame_has_the_schema() -> None:
    assert empty_frame().schema == polars_schema()
    assert empty_frame().height == 0


@pytest.mark.parametrize("kind", [bytearray, memoryview])
def test_bytearray_and_memoryview(kind: type[bytearray] | type[memoryview]) -> None:
    body = csv_body([row(1)], bom=True)
    assert_frame_equal(parse_body(kind(body)).frame, parse(body))


def test_trailing_blank_lines_are_ignored() -> None:
    body = csv_body([row(1), row(2)])
    assert_frame_equal(parse(body + b"\r\n\r\n"), parse(body))
    assert_frame_equal(parse(body.rstrip()), parse(body))


def test_several_megabytes_with_quoted_newlines() -> None:
    rng = random.Random(7)
    rows = []
    for i in range(12_000):
        text = " ".join(rng.choice(["café", "€", "a,b", 'zeg "ja"', "x|y", "één"]) for _ in range(40))
        if i % 10 == 0:
            text += "\r\nnieuwe regel\n, nog één"
        rows.append(row(i, OutputText=text, OutputMetadata=json.dumps({"k": text[:30]}, ensure_ascii=False)))
    body = csv_body(rows, bom=True)
    assert len(body) > 3_000_000
    frame = parse(body)
    assert frame.height == len(rows)
    assert frame.get_column("output_text").to_list() == [r["OutputText"] for r in rows]
    assert frame.get_column("log_id").to_list() == [int(r["LogId"]) for r in rows]
    assert frame.get_column("output_text").str.contains("\n").sum() == 1_200


# --- errors -----------------------------------------------------------------------------------


def parse_error(body: bytes) -> ParseError:
    with pytest.raises(ParseError) as info:
        parse_body(body, window="2026-03-25T00:00:00Z/2026-03-26T00:00:00Z", page=3)
    assert info.value.window == "2026-03-25T00:00:00Z/2026-03-26T00:00:00Z"
    assert info.value.page == 3
    return info.value


@pytest.mark.parametrize("body", [b"", BOM, b"\r\n"])
def test_empty_body_is_an_error(body: bytes) -> None:
    assert "empty" in parse_error(body).message


def test_html_page_is_an_error() -> None:
    err = parse_error(b"<!DOCTYPE html>\n<html><body>Sign in</body></html>\n")
    assert err.line == 1
    assert "not the documented CSV header" in err.message


def test_duplicate_header_is_an_error() -> None:
    err = parse_error(csv_body([row(1)], names=[*API_COLUMN_NAMES[:-1], "logid"]))
    assert err.line == 1


def quoted_newline_rows() -> list[dict[str, str]]:
    """Rows on lines 2-3, 4 and 5-7."""
    return [
        row(1, OutputText="twee\nregels"),
        row(2, InteractionValue="Adres wijzigen"),
        row(3, OutputText="drie\r\nregels\nhier"),
    ]


def test_too_many_fields_names_the_line() -> None:
    body = csv_body(quoted_newline_rows()) + b"5300000009,a,b,c" + b",x" * len(COLUMNS) + b"\r\n"
    err = parse_error(body)
    assert err.line == 8  # row 3 spans lines 5-7
    assert "fields" in err.message


def test_too_few_fields_names_the_line() -> None:
    body = csv_body(quoted_newline_rows())
    at = body.index(b"5300000003")
    err = parse_error(body[:at] + b"5300000009,int-9,,ses-9\r\n" + body[at:])
    assert err.line == 5
    assert "4 fields" in err.message


def test_row_split_by_a_bare_newline_names_the_line() -> None:
    body = csv_body(quoted_newline_rows()).replace(b"Adres wijzigen", b"Adres\nwijzigen")
    err = parse_error(body)
    assert err.line == 4  # row 1 spans lines 2-3: the split row 2 starts on line 4
    assert "fields" in err.message


def test_body_cut_short_names_the_last_line() -> None:
    full = csv_body(quoted_newline_rows())
    cut = full[: full.rindex(b"[{")]  # inside row 3, which starts on line 5
    err = parse_error(cut)
    assert err.line == 5
    assert "cut short" in err.message
    err = parse_error(full[: full.rindex(b",,87.5")])  # not inside quotes: a short last row
    assert err.line == 5
    assert "fields" in err.message


def test_unclosed_quote_names_the_line() -> None:
    body = csv_body(quoted_newline_rows()) + b'5300000009,"int-9,x\r\n'
    err = parse_error(body)
    assert err.line == 8


def test_invalid_utf8_names_the_line() -> None:
    body = csv_body(quoted_newline_rows()).replace(b"drie", b"dr\xff\xfee")
    err = parse_error(body)
    assert err.line == 5
    assert "UTF-8" in err.message


@pytest.mark.parametrize(
    ("field", "value", "line"),
    [
        ("LogId", "", 5),
        ("LogId", "53e9x", 5),
        ("SessionIsActive", "yes", 5),
        ("SessionIsActive", "", 5),
        ("TimestampStart", "25-03-2026", 5),
        ("TimestampEnd", "", 5),
        ("AllInteractionTypes", "", 5),
        ("AllInteractionTypes", "QA", 5),
        ("SessionUuid", "", 5),
        ("RecognitionQuality", "hoog", 5),
    ],
)
def test_required_value_that_does_not_parse_names_column_and_line(field: str, value: str, line: int) -> None:
    rows = quoted_newline_rows()
    rows.append(row(3, **{field: value}))  # row 4 starts on line 7; put it at line 5 instead:
    rows[2], rows[3] = rows[3], rows[2]
    err = parse_error(csv_body(rows))
    assert err.line == line
    assert field in err.message


# --- JSON -------------------------------------------------------------------------------------


def json_rows(rows: list[dict[str, str]], *, camel: bool = True) -> list[dict[str, Any]]:
    out = []
    for i, r in enumerate(rows):
        obj: dict[str, Any] = {}
        for key, value in r.items():
            name = key[0].lower() + key[1:] if camel else key
            if key == "LogId" and i % 2:
                obj[name] = int(value)
            elif key == "SessionIsActive" and i % 2:
                obj[name] = value == "True"
            elif key == "AllInteractionTypes" and i % 2:
                obj[name] = json.loads(value)
            elif key == "RecognitionQuality" and value and i % 2:
                obj[name] = float(value)
            else:
                obj[name] = value
        out.append(obj)
    return out


@pytest.mark.parametrize("camel", [True, False])
def test_json_gives_the_same_frame_as_csv(camel: bool) -> None:
    rows = [*quoted_newline_rows(), row(4, AllInteractionTypes='["QA","Smalltalk"]', Variables="")]
    from_csv = parse_body(csv_body(rows))
    from_json = parse_body(json.dumps(json_rows(rows, camel=camel)).encode(), format="json")
    assert_frame_equal(from_json.frame, from_csv.frame)
    assert from_json.unknown_types == from_csv.unknown_types == {"Smalltalk": 1}
    assert from_csv.missing_columns == ()
    assert "variables" not in from_json.missing_columns
    assert "dialog_paths" in from_json.missing_columns


def test_json_empty_array_and_extra_keys() -> None:
    assert_frame_equal(parse(b"[]", format="json"), empty_frame())
    page = parse_body(json.dumps([{**row(1), "NewThing": {"a": 1}}]).encode(), format="json")
    assert page.extra_columns == ("NewThing",)
    assert page.frame.item(0, "NewThing") == '{"a":1}'


@pytest.mark.parametrize(
    ("body", "line"),
    [(b"", 1), (b'{"LogId": 1}', 1), (b'[\n{"LogId": 1,\n"x": }]', 3), (b"[1]", None), (b'[{"LogId": "x"}]', None)],
)
def test_json_errors(body: bytes, line: int | None) -> None:
    with pytest.raises(ParseError) as info:
        parse_body(body, format="json")
    assert info.value.line == line


def test_json_required_value_missing() -> None:
    rows = json_rows([row(1), row(2)])
    del rows[1]["timestampStart"]
    with pytest.raises(ParseError, match="TimestampStart"):
        parse_body(json.dumps(rows).encode(), format="json")


def test_unknown_format_is_rejected() -> None:
    with pytest.raises(ValueError, match="format"):
        parse_body(b"[]", format="xml")  # type: ignore[arg-type]


def test_json_key_case_may_vary_between_objects_but_not_repeat() -> None:
    rows = json_rows([row(1), row(2)])
    rows[1] = {key[0].upper() + key[1:]: value for key, value in rows[1].items()}
    frame = parse(json.dumps(rows).encode(), format="json")
    assert frame.get_column("log_id").to_list() == [5_300_000_001, 5_300_000_002]
    rows[0]["LOGID"] = "1"
    with pytest.raises(ParseError, match="twice"):
        parse_body(json.dumps(rows).encode(), format="json")
