"""sync_archive / scan_archive against the simulator: idempotence, resume, atomicity, concurrency."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap
import types
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow.dataset as ds
import pytest
from polars.testing import assert_frame_equal

import digitalcx_frames as dcx
from digitalcx_frames._archive import PARTITION_SCHEMA, SyncResult, scan_archive, sync_archive
from digitalcx_frames.schema import polars_schema
from digitalcx_frames.simulator import Simulator
from tests.conftest import make_client
from tests.integration.portal_files import write_portal_file

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)  # the ``sim`` fixture's today, at noon
START = date(2026, 11, 15)
PARTS = list(PARTITION_SCHEMA)


def days(first: date, last: date) -> tuple[date, ...]:
    """``first`` .. ``last`` inclusive."""
    return tuple(first + timedelta(days=i) for i in range((last - first).days + 1))


def sync(root: Path | str, sim: Simulator, *, now: datetime = NOW, **options: Any) -> SyncResult:
    options.setdefault("start", START)
    options.setdefault("client", make_client(sim))
    return sync_archive(root, sim.customer_key, sim.project_key, culture=sim.culture, now=now, **options)


def requested_days(sim: Simulator) -> set[date]:
    return {record.window[0].date() for record in sim.interaction_requests if record.window is not None}


def project_dir(root: Path, sim: Simulator) -> Path:
    return root / f"customer_key={sim.customer_key}" / f"project_key={sim.project_key}"


def manifest(root: Path, sim: Simulator) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((project_dir(root, sim) / "_manifest.json").read_text())
    return data


def archived_days(root: Path) -> list[date]:
    return sorted(scan_archive(root).select("date").unique().collect()["date"].to_list())


def test_sync_twice_makes_no_request_the_second_time(sim: Simulator, tmp_path: Path) -> None:
    first = sync(tmp_path, sim)
    assert first.ok, first.error
    assert first.fetched == days(START, date(2026, 11, 19))
    assert requested_days(sim) == set(first.fetched)
    assert first.rows == scan_archive(tmp_path).select(pl.len()).collect().item() > 0
    sim.clear_log()
    second = sync(tmp_path, sim)
    assert len(sim.interaction_requests) == 0
    assert (second.fetched, second.skipped, second.rows, second.ok) == ((), first.fetched, 0, True)
    assert "0 day(s) fetched, 5 skipped" in second.summary()


def test_three_days_later_fetches_exactly_those_three(sim: Simulator, tmp_path: Path) -> None:
    assert sync(tmp_path, sim).ok
    sim.advance_days(3)
    sim.clear_log()
    later = sync(tmp_path, sim, now=NOW + timedelta(days=3))
    assert later.ok, later.error
    assert later.fetched == days(date(2026, 11, 20), date(2026, 11, 22))
    assert requested_days(sim) == set(later.fetched)
    assert archived_days(tmp_path) == list(days(START, date(2026, 11, 22)))


def test_default_range_is_every_closed_day_in_the_window_and_old_days_stay(tmp_path: Path) -> None:
    with Simulator(rows_per_day=10, page_size=1000, today=NOW.date()) as small:
        result = sync(tmp_path, small, start=None)
        assert result.ok, result.error
        assert result.fetched == days(date(2026, 8, 22), date(2026, 11, 19))  # 90 days, today is open
        assert len(small.interaction_requests) == 90
        small.advance_days(5)
        small.clear_log()
        later = sync(tmp_path, small, start=None, now=NOW + timedelta(days=5))
        assert later.fetched == days(date(2026, 11, 20), date(2026, 11, 24))
        assert len(small.interaction_requests) == 5
        kept = sorted(manifest(tmp_path, small)["days"])
    assert len(kept) == 95
    assert kept[0] == "2026-08-22"  # left the API's window, still archived
    assert archived_days(tmp_path)[0] <= date(2026, 8, 25)  # and readable (a day may hold no row)


def test_scan_equals_read_interactions(sim: Simulator, tmp_path: Path) -> None:
    assert sync(tmp_path, sim).ok
    lf = scan_archive(tmp_path, sim.customer_key, sim.project_key)
    assert lf.collect_schema() == pl.Schema({**polars_schema(), **PARTITION_SCHEMA})
    got = lf.collect()
    assert got["date"].is_sorted()
    assert set(got["customer_key"].unique()) == {sim.customer_key}
    expected = dcx.read_interactions(
        sim.customer_key,
        sim.project_key,
        culture=sim.culture,
        start=START,
        end=date(2026, 11, 20),
        client=make_client(sim),
        cache=False,
        now=NOW,
    ).collect()
    assert_frame_equal(got.drop(PARTS), expected, categorical_as_str=True)
    assert_frame_equal(scan_archive(tmp_path).drop(PARTS).collect(), expected, categorical_as_str=True)


def test_pyarrow_dataset_reads_the_archive(sim: Simulator, tmp_path: Path) -> None:
    result = sync(tmp_path, sim)
    table = ds.dataset(tmp_path, format="parquet", partitioning="hive").to_table()
    assert table.num_rows == result.rows
    assert set(PARTS) <= set(table.column_names)
    assert set(polars_schema()) <= set(table.column_names)
    assert len(ds.dataset(tmp_path, format="parquet", partitioning="hive").files) == 5  # no manifest, no lock


def test_empty_archive_scans_to_an_empty_frame(tmp_path: Path) -> None:
    frame = scan_archive(tmp_path, "acme", "web").collect()
    assert frame.height == 0
    assert frame.schema == pl.Schema({**polars_schema(), **PARTITION_SCHEMA})


def test_other_filters_are_refused(sim: Simulator, tmp_path: Path) -> None:
    assert sync(tmp_path, sim).ok
    sim.clear_log()
    with pytest.raises(dcx.ConfigurationError, match=r"another query.*interactionTypes"):
        sync(tmp_path, sim, interaction_types="QA")
    assert len(sim.interaction_requests) == 0
    assert manifest(tmp_path, sim)["query"].get("interactionTypes") is None


def test_files_are_owner_only(sim: Simulator, tmp_path: Path) -> None:
    root = tmp_path / "archive"
    assert sync(root, sim, include_user_info=True).ok
    paths = [root, *root.rglob("*")]
    assert len(paths) > 8
    for path in paths:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), (path, oct(mode))


def test_cloud_url_without_fsspec_says_what_to_install(sim: Simulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "fsspec", None)  # import fsspec -> ImportError
    with pytest.raises(dcx.ConfigurationError, match=r"pip install 'digitalcx-frames\[cloud\]'"):
        sync("s3://bucket/archive", sim)
    assert len(sim.interaction_requests) == 0


def test_exports_join_the_archive(sim: Simulator, tmp_path: Path) -> None:
    old = datetime(2026, 6, 1, tzinfo=UTC)  # long out of the API's window
    in_window = datetime(2026, 11, 15, tzinfo=UTC)
    rows = sim.expected_rows(old, old + timedelta(days=1)) + sim.expected_rows(in_window, in_window + timedelta(days=1))
    export = write_portal_file(tmp_path / "portal.csv", rows)
    root = tmp_path / "archive"
    result = sync(root, sim, exports=export, exports_whole_days=True)  # June 1 starts at 06:22
    assert result.ok, result.error
    assert result.imported == (old.date(), in_window.date())
    assert result.fetched == days(date(2026, 11, 16), date(2026, 11, 19))
    assert requested_days(sim) == set(result.fetched)  # the exported day is not fetched
    sources = {day: entry["source"] for day, entry in manifest(root, sim)["days"].items()}
    assert sources["2026-06-01"] == sources["2026-11-15"] == "export"
    assert sources["2026-11-16"] == "api"
    assert archived_days(root)[0] == old.date()
    # an export never overwrites an archived day
    later_rows = sim.expected_rows(datetime(2026, 11, 16, tzinfo=UTC), datetime(2026, 11, 17, tzinfo=UTC))
    again = sync(root, sim, exports=write_portal_file(tmp_path / "again.csv", later_rows[:3]))
    assert again.imported == ()
    assert manifest(root, sim)["days"]["2026-11-16"]["source"] == "api"
    assert manifest(root, sim)["days"]["2026-11-16"]["rows"] == len(later_rows)


CHILD = textwrap.dedent(
    """
    import json, sys
    from datetime import date, datetime
    import digitalcx_frames as dcx
    from digitalcx_frames._archive import sync_archive
    args = json.loads(sys.stdin.readline())
    client = dcx.Client(args["client_id"], args["client_secret"], base_url=args["base_url"],
                        token_url=args["token_url"], backoff_factor=0.0)
    print("ready", flush=True)
    sys.stdin.readline()  # go
    result = sync_archive(args["root"], args["customer"], args["project"], culture=args["culture"],
                          start=date.fromisoformat(args["start"]), client=client, max_workers=2,
                          now=datetime.fromisoformat(args["now"]))
    print(json.dumps({"ok": result.ok, "error": result.error, "fetched": len(result.fetched)}), flush=True)
    """
)


def send(child: subprocess.Popen[str], line: str) -> None:
    assert child.stdin is not None
    child.stdin.write(line + "\n")
    child.stdin.flush()


def test_two_processes_syncing_at_once_leave_every_day_once(sim: Simulator, tmp_path: Path) -> None:
    args = {
        **sim.connection,
        "root": str(tmp_path),
        "customer": sim.customer_key,
        "project": sim.project_key,
        "culture": sim.culture,
        "start": "2026-11-13",
        "now": NOW.isoformat(),
    }
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(2)
    ]
    try:
        for child in children:
            send(child, json.dumps(args))
        for child in children:
            assert child.stdout is not None
            assert child.stdout.readline().strip() == "ready"
        for child in children:
            send(child, "go")
        outputs = [child.communicate(timeout=60) for child in children]
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.wait()
    reports = [json.loads(out.strip().splitlines()[-1]) for out, _ in outputs]
    assert all(report["ok"] for report in reports), (reports, [err[-2000:] for _, err in outputs])
    expected_days = days(date(2026, 11, 13), date(2026, 11, 19))
    assert sorted(manifest(tmp_path, sim)["days"]) == [d.isoformat() for d in expected_days]
    for day in expected_days:
        folder = project_dir(tmp_path, sim) / f"date={day.isoformat()}"
        assert sorted(p.name for p in folder.iterdir()) == ["part-0.parquet"]
    frame = scan_archive(tmp_path).collect()
    assert frame["log_id"].is_unique().all()
    start = datetime(2026, 11, 13, tzinfo=UTC)
    assert frame.height == len(sim.expected_rows(start, start + timedelta(days=7)))


def test_readers_ignore_temporary_and_hidden_files(sim: Simulator, tmp_path: Path) -> None:
    result = sync(tmp_path, sim, start=date(2026, 11, 18))
    folder = project_dir(tmp_path, sim) / "date=2026-11-18"
    junk = b"PAR1 not a parquet file"
    (folder / ".part-0.parquet.k2j3h4.tmp").write_bytes(junk)  # the name atomic_write uses
    (folder / ".part-1.parquet").write_bytes(junk)
    (folder / "_part-2.parquet").write_bytes(junk)
    assert scan_archive(tmp_path).select(pl.len()).collect().item() == result.rows
    assert ds.dataset(tmp_path, format="parquet", partitioning="hive").to_table().num_rows == result.rows


class FakeObjectStore:
    """The few fsspec filesystem methods the archive uses, backed by a local folder."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.opened: list[str] = []

    def exists(self, path: str) -> bool:
        return (self.base / path).exists()

    def open(self, path: str, mode: str) -> Any:
        self.opened.append(path)
        target = self.base / path
        target.parent.mkdir(parents=True, exist_ok=True)
        return target.open(mode)


def test_cloud_url_goes_through_fsspec(sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = FakeObjectStore(tmp_path)
    fake = types.ModuleType("fsspec")
    fake.core = types.SimpleNamespace(url_to_fs=lambda url: (store, url.split("://", 1)[1]))  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "fsspec", fake)
    first = sync("s3://bucket/archive", sim, start=date(2026, 11, 18))
    assert first.ok, first.error
    assert first.fetched == (date(2026, 11, 18), date(2026, 11, 19))
    assert "bucket/archive/customer_key=demo-customer/project_key=demo-project/date=2026-11-18/part-0.parquet" in (
        store.opened
    )
    local = tmp_path / "bucket" / "archive"
    assert scan_archive(local).select(pl.len()).collect().item() == first.rows
    sim.clear_log()
    again = sync("s3://bucket/archive", sim, start=date(2026, 11, 18))
    assert (again.fetched, len(sim.interaction_requests)) == ((), 0)


def test_a_day_removed_by_hand_is_fetched_again(sim: Simulator, tmp_path: Path) -> None:
    assert sync(tmp_path, sim, start=date(2026, 11, 17)).ok
    (project_dir(tmp_path, sim) / "date=2026-11-18" / "part-0.parquet").unlink()
    sim.clear_log()
    again = sync(tmp_path, sim, start=date(2026, 11, 17))
    assert again.fetched == (date(2026, 11, 18),)
    assert again.skipped == (date(2026, 11, 17), date(2026, 11, 19))
    assert requested_days(sim) == {date(2026, 11, 18)}
