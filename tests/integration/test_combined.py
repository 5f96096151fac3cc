"""One read over the archive and the live API (issue 17 item 3), against the simulator.

The archive is built with ``sync_archive`` on the test's simulator; ``live`` is the plain
``read_interactions`` of a sub-range, as ``read_interactions(..., archive=ROOT)`` will call it.
"""

from __future__ import annotations

import inspect
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import digitalcx_frames as dcx
from digitalcx_frames._archive import sync_archive
from digitalcx_frames._read.combined import archived_pandas, archived_read, build_archived_query
from digitalcx_frames._read.query import Query
from digitalcx_frames.schema import polars_schema
from digitalcx_frames.simulator import Simulator
from tests.conftest import SIM_NOW, make_client, read_sim

pytestmark = pytest.mark.filterwarnings("error::digitalcx_frames.DataWarning")


def midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def span(first: date, last: date) -> set[date]:
    """``first`` .. ``last`` inclusive."""
    return {first + timedelta(days=i) for i in range((last - first).days + 1)}


def sync(root: Path, sim: Simulator, first: date, last: date, *, now: datetime = SIM_NOW, **filters: Any) -> None:
    """Archive the whole days ``first`` .. ``last``."""
    result = sync_archive(
        root,
        sim.customer_key,
        sim.project_key,
        culture=sim.culture,
        start=first,
        end=last + timedelta(days=1),
        client=make_client(sim),
        now=now,
        **filters,
    )
    assert result.ok, result.failed
    assert set(result.fetched) == span(first, last)


def filters_of(query: Query) -> dict[str, Any]:
    return {
        "interaction_types": query.interaction_types,
        "main_interaction_types": query.main_interaction_types,
        "environment": query.environment,
        "session_mode": query.session_mode,
        "active_sessions_only": query.active_sessions_only,
        "filter_text": query.filter_text,
        "include_user_info": query.include_user_info,
        "format": query.format,
    }


def plain(sim: Simulator, query: Query, *, now: datetime = SIM_NOW) -> pl.LazyFrame:
    """The plain API read of ``query`` (no cache): what ``live`` is."""
    frame: pl.LazyFrame = dcx.read_interactions(
        query.customer_key,
        query.project_key,
        culture=query.culture,
        start=query.start,
        end=query.end,
        client=make_client(sim),
        cache=False,
        now=now,
        **filters_of(query),
    )
    return frame


class Live:
    """``live`` for :func:`archived_read`, remembering the sub-ranges it was asked for."""

    def __init__(self, sim: Simulator, now: datetime = SIM_NOW) -> None:
        self.sim = sim
        self.now = now
        self.asked: list[tuple[datetime, datetime]] = []

    def __call__(self, query: Query) -> pl.LazyFrame:
        self.asked.append((query.start, query.end))
        return plain(self.sim, query, now=self.now)


def query_of(sim: Simulator, start: datetime | date, end: datetime | date, **options: Any) -> Query:
    options.setdefault("now", SIM_NOW)
    return build_archived_query(sim.customer_key, sim.project_key, culture=sim.culture, start=start, end=end, **options)


def requested_days(sim: Simulator) -> set[date]:
    return {record.window[0].date() for record in sim.interaction_requests if record.window is not None}


def never(query: Query) -> pl.LazyFrame:
    raise AssertionError(f"live read asked for {query.start}..{query.end}")


# -- the frame --------------------------------------------------------------------------------


def test_equals_a_plain_api_read_of_the_same_range(sim: Simulator, tmp_path: Path) -> None:
    sync(tmp_path, sim, date(2026, 11, 10), date(2026, 11, 14))
    # starts inside an archived day, ends inside a fetched one: both edge days are cut
    start, end = datetime(2026, 11, 10, 6, tzinfo=UTC), datetime(2026, 11, 19, 18, tzinfo=UTC)
    query = query_of(sim, start, end)
    live = Live(sim)
    frame = archived_read(tmp_path, query, live=live, now=SIM_NOW).collect()
    expected = plain(sim, query).collect()
    assert frame.schema == polars_schema()  # exactly the reader's schema: no partition columns
    assert_frame_equal(frame, expected)  # rows, order and dtypes
    assert frame.filter(~pl.col("timestamp_start").is_between(start, end, closed="left")).is_empty()
    # the day next to the archive on its own (joined against it for shared rows), then the rest
    assert live.asked == [
        (midnight(date(2026, 11, 15)), midnight(date(2026, 11, 16))),
        (midnight(date(2026, 11, 16)), end),
    ]


def test_the_api_is_asked_only_for_the_days_not_archived(sim: Simulator, tmp_path: Path) -> None:
    sync(tmp_path, sim, date(2026, 11, 12), date(2026, 11, 16))
    query = query_of(sim, date(2026, 11, 10), date(2026, 11, 20))  # 11-10, 11-11 and 11-17..11-19 live
    sim.clear_log()
    lf = archived_read(tmp_path, query, live=Live(sim), now=SIM_NOW)
    assert sim.interaction_requests == []  # lazy: nothing fetched before collect
    frame = lf.collect()
    combined = len(sim.interaction_requests)
    assert requested_days(sim) == span(date(2026, 11, 10), date(2026, 11, 11)) | span(
        date(2026, 11, 17), date(2026, 11, 19)
    )
    sim.clear_log()
    for low, high in ((date(2026, 11, 10), date(2026, 11, 12)), (date(2026, 11, 17), date(2026, 11, 20))):
        plain(sim, query_of(sim, low, high)).collect()
    assert combined == len(sim.interaction_requests) > 0  # the same requests as reading only those days
    assert frame["log_id"].is_unique().all()


def test_a_range_the_archive_holds_whole_makes_no_request(sim: Simulator, tmp_path: Path) -> None:
    sync(tmp_path, sim, date(2026, 11, 15), date(2026, 11, 17))
    query = query_of(sim, date(2026, 11, 15), date(2026, 11, 18))
    expected = plain(sim, query).collect()
    sim.clear_log()
    frame = archived_read(tmp_path, query, live=never, now=SIM_NOW).collect()
    assert sim.interaction_requests == []
    assert_frame_equal(frame, expected)


def test_a_time_filter_on_archived_days_reaches_no_live_day(sim: Simulator, tmp_path: Path) -> None:
    sync(tmp_path, sim, date(2026, 11, 14), date(2026, 11, 16))
    query = query_of(sim, date(2026, 11, 14), date(2026, 11, 20))
    lf = archived_read(tmp_path, query, live=Live(sim), now=SIM_NOW)
    sim.clear_log()
    early = lf.filter(pl.col("timestamp_start") < datetime(2026, 11, 15, tzinfo=UTC)).collect()
    assert sim.interaction_requests == []  # the predicate reached the live scan: no live day can match
    assert early.height > 0
    late = lf.filter(pl.col("timestamp_start") >= datetime(2026, 11, 19, tzinfo=UTC)).collect()
    assert requested_days(sim) == {date(2026, 11, 19)}
    assert late.height > 0
    assert late.filter(pl.col("timestamp_start") < datetime(2026, 11, 19, tzinfo=UTC)).is_empty()


@pytest.mark.parametrize("first", [date(2026, 11, 12), date(2026, 11, 8)], ids=["archived-first", "fetched-first"])
def test_head_stops_as_early_as_a_plain_read(sim: Simulator, tmp_path: Path, first: date) -> None:
    sync(tmp_path, sim, date(2026, 11, 12), date(2026, 11, 14))
    query = query_of(sim, first, date(2026, 11, 20))
    lf = archived_read(tmp_path, query, live=Live(sim), now=SIM_NOW)
    sim.clear_log()
    head = lf.head(5).collect()
    combined = len(sim.interaction_requests)
    sim.clear_log()
    expected = plain(sim, query).head(5).collect()
    assert_frame_equal(head, expected)
    assert combined == (0 if first == date(2026, 11, 12) else len(sim.interaction_requests))


def test_pandas_path_equals_the_pandas_backend(sim: Simulator, tmp_path: Path) -> None:
    sync(tmp_path, sim, date(2026, 11, 17), date(2026, 11, 18))
    query = query_of(sim, date(2026, 11, 16), date(2026, 11, 20))
    frame = archived_pandas(tmp_path, query, live=Live(sim), now=SIM_NOW)
    expected = dcx.read_interactions(
        sim.customer_key,
        sim.project_key,
        culture=sim.culture,
        start=query.start,
        end=query.end,
        client=make_client(sim),
        cache=False,
        now=SIM_NOW,
        backend="pandas",
    )
    assert list(frame.dtypes.astype(str)) == list(expected.dtypes.astype(str))
    assert frame.equals(expected)


# -- overlap ----------------------------------------------------------------------------------


def day_file(root: Path, sim: Simulator, day: date) -> Path:
    project = root / f"customer_key={sim.customer_key}" / f"project_key={sim.project_key}"
    return project / f"date={day.isoformat()}" / "part-0.parquet"


@pytest.mark.parametrize("archived_first", [True, False], ids=["archive-then-api", "api-then-archive"])
def test_a_row_both_hold_is_kept_once(sim: Simulator, tmp_path: Path, archived_first: bool) -> None:
    archived, fetched = (date(2026, 11, 14), date(2026, 11, 15))
    if not archived_first:
        archived, fetched = fetched, archived
    sync(tmp_path, sim, archived, archived)
    query = query_of(sim, date(2026, 11, 14), date(2026, 11, 16))
    expected = plain(sim, query).collect()
    # the archived day also holds the fetched day's row next to it (a row at the day's edge)
    edge = plain(sim, query_of(sim, fetched, fetched + timedelta(days=1))).collect()
    path = day_file(tmp_path, sim, archived)
    stored = pl.read_parquet(path)
    both = pl.concat([stored, edge.head(1)] if archived_first else [edge.tail(1), stored])
    both.write_parquet(path)
    frame = archived_read(tmp_path, query, live=Live(sim), now=SIM_NOW).collect()
    assert frame["log_id"].is_unique().all()
    assert_frame_equal(frame, expected)  # kept once, where time order puts it


# -- before the API's 90 days -----------------------------------------------------------------


LATER = SIM_NOW + timedelta(days=85)
"""A clock at which 2026-11-14 and older have left the API's 90 days (it serves from 2026-11-15)."""


def test_days_older_than_90_come_from_the_archive(sim: Simulator, tmp_path: Path) -> None:
    sync(tmp_path, sim, date(2026, 11, 10), date(2026, 11, 14))
    query = query_of(sim, date(2026, 11, 10), date(2026, 11, 18))
    expected = plain(sim, query).collect()  # read while the API still served every day
    sim.today = LATER.date()
    with pytest.raises(dcx.ConfigurationError, match="too early"):
        plain(sim, query_of(sim, date(2026, 11, 10), date(2026, 11, 18), now=LATER), now=LATER)
    sim.clear_log()
    old_query = query_of(sim, date(2026, 11, 10), date(2026, 11, 18), now=LATER)
    frame = archived_read(tmp_path, old_query, live=Live(sim, LATER), now=LATER).collect()
    assert requested_days(sim) == span(date(2026, 11, 15), date(2026, 11, 17))
    assert_frame_equal(frame, expected)


def test_an_old_day_the_archive_lacks_is_named(sim: Simulator, tmp_path: Path) -> None:
    sync(tmp_path, sim, date(2026, 11, 8), date(2026, 11, 9))
    sync(tmp_path, sim, date(2026, 11, 12), date(2026, 11, 14))
    sim.today = LATER.date()
    sim.clear_log()
    query = query_of(sim, date(2026, 11, 6), date(2026, 11, 17), now=LATER)
    live = Live(sim, LATER)
    with pytest.raises(dcx.ConfigurationError) as info:
        archived_read(tmp_path, query, live=live, now=LATER)
    message = str(info.value)
    assert "2026-11-06..2026-11-07, 2026-11-10..2026-11-11" in message
    assert "2026-11-08" not in message.partition("lacks")[2].partition("older")[0]
    assert "2026-11-15" in message  # where the API's window starts
    assert live.asked == []
    assert sim.interaction_requests == []


# -- refused at the call ----------------------------------------------------------------------


def test_a_root_that_does_not_exist_is_refused_at_the_call(sim: Simulator, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-archive"
    query = query_of(sim, date(2026, 11, 15), date(2026, 11, 17))
    with pytest.raises(dcx.ConfigurationError, match="does not exist") as info:
        archived_read(missing, query, live=never, now=SIM_NOW)
    assert str(missing) in str(info.value)
    assert not missing.exists()


def test_a_root_of_other_projects_says_what_it_holds(sim: Simulator, tmp_path: Path) -> None:
    sync(tmp_path, sim, date(2026, 11, 15), date(2026, 11, 15))
    query = build_archived_query(
        sim.customer_key, "other-project", culture=sim.culture, start="2026-11-15", end="2026-11-16", now=SIM_NOW
    )
    with pytest.raises(dcx.ConfigurationError, match=f"holds {sim.customer_key}/{sim.project_key}"):
        archived_read(tmp_path, query, live=never, now=SIM_NOW)


@pytest.mark.parametrize(
    ("archived", "asked", "argument"),
    [
        ({}, {"interaction_types": "QA"}, "interaction_types: archived not set, this read '2' (QA)"),
        ({"session_mode": "Internal"}, {}, "session_mode: archived 'Internal', this read 'Public'"),
    ],
    ids=["type-filter", "session-mode"],
)
def test_other_filters_than_the_archive_are_refused(
    sim: Simulator, tmp_path: Path, archived: dict[str, Any], asked: dict[str, Any], argument: str
) -> None:
    sync(tmp_path, sim, date(2026, 11, 15), date(2026, 11, 15), **archived)
    query = query_of(sim, date(2026, 11, 15), date(2026, 11, 17), **asked)
    with pytest.raises(dcx.ConfigurationError) as info:
        archived_read(tmp_path, query, live=never, now=SIM_NOW)
    message = str(info.value)
    assert argument in message
    project = tmp_path / f"customer_key={sim.customer_key}" / f"project_key={sim.project_key}"
    assert str(project / "_manifest.json") in message  # where the archive's query is recorded
    assert "another query" in message
    assert "sync_archive(OTHER_ROOT" in message


def test_the_host_and_format_are_not_filters(sim: Simulator, tmp_path: Path) -> None:
    sync(tmp_path, sim, date(2026, 11, 15), date(2026, 11, 15))
    query = query_of(sim, date(2026, 11, 15), date(2026, 11, 17), format="json")
    expected = plain(sim, query).collect()
    frame = archived_read(tmp_path, query, live=Live(sim), now=SIM_NOW).collect()
    assert_frame_equal(frame, expected)


# -- the archive's files ----------------------------------------------------------------------


def test_a_damaged_archived_day_in_the_window_is_read_from_the_api(sim: Simulator, tmp_path: Path) -> None:
    sync(tmp_path, sim, date(2026, 11, 15), date(2026, 11, 16))
    path = day_file(tmp_path, sim, date(2026, 11, 16))
    path.write_bytes(path.read_bytes()[:100])
    query = query_of(sim, date(2026, 11, 15), date(2026, 11, 17))
    expected = plain(sim, query).collect()
    sim.clear_log()
    with pytest.warns(dcx.DataWarning, match=str(path)):
        lf = archived_read(tmp_path, query, live=Live(sim), now=SIM_NOW)
    assert_frame_equal(lf.collect(), expected)
    assert requested_days(sim) == {date(2026, 11, 16)}


def test_a_day_missing_from_the_manifest_is_not_read_from_the_archive(sim: Simulator, tmp_path: Path) -> None:
    sync(tmp_path, sim, date(2026, 11, 15), date(2026, 11, 16))
    manifest = day_file(tmp_path, sim, date(2026, 11, 15)).parents[1] / "_manifest.json"
    data = json.loads(manifest.read_text())
    del data["days"]["2026-11-15"]
    manifest.write_text(json.dumps(data))
    query = query_of(sim, date(2026, 11, 15), date(2026, 11, 17))
    sim.clear_log()
    archived_read(tmp_path, query, live=Live(sim), now=SIM_NOW).collect()
    assert requested_days(sim) == {date(2026, 11, 15)}


def test_extra_columns_are_null_on_archived_days(sim: Simulator, tmp_path: Path) -> None:
    sync(tmp_path, sim, date(2026, 11, 15), date(2026, 11, 15))
    query = query_of(sim, date(2026, 11, 15), date(2026, 11, 17))

    def live(sub: Query) -> pl.LazyFrame:
        return plain(sim, sub).with_columns(pl.lit("x").alias("NewColumn"))

    lf = archived_read(tmp_path, query, live=live, now=SIM_NOW, extra_columns=["NewColumn"])
    assert lf.collect_schema() == pl.Schema({**polars_schema(), "NewColumn": pl.String()})
    frame = lf.collect()
    day = frame["timestamp_start"].dt.date()
    assert frame.filter(day == date(2026, 11, 15))["NewColumn"].is_null().all()
    assert (frame.filter(day == date(2026, 11, 16))["NewColumn"] == "x").all()


def test_build_archived_query_keeps_every_other_check(sim: Simulator) -> None:
    with pytest.raises(dcx.ConfigurationError, match="must be after start"):
        query_of(sim, date(2026, 5, 2), date(2026, 5, 1))
    with pytest.raises(dcx.ConfigurationError, match="session_mode"):
        query_of(sim, date(2026, 5, 1), date(2026, 5, 2), session_mode="public-ish")
    query = query_of(sim, date(2026, 5, 1), date(2026, 5, 2), interaction_types="QA")
    assert (query.start, query.end) == (midnight(date(2026, 5, 1)), midnight(date(2026, 5, 2)))
    assert query.interaction_types == dcx.InteractionType.coerce("QA")


# -- the public path: read_interactions(..., archive=ROOT) ----------------------------------------

wired = pytest.mark.skipif(
    "archive" not in inspect.signature(dcx.read_interactions).parameters,
    reason="read_interactions(archive=) is the integrator's to wire (report of issue 17 item 3)",
)


@wired
def test_read_interactions_with_archive_reaches_past_90_days(sim: Simulator, tmp_path: Path, backend: str) -> None:
    sync(tmp_path, sim, date(2026, 11, 10), date(2026, 11, 14))
    expected = read_sim(sim, start=date(2026, 11, 10), end=date(2026, 11, 18), backend=backend)
    if backend == "polars":
        expected = expected.collect()  # while the API still serves every day
    sim.today = LATER.date()
    sim.clear_log()
    got = read_sim(sim, start=date(2026, 11, 10), end=date(2026, 11, 18), backend=backend, now=LATER, archive=tmp_path)
    if backend == "polars":
        assert sim.interaction_requests == []
        assert_frame_equal(got.collect(), expected)
    else:
        assert got.equals(expected)
    assert requested_days(sim) == span(date(2026, 11, 15), date(2026, 11, 17))


@wired
def test_read_interactions_with_a_missing_archive_root(sim: Simulator, tmp_path: Path) -> None:
    with pytest.raises(dcx.ConfigurationError, match="does not exist"):
        read_sim(sim, archive=tmp_path / "nope")
    assert sim.interaction_requests == []


@wired
def test_read_interactions_with_archive_uses_the_cache_for_fetched_days(sim: Simulator, tmp_path: Path) -> None:
    sync(tmp_path / "a", sim, date(2026, 11, 14), date(2026, 11, 15))
    options = {
        "start": date(2026, 11, 14),
        "end": date(2026, 11, 18),
        "archive": tmp_path / "a",
        "cache": tmp_path / "c",
    }
    first = read_sim(sim, **options).collect()
    sim.clear_log()
    again = read_sim(sim, **options).collect()
    assert sim.interaction_requests == []
    assert_frame_equal(first, again)


def _dask_takes_archive() -> bool:
    try:
        from digitalcx_frames._read.dask import read_dask
    except ImportError:
        return False
    return "archive" in inspect.signature(read_dask).parameters


@pytest.mark.skipif(not _dask_takes_archive(), reason="read_dask(archive=) is the integrator's to wire")
def test_dask_backend_with_archive(sim: Simulator, tmp_path: Path) -> None:
    import dask

    sync(tmp_path, sim, date(2026, 11, 10), date(2026, 11, 14))
    expected = read_sim(sim, start=date(2026, 11, 10), end=date(2026, 11, 18), backend="pandas")
    sim.today = LATER.date()
    sim.clear_log()
    ddf = read_sim(sim, start=date(2026, 11, 10), end=date(2026, 11, 18), backend="dask", now=LATER, archive=tmp_path)
    assert (ddf.npartitions, sim.interaction_requests) == (8, [])
    with dask.config.set(scheduler="threads"):
        archived_day = ddf.loc["2026-11-12"].compute()
        assert sim.interaction_requests == []  # an archived day's partition asks the API nothing
        assert len(archived_day) > 0
        got = ddf.compute().reset_index(drop=True)
    assert got.equals(expected)
    assert requested_days(sim) == span(date(2026, 11, 15), date(2026, 11, 17))
    with pytest.raises(dcx.ConfigurationError, match="lacks 2026-11-09"):
        read_sim(sim, start=date(2026, 11, 9), end=date(2026, 11, 12), backend="dask", now=LATER, archive=tmp_path)
