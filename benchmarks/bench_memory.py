"""B5 memory: peak RSS of ``sink_parquet`` over 1, 15, 30 and 60 days, each in a fresh process.

Each measurement runs ``python -m benchmarks.bench_memory --child`` in a new interpreter
that imports the library, notes its peak RSS so far (``VmHWM``: the idle baseline),
streams the read into a Parquet file with ``sink_parquet`` (cache off) and reports its peak
RSS. The simulator serves from its own process. The read's footprint is peak minus idle;
it must not grow with the number of days and must stay within
``(max_workers + 2) x`` one day's body and frame.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks._common import CONNECTION_ENV, Bench, connected_read, connection_of, median, peak_rss_bytes
from benchmarks.bench_e2e import library, library_bodies
from digitalcx_frames.simulator import Simulator

__all__ = ["child", "run"]

WORKERS = 4


def child(connection: dict[str, str], days: int, workers: int, out: str) -> dict[str, int]:
    """Run one read into ``out`` in this process; return idle and peak RSS in bytes."""
    import polars as pl  # noqa: PLC0415 - imported here so the idle baseline includes them

    import digitalcx_frames  # noqa: F401, PLC0415

    idle = peak_rss_bytes()
    with connected_read(connection, days, max_workers=workers) as lf:
        lf.sink_parquet(out)
    peak = peak_rss_bytes()
    rows = int(pl.scan_parquet(out).select(pl.len()).collect().item())
    return {"idle": idle, "peak": peak, "rows": rows}


def _spawn(sim: Simulator, days: int, workers: int, folder: str) -> dict[str, int]:
    out = str(Path(folder) / f"days-{days}.parquet")
    command = [sys.executable, "-m", "benchmarks.bench_memory", "--child", str(days), str(workers), out]
    env = {**os.environ, CONNECTION_ENV: json.dumps(connection_of(sim))}  # never on the command line
    done = subprocess.run(
        command, capture_output=True, text=True, check=False, cwd=Path(__file__).parent.parent, env=env
    )
    if done.returncode != 0:
        raise RuntimeError(f"the memory child failed:\n{done.stderr[-2000:]}")
    os.unlink(out)
    result: dict[str, int] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def run(
    sim: Simulator,
    *,
    day_counts: tuple[int, ...] = (15, 30, 60),
    workers_sweep: tuple[int, ...] = (1, 8),
    repeats: int = 3,
) -> Bench:
    """Peak RSS per number of days (and per number of workers at the most days); medians of ``repeats``."""
    one_body = library_bodies(sim, 1)
    one_frame = int(library(sim, 1).estimated_size())
    one_day = one_body + one_frame
    bound = (WORKERS + 2) * one_day
    most = max(day_counts)
    configs = [(1, WORKERS)] + [(days, WORKERS) for days in day_counts] + [(most, w) for w in workers_sweep]
    peaks: dict[tuple[int, int], list[int]] = {c: [] for c in configs}
    footprints: dict[tuple[int, int], list[int]] = {c: [] for c in configs}
    rows_seen: dict[int, int] = {}
    with tempfile.TemporaryDirectory(prefix="dcx-bench-memory-") as folder:
        for round_number in range(repeats):
            shift = round_number % len(configs)
            for days, workers in configs[shift:] + configs[:shift]:
                result = _spawn(sim, days, workers, folder)
                if rows_seen.setdefault(days, result["rows"]) != result["rows"]:
                    raise AssertionError(f"{days} days gave {result['rows']} rows, before {rows_seen[days]}")
                peaks[days, workers].append(result["peak"])
                footprints[days, workers].append(result["peak"] - result["idle"])
    mib = 1024 * 1024

    def med(values: list[int]) -> float:
        return median([float(x) for x in values])

    base_peak = med(peaks[1, WORKERS])
    ordered = sorted(day_counts)
    reference = ordered[-2] if len(ordered) > 1 else ordered[0]
    before_most = med(footprints[reference, WORKERS])
    rows: list[dict[str, Any]] = []
    for days, workers in configs:
        peak, footprint = med(peaks[days, workers]), med(footprints[days, workers])
        above = peak - base_peak
        row: dict[str, Any] = {
            "days": days,
            "workers": workers,
            "rows": rows_seen[days],
            "peak RSS MiB": round(peak / mib),
            "above 1-day peak MiB": round(above / mib),
            "read footprint MiB": round(footprint / mib),
            "runs": repeats,
        }
        if workers == WORKERS and days in day_counts:
            flat = days != most or footprint - before_most <= one_day
            row["goal"] = f"flat in days; above 1-day peak <= {bound / mib:.0f} MiB"
            row["met"] = "yes" if flat and above <= bound else ("flat: yes; bound: no" if flat else "no")
        rows.append(row)
    low, high = (min(workers_sweep), max(workers_sweep)) if workers_sweep else (WORKERS, WORKERS)
    slope = (med(footprints[most, high]) - med(footprints[most, low])) / (high - low) if high > low else 0.0
    return Bench(
        "B5",
        "Memory: sink_parquet, peak RSS by number of days",
        rows,
        notes=(
            f"One day = {one_body / mib:.1f} MiB of body + {one_frame / mib:.1f} MiB of frame; "
            f"{WORKERS} workers: bound = {WORKERS + 2} x one day = {bound / mib:.0f} MiB. Each figure is a "
            "fresh child process (VmHWM); footprint = its peak minus its RSS after imports. 'Flat' = the "
            f"footprint at {most} days exceeds the one at {reference} days by less than one day (below that, "
            "with fewer than ~300k rows the Polars sink's Parquet row-group buffer is still filling). "
            f"Each extra worker adds {slope / mib:.1f} MiB at {most} days ({slope / one_day:.2f} x one day)."
        ),
    )


def main(argv: list[str] | None = None) -> int:
    """``--child DAYS WORKERS OUT``: one measurement, printed as JSON (the connection comes in the environment)."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_memory")
    parser.add_argument("--child", nargs=3, metavar=("DAYS", "WORKERS", "OUT"), required=True)
    options = parser.parse_args(argv)
    days, workers, out = options.child
    print(json.dumps(child(json.loads(os.environ[CONNECTION_ENV]), int(days), int(workers), out)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
