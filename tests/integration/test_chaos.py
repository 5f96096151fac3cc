"""Chaos: a 14-day read through seeded random faults equals the fault-free read, row for row.

The simulator draws one fault per interactions request from a seeded generator (500, 429
with ``Retry-After``, a connection cut mid-body, an answer slower than the client's read
timeout) and answers 504 to the full-day windows of two days. Which request gets which
fault depends on thread timing, but the sequence of draws does not: the seed is chosen so
that every kind is drawn within the first 40 requests, and a 14-day read makes more.
``pytest -s`` prints what was injected and survived.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import digitalcx_frames as dcx
from digitalcx_frames._http.transport import Reply
from digitalcx_frames.simulator import Faults, Simulator
from tests.conftest import make_client

TODAY = date(2026, 11, 20)
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
START = datetime(2026, 11, 6, tzinfo=UTC)
END = datetime(2026, 11, 20, tzinfo=UTC)  # 14 whole days
TIMEOUT_DAYS = frozenset({date(2026, 11, 9), date(2026, 11, 15)})
SEED = 149  # every fault kind at least twice among the first 40 draws
CHAOS = Faults(
    error_500=0.10,
    error_429=0.05,
    cut=0.03,
    slow=0.02,
    retry_after=1,
    slow_delay=1.0,
    timeout_dates=TIMEOUT_DAYS,
    seed=SEED,
)
SIM_OPTIONS: dict[str, Any] = {"rows_per_day": 300, "page_size": 100, "today": TODAY, "seed": 7}


class Waits:
    """Stands in for ``time.sleep`` between retries: records the waits, waits for nothing."""

    def __init__(self) -> None:
        self.seconds: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)


def client_for(sim: Simulator, *, sleep: Waits | None = None, **options: Any) -> dcx.Client:
    """The shared factory with chaos settings: more retries, short read timeout, recorded waits."""
    options.setdefault("max_retries", 8)
    options.setdefault("timeout", (5.0, 0.5))  # the "slow" answers take 1 s: a read timeout, then a split window
    options.setdefault("retry_after_max", 5.0)  # honoured, but through the recording sleep: no real wait
    return make_client(sim, sleep=sleep if sleep is not None else Waits(), **options)


def read(sim: Simulator, client: dcx.Client, **options: Any) -> pl.DataFrame:
    options.setdefault("start", START)
    options.setdefault("end", END)
    options.setdefault("cache", False)
    lazy = dcx.read_interactions(
        sim.customer_key, sim.project_key, culture=sim.culture, client=client, now=NOW, **options
    )
    assert isinstance(lazy, pl.LazyFrame)
    return lazy.collect()


def midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def label(day: date) -> str:
    return f"{day.isoformat()}T00:00:00Z/{(day + timedelta(days=1)).isoformat()}T00:00:00Z"


def test_a_14_day_read_through_random_faults_equals_the_fault_free_read() -> None:
    waits = Waits()
    with Simulator(**SIM_OPTIONS) as calm, Simulator(**SIM_OPTIONS, faults=CHAOS) as chaotic:
        clean = read(calm, client_for(calm))
        clean_requests = len(calm.interaction_requests)
        frame = read(chaotic, client_for(chaotic, sleep=waits), max_workers=4)
        injected = chaotic.fault_counts
        records = chaotic.interaction_requests
        truth = [row["LogId"] for row in chaotic.expected_rows(START, END)]

    assert_frame_equal(frame, clean)
    assert frame["log_id"].to_list() == truth
    assert frame["log_id"].is_unique().all()
    assert frame.height == len(truth) > 14 * 200

    # every kind was injected, and each left its trace of being survived
    for kind in ("500", "429", "cut", "slow", "504"):
        assert injected.get(kind, 0) >= 1, (kind, injected)
    statuses = Counter(record.status for record in records)
    assert statuses[500] == injected["500"]
    assert statuses[429] == injected["429"]
    assert waits.seconds == [1.0] * injected["429"], "each 429 waited its Retry-After, no more"
    full_days = {record.window for record in records if record.window and record.status == 504}
    # adaptive windows (issue 13 item 1): once a full day timed out, later days start at half
    # a day (one probe per read may try a full day again), so not every timeout day is asked whole
    assert full_days
    assert {start.date() for start, _ in full_days} <= TIMEOUT_DAYS
    halves = {record.window for record in records if record.window and record.status == 200}
    for day in TIMEOUT_DAYS:
        parts = [(start, end) for start, end in halves if start.date() == day]
        assert parts, day
        assert all(end - start < timedelta(days=1) for start, end in parts), day
    answered = Counter((tuple(sorted(r.params.items())), r.window) for r in records if r.status == 200)
    re_read = sum(n - 1 for n in answered.values() if n > 1)
    assert re_read >= 1, "a body cut short was asked for again with the same parameters"

    survived = sum(injected.values())
    print(
        f"\nchaos: 14 days, {frame.height} rows, {len(records)} requests (fault-free: {clean_requests}); "
        f"faults injected {dict(sorted(injected.items()))}, {survived} in all, all survived; "
        f"Retry-After waits {len(waits.seconds)}, bodies re-read after a cut {re_read}; rows lost 0, duplicates 0"
    )


class FailFromDay(dcx.Client):
    """A client that makes the simulator answer 500 to everything from the first request of ``day`` on."""

    def __init__(self, sim: Simulator, day: date, **options: Any) -> None:
        self.sim = sim
        self.fail_label = label(day)
        self.armed = False
        super().__init__(
            sim.client_id,
            sim.client_secret,
            base_url=sim.base_url,
            token_url=sim.token_url,
            backoff_factor=0.0,
            sleep=lambda _seconds: None,
            retry_after_max=0.0,
            **options,
        )

    def send(self, url: str, params: Mapping[str, str], *, accept: str = "text/csv", window: str, page: int) -> Reply:
        if window == self.fail_label and not self.armed:
            self.armed = True
            self.sim.inject("500", count=10**6)  # never stops
        return super().send(url, params, accept=accept, window=window, page=page)


def test_faults_that_never_stop_fail_after_the_budget_and_completed_days_stay_cached(tmp_path: Path) -> None:
    first, failing, last = date(2026, 11, 13), date(2026, 11, 16), date(2026, 11, 18)
    to_day = midnight(failing)
    with Simulator(**SIM_OPTIONS) as sim:
        client = FailFromDay(sim, failing, max_retries=2)
        with pytest.raises(dcx.ServerError) as info:
            read(sim, client, start=first, end=last, cache=tmp_path, max_workers=1)
        error = info.value
        assert client.armed
        assert (error.status_code, error.window, error.page, error.attempts) == (500, label(failing), 1, 3)
        assert label(failing) in str(error)
        assert "after 3 attempts" in str(error)
        assert dcx.cache_info(tmp_path).days == 3  # 13, 14 and 15 were complete before 16 failed
        made = len(sim.interaction_requests)
        again = read(sim, dcx.Client(**sim.connection), start=first, end=to_day, cache=tmp_path)
        assert len(sim.interaction_requests) == made, "the completed days come from the cache"
        assert again["log_id"].to_list() == [row["LogId"] for row in sim.expected_rows(midnight(first), to_day)]
        print(f"\nnever-ending 500s: failed on {failing} after {error.attempts} attempts; 3 earlier days cached")
