"""Local calendar days and whole sessions, without any request (the read is tested in integration)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl
import pytest

from digitalcx_frames._read.local import (
    SESSION_GAP,
    covering_days,
    local_bounds,
    localize,
    localized_schema,
    resolve_tz,
    whole_sessions,
)
from digitalcx_frames.errors import ConfigurationError
from digitalcx_frames.schema import polars_schema

AMS = ZoneInfo("Europe/Amsterdam")


@pytest.mark.parametrize(
    ("day", "hours", "utc_start"),
    [
        (date(2026, 3, 29), 23, "2026-03-28T23:00:00+00:00"),  # clocks forward
        (date(2026, 10, 25), 25, "2026-10-24T22:00:00+00:00"),  # clocks back
        (date(2026, 6, 1), 24, "2026-05-31T22:00:00+00:00"),
        (date(2026, 1, 15), 24, "2026-01-14T23:00:00+00:00"),
    ],
)
def test_a_local_day_is_its_calendar_day(day: date, hours: int, utc_start: str) -> None:
    start, end = local_bounds(day, day + timedelta(days=1), AMS)
    assert start.isoformat() == utc_start
    assert (end - start) == timedelta(hours=hours)
    assert start.tzinfo is UTC
    assert end.tzinfo is UTC


@pytest.mark.parametrize(
    "value",
    [
        datetime(2026, 6, 1, 9, 30),
        "2026-06-01T09:30:00",
        "2026-06-01 09:30",
        np.datetime64("2026-06-01T09:30"),
    ],
)
def test_naive_times_are_wall_time_in_the_zone(value: object) -> None:
    start, _ = local_bounds(value, "2026-06-02", AMS)  # type: ignore[arg-type]
    assert start == datetime(2026, 6, 1, 7, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "value", [datetime(2026, 6, 1, 9, 30, tzinfo=UTC), "2026-06-01T09:30:00Z", "2026-06-01T11:30:00+02:00"]
)
def test_an_instant_with_an_offset_stays_that_instant(value: object) -> None:
    start, _ = local_bounds(value, "2026-06-02", AMS)  # type: ignore[arg-type]
    assert start == datetime(2026, 6, 1, 9, 30, tzinfo=UTC)


def test_bad_zone_and_bad_text_are_configuration_errors() -> None:
    with pytest.raises(ConfigurationError, match="did you mean 'Europe/Amsterdam'"):
        resolve_tz("Europe/Amsterdamm")
    with pytest.raises(ConfigurationError):
        resolve_tz(5)
    with pytest.raises(ConfigurationError):
        local_bounds("next tuesday", "2026-06-02", AMS)
    assert resolve_tz(None) is None


def test_covering_days_are_the_utc_days_touched() -> None:
    start, end = local_bounds(date(2026, 6, 1), date(2026, 6, 3), AMS)
    assert covering_days(start, end) == [date(2026, 5, 31), date(2026, 6, 1), date(2026, 6, 2)]
    midnight = datetime(2026, 6, 1, tzinfo=UTC)
    assert covering_days(midnight, midnight + timedelta(days=1)) == [date(2026, 6, 1)]


def test_localized_schema_and_frame() -> None:
    schema = localized_schema(polars_schema(), AMS)
    assert schema["timestamp_start"] == pl.Datetime("us", "Europe/Amsterdam")
    assert schema["log_id"] == polars_schema()["log_id"]
    assert localized_schema(polars_schema(), None) == polars_schema()
    frame = pl.DataFrame({"timestamp_start": [datetime(2026, 6, 1, 7, 30, tzinfo=UTC)]})
    local = localize(frame, AMS)
    assert local["timestamp_start"].dt.hour().item() == 9
    assert local["timestamp_start"].dt.timestamp().item() == frame["timestamp_start"].dt.timestamp().item()


# -- whole sessions -------------------------------------------------------------------------

START = datetime(2026, 6, 1, tzinfo=UTC)
END = START + timedelta(days=1)
FROM = START - timedelta(hours=2)
TO = END + timedelta(hours=2)
NOW = END + timedelta(days=1)


def log(*rows: tuple[str, datetime, str]) -> pl.DataFrame:
    ordered = sorted(rows, key=lambda r: r[1])
    return pl.DataFrame(
        {
            "session_uuid": [r[0] for r in ordered],
            "timestamp_start": [r[1] for r in ordered],
            "main_interaction_type": [r[2] for r in ordered],
        },
        schema={
            "session_uuid": pl.String,
            "timestamp_start": pl.Datetime("us", "UTC"),
            "main_interaction_type": pl.String,
        },
    )


def test_sessions_crossing_either_edge_come_whole_and_others_not() -> None:
    m = timedelta(minutes=1)
    frame = log(
        ("before-only", START - 30 * m, "QA"),
        ("crosses-start", START - 10 * m, "QA"),
        ("crosses-start", START + 2 * m, "Event"),
        ("inside", START + 600 * m, "QA"),
        ("crosses-end", END - 5 * m, "QA"),
        ("crosses-end", END + 7 * m, "Feedback"),
        ("after-only", END + 20 * m, "QA"),
    )
    kept, cut = whole_sessions(frame, start=START, end=END, fetched_from=FROM, fetched_to=TO, now=NOW)
    assert kept["session_uuid"].to_list() == ["crosses-start", "crosses-start", "inside", "crosses-end", "crosses-end"]
    assert kept["timestamp_start"].is_sorted()
    assert (cut.before, cut.after) == (0, 0)
    assert cut.message(FROM, TO) is None


def test_a_session_reaching_the_fetched_edge_is_warned_about_not_cut_silently() -> None:
    frame = log(
        ("long", FROM + SESSION_GAP / 2, "QA"),
        ("long", START + timedelta(minutes=1), "QA"),
        ("late", END - timedelta(minutes=1), "QA"),
        ("late", TO - SESSION_GAP / 3, "QA"),
    )
    kept, cut = whole_sessions(frame, start=START, end=END, fetched_from=FROM, fetched_to=TO, now=NOW)
    assert kept.height == 4
    assert (cut.before, cut.after) == (1, 1)
    message = cut.message(FROM, TO)
    assert message is not None
    assert "1 session(s) may have begun before" in message
    # the fetched span ends in the future: nothing more can come after it
    _, live = whole_sessions(frame, start=START, end=END, fetched_from=FROM, fetched_to=TO, now=END)
    assert live.after == 0


def test_a_predicate_selects_sessions_and_keeps_them_whole() -> None:
    frame = log(
        ("qa", START + timedelta(minutes=1), "Event"),
        ("qa", START + timedelta(minutes=2), "QA"),
        ("events", START + timedelta(minutes=3), "Event"),
        ("qa-outside", START - timedelta(minutes=5), "QA"),
        ("qa-outside", START + timedelta(minutes=3), "Event"),
    )
    kept, _ = whole_sessions(
        frame,
        start=START,
        end=END,
        fetched_from=FROM,
        fetched_to=TO,
        now=NOW,
        predicate=pl.col("main_interaction_type") == "QA",
    )
    # a session counts when one of its rows IN THE RANGE matches
    assert kept["session_uuid"].unique(maintain_order=True).to_list() == ["qa"]
    assert kept.height == 2


def test_no_session_in_range_gives_an_empty_frame_with_the_columns() -> None:
    frame = log(("x", START - timedelta(minutes=30), "QA"))
    kept, cut = whole_sessions(frame, start=START, end=END, fetched_from=FROM, fetched_to=TO, now=NOW)
    assert kept.is_empty()
    assert kept.columns == frame.columns
    assert (cut.before, cut.after) == (0, 0)
