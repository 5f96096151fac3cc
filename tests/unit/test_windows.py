"""Windows cover a range without gap or overlap, never exceed a day, and split cleanly."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from digitalcx_frames._read.windows import FORGET_AFTER, MIN_WINDOW, Window, WindowLengths, day_windows

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


# -- learned window lengths ------------------------------------------------------------------

DAY = Window.of_day(datetime(2025, 3, 1, tzinfo=UTC).date())


def halves(window: Window, depth: int) -> Window:
    for _ in range(depth):
        window = window.split()[0]
    return window


@given(st.lists(st.tuples(st.integers(min_value=0, max_value=5), st.booleans()), max_size=40))
def test_no_window_is_fetched_at_a_length_that_timed_out(events: list[tuple[int, bool]]) -> None:
    lengths = WindowLengths(clock=lambda: 0.0)
    shortest_failure: timedelta | None = None
    for depth, answered in events:
        window = halves(DAY, depth)
        verdict = lengths.admit(window, read=object())
        if verdict == "fetch" and shortest_failure is not None:
            assert window.end - window.start < shortest_failure
        if verdict == "split":
            continue
        if answered:
            lengths.succeeded(window, probe=verdict == "probe")
            if shortest_failure is not None and window.end - window.start >= shortest_failure:
                shortest_failure = None  # a probe succeeded: the service is faster again
        else:
            lengths.timed_out(window, probe=verdict == "probe")
            length = window.end - window.start
            shortest_failure = length if shortest_failure is None else min(shortest_failure, length)


def test_one_probe_per_read_and_at_most_one_in_flight() -> None:
    lengths = WindowLengths(clock=lambda: 0.0)
    lengths.timed_out(DAY)
    lengths.succeeded(halves(DAY, 1))  # 12 h works, 24 h does not
    assert lengths.admit(DAY, read="a") == "probe"
    assert lengths.admit(DAY, read="b") == "split", "one probe in flight"
    lengths.timed_out(DAY, probe=True)
    assert lengths.admit(DAY, read="a") == "split", "one probe per read"
    assert lengths.admit(DAY, read="b") == "probe"
    lengths.succeeded(DAY, probe=True)
    assert lengths.admit(DAY, read="c") == "fetch", "the probe succeeded: whole days again"


def test_what_was_learned_is_forgotten_after_a_while() -> None:
    now = [0.0]
    lengths = WindowLengths(clock=lambda: now[0], forget_after=FORGET_AFTER)
    lengths.timed_out(DAY)
    assert lengths.admit(DAY, read="a") == "split"
    now[0] = FORGET_AFTER.total_seconds() + 1
    assert lengths.admit(DAY, read="a") == "fetch"
    assert timedelta(hours=24) == FORGET_AFTER
