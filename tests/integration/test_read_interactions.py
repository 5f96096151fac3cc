"""read_interactions against the simulator over a real loopback socket."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import polars as pl
import pytest
from polars.testing import assert_frame_equal

import digitalcx_frames as dcx
from digitalcx_frames.schema import polars_schema
from digitalcx_frames.simulator import Faults, Simulator
from tests.conftest import SIM_DAY, SIM_TODAY, make_client, read_sim

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
START = SIM_DAY - timedelta(days=2)
END = SIM_DAY + timedelta(days=1)


def read_any(sim: Simulator, *, start: datetime = START, end: datetime = END, **options: Any) -> Any:
    return read_sim(sim, start=start, end=end, **options)


def read(sim: Simulator, *, start: datetime = START, end: datetime = END, **options: Any) -> pl.LazyFrame:
    lazy = read_any(sim, start=start, end=end, **options)
    assert isinstance(lazy, pl.LazyFrame)
    return lazy


def expected_frame(sim: Simulator, start: datetime = START, end: datetime = END, **filters: Any) -> pl.DataFrame:
    """The simulator's ground truth, typed by hand (no library parsing involved)."""
    rows = sim.expected_rows(start, end, **filters)
    return pl.DataFrame(
        {
            "log_id": [r["LogId"] for r in rows],
            "session_uuid": [r["SessionUuid"] for r in rows],
            "session_is_active": [r["SessionIsActive"] for r in rows],
            "timestamp_start": [r["TimestampStart"] for r in rows],
            "timestamp_end": [r["TimestampEnd"] for r in rows],
            "main_interaction_type": [r["MainInteractionType"] for r in rows],
            "all_interaction_types": [int(dcx.InteractionType.from_api_names(r["AllInteractionTypes"])) for r in rows],  # type: ignore[arg-type]
            "interaction_value": [r["InteractionValue"] or None for r in rows],
            "output_text": [r["OutputText"] or None for r in rows],
            "recognition_quality": [r["RecognitionQuality"] for r in rows],
            "feedback_info": [r["FeedbackInfo"] or None for r in rows],
        },
        schema_overrides={
            "interaction_value": pl.String,
            "output_text": pl.String,
            "feedback_info": pl.String,
            "timestamp_start": pl.Datetime("us", "UTC"),
            "timestamp_end": pl.Datetime("us", "UTC"),
            "all_interaction_types": pl.UInt16,
            "recognition_quality": pl.Float64,
        },
    )


def comparable(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select(
        "log_id",
        "session_uuid",
        "session_is_active",
        "timestamp_start",
        "timestamp_end",
        pl.col("main_interaction_type").cast(pl.String),
        "all_interaction_types",
        "interaction_value",
        "output_text",
        "recognition_quality",
        "feedback_info",
    )


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(rows_per_day=300, page_size=100, today=SIM_TODAY, seed=3) as simulator:
        yield simulator


def test_a_multi_day_multi_page_read_equals_the_ground_truth(sim: Simulator) -> None:
    frame = read(sim).collect()
    assert_frame_equal(comparable(frame), expected_frame(sim))
    assert frame["log_id"].is_unique().all()
    assert frame.height > 300  # several pages per day, three days
    requests = sim.interaction_requests
    assert len({r.params.get("continuationToken") for r in requests}) > 3


def test_the_frame_has_exactly_the_documented_schema(shared_sim: Simulator) -> None:
    lazy = read(shared_sim)
    assert lazy.collect_schema() == polars_schema()
    assert lazy.collect().schema == polars_schema()


def test_building_the_frame_makes_no_request_and_head_makes_at_most_two(sim: Simulator) -> None:
    lazy = read(sim, start=SIM_DAY - timedelta(days=29), end=SIM_DAY + timedelta(days=1))
    assert sim.interaction_requests == []
    assert "digitalcx_frames" in lazy.explain()
    assert sim.interaction_requests == []
    head = lazy.head(10).collect()
    assert head.height == 10
    assert len(sim.interaction_requests) <= 2
    assert_frame_equal(comparable(head), expected_frame(sim, SIM_DAY - timedelta(days=29), SIM_DAY).head(10))


def test_a_filter_on_timestamp_start_fetches_only_the_days_it_can_match(sim: Simulator) -> None:
    lazy = read(sim, start=SIM_DAY - timedelta(days=9), end=SIM_DAY + timedelta(days=1))
    low, high = SIM_DAY - timedelta(days=4), SIM_DAY - timedelta(days=3, hours=12)
    frame = lazy.filter(pl.col("timestamp_start").is_between(low, high, closed="left")).collect()
    days = {r.params["startDate"][:10] for r in sim.interaction_requests}
    assert days == {low.strftime("%Y-%m-%d")}
    assert_frame_equal(comparable(frame), expected_frame(sim, low, high))


def test_projection_and_other_predicates_apply_to_every_batch(shared_sim: Simulator) -> None:
    frame = (
        read(shared_sim)
        .filter(pl.col("main_interaction_type") == "QA")
        .select("log_id", "main_interaction_type", "interaction_value")
        .collect()
    )
    truth = expected_frame(shared_sim).filter(pl.col("main_interaction_type") == "QA")
    assert frame.columns == ["log_id", "main_interaction_type", "interaction_value"]
    assert frame["log_id"].to_list() == truth["log_id"].to_list()
    assert frame.height > 0


def test_the_result_does_not_depend_on_concurrency(shared_sim: Simulator) -> None:
    one = read(shared_sim, max_workers=1).collect()
    many = read(shared_sim, max_workers=8).collect()
    assert_frame_equal(one, many)


@pytest.mark.parametrize(
    ("option", "value", "wire", "truth"),
    [
        ("interaction_types", ["QA", "Dialog"], ("interactionTypes", "10"), {"interaction_types": 10}),
        ("main_interaction_types", "QA", ("mainInteractionType", "2"), {"main_interaction_type": 2}),
        ("active_sessions_only", True, ("activeSessionOnly", "true"), {"active_session_only": True}),
        ("filter_text", "factuur", ("filterText", "factuur"), {"filter_text": "factuur"}),
        ("environment", "Staging", ("environment", "Staging"), {"environment": "Staging", "session_mode": "Test"}),
        ("session_mode", "Internal", ("sessionMode", "Internal"), {"session_mode": "Internal"}),
    ],
)
def test_each_filter_reaches_the_wire_and_filters(
    sim: Simulator, option: str, value: object, wire: tuple[str, str], truth: dict[str, Any]
) -> None:
    options: dict[str, Any] = {option: value}
    if option == "environment":
        options["session_mode"] = "Test"
    frame = read(sim, **options).collect()
    assert all(r.params.get(wire[0]) == wire[1] for r in sim.interaction_requests)
    expected = expected_frame(sim, **truth)
    unfiltered = expected_frame(sim)
    assert_frame_equal(comparable(frame), expected)
    assert 0 < expected.height < unfiltered.height


def test_user_info_columns_are_null_unless_asked(sim: Simulator) -> None:
    without = read(sim).select("additional_session_info", "variables").collect()
    with_info = read(sim, include_user_info=True).select("additional_session_info", "variables").collect()
    assert without.null_count().row(0) == (without.height, without.height)
    assert with_info["additional_session_info"].null_count() < with_info.height
    assert all(r.params.get("includeUserInfo") == "true" for r in sim.interaction_requests[-3:])


@pytest.mark.parametrize(
    "body_options",
    [{"delimiter": "|"}, {"bom": True}, {"lowercase_header": True}, {"delimiter": "|", "bom": True}],
)
def test_every_body_variant_gives_the_same_frame(body_options: dict[str, Any]) -> None:
    with (
        Simulator(rows_per_day=200, page_size=70, today=SIM_TODAY, seed=5) as plain,
        Simulator(rows_per_day=200, page_size=70, today=SIM_TODAY, seed=5, **body_options) as variant,
    ):
        assert_frame_equal(read(plain).collect(), read(variant).collect())


def test_json_and_csv_give_the_same_frame(shared_sim: Simulator) -> None:
    csv = read(shared_sim).collect()
    json_frame = read(shared_sim, format="json").collect()
    assert_frame_equal(csv, json_frame)


def test_pandas_holds_the_same_content_with_nullable_dtypes(shared_sim: Simulator) -> None:
    polars_frame = read(shared_sim).collect()
    pandas_frame = read_any(shared_sim, backend="pandas")
    assert isinstance(pandas_frame, pd.DataFrame)
    dtypes = {name: str(dtype) for name, dtype in pandas_frame.dtypes.items()}
    assert dtypes["log_id"] == "Int64"
    assert dtypes["session_is_active"] == "boolean"
    assert dtypes["timestamp_start"] == "datetime64[us, UTC]"
    assert dtypes["all_interaction_types"] == "UInt16"
    assert dtypes["recognition_quality"] == "Float64"
    assert dtypes["interaction_value"] == "string"
    assert dtypes["main_interaction_type"] == "category"
    assert "object" not in dtypes.values()
    back = pl.from_pandas(pandas_frame).with_columns(pl.col("culture", "main_interaction_type").cast(pl.Categorical))
    assert_frame_equal(back, polars_frame, check_dtypes=False)
    assert pandas_frame["log_id"].tolist() == polars_frame["log_id"].to_list()


def test_every_window_is_at_most_a_day_and_a_504_day_is_split(sim: Simulator) -> None:
    broken = SIM_DAY - timedelta(days=1)
    with Simulator(
        rows_per_day=300,
        page_size=100,
        today=SIM_TODAY,
        seed=3,
        faults=Faults(timeout_dates=frozenset({broken.date()})),
    ) as faulty:
        frame = read(faulty).collect()
        windows = [r.window for r in faulty.interaction_requests if r.window is not None]
    assert_frame_equal(frame, read(sim).collect())
    assert all(end - start <= timedelta(days=1) for start, end in windows)
    halves = {(start, end) for start, end in windows if end - start == timedelta(hours=12)}
    assert halves == {
        (broken, broken + timedelta(hours=12)),
        (broken + timedelta(hours=12), broken + timedelta(days=1)),
    }


def test_unknown_type_names_are_kept_flagged_and_warned_once() -> None:
    with (
        Simulator(rows_per_day=300, page_size=100, today=SIM_TODAY, seed=3, unknown_type_rate=0.05) as sim,
        pytest.warns(dcx.DataWarning, match="Smalltalk") as record,
    ):
        frame = read(sim).collect()
    assert len([w for w in record if "Smalltalk" in str(w.message)]) == 1
    unknown = frame.filter((pl.col("all_interaction_types") & int(dcx.InteractionType.UNKNOWN)) != 0)
    assert unknown.height > 0


def test_a_second_read_of_cached_days_makes_no_request(sim: Simulator, tmp_path: Path) -> None:
    first = read(sim, cache=tmp_path).collect()
    made = len(sim.interaction_requests)
    second = read(sim, cache=tmp_path).collect()
    assert len(sim.interaction_requests) == made
    assert_frame_equal(first, second)
    assert dcx.cache_info(tmp_path).days == 3
    read(sim, cache=tmp_path, interaction_types="QA").collect()
    assert len(sim.interaction_requests) > made


def test_head_on_cached_days_makes_no_request(sim: Simulator, tmp_path: Path) -> None:
    read(sim, cache=tmp_path).collect()
    made = len(sim.interaction_requests)
    assert read(sim, cache=tmp_path).head(5).collect().height == 5
    assert len(sim.interaction_requests) == made


def test_a_read_stopped_by_head_writes_no_partial_day(sim: Simulator, tmp_path: Path) -> None:
    read(sim, cache=tmp_path).head(5).collect()
    assert dcx.cache_info(tmp_path).days == 0


def test_files_written_hold_no_secret(sim: Simulator, tmp_path: Path) -> None:
    client = make_client(sim)
    read(sim, cache=tmp_path, client=client).collect()
    token = client.auth.token()
    assert len(token) > 10
    files = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert len(files) == 4  # three days and query.json
    for path in files:
        data = path.read_bytes()
        assert sim.client_secret.encode() not in data
        assert token.encode() not in data
    meta = json.loads(next(tmp_path.rglob("query.json")).read_text())
    assert meta["customer"] == sim.customer_key


@pytest.mark.parametrize("kind", ["504", "html_200", "extra_field"])
@pytest.mark.parametrize("failing_request", [1, 2])
def test_head_recovers_from_a_failing_page_without_repeating_rows(
    sim: Simulator, kind: str, failing_request: int
) -> None:
    truth = read(sim).collect()
    sim.clear_log()
    sim.inject("none", count=failing_request - 1)
    sim.inject(kind)
    head = read(sim).head(150).collect()  # pages of 100: the first day's second page is needed
    assert sim.fault_counts == {kind: 1}
    assert head["log_id"].to_list() == truth["log_id"].head(150).to_list()


def test_a_two_day_filter_with_a_strict_upper_bound_fetches_two_days(sim: Simulator) -> None:
    lazy = read(sim, start=SIM_DAY - timedelta(days=9), end=SIM_DAY + timedelta(days=1))
    low = SIM_DAY - timedelta(days=5)
    ts = pl.col("timestamp_start")
    frame = lazy.filter((ts >= low) & (ts < low + timedelta(days=2))).collect()
    days = sorted({r.params["startDate"][:10] for r in sim.interaction_requests})
    assert days == [low.strftime("%Y-%m-%d"), (low + timedelta(days=1)).strftime("%Y-%m-%d")]
    assert_frame_equal(comparable(frame), expected_frame(sim, low, low + timedelta(days=2)))
