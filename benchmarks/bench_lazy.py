"""B7 laziness: how many requests a query on the lazy frame makes.

``head(100)``, a filter on a 2-day ``timestamp_start`` range inside a 30-day read, and
``select(pl.len())``, each against a full ``collect()`` of the same frame; requests are
counted in the simulator's log, cleared before each query.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl

import digitalcx_frames as dcx
from benchmarks._common import PAGE_SIZE, Bench, day_range, make_client, median, read, timed
from digitalcx_frames.simulator import Simulator

__all__ = ["run"]


def run(sim: Simulator, *, days: int, page_size: int = PAGE_SIZE, repeats: int = 3) -> Bench:
    """Requests and seconds of each query (medians of ``repeats``)."""
    start, _ = day_range(days)
    middle = datetime.combine(start + timedelta(days=days // 2), datetime.min.time(), tzinfo=UTC)
    low, high = middle, middle + timedelta(days=2)
    in_range = pl.col("timestamp_start").is_between(low, high, closed="left")

    def frame() -> tuple[pl.LazyFrame, dcx.Client]:
        client = make_client(sim)
        lf: pl.LazyFrame = read(sim, client, days, max_workers=4)
        return lf, client

    lf, client = frame()
    with client:
        full = lf.collect()
    per_day = full.group_by(pl.col("timestamp_start").dt.date().alias("day")).len()
    pages = per_day.with_columns(pages=(pl.col("len") + page_size - 1) // page_size)
    all_pages = int(pages["pages"].sum())
    two_days = pages.filter(pl.col("day").is_between(low.date(), high.date(), closed="left"))
    queries: dict[str, tuple[Callable[[pl.LazyFrame], pl.DataFrame], int, int]] = {
        "collect() (all rows)": (lambda lf: lf.collect(), all_pages, full.height),
        "head(100)": (lambda lf: lf.head(100).collect(), 1, 100),
        "filter: 2-day timestamp_start range": (
            lambda lf: lf.filter(in_range).collect(),
            int(two_days["pages"].sum()),
            full.filter(in_range).height,
        ),
        "select(pl.len())": (lambda lf: lf.select(pl.len()).collect(), all_pages, 1),
    }
    rows: list[dict[str, Any]] = []
    for name, (query, ideal, expected_rows) in queries.items():
        counts: list[int] = []
        times: list[float] = []
        for _ in range(repeats):
            lf, client = frame()
            sim.clear_log()
            try:
                seconds, result = timed(functools.partial(query, lf))
            finally:
                client.close()
            counts.append(len(sim.interaction_requests))
            times.append(seconds)
            if name == "select(pl.len())":
                if int(result.item()) != full.height:
                    raise AssertionError(f"len() = {result.item()}, expected {full.height}")
            elif result.height != expected_rows:
                raise AssertionError(f"{name}: {result.height} rows, expected {expected_rows}")
        requests = int(median([float(c) for c in counts]))
        rows.append(
            {
                "query": name,
                "rows": expected_rows,
                "requests": requests,
                "least possible": ideal,
                "seconds": median(times),
                "runs": repeats,
                "met": "yes" if requests <= ideal + 1 else "no",
            }
        )
    return Bench(
        "B7",
        f"Laziness: requests per query on a {days}-day frame",
        rows,
        notes=(
            f"{full.height:,} rows in pages of {page_size:,}: {all_pages} requests for everything. "
            "'least possible' = the pages holding the rows asked for; 'met' allows one request more "
            "(the prefetched next page)."
        ),
    )
