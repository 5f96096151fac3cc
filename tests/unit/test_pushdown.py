"""Only the days a predicate can match are fetched: bounds read from the predicate."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from digitalcx_frames._read.bounds import timestamp_bounds
from digitalcx_frames.simulator import Simulator
from tests.conftest import read_sim

T = datetime(2025, 3, 2, tzinfo=UTC)
ts = pl.col("timestamp_start")
TICK = timedelta(microseconds=1)
DAY = timedelta(days=1)
END_OF_DAY = DAY - TICK
AMS = ZoneInfo("Europe/Amsterdam")
D = date(2025, 3, 2)


@pytest.mark.parametrize(
    ("predicate", "expected"),
    [
        (None, (None, None)),
        (ts >= T, (T, None)),
        (ts > T, (T + TICK, None)),
        (ts < T, (None, T - TICK)),
        (ts <= T, (None, T)),
        (pl.lit(T) <= ts, (T, None)),
        (ts.is_between(T, T + timedelta(days=2)), (T, T + timedelta(days=2))),
        (ts.is_between(T, T + timedelta(days=2), closed="left"), (T, T + timedelta(days=2) - TICK)),
        (ts.is_between(T, T + timedelta(days=2), closed="right"), (T + TICK, T + timedelta(days=2))),
        (ts.is_between(T, T + timedelta(days=2), closed="none"), (T + TICK, T + timedelta(days=2) - TICK)),
        ((ts >= T) & (ts < T + timedelta(days=2)) & (pl.col("log_id") > 0), (T, T + timedelta(days=2) - TICK)),
        (ts.dt.date() < D, (None, T - TICK)),
        (ts.dt.date() > D, (T + DAY, None)),
        (ts.dt.date() == D, (T, T + END_OF_DAY)),
        ((ts < T) | (ts > T + DAY), (None, None)),
        (
            (ts.is_between(T, T)) | (ts.is_between(T + timedelta(days=3), T + timedelta(days=4))),
            (T, T + timedelta(days=4)),
        ),
        (pl.col("log_id") > 3, (None, None)),
        (~(ts >= T), (None, None)),
        # issue 14 item 8: literals that are not Python datetimes
        (ts >= pl.datetime(2025, 3, 2, time_zone="UTC"), (T, None)),
        (ts < pl.datetime(2025, 3, 4, time_zone="UTC"), (None, T + 2 * DAY - TICK)),
        (ts.dt.date() >= pl.lit(D), (T, None)),
        (ts.dt.date() == pl.date(2025, 3, 2), (T, T + END_OF_DAY)),
        (ts.dt.date().is_between(pl.lit(D), pl.lit(D + DAY)), (T, T + 2 * DAY - TICK)),
        (ts.dt.date().is_in([D, D + 3 * DAY]), (T, T + 3 * DAY + END_OF_DAY)),
        (ts.is_in([T + timedelta(hours=5), T + DAY]), (T + timedelta(hours=5), T + DAY)),
        # a filter on a local date: the local day in UTC (Amsterdam is UTC+1 in March)
        (
            ts.dt.convert_time_zone("Europe/Amsterdam").dt.date() == D,
            (T - timedelta(hours=1), T + END_OF_DAY - timedelta(hours=1)),
        ),
        (
            ts.dt.convert_time_zone("America/New_York").dt.date().is_in([D]),
            (T + timedelta(hours=5), T + END_OF_DAY + timedelta(hours=5)),
        ),
        (
            ts.dt.convert_time_zone("Europe/Amsterdam") >= datetime(2025, 3, 2, tzinfo=AMS),
            (T - timedelta(hours=1), None),
        ),
        # not provably bounded: no bound (always safe)
        (ts.dt.date() >= datetime(2025, 3, 2, 5, tzinfo=UTC), (None, None)),
        (ts.is_in([]), (None, None)),
        (ts.dt.date() == pl.col("log_id").cast(pl.Date), (None, None)),
    ],
)
def test_bounds(predicate: pl.Expr | None, expected: tuple[datetime | None, datetime | None]) -> None:
    assert timestamp_bounds(predicate) == expected


def test_a_dst_day_is_covered_whole() -> None:
    # 2025-03-30 in Amsterdam has 23 hours: 2025-03-29T23:00Z .. 2025-03-30T22:00Z
    low, high = timestamp_bounds(ts.dt.convert_time_zone("Europe/Amsterdam").dt.date() == date(2025, 3, 30))
    assert low == datetime(2025, 3, 29, 23, tzinfo=UTC)
    assert high == datetime(2025, 3, 30, 22, tzinfo=UTC) - TICK


@pytest.mark.parametrize(
    "predicate",
    [
        ts >= datetime(2025, 3, 2),
        ts >= pl.datetime(2025, 3, 2),
        ts < datetime(2025, 3, 2, tzinfo=AMS),
        ts >= pl.datetime(2025, 3, 2, time_zone="Europe/Amsterdam"),
        ts.is_between(datetime(2025, 3, 2, tzinfo=AMS), datetime(2025, 3, 3, tzinfo=AMS)),
        (pl.col("log_id") > 0) | ~(ts == datetime(2025, 3, 2)),
        ts.dt.convert_time_zone("Europe/Amsterdam") >= T,
    ],
)
def test_a_literal_in_another_time_zone_fails_with_a_schema_error(predicate: pl.Expr) -> None:
    with pytest.raises(pl.exceptions.SchemaError, match="nothing was fetched"):
        timestamp_bounds(predicate)


def test_the_time_zone_error_says_what_to_write() -> None:
    with pytest.raises(pl.exceptions.SchemaError) as caught:
        timestamp_bounds(ts >= datetime(2025, 3, 2, tzinfo=AMS))
    assert "'Europe/Amsterdam'" in str(caught.value)
    assert "tzinfo=UTC" in str(caught.value)
    assert "convert_time_zone('Europe/Amsterdam')" in str(caught.value)


# Against the simulator: the requests a filter costs (issue 14 item 8).

FIRST = datetime(2026, 11, 10, tzinfo=UTC)  # ten full days before the fixtures' today
LAST = datetime(2026, 11, 20, tzinfo=UTC)


def _days_fetched(sim: Simulator, predicate: pl.Expr) -> list[str]:
    lazy = read_sim(sim, start=FIRST, end=LAST)
    lazy.filter(predicate).collect()
    return sorted({r.params["startDate"][:10] for r in sim.interaction_requests})


@pytest.mark.parametrize(
    ("predicate", "days"),
    [
        (
            (ts >= pl.datetime(2026, 11, 14, time_zone="UTC")) & (ts < pl.datetime(2026, 11, 16, time_zone="UTC")),
            ["2026-11-14", "2026-11-15"],
        ),
        (ts.dt.date() == pl.lit(date(2026, 11, 14)), ["2026-11-14"]),
        (ts.dt.date().is_in([date(2026, 11, 12), date(2026, 11, 13)]), ["2026-11-12", "2026-11-13"]),
        # the local day 2026-11-14 in Amsterdam (UTC+1) starts at 23:00 UTC on the 13th
        (ts.dt.convert_time_zone("Europe/Amsterdam").dt.date() == date(2026, 11, 14), ["2026-11-13", "2026-11-14"]),
    ],
)
def test_a_filter_fetches_only_the_days_it_can_match(sim: Simulator, predicate: pl.Expr, days: list[str]) -> None:
    assert _days_fetched(sim, predicate) == days


def test_the_local_date_filter_keeps_exactly_the_local_day(sim: Simulator) -> None:
    local = ts.dt.convert_time_zone("Europe/Amsterdam")
    frame = read_sim(sim, start=FIRST, end=LAST).filter(local.dt.date() == date(2026, 11, 14)).collect()
    everything = read_sim(sim, start=FIRST, end=LAST).collect()
    expected = everything.filter(local.dt.date() == date(2026, 11, 14))
    assert frame.height == expected.height > 0
    assert frame["log_id"].to_list() == expected["log_id"].to_list()


def test_a_literal_in_another_time_zone_fails_before_any_request(sim: Simulator) -> None:
    lazy = read_sim(sim, start=FIRST, end=LAST).filter(
        ts >= datetime(2026, 11, 14, tzinfo=ZoneInfo("Europe/Amsterdam"))
    )
    with pytest.raises(pl.exceptions.SchemaError, match="nothing was fetched"):
        lazy.collect()
    assert sim.log == []
