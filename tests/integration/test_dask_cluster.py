"""backend="dask" on a real ``distributed.LocalCluster`` (2 worker processes) against a simulator process.

The workers get the client secret the way a deployment would: from their environment
(``DIGITALCX_CLIENT_SECRET``, inherited from the process that starts them); the task graph
carries none. Every log is kept at DEBUG: the test process's (scheduler, nanny, client),
the workers' own records and what ``distributed`` keeps of them.
"""

from __future__ import annotations

import logging
import pickle
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import cloudpickle  # type: ignore[import-untyped]
import pandas as pd
import pytest

import digitalcx_frames as dcx
from digitalcx_frames._http.auth import ENV_CLIENT_SECRET
from digitalcx_frames._read import dask as dask_backend
from digitalcx_frames.errors import ServerError
from digitalcx_frames.simulator import Simulator
from tests.conftest import SIM_DAY, SIM_NOW, SIM_PAGE_SIZE, SIM_ROWS_PER_DAY, SIM_TODAY, make_client

distributed = pytest.importorskip("distributed")

START = SIM_DAY - timedelta(days=3)
END = SIM_DAY + timedelta(days=1)
DAYS = [START.date() + timedelta(days=i) for i in range(4)]

_WORKER_RECORDS: list[str] = []


class _ListHandler(logging.Handler):
    def __init__(self, into: list[str]) -> None:
        super().__init__(logging.DEBUG)
        self.into = into
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.into.append(self.format(record))


def _capture_worker_logs() -> None:
    """Run on each worker: keep every record of the process, at DEBUG."""
    root = logging.getLogger()
    root.addHandler(_ListHandler(_WORKER_RECORDS))
    root.setLevel(logging.DEBUG)
    logging.getLogger("digitalcx_frames").setLevel(logging.DEBUG)


def _worker_records() -> list[str]:
    return list(_WORKER_RECORDS)


def _worker_tokens() -> list[str]:
    """The tokens of the clients this worker built (for the test to look for them)."""
    return [client.auth.token() for client in dask_backend._BUILT_CLIENTS.values()]


@pytest.fixture(scope="module")
def proc_sim() -> Iterator[Simulator]:
    with Simulator(process=True, today=SIM_TODAY, rows_per_day=SIM_ROWS_PER_DAY, page_size=SIM_PAGE_SIZE) as sim:
        yield sim


@pytest.fixture(scope="module")
def here_records() -> Iterator[list[str]]:
    """Every log record of the test process (scheduler, nanny, client side) while the module runs."""
    records: list[str] = []
    handler = _ListHandler(records)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield records
    root.removeHandler(handler)
    root.setLevel(level)


@pytest.fixture(scope="module")
def dask_client(proc_sim: Simulator, here_records: list[str]) -> Iterator[Any]:
    with pytest.MonkeyPatch.context() as env:
        env.setenv(ENV_CLIENT_SECRET, proc_sim.client_secret)  # the workers inherit it at start
        with (
            distributed.LocalCluster(
                n_workers=2, processes=True, threads_per_worker=1, dashboard_address=":0"
            ) as cluster,
            distributed.Client(cluster, set_as_default=False) as client,
        ):
            client.run(_capture_worker_logs)
            yield client


def _read(sim: Simulator, **options: Any) -> Any:
    options.setdefault("client", make_client(sim))
    return dask_backend.read_dask(
        sim.customer_key, sim.project_key, culture=sim.culture, start=START, end=END, cache=False, now=SIM_NOW,
        **options,
    )  # fmt: skip


def _pandas(sim: Simulator, start: Any = START, end: Any = END) -> pd.DataFrame:
    frame: pd.DataFrame = dcx.read_interactions(
        sim.customer_key, sim.project_key, culture=sim.culture, start=start, end=end, backend="pandas",
        client=make_client(sim), cache=False, now=SIM_NOW,
    )  # fmt: skip
    return frame


def _days(sim: Simulator) -> list[date]:
    return sorted({r.window[0].date() for r in sim.interaction_requests if r.window is not None})


def test_the_cluster_computes_the_pandas_backends_frame(proc_sim: Simulator, dask_client: Any) -> None:
    proc_sim.clear_log()
    got = dask_client.compute(_read(proc_sim)).result()
    assert _days(proc_sim) == DAYS
    pd.testing.assert_frame_equal(got.reset_index(drop=True), _pandas(proc_sim))
    # the days ran in the worker processes, on clients they built from their own environment
    built = dask_client.run(lambda: len(dask_backend._BUILT_CLIENTS))
    assert len(built) == 2
    assert sum(built.values()) >= 1


def test_loc_on_the_cluster_computes_only_the_days_it_selects(proc_sim: Simulator, dask_client: Any) -> None:
    ddf = _read(proc_sim)
    proc_sim.clear_log()
    got = dask_client.compute(ddf.loc[str(DAYS[1]) : str(DAYS[2])]).result()
    assert _days(proc_sim) == DAYS[1:3]
    pd.testing.assert_frame_equal(got.reset_index(drop=True), _pandas(proc_sim, DAYS[1], DAYS[3]))


def test_a_failed_day_is_retried_by_dask_and_the_frame_is_exact(proc_sim: Simulator, dask_client: Any) -> None:
    # the library's own retries are off, so the 500 fails the partition and only Dask retries it
    without = _read(proc_sim, client=make_client(proc_sim, max_retries=0))
    proc_sim.inject("500")
    with pytest.raises(ServerError) as info:  # the library's error type crosses the process boundary
        dask_client.compute(without, retries=0).result()
    assert info.value.status_code == 500
    ddf = _read(proc_sim, client=make_client(proc_sim, max_retries=0))  # new keys: nothing remembered
    proc_sim.clear_log()
    proc_sim.inject("500")
    got = dask_client.compute(ddf, retries=2).result()
    assert proc_sim.fault_counts == {"500": 1}
    pd.testing.assert_frame_equal(got.reset_index(drop=True), _pandas(proc_sim))


def test_the_secret_is_in_no_graph_and_no_log(proc_sim: Simulator, dask_client: Any, here_records: list[str]) -> None:
    ddf = _read(proc_sim, client=make_client(proc_sim, max_retries=0))
    proc_sim.inject("500")  # a failed task: its key, task and error go to the worker's log
    got = dask_client.compute(ddf, retries=1).result()
    assert len(got) > 0
    secret = proc_sim.client_secret
    tokens = [token for found in dask_client.run(_worker_tokens).values() for token in found]
    assert tokens
    worker_logs = dask_client.get_worker_logs()
    nanny_logs = dask_client.get_worker_logs(nanny=True)
    scheduler_logs = dask_client.get_scheduler_logs()
    texts = [
        repr(ddf),
        str(ddf.dask),
        *(repr(task) + repr(getattr(task, "kwargs", "")) for task in dict(ddf.optimize().__dask_graph__()).values()),
        *(message for entries in worker_logs.values() for _, message in entries),
        *(message for entries in nanny_logs.values() for _, message in entries),
        *(message for _, message in scheduler_logs),
        *(record for records in dask_client.run(_worker_records).values() for record in records),
        *here_records,
    ]
    assert any("Compute Failed" in text for text in texts)  # the logs were captured
    assert any("digitalcx_frames" in text and "GET" in text for text in texts)  # ... the library's DEBUG lines too
    for text in texts:
        assert secret not in text
        assert not any(token in text for token in tokens)
    graph = dict(ddf.optimize().__dask_graph__())
    for blob in (pickle.dumps(graph), cloudpickle.dumps(graph), cloudpickle.dumps(dict(ddf.__dask_graph__()))):
        assert secret.encode() not in blob
        assert not any(token.encode() in blob for token in tokens)


def test_b10_runs_at_a_tiny_size(proc_sim: Simulator, dask_client: Any) -> None:
    from benchmarks import bench_dask

    clients = {"default": dask_client, "saturation inf": dask_client}
    bench = bench_dask.run(proc_sim, days=2, repeats=1, dask_clients=clients)
    assert bench.key == "B10"
    assert [row["runs"] for row in bench.rows] == [1, 1, 1, 1, 1]
    assert "rows" in bench.notes
