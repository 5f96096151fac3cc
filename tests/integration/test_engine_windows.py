"""Adaptive windows (issue 13 item 1): the read learns the window length the service answers in time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import polars as pl

import digitalcx_frames as dcx
from digitalcx_frames._read.fetch import ReadReport
from digitalcx_frames.simulator import Faults, Simulator

TODAY = date(2026, 11, 20)
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
END = datetime(2026, 11, 20, tzinfo=UTC)
GATEWAY = Faults(timeout_hours=6, timeout_delay=0.05)  # windows longer than 6 h: 504 after a delay
SIM_OPTIONS: dict[str, Any] = {"rows_per_day": 200, "page_size": 1_000, "today": TODAY, "seed": 11}


def read(sim: Simulator, client: dcx.Client, days: int, reports: list[ReadReport]) -> pl.DataFrame:
    lazy = dcx.read_interactions(
        sim.customer_key, sim.project_key, culture=sim.culture, start=END - timedelta(days=days), end=END,
        client=client, now=NOW, cache=False, max_workers=4, report=reports.append,
    )  # fmt: skip
    assert isinstance(lazy, pl.LazyFrame)
    return lazy.collect()


def timeouts(sim: Simulator) -> int:
    return sum(1 for record in sim.interaction_requests if record.status == 504)


def test_a_client_learns_the_window_that_works_and_keeps_it_for_the_next_read() -> None:
    reports: list[ReadReport] = []
    with Simulator(**SIM_OPTIONS, faults=GATEWAY) as sim:
        client = dcx.Client(**sim.connection)
        frame = read(sim, client, 14, reports)
        first = timeouts(sim)
        assert frame["log_id"].to_list() == [row["LogId"] for row in sim.expected_rows(END - timedelta(days=14), END)]
        sim.clear_log()
        again = read(sim, client, 7, reports)
        second = timeouts(sim)
        longest = max(end - start for start, end in (r.window for r in sim.interaction_requests if r.window))
    assert first <= 10, f"{first} timed-out requests in the first 14-day read"
    assert second <= 1, f"{second} timed-out requests in the 7-day read after it"
    assert again.height > 0
    assert longest <= timedelta(hours=12), "the later read starts at what it learned (one probe of 12 h at most)"
    assert reports[0].splits == first


def test_a_new_client_starts_again_at_whole_days() -> None:
    reports: list[ReadReport] = []
    with Simulator(**SIM_OPTIONS, faults=GATEWAY) as sim:
        read(sim, dcx.Client(**sim.connection), 2, reports)
        sim.clear_log()
        read(sim, dcx.Client(**sim.connection), 2, reports)
        lengths = {end - start for start, end in (r.window for r in sim.interaction_requests if r.window)}
    assert timedelta(days=1) in lengths
