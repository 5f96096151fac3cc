"""Every read ends with a report (issue 14 item 1): after a collect, on the pandas path, in the bar's final state."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import polars as pl
import pytest

import digitalcx_frames as dcx
from digitalcx_frames._read.fetch import ReadReport
from digitalcx_frames.simulator import Faults, Simulator

TODAY = date(2026, 11, 20)
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
START = datetime(2026, 11, 16, tzinfo=UTC)
END = datetime(2026, 11, 19, tzinfo=UTC)  # three whole, closed days
SIM_OPTIONS: dict[str, Any] = {"rows_per_day": 300, "page_size": 100, "today": TODAY, "seed": 7}


def read(sim: Simulator, reports: list[ReadReport], **options: Any) -> Any:
    options.setdefault("cache", False)
    client = dcx.Client(**sim.connection, backoff_factor=0.0, sleep=lambda _seconds: None)
    return dcx.read_interactions(
        sim.customer_key, sim.project_key, culture=sim.culture, start=START, end=END, client=client, now=NOW,
        report=reports.append, **options,
    )  # fmt: skip


def test_a_collect_reports_days_fetched_then_days_from_the_cache(tmp_path: Path) -> None:
    reports: list[ReadReport] = []
    with Simulator(**SIM_OPTIONS) as sim:
        lazy = read(sim, reports, cache=tmp_path)
        assert reports == [], "building the frame reads nothing"
        frame = lazy.collect()
        sent = len(sim.interaction_requests)
        again = read(sim, reports, cache=tmp_path).collect()
    first, second = reports
    assert (first.days_fetched, first.days_cached, first.splits) == (3, 0, 0)
    assert first.requests == sent == 9  # 3 days x 3 pages of 100
    assert first.retries == 0
    assert first.rows == frame.height > 0
    assert first.bytes > 0
    assert first.seconds > 0
    assert (second.days_fetched, second.days_cached, second.requests, second.bytes) == (0, 3, 0, 0)
    assert second.rows == again.height == frame.height
    assert "3 days (0 from the cache, 3 fetched): 9 requests (0 retries, 0 splits)" in str(first)


def test_the_pandas_path_reports_retries_and_splits() -> None:
    reports: list[ReadReport] = []
    split_day = date(2026, 11, 17)
    with Simulator(**SIM_OPTIONS, faults=Faults(timeout_dates=frozenset({split_day}))) as sim:
        sim.inject("500")
        frame = read(sim, reports, backend="pandas", max_workers=1)
        sent = len(sim.interaction_requests)
    assert isinstance(frame, pd.DataFrame)
    (report,) = reports
    assert report.splits == 1
    assert report.retries == 1  # the 500, retried by the transport
    assert report.requests == sent
    assert report.rows == len(frame)
    assert report.days_fetched == 3


def test_a_report_is_given_also_when_the_read_fails() -> None:
    reports: list[ReadReport] = []
    with Simulator(**SIM_OPTIONS) as sim:
        sim.inject("403", count=100)
        with pytest.raises(dcx.PermissionDeniedError):
            read(sim, reports).collect()
    (report,) = reports
    assert report.requests >= 1
    assert report.rows == 0


def test_the_progress_bar_ends_showing_the_report(capfd: pytest.CaptureFixture[str]) -> None:
    reports: list[ReadReport] = []
    with Simulator(**SIM_OPTIONS) as sim:
        lazy = read(sim, reports, progress=True)
        assert isinstance(lazy, pl.LazyFrame)
        lazy.collect()
    shown = capfd.readouterr().err
    assert str(reports[0]).split(" in ")[0] in shown, shown[-400:]
    assert "0 from the cache, 3 fetched" in shown


def test_a_head_reports_what_it_read() -> None:
    reports: list[ReadReport] = []
    with Simulator(**SIM_OPTIONS) as sim:
        head = read(sim, reports).head(5).collect()
        sent = len(sim.interaction_requests)
    assert head.height == 5
    (report,) = reports
    assert report.requests == sent <= 2
    assert report.days_fetched == 1
    assert report.rows == 100, "the rows of the page read (the frame's own limit comes after)"
