"""The building blocks of :mod:`digitalcx_frames.features`: frame conversion and Polars expressions.

Private. Everything here is vectorised: JSON fields are read with
``str.json_path_match`` and type names with ``replace_strict``; no per-row Python.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final, TypeVar

import pandas as pd
import polars as pl
import pyarrow as pa

from digitalcx_frames.flags import API_NAMES, InteractionType
from digitalcx_frames.schema import polars_schema

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
    "normalised_question",
    "reactions",
    "restore",
    "to_lazy",
    "to_pandas",
    "type_counts",
]

FrameT = TypeVar("FrameT", pl.DataFrame, pl.LazyFrame, pd.DataFrame)

_T = InteractionType
NON_USER: Final = int(_T.EVENT | _T.DATA_RETRIEVAL)
"""Main types that are not user interactions."""
ANSWER_EXCLUDED: Final = int(_T.EVENT | _T.DATA_RETRIEVAL | _T.FEEDBACK | _T.LINK_CLICK)
"""Main types that are never answered interactions (they are system rows or reactions)."""
QUESTION_TYPES: Final = int(_T.QA | _T.GENERATIVE_AI)
"""Main types whose ``interaction_value`` is a user question."""

TYPE_SUFFIXES: Final = tuple((member.name or "").lower() for member in InteractionType.known())
"""``event`` … ``generative_ai``: the suffixes of the ``n_<type>`` and ``is_<type>`` columns, in bit order."""


def _norm(name: str) -> str:
    return "".join(ch for ch in name.casefold() if ch not in " -_")


_BIT_OF_NAME: Final = {
    **{_norm(name): int(member) for name, member in zip(API_NAMES, InteractionType.known(), strict=True)},
    **{_norm(member.name or ""): int(member) for member in InteractionType.known()},
    **{_norm(name) + "s": int(member) for name, member in zip(API_NAMES, InteractionType.known(), strict=True)},
    "tdialog": int(_T.TRANSACTIONAL_DIALOG),
    "tdialogs": int(_T.TRANSACTIONAL_DIALOG),
}


def main_bit() -> pl.Expr:
    """The bit of ``main_interaction_type`` as UInt16; 0 for an unknown or missing name.

    Names are matched case-insensitively, ignoring spaces, ``-`` and ``_`` (``"FAQClicks"``
    and ``"T-Dialog"`` work too).
    """
    return (
        pl.col("main_interaction_type")
        .cast(pl.String)
        .str.to_lowercase()
        .str.replace_all(r"[\s_-]", "")
        .replace_strict(_BIT_OF_NAME, default=0, return_dtype=pl.UInt16)
        .fill_null(0)
    )


def type_counts(bit: pl.Expr) -> list[pl.Expr]:
    """The ten ``n_<type>`` aggregations (UInt32) of a main-type bit expression."""
    return [
        (bit == int(member)).sum().cast(pl.UInt32).alias(f"n_{suffix}")
        for member, suffix in zip(InteractionType.known(), TYPE_SUFFIXES, strict=True)
    ]


def _json_first(column: str, *paths: str) -> pl.Expr:
    text = pl.col(column)
    return pl.coalesce([text.str.json_path_match(path) for path in paths])


def feedback_score(bit: pl.Expr) -> pl.Expr:
    """The feedback score of a row as Int64: ``1``, ``-1`` or null.

    From ``feedback_info``'s ``score`` (``Score`` also accepted); for a Feedback row without
    one, from ``interaction_value`` ``yes`` → 1 and ``no`` → -1.
    """
    parsed = _json_first("feedback_info", "$.score", "$.Score").cast(pl.Float64, strict=False).sign()
    value = pl.col("interaction_value").str.strip_chars().str.to_lowercase()
    from_value = (
        pl.when(bit == int(_T.FEEDBACK))
        .then(pl.when(value == "yes").then(1.0).when(value == "no").then(-1.0))
        .otherwise(None)
    )
    return pl.coalesce(parsed, from_value).cast(pl.Int64)


def feedback_comment() -> pl.Expr:
    """The ``comment`` of ``feedback_info`` (String, null if none or empty)."""
    comment = _json_first("feedback_info", "$.comment", "$.Comment").str.strip_chars()
    return pl.when(comment != "").then(comment)


def feedback_target() -> pl.Expr:
    """The interaction a Feedback or LinkClick row follows.

    ``originating_interaction_uuid``, else ``feedback_info``'s ``originatingInteractionId``.
    """
    from_info = _json_first("feedback_info", "$.originatingInteractionId", "$.OriginatingInteractionId")
    own = pl.col("originating_interaction_uuid")
    return pl.coalesce(pl.when(own != "").then(own), pl.when(from_info != "").then(from_info))


def dropout_node() -> pl.Expr:
    """The ``DropOut`` node of ``dialog_paths`` (String, null if the row has none).

    Searched at any depth, so ``{"DropOut": "12:34"}`` and ``[{"DropOut": "12:34"}]`` both work.
    """
    node = _json_first("dialog_paths", "$..DropOut", "$..dropOut", "$..dropout")
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


def _normalise_dtype(name: str, dtype: pl.DataType, target: pl.DataType) -> pl.Expr:
    col = pl.col(name)
    if isinstance(target, pl.Datetime):
        if isinstance(dtype, pl.Datetime):
            col = col.dt.replace_time_zone("UTC") if dtype.time_zone is None else col.dt.convert_time_zone("UTC")
        return col.cast(target)
    if dtype == target:
        return col
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
    ``to_pandas()``) go through ``pl.from_pandas``. A missing optional column becomes a
    null column of its type; a missing required column raises ``ValueError``.
    """
    if isinstance(frame, pd.DataFrame):
        lazy = pl.from_pandas(frame).lazy()
    elif isinstance(frame, pl.DataFrame):
        lazy = frame.lazy()
    elif isinstance(frame, pl.LazyFrame):
        lazy = frame
    else:
        raise TypeError(
            f"{function}() takes a Polars DataFrame or LazyFrame or a pandas DataFrame, not {type(frame).__name__}"
        )
    have = lazy.collect_schema()
    schema = polars_schema()
    required = list(required)
    missing = [name for name in required if name not in have]
    if missing:
        raise ValueError(
            f"{function}() needs the column(s) {', '.join(missing)}, which the frame lacks; "
            "pass a frame with the columns of read_interactions()"
        )
    exprs = []
    for name in dict.fromkeys([*required, *optional]):
        target = schema[name]
        if name in have:
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


_ARROW_TO_PANDAS: Final = {
    pa.int8(): pd.Int8Dtype(),
    pa.int16(): pd.Int16Dtype(),
    pa.int32(): pd.Int32Dtype(),
    pa.int64(): pd.Int64Dtype(),
    pa.uint8(): pd.UInt8Dtype(),
    pa.uint16(): pd.UInt16Dtype(),
    pa.uint32(): pd.UInt32Dtype(),
    pa.uint64(): pd.UInt64Dtype(),
    pa.bool_(): pd.BooleanDtype(),
    pa.float32(): pd.Float32Dtype(),
    pa.float64(): pd.Float64Dtype(),
    pa.string(): pd.StringDtype(),
    pa.large_string(): pd.StringDtype(),
    pa.string_view(): pd.StringDtype(),
}


def to_pandas(frame: pl.DataFrame) -> pd.DataFrame:
    """A Polars result as pandas with nullable dtypes (no int turned float).

    Integers keep their width as ``Int64``/``UInt32``/``UInt16``…, flags are ``boolean``,
    floats ``Float64``, text ``string``, categoricals ``category``, timestamps
    ``datetime64[us, UTC]``, durations ``timedelta64[us]`` and dates ``datetime64[ms]``.
    """
    out: pd.DataFrame = frame.to_arrow().to_pandas(types_mapper=_ARROW_TO_PANDAS.get, date_as_object=False)
    for name, dtype in frame.schema.items():
        if isinstance(dtype, pl.Categorical | pl.Enum) and out[name].dtype != "category":
            out[name] = out[name].astype("category")
    return out


def restore(result: pl.LazyFrame, like: FrameT) -> FrameT:
    """``result`` as the same kind of frame as ``like`` (lazy stays lazy)."""
    if isinstance(like, pl.LazyFrame):
        return result
    if isinstance(like, pl.DataFrame):
        return result.collect()
    return to_pandas(result.collect())
