"""Benchmark: vectorised flag functions against a per-row Python loop with IntFlag.

Run with ``.venv/bin/python -m benchmarks.bench_flags [--rows N]``. Each vectorised
operation runs on ``--rows`` rows (default 10,000,000); the loop runs on a smaller sample
(``--loop-rows``, default 200,000) and is scaled per row. Times are the median of
``--repeats`` runs (default 3), the loop and the vectorised runs interleaved so that both
see the same load on a shared machine. :func:`main` also returns the results as a list of dicts
for ``benchmarks/__main__.py`` to put in BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import functools
import json
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any, Final

import numpy as np
import pandas as pd
import polars as pl

from digitalcx_frames import flag_ops
from digitalcx_frames.flags import InteractionType

__all__ = ["main", "run"]

IT = InteractionType
# Type combinations as they appear in interaction logs, with rough weights: most rows carry
# one to three types. The vectorised functions do not depend on the number of distinct masks
# except ``from_names`` (one Python decode per distinct text) and ``names`` (list length).
REALISTIC: tuple[tuple[InteractionType, float], ...] = (
    (IT.QA, 0.24),
    (IT.QA | IT.DIALOG, 0.12),
    (IT.DIALOG, 0.10),
    (IT.EVENT, 0.10),
    (IT.DATA_RETRIEVAL, 0.08),
    (IT.FAQ_SEARCH | IT.DATA_RETRIEVAL, 0.06),
    (IT.DIALOG | IT.TRANSACTIONAL_DIALOG, 0.06),
    (IT.GENERATIVE_AI, 0.06),
    (IT.QA | IT.GENERATIVE_AI, 0.04),
    (IT.FEEDBACK, 0.04),
    (IT.LINK_CLICK, 0.04),
    (IT.FAQ_CLICK | IT.QA, 0.03),
    (IT.EVENT | IT.DIALOG, 0.02),
    (IT.QA | IT.DIALOG | IT.TRANSACTIONAL_DIALOG, 0.01),
)
HAS: Final = IT.QA | IT.DIALOG
HAS_ANY: Final = IT(131)


def _masks(rows: int, *, seed: int = 20260325) -> np.ndarray[Any, np.dtype[np.uint16]]:
    rng = np.random.default_rng(seed)
    values = np.array([int(flag) for flag, _ in REALISTIC], dtype=np.uint16)
    weights = np.array([weight for _, weight in REALISTIC])
    chosen: np.ndarray[Any, np.dtype[np.uint16]] = rng.choice(values, size=rows, p=weights / weights.sum())
    return chosen


def _texts(masks: pl.Series) -> pl.Series:
    """The API's JSON text of each mask, spaced like ``[ "Dialog", "QA"]``."""
    mapping = {int(flag): "[ " + ", ".join(json.dumps(n) for n in flag.api_names()) + "]" for flag, _ in REALISTIC}
    return masks.replace_strict(mapping, return_dtype=pl.String)


def _seconds(function: Callable[[], object]) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def _loops(flag_all: int, flag_any: int) -> dict[str, Callable[[list[Any]], list[Any]]]:
    return {
        "has": lambda values: [(IT(v) & flag_all) == flag_all for v in values],
        "has_any": lambda values: [bool(IT(v) & flag_any) for v in values],
        "names": lambda values: [IT(v).api_names() for v in values],
        "from_names": lambda texts: [IT.from_api_names(t) for t in texts],
    }


def run(*, rows: int = 10_000_000, loop_rows: int = 200_000, repeats: int = 3) -> list[dict[str, Any]]:
    """Time each operation for Polars and pandas and for the per-row loop; return the rows."""
    masks = pl.Series("all_interaction_types", _masks(rows), dtype=pl.UInt16)
    texts = _texts(masks).alias("all_interaction_types")
    pandas_masks = pd.Series(masks.to_numpy(), dtype="UInt16", name="all_interaction_types")
    pandas_texts = texts.to_pandas(use_pyarrow_extension_array=False).astype("str")
    vectorised: dict[str, dict[str, Callable[[], object]]] = {
        "polars": {
            "has": lambda: flag_ops.has(masks, HAS),
            "has_any": lambda: flag_ops.has_any(masks, HAS_ANY),
            "names": lambda: flag_ops.names(masks),
            "from_names": lambda: flag_ops.from_names(texts),
        },
        "pandas": {
            "has": lambda: flag_ops.has(pandas_masks, HAS),
            "has_any": lambda: flag_ops.has_any(pandas_masks, HAS_ANY),
            "names": lambda: flag_ops.names(pandas_masks),
            "from_names": lambda: flag_ops.from_names(pandas_texts),
        },
    }
    sample = {"masks": masks.head(loop_rows).to_list(), "texts": texts.head(loop_rows).to_list()}
    loops = _loops(int(HAS), int(HAS_ANY))
    results: list[dict[str, Any]] = []
    for operation, loop in loops.items():
        values = sample["texts"] if operation == "from_names" else sample["masks"]
        # Interleave the loop and the vectorised runs so that both see the same machine load
        # (the VM is shared); the ratio is then paired within one round.
        times: dict[str, list[float]] = {"loop": [], **{backend: [] for backend in vectorised}}
        for _ in range(repeats):
            times["loop"].append(_seconds(functools.partial(loop, values)))
            for backend, operations in vectorised.items():
                times[backend].append(_seconds(operations[operation]))
        loop_rate = len(values) / statistics.median(times["loop"])
        for backend in vectorised:
            seconds = statistics.median(times[backend])
            results.append(
                {
                    "benchmark": "flags",
                    "operation": operation,
                    "backend": backend,
                    "rows": rows,
                    "seconds": seconds,
                    "rows_per_s": rows / seconds,
                    "loop_rows": len(values),
                    "loop_rows_per_s": loop_rate,
                    "speedup": rows / seconds / loop_rate,
                    "repeats": repeats,
                }
            )
    return results


def _print(results: Sequence[dict[str, Any]]) -> None:
    print(
        f"{'operation':<11} {'backend':<7} {'rows':>11} {'median s':>9} {'rows/s':>12} {'loop rows/s':>12} {'ratio':>7}"
    )
    for r in results:
        print(
            f"{r['operation']:<11} {r['backend']:<7} {r['rows']:>11,} {r['seconds']:>9.3f} "
            f"{r['rows_per_s']:>12,.0f} {r['loop_rows_per_s']:>12,.0f} {r['speedup']:>6.0f}x"
        )


def main(argv: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Parse the options, run the benchmark, print a table and return the rows."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_flags", description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000_000, help="rows for the vectorised functions")
    parser.add_argument("--loop-rows", type=int, default=200_000, help="rows for the per-row Python loop")
    parser.add_argument("--repeats", type=int, default=3, help="runs per measurement; the median is kept")
    options = parser.parse_args(argv)
    results = run(rows=options.rows, loop_rows=options.loop_rows, repeats=options.repeats)
    _print(results)
    return results


if __name__ == "__main__":
    main()
