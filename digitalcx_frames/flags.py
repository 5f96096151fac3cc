"""Interaction types: the API's bit flags and the names it writes in the data.

A leaf module (standard library only). The API filters with integer masks
(``interactionTypes=131``) and writes the types of a row as JSON text
(``[ "Dialog", "QA"]``); :class:`InteractionType` converts between the two.

Examples
--------
>>> from digitalcx_frames import InteractionType
>>> InteractionType.from_api_names('[ "Dialog", "QA"]')
<InteractionType.QA|DIALOG: 10>
>>> (InteractionType.QA | InteractionType.DIALOG).api_names()
['QA', 'Dialog']
>>> InteractionType.coerce(["qa", "T-Dialog"]) == InteractionType.coerce(130)
True
"""

from __future__ import annotations

import enum
import json
import operator
from collections.abc import Iterable
from typing import Final, SupportsIndex, TypeGuard

__all__ = ["API_NAMES", "KNOWN_BITS", "UNKNOWN_BIT", "InteractionType", "InteractionTypeError"]

KNOWN_BITS: Final = 1023
UNKNOWN_BIT: Final = 1 << 15


class InteractionTypeError(ValueError):
    """A name, number or value that is not an interaction type."""


class InteractionType(enum.IntFlag):
    """The interaction types of the Analytics API as bit flags.

    Masks combine by OR and the API matches them by overlap: ``131`` is
    Event or QA or TransactionalDialog. ``UNKNOWN`` (``1 << 15``) is reserved for names
    the API sends that this library does not know; it never goes on the wire.
    """

    EVENT = 1
    QA = 2
    FAQ_CLICK = 4
    DIALOG = 8
    LINK_CLICK = 16
    FEEDBACK = 32
    FAQ_SEARCH = 64
    TRANSACTIONAL_DIALOG = 128
    DATA_RETRIEVAL = 256
    GENERATIVE_AI = 512
    ALL = 1023
    UNKNOWN = 1 << 15

    @classmethod
    def known(cls) -> list[InteractionType]:
        """The ten known single-bit members in bit order (``EVENT`` … ``GENERATIVE_AI``)."""
        return list(_SINGLE)

    @property
    def api_name(self) -> str:
        """The API's spelling of a single-bit member (``"FaqClick"``)."""
        try:
            return _NAME_OF_BIT[int(self)]
        except KeyError:
            raise InteractionTypeError(
                f"{self!r} is not a single known interaction type; use api_names() for masks"
            ) from None

    def api_names(self) -> list[str]:
        """The API spellings of the known bits set, in bit order (UNKNOWN is left out).

        >>> InteractionType(130).api_names()
        ['QA', 'TransactionalDialog']
        """
        value = int(self)
        return [name for bit, name in _NAME_OF_BIT.items() if value & bit]

    @classmethod
    def from_api_name(cls, name: str) -> InteractionType:
        """One name, case-insensitive, with the aliases the vendor's documents use.

        >>> InteractionType.from_api_name("FAQClicks")
        <InteractionType.FAQ_CLICK: 4>

        Raises
        ------
        InteractionTypeError
            If the name is not a known type; the message lists the known names.
        """
        bit = _lookup(name)
        if bit is None:
            raise InteractionTypeError(
                f"unknown interaction type name {name!r}; known names are {', '.join(API_NAMES)} (case-insensitive)"
            )
        return cls(bit)

    @classmethod
    def from_api_names(cls, names: str | Iterable[str]) -> InteractionType:
        """The mask of a list of names, or of the API's JSON text of such a list.

        >>> InteractionType.from_api_names(["QA", "qa", "Event"])
        <InteractionType.EVENT|QA: 3>
        """
        value = 0
        for name in _names_of(names):
            value |= int(cls.from_api_name(name))
        return cls(value)

    @classmethod
    def from_api_names_lenient(cls, names: str | Iterable[str]) -> tuple[InteractionType, list[str]]:
        """Like :meth:`from_api_names`, but an unknown name sets ``UNKNOWN`` and is reported.

        >>> InteractionType.from_api_names_lenient('["QA","Smalltalk"]')
        (<InteractionType.QA|UNKNOWN: 32770>, ['Smalltalk'])
        """
        value = 0
        unknown: list[str] = []
        for name in _names_of(names):
            bit = _lookup(name)
            if bit is None:
                value |= UNKNOWN_BIT
                unknown.append(name)
            else:
                value |= bit
        return cls(value), unknown

    @classmethod
    def coerce(cls, value: object, *, allow_unknown: bool = False) -> InteractionType:
        """Any accepted spelling of a mask: an int, a flag, a name, JSON text or names.

        This is what every public argument that takes a mask goes through.

        >>> InteractionType.coerce("QA") == InteractionType.coerce(2) == InteractionType.coerce(["qa"])
        True

        Raises
        ------
        InteractionTypeError
            For negative numbers, bits outside 0..1023 (``UNKNOWN`` only with
            ``allow_unknown=True``), unknown names and values of other types.
        """
        if isinstance(value, cls):
            number = int(value)
        elif isinstance(value, bool):
            raise InteractionTypeError(f"a mask must be an int or type names, not a bool ({value!r})")
        elif isinstance(value, int):
            number = value
        elif _is_index(value):
            number = operator.index(value)  # NumPy and other integer scalars
        elif isinstance(value, str):
            return cls.from_api_names(value) if value.lstrip().startswith("[") else cls.from_api_name(value)
        elif isinstance(value, Iterable):
            items = list(value)
            if not all(isinstance(item, str | InteractionType) for item in items):
                raise InteractionTypeError(f"a list of interaction types must hold names or flags, got {items!r}")
            number = 0
            for item in items:
                number |= int(cls.coerce(item, allow_unknown=allow_unknown))
        else:
            raise InteractionTypeError(
                f"cannot read an interaction-type mask from {type(value).__name__} {value!r}; "
                "give an int, an InteractionType, a name or a list of names"
            )
        allowed = KNOWN_BITS | (UNKNOWN_BIT if allow_unknown else 0)
        if number < 0 or number & ~allowed:
            raise InteractionTypeError(
                f"interaction-type mask {number} is out of range; masks are 0..{KNOWN_BITS} "
                f"(the OR of {', '.join(f'{n}={int(b)}' for n, b in zip(API_NAMES, _SINGLE, strict=True))})"
            )
        return cls(number)


_SINGLE: Final = tuple(InteractionType(1 << i) for i in range(10))
API_NAMES: Final = (
    "Event",
    "QA",
    "FaqClick",
    "Dialog",
    "LinkClick",
    "Feedback",
    "FaqSearch",
    "TransactionalDialog",
    "DataRetrieval",
    "GenerativeAI",
)
_NAME_OF_BIT: Final = {1 << i: name for i, name in enumerate(API_NAMES)}


def _norm(name: str) -> str:
    return "".join(ch for ch in name.casefold() if ch not in " -_")


_ALIASES: Final = {
    "faqclicks": 4,
    "faqclick": 4,
    "linkclicks": 16,
    "tdialog": 128,
    "tdialogs": 128,
    "transactionaldialogs": 128,
    "faqsearches": 64,
    "dialogs": 8,
    "events": 1,
    "qas": 2,
    "dataretrievals": 256,
    "generativeais": 512,
    "genai": 512,
    "feedbacks": 32,
}
_BIT_OF_NORM: Final = {_norm(name): bit for bit, name in _NAME_OF_BIT.items()} | {
    **{_norm(member.name or ""): int(member) for member in _SINGLE},
    **_ALIASES,
}


def _is_index(value: object) -> TypeGuard[SupportsIndex]:
    """An integer-like scalar that is not a bool (NumPy's ``uint16`` and friends)."""
    return (
        not isinstance(value, str)
        and type(value).__name__ not in ("bool_", "bool")
        and hasattr(type(value), "__index__")
        and getattr(value, "ndim", 0) == 0  # an array of names is a list of names, not a number
    )


def _lookup(name: str) -> int | None:
    if not isinstance(name, str):
        raise InteractionTypeError(f"an interaction type name must be a string, got {type(name).__name__} {name!r}")
    return _BIT_OF_NORM.get(_norm(name))


def _names_of(names: str | Iterable[str]) -> list[str]:
    if isinstance(names, str):
        text = names.strip()
        if not text:
            return []
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InteractionTypeError(f"not a JSON list of interaction type names: {names!r}") from exc
        if not isinstance(parsed, list) or not all(isinstance(item, str) for item in parsed):
            raise InteractionTypeError(f"not a JSON list of interaction type names: {names!r}")
        return parsed
    return list(names)
