"""The InteractionType codec: properties over every mask, aliases and errors."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digitalcx_frames.flags import API_NAMES, KNOWN_BITS, UNKNOWN_BIT, InteractionType, InteractionTypeError
from tests.strategies import ALIASES, json_text, masks, name_lists

ALL_MASKS = [InteractionType(value) for value in range(KNOWN_BITS + 1)]


def test_members_have_the_documented_values() -> None:
    expected = {
        "EVENT": 1,
        "QA": 2,
        "FAQ_CLICK": 4,
        "DIALOG": 8,
        "LINK_CLICK": 16,
        "FEEDBACK": 32,
        "FAQ_SEARCH": 64,
        "TRANSACTIONAL_DIALOG": 128,
        "DATA_RETRIEVAL": 256,
        "GENERATIVE_AI": 512,
        "ALL": 1023,
        "UNKNOWN": 1 << 15,
    }
    assert {name: int(member) for name, member in InteractionType.__members__.items()} == expected
    assert [int(member) for member in InteractionType.known()] == [1 << i for i in range(10)]
    assert [member.api_name for member in InteractionType.known()] == list(API_NAMES)
    assert int(InteractionType.UNKNOWN) == UNKNOWN_BIT


def test_every_mask_round_trips_through_names_and_json() -> None:
    for flag in ALL_MASKS:
        names = flag.api_names()
        assert InteractionType.from_api_names(names) == flag
        assert InteractionType.from_api_names(json.dumps(names)) == flag
        assert InteractionType.from_api_names(json.dumps(names, separators=(",", ":"))) == flag
        assert len(names) == bin(int(flag)).count("1")


def test_api_names_are_in_bit_order_and_leave_unknown_out() -> None:
    assert InteractionType(512 | 8 | 2).api_names() == ["QA", "Dialog", "GenerativeAI"]
    assert (InteractionType.QA | InteractionType.UNKNOWN).api_names() == ["QA"]
    assert InteractionType(0).api_names() == []


@settings(max_examples=100)
@given(st.data())
def test_name_lists_decode_whatever_the_order_case_duplicates_and_spacing(data: st.DataObject) -> None:
    value, names = data.draw(name_lists())
    assert InteractionType.from_api_names(names) == value
    assert InteractionType.from_api_names(data.draw(json_text(names))) == value
    assert InteractionType.coerce(names) == value


@given(masks())
def test_every_spelling_of_a_mask_gives_the_same_flag(value: int) -> None:
    flag = InteractionType(value)
    spellings: list[Any] = [value, flag, flag.api_names(), json.dumps(flag.api_names()), list(flag)]
    results = {InteractionType.coerce(spelling) for spelling in spellings}
    assert results == {flag}


@given(st.one_of(masks(), masks().map(InteractionType), masks().map(lambda v: InteractionType(v).api_names())))
def test_coerce_is_idempotent(value: object) -> None:
    once = InteractionType.coerce(value)
    assert InteractionType.coerce(once) == once
    assert InteractionType.coerce(InteractionType.coerce(once)) == once
    assert type(once) is InteractionType


@pytest.mark.parametrize(("bit", "spelling"), [(bit, name) for bit, names in ALIASES.items() for name in names])
def test_aliases_and_member_names_decode(bit: int, spelling: str) -> None:
    assert InteractionType.from_api_name(spelling) == bit
    assert InteractionType.coerce(spelling) == bit


def test_single_names_and_api_name() -> None:
    assert InteractionType.from_api_name("FaqClick") is InteractionType.FAQ_CLICK
    assert InteractionType.TRANSACTIONAL_DIALOG.api_name == "TransactionalDialog"
    with pytest.raises(InteractionTypeError, match="not a single known"):
        _ = (InteractionType.QA | InteractionType.DIALOG).api_name


def test_unknown_name_is_named_and_known_names_listed() -> None:
    with pytest.raises(InteractionTypeError) as info:
        InteractionType.from_api_names('["QA", "Smalltalk"]')
    message = str(info.value)
    assert "'Smalltalk'" in message
    assert all(name in message for name in API_NAMES)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("value", "match"),
    [
        (-1, "out of range"),
        (1024, "out of range"),
        (UNKNOWN_BIT, "out of range"),
        (1 << 20, "out of range"),
        (True, "bool"),
        (2.0, "cannot read"),
        (None, "cannot read"),
        ([2], "names or flags"),
        ("", "unknown interaction type name"),
        ("Smalltalk", "Smalltalk"),
        ("[QA]", "not a JSON list"),
        ('{"QA": 1}', "unknown interaction type name"),
        ("[1, 2]", "not a JSON list"),
    ],
)
def test_coerce_rejects_with_a_clear_message(value: object, match: str) -> None:
    with pytest.raises(InteractionTypeError, match=match):
        InteractionType.coerce(value)


def test_unknown_bit_is_allowed_only_when_asked() -> None:
    assert InteractionType.coerce(UNKNOWN_BIT | 2, allow_unknown=True) == InteractionType.QA | InteractionType.UNKNOWN
    assert InteractionType.coerce([InteractionType.UNKNOWN], allow_unknown=True) is InteractionType.UNKNOWN
    with pytest.raises(InteractionTypeError):
        InteractionType.coerce([InteractionType.UNKNOWN])
    with pytest.raises(InteractionTypeError, match="out of range"):
        InteractionType.coerce(1024, allow_unknown=True)


def test_lenient_decoding_flags_and_reports_unknown_names() -> None:
    flag, unknown = InteractionType.from_api_names_lenient('[ "Dialog", "Smalltalk", "qa", "Chitchat"]')
    assert flag == InteractionType.DIALOG | InteractionType.QA | InteractionType.UNKNOWN
    assert unknown == ["Smalltalk", "Chitchat"]
    assert InteractionType.from_api_names_lenient(["QA"]) == (InteractionType.QA, [])


@settings(max_examples=50)
@given(name_lists())
def test_lenient_agrees_with_strict_on_known_names(value_names: tuple[int, list[str]]) -> None:
    value, names = value_names
    assert InteractionType.from_api_names_lenient(names) == (InteractionType(value), [])


def test_integer_like_scalars_are_accepted() -> None:
    numpy = pytest.importorskip("numpy")
    assert InteractionType.coerce(numpy.uint16(10)) == InteractionType.QA | InteractionType.DIALOG
    assert InteractionType.coerce(numpy.int64(2)) is InteractionType.QA
    with pytest.raises(InteractionTypeError, match="out of range"):
        InteractionType.coerce(numpy.int64(-3))


def test_arrays_and_series_of_names_are_lists_of_names() -> None:
    import numpy as np
    import pandas as pd

    both = InteractionType.QA | InteractionType.DIALOG
    assert InteractionType.coerce(np.array(["QA", "Dialog"])) == both
    assert InteractionType.coerce(pd.Series(["QA", "Dialog"]).unique()) == both
    assert InteractionType.coerce(pd.Series(["QA", "Dialog"])) == both
    with pytest.raises(InteractionTypeError, match="must hold names or flags"):
        InteractionType.coerce(np.array([2, 8]))


def test_empty_inputs_give_the_empty_mask() -> None:
    assert InteractionType.from_api_names("[]") == 0
    assert InteractionType.from_api_names("  ") == 0
    assert InteractionType.from_api_names([]) == 0
    assert InteractionType.coerce([]) == 0
