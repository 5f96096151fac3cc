"""digitalcx_frames.features on a hand-built log whose answers are known, on every backend."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pandas as pd
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

import digitalcx_frames as dcx
from digitalcx_frames import InteractionType, features, flag_ops
from digitalcx_frames.features._exprs import normalised_question
from digitalcx_frames.schema import polars_schema, to_pandas
from digitalcx_frames.simulator import Simulator

UTC = dt.UTC
T0 = dt.datetime(2026, 3, 24, 23, 20, tzinfo=UTC)  # 00:20 on the 25th in Amsterdam (CET)
T1 = dt.datetime(2026, 3, 25, 0, 30, tzinfo=UTC)
T2 = dt.datetime(2026, 3, 25, 10, 0, tzinfo=UTC)
M = dt.timedelta(minutes=1)

# log_id, uuid, originating, session, active, start, culture, main, mask, value, output, dialog_paths, feedback_info
_ROWS: list[tuple[Any, ...]] = [
    (1, "i1", None, "s1", True, T0, "nl", "Event", 1, None, "Welkom", None, None),
    (2, "i2", None, "s1", True, T0 + M, "nl", "QA", 10, "  Openingstijden?? ", "9-17", None, None),
    (
        3,
        "i3",
        "i2",
        "s1",
        True,
        T0 + 2 * M,
        "nl",
        "Feedback",
        32,
        "no",
        None,
        None,
        '{"score": -1, "comment": "te kort"}',
    ),
    (4, "i4", None, "s1", True, T0 + 3 * M, "nl", "GenerativeAI", 512, "Parkeren", "Gratis.", None, None),
    (5, "i5", "i4", "s1", True, T0 + 4 * M, "nl", "LinkClick", 16, None, None, None, None),
    (6, "i6", None, "s1", True, T0 + 5 * M, "nl", "Dialog", 8, "12:3", "Kies", '{"DropOut":"12:34"}', None),
    (7, "i7", None, "s2", True, T1, "en", "QA", 2, "openingstijden", "9-17", None, None),
    (
        8,
        "i8",
        None,
        "s2",
        True,
        T1 + M,
        "en",
        "Feedback",
        32,
        "yes",
        None,
        None,
        '{"score":1,"originatingInteractionId":"i7"}',
    ),
    (9, "i9", None, "s2", True, T1 + 2 * M, "en", "GenerativeAI", 512, "Openingstijden!", "Van 9 tot 5", None, None),
    (10, "i10", "i9", "s2", True, T1 + 3 * M, "en", "Feedback", 32, "no", None, None, None),
    (11, "i11", None, "s3", False, T2, "nl", "Event", 1, None, "Welkom", None, None),
    (12, "i12", None, "s3", False, T2 + M, "nl", "DataRetrieval", 256, None, None, None, None),
]
_NAMES = [
    "log_id",
    "interaction_uuid",
    "originating_interaction_uuid",
    "session_uuid",
    "session_is_active",
    "timestamp_start",
    "culture",
    "main_interaction_type",
    "all_interaction_types",
    "interaction_value",
    "output_text",
    "dialog_paths",
    "feedback_info",
]


def _logs() -> pl.DataFrame:
    schema = polars_schema()
    frame = pl.DataFrame(_ROWS, schema={name: schema[name] for name in _NAMES}, orient="row")
    frame = frame.with_columns(timestamp_end=pl.col("timestamp_start") + dt.timedelta(seconds=1))
    # every documented column, in the reader's order, missing ones null
    return frame.select(
        pl.col(name) if name in frame.columns else pl.lit(None, dtype=dtype).alias(name)
        for name, dtype in schema.items()
    ).sample(fraction=1.0, shuffle=True, seed=7)  # outputs must not depend on input order


def _plain_pandas(frame: pl.DataFrame) -> pd.DataFrame:
    out = frame.to_pandas()
    out["all_interaction_types"] = out["all_interaction_types"].astype("float64")  # what a null does
    return out


BACKENDS: dict[str, Callable[[pl.DataFrame], Any]] = {
    "polars-eager": lambda f: f,
    "polars-lazy": lambda f: f.lazy(),
    "pandas-nullable": to_pandas,
    "pandas-plain": _plain_pandas,
}


@pytest.fixture(params=list(BACKENDS))
def backend(request: pytest.FixtureRequest) -> Callable[[pl.DataFrame], Any]:
    return BACKENDS[request.param]


def _polars(result: Any, like: Any, *, input_columns_kept: bool = False) -> pl.DataFrame:
    """The result as an eager Polars frame, after checking it is the same kind as the input."""
    if isinstance(like, pl.LazyFrame):
        assert isinstance(result, pl.LazyFrame)
        return result.collect()
    if isinstance(like, pl.DataFrame):
        assert isinstance(result, pl.DataFrame)
        return result
    assert isinstance(result, pd.DataFrame)
    new = result.drop(columns=list(like.columns)) if input_columns_kept else result
    assert not any(str(dtype) in {"float64", "object"} for dtype in new.dtypes), new.dtypes
    return pl.from_pandas(result)


def test_sessions(backend: Callable[[pl.DataFrame], Any]) -> None:
    frame = backend(_logs())
    out = _polars(features.sessions(frame), frame)
    assert out["session_uuid"].to_list() == ["s1", "s2", "s3"]
    assert out["culture"].cast(pl.String).to_list() == ["nl", "en", "nl"]
    assert out["start"].to_list() == [T0, T1, T2]
    assert out["end"].to_list() == [
        T0 + 5 * M + dt.timedelta(seconds=1),
        T1 + 3 * M + dt.timedelta(seconds=1),
        T2 + M + dt.timedelta(seconds=1),
    ]
    assert out["duration"].to_list() == [
        dt.timedelta(minutes=5, seconds=1),
        dt.timedelta(minutes=3, seconds=1),
        dt.timedelta(minutes=1, seconds=1),
    ]
    assert out["interactions"].to_list() == [6, 4, 2]
    assert out["user_interactions"].to_list() == [5, 4, 0]
    assert out["is_active"].to_list() == [True, True, False]
    assert out["types"].to_list() == [571, 546, 257]
    counts = out.select(pl.col("^n_.*$")).rows()
    assert counts == [(1, 1, 0, 1, 1, 1, 0, 0, 0, 1), (0, 1, 0, 0, 0, 2, 0, 0, 0, 1), (1, 0, 0, 0, 0, 0, 0, 0, 1, 0)]
    assert out["first_question"].to_list() == ["  Openingstijden?? ", "openingstijden", None]
    assert out["had_feedback"].to_list() == [True, True, False]
    assert out["mean_feedback_score"].to_list() == [-1.0, 0.0, None]
    assert out["dropped_out"].to_list() == [True, False, False]
    assert out["dropout_node"].to_list() == ["12:34", None, None]
    share = out["generative_ai_share"].to_list()
    assert share[:2] == pytest.approx([1 / 3, 0.5])
    assert share[2] is None


def test_sessions_schema() -> None:
    out = features.sessions(_logs().lazy()).collect_schema()
    assert out["duration"] == pl.Duration("us")
    assert out["types"] == pl.UInt16
    assert out["interactions"] == out["n_generative_ai"] == pl.UInt32
    assert out["mean_feedback_score"] == out["generative_ai_share"] == pl.Float64
    assert out["start"] == pl.Datetime("us", "UTC")
    assert len([name for name in out if name.startswith("n_")]) == 10


def test_daily_summary(backend: Callable[[pl.DataFrame], Any]) -> None:
    frame = backend(_logs())
    utc = _polars(features.daily_summary(frame), frame).with_columns(pl.col("day").cast(pl.Date))
    assert utc.select("day", "interactions", "sessions", "active_sessions", "feedback_up", "feedback_down").rows() == [
        (dt.date(2026, 3, 24), 6, 1, 1, 0, 1),
        (dt.date(2026, 3, 25), 6, 2, 1, 1, 1),
    ]
    assert utc["n_feedback"].to_list() == [1, 2]
    ams = _polars(features.daily_summary(frame, tz="Europe/Amsterdam"), frame).with_columns(pl.col("day").cast(pl.Date))
    assert ams.select("day", "interactions", "sessions", "active_sessions", "n_qa").rows() == [
        (dt.date(2026, 3, 25), 12, 3, 2, 2)
    ]


def test_daily_summary_rejects_unknown_zone() -> None:
    with pytest.raises(ValueError, match="Mars/Olympus"):
        features.daily_summary(_logs(), tz="Mars/Olympus")


def test_one_hot_types(backend: Callable[[pl.DataFrame], Any]) -> None:
    frame = backend(_logs())
    out = _polars(features.one_hot_types(frame), frame, input_columns_kept=True)
    flags = [name for name in out.columns if name.startswith("is_")]
    assert flags == [
        "is_event", "is_qa", "is_faq_click", "is_dialog", "is_link_click",
        "is_feedback", "is_faq_search", "is_transactional_dialog", "is_data_retrieval", "is_generative_ai",
    ]  # fmt: skip
    assert out.columns[: -len(flags)] == list(polars_schema())
    assert out.select(pl.col(flags).cast(pl.UInt32).sum()).row(0) == (2, 2, 0, 2, 1, 3, 0, 0, 1, 2)
    row_2 = out.filter(pl.col("log_id") == 2).select(flags).row(0)
    assert row_2 == (False, True, False, True, False, False, False, False, False, False)


def test_one_hot_types_keeps_pandas_index_and_nulls() -> None:
    frame = pd.DataFrame({"all_interaction_types": [2.0, float("nan"), 512.0], "x": ["a", "b", "c"]}, index=[7, 3, 5])
    out = features.one_hot_types(frame)
    assert list(out.index) == [7, 3, 5]
    assert str(out["is_qa"].dtype) == "boolean"
    assert out["is_qa"].tolist() == [True, pd.NA, False]
    assert out["is_generative_ai"].loc[5]
    assert "is_qa" not in frame.columns  # the input is not modified


def test_top_questions(backend: Callable[[pl.DataFrame], Any]) -> None:
    frame = backend(_logs())
    out = _polars(features.top_questions(frame), frame)
    assert out.columns == ["question", "count", "negative_feedback", "negative_share"]
    assert out.rows() == [("openingstijden", 3, 2, pytest.approx(2 / 3)), ("parkeren", 1, 0, 0.0)]
    assert _polars(features.top_questions(frame, n=1), frame)["question"].to_list() == ["openingstijden"]


@pytest.mark.parametrize("n", [0, -1, True, 2.5])
def test_top_questions_rejects_bad_n(n: Any) -> None:
    with pytest.raises(ValueError, match="n must be"):
        features.top_questions(_logs(), n=n)


def test_top_questions_sorts_ties_by_question() -> None:
    frame = pl.DataFrame({"main_interaction_type": ["QA"] * 3, "interaction_value": ["b", "a.", "c"]})
    assert features.top_questions(frame, n=None)["question"].to_list() == ["a", "b", "c"]


def test_answer_feedback(backend: Callable[[pl.DataFrame], Any]) -> None:
    frame = backend(_logs())
    out = _polars(features.answer_feedback(frame), frame)
    assert out.select(
        "log_id", "interaction_uuid", "n_feedback", "feedback_score", "feedback_comment", "link_clicks"
    ).rows() == [
        (2, "i2", 1, -1, "te kort", 0),
        (4, "i4", 0, None, None, 1),
        (6, "i6", 0, None, None, 0),
        (7, "i7", 1, 1, None, 0),
        (9, "i9", 1, -1, None, 0),
    ]
    assert out["question"].to_list()[:2] == ["  Openingstijden?? ", "Parkeren"]
    assert out["main_interaction_type"].cast(pl.String).to_list() == [
        "QA",
        "GenerativeAI",
        "Dialog",
        "QA",
        "GenerativeAI",
    ]


def test_pandas_output_dtypes_are_nullable() -> None:
    out = features.sessions(_plain_pandas(_logs()))
    assert str(out["interactions"].dtype) == "UInt32"
    assert str(out["types"].dtype) == "UInt16"
    assert str(out["is_active"].dtype) == "boolean"
    assert str(out["mean_feedback_score"].dtype) == "Float64"
    assert str(out["culture"].dtype) == "category"
    assert str(out["start"].dtype) == "datetime64[us, UTC]"
    assert isinstance(out["first_question"].dtype, pd.StringDtype)
    fb = features.answer_feedback(to_pandas(_logs()))
    assert str(fb["feedback_score"].dtype) == "Int64"
    assert str(fb["log_id"].dtype) == "Int64"


def test_lacking_columns() -> None:
    minimal = _logs().select("session_uuid", "timestamp_start", "main_interaction_type")
    out = features.sessions(minimal)
    assert out["interactions"].to_list() == [6, 4, 2]
    assert out["had_feedback"].to_list() == [True, True, False]  # from the main type alone
    assert out["mean_feedback_score"].null_count() == 3
    with pytest.raises(ValueError, match="main_interaction_type"):
        features.sessions(minimal.drop("main_interaction_type"))
    with pytest.raises(ValueError, match="all_interaction_types"):
        features.one_hot_types(minimal)


def test_empty_frame_keeps_schema() -> None:
    empty = _logs().clear()
    out = features.sessions(empty)
    assert out.height == 0
    assert out.schema == features.sessions(_logs()).schema
    assert features.daily_summary(empty).height == 0
    assert features.answer_feedback(empty).height == 0


def test_rejects_other_inputs() -> None:
    with pytest.raises(TypeError, match="sessions"):
        features.sessions({"session_uuid": ["s"]})  # type: ignore[type-var]


def test_naive_pandas_timestamps_are_utc() -> None:
    frame = _logs().to_pandas()
    frame["timestamp_start"] = frame["timestamp_start"].dt.tz_localize(None)
    out = features.sessions(frame)
    assert out["start"].tolist()[0] == pd.Timestamp(T0)


@given(st.text(alphabet=" \tAbc?!.,é\n", max_size=12))
def test_normalised_question_is_idempotent(text: str) -> None:
    once = pl.select(normalised_question(pl.lit(text, dtype=pl.String))).item()
    if once is not None:
        assert once == once.strip().lower()
        assert "  " not in once
        assert once[-1] not in "?!.,"
        assert pl.select(normalised_question(pl.lit(once))).item() == once


@pytest.mark.parametrize(
    ("name", "column"),
    [
        ("GenAI", "n_generative_ai"),
        ("FaqSearches", "n_faq_search"),
        ("FAQClicks", "n_faq_click"),
        ("T-Dialogs", "n_transactional_dialog"),
        ("generative_ai", "n_generative_ai"),
    ],
)
def test_main_type_names_come_from_the_one_table_in_flags(name: str, column: str) -> None:
    # the features once kept their own copy of the alias table: "GenAI" and "FaqSearches" counted as no type
    assert InteractionType.from_api_name(name)  # flags knows the name ...
    frame = pl.DataFrame(
        {"session_uuid": ["s"], "timestamp_start": [T0], "main_interaction_type": [name]},
        schema_overrides={"timestamp_start": pl.Datetime("us", "UTC")},
    )
    counts = features.sessions(frame).select(pl.col("^n_.*$")).row(0, named=True)
    assert counts[column] == 1  # ... and so do the features
    assert sum(counts.values()) == 1


def test_an_unknown_main_type_counts_as_no_type() -> None:
    frame = pl.DataFrame(
        {"session_uuid": ["s", "s"], "timestamp_start": [T0, T1], "main_interaction_type": ["Smalltalk", None]}
    )
    out = features.sessions(frame)
    assert out.select(pl.sum_horizontal(pl.col("^n_.*$"))).item() == 0
    assert out["user_interactions"].item() == 2  # not an Event or DataRetrieval


def test_one_hot_types_equals_flag_ops_with_one_hot() -> None:
    logs = _logs()
    assert features.one_hot_types(logs).equals(flag_ops.with_one_hot(logs, "all_interaction_types"))


@pytest.mark.parametrize("name", ["top_questions", "answer_feedback", "sessions", "daily_summary"])
def test_a_feature_reads_its_source_once(sim: Simulator, name: str) -> None:
    # top_questions and answer_feedback join the frame with itself; they once scanned it twice
    lazy = dcx.read_interactions(
        sim.customer_key,
        sim.project_key,
        culture=sim.culture,
        start=dt.datetime(2026, 11, 18, tzinfo=UTC),  # two days before the sim fixture's today
        end=dt.datetime(2026, 11, 20, tzinfo=UTC),
        client=dcx.Client(**sim.connection),
        cache=False,
        progress=False,
    )
    lazy.collect()
    once = len(sim.interaction_requests)
    sim.clear_log()
    out = getattr(features, name)(lazy).collect()
    assert out.height > 0
    assert len(sim.interaction_requests) == once


@pytest.mark.parametrize("kind", ["polars-eager", "polars-lazy", "pandas-nullable"])
def test_narwhals_frames_are_accepted_and_given_back(kind: str) -> None:
    nw = pytest.importorskip("narwhals")
    native = BACKENDS[kind](_logs())
    wrapped = nw.from_native(native)
    out = features.top_questions(wrapped)
    assert type(out).__module__.startswith("narwhals")
    assert type(out.to_native()) is type(native)
    expected = _polars(features.top_questions(native), native)
    assert _polars(out.to_native(), native).equals(expected)
    flags = features.one_hot_types(wrapped)
    assert type(flags.to_native()) is type(native)
    assert "is_generative_ai" in flags.columns


def test_a_narwhals_frame_of_another_library_gets_a_clear_error() -> None:
    nw = pytest.importorskip("narwhals")
    pa = pytest.importorskip("pyarrow")
    wrapped = nw.from_native(pa.table({"session_uuid": ["s"]}))
    with pytest.raises(
        TypeError, match=r"sessions\(\) works on Polars and pandas frames; this narwhals frame wraps a pyarrow"
    ):
        features.sessions(wrapped)
