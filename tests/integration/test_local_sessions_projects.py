"""Local calendar days, whole sessions, and several projects and cultures in one read (issue 15).

Every test compares with the simulator's ground truth (``expected_rows``), never with the
library's own output.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
import pytest

import digitalcx_frames as dcx
from digitalcx_frames.simulator import Simulator
from tests.conftest import make_client

AMS = ZoneInfo("Europe/Amsterdam")
TODAY = date(2026, 11, 20)
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with Simulator(
        rows_per_day=300, page_size=200, today=TODAY, seed=3, projects=("support", "sales"), cultures=("nl", "en")
    ) as simulator:
        yield simulator


def read(sim: Simulator, **options: Any) -> Any:
    options.setdefault("cache", False)
    options.setdefault("now", NOW)
    options.setdefault("project_key", sim.project_key)
    options.setdefault("culture", sim.culture)
    return dcx.read_interactions(sim.customer_key, options.pop("project_key"), client=make_client(sim), **options)


def truth_ids(
    sim: Simulator, start: datetime, end: datetime, project_key: str | None = None, culture: str | None = None
) -> list[int]:
    rows = sim.expected_rows(start, end, project_key=project_key, culture=culture)
    return [int(str(row["LogId"])) for row in rows]


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), AMS).astimezone(UTC)


# -- local calendar days -------------------------------------------------------------------------


@pytest.mark.parametrize("day", [date(2026, 10, 25), date(2026, 11, 10), date(2026, 9, 1)])
@pytest.mark.parametrize("cache", ["off", "on"])
def test_a_local_day_is_exactly_its_rows(sim: Simulator, day: date, cache: str, tmp_path: Path) -> None:
    folder: bool | Path = tmp_path if cache == "on" else False
    frame = read(sim, start=day, end=day + timedelta(days=1), tz="Europe/Amsterdam", cache=folder).collect()
    expected = truth_ids(sim, local_midnight(day), local_midnight(day + timedelta(days=1)))
    assert frame["log_id"].to_list() == expected
    assert frame.schema["timestamp_start"] == pl.Datetime("us", "Europe/Amsterdam")
    assert frame["timestamp_start"].dt.date().unique().to_list() == [day]
    if cache == "on":  # read again: from the cache, the same rows
        before = len(sim.interaction_requests)
        again = read(sim, start=day, end=day + timedelta(days=1), tz="Europe/Amsterdam", cache=folder).collect()
        assert len(sim.interaction_requests) == before
        assert again.equals(frame)


@pytest.mark.parametrize(("day", "hours"), [(date(2026, 3, 29), 23), (date(2026, 10, 25), 25)])
def test_the_dst_days_have_23_and_25_hours_of_rows(day: date, hours: int) -> None:
    today = day + timedelta(days=5)
    with Simulator(rows_per_day=300, page_size=200, today=today, seed=4) as spring_sim:
        frame = read(
            spring_sim, start=day, end=day + timedelta(days=1), tz="Europe/Amsterdam",
            now=datetime.combine(today, time(12), UTC),
        ).collect()  # fmt: skip
        first, last = local_midnight(day), local_midnight(day + timedelta(days=1))
        assert last - first == timedelta(hours=hours)
        assert frame["log_id"].to_list() == truth_ids(spring_sim, first, last)


def test_a_local_read_reuses_the_days_a_utc_read_cached(sim: Simulator, tmp_path: Path) -> None:
    read(sim, start="2026-11-08", end="2026-11-12", cache=tmp_path).collect()
    before = len(sim.interaction_requests)
    local = read(sim, start=date(2026, 11, 9), end=date(2026, 11, 11), tz="Europe/Amsterdam", cache=tmp_path)
    local.collect()
    assert len(sim.interaction_requests) == before  # 2026-11-08 23:00 UTC .. 2026-11-10 23:00 UTC: cached days


def test_a_local_start_before_the_90_day_limit_shows_both_instants(sim: Simulator) -> None:
    with pytest.raises(dcx.ConfigurationError) as info:
        read(sim, start=date(2026, 8, 22), end=date(2026, 8, 23), tz="Europe/Amsterdam")
    text = str(info.value)
    assert "2026-08-21T22:00:00Z UTC" in text
    assert "Europe/Amsterdam" in text


def test_a_local_time_filter_prunes_days(sim: Simulator) -> None:
    lazy = read(sim, start=date(2026, 11, 1), end=date(2026, 11, 15), tz="Europe/Amsterdam")
    before = len(sim.interaction_requests)
    since = datetime(2026, 11, 13, tzinfo=AMS)
    frame = lazy.filter(pl.col("timestamp_start") >= since).collect()
    asked = {r.params["startDate"][:10] for r in sim.interaction_requests[before:]}
    assert asked == {"2026-11-12", "2026-11-13", "2026-11-14"}
    assert frame["log_id"].to_list() == truth_ids(sim, since.astimezone(UTC), local_midnight(date(2026, 11, 15)))


# -- whole sessions ------------------------------------------------------------------------------


def whole_truth(sim: Simulator, start: datetime, end: datetime) -> set[int]:
    wide = sim.expected_rows(start - timedelta(hours=6), end + timedelta(hours=6))
    sessions = {row["SessionUuid"] for row in wide if start <= row["TimestampStart"] < end}  # type: ignore[operator]
    return {int(str(row["LogId"])) for row in wide if row["SessionUuid"] in sessions}


@pytest.mark.parametrize("backend", ["polars", "pandas"])
def test_whole_sessions_are_the_ground_truth_sessions(sim: Simulator, backend: str) -> None:
    start, end = datetime(2026, 11, 17, tzinfo=UTC), datetime(2026, 11, 18, tzinfo=UTC)
    result = read(sim, start=start, end=end, whole_sessions=True, backend=backend)
    frame = result.collect() if backend == "polars" else pl.from_pandas(result)
    ids = set(frame["log_id"].to_list())
    assert ids == whole_truth(sim, start, end)
    plain = set(truth_ids(sim, start, end))
    assert ids > plain, "sessions crossing an edge bring rows from outside the range"
    outside = frame.filter((pl.col("timestamp_start") < start) | (pl.col("timestamp_start") >= end))
    assert outside.height > 0
    assert frame["timestamp_start"].is_sorted()


def test_whole_sessions_fetch_only_the_margin_days(sim: Simulator) -> None:
    start, end = datetime(2026, 11, 17, tzinfo=UTC), datetime(2026, 11, 18, tzinfo=UTC)
    before = len(sim.interaction_requests)
    read(sim, start=start, end=end).collect()
    plain = len(sim.interaction_requests) - before
    before = len(sim.interaction_requests)
    read(sim, start=start, end=end, whole_sessions=True).collect()
    whole = len(sim.interaction_requests) - before
    windows = {(r.params["startDate"], r.params["endDate"]) for r in sim.interaction_requests[before:]}
    assert windows == {  # the range and two hours either side, not whole extra days
        ("2026-11-16T22:00:00Z", "2026-11-17T00:00:00Z"),
        ("2026-11-17T00:00:00Z", "2026-11-18T00:00:00Z"),
        ("2026-11-18T00:00:00Z", "2026-11-18T02:00:00Z"),
    }
    assert whole <= plain + 2


def test_whole_sessions_with_a_type_filter_keep_the_matching_rows_of_matching_sessions(sim: Simulator) -> None:
    start, end = datetime(2026, 11, 17, tzinfo=UTC), datetime(2026, 11, 18, tzinfo=UTC)
    frame = read(sim, start=start, end=end, whole_sessions=True, main_interaction_types="QA").collect()
    assert set(frame["main_interaction_type"].cast(pl.String)) == {"QA"}
    wide = sim.expected_rows(start - timedelta(hours=6), end + timedelta(hours=6), main_interaction_type="QA")
    sessions = {r["SessionUuid"] for r in wide if start <= r["TimestampStart"] < end}  # type: ignore[operator]
    assert set(frame["log_id"].to_list()) == {int(str(r["LogId"])) for r in wide if r["SessionUuid"] in sessions}


def test_on_a_whole_sessions_frame_a_filter_selects_sessions(sim: Simulator) -> None:
    start, end = datetime(2026, 11, 17, tzinfo=UTC), datetime(2026, 11, 18, tzinfo=UTC)
    lazy = read(sim, start=start, end=end, whole_sessions=True)
    late = lazy.filter(pl.col("timestamp_start") >= datetime(2026, 11, 17, 23, tzinfo=UTC)).collect()
    everything = lazy.collect()
    late_sessions = set(late["session_uuid"].to_list())
    assert late_sessions
    expected = everything.filter(pl.col("session_uuid").is_in(list(late_sessions)))
    assert late["log_id"].to_list() == expected["log_id"].to_list()
    cut = lazy.collect().filter(pl.col("timestamp_start") >= datetime(2026, 11, 17, 23, tzinfo=UTC))
    assert (
        cut.height <= late.height
    )  # a plain filter on the collected frame would cut rows; the source's keeps sessions


# -- several projects and cultures ----------------------------------------------------------------


@pytest.mark.parametrize("backend", ["polars", "pandas"])
def test_two_projects_and_two_cultures_equal_the_four_single_reads(sim: Simulator, backend: str) -> None:
    start, end = datetime(2026, 11, 16, tzinfo=UTC), datetime(2026, 11, 18, tzinfo=UTC)
    both = read(sim, project_key=["support", "sales"], culture=["nl", "en"], start=start, end=end, backend=backend)
    frame = both.collect() if backend == "polars" else pl.from_pandas(both)
    assert frame.columns[0] == "project_key"
    parts = []
    for project in ("support", "sales"):
        for culture in ("nl", "en"):
            single = read(sim, project_key=project, culture=culture, start=start, end=end, backend=backend)
            single_frame = single.collect() if backend == "polars" else pl.from_pandas(single)
            assert single_frame["log_id"].to_list() == truth_ids(sim, start, end, project_key=project, culture=culture)
            assert "project_key" not in single_frame.columns  # a single key keeps the schema exactly
            parts.append(single_frame.with_columns(pl.lit(project).alias("project_key")))
    expected = pl.concat(parts).select(frame.columns)
    assert frame.with_columns(pl.col("project_key", "culture").cast(pl.String)).equals(
        expected.with_columns(pl.col("project_key", "culture").cast(pl.String))
    )


def test_one_report_counts_every_project_and_culture(sim: Simulator) -> None:
    reports: list[dcx.ReadReport] = []
    read(
        sim, project_key=["support", "sales"], culture=["nl", "en"], start="2026-11-16", end="2026-11-18",
        report=reports.append,
    ).collect()  # fmt: skip
    assert len(reports) == 1
    assert reports[0].days_fetched == 2 * 2 * 2


def test_a_list_of_one_adds_the_project_column(sim: Simulator) -> None:
    frame = read(sim, project_key=["sales"], start="2026-11-17", end="2026-11-18").collect()
    assert frame.schema["project_key"] == pl.Categorical()
    assert set(frame["project_key"].cast(pl.String)) == {"sales"}


@pytest.mark.parametrize("bad", [[], ["a", "a"], [1], 3])
def test_bad_project_lists_are_refused_before_any_request(sim: Simulator, bad: object) -> None:
    with pytest.raises(dcx.ConfigurationError, match="project_key"):
        read(sim, project_key=bad, start="2026-11-17", end="2026-11-18")


# -- typed JSON columns in the read (issue 16 item 2) ---------------------------------------------


@pytest.mark.parametrize("backend", ["polars", "pandas"])
def test_decode_json_in_the_read_equals_features_decode_json(sim: Simulator, backend: str) -> None:
    from digitalcx_frames import features

    options: dict[str, Any] = {"start": "2026-11-16", "end": "2026-11-18", "backend": backend}
    decoded = read(sim, decode_json=True, **options)
    after = features.decode_json(read(sim, **options))
    if backend == "polars":
        decoded, after = decoded.collect(), after.collect()
        assert decoded.schema["feedback_info"] == pl.Struct(
            {"score": pl.Int8, "originating_interaction_id": pl.String, "comment": pl.String}
        )
        assert decoded.equals(after)
    else:
        assert decoded.dtypes.equals(after.dtypes)
        assert decoded.equals(after)


def test_decode_json_keep_keeps_the_text(sim: Simulator) -> None:
    frame = read(sim, start="2026-11-17", end="2026-11-18", decode_json="keep").collect()
    assert frame.schema["feedback_info_raw"] == pl.String
    plain = read(sim, start="2026-11-17", end="2026-11-18").collect()
    assert frame["feedback_info_raw"].to_list() == plain["feedback_info"].to_list()
