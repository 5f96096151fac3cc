"""The read's filters enforced on our side: the service's filtering is an optimisation, not a promise.

After a batch is parsed, :func:`enforce` removes the rows that the query's filters exclude
and counts them per filter; a :class:`FilterTally` adds the counts of every batch of one
read and, if the service returned any row a filter excludes, warns once with a
:class:`~digitalcx_frames.errors.DataWarning` that names each parameter as it was sent
on the wire (``mainInteractionType``), the Python argument (``main_interaction_types``)
and how many rows were removed.

The filters checked:

- ``main_interaction_types``: the row's main type is in the mask;
- ``interaction_types``: the row's set of types overlaps the mask;
- ``active_sessions_only``: ``session_is_active`` is true.

A row that cannot be judged is kept: a main type name this library does not know (it is
kept as text and the read already warns about it), a type set carrying the reserved
UNKNOWN bit, or a null. ``filter_text`` is **not** re-checked: the service's matching rule
for it (substring or word, case, which column besides ``InteractionValue``, accents) is not
documented, so any rule we applied could remove rows the service rightly returned.
``environment`` and ``session_mode`` are not columns of the data and cannot be checked.

The names on the wire come from the query's own wire form (:meth:`Query.wire_params`),
never from a copy of the parameter table.

Examples
--------
>>> import polars as pl
>>> from datetime import datetime, timezone
>>> from digitalcx_frames._read.query import build_query
>>> query = build_query("acme", "web", culture="nl", start="2026-11-01", end="2026-11-02",
...                     main_interaction_types="QA", active_sessions_only=True,
...                     now=datetime(2026, 11, 20, tzinfo=timezone.utc))
>>> batch = pl.DataFrame({
...     "log_id": [1, 2, 3, 4],
...     "main_interaction_type": ["QA", "Dialog", "QA", "Smalltalk"],
...     "all_interaction_types": [2, 8, 2, 1 << 15],
...     "session_is_active": [True, True, False, True],
... }, schema_overrides={"main_interaction_type": pl.Categorical, "all_interaction_types": pl.UInt16})
>>> kept = enforce(batch, query)
>>> kept.frame["log_id"].to_list(), kept.removed
([1, 4], {'main_interaction_types': 1, 'active_sessions_only': 1})
>>> tally = FilterTally()
>>> tally.add(kept.removed)
>>> print(tally.message())  # doctest: +NORMALIZE_WHITESPACE
The service returned rows that the read's filters exclude; they were removed:
1 row for mainInteractionType (main_interaction_types), 1 row for activeSessionOnly (active_sessions_only).
The service may ignore these parameters; run `digitalcx-frames doctor` and attach its report to a bug report.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Final

import polars as pl

from digitalcx_frames._read.query import WIRE_NAMES, Query
from digitalcx_frames.errors import DataWarning
from digitalcx_frames.flags import UNKNOWN_BIT, InteractionType, InteractionTypeError

__all__ = ["CHECKED", "Enforced", "FilterTally", "enforce", "wire_name"]

CHECKED: Final = ("main_interaction_types", "interaction_types", "active_sessions_only")
"""The :class:`Query` fields (= the Python arguments) re-checked on our side, in this order."""


def wire_name(argument: str) -> str:
    """The query parameter that carries the Python argument ``argument`` (THE table in ``query``).

    Examples
    --------
    >>> wire_name("main_interaction_types"), wire_name("active_sessions_only")
    ('mainInteractionType', 'activeSessionOnly')
    """
    return WIRE_NAMES[argument]


@dataclass(frozen=True, slots=True)
class Enforced:
    """A batch with the excluded rows removed, and how many each filter excluded.

    ``removed`` holds only the filters that excluded at least one row; a row that two
    filters exclude counts for both.
    """

    frame: pl.DataFrame
    removed: dict[str, int]


@cache
def _main_type_verdicts(mask: int, names: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """Of ``names`` (main-type texts seen), those the mask admits and those that cannot be judged."""
    admitted: list[str] = []
    unknown: list[str] = []
    for name in names:
        try:
            bit = int(InteractionType.from_api_name(name))
        except InteractionTypeError:
            unknown.append(name)
            continue
        if bit & mask:
            admitted.append(name)
    return admitted, unknown


def _main_type_excluded(frame: pl.DataFrame, mask: int) -> pl.Series:
    """True where the row's main type is known and not in ``mask``."""
    column = frame.get_column("main_interaction_type")  # Categorical: compared by its categories, not cast
    names = tuple(sorted(str(name) for name in column.unique().drop_nulls().to_list()))
    admitted, unknown = _main_type_verdicts(mask, names)
    return ~(column.is_in([*admitted, *unknown]) | column.is_null())


def enforce(frame: pl.DataFrame, query: Query) -> Enforced:
    """Remove the rows of ``frame`` that ``query``'s filters exclude; count them per filter.

    Parameters
    ----------
    frame
        One parsed batch in the schema (at least the columns of the filters that are set).
    query
        The read's query; only ``main_interaction_types``, ``interaction_types`` and
        ``active_sessions_only`` are checked (see the module's notes for why not
        ``filter_text``).

    Returns
    -------
    Enforced
        The kept rows (same columns, same order) and the count per Python argument.

    Examples
    --------
    >>> import polars as pl
    >>> from datetime import datetime, timezone
    >>> from digitalcx_frames._read.query import build_query
    >>> query = build_query("acme", "web", culture="nl", start="2026-11-01", end="2026-11-02",
    ...                     interaction_types=["QA", "Dialog"], now=datetime(2026, 11, 20, tzinfo=timezone.utc))
    >>> batch = pl.DataFrame({"all_interaction_types": [2, 1, 9, 32]}, schema={"all_interaction_types": pl.UInt16})
    >>> result = enforce(batch, query)
    >>> result.frame["all_interaction_types"].to_list(), result.removed
    ([2, 9], {'interaction_types': 2})
    """
    excluded: dict[str, pl.Series] = {}
    if query.main_interaction_types is not None:
        excluded["main_interaction_types"] = _main_type_excluded(frame, int(query.main_interaction_types))
    if query.interaction_types is not None:
        masks = frame.get_column("all_interaction_types")
        wanted = int(query.interaction_types)
        judged = ((masks & wanted) == 0) & ((masks & UNKNOWN_BIT) == 0)
        excluded["interaction_types"] = judged.fill_null(value=False)
    if query.active_sessions_only:
        excluded["active_sessions_only"] = frame.get_column("session_is_active").not_().fill_null(value=False)
    if not excluded or frame.height == 0:
        return Enforced(frame, {})
    removed = {name: int(rows.sum()) for name, rows in excluded.items()}
    removed = {name: count for name, count in removed.items() if count}
    if not removed:
        return Enforced(frame, {})
    drop: pl.Series | None = None
    for name in removed:
        drop = excluded[name] if drop is None else drop | excluded[name]
    assert drop is not None  # removed is not empty
    return Enforced(frame.filter(~drop), removed)


@dataclass(slots=True)
class FilterTally:
    """The rows each filter removed over one read (Python argument -> count); warns once at the end."""

    removed: dict[str, int] = field(default_factory=dict)

    def add(self, removed: Mapping[str, int]) -> None:
        """Add one batch's counts (``Enforced.removed``)."""
        for name, count in removed.items():
            self.removed[name] = self.removed.get(name, 0) + count

    def message(self) -> str | None:
        """The warning's text, or ``None`` when no filter removed a row."""
        parts = []
        for name in CHECKED:
            count = self.removed.get(name, 0)
            if count:
                parts.append(f"{count} row{'s' if count != 1 else ''} for {wire_name(name)} ({name})")
        if not parts:
            return None
        return (
            "The service returned rows that the read's filters exclude; they were removed: "
            + ", ".join(parts)
            + ". The service may ignore these parameters; run `digitalcx-frames doctor` and attach its report "
            "to a bug report."
        )

    def warn(self, *, stacklevel: int = 1) -> None:
        """Emit the one :class:`DataWarning` of the read, if any row was removed.

        ``stacklevel`` counts as in :func:`warnings.warn`, from the caller of this method
        (1: the caller; pass more to point at the user's line).
        """
        text = self.message()
        if text is not None:
            warnings.warn(text, DataWarning, stacklevel=stacklevel + 1)
