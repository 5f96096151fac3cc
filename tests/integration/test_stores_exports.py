"""Exports: the library's own files read back identically; overlapping and partial downloads (issues 12, 14)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import digitalcx_frames as dcx
from digitalcx_frames import flag_ops
from digitalcx_frames._archive import sync_archive
from digitalcx_frames._read.export import read_export
from digitalcx_frames.simulator import Simulator
from tests.conftest import SIM_DAY, SIM_NOW, make_client, read_sim
from tests.integration.portal_files import write_portal_file

OLD = datetime(2026, 6, 1, tzinfo=UTC)  # long out of the API's window


def day_rows(sim: Simulator, first: datetime, n_days: int) -> list[dict[str, object]]:
    return sim.expected_rows(first, first + timedelta(days=n_days))


# -- item 4 (issue 14): a file this library writes reads back identically ----------------------


@pytest.fixture
def frame(shared_sim: Simulator) -> pl.DataFrame:
    got: pl.DataFrame = read_sim(
        shared_sim, start=SIM_DAY - timedelta(days=1), end=SIM_DAY + timedelta(days=1)
    ).collect()
    assert got.height > 0
    return got


def test_a_csv_of_the_output_frame_reads_back_identically(frame: pl.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "mine.csv"
    frame.write_csv(path)  # output names, ISO timestamps with +0000, masks as integers
    assert_frame_equal(read_export(path).collect(), frame)


def test_type_masks_as_names_read_back(frame: pl.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "names.csv"
    named = frame.with_columns(
        flag_ops.names(pl.col("all_interaction_types"))
        .list.eval(pl.concat_str(pl.lit('"'), pl.element(), pl.lit('"')))
        .list.join(",")
        .map_elements(lambda text: f"[{text}]", return_dtype=pl.String)
        .alias("all_interaction_types"),
        pl.col("timestamp_start", "timestamp_end").dt.to_string("%Y-%m-%dT%H:%M:%S%.6fZ"),
    )
    named.write_csv(path, separator="|")
    assert "|" in path.read_text().splitlines()[0]
    assert_frame_equal(read_export(path).collect(), frame)


def test_api_header_names_match_in_any_case(shared_sim: Simulator, tmp_path: Path) -> None:
    rows = shared_sim.expected_rows(SIM_DAY + timedelta(hours=9), SIM_DAY + timedelta(hours=15))
    path = write_portal_file(tmp_path / "lower.csv", [{k.lower(): v for k, v in row.items()} for row in rows])
    assert read_export(path).collect().height == len(rows) > 0


def test_a_file_without_the_required_columns_names_them(frame: pl.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "thin.csv"
    frame.drop("log_id", "timestamp_start").write_csv(path)
    with pytest.raises(dcx.ParseError, match=r"log_id.*timestamp_start|LogId.*TimestampStart") as info:
        read_export(path).collect()
    assert str(path) in str(info.value)
    assert "retry" not in str(info.value).lower()


def test_a_file_that_is_not_a_log_is_a_parse_error_without_retry_advice(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text("<html><body>Session expired</body></html>\n")
    with pytest.raises(dcx.ParseError, match=r"page\.html") as info:
        read_export(path).collect()
    assert "retry" not in str(info.value).lower()
    assert "Analytics API response" not in str(info.value)


# -- item 8 (issue 12): overlapping and partial downloads ---------------------------------------


def test_overlapping_exports_count_each_log_id_once(sim: Simulator, tmp_path: Path) -> None:
    first = write_portal_file(tmp_path / "week1.csv", day_rows(sim, OLD, 3))
    second = write_portal_file(tmp_path / "week2.csv", day_rows(sim, OLD + timedelta(days=1), 3))
    frame = read_export([first, second]).collect()
    expected = day_rows(sim, OLD, 4)
    assert frame.height == len(expected)
    assert frame["log_id"].is_unique().all()
    assert sorted(frame["log_id"].to_list()) == sorted(int(str(r["LogId"])) for r in expected)


def test_sync_imports_overlapping_exports_once_and_only_whole_days(sim: Simulator, tmp_path: Path) -> None:
    first = write_portal_file(tmp_path / "week1.csv", day_rows(sim, OLD, 3))
    second = write_portal_file(tmp_path / "week2.csv", day_rows(sim, OLD + timedelta(days=1), 3))
    root = tmp_path / "archive"
    result = sync_archive(
        root,
        sim.customer_key,
        sim.project_key,
        culture=sim.culture,
        start=date(2026, 11, 19),
        client=make_client(sim),
        now=SIM_NOW,
        exports=[first, second],
    )
    assert result.ok, result.failed
    inside = {OLD.date() + timedelta(days=1), OLD.date() + timedelta(days=2)}  # each file runs on past both ends
    assert inside <= set(result.imported)
    assert set(result.imported) | set(result.partial) == {OLD.date() + timedelta(days=i) for i in range(4)}
    archived = dcx.scan_archive(root).collect()
    assert archived["log_id"].is_unique().all()
    for day in result.imported:
        start = datetime.combine(day, datetime.min.time(), UTC)
        assert archived.filter(pl.col("date") == day).height == len(day_rows(sim, start, 1))


def test_a_partial_day_in_an_export_is_not_imported_and_is_named(sim: Simulator, tmp_path: Path) -> None:
    day = datetime(2026, 11, 17, tzinfo=UTC)  # inside the API's window
    afternoon = sim.expected_rows(day + timedelta(hours=12), day + timedelta(hours=18))
    export = write_portal_file(tmp_path / "afternoon.csv", afternoon)
    root = tmp_path / "archive"
    options = {"culture": sim.culture, "start": day.date(), "client": make_client(sim), "now": SIM_NOW}
    result = sync_archive(root, sim.customer_key, sim.project_key, exports=export, **options)  # type: ignore[arg-type]
    assert result.ok, result.failed
    assert result.partial == (day.date(),)
    assert result.imported == ()
    assert day.date() in result.fetched  # so the API's whole day is archived instead
    assert "partial" in result.summary()
    manifest = json.loads(
        (root / f"customer_key={sim.customer_key}" / f"project_key={sim.project_key}" / "_manifest.json").read_text()
    )
    assert manifest["days"]["2026-11-17"]["source"] == "api"
    assert manifest["days"]["2026-11-17"]["rows"] == len(sim.expected_rows(day, day + timedelta(days=1)))


def test_the_user_may_say_the_export_days_are_whole(sim: Simulator, tmp_path: Path) -> None:
    quiet_night = sim.expected_rows(OLD + timedelta(hours=3), OLD + timedelta(days=1))  # a day with no row before 03:00
    export = write_portal_file(tmp_path / "one-day.csv", quiet_night)
    options = {"culture": sim.culture, "start": date(2026, 11, 19), "client": make_client(sim), "now": SIM_NOW}
    kept = sync_archive(tmp_path / "a", sim.customer_key, sim.project_key, exports=export, **options)  # type: ignore[arg-type]
    told = sync_archive(
        tmp_path / "b",
        sim.customer_key,
        sim.project_key,
        exports=export,
        exports_whole_days=True,
        **options,  # type: ignore[arg-type]
    )
    assert (kept.partial, kept.imported) == ((OLD.date(),), ())  # cannot tell from its rows
    assert (told.partial, told.imported) == ((), (OLD.date(),))
