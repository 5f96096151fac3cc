"""features.decode_json: every declared JSON column, case variants, missing keys, bad values, every kind."""

from __future__ import annotations

import warnings
from typing import Any

import pandas as pd
import polars as pl
import pytest

from digitalcx_frames import features
from digitalcx_frames.errors import DataWarning
from digitalcx_frames.schema import json_dtypes, to_pandas

# column -> [(text, expected decoded value)]; the last cases of each column do not fit (-> None)
CASES: dict[str, list[tuple[str | None, Any]]] = {
    "feedback_info": [
        (
            '{"score": 1, "originatingInteractionId": "i1"}',
            {"score": 1, "originating_interaction_id": "i1", "comment": None},
        ),
        (
            '{"Score":-1,"OriginatingInteractionId":"i2","Comment":"te kort"}',
            {"score": -1, "originating_interaction_id": "i2", "comment": "te kort"},
        ),
        ('{"SCORE" : 1, "extra": {"deep": [1]}}', {"score": 1, "originating_interaction_id": None, "comment": None}),
        ("{}", {"score": None, "originating_interaction_id": None, "comment": None}),
        (None, None),
        ("null", None),
    ],
    "output_metadata": [
        ('[{"key":"escalationGroup","value":"billing"}]', [{"key": "escalationGroup", "value": "billing"}]),
        ('[{"Key":"conversation_id","Value":"{\\"a\\": 1}"}]', [{"key": "conversation_id", "value": '{"a": 1}'}]),
        ('[{"key":"n","value":5}]', [{"key": "n", "value": "5"}]),
        ("[]", []),
    ],
    "article_ids": [
        ('["qa-42","dn-7-3","e-9"]', ["qa-42", "dn-7-3", "e-9"]),
        ("[]", []),
    ],
    "dialog_paths": [
        ('{"DropOut":"12:34"}', {"drop_out": "12:34"}),
        ('{"dropOut":"5:6","Other":1}', {"drop_out": "5:6"}),
    ],
    "recognition_details": [
        (
            '{"entityMatches":[{"entityId":"7","displayName":"City","name":"city","match":"Utrecht"}],"missingWords":[]}',
            {"entity_matches": [{"entity_id": "7", "display_name": "City", "name": "city", "match": "Utrecht"}]},
        ),
        (
            '{"EntityMatches":[{"EntityId":8}]}',
            {"entity_matches": [{"entity_id": "8", "display_name": None, "name": None, "match": None}]},
        ),
    ],
    "articles": [
        (
            '{"qa":[{"articleId":42,"categories":[{"name":"Opening"}]}],'
            '"dialog":[{"dialogId":"7","dialogName":"Move","nodeId":"3","nodeName":"Ask date",'
            '"dialogStatus":"Active","nodeType":"Question"}],'
            '"event":[{"eventId":"1","eventName":"Welcome"}]}',
            {
                "qa": [{"article_id": "42", "categories": [{"name": "Opening"}]}],
                "dialog": [
                    {
                        "dialog_id": "7",
                        "dialog_name": "Move",
                        "node_id": "3",
                        "node_name": "Ask date",
                        "dialog_status": "Active",
                        "node_type": "Question",
                    }
                ],
                "event": [{"event_id": "1", "event_name": "Welcome"}],
            },
        ),
        (
            '{"QA":[{"ArticleId":"1"}]}',
            {"qa": [{"article_id": "1", "categories": None}], "dialog": None, "event": None},
        ),
    ],
    "contexts": [
        ('[{"name":"channel","value":"web"}]', [{"name": "channel", "value": "web"}]),
        ('[{"Name":"Name","Value":"name"}]', [{"name": "Name", "value": "name"}]),  # values are never rewritten
    ],
    "pages": [
        ('{"originatingPage":"https://example.nl/a?b=1"}', {"originating_page": "https://example.nl/a?b=1"}),
        ('{"OriginatingPage":null}', {"originating_page": None}),
    ],
}
# values that are not JSON or do not fit the declared type: null, counted, raw kept
BAD: dict[str, list[str]] = {
    "feedback_info": ['{"score": "x"}', '{"score": 300}', "[1, 2]", "5", '{"score": 1', '{"comment": {"a": 1}}'],
    "output_metadata": ['{"key":"a"}', '[{"key":"a","value":{"b":1}}]', '["x"]', "not json"],
    "article_ids": ['"qa-1"', "[{}]", "[1,"],
    "dialog_paths": ["[]", '{"DropOut":["a"]}'],
    "recognition_details": ['{"entityMatches":{"entityId":"7"}}'],
    "articles": ['[{"id":42,"type":"qa"}]', '{"qa":5}'],
    "contexts": ['{"name":"a"}'],
    "pages": ['"https://x"', "{"],
}


def _frame() -> pl.DataFrame:
    height = max(len(CASES[c]) + len(BAD[c]) + 1 for c in CASES)
    data: dict[str, list[str | None]] = {}
    for column, cases in CASES.items():
        texts = [text for text, _ in cases] + BAD[column] + ["   "]
        data[column] = texts + [None] * (height - len(texts))
    return pl.DataFrame(data, schema=dict.fromkeys(data, pl.String)).with_row_index("row")


def _expected(column: str, height: int) -> list[Any]:
    values = [value for _, value in CASES[column]] + [None] * len(BAD[column]) + [None]
    return values + [None] * (height - len(values))


def _decode(frame: Any, **options: Any) -> tuple[Any, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = features.decode_json(frame, **options)
        if isinstance(out, pl.LazyFrame):
            out = out.collect()
    assert all(issubclass(w.category, DataWarning) for w in caught)
    return out, [str(w.message) for w in caught]


def test_every_declared_column_decodes_case_variants_missing_keys_and_bad_values() -> None:
    frame = _frame()
    out, messages = _decode(frame)
    assert out.schema == pl.Schema({"row": pl.UInt32(), **{c: json_dtypes()[c] for c in CASES}})
    for column in CASES:
        assert out[column].to_list() == _expected(column, frame.height), column
    assert set(CASES) == set(json_dtypes())  # every declared column is tested here
    # one warning per column, with the count of values that did not fit
    for column, bad in BAD.items():
        assert [m for m in messages if f" of {column} " in m] == [
            m for m in messages if m.startswith(f"decode_json: {len(bad)} value(s) of {column} ")
        ]
        assert sum(f" of {column} " in m for m in messages) == 1, column
    assert len(messages) == len(BAD)


def test_keep_raw_keeps_the_text_next_to_each_decoded_column() -> None:
    frame = _frame()
    out, messages = _decode(frame, keep_raw=True)
    assert out.columns[1:5] == ["feedback_info", "feedback_info_raw", "output_metadata", "output_metadata_raw"]
    for column in CASES:
        assert out[f"{column}_raw"].to_list() == frame[column].to_list()
    assert all("kept as text in" in m for m in messages)


def test_same_kind_out_and_the_same_values_on_every_kind() -> None:
    frame = _frame()
    eager, _ = _decode(frame)
    lazy = features.decode_json(frame.lazy())
    assert isinstance(lazy, pl.LazyFrame)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        assert lazy.collect().equals(eager)
    pandas_in = frame.to_pandas().set_index(pd.Index(range(100, 100 + frame.height)))
    pandas_out, messages = _decode(pandas_in)
    assert isinstance(pandas_out, pd.DataFrame)
    assert list(pandas_out.index) == list(pandas_in.index)
    for column in CASES:
        assert isinstance(pandas_out[column].dtype, pd.ArrowDtype), column
    assert pl.from_pandas(pandas_out.reset_index(drop=True)).equals(eager)
    decoded = list(CASES)
    assert pandas_out[decoded].equals(to_pandas(eager)[decoded].set_axis(pandas_in.index))
    assert pandas_out["row"].dtype == pandas_in["row"].dtype  # other columns as they were
    assert len(messages) == len(BAD)
    assert frame.schema["feedback_info"] == pl.String  # input untouched


def test_decoding_twice_is_harmless_and_silent() -> None:
    once, _ = _decode(_frame())
    twice, messages = _decode(once)
    assert twice.equals(once)
    assert messages == []


def test_columns_chooses_and_checks() -> None:
    frame = _frame()
    out, messages = _decode(frame, columns=["pages"])
    assert out.schema["pages"] == json_dtypes()["pages"]
    assert out.schema["feedback_info"] == pl.String
    assert len(messages) == 1
    with pytest.raises(ValueError, match=r"variables.*no declared JSON shape"):
        features.decode_json(frame, columns=["variables"])
    with pytest.raises(ValueError, match="lacks the column"):
        features.decode_json(frame.drop("pages"), columns=["pages"])


def test_a_clean_frame_decodes_without_warnings() -> None:
    frame = pl.DataFrame({"feedback_info": ['{"score": 1}', None, ""], "other": [1, 2, 3]})
    out, messages = _decode(frame)
    assert messages == []
    assert out["feedback_info"].struct.field("score").to_list() == [1, None, None]
    assert out["other"].to_list() == [1, 2, 3]


def test_undeclared_and_absent_columns_are_left_alone() -> None:
    frame = pl.DataFrame({"faqs_found": ['[{"id":1}]'], "variables": ['{"a":1}']})
    out, messages = _decode(frame)
    assert out.equals(frame)
    assert messages == []


def test_repeated_values_are_decoded_once_and_counted_per_row() -> None:
    values = ['{"originatingPage":"https://x.nl/a"}', "{broken", None, '{"OriginatingPage":"https://x.nl/b"}']
    frame = pl.DataFrame({"pages": [values[i % 4] for i in range(1000)]})
    out, messages = _decode(frame)
    assert messages == ["decode_json: 250 value(s) of pages " + messages[0].split(" of pages ", 1)[1]]
    one_by_one = [features.decode_json(pl.DataFrame({"pages": [v]}))["pages"].item() for v in values if v != "{broken"]
    expected = [one_by_one[0], None, None, one_by_one[2]]
    assert out["pages"].to_list() == [expected[i % 4] for i in range(1000)]


def test_what_the_read_uses_per_batch_tally_then_one_warning_per_column() -> None:
    from collections import Counter

    from digitalcx_frames.features._json import decode_json_columns, decoded_schema, warn_failures

    frame = _frame()
    tally: Counter[str] = Counter()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing is warned while batches are decoded
        batches = [decode_json_columns(batch, keep_raw=True, tally=tally) for batch in frame.iter_slices(4)]
    assert pl.concat(batches).equals(_decode(frame, keep_raw=True)[0])
    assert dict(tally) == {column: len(bad) for column, bad in BAD.items()}
    assert batches[0].schema == decoded_schema(frame.schema, keep_raw=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warn_failures(tally)
    assert sorted(str(w.message).split(" of ")[1].split()[0] for w in caught) == sorted(BAD)
