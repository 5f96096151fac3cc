"""The read's filters re-checked on our side (issue 13, item 2): :mod:`digitalcx_frames._read.enforce`."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digitalcx_frames._read.enforce import CHECKED, FilterTally, enforce, wire_name
from digitalcx_frames._read.query import Query, build_query
from digitalcx_frames.errors import DataWarning
from digitalcx_frames.flags import UNKNOWN_BIT, InteractionType

NOW = datetime(2026, 11, 20, tzinfo=UTC)
NAMES = ["Event", "QA", "FaqClick", "Dialog", "LinkClick", "Feedback", "FaqSearch", "TransactionalDialog",
         "DataRetrieval", "GenerativeAI"]  # fmt: skip


def query(**filters: Any) -> Query:
    return build_query("acme", "web", culture="nl", start="2026-11-01", end="2026-11-02", now=NOW, **filters)


def batch(main: list[str | None], masks: list[int | None], active: list[bool | None]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "log_id": list(range(1, len(main) + 1)),
            "main_interaction_type": main,
            "all_interaction_types": masks,
            "session_is_active": active,
        },
        schema={
            "log_id": pl.Int64,
            "main_interaction_type": pl.Categorical,
            "all_interaction_types": pl.UInt16,
            "session_is_active": pl.Boolean,
        },
    )


def test_no_filter_keeps_the_batch_as_it_is() -> None:
    frame = batch(["QA", "Event"], [2, 1], [True, False])
    result = enforce(frame, query())
    assert result.frame is frame
    assert result.removed == {}


def test_main_type_outside_the_mask_is_removed_with_aliases_and_case() -> None:
    frame = batch(["QA", "qa", "Dialog", "T-Dialog", "Event"], [2, 2, 8, 128, 1], [True] * 5)
    result = enforce(frame, query(main_interaction_types=["QA", "TransactionalDialog"]))
    assert result.frame["log_id"].to_list() == [1, 2, 4]
    assert result.removed == {"main_interaction_types": 2}


def test_rows_that_cannot_be_judged_are_kept() -> None:
    """An unknown main type name, the UNKNOWN bit, or a null: the service may be right."""
    frame = batch(["Smalltalk", None, "Dialog"], [UNKNOWN_BIT, None, 8], [None, True, True])
    result = enforce(frame, query(main_interaction_types="QA", interaction_types="QA", active_sessions_only=True))
    assert result.frame["log_id"].to_list() == [1, 2]
    assert result.removed == {"main_interaction_types": 1, "interaction_types": 1}


def test_interaction_types_match_by_overlap() -> None:
    frame = batch(["QA"] * 4, [2 | 8, 1, 256 | 1, 8], [True] * 4)
    result = enforce(frame, query(interaction_types=["Dialog", "DataRetrieval"]))
    assert result.frame["log_id"].to_list() == [1, 3, 4]
    assert result.removed == {"interaction_types": 1}


def test_inactive_sessions_are_removed_only_when_asked() -> None:
    frame = batch(["QA"] * 3, [2] * 3, [True, False, False])
    assert enforce(frame, query(active_sessions_only=False)).removed == {}
    result = enforce(frame, query(active_sessions_only=True))
    assert result.frame["log_id"].to_list() == [1]
    assert result.removed == {"active_sessions_only": 2}


def test_a_row_two_filters_exclude_counts_for_both_and_goes_once() -> None:
    frame = batch(["Event", "QA"], [1, 2], [False, True])
    result = enforce(frame, query(main_interaction_types="QA", active_sessions_only=True))
    assert result.frame["log_id"].to_list() == [2]
    assert result.removed == {"main_interaction_types": 1, "active_sessions_only": 1}


def test_filter_text_is_not_rechecked() -> None:
    frame = batch(["QA"], [2], [True]).with_columns(interaction_value=pl.lit("nothing alike"))
    assert enforce(frame, query(filter_text="opening hours")).removed == {}


def test_an_empty_batch_stays_empty_with_its_schema() -> None:
    frame = batch([], [], [])
    result = enforce(frame, query(main_interaction_types="QA", active_sessions_only=True))
    assert result.frame.schema == frame.schema
    assert result.frame.height == 0


def test_wire_names_come_from_what_the_query_sends() -> None:
    q = query(main_interaction_types="QA", interaction_types="Dialog", active_sessions_only=True)
    sent = q.wire_params()
    for argument in CHECKED:
        assert wire_name(argument) in sent
    assert [wire_name(a) for a in CHECKED] == ["mainInteractionType", "interactionTypes", "activeSessionOnly"]


def test_one_warning_per_read_names_the_wire_parameter_the_argument_and_the_count() -> None:
    q = query(main_interaction_types="QA", active_sessions_only=True)
    tally = FilterTally()
    for frame in (batch(["Event", "QA"], [1, 2], [True, True]), batch(["Dialog", "QA"], [8, 2], [True, False])):
        tally.add(enforce(frame, q).removed)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tally.warn()
    assert len(caught) == 1
    assert caught[0].category is DataWarning
    text = str(caught[0].message)
    assert "2 rows for mainInteractionType (main_interaction_types)" in text
    assert "1 row for activeSessionOnly (active_sessions_only)" in text
    assert caught[0].filename == __file__


def test_no_warning_when_the_service_honoured_every_filter() -> None:
    q = query(main_interaction_types="QA")
    tally = FilterTally()
    tally.add(enforce(batch(["QA"], [2], [True]), q).removed)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tally.warn()
    assert tally.message() is None


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(st.tuples(st.sampled_from([*NAMES, "Smalltalk"]), st.integers(0, 1023), st.booleans()), max_size=40),
    main=st.integers(1, 1023),
    types=st.integers(1, 1023),
    active=st.booleans(),
)
def test_the_kept_rows_are_exactly_those_a_row_by_row_check_keeps(
    rows: list[tuple[str, int, bool]], main: int, types: int, active: bool
) -> None:
    frame = batch([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows])
    q = query(main_interaction_types=main, interaction_types=types, active_sessions_only=active)

    def keep(name: str, mask: int, is_active: bool) -> bool:
        main_ok = name == "Smalltalk" or bool(int(InteractionType.from_api_name(name)) & main)
        return main_ok and bool(mask & types) and (is_active or not active)

    expected = [i + 1 for i, row in enumerate(rows) if keep(*row)]
    result = enforce(frame, q)
    assert result.frame["log_id"].to_list() == expected
    assert sum(1 for _ in rows) - len(expected) <= sum(result.removed.values())


@pytest.mark.parametrize("argument", ["format", "no_such_argument"])
def test_wire_name_refuses_what_it_cannot_look_up(argument: str) -> None:
    with pytest.raises(KeyError):
        wire_name(argument)
