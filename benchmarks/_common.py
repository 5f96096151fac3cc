"""Shared helpers of the benchmarks: timing, alternating A/B runs, the plain loop, the simulator.

Every figure is a median of ``repeats`` runs; the sides of a comparison run alternately
within one round (the order rotates each round), so drift in the machine's load hits
both sides alike and the ratio is taken between medians measured side by side.
"""

from __future__ import annotations

import io
import json
import os
import platform
import resource
import statistics
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from importlib.metadata import version
from typing import Any, Final

import pandas as pd
import requests

import digitalcx_frames as dcx
from digitalcx_frames.simulator import Faults, Simulator

__all__ = [
    "PAGE_SIZE",
    "TODAY",
    "Bench",
    "SimSpec",
    "alternate",
    "cpu_note",
    "day_range",
    "machine",
    "make_client",
    "median",
    "plain_loop",
    "prerender",
    "sim_pid",
    "simulator",
    "timed",
]

TODAY: Final = date(2026, 11, 20)
"""The simulators' today: every benchmark reads whole, closed days before it."""
NOW: Final = datetime(2026, 11, 20, 12, tzinfo=UTC)
"""The clock handed to ``read_interactions`` (days before ``TODAY`` are closed)."""
PAGE_SIZE: Final = 5_000
RESOURCE: Final = "https://digitalcx.onmicrosoft.com/external-api"


def median(values: list[float]) -> float:
    """The median of a non-empty list."""
    return float(statistics.median(values))


def timed(function: Callable[[], Any]) -> tuple[float, Any]:
    """Seconds taken by ``function()`` and its result."""
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def own_cpu() -> float:
    """CPU seconds used so far by this process (all threads)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def process_cpu(pid: int | None) -> float:
    """CPU seconds used so far by process ``pid`` (0.0 when unknown)."""
    if pid is None:
        return 0.0
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def sim_pid(sim: Simulator) -> int | None:
    """The process id of a simulator running in its own process (``None`` in thread mode)."""
    child = getattr(sim, "_child", None)
    pid = getattr(child, "pid", None)
    return pid if isinstance(pid, int) else None


def alternate(
    cases: Mapping[str, Callable[[], Any]],
    repeats: int,
    *,
    after: Callable[[str, Any], None] | None = None,
    cpu: dict[str, list[tuple[float, float]]] | None = None,
    server_pid: int | None = None,
) -> dict[str, list[float]]:
    """Run every case ``repeats`` times, alternating; the order rotates each round.

    ``after(name, result)`` sees each result (to check it, or count requests). With ``cpu``,
    each run's (this process's CPU seconds, the server process's CPU seconds) is kept there.
    """
    names = list(cases)
    times: dict[str, list[float]] = {name: [] for name in names}
    for round_number in range(repeats):
        shift = round_number % len(names)
        for name in names[shift:] + names[:shift]:
            client_before, server_before = own_cpu(), process_cpu(server_pid)
            seconds, result = timed(cases[name])
            times[name].append(seconds)
            if cpu is not None:
                cpu.setdefault(name, []).append((own_cpu() - client_before, process_cpu(server_pid) - server_before))
            if after is not None:
                after(name, result)
            del result
    return times


def cpu_note(cpu: Mapping[str, list[tuple[float, float]]]) -> str:
    """``name: client x s + simulator y s CPU`` per case (medians)."""
    return "; ".join(
        f"{name}: {median([c for c, _ in runs]):.1f} s client + {median([s for _, s in runs]):.1f} s simulator"
        for name, runs in cpu.items()
    )


def day_range(days: int) -> tuple[date, date]:
    """``(start, end)`` of the ``days`` whole days just before :data:`TODAY`."""
    return TODAY - timedelta(days=days), TODAY


# -- the simulator ----------------------------------------------------------------------


@dataclass(frozen=True)
class SimSpec:
    """The settings of one benchmark simulator."""

    rows_per_day: int
    latency: float = 0.0
    page_size: int = PAGE_SIZE


@contextmanager
def simulator(spec: SimSpec) -> Iterator[Simulator]:
    """A simulator in its own process (nothing rendered yet: call :func:`prerender`)."""
    faults = Faults(latency=spec.latency) if spec.latency else None
    sim = Simulator(
        rows_per_day=spec.rows_per_day,
        page_size=spec.page_size,
        today=TODAY,
        process=True,
        faults=faults,
    )
    try:
        yield sim
    finally:
        sim.stop()


def prerender(sim: Simulator, days: int, *, json_bodies: bool = False) -> float:
    """Have the simulator's process generate and render the last ``days`` days; seconds taken.

    ``json_bodies`` renders the JSON bodies too (for a reader that asks for JSON, B11's dlt).
    """
    first, end = day_range(days)
    selection: dict[str, object] = {"first": first.isoformat(), "last": (end - timedelta(days=1)).isoformat()}
    if json_bodies:
        selection["json"] = True
    payload = json.dumps(selection).encode()
    request = urllib.request.Request(f"{sim.base_url}/_simulator/prerender", data=payload, method="POST")
    start = time.perf_counter()
    with urllib.request.urlopen(request, timeout=1800) as response:
        response.read()
    return time.perf_counter() - start


# -- the plain loop -----------------------------------------------------------------------


def read(sim: Simulator, client: dcx.Client, days: int, **options: Any) -> Any:
    """``read_interactions`` of the last ``days`` closed days of ``sim``: cache off, no bar, the fixed clock.

    ``options`` override those defaults or add to them (``max_workers``, ``backend`` ...).
    """
    start, end = day_range(days)
    settings: dict[str, Any] = {"cache": False, "progress": False, "now": NOW, **options}
    return dcx.read_interactions(
        sim.customer_key, sim.project_key, culture=sim.culture, start=start, end=end, client=client, **settings
    )


CONNECTION_ENV: Final = "DCX_BENCH_CONNECTION"
"""The environment variable that hands a child process its connection (never its command line)."""


def connection_of(sim: Simulator) -> dict[str, str]:
    """What a child process needs to read ``sim``'s project (passed as JSON)."""
    names = ("client_id", "client_secret", "base_url", "token_url", "customer_key", "project_key", "culture")
    return {name: str(getattr(sim, name)) for name in names}


@contextmanager
def connected_read(connection: Mapping[str, str], days: int, **options: Any) -> Iterator[Any]:
    """``read_interactions`` of the last ``days`` days through ``connection`` (cache off, no bar)."""
    start, end = day_range(days)
    settings: dict[str, Any] = {"cache": False, "progress": False, "now": NOW, **options}
    with dcx.Client(
        connection["client_id"],
        connection["client_secret"],
        base_url=connection["base_url"],
        token_url=connection["token_url"],
    ) as client:
        yield dcx.read_interactions(
            connection["customer_key"],
            connection["project_key"],
            culture=connection["culture"],
            start=start,
            end=end,
            client=client,
            **settings,
        )


def make_client(sim: Simulator) -> dcx.Client:
    """A library client for ``sim``."""
    return dcx.Client(sim.client_id, sim.client_secret, base_url=sim.base_url, token_url=sim.token_url)


def _token(session: requests.Session, sim: Simulator) -> str:
    reply = session.post(
        sim.token_url,
        data={
            "grant_type": "client_credentials",
            "client_id": sim.client_id,
            "client_secret": sim.client_secret,
            "resource": RESOURCE,
        },
        timeout=60,
    )
    reply.raise_for_status()
    return str(reply.json()["access_token"])


def plain_loop(sim: Simulator, days: int) -> pd.DataFrame:
    """What a user writes without the library: one day at a time, page after page, then pandas.

    Sequential ``requests`` following ``continuationToken``, ``pd.read_csv(io.BytesIO(r.content))``
    per page, ``pd.concat``, then the typed columns: ``Int64``, ``to_datetime`` (UTC),
    ``boolean``, ``Float64``.
    """
    start, end = day_range(days)
    url = f"{sim.base_url}/{sim.customer_key}/projects/{sim.project_key}/interactions"
    frames: list[pd.DataFrame] = []
    with requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {_token(session, sim)}"
        day = start
        while day < end:
            params = {
                "culture": sim.culture,
                "startDate": f"{day.isoformat()}T00:00:00Z",
                "endDate": f"{(day + timedelta(days=1)).isoformat()}T00:00:00Z",
                "paginateData": "true",
            }
            while True:
                r = session.get(url, params=params, timeout=600)
                r.raise_for_status()
                if r.status_code == 204:
                    break
                frames.append(pd.read_csv(io.BytesIO(r.content)))
                token = r.headers.get("continuationToken")
                if not token:
                    break
                params["continuationToken"] = token
            day += timedelta(days=1)
    frame = pd.concat(frames, ignore_index=True)
    frame["LogId"] = frame["LogId"].astype("Int64")
    frame["SessionIsActive"] = frame["SessionIsActive"].astype("boolean")
    frame["RecognitionQuality"] = frame["RecognitionQuality"].astype("Float64")
    for name in ("TimestampStart", "TimestampEnd"):
        frame[name] = pd.to_datetime(frame[name], utc=True, format="ISO8601")
    return frame


def raw_pages(sim: Simulator, days: int, *, readers: int = 1) -> int:
    """The transfer floor: the same requests with ``stream=True`` and one large ``raw.read()``; bytes read.

    With ``readers > 1`` the days are shared among that many threads (the simulator's serving rate).
    """
    if readers > 1:
        first, _ = day_range(days)
        with ThreadPoolExecutor(readers) as pool:
            parts = [
                pool.submit(_raw_days, sim, [first + timedelta(days=d) for d in range(r, days, readers)])
                for r in range(readers)
            ]
            return sum(part.result() for part in parts)
    start, end = day_range(days)
    return _raw_days(sim, [start + timedelta(days=d) for d in range((end - start).days)])


def _raw_days(sim: Simulator, days: list[date]) -> int:
    url = f"{sim.base_url}/{sim.customer_key}/projects/{sim.project_key}/interactions"
    total = 0
    with requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {_token(session, sim)}"
        for day in days:
            params = {
                "culture": sim.culture,
                "startDate": f"{day.isoformat()}T00:00:00Z",
                "endDate": f"{(day + timedelta(days=1)).isoformat()}T00:00:00Z",
                "paginateData": "true",
            }
            while True:
                with session.get(url, params=params, timeout=600, stream=True) as r:
                    r.raise_for_status()
                    if r.status_code == 204:
                        break
                    total += len(r.raw.read(decode_content=True))
                    token = r.headers.get("continuationToken")
                if not token:
                    break
                params["continuationToken"] = token
    return total


def peak_rss_bytes() -> int:
    """This process's peak RSS.

    ``VmHWM`` of ``/proc/self/status`` where it exists: Linux carries ``ru_maxrss`` over
    ``fork`` + ``exec``, so a child of a big benchmark process would report its parent's peak.
    Elsewhere ``resource.getrusage(...).ru_maxrss``.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


# -- the report -------------------------------------------------------------------------


@dataclass
class Bench:
    """One benchmark's rows for BENCHMARKS.md."""

    key: str
    title: str
    rows: list[dict[str, Any]]
    limits: str = ""
    notes: str = ""


def machine() -> dict[str, str]:
    """nproc, memory, CPU model, versions and date, for the report."""
    model = "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    memory = "unknown"
    try:
        with open("/proc/meminfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("MemTotal"):
                    memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                    break
    except OSError:
        pass
    info = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": str(os.cpu_count()),
        "memory": memory,
        "cpu": model,
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "python": platform.python_version(),
    }
    for package in ("polars", "pandas", "pyarrow", "requests", "urllib3", "digitalcx_frames"):
        try:
            info[package] = version(package.replace("_", "-"))
        except Exception:
            info[package] = "?"
    return info
