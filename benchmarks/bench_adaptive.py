"""B9: adaptive windows against a gateway that answers 504 to every window longer than 6 h.

The simulator (its own process) stands for a busy project of the real service: a window
longer than :data:`TIMEOUT_HOURS` waits :data:`DELAY` seconds, then answers 504, as a
gateway that gives up on a slow backend does (the real one after minutes: the delay here
keeps the run short; every wasted timeout costs the same share of the run at any delay).

Two readers, alternating in one run, each with a fresh client and ``max_workers=4``:

- *before adaptive windows*: the client learns nothing
  (:func:`~digitalcx_frames._read.windows.without_learning`): every day starts at 24 h and
  is split in halves on each timeout, as the reader did before issue 13;
- *adaptive*: the client learns from the first timeouts; then a *second read* of the same
  days with the same client starts at the length it learned.

Timed-out requests are counted in the simulator's request log (status 504).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Final

import polars as pl

from benchmarks._common import TODAY, Bench, make_client, median, read, timed
from digitalcx_frames._read.windows import without_learning
from digitalcx_frames.simulator import Faults, Simulator

__all__ = ["DELAY", "ROWS_PER_DAY", "TIMEOUT_HOURS", "gateway", "measure", "run"]

TIMEOUT_HOURS: Final = 6
"""Windows longer than this many hours answer 504."""
DELAY: Final = 1.0
"""Seconds before the 504 (the client's read timeout, 60 s, is far above it: the 504 arrives)."""
ROWS_PER_DAY: Final = 4_000
PAGE_SIZE: Final = 5_000
WORKERS: Final = 4
TODAY_READER: Final = "before adaptive windows"
ADAPTIVE: Final = "adaptive"

LIMITS: Final = (
    "The gateway's delay: every timed-out request holds a worker for the whole delay before it "
    "can split, so wall time is (timeouts per worker) x delay plus the fetches. The adaptive "
    "reader's timeouts are the first wave of days started at 24 h at once (one per worker) and the "
    "12 h halves already in flight when the first 504 arrived, plus at most one probe per read; "
    "a second read with the same client costs at most its one probe."
)


@contextmanager
def gateway(
    rows_per_day: int = ROWS_PER_DAY,
    *,
    delay: float = DELAY,
    page_size: int = PAGE_SIZE,
    process: bool = True,
) -> Iterator[Simulator]:
    """A simulator whose windows longer than :data:`TIMEOUT_HOURS` answer 504 after ``delay`` seconds."""
    sim = Simulator(
        rows_per_day=rows_per_day,
        page_size=page_size,
        today=TODAY,
        process=process,
        faults=Faults(timeout_hours=TIMEOUT_HOURS, timeout_delay=delay),
    )
    try:
        yield sim
    finally:
        sim.stop()


def measure(sim: Simulator, client: Any, days: int) -> dict[str, Any]:
    """One read of the last ``days`` days with ``client``: wall time, requests, timed-out requests, rows."""
    sim.clear_log()
    seconds, frame = timed(lambda: read(sim, client, days, max_workers=WORKERS).collect())
    assert isinstance(frame, pl.DataFrame)
    records = sim.interaction_requests
    return {
        "wall": seconds,
        "requests": len(records),
        "timed out": sum(1 for record in records if record.status == 504),
        "rows": frame.height,
    }


def _count(values: list[int]) -> int | float:
    middle = median([float(v) for v in values])
    return int(middle) if middle.is_integer() else middle


def run(sim: Simulator, *, days: int, repeats: int) -> Bench:
    """Both readers on ``sim`` (a :func:`gateway`), alternating; the adaptive one read twice."""
    delay = sim.config.faults.timeout_delay
    results: dict[str, list[dict[str, Any]]] = {TODAY_READER: [], ADAPTIVE: [], "second": []}

    def before() -> None:
        with make_client(sim) as client:
            without_learning(client)
            results[TODAY_READER].append(measure(sim, client, days))

    def adaptive() -> None:
        with make_client(sim) as client:
            results[ADAPTIVE].append(measure(sim, client, days))
            results["second"].append(measure(sim, client, days))

    for round_number in range(repeats):
        cases = [before, adaptive] if round_number % 2 == 0 else [adaptive, before]
        for case in cases:
            case()
    rows_seen = {r["rows"] for runs in results.values() for r in runs}
    assert len(rows_seen) == 1, f"the readers disagree on the rows: {rows_seen}"

    rows_read = rows_seen.pop()

    def row(reader: str, which: str, name: str, goal: str, met: str) -> dict[str, Any]:
        runs = results[name]
        return {
            "reader": reader,
            "read": which,
            "wall (s)": median([r["wall"] for r in runs]),
            "requests": _count([r["requests"] for r in runs]),
            "timed-out requests": _count([r["timed out"] for r in runs]),
            "runs": len(runs),
            "goal": goal,
            "met": met,
        }

    base = row(TODAY_READER, "1st (fresh client)", TODAY_READER, "(the baseline)", "")
    first = row(
        ADAPTIVE, "1st (fresh client)", ADAPTIVE, "<= 1/4 of the baseline's timed-out requests, less wall time", ""
    )
    second = row(ADAPTIVE, "2nd (same client)", "second", "<= 1 timed-out request (the learned length reused)", "")
    timeouts, wall = "timed-out requests", "wall (s)"
    first["met"] = "yes" if first[timeouts] * 4 <= base[timeouts] and first[wall] < base[wall] else "no"
    second["met"] = "yes" if second[timeouts] <= 1 and second[wall] < base[wall] else "no"
    notes = (
        f"{days} days ({rows_read:,} rows read), {WORKERS} workers, cache off, a fresh client per reader. "
        f"Windows longer than {TIMEOUT_HOURS} h answer 504 after {delay:g} s (the real gateway: minutes; the "
        "wall time spent in timeouts scales with it). Wall time is the median of the runs; requests and "
        "timed-out requests (medians) come from the simulator's log."
    )
    return Bench(
        "B9", "Adaptive windows against a gateway that times out windows over 6 h", [base, first, second], LIMITS, notes
    )
