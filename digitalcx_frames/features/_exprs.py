"""The building blocks of :mod:`digitalcx_frames.features`: frame conversion and Polars expressions.

Private. Everything here is vectorised: JSON columns are decoded to their declared dtypes
(:mod:`digitalcx_frames.features._json`) and type names are looked up once per distinct
name in THE one table of :mod:`digitalcx_frames.flags`; no per-row Python.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Final

import pandas as pd
import polars as pl

from digitalcx_frames.features import _json
from digitalcx_frames.features._frames import FrameT, native, rewrap
from digitalcx_frames.flags import InteractionType, InteractionTypeError
from digitalcx_frames.schema import json_dtypes, polars_schema, to_pandas

__all__ = [
    "ANSWER_EXCLUDED",
    "NON_USER",
    "QUESTION_TYPES",
    "REACTION_COLUMNS",
    "TYPE_SUFFIXES",
    "FrameT",
    "answered",
    "dropout_node",
    "feedback_comment",
    "feedback_score",
    "feedback_target",
    "main_bit",
    "native",
    "normalised_question",
    "reactions",
    "restore",
    "rewrap",
    "to_lazy",
    "type_counts",
]


_T = InteractionType
NON_USER: Final = int(_T.EVENT | _T.DATA_RETRIEVAL)
"""Main types that are not user interactions."""
ANSWER_EXCLUDED: Final = int(_T.EVENT | _T.DATA_RETRIEVAL | _T.FEEDBACK | _T.LINK_CLICK)
"""Main types that are never answered interactions (they are system rows or reactions)."""
QUESTION_TYPES: Final = int(_T.QA | _T.GENERATIVE_AI)
"""Main types whose ``interaction_value`` is a user question."""

TYPE_SUFFIXES: Final = tuple((member.name or "").lower() for member in InteractionType.known())
"""``event`` … ``generative_ai``: the suffixes of the ``n_<type>`` and ``is_<type>`` columns, in bit order."""


@functools.cache
def bit_of_name(name: str) -> int:
    """The bit of one main-type name from THE table in :mod:`digitalcx_frames.flags`; 0 if unknown."""
    try:
        return int(InteractionType.from_api_name(name))
    except InteractionTypeError:
        return 0


def _bits_of_names(names: pl.Series) -> pl.Series:
    distinct = names.drop_nulls().unique()
    bits = pl.Series([bit_of_name(name) for name in distinct.to_list()], dtype=pl.UInt16)
    return names.replace_strict(distinct, bits, default=0, return_dtype=pl.UInt16).fill_null(0)


def main_bit() -> pl.Expr:
    """The bit of ``main_interaction_type`` as UInt16; 0 for an unknown or missing name.

    Each distinct name is looked up once with :meth:`InteractionType.from_api_name
    <digitalcx_frames.InteractionType.from_api_name>` (case-insensitive, with the vendor's
    aliases: ``"FAQClicks"``, ``"T-Dialog"``, ``"GenAI"`` …).
    """
    return (
        pl.col("main_interaction_type")
        .cast(pl.String)
        .map_batches(_bits_of_names, return_dtype=pl.UInt16, is_elementwise=True)
    )


def type_counts(bit: pl.Expr) -> list[pl.Expr]:
    """The ten ``n_<type>`` aggregations (UInt32) of a main-type bit expression."""
    return [
        (bit == int(member)).sum().cast(pl.UInt32).alias(f"n_{suffix}")
        for member, suffix in zip(InteractionType.known(), TYPE_SUFFIXES, strict=True)
    ]


def feedback_score(bit: pl.Expr) -> pl.Expr:
    """The feedback score of a row as Int64: ``1``, ``-1`` or null.

    The sign of ``feedback_info``'s ``score``; for a Feedback row without one, from
    ``interaction_value`` ``yes`` → 1 and ``no`` → -1.
    """
    parsed = pl.col("feedback_info").struct.field("score").cast(pl.Float64).sign()
    value = pl.col("interaction_value").str.strip_chars().str.to_lowercase()
    from_value = (
        pl.when(bit == int(_T.FEEDBACK))
        .then(pl.when(value == "yes").then(1.0).when(value == "no").then(-1.0))
        .otherwise(None)
    )
    return pl.coalesce(pl.when(parsed != 0).then(parsed), from_value).cast(pl.Int64)


def feedback_comment() -> pl.Expr:
    """The ``comment`` of ``feedback_info`` (String, null if none or empty)."""
    comment = pl.col("feedback_info").struct.field("comment").str.strip_chars()
    return pl.when(comment != "").then(comment)


def feedback_target() -> pl.Expr:
    """The interaction a Feedback or LinkClick row follows.

    ``originating_interaction_uuid``, else ``feedback_info``'s ``originating_interaction_id``.
    """
    from_info = pl.col("feedback_info").struct.field("originating_interaction_id")
    own = pl.col("originating_interaction_uuid")
    return pl.coalesce(pl.when(own != "").then(own), pl.when(from_info != "").then(from_info))


def dropout_node() -> pl.Expr:
    """The ``DropOut`` node of ``dialog_paths`` (String, null if the row has none)."""
    node = pl.col("dialog_paths").struct.field("drop_out")
    return pl.when(node != "").then(node)


def answered(bit: pl.Expr) -> pl.Expr:
    """Whether a row is an answered interaction.

    Its main type is not Event, DataRetrieval, Feedback or LinkClick, and it has a
    non-empty ``output_text``.
    """
    text = pl.col("output_text")
    return ((bit & ANSWER_EXCLUDED) == 0) & text.is_not_null() & (text.str.strip_chars() != "")


def normalised_question(expr: pl.Expr) -> pl.Expr:
    """Lower-case, trimmed, inner whitespace collapsed, trailing punctuation removed; null if empty.

    >>> import polars as pl
    >>> pl.select(normalised_question(pl.lit("  Hoe  LAAT   open?! "))).item()
    'hoe laat open'
    """
    text = expr.str.to_lowercase().str.replace_all(r"\s+", " ").str.replace(r"[\p{P}\s]+$", "").str.strip_chars()
    return pl.when(text != "").then(text)


def _decode_quietly(series: pl.Series, column: str) -> pl.Series:
    return _json.decode_series(series, column)[0]


def _normalise_dtype(name: str, dtype: pl.DataType, target: pl.DataType) -> pl.Expr:
    col = pl.col(name)
    if isinstance(target, pl.Datetime):
        if isinstance(dtype, pl.Datetime):
            col = col.dt.replace_time_zone("UTC") if dtype.time_zone is None else col.dt.convert_time_zone("UTC")
        return col.cast(target)
    if dtype == target:
        return col
    if isinstance(target, pl.Struct | pl.List):  # a declared JSON column
        if isinstance(dtype, pl.Struct | pl.List):  # decoded already (decode_json, or read with decode_json=True)
            return col.cast(target)
        # text: decoded here without a warning (a value that does not fit counts as missing,
        # as it always has for features); decode_json is the call that reports them
        return col.cast(pl.String).map_batches(
            functools.partial(_decode_quietly, column=name), return_dtype=target, is_elementwise=True
        )
    if isinstance(target, pl.Categorical):
        return col.cast(pl.String).cast(target)
    return col.cast(target)


def to_lazy(
    frame: pl.DataFrame | pl.LazyFrame | pd.DataFrame,
    *,
    function: str,
    required: Iterable[str],
    optional: Iterable[str] = (),
) -> pl.LazyFrame:
    """The needed columns of ``frame`` as a LazyFrame with exactly the reader's dtypes.

    pandas frames (nullable dtypes, or the float masks and object strings of a plain
    ``to_pandas()``) go through ``pl.from_pandas``; a narwhals frame is unwrapped to its
    native frame. A missing optional column becomes a null column of its type; a missing
    required column raises ``ValueError``. The JSON columns with a declared shape come out
    decoded (:func:`digitalcx_frames.schema.json_dtypes`), whether given as text or decoded.
    A column that is not one of the logs' (a grouping column of the user's) is kept as it is.
    """
    frame = native(frame, function)
    if isinstance(frame, pd.DataFrame):
        lazy = pl.from_pandas(frame).lazy()
    elif isinstance(frame, pl.DataFrame):
        lazy = frame.lazy()
    elif isinstance(frame, pl.LazyFrame):
        lazy = frame
    else:  # pragma: no cover - native() raised already
        raise TypeError(f"{function}(): unexpected frame {type(frame).__name__}")
    have = lazy.collect_schema()
    schema = dict(polars_schema()) | json_dtypes()
    required = list(required)
    missing = [name for name in required if name not in have]
    if missing:
        raise ValueError(
            f"{function}() needs the column(s) {', '.join(missing)}, which the frame lacks; "
            "pass a frame with the columns of read_interactions()"
        )
    exprs = []
    for name in dict.fromkeys([*required, *optional]):
        target = schema.get(name)
        if target is None:  # not a column of the logs (a hive partition, a column of the user's): as it is
            exprs.append(pl.col(name) if name in have else pl.lit(None, dtype=pl.String).alias(name))
        elif name in have:
            exprs.append(_normalise_dtype(name, have[name], target).alias(name))
        else:
            exprs.append(pl.lit(None, dtype=target).alias(name))
    return lazy.select(exprs)


def reactions(lazy: pl.LazyFrame) -> pl.LazyFrame:
    """Feedback and LinkClick rows aggregated per target interaction uuid (column ``_target``).

    Needs the columns of :data:`REACTION_COLUMNS` and ``main_interaction_type``. Gives
    ``n_feedback`` (UInt32), ``feedback_score`` (Int64, of the last feedback row),
    ``feedback_comment`` (String, the last non-empty one) and ``link_clicks`` (UInt32).
    """
    bit = pl.col("_bit")
    score = pl.col("_score")
    is_feedback = (bit == int(InteractionType.FEEDBACK)) | score.is_not_null()
    is_click = bit == int(InteractionType.LINK_CLICK)
    return (
        lazy.with_columns(_bit=main_bit())
        .with_columns(_score=feedback_score(bit), _target=feedback_target(), _comment=feedback_comment())
        .filter((is_feedback | is_click) & pl.col("_target").is_not_null())
        .sort("timestamp_start", "log_id", nulls_last=True)
        .group_by("_target")
        .agg(
            is_feedback.sum().cast(pl.UInt32).alias("n_feedback"),
            score.drop_nulls().last().alias("feedback_score"),
            pl.col("_comment").drop_nulls().last().alias("feedback_comment"),
            is_click.sum().cast(pl.UInt32).alias("link_clicks"),
        )
    )


REACTION_COLUMNS = (
    "log_id",
    "originating_interaction_uuid",
    "timestamp_start",
    "interaction_value",
    "feedback_info",
)


def restore(result: pl.LazyFrame, like: FrameT) -> FrameT:
    """``result`` as the same kind of frame as ``like`` (lazy stays lazy; narwhals stays narwhals)."""
    if isinstance(like, pl.LazyFrame):
        return result
    if isinstance(like, pl.DataFrame):
        return result.collect()
    if isinstance(like, pd.DataFrame):
        return to_pandas(result.collect())
    out: FrameT = rewrap(restore(result, native(like, "restore")), like)
    return out
