"""Draw the README's plot: interactions per day by main type, from a seeded simulator.

Run ``python scripts/readme_plot.py`` to regenerate ``docs/interactions_per_day.png``, or
``python scripts/readme_plot.py --output some/where.png``. The simulator's seed and
``today`` are fixed and the PNG carries no version or date metadata, so the same
matplotlib and fonts give the same bytes.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl
from matplotlib.figure import Figure

import digitalcx_frames as dcx
from digitalcx_frames.simulator import Simulator

DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "docs" / "interactions_per_day.png"
TODAY = date(2026, 11, 20)
"""The simulator's and the reader's today: the plot shows the days before it."""
DAYS = 14
SEED = 11
ROWS_PER_DAY = 2_000
# One colour per main type, the order of the stack (largest at the bottom).
COLOURS = {
    "QA": "#4c72b0",
    "DataRetrieval": "#a1c9f4",
    "Dialog": "#55a868",
    "Event": "#c7c7c7",
    "Feedback": "#dd8452",
    "GenerativeAI": "#8172b3",
    "LinkClick": "#da8bc3",
    "FaqSearch": "#ccb974",
    "FaqClick": "#64b5cd",
    "TransactionalDialog": "#937860",
}


def interactions_per_day(*, today: date = TODAY, days: int = DAYS) -> pl.DataFrame:
    """Rows per UTC day and main type of a seeded simulator: ``day`` and one column per type."""
    with Simulator(seed=SEED, rows_per_day=ROWS_PER_DAY, today=today) as sim:
        logs = dcx.read_interactions(
            sim.customer_key,
            sim.project_key,
            culture=sim.culture,
            start=today - timedelta(days=days),
            end=today,
            client=dcx.Client(sim.client_id, sim.client_secret, base_url=sim.base_url, token_url=sim.token_url),
            cache=False,
            progress=False,
            now=datetime(today.year, today.month, today.day, 12, tzinfo=UTC),
        )
        counts = (
            logs.group_by(
                day=pl.col("timestamp_start").dt.date(),
                main_type=pl.col("main_interaction_type").cast(pl.String),
            )
            .len()
            .collect()
        )
    table = counts.pivot(on="main_type", index="day", values="len").fill_null(0).sort("day")
    missing = [name for name in COLOURS if name not in table.columns]
    return table.with_columns(pl.lit(0, dtype=pl.UInt32).alias(name) for name in missing).select("day", *COLOURS)


def draw(table: pl.DataFrame) -> Figure:
    """A stacked bar chart of :func:`interactions_per_day`'s table."""
    figure = Figure(figsize=(10, 4.8), dpi=100, layout="constrained")
    ax = figure.subplots()
    positions = list(range(table.height))
    bottom = [0] * table.height
    for name, colour in COLOURS.items():
        values = table[name].to_list()
        ax.bar(positions, values, bottom=bottom, width=0.72, label=name, color=colour, edgecolor="white", linewidth=0.4)
        bottom = [below + value for below, value in zip(bottom, values, strict=True)]
    ax.set_xticks(positions, [day.strftime("%a\n%d %b") for day in table["day"]], fontsize=8.5)
    ax.set_ylabel("interactions")
    ax.set_title("Interactions per day by main type", loc="left", fontsize=13, fontweight="bold")
    first, last = table["day"][0], table["day"][-1]
    ax.text(
        0,
        1.01,
        f"simulated project, {first:%d %b} - {last:%d %b %Y} (UTC), digitalcx_frames + Polars",
        transform=ax.transAxes,
        fontsize=9,
        color="#555555",
        va="bottom",
    )
    ax.set_title(" ", pad=14)  # room for the subtitle under the left-aligned title
    ax.grid(axis="y", color="#e5e5e5", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.spines[["top", "right", "left"]].set_visible(False)
    ax.tick_params(axis="y", length=0)
    ax.set_xlim(-0.6, table.height - 0.4)
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(handles[::-1], labels[::-1], loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False, fontsize=9)
    return figure


def main(argv: Sequence[str] | None = None) -> int:
    """Write the PNG (``--output``, default ``docs/interactions_per_day.png``); return 0."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help=f"PNG to write (default {DEFAULT_OUTPUT})")
    args = parser.parse_args(argv)
    output: Path = args.output
    output.parent.mkdir(parents=True, exist_ok=True)
    figure = draw(interactions_per_day())
    figure.savefig(output, format="png", dpi=110, metadata={"Software": None}, facecolor="white")
    print(f"wrote {output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
