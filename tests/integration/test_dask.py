"""backend="dask" on Dask's default local (threaded) scheduler, against the in-process simulator.

The LocalCluster tests (worker processes, a simulator in its own process) are in
``test_dask_cluster.py``.
"""

from __future__ import annotations

import dataclasses
import gc
import inspect
import pickle
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import cloudpickle  # type: ignore[import-untyped]
import dask
import pandas as pd
import pytest
from dask.dataframe.utils import has_known_categories

import digitalcx_frames as dcx
from digitalcx_frames._http.auth import ENV_CLIENT_SECRET
from digitalcx_frames._read.dask import INDEX_NAME, STAYS, ClientSettings, WorkerCredentials, read_dask
from digitalcx_frames.errors import ConfigurationError, ServerError
from digitalcx_frames.simulator import Faults, Simulator
from tests.conftest import SIM_DAY, SIM_NOW, SIM_PAGE_SIZE, SIM_ROWS_PER_DAY, SIM_TODAY, make_client

START = SIM_DAY - timedelta(days=3)
END = SIM_DAY + timedelta(days=1)


def _read(sim: Simulator, **options: Any) -> Any:
    options.setdefault("start", START)
    options.setdefault("end", END)
    options.setdefault("cache", False)
    options.setdefault("now", SIM_NOW)
    options.setdefault("culture", sim.culture)
    if options.get("client") is None:
        options["client"] = make_client(sim)
    return read_dask(sim.customer_key, sim.project_key, **options)


def _pandas(sim: Simulator, **options: Any) -> pd.DataFrame:
    options.setdefault("start", START)
    options.setdefault("end", END)
    frame: pd.DataFrame = dcx.read_interactions(
        sim.customer_key,
        sim.project_key,
        culture=sim.culture,
        backend="pandas",
        client=make_client(sim),
        cache=False,
        now=SIM_NOW,
        **options,
    )
    return frame


def _days(sim: Simulator) -> list[date]:
    return [record.window[0].date() for record in sim.interaction_requests if record.window is not None]


def test_one_partition_per_day_and_nothing_fetched_until_compute(sim: Simulator) -> None:
    ddf = _read(sim)
    ddf.head(0, compute=False)
    _ = ddf.dtypes, ddf.columns, ddf.npartitions
    assert sim.log == []  # not even a token
    assert ddf.npartitions == 4
    assert ddf.known_divisions
    assert list(ddf.divisions) == [pd.Timestamp(START + timedelta(days=i)) for i in range(5)]
    ddf.compute()
    assert sorted(set(_days(sim))) == [START.date() + timedelta(days=i) for i in range(4)]


@pytest.mark.parametrize(
    "options",
    [{}, {"interaction_types": ["QA", "Dialog"], "active_sessions_only": True}, {"format": "json"}],
    ids=["all", "filtered", "json"],
)
def test_computed_frame_equals_the_pandas_backend(sim: Simulator, options: dict[str, Any]) -> None:
    expected = _pandas(sim, **options)
    got = _read(sim, **options).compute()
    assert got.index.name == INDEX_NAME
    assert (got.index == got["timestamp_start"]).all()
    assert got.index.is_monotonic_increasing
    pd.testing.assert_frame_equal(got.reset_index(drop=True), expected)
    assert len(expected) > 0


def test_meta_is_the_pandas_schema(sim: Simulator) -> None:
    ddf = _read(sim)
    expected = _pandas(sim, start=SIM_DAY, end=SIM_DAY + timedelta(days=1))
    # the same dtypes; a categorical's categories are those of the data, so unknown in meta
    assert {k: str(v) for k, v in ddf.dtypes.items()} == {k: str(v) for k, v in expected.dtypes.items()}
    assert ddf.dtypes.drop(["culture", "main_interaction_type"]).equals(
        expected.dtypes.drop(["culture", "main_interaction_type"])
    )
    assert not has_known_categories(ddf["main_interaction_type"])  # type: ignore[no-untyped-call]
    assert ddf.index.dtype == "datetime64[us, UTC]"
    assert INDEX_NAME not in ddf.columns


def test_a_part_day_range_has_divisions_at_its_own_bounds(sim: Simulator) -> None:
    start, end = SIM_DAY - timedelta(hours=6), SIM_DAY + timedelta(hours=6)
    ddf = _read(sim, start=start, end=end)
    assert ddf.npartitions == 2
    assert list(ddf.divisions) == [pd.Timestamp(start), pd.Timestamp(SIM_DAY), pd.Timestamp(end)]
    pd.testing.assert_frame_equal(ddf.compute().reset_index(drop=True), _pandas(sim, start=start, end=end))


def test_loc_on_the_index_fetches_only_the_days_it_needs(sim: Simulator) -> None:
    ddf = _read(sim)
    second, third = START.date() + timedelta(days=1), START.date() + timedelta(days=2)
    selected = ddf.loc[str(second) : str(third)]  # date strings: both whole days
    assert selected.npartitions == 2
    got = selected.compute()
    assert sorted(set(_days(sim))) == [second, third]
    expected = _pandas(sim, start=second, end=third + timedelta(days=1))
    pd.testing.assert_frame_equal(got.reset_index(drop=True), expected)

    sim.clear_log()
    noon = pd.Timestamp(datetime.combine(third, datetime.min.time(), UTC)) + pd.Timedelta(hours=12)
    late = ddf.loc[noon:].compute()
    assert sorted(set(_days(sim))) == [third, third + timedelta(days=1)]
    assert late.index.min() >= noon


def _partition_tasks(ddf: Any) -> list[Any]:
    """The tasks of ``ddf``'s optimized graph that call the partition function (nothing is fetched)."""
    tasks = dict(ddf.optimize().__dask_graph__()).values()
    return [task for task in tasks if getattr(getattr(task, "func", None), "__name__", "") == "_read_partition"]


def test_a_column_selection_reaches_the_partitions(sim: Simulator) -> None:
    ddf = _read(sim)
    assert {task.kwargs.get("columns") for task in _partition_tasks(ddf)} == {None}
    picked = ddf[["log_id", "main_interaction_type"]]
    tasks = _partition_tasks(picked)
    assert len(tasks) == 4
    assert all(sorted(task.kwargs["columns"]) == ["log_id", "main_interaction_type"] for task in tasks)
    got = picked.compute()
    assert list(got.columns) == ["log_id", "main_interaction_type"]
    pd.testing.assert_frame_equal(got.reset_index(drop=True), _pandas(sim)[["log_id", "main_interaction_type"]])
    # a selection without timestamp_start keeps the time index
    assert got.index.name == INDEX_NAME
    assert got.index.is_monotonic_increasing


def _graph_bytes_and_text(ddf: Any) -> tuple[list[bytes], str]:
    graphs = [dict(ddf.__dask_graph__()), dict(ddf.optimize().__dask_graph__())]
    pickled = [pickle.dumps(graph) for graph in graphs] + [cloudpickle.dumps(graph) for graph in graphs]
    text = "\n".join(
        [repr(ddf), repr(ddf.expr), str(ddf.dask)]
        + [f"{key!r} {task!r} {getattr(task, 'kwargs', '')!r} {getattr(task, 'args', '')!r}" for g in graphs
           for key, task in g.items()]
    )  # fmt: skip
    return pickled, text


def test_the_graph_holds_neither_secret_nor_token_nor_client(sim: Simulator) -> None:
    client = make_client(sim)
    ddf = _read(sim, client=client)
    ddf.compute()  # the client now holds a token
    token = client.auth.token()
    pickled, text = _graph_bytes_and_text(ddf)
    for blob in pickled:
        assert sim.client_secret.encode() not in blob
        assert token.encode() not in blob
        assert b"requests" not in blob  # no session, no Client
    assert sim.client_secret not in text
    assert token not in text
    assert "WorkerCredentials(client_id='simulator-client'" in text  # the partitions do carry credentials


def test_the_callers_client_is_used_in_its_own_process(sim: Simulator) -> None:
    client = make_client(sim)
    credentials = WorkerCredentials(client)
    assert credentials.client() is client
    assert pickle.loads(pickle.dumps(credentials)).client() is client
    assert cloudpickle.loads(cloudpickle.dumps(credentials)).client() is client


def _orphan(sim: Simulator, **options: Any) -> WorkerCredentials:
    """Credentials unpickled where the caller's client does not exist (as in a worker process)."""
    credentials = WorkerCredentials(make_client(sim, **options))
    blob = pickle.dumps(credentials)
    del credentials
    gc.collect()
    orphan: WorkerCredentials = pickle.loads(blob)
    return orphan


def test_a_worker_without_the_secret_in_its_environment_says_what_to_set(
    sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ENV_CLIENT_SECRET, raising=False)
    orphan = _orphan(sim)
    with pytest.raises(ConfigurationError, match=ENV_CLIENT_SECRET) as info:
        orphan.client()
    assert sim.client_secret not in str(info.value)


def test_a_worker_builds_one_client_from_its_environment_and_the_callers_settings(
    sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_CLIENT_SECRET, sim.client_secret)
    orphan = _orphan(sim, max_retries=0, timeout=(3.0, 7.0))
    built = orphan.client()
    assert orphan.client() is built
    assert _orphan(sim, max_retries=0, timeout=(3.0, 7.0)).client() is built  # a later read with the same settings
    assert _orphan(sim, max_retries=1, timeout=(3.0, 7.0)).client() is not built
    assert (built.base_url, built.token_url, built.client_id) == (sim.base_url, sim.token_url, sim.client_id)
    assert (built.max_retries, built.timeout) == (0, (3.0, 7.0))
    tuned = _orphan(sim, backoff_factor=0.25, retry_after_max=5.0, deadline=42.0)
    assert (tuned.settings.backoff_factor, tuned.settings.retry_after_max) == (0.25, 5.0)
    assert tuned.client().deadline == 42.0
    assert built.auth.token()  # the secret from the environment is accepted


def test_every_client_argument_travels_or_is_named_as_staying() -> None:
    # a new Client argument must be carried to the workers (ClientSettings) or named in STAYS
    arguments = set(inspect.signature(dcx.Client).parameters)
    carried = {f.name for f in dataclasses.fields(ClientSettings)}
    assert arguments == carried | STAYS
    assert not carried & STAYS


def test_a_failing_day_raises_the_librarys_error_through_compute(sim: Simulator) -> None:
    ddf = _read(sim, client=make_client(sim, max_retries=0))
    sim.inject("500")
    with pytest.raises(ServerError) as info:
        ddf.compute(scheduler="sync")
    assert info.value.status_code == 500


def test_arguments_are_checked_at_the_call(sim: Simulator) -> None:
    with pytest.raises(ConfigurationError, match="end"):
        _read(sim, start=END, end=START)
    with pytest.raises(ConfigurationError, match="max_workers"):
        _read(sim, max_workers=0)
    with pytest.raises(ConfigurationError, match="cache"):
        _read(sim, cache=3)
    assert sim.log == []


def test_extra_columns_are_part_of_the_schema(sim: Simulator) -> None:
    ddf = _read(sim, extra_columns=["Unannounced"])
    assert str(ddf.dtypes["Unannounced"]) == "string"
    got = ddf.compute()
    assert got["Unannounced"].isna().all()


def test_the_default_scheduler_is_threads_and_works_without_a_client_argument(
    sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in sim.connection.items():
        monkeypatch.setenv(f"DIGITALCX_{name.upper()}", str(value))
    ddf = read_dask(sim.customer_key, sim.project_key, culture=sim.culture, start=SIM_DAY,
                    end=SIM_DAY + timedelta(days=1), cache=False, now=SIM_NOW)  # fmt: skip
    with dask.config.set(scheduler="threads"):
        got = ddf.compute()  # type: ignore[no-untyped-call]
    pd.testing.assert_frame_equal(got.reset_index(drop=True), _pandas(sim, start=SIM_DAY, end=SIM_DAY + timedelta(1)))


def test_read_interactions_dispatches_backend_dask(sim: Simulator) -> None:
    ddf = dcx.read_interactions(sim.customer_key, sim.project_key, culture=sim.culture, start=START, end=END,
                                backend="dask", client=make_client(sim), cache=False, now=SIM_NOW)  # fmt: skip
    assert sim.log == []
    assert ddf.npartitions == 4
    assert ddf.known_divisions
    got = ddf.compute()  # type: ignore[no-untyped-call]
    pd.testing.assert_frame_equal(got.reset_index(drop=True), _pandas(sim))


def test_a_day_fetched_in_slices_is_still_one_partition() -> None:
    slow_day = SIM_DAY.date() - timedelta(days=1)
    faults = Faults(timeout_dates=frozenset({slow_day}))  # the whole day answers 504: the engine splits it
    with Simulator(rows_per_day=SIM_ROWS_PER_DAY, page_size=SIM_PAGE_SIZE, today=SIM_TODAY, faults=faults) as sim:
        got = _read(sim).compute()
        windows = {r.window for r in sim.interaction_requests if r.window is not None and r.status == 200}
        assert any(w[0].date() == slow_day and w[1] - w[0] < timedelta(days=1) for w in windows)  # sliced
        assert _read(sim).npartitions == 4
        expected = _pandas(sim)
        rows_of_slow_day = sim.expected_rows(SIM_DAY - timedelta(days=1), SIM_DAY)
    pd.testing.assert_frame_equal(got.reset_index(drop=True), expected)
    assert got.loc[str(slow_day), "log_id"].tolist() == [row["LogId"] for row in rows_of_slow_day]


def test_the_day_cache_serves_a_second_compute(sim: Simulator, tmp_path: Path) -> None:
    ddf = _read(sim, cache=tmp_path)
    first = ddf.compute()
    asked = len(sim.interaction_requests)
    assert asked > 0
    second = _read(sim, cache=tmp_path).compute()
    assert len(sim.interaction_requests) == asked  # every closed day came from the cache
    pd.testing.assert_frame_equal(first, second)
