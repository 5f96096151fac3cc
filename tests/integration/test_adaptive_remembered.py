"""Learned window lengths across processes (issue 13 item 1): a new client starts from the cache folder.

A fresh ``Client`` object has no memory of its own, as a new process has none: what it
knows comes from ``<cache folder>/window-lengths.json``.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest

import digitalcx_frames as dcx
from digitalcx_frames._read.windows import LENGTHS_FILE
from digitalcx_frames.simulator import Faults, Simulator

TODAY = date(2026, 11, 20)
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
END = datetime(2026, 11, 20, tzinfo=UTC)
GATEWAY = Faults(timeout_hours=6, timeout_delay=0.02)  # windows longer than 6 h: 504 after a delay
SIM_OPTIONS: dict[str, Any] = {"rows_per_day": 100, "page_size": 1_000, "today": TODAY, "seed": 5}


def read(sim: Simulator, client: dcx.Client, first: int, last: int, cache: bool | Path) -> pl.DataFrame:
    """The days from ``first`` to ``last`` days before END (``first`` > ``last``)."""
    lazy = dcx.read_interactions(
        sim.customer_key, sim.project_key, culture=sim.culture, client=client, now=NOW, cache=cache,
        start=END - timedelta(days=first), end=END - timedelta(days=last), max_workers=4,
    )  # fmt: skip
    assert isinstance(lazy, pl.LazyFrame)
    return lazy.collect()


def timeouts(sim: Simulator) -> int:
    return sum(1 for record in sim.interaction_requests if record.status == 504)


def test_a_new_client_starts_from_what_the_cache_folder_remembers(tmp_path: Path) -> None:
    with Simulator(**SIM_OPTIONS, faults=GATEWAY) as sim:
        read(sim, dcx.Client(**sim.connection), 8, 4, tmp_path)
        first = timeouts(sim)
        sim.clear_log()
        frame = read(sim, dcx.Client(**sim.connection), 4, 0, tmp_path)  # other days: none of them cached
        second = timeouts(sim)
        longest = max(end - start for start, end in (r.window for r in sim.interaction_requests if r.window))
        expected = [row["LogId"] for row in sim.expected_rows(END - timedelta(days=4), END)]
        secret = sim.client_secret
    assert first >= 2
    assert second <= 1, f"{second} timed-out requests for a client that should start from the remembered length"
    assert longest <= timedelta(hours=12), "one probe of twice the working length at most"
    assert frame["log_id"].to_list() == expected
    text = (tmp_path / LENGTHS_FILE).read_text(encoding="utf-8")
    assert secret not in text
    assert len(json.loads(text)["entries"]) == 1


def test_cache_false_remembers_nothing_anywhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIGITALCX_FRAMES_CACHE_DIR", str(tmp_path))  # the default cache folder, were it used
    with Simulator(**SIM_OPTIONS, faults=GATEWAY) as sim:
        read(sim, dcx.Client(**sim.connection), 4, 2, False)
        first = timeouts(sim)
        sim.clear_log()
        read(sim, dcx.Client(**sim.connection), 2, 0, False)
        second = timeouts(sim)
    assert list(tmp_path.iterdir()) == []
    assert first >= 2
    assert second >= 2, "a new client without a cache starts again at whole days"


def test_the_default_cache_folder_is_where_lengths_are_remembered(tmp_path: Path) -> None:
    """A read with a cache folder keeps its lengths there, and nowhere else."""
    with Simulator(**SIM_OPTIONS, faults=GATEWAY) as sim:
        read(sim, dcx.Client(**sim.connection), 2, 0, tmp_path)
    stray = [p for p in tmp_path.rglob(LENGTHS_FILE) if p.parent != tmp_path]
    assert stray == []
    assert (tmp_path / LENGTHS_FILE).is_file()
