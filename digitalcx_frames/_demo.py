"""The demo behind ``make demo``: a week of simulated interaction logs, read, summarised and saved.

It starts the bundled simulator on a loopback port (its ``today`` is the real UTC date),
reads whole closed days with :func:`digitalcx_frames.read_interactions` exactly as one
would read the real API, and prints what a data scientist looks at first: the schema, how
many rows came in how fast, the main interaction types and the top questions. Then it
writes the frame to a Parquet file.

Examples
--------
>>> import io, tempfile
>>> from pathlib import Path
>>> out = io.StringIO()
>>> with tempfile.TemporaryDirectory() as tmp:
...     code = run_demo(Path(tmp) / "week.parquet", days=1, rows_per_day=200, stream=out)
...     written = (Path(tmp) / "week.parquet").is_file()
>>> code, written, "Top 10 questions" in out.getvalue()
(0, True, True)
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final, Protocol, TextIO

import polars as pl

from digitalcx_frames import features
from digitalcx_frames._files import atomic_write
from digitalcx_frames._http.transport import Client
from digitalcx_frames._read.fetch import ReadReport
from digitalcx_frames._read.frames import read_interactions
from digitalcx_frames.errors import ConfigurationError
from digitalcx_frames.simulator import Simulator

__all__ = ["default_output", "run_demo"]

_RULE: Final = "─" * 72
_TOP: Final = 10


def default_output() -> Path:
    """Where the demo writes when no ``out`` is given: a folder of its own in the temp folder.

    Never the current folder: trying the demo inside a project leaves nothing there.

    >>> default_output().name, default_output().parent.name
    ('interactions.parquet', 'digitalcx-frames-demo')
    """
    return Path(tempfile.gettempdir()) / "digitalcx-frames-demo" / "interactions.parquet"


def run_demo(
    out: Path | None = None,
    *,
    days: int = 7,
    rows_per_day: int = 5000,
    stream: TextIO | None = None,
) -> int:
    """Read ``days`` closed days from a fresh simulator, print a summary and write ``out``.

    Parameters
    ----------
    out
        The Parquet file to write (atomically: an interruption leaves no half file);
        default :func:`default_output` (its folder is created). The path is printed first.
    days
        Whole closed UTC days to read, ending at 00:00 UTC today (1..90).
    rows_per_day
        Rows the simulator generates per day, before the default filters
        (Production, Public) keep most of them.
    stream
        Where the summary goes; default ``sys.stdout`` at the time of the call.

    Returns
    -------
    int
        0 (errors are raised: :class:`~digitalcx_frames.ConfigurationError` for bad
        arguments, the library's errors for anything else).
    """
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 90:
        raise ConfigurationError(f"days must be an int from 1 to 90 (the API's history), not {days!r}")
    if isinstance(rows_per_day, bool) or not isinstance(rows_per_day, int) or rows_per_day < 0:
        raise ConfigurationError(f"rows_per_day must be an int >= 0, not {rows_per_day!r}")
    if out is None:
        out = default_output()
        out.parent.mkdir(parents=True, exist_ok=True)
    out = Path(out).expanduser().absolute()
    if out.suffix.lower() != ".parquet":
        raise ConfigurationError(f"out must be a .parquet file, not {str(out)!r}")
    if not out.parent.is_dir():
        raise ConfigurationError(f"the folder of out={str(out)!r} does not exist")

    target = sys.stdout if stream is None else stream

    def say(line: str = "") -> None:
        print(line, file=target, flush=True)

    end = datetime.now(UTC).date()
    start = end - timedelta(days=days)
    say("digitalcx_frames demo · simulated DigitalCX Analytics API")
    say(_RULE)
    plural = "s" if days != 1 else ""
    say(f"starting the simulator: generating {days} day{plural} x {rows_per_day:,} rows ...")
    began = time.perf_counter()
    with (
        Simulator(rows_per_day=rows_per_day, seed=0, today=end, prerender=(start, end - timedelta(days=1))) as sim,
        Client(sim.client_id, sim.client_secret, base_url=sim.base_url, token_url=sim.token_url) as client,
    ):
        say(f"simulator  {sim.base_url} (loopback), ready in {time.perf_counter() - began:.1f} s")
        say(f"project    {sim.customer_key}/{sim.project_key}, culture {sim.culture!r}")
        span = f"{start:%Y-%m-%d} .. {end - timedelta(days=1):%Y-%m-%d}"
        say(f"range      {span} ({days} whole UTC day{plural}; Production, Public)")
        say(f"output     {out} (--out to change)")
        say()
        reports: list[ReadReport] = []
        lazy = read_interactions(
            sim.customer_key,
            sim.project_key,
            culture=sim.culture,
            start=start,
            end=end,
            client=client,
            cache=False,  # trying the demo leaves nothing in the user's cache folder
            progress=False,
            report=reports.append,
        )
        say(f"lazy       read_interactions(...) -> LazyFrame, {len(sim.interaction_requests)} requests so far")
        began = time.perf_counter()
        frame = lazy.collect()
        seconds = time.perf_counter() - began
        requests = len(sim.interaction_requests)

    rate = frame.height / seconds if seconds > 0 else float("inf")
    say(f"collect    {frame.height:,} rows in {seconds:.2f} s ({rate:,.0f} rows/s, {requests} requests)")
    if reports:
        say(f"report     {reports[-1]}")
    say()
    _schema(frame, say)
    _types(frame, say)
    _questions(frame, say)

    with atomic_write(out, private_folder=False) as tmp:
        frame.write_parquet(tmp, compression="zstd", statistics=True)
        size = tmp.stat().st_size
    say(f"wrote      {out} ({frame.height:,} rows, {size / 1e6:.1f} MB)")
    say(f'next       pl.scan_parquet("{out}")  or  pd.read_parquet("{out}")')
    return 0


def _schema(frame: pl.DataFrame, say: _Say) -> None:
    say(f"Schema ({frame.width} columns)")
    width = max(len(name) for name in frame.columns)
    for name, dtype in frame.schema.items():
        say(f"  {name:<{width}}  {dtype}")
    say()


def _types(frame: pl.DataFrame, say: _Say) -> None:
    say("Rows per main interaction type")
    counts = (
        frame.group_by(pl.col("main_interaction_type").cast(pl.String))
        .len()
        .sort(["len", "main_interaction_type"], descending=[True, False])
    )
    total = max(frame.height, 1)
    width = max((len(str(name)) for name in counts["main_interaction_type"]), default=4)
    for name, count in counts.iter_rows():
        share = 100 * count / total
        bar = "█" * round(share / 2.5)
        say(f"  {name!s:<{width}}  {count:>9,}  {share:5.1f}%  {bar}")
    say()


def _questions(frame: pl.DataFrame, say: _Say) -> None:
    top = features.top_questions(frame, n=_TOP)
    say(f"Top {_TOP} questions (normalised; share with negative feedback)")
    if top.height == 0:
        say("  (no questions in this range)")
    width = max((len(q) for q in top["question"]), default=8)
    for rank, (question, count, _negative, share) in enumerate(top.iter_rows(), start=1):
        say(f"  {rank:>2}. {question:<{width}}  {count:>7,}  {100 * share:4.1f}% negative")
    say()


class _Say(Protocol):
    """The type of the ``say`` printer: one optional line."""

    def __call__(self, line: str = "") -> None: ...
