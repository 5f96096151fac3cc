"""A smoke run of every benchmark function at tiny sizes, so ``make bench`` keeps working.

The real run (``make bench``) is not part of ``make test``; this one takes a few seconds.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks import bench_cache, bench_e2e, bench_lazy, bench_memory
from benchmarks.__main__ import _flags_bench, _parse_bench, render
from benchmarks._common import TODAY, Bench, machine, plain_loop, prerender
from digitalcx_frames.simulator import Simulator

ROWS = 200
PAGE = 100


@pytest.fixture(scope="module")
def tiny_sim() -> Iterator[Simulator]:
    with Simulator(rows_per_day=ROWS, page_size=PAGE, today=TODAY) as sim:
        prerender(sim, 3)
        yield sim


def test_plain_loop_types_the_columns(tiny_sim: Simulator) -> None:
    frame = plain_loop(tiny_sim, 2)
    assert 0 < len(frame) <= 2 * ROWS
    assert str(frame["LogId"].dtype) == "Int64"
    assert str(frame["SessionIsActive"].dtype) == "boolean"
    assert "UTC" in str(frame["TimestampStart"].dtype)


def test_every_benchmark_runs_at_tiny_sizes(tiny_sim: Simulator, tmp_path: Path) -> None:
    benches: list[Bench] = []
    benches += bench_e2e.run_no_latency(tiny_sim, days=2, repeats=1)
    benches.append(bench_e2e.run_latency(tiny_sim, days=1, repeats=1))
    lazy = bench_lazy.run(tiny_sim, days=3, page_size=PAGE, repeats=1)
    benches.append(lazy)
    cache = bench_cache.run(tiny_sim, days=2, label="no latency", goal=None, repeats=1)
    assert cache["requests (2nd)"] == 0
    benches.append(bench_cache.bench([cache], 2))
    memory = bench_memory.run(tiny_sim, day_counts=(2,), workers_sweep=(), repeats=1)
    assert [row["days"] for row in memory.rows] == [1, 2]
    benches.append(memory)
    benches.append(_parse_bench(1, 0.2))
    benches.append(_flags_bench(1, 20_000))
    by_query = {row["query"]: row["requests"] for row in lazy.rows}
    assert by_query["head(100)"] <= 2
    assert by_query["collect() (all rows)"] <= 3 * 2
    text = render(benches, machine(), [])
    for key in ("B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8"):
        assert f"## {key}." in text
    (tmp_path / "BENCHMARKS.md").write_text(text, encoding="utf-8")


def test_b11_measures_each_tool_in_a_fresh_process(tiny_sim: Simulator) -> None:
    from benchmarks import bench_dlt

    ours = bench_dlt.measure(tiny_sim, "dcx-collect", 2, None)
    assert ours["rows"] > 0
    assert ours["wall"] > 0
    assert ours["cpu"] > 0
    pytest.importorskip("dlt", reason="the peer is in the bench extra (make bench installs it)")
    peer = bench_dlt.measure(tiny_sim, "dlt-arrow", 2, None)
    assert peer["rows"] == ours["rows"]


def test_b10_archive_and_live_asks_only_for_the_days_not_archived(tiny_sim: Simulator) -> None:
    from benchmarks import bench_dask

    bench = bench_dask.archive_and_live(tiny_sim, days=3, archived=2, repeats=1)
    by_read = {row["read"]: row for row in bench.rows}
    alone, combined = by_read["3 days, API alone"], by_read["3 days, archive + API"]
    assert alone["rows"] == combined["rows"] > 0
    assert combined["requests"] * 3 <= alone["requests"] + 1  # one day of three asked for
    assert "## B10A." in render([bench], machine(), [])
