"""The page cursor as a contract, without a socket: immutable steps, refused repeats, a page bound."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from digitalcx_frames._http.pages import CONTINUATION_HEADER, MAX_PAGES, PageCursor
from digitalcx_frames.errors import PagingError

tokens = st.text(min_size=1, max_size=12).map(str.strip).filter(bool)
attempts = st.integers(min_value=1, max_value=5)


@given(st.lists(st.tuples(tokens, attempts), unique_by=lambda step: step[0], max_size=30), attempts)
def test_distinct_tokens_are_followed_to_the_end(steps: list[tuple[str, int]], last: int) -> None:
    cursor = PageCursor(window="w")
    for token, spent in steps:
        before = cursor
        cursor = cursor.advance(token, attempts=spent)
        assert before.number == cursor.number - 1, "advance returns a new cursor and leaves the old one"
        assert cursor.token == token
        assert cursor.query({"culture": "nl"}) == {"culture": "nl", CONTINUATION_HEADER: token}
    end = cursor.advance(None, attempts=last)
    assert end.done
    assert end.token is None
    assert end.number == len(steps) + 1
    assert end.used == frozenset(token for token, _ in steps)
    assert end.attempts == sum(spent for _, spent in steps) + last
    with pytest.raises(ValueError, match="already answered"):
        end.advance("more", attempts=1)


@given(st.lists(tokens, unique=True, min_size=1, max_size=20), st.data())
def test_a_repeated_token_is_refused_and_the_cursor_is_unchanged(seen: list[str], data: st.DataObject) -> None:
    cursor = PageCursor(window="2026-11-19T00:00:00Z/2026-11-20T00:00:00Z")
    for token in seen:
        cursor = cursor.advance(token, attempts=1)
    again = data.draw(st.sampled_from(seen))
    state = dataclasses.astuple(cursor)
    with pytest.raises(PagingError, match="already used") as info:
        cursor.advance(again, attempts=2)
    assert dataclasses.astuple(cursor) == state
    assert (info.value.window, info.value.page, info.value.attempts) == (cursor.window, cursor.number, len(seen) + 2)
    assert info.value.status_code == 200


@given(st.integers(min_value=1, max_value=40))
def test_paging_stops_at_the_page_bound(bound: int) -> None:
    cursor = PageCursor(window="w", max_pages=bound)
    for number in range(1, bound):
        cursor = cursor.advance(f"t{number}", attempts=1)
    assert cursor.number == bound
    assert cursor.advance(None, attempts=1).done, "the last allowed page may end the window"
    with pytest.raises(PagingError, match=f"more than the {bound} pages") as info:
        cursor.advance("one more", attempts=1)
    assert info.value.page == bound


@given(st.lists(tokens, unique=True, max_size=10))
def test_the_repr_shows_counters_not_tokens(seen: list[str]) -> None:
    cursor = PageCursor(window="w")
    for token in seen:
        cursor = cursor.advance("secret-" + token, attempts=2)
    text = repr(cursor)
    assert (
        text
        == f"PageCursor(window='w', page={len(seen) + 1}, tokens={len(seen)}, attempts={2 * len(seen)}, done=False)"
    )
    assert "secret-" not in text


def test_the_cursor_is_immutable_and_the_default_bound_is_documented() -> None:
    cursor = PageCursor(window="w")
    with pytest.raises(dataclasses.FrozenInstanceError):
        cursor.number = 5  # type: ignore[misc]
    assert cursor.max_pages == MAX_PAGES == 2_000
    assert cursor.query({"a": "b"}) == {"a": "b"}
