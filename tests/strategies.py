"""Hypothesis strategies for interaction types, shared by the test modules."""

from __future__ import annotations

import json
from collections.abc import Callable

from hypothesis import strategies as st

from digitalcx_frames.flags import KNOWN_BITS, UNKNOWN_BIT, InteractionType

__all__ = [
    "ALIASES",
    "json_text",
    "mask_columns",
    "masks",
    "name_lists",
    "spellings",
]

ALIASES: dict[int, tuple[str, ...]] = {
    1: ("Event", "EVENT", "events"),
    2: ("QA", "qa", "Qa"),
    4: ("FaqClick", "FAQClick", "FAQClicks", "faq_click", "FAQ-Click"),
    8: ("Dialog", "dialog", "Dialogs"),
    16: ("LinkClick", "Linkclick", "Linkclicks", "LINK_CLICK"),
    32: ("Feedback", "feedback"),
    64: ("FaqSearch", "FAQSearch", "faq_search"),
    128: ("TransactionalDialog", "TDialog", "T-Dialog", "T-Dialogs", "transactional_dialog"),
    256: ("DataRetrieval", "dataretrieval", "DataRetrievals"),
    512: ("GenerativeAI", "generativeai", "GENERATIVE_AI"),
}
"""Spellings the codec must accept for each bit: API name, documented aliases, member names."""


def masks(*, unknown: bool = False) -> st.SearchStrategy[int]:
    """Known masks 0..1023, optionally with the ``UNKNOWN`` bit sometimes set."""
    known = st.integers(min_value=0, max_value=KNOWN_BITS)
    if not unknown:
        return known
    return st.tuples(known, st.booleans()).map(lambda pair: pair[0] | (UNKNOWN_BIT if pair[1] else 0))


_CASES: tuple[Callable[[str], str], ...] = (str, str.lower, str.upper, str.swapcase, str.title)


def spellings(bit: int) -> st.SearchStrategy[str]:
    """One accepted spelling of a single known bit, in a random letter case."""
    return st.tuples(st.sampled_from(ALIASES[bit]), st.sampled_from(_CASES)).map(lambda pair: pair[1](pair[0]))


@st.composite
def name_lists(draw: st.DrawFn, mask: int | None = None) -> tuple[int, list[str]]:
    """A mask and a shuffled list of names spelling it, with duplicates and random case."""
    value = draw(masks()) if mask is None else mask
    bits = [int(member) for member in InteractionType.known() if value & int(member)]
    extra = draw(st.lists(st.sampled_from(bits), max_size=3)) if bits else []
    chosen = draw(st.permutations(bits + extra))
    return value, [draw(spellings(bit)) for bit in chosen]


@st.composite
def json_text(draw: st.DrawFn, names: list[str]) -> str:
    """The API's JSON text of ``names``, compact or spaced like ``[ "Dialog", "QA"]``."""
    space = st.sampled_from(["", " ", "  ", "\n"])
    items = [draw(space) + json.dumps(name) + draw(space) for name in names]
    return "[" + draw(space) + ",".join(items) + draw(space) + "]"


def mask_columns(*, unknown: bool = False, max_size: int = 40) -> st.SearchStrategy[list[int | None]]:
    """Columns of masks with nulls."""
    return st.lists(st.none() | masks(unknown=unknown), min_size=1, max_size=max_size)
