"""Only the days a predicate can match are fetched: bounds read from the predicate."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest

from digitalcx_frames._read.bounds import timestamp_bounds

T = datetime(2025, 3, 2, tzinfo=UTC)
ts = pl.col("timestamp_start")
TICK = timedelta(microseconds=1)
END_OF_DAY = timedelta(days=1) - TICK


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
        (ts.dt.date() < date(2025, 3, 2), (None, T - TICK)),
        (ts.dt.date() > date(2025, 3, 2), (T + timedelta(days=1), None)),
        (ts.dt.date() == date(2025, 3, 2), (T, T + END_OF_DAY)),
        ((ts < T) | (ts > T + timedelta(days=1)), (None, None)),
        (
            (ts.is_between(T, T)) | (ts.is_between(T + timedelta(days=3), T + timedelta(days=4))),
            (T, T + timedelta(days=4)),
        ),
        (pl.col("log_id") > 3, (None, None)),
        (~(ts >= T), (None, None)),
        (ts >= datetime(2025, 3, 2), (T, None)),
    ],
)
def test_bounds(predicate: pl.Expr | None, expected: tuple[datetime | None, datetime | None]) -> None:
    assert timestamp_bounds(predicate) == expected


def test_a_foreign_time_zone_literal_gives_no_bound() -> None:
    lit = pl.lit(datetime(2025, 3, 2)).dt.replace_time_zone("Europe/Amsterdam")
    assert timestamp_bounds(ts.dt.convert_time_zone("Europe/Amsterdam") >= lit) == (None, None)
