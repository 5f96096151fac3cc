"""A smoke run of B9 (adaptive windows, a gateway timing out windows over 6 h) at tiny sizes."""

from __future__ import annotations

from benchmarks import bench_adaptive
from benchmarks.__main__ import ALL, render
from benchmarks._common import machine


def test_b9_compares_the_readers_at_tiny_sizes() -> None:
    with bench_adaptive.gateway(200, delay=0.02, page_size=100, process=False) as sim:
        bench = bench_adaptive.run(sim, days=3, repeats=1)
    before, first, second = bench.rows
    assert [row["read"] for row in bench.rows] == ["1st (fresh client)", "1st (fresh client)", "2nd (same client)"]
    assert before["timed-out requests"] == 3 * 3, "24 h, then both 12 h halves, for each of 3 days"
    assert first["timed-out requests"] < before["timed-out requests"]
    assert second["timed-out requests"] <= 1
    assert second["met"] == "yes"
    assert first["met"] in {"yes", "no"}
    assert all(row["wall (s)"] > 0 and row["requests"] > row["timed-out requests"] for row in bench.rows)
    assert "B9" in ALL
    text = render([bench], machine(), [])
    assert "## B9. Adaptive windows" in text
    assert "**What limits it:**" in text
