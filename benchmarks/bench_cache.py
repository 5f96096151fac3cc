"""B6 cache: the second read of closed, cached days against the first.

Each round reads the days into a fresh temporary cache folder (the first read: fetched,
parsed and written as Parquet), then reads them again (from the Parquet files), counting
the simulator's interactions requests of the second read. Never the user's cache.
"""

from __future__ import annotations

import functools
import tempfile
from typing import Any

import polars as pl

from benchmarks._common import Bench, make_client, median, read, timed
from digitalcx_frames.simulator import Simulator

__all__ = ["cached_read", "run"]


def cached_read(sim: Simulator, days: int, folder: str, *, workers: int = 4) -> pl.DataFrame:
    """``read_interactions(...).collect()`` with the day cache in ``folder``."""
    with make_client(sim) as client:
        frame: pl.DataFrame = read(sim, client, days, cache=folder, max_workers=workers).collect()
        return frame


def run(sim: Simulator, *, days: int, label: str, goal: float | None, repeats: int = 3) -> dict[str, Any]:
    """Median first and second read over ``repeats`` fresh cache folders; requests of the second read."""
    first: list[float] = []
    second: list[float] = []
    requests: list[int] = []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory(prefix="dcx-bench-cache-") as folder:
            seconds, frame = timed(functools.partial(cached_read, sim, days, folder))
            first.append(seconds)
            sim.clear_log()
            seconds, again = timed(functools.partial(cached_read, sim, days, folder))
            second.append(seconds)
            requests.append(len(sim.interaction_requests))
            if not again.equals(frame):
                raise AssertionError("the cached read differs from the fetched one")
            del frame, again
    ratio = median(first) / median(second)
    met = "n/a (reported)" if goal is None else ("yes" if ratio >= goal and max(requests) == 0 else "no")
    return {
        "id": "B6",
        "setting": label,
        "first read s": median(first),
        "second read s": median(second),
        "requests (2nd)": max(requests),
        "runs": repeats,
        "goal": "reported" if goal is None else f">= {goal:g}x, 0 requests",
        "measured": f"{ratio:.1f}x",
        "met": met,
    }


def bench(rows: list[dict[str, Any]], days: int) -> Bench:
    """The B6 table."""
    return Bench("B6", f"Cache: second read of {days} closed cached days against the first", rows)
