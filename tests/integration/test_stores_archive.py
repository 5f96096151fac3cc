"""The archive never loses, never stalls and never lets a bad file spoil a scan (issues 12 and 14)."""

from __future__ import annotations

import json
import warnings
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest

import digitalcx_frames as dcx
from digitalcx_frames._archive import PARTITION_SCHEMA, SyncResult, scan_archive, sync_archive
from digitalcx_frames.schema import polars_schema
from digitalcx_frames.simulator import Simulator
from tests.conftest import SIM_NOW, make_client
from tests.integration.portal_files import DayFaultProxy

START = date(2026, 11, 15)
OPEN = date(2026, 11, 20)  # today of the fixtures' simulators: not closed
FLOOR = date(2026, 8, 22)  # the oldest day the API serves at SIM_NOW
FULL = pl.Schema({**polars_schema(), **PARTITION_SCHEMA})


def days(first: date, last: date) -> tuple[date, ...]:
    """``first`` .. ``last`` inclusive."""
    return tuple(first + timedelta(days=i) for i in range((last - first).days + 1))


def sync(root: Path | str, sim: Simulator, **options: Any) -> SyncResult:
    options.setdefault("start", START)
    options.setdefault("now", SIM_NOW)
    if "client" not in options:
        options["client"] = make_client(sim, max_retries=0)
    culture = options.pop("culture", sim.culture)
    return sync_archive(root, sim.customer_key, sim.project_key, culture=culture, **options)


def project_dir(root: Path, sim: Simulator) -> Path:
    return root / f"customer_key={sim.customer_key}" / f"project_key={sim.project_key}"


def manifest_path(root: Path, sim: Simulator) -> Path:
    return project_dir(root, sim) / "_manifest.json"


def manifest_days(root: Path, sim: Simulator) -> list[str]:
    return sorted(json.loads(manifest_path(root, sim).read_text())["days"])


def requested_days(sim: Simulator) -> set[date]:
    return {record.window[0].date() for record in sim.interaction_requests if record.window is not None}


# -- item 6 (issue 12) and item 6 (issue 14): failures recorded, permanent errors raised -------------


def test_a_day_that_always_fails_is_recorded_and_the_others_are_written(sim: Simulator, tmp_path: Path) -> None:
    bad = date(2026, 11, 16)
    with DayFaultProxy(sim, {bad: (500, "Something went wrong")}) as proxy:
        result = sync(tmp_path, sim, client=proxy.client(), max_workers=2)
    assert not result.ok
    assert isinstance(result.failed, dict)
    assert list(result.failed) == [bad]
    assert "500" in result.failed[bad]
    assert result.fetched == (START, *days(date(2026, 11, 17), date(2026, 11, 19)))
    assert manifest_days(tmp_path, sim) == [d.isoformat() for d in result.fetched]
    assert "FAILED" in result.summary()
    assert "2026-11-16" in result.summary()
    assert result.error is not None
    sim.clear_log()
    again = sync(tmp_path, sim)
    assert again.ok, again.failed
    assert again.fetched == (bad,)
    assert requested_days(sim) == {bad}


def test_a_400_on_the_oldest_day_at_the_edge_is_skipped_with_a_note(sim: Simulator, tmp_path: Path) -> None:
    edge = {FLOOR: (400, "Start date cannot be more than 90 days in the past.")}
    with DayFaultProxy(sim, edge) as proxy:
        client = proxy.client()
        result = sync(tmp_path, sim, client=client, start=FLOOR, end=FLOOR + timedelta(days=3))
    assert result.ok, result.failed
    assert result.failed == {}
    assert result.fetched == (FLOOR + timedelta(days=1), FLOOR + timedelta(days=2))
    assert any(FLOOR.isoformat() in note for note in result.notes)
    assert FLOOR.isoformat() in result.summary()


@pytest.mark.parametrize(
    ("status", "error"),
    [(400, dcx.InvalidRequestError), (403, dcx.PermissionDeniedError)],
    ids=["400-inside-the-window", "403"],
)
def test_a_permanent_error_raises_and_writes_no_manifest(
    sim: Simulator, tmp_path: Path, status: int, error: type[Exception]
) -> None:
    with (
        DayFaultProxy(sim, dict.fromkeys(days(START, date(2026, 11, 19)), (status, "Forbidden"))) as proxy,
        pytest.raises(error),
    ):
        sync(tmp_path, sim, client=proxy.client())
    assert not manifest_path(tmp_path, sim).exists()


def test_a_permanent_error_after_some_days_keeps_them(sim: Simulator, tmp_path: Path) -> None:
    with (
        DayFaultProxy(sim, {date(2026, 11, 18): (403, "Forbidden")}) as proxy,
        pytest.raises(dcx.PermissionDeniedError),
    ):
        sync(tmp_path, sim, client=proxy.client(), max_workers=1)
    assert manifest_days(tmp_path, sim) == ["2026-11-15", "2026-11-16", "2026-11-17"]


def test_wrong_credentials_raise(sim: Simulator, tmp_path: Path) -> None:
    with pytest.raises(dcx.AuthenticationError):
        sync(tmp_path, sim, client=make_client(sim, client_secret="wrong", max_retries=0))
    assert not manifest_path(tmp_path, sim).exists()


# -- item 15 (issue 12): what an archive's identity is ------------------------------------------


def test_a_wrong_culture_raises_and_does_not_lock_the_archive(sim: Simulator, tmp_path: Path) -> None:
    with pytest.raises(dcx.InvalidRequestError, match="Culture"):
        sync(tmp_path, sim, culture="fr")
    assert not manifest_path(tmp_path, sim).exists()
    result = sync(tmp_path, sim)
    assert result.ok, result.failed
    assert len(result.fetched) == 5


def test_an_archive_without_days_accepts_another_query(sim: Simulator, tmp_path: Path) -> None:
    path = manifest_path(tmp_path, sim)
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"format": 1, "fingerprint": "x", "query": {"culture": "fr"}, "days": {}}))
    result = sync(tmp_path, sim)
    assert result.ok, result.failed
    assert json.loads(path.read_text())["query"]["culture"] == sim.culture


def test_the_host_is_not_part_of_the_identity(sim: Simulator, tmp_path: Path) -> None:
    assert sync(tmp_path, sim).ok
    sim.clear_log()
    with DayFaultProxy(sim, {}) as other_port:
        again = sync(tmp_path, sim, client=other_port.client())
    assert again.ok, again.failed
    assert (again.fetched, len(again.skipped)) == ((), 5)


def test_a_real_mismatch_names_the_file_to_remove(sim: Simulator, tmp_path: Path) -> None:
    assert sync(tmp_path, sim).ok
    with pytest.raises(dcx.ConfigurationError, match="interactionTypes") as info:
        sync(tmp_path, sim, interaction_types="QA")
    assert str(manifest_path(tmp_path, sim)) in str(info.value)


# -- item 7 (issue 12): damaged days ------------------------------------------------------------


def damage(root: Path, sim: Simulator, day: date, how: str) -> Path:
    path = project_dir(root, sim) / f"date={day.isoformat()}" / "part-0.parquet"
    if how == "truncated":
        path.write_bytes(path.read_bytes()[:100])
    else:
        pl.DataFrame({"model": [1.0]}).write_parquet(path)
    return path


@pytest.mark.parametrize("how", ["truncated", "foreign"])
def test_a_damaged_day_in_the_window_is_fetched_again(sim: Simulator, tmp_path: Path, how: str) -> None:
    first = sync(tmp_path, sim)
    damage(tmp_path, sim, date(2026, 11, 17), how)
    sim.clear_log()
    again = sync(tmp_path, sim)
    assert again.ok, again.failed
    assert again.fetched == (date(2026, 11, 17),)
    assert requested_days(sim) == {date(2026, 11, 17)}
    assert scan_archive(tmp_path).select(pl.len()).collect().item() == first.rows


def test_a_damaged_day_out_of_the_window_is_named(sim: Simulator, tmp_path: Path) -> None:
    assert sync(tmp_path, sim).ok
    path = damage(tmp_path, sim, START, "truncated")
    later = SIM_NOW + timedelta(days=86)  # START has left the API's window
    sim.clear_log()
    result = sync(tmp_path, sim, now=later, end=OPEN)
    assert not result.ok
    assert list(result.failed) == [START]
    assert str(path) in result.failed[START]
    assert sim.interaction_requests == []


def test_scan_never_fails_as_a_whole_for_one_bad_file(sim: Simulator, tmp_path: Path) -> None:
    first = sync(tmp_path, sim)
    path = damage(tmp_path, sim, date(2026, 11, 17), "truncated")
    with pytest.warns(dcx.DataWarning, match=str(path)):
        lf = scan_archive(tmp_path)
    frame = lf.collect()
    assert frame.schema == FULL
    assert 0 < frame.height < first.rows
    assert date(2026, 11, 17) not in frame["date"].to_list()


# -- item 9 (issue 12): a failed write is a failed day ------------------------------------------


def test_a_failed_write_is_a_failed_day_not_a_foreign_exception(sim: Simulator, tmp_path: Path) -> None:
    blocked = project_dir(tmp_path, sim) / "date=2026-11-17"
    blocked.parent.mkdir(parents=True)
    blocked.write_text("a file where the day's folder goes")
    result = sync(tmp_path, sim)
    assert not result.ok
    assert list(result.failed) == [date(2026, 11, 17)]
    assert "date=2026-11-17" in result.failed[date(2026, 11, 17)]
    assert len(result.fetched) == 4


# -- items 12, 13, 14 (issue 12) and 6 (issue 14): roots and keys taken literally -------------


def test_scan_takes_the_root_literally(sim: Simulator, tmp_path: Path) -> None:
    sibling = tmp_path / "dcx1"
    literal = tmp_path / "dcx[1]"
    assert sync(sibling, sim).ok
    assert sync(literal, sim, start=date(2026, 11, 19)).ok
    dates = scan_archive(literal).select("date").unique().collect()["date"].to_list()
    assert dates == [date(2026, 11, 19)]
    odd = tmp_path / "run=1" / "dcx*"
    assert sync(odd, sim, start=date(2026, 11, 19)).ok
    frame = scan_archive(odd).collect()
    assert frame.schema == FULL
    assert frame["date"].unique().to_list() == [date(2026, 11, 19)]
    (tmp_path / "dcx*").mkdir()
    assert scan_archive(tmp_path / "dcx*").collect().height == 0


def test_scan_of_a_missing_root_or_an_unknown_key_raises_at_the_call(sim: Simulator, tmp_path: Path) -> None:
    with pytest.raises(dcx.ConfigurationError, match="does not exist"):
        scan_archive(tmp_path / "nothing")
    assert sync(tmp_path, sim, start=date(2026, 11, 19)).ok
    with pytest.raises(dcx.ConfigurationError, match=f"{sim.customer_key}/{sim.project_key}"):
        scan_archive(tmp_path, "acme", "web")
    with pytest.raises(dcx.ConfigurationError, match=f"{sim.customer_key}/{sim.project_key}"):
        scan_archive(tmp_path, sim.customer_key, "web")


def test_an_empty_archive_scans_to_an_empty_frame(tmp_path: Path) -> None:
    frame = scan_archive(tmp_path).collect()
    assert (frame.height, frame.schema) == (0, FULL)
    (tmp_path / "customer_key=acme" / "project_key=web").mkdir(parents=True)
    frame = scan_archive(tmp_path, "acme", "web").collect()
    assert (frame.height, frame.schema) == (0, FULL)


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ({"format": 1, "query": {}, "days": {"2026-13-45": {}}}, "2026-13-45"),
        ({"format": 1, "query": "culture=nl", "days": {}}, "query"),
        ("not json", "not valid JSON"),
    ],
    ids=["impossible-day", "query-a-string", "not-json"],
)
def test_a_hand_edited_manifest_is_a_configuration_error_naming_it(
    sim: Simulator, tmp_path: Path, content: object, needle: str
) -> None:
    path = manifest_path(tmp_path, sim)
    path.parent.mkdir(parents=True)
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    with pytest.raises(dcx.ConfigurationError, match=needle) as info:
        sync(tmp_path, sim)
    assert str(path) in str(info.value)
    assert sim.interaction_requests == []


def test_a_root_that_is_a_file_is_a_configuration_error(sim: Simulator, tmp_path: Path) -> None:
    root = tmp_path / "archive"
    root.write_text("a file")
    with pytest.raises(dcx.ConfigurationError, match="not a folder"):
        sync(root, sim)
    with pytest.raises(dcx.ConfigurationError, match="not a folder"):
        scan_archive(root)
    assert sim.interaction_requests == []


def test_a_key_too_long_for_a_folder_name_is_a_configuration_error(sim: Simulator, tmp_path: Path) -> None:
    with pytest.raises(dcx.ConfigurationError, match="too long"):
        sync_archive(tmp_path, "c" * 300, sim.project_key, culture=sim.culture, client=make_client(sim), now=SIM_NOW)
    assert sim.interaction_requests == []


def test_a_symlinked_project_folder_is_not_followed(sim: Simulator, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o755)
    root = tmp_path / "archive"
    (root / f"customer_key={sim.customer_key}").mkdir(parents=True)
    project_dir(root, sim).symlink_to(elsewhere)
    with pytest.raises(dcx.ConfigurationError, match="symbolic link"):
        sync(root, sim)
    assert list(elsewhere.iterdir()) == []


def test_no_warning_from_a_clean_scan(sim: Simulator, tmp_path: Path) -> None:
    assert sync(tmp_path, sim, start=date(2026, 11, 18)).ok
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert scan_archive(tmp_path).collect().height > 0
