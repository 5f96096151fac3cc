"""B11, the peer: the same days read with dlt's ``rest_api`` source, as a competent user would set it up.

dlt (https://dlthub.com) is what a data engineer would pick instead of this library. The
set-up here is dlt's own declarative ``rest_api_source``:

- ``oauth2_client_credentials`` auth against the token endpoint (with the ``resource``
  form field the API needs);
- a ``header_cursor`` paginator on ``continuationToken`` (header in, query parameter out);
- one resource per UTC day (the API refuses windows over 24 h: dlt has no window splitter,
  so the days are listed by hand), ``parallelized=True`` so dlt's pool runs them together;
- ``Accept: application/json`` (dlt's rest_api reads JSON, not CSV) and ``data_selector: "$"``;
- a 204 "no more data" answer is ignored through ``response_actions``;
- loaded to a local DuckDB file, then read back into one Polars frame (every day's table).

dlt is a benchmark dependency only (the ``bench`` extra), never a runtime one.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any, Final

import polars as pl

from benchmarks._common import (
    CONNECTION_ENV,
    RESOURCE,
    Bench,
    connected_read,
    connection_of,
    day_range,
    median,
    peak_rss_bytes,
)
from digitalcx_frames.simulator import Simulator

__all__ = ["child", "dlt_arrow_read", "dlt_read", "measure", "run"]


def _config(sim: Simulator, days: int) -> dict[str, Any]:
    start, end = day_range(days)
    resources: list[dict[str, Any]] = []
    day = start
    while day < end:
        resources.append(
            {
                "name": f"interactions_{day:%Y%m%d}",
                "table_name": "interactions",
                "parallelized": True,
                "write_disposition": "append",
                "endpoint": {
                    "path": f"{sim.customer_key}/projects/{sim.project_key}/interactions",
                    "params": {
                        "culture": sim.culture,
                        "startDate": f"{day.isoformat()}T00:00:00Z",
                        "endDate": f"{(day + timedelta(days=1)).isoformat()}T00:00:00Z",
                        "paginateData": "true",
                    },
                    "data_selector": "$",
                    "response_actions": [{"status_code": 204, "action": "ignore"}],
                },
            }
        )
        day += timedelta(days=1)
    return {
        "client": {
            "base_url": sim.base_url + "/",
            "headers": {"Accept": "application/json"},
            "auth": {
                "type": "oauth2_client_credentials",
                "access_token_url": sim.token_url,
                "client_id": sim.client_id,
                "client_secret": sim.client_secret,
                "access_token_request_data": {"resource": RESOURCE},
            },
            "paginator": {
                "type": "header_cursor",
                "cursor_key": "continuationToken",
                "cursor_param": "continuationToken",
            },
        },
        "resources": resources,
    }


def dlt_read(sim: Simulator, days: int, *, workers: int | None = None) -> pl.DataFrame:
    """Load the last ``days`` days with dlt's ``rest_api_source`` into DuckDB, then read them into Polars.

    ``workers`` sets dlt's extract pool (``EXTRACT__WORKERS``... the parallelised resources run
    in its thread pool); ``None`` keeps dlt's default.
    """
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    os.environ.setdefault("RUNTIME__LOG_LEVEL", "ERROR")
    import dlt  # noqa: PLC0415  (a benchmark-only dependency)
    from dlt.sources.rest_api import rest_api_source  # noqa: PLC0415

    if workers is not None:
        os.environ["EXTRACT__WORKERS"] = str(workers)
        os.environ["SOURCES__REST_API__MAX_PARALLELISM"] = str(workers)
    with tempfile.TemporaryDirectory(prefix="dcx-dlt-") as tmp:
        database = Path(tmp) / "dlt.duckdb"
        pipeline = dlt.pipeline(
            pipeline_name="dcx_bench",
            destination=dlt.destinations.duckdb(str(database)),
            dataset_name="analytics",
            pipelines_dir=str(Path(tmp) / "pipelines"),
        )
        pipeline.run(rest_api_source(_config(sim, days)))
        import duckdb  # noqa: PLC0415

        with duckdb.connect(str(database), read_only=True) as connection:
            frame: pl.DataFrame = connection.sql("select * from analytics.interactions").pl()
    return frame


def dlt_arrow_read(sim: Simulator, days: int, *, workers: int | None = None) -> pl.DataFrame:
    """The fastest dlt set-up we could build from its parts: CSV pages parsed to Arrow.

    dlt's ``RESTClient`` (OAuth2 client credentials, the header-cursor paginator) with its
    ``extract_response`` taught to parse each CSV page with ``pyarrow.csv``; a resource of
    day windows feeding a ``parallelized`` transformer; loaded to DuckDB (Arrow tables skip
    dlt's row-by-row normaliser) and read back into Polars.
    """
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    os.environ.setdefault("RUNTIME__LOG_LEVEL", "ERROR")
    import io  # noqa: PLC0415

    import dlt  # noqa: PLC0415
    import duckdb  # noqa: PLC0415
    import pyarrow.csv as pacsv  # noqa: PLC0415
    from dlt.sources.helpers.rest_client import RESTClient  # noqa: PLC0415
    from dlt.sources.helpers.rest_client.auth import OAuth2ClientCredentials  # noqa: PLC0415
    from dlt.sources.helpers.rest_client.paginators import HeaderCursorPaginator  # noqa: PLC0415

    parse = pacsv.ParseOptions(newlines_in_values=True)  # answers quote line breaks in text

    class CsvClient(RESTClient):  # type: ignore[misc]
        def extract_response(self, response: Any, data_selector: Any) -> list[Any]:
            if response.status_code == 204 or not response.content:
                return []
            return [pacsv.read_csv(io.BytesIO(response.content), parse_options=parse)]

    if workers is not None:
        os.environ["EXTRACT__WORKERS"] = str(workers)
    client = CsvClient(
        base_url=sim.base_url + "/",
        auth=OAuth2ClientCredentials(
            access_token_url=sim.token_url,
            client_id=sim.client_id,
            client_secret=sim.client_secret,
            access_token_request_data={"resource": RESOURCE},
        ),
        paginator=HeaderCursorPaginator(cursor_key="continuationToken", cursor_param="continuationToken"),
        data_selector="$",
    )
    path = f"{sim.customer_key}/projects/{sim.project_key}/interactions"
    start, end = day_range(days)

    @dlt.resource(name="days")  # type: ignore[untyped-decorator]
    def day_windows() -> Any:
        yield from [start + timedelta(days=n) for n in range((end - start).days)]

    @dlt.transformer(name="interactions", parallelized=True)  # type: ignore[untyped-decorator]
    def pages(day: Any) -> Any:
        params = {
            "culture": sim.culture,
            "startDate": f"{day.isoformat()}T00:00:00Z",
            "endDate": f"{(day + timedelta(days=1)).isoformat()}T00:00:00Z",
            "paginateData": "true",
        }
        for page in client.paginate(path, params=params):
            yield from page

    with tempfile.TemporaryDirectory(prefix="dcx-dlt-") as tmp:
        database = Path(tmp) / "dlt.duckdb"
        pipeline = dlt.pipeline(
            pipeline_name="dcx_bench_arrow",
            destination=dlt.destinations.duckdb(str(database)),
            dataset_name="analytics",
            pipelines_dir=str(Path(tmp) / "pipelines"),
        )
        pipeline.run(day_windows | pages)
        with duckdb.connect(str(database), read_only=True) as connection:
            frame: pl.DataFrame = connection.sql("select * from analytics.interactions").pl()
    return frame


# -- B11: each tool in a fresh process (peak memory and CPU of that tool alone) ----------------

TOOLS: Final = ("dlt", "dlt-arrow", "dcx-collect", "dcx-sink")


def _library(connection: dict[str, str], days: int, workers: int | None, sink: str | None) -> int:
    options: dict[str, Any] = {} if workers is None else {"max_workers": workers}
    with connected_read(connection, days, **options) as lf:
        if sink is None:
            collected: pl.DataFrame = lf.collect()
            return collected.height
        lf.sink_parquet(sink)
        return int(pl.scan_parquet(sink).select(pl.len()).collect().item())


def child(tool: str, connection: dict[str, str], days: int, workers: int | None) -> dict[str, Any]:
    """Run one tool's read in this process: rows, wall seconds, CPU seconds, peak RSS above idle (MiB)."""
    idle = peak_rss_bytes()
    cpu0 = _cpu()
    started = time.perf_counter()
    if tool.startswith("dlt"):
        rows = _dlt_rows(tool, connection, days, workers)
    else:
        with tempfile.TemporaryDirectory(prefix="dcx-b11-") as tmp:
            sink = str(Path(tmp) / "out.parquet") if tool == "dcx-sink" else None
            rows = _library(connection, days, workers, sink)
    wall = time.perf_counter() - started
    return {
        "rows": rows,
        "wall": wall,
        "cpu": _cpu() - cpu0,
        "peak_mib": (peak_rss_bytes() - idle) / 2**20,
    }


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _dlt_rows(tool: str, connection: dict[str, str], days: int, workers: int | None) -> int:
    sim = _SimLike(connection)
    read = dlt_arrow_read if tool == "dlt-arrow" else dlt_read
    frame: pl.DataFrame = read(sim, days, workers=workers)  # type: ignore[arg-type]
    return frame.height


class _SimLike:
    """The attributes of a :class:`Simulator` that :func:`_config` reads, from a connection dict."""

    def __init__(self, connection: dict[str, str]) -> None:
        for key, value in connection.items():
            setattr(self, key, value)


def measure(sim: Simulator, tool: str, days: int, workers: int | None) -> dict[str, Any]:
    """One run of ``tool`` in a fresh interpreter against ``sim``."""
    connection = connection_of(sim)
    command = [sys.executable, "-m", "benchmarks.bench_dlt", "--child", tool, "--days", str(days)]
    if workers is not None:
        command += ["--workers", str(workers)]
    env = {**os.environ, CONNECTION_ENV: json.dumps(connection)}
    root = Path(__file__).parent.parent
    done = subprocess.run(command, check=False, capture_output=True, text=True, env=env, timeout=1800, cwd=root)
    if done.returncode:
        raise RuntimeError(f"{tool} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def run(sims: dict[str, Simulator], *, days: int, repeats: int, threads: int = 4) -> Bench:
    """B11: dlt against read_interactions, each at its default concurrency and at ``threads`` threads.

    Every run is a fresh interpreter (:func:`measure`): wall time, CPU of that process and its
    peak RSS above its idle baseline. dlt's declarative ``rest_api_source`` takes ~10 s a day
    of CPU (its JSON normaliser), so it runs once per latency; the others ``repeats`` times,
    alternated.
    """
    plans: list[tuple[str, str, int | None, int]] = [
        ("dlt rest_api_source (JSON) -> DuckDB -> Polars", "dlt", None, 1),
        ("dlt RESTClient + pyarrow.csv -> DuckDB -> Polars", "dlt-arrow", None, repeats),
        ("dlt RESTClient + pyarrow.csv -> DuckDB -> Polars", "dlt-arrow", threads, repeats),
        ("read_interactions().collect()", "dcx-collect", None, repeats),
        ("read_interactions().collect()", "dcx-collect", threads, repeats),
        ("read_interactions().sink_parquet()", "dcx-sink", None, repeats),
    ]
    rows: list[dict[str, Any]] = []
    for latency, sim in sims.items():
        results: dict[tuple[str, int | None], list[dict[str, Any]]] = {}
        for attempt in range(repeats):
            for _label, tool, workers, times in plans:
                if attempt < times:
                    results.setdefault((tool, workers), []).append(measure(sim, tool, days, workers))
        walls = {key: median([r["wall"] for r in done]) for key, done in results.items()}
        for label, tool, workers, _times in plans:
            runs = results[(tool, workers)]
            wall = walls[(tool, workers)]
            row: dict[str, Any] = {
                "latency": latency,
                "tool": label,
                "threads": "default" if workers is None else workers,
                "rows": runs[0]["rows"],
                "wall s": wall,
                "CPU s": median([r["cpu"] for r in runs]),
                "peak MiB above idle": median([r["peak_mib"] for r in runs]),
                "runs": len(runs),
            }
            if tool.startswith("dcx"):
                peer = walls[("dlt-arrow", workers)]
                row["vs fastest dlt (same threads)"] = f"{peer / wall:.2f}x"
                row["goal"] = "ahead of dlt"
                row["met"] = "yes" if wall < peer else "no"
            rows.append(row)
    return Bench("B11", f"The peer: dlt against read_interactions, {days} days", rows)


def main(argv: list[str] | None = None) -> int:
    """``python -m benchmarks.bench_dlt --child TOOL --days N [--workers W]``: one measured run, JSON out."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_dlt")
    parser.add_argument("--child", choices=TOOLS, required=True)
    parser.add_argument("--days", type=int, required=True)
    parser.add_argument("--workers", type=int)
    options = parser.parse_args(argv)
    connection = json.loads(os.environ[CONNECTION_ENV])
    print(json.dumps(child(options.child, connection, options.days, options.workers)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
