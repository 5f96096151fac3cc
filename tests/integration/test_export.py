"""read_export: portal CSV downloads read into the same typed frame as the API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import digitalcx_frames as dcx
from digitalcx_frames._read.export import export_files, read_export
from digitalcx_frames.schema import polars_schema
from digitalcx_frames.simulator import Simulator
from tests.conftest import make_client
from tests.integration.portal_files import write_portal_file

DAY = datetime(2026, 11, 18, tzinfo=UTC)
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def api_frame(sim: Simulator, start: datetime, end: datetime) -> pl.DataFrame:
    """What the API gives for the range, timestamps truncated to the portal's seconds."""
    frame = dcx.read_interactions(
        sim.customer_key,
        sim.project_key,
        culture=sim.culture,
        start=start,
        end=end,
        client=make_client(sim),
        cache=False,
        now=NOW,
    ).collect()
    return frame.with_columns(pl.col("timestamp_start", "timestamp_end").dt.truncate("1s"))


def test_portal_file_gives_the_api_frame(shared_sim: Simulator, tmp_path: Path) -> None:
    rows = shared_sim.expected_rows(DAY, DAY + timedelta(days=1))
    path = write_portal_file(tmp_path / "portal.csv", rows)
    assert "|" in path.read_text().splitlines()[0]
    assert "/" in path.read_text().splitlines()[1]  # MM/DD/YYYY timestamps
    lf = read_export(path)
    assert lf.collect_schema() == polars_schema()
    got = lf.collect()
    assert got.height == len(rows) > 0
    assert_frame_equal(got, api_frame(shared_sim, DAY, DAY + timedelta(days=1)), categorical_as_str=True)


def test_glob_and_list_read_files_in_order(shared_sim: Simulator, tmp_path: Path) -> None:
    first = shared_sim.expected_rows(DAY - timedelta(days=1), DAY)
    second = shared_sim.expected_rows(DAY, DAY + timedelta(days=1))
    a = write_portal_file(tmp_path / "a.csv", first)
    b = write_portal_file(tmp_path / "b.csv", second)
    by_glob = read_export(str(tmp_path / "*.csv")).collect()
    by_list = read_export([b, a]).collect()
    assert by_glob.height == len(first) + len(second)
    assert by_glob["log_id"].to_list() == [r["LogId"] for r in first + second]
    assert by_list["log_id"].to_list() == [r["LogId"] for r in second + first]
    assert export_files([a, str(tmp_path / "*.csv")]) == [a, b]


def test_predicate_projection_and_head(shared_sim: Simulator, tmp_path: Path) -> None:
    rows = shared_sim.expected_rows(DAY, DAY + timedelta(days=1))
    path = write_portal_file(tmp_path / "p.csv", rows)
    qa = read_export(path).filter(pl.col("main_interaction_type") == "QA").select("log_id").collect()
    assert qa["log_id"].to_list() == [r["LogId"] for r in rows if r["MainInteractionType"] == "QA"]
    assert read_export([path, path]).head(5).collect().height == 5
    assert read_export(path).select(pl.len()).collect().item() == len(rows)


def test_missing_sources_are_configuration_errors(tmp_path: Path) -> None:
    with pytest.raises(dcx.ConfigurationError, match="does not exist"):
        read_export(tmp_path / "nope.csv")
    with pytest.raises(dcx.ConfigurationError, match="matches no file"):
        read_export(str(tmp_path / "*.csv"))
    with pytest.raises(dcx.ConfigurationError, match="no export file"):
        read_export([])


def test_bad_file_raises_parse_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text("<html><body>Session expired</body></html>\n")
    lf = read_export(path)  # found now, read at collect
    with pytest.raises(dcx.ParseError, match=r"page\.html"):
        lf.collect()


def test_undocumented_column_is_dropped_with_a_warning(shared_sim: Simulator, tmp_path: Path) -> None:
    rows = [{**r, "PortalOnly": "x"} for r in shared_sim.expected_rows(DAY, DAY + timedelta(days=1))]
    path = write_portal_file(tmp_path / "extra.csv", rows)
    with pytest.warns(dcx.DataWarning, match="PortalOnly"):
        frame = read_export(path).collect()
    assert frame.columns == list(polars_schema())
    assert frame.height == len(rows) > 0
