"""Windows cover a range without gap or overlap, never exceed a day, and split cleanly."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from digitalcx_frames._read.windows import MIN_WINDOW, Window, day_windows

instants = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2026, 12, 31), timezones=st.just(UTC))


@given(instants, st.timedeltas(min_value=timedelta(seconds=1), max_value=timedelta(days=40)))
def test_day_windows_tile_the_range(start: datetime, width: timedelta) -> None:
    end = start + width
    windows = day_windows(start, end)
    assert windows[0].start == start
    assert windows[-1].end == end
    for before, after in itertools.pairwise(windows):
        assert before.end == after.start
        assert after.start.time() == datetime.min.time()
    assert all(w.end - w.start <= timedelta(days=1) for w in windows)
    assert all(w.start.date() == (w.end - timedelta(microseconds=1)).date() for w in windows)


@given(instants, st.timedeltas(min_value=MIN_WINDOW * 2, max_value=timedelta(days=1)))
def test_split_halves_tile_the_window(start: datetime, width: timedelta) -> None:
    window = Window(start, start + width)
    first, second = window.split()
    assert first.start == window.start
    assert first.end == second.start
    assert second.end == window.end
    assert first.end - first.start <= width


def test_whole_days_and_labels() -> None:
    windows = day_windows(datetime(2025, 3, 1, tzinfo=UTC), datetime(2025, 3, 8, tzinfo=UTC))
    assert len(windows) == 7
    assert all(w.is_whole_day for w in windows)
    assert windows[0].label == "2025-03-01T00:00:00Z/2025-03-02T00:00:00Z"
    assert windows[0].wire_params() == {"startDate": "2025-03-01T00:00:00Z", "endDate": "2025-03-02T00:00:00Z"}


def test_split_stops_at_the_floor() -> None:
    window = Window(datetime(2025, 3, 1, tzinfo=UTC), datetime(2025, 3, 1, 0, 20, tzinfo=UTC))
    assert not window.can_split
    assert Window(window.start, window.start + 2 * MIN_WINDOW).can_split


def test_a_window_longer_than_a_day_is_refused() -> None:
    start = datetime(2025, 3, 1, tzinfo=UTC)
    with pytest.raises(ValueError, match="at most 24 h"):
        Window(start, start + timedelta(days=1, seconds=1))
