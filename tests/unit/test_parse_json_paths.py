"""The JSON parser's fast path (Polars' ``read_json``) gives exactly what its exact path gives.

The fast path takes bodies whose keys keep one spelling and whose values keep one JSON
type per key; everything else must fall back to the exact path, never give another frame.
Each body is parsed both ways and compared: same frame, same unknown types, same extras,
or the same error.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from digitalcx_frames._read import parse_json
from digitalcx_frames.errors import ParseError


def obj(i: int, **overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "LogId": 5_300_000_000 + i,
        "InteractionUuid": f"int-{i}",
        "SessionUuid": f"ses-{i // 3}",
        "SessionIsActive": True,
        "TimestampStart": "2026-03-25T09:30:22.605Z",
        "TimestampEnd": "2026-03-25T09:30:23Z",
        "Culture": "nl",
        "MainInteractionType": "QA",
        "AllInteractionTypes": '["QA", "Dialog"]',
        "InteractionValue": f"vraag {i}",
        "OutputMetadata": '[{"key":"channel","value":"web"}]',
        "RecognitionQuality": "87.5",
    }
    base.update(overrides)
    return base


def both(body: bytes) -> tuple[Any, Any]:
    out: list[Any] = []
    for exact in (False, True):
        try:
            out.append(parse_json.parse_json_body(body, exact=exact))
        except ParseError as exc:
            out.append(("error", str(exc)))
    return out[0], out[1]


def assert_same(body: bytes) -> None:
    fast, exact = both(body)
    if isinstance(exact, tuple) or isinstance(fast, tuple):
        assert isinstance(fast, tuple), f"the fast path parsed what the exact path refused: {exact}"
        assert isinstance(exact, tuple), f"the fast path refused what the exact path parsed: {fast}"
        return
    assert_frame_equal(fast.frame, exact.frame)
    assert fast.unknown_types == exact.unknown_types
    assert fast.extra_columns == exact.extra_columns
    assert fast.missing_columns == exact.missing_columns


def test_the_fast_path_is_taken_for_a_plain_body() -> None:
    body = json.dumps([obj(i) for i in range(5)]).encode()
    assert parse_json._read_fast(body) is not None
    assert_same(body)


@pytest.mark.parametrize(
    "objects",
    [
        pytest.param([obj(i, LogId=str(5_300_000_000 + i)) for i in range(3)], id="ids as strings"),
        pytest.param([obj(i, SessionIsActive="True") for i in range(3)], id="booleans as text"),
        pytest.param([obj(i, SessionIsActive="") for i in range(3)], id="empty boolean text"),
        pytest.param([obj(i, RecognitionQuality=87.5) for i in range(3)], id="numbers as numbers"),
        pytest.param([obj(i, RecognitionQuality="") for i in range(3)], id="empty number text"),
        pytest.param([obj(i, InteractionValue=None) for i in range(3)], id="null text"),
        pytest.param([obj(i, Variables=True) for i in range(3)], id="a boolean in a text column"),
        pytest.param([obj(i, Variables=12) for i in range(3)], id="an integer in a text column"),
        pytest.param([obj(i, Variables=1.5) for i in range(3)], id="a float in a text column"),
        pytest.param([obj(i, Variables={"a": i}) for i in range(3)], id="an object in a text column"),
        pytest.param([obj(i, AllInteractionTypes=["QA"]) for i in range(3)], id="types as a list"),
        pytest.param([obj(i, NewThing="x") for i in range(3)], id="an undocumented key"),
        pytest.param([{k[0].lower() + k[1:]: v for k, v in obj(i).items()} for i in range(3)], id="camelCase"),
        pytest.param(
            [obj(0), {k.lower(): v for k, v in obj(1).items()}],
            id="key case varies between objects",
        ),
        pytest.param([obj(i) for i in range(150)] + [obj(150, LogId="x")], id="a misfit after row 100"),
        pytest.param([obj(i) for i in range(150)] + [obj(150, Late="key")], id="a new key after row 100"),
        pytest.param([obj(i) for i in range(150)] + [obj(150, LogId=None)], id="a required null after row 100"),
        pytest.param([obj(i, LogId="12x") for i in range(3)], id="an id that is not a number"),
        pytest.param([obj(i, SessionIsActive="yes") for i in range(3)], id="a boolean that is not one"),
        pytest.param([obj(i, LogId=True) for i in range(3)], id="a boolean id"),
        pytest.param([obj(i, LogId=1.5) for i in range(3)], id="a float id"),
        pytest.param([{"Nothing": 1}], id="no documented key"),
        pytest.param([1, 2], id="not objects"),
    ],
)
def test_both_paths_agree(objects: list[Any]) -> None:
    assert_same(json.dumps(objects, ensure_ascii=False).encode())


def test_a_bom_and_an_object_at_the_top_level() -> None:
    assert_same(b"\xef\xbb\xbf" + json.dumps([obj(1)]).encode())
    assert_same(json.dumps(obj(1)).encode())


_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.text(max_size=6),
    st.sampled_from(["True", "false", "", " 12 ", "3.5", "x"]),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.fixed_dictionaries(
            {},
            optional={
                "LogId": _values,
                "SessionIsActive": _values,
                "RecognitionQuality": _values,
                "InteractionValue": _values,
                "AllInteractionTypes": st.sampled_from(['["QA"]', "", "[]", '["Nope"]']),
                "Culture": _values,
            },
        ),
        min_size=1,
        max_size=6,
    )
)
def test_both_paths_agree_on_generated_bodies(objects: list[dict[str, Any]]) -> None:
    base = [obj(i) for i in range(len(objects))]
    assert_same(json.dumps([{**b, **o} for b, o in zip(base, objects, strict=True)]).encode())


def test_the_one_documented_difference_is_the_spelling_of_json_floats() -> None:
    body = json.dumps([obj(1, Variables=2.0, LogId=5_300_000_001.0)]).encode()
    fast = parse_json.parse_json_body(body)
    assert fast.frame.select("log_id", "variables").row(0) == (5_300_000_001, "2")
    with pytest.raises(ParseError, match="not an integer"):
        parse_json.parse_json_body(body, exact=True)


@pytest.mark.parametrize(
    "objects",
    [
        pytest.param([obj(i) for i in range(3)], id="typed values"),
        pytest.param([obj(i, LogId=str(i), SessionIsActive="False", RecognitionQuality=None) for i in range(3)]),
        pytest.param([obj(0), obj(1, Extra="x")], id="a key missing from the first object"),
    ],
)
def test_ordinary_bodies_take_the_fast_path(objects: list[Any]) -> None:
    assert parse_json._read_fast(json.dumps(objects).encode()) is not None
