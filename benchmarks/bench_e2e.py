"""B1 end to end, B3 transfer and B8 pandas: the library against the plain loop, on loopback.

B1 and B8 time ``read_interactions(...).collect()`` (and ``backend="pandas"``) with the
cache off against :func:`benchmarks._common.plain_loop` on the same simulator, alternated
in one run. B3 times how the library reads page bodies (``iter_pages``: ``Client.get``,
streamed response, one ``raw.read``) against a bare ``requests`` ``raw.read()`` loop,
both sequential, no parsing: the rate of the floor is also the simulator's serving rate.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pandas as pd
import polars as pl

from benchmarks._common import (
    Bench,
    alternate,
    cpu_note,
    day_range,
    make_client,
    median,
    plain_loop,
    raw_pages,
    read,
    sim_pid,
)
from digitalcx_frames._http.pages import iter_pages
from digitalcx_frames.simulator import Simulator

__all__ = ["library", "library_bodies", "library_pandas", "run_latency", "run_no_latency"]


def library(sim: Simulator, days: int, *, workers: int = 4) -> pl.DataFrame:
    """``read_interactions(...).collect()`` of the last ``days`` days, cache off."""
    with make_client(sim) as client:
        frame: pl.DataFrame = read(sim, client, days, max_workers=workers).collect()
        return frame


def library_pandas(sim: Simulator, days: int, *, workers: int = 4) -> pd.DataFrame:
    """``read_interactions(..., backend="pandas")`` of the last ``days`` days, cache off."""
    with make_client(sim) as client:
        frame: pd.DataFrame = read(sim, client, days, max_workers=workers, backend="pandas")
        return frame


def library_bodies(sim: Simulator, days: int) -> int:
    """How the library reads bodies (``iter_pages``, prefetch on), one day after another; bytes read."""
    start, end = day_range(days)
    total = 0
    with make_client(sim) as dcx_client:
        url = dcx_client.interactions_url(sim.customer_key, sim.project_key)
        day = start
        while day < end:
            params = {
                "culture": sim.culture,
                "startDate": f"{day.isoformat()}T00:00:00Z",
                "endDate": f"{(day + timedelta(days=1)).isoformat()}T00:00:00Z",
            }
            for page in iter_pages(dcx_client, url, params, accept="text/csv", window=day.isoformat()):
                total += len(page.body)
            day += timedelta(days=1)
    return total


def _checker(counts: dict[str, int]) -> Callable[[str, Any], None]:
    """Check every side returns the same number of rows; keep the count in ``counts["rows"]``."""

    def check(name: str, result: Any) -> None:
        rows = len(result)
        seen = counts.setdefault("rows", rows)
        if rows != seen:
            raise AssertionError(f"{name} returned {rows} rows, another side {seen}")

    return check


def _ratio_row(
    key: str, what: str, goal: str, target: float, times: dict[str, list[float]], base: str, side: str
) -> dict[str, Any]:
    ratio = median(times[base]) / median(times[side])
    return {
        "id": key,
        "comparison": what,
        "plain s": median(times[base]),
        "library s": median(times[side]),
        "runs": len(times[side]),
        "goal": goal,
        "measured": f"{ratio:.2f}x",
        "met": "yes" if ratio >= target else "no",
    }


def run_no_latency(sim: Simulator, *, days: int, repeats: int = 3) -> list[Bench]:
    """B1 (no latency), B8 and B3 on a simulator without added latency."""
    counts: dict[str, int] = {}
    cases = {
        "plain": lambda: plain_loop(sim, days),
        "polars": lambda: library(sim, days, workers=4),
        "pandas": lambda: library_pandas(sim, days, workers=4),
    }
    cpu: dict[str, list[tuple[float, float]]] = {}
    times = alternate(cases, repeats, after=_checker(counts), cpu=cpu, server_pid=sim_pid(sim))
    b1 = _ratio_row("B1", "polars, 4 workers, no latency", ">= 2.0x", 2.0, times, "plain", "polars")
    b8 = _ratio_row("B8", "pandas backend, 4 workers, no latency", ">= 1.6x", 1.6, times, "plain", "pandas")

    sizes: dict[str, int] = {}

    def keep(name: str, result: Any) -> None:
        sizes[name] = int(result)

    transfer_cpu: dict[str, list[tuple[float, float]]] = {}
    transfer = alternate(
        {
            "raw.read": lambda: raw_pages(sim, days),
            "library": lambda: library_bodies(sim, days),
            "raw.read x4": lambda: raw_pages(sim, days, readers=4),
        },
        repeats,
        after=keep,
        cpu=transfer_cpu,
        server_pid=sim_pid(sim),
    )
    if len(set(sizes.values())) != 1:
        raise AssertionError(f"the two readers read different bytes: {sizes}")
    size = sizes["raw.read"]
    floor, lib = median(transfer["raw.read"]), median(transfer["library"])
    b3 = {
        "id": "B3",
        "comparison": "page bodies, sequential, no parse",
        "MB": round(size / 1e6, 1),
        "raw.read s": floor,
        "library s": lib,
        "raw.read MB/s": round(size / 1e6 / floor),
        "library MB/s": round(size / 1e6 / lib),
        "runs": repeats,
        "goal": "library within 1.5x of raw.read",
        "measured": f"{lib / floor:.2f}x the time",
        "met": "yes" if lib / floor <= 1.5 else "no",
    }
    return [
        Bench(
            "B1",
            "End to end, no added latency",
            [b1],
            notes=(
                f"{days} days, {counts['rows']:,} rows served (Production/Public), pages of 5,000 rows. "
                f"CPU per run (medians): {cpu_note(cpu)}."
            ),
        ),
        Bench("B8", "pandas backend end to end", [b8], notes=f"The same runs as B1: {cpu_note(cpu)}."),
        Bench(
            "B3",
            "Transfer: the library's body reads against raw.read()",
            [b3],
            notes=(
                f"Simulator serving rate: {size / 1e6 / floor:.0f} MB/s to one sequential reader, "
                f"{size / 1e6 / median(transfer['raw.read x4']):.0f} MB/s to 4 concurrent readers "
                f"(requests + raw.read, no parsing). CPU per run (medians): {cpu_note(transfer_cpu)}."
            ),
        ),
    ]


def run_latency(sim: Simulator, *, days: int, repeats: int = 3) -> Bench:
    """B1 with the simulator adding latency to every response: 4 and 8 workers against the plain loop."""
    counts: dict[str, int] = {}
    cases = {
        "plain": lambda: plain_loop(sim, days),
        "4 workers": lambda: library(sim, days, workers=4),
        "8 workers": lambda: library(sim, days, workers=8),
    }
    cpu: dict[str, list[tuple[float, float]]] = {}
    times = alternate(cases, repeats, after=_checker(counts), cpu=cpu, server_pid=sim_pid(sim))
    rows = [
        _ratio_row("B1", "polars, 4 workers, 250 ms/response", ">= 3.5x", 3.5, times, "plain", "4 workers"),
        _ratio_row("B1", "polars, 8 workers, 250 ms/response", ">= 6x", 6.0, times, "plain", "8 workers"),
    ]
    return Bench(
        "B1L",
        "End to end, 250 ms added to every response",
        rows,
        notes=f"{days} days, {counts['rows']:,} rows. CPU per run (medians): {cpu_note(cpu)}.",
    )
