"""Session features: one row per session (:func:`sessions`)."""

from __future__ import annotations

import polars as pl

from digitalcx_frames.features import _exprs as fx
from digitalcx_frames.flags import InteractionType

__all__ = ["sessions"]

_ORDER = ("timestamp_start", "log_id")


def sessions(frame: fx.FrameT) -> fx.FrameT:
    """One row per session: when, how long, what happened, feedback and drop-out.

    The table is built from the rows it is given. A read cut at its range's edges gives
    sessions cut there too (a session crossing midnight counted short, its drop-out or
    feedback missed): read with ``read_interactions(..., whole_sessions=True)`` to give it
    every row of each session that has a row in the range. This function does not fetch
    on its own (it works on any frame, an export or an archive scan too), so it cannot
    widen the range itself.

    Required columns: ``session_uuid``, ``timestamp_start``, ``main_interaction_type``.
    Optional: ``log_id``, ``timestamp_end``, ``culture``, ``session_is_active``,
    ``all_interaction_types``, ``interaction_value``, ``output_text``, ``feedback_info``,
    ``dialog_paths``.

    Returns
    -------
    The same kind of frame as ``frame``, sorted by ``start`` then ``session_uuid``:

    - ``session_uuid`` (String): the session
    - ``culture`` (Categorical): culture of its first row
    - ``start`` (Datetime("us", "UTC")): earliest ``timestamp_start``
    - ``end`` (Datetime("us", "UTC")): latest ``timestamp_end`` (``timestamp_start`` if null)
    - ``duration`` (Duration("us")): ``end - start``, computed in UTC
    - ``interactions`` (UInt32): rows (log entries)
    - ``user_interactions`` (UInt32): user interactions
    - ``is_active`` (Boolean): ``session_is_active`` (null if unknown)
    - ``types`` (UInt16): bitwise OR of ``all_interaction_types``
    - ``n_event`` … ``n_generative_ai`` (UInt32): rows per main type (ten columns, bit order)
    - ``first_question`` (String): first non-blank question by ``timestamp_start``, ``log_id``, as typed
    - ``had_feedback`` (Boolean): a Feedback row or a row with a feedback score
    - ``mean_feedback_score`` (Float64): mean feedback score, null if none
    - ``dropped_out`` (Boolean): any ``dialog_paths`` with a ``DropOut``
    - ``dropout_node`` (String): the last ``DropOut`` node, null if none
    - ``generative_ai_share`` (Float64): share of answered interactions that are GenerativeAI (null: none)

    Examples
    --------
    >>> import datetime as dt
    >>> import polars as pl
    >>> t0 = dt.datetime(2026, 3, 25, 9, 30, tzinfo=dt.timezone.utc)
    >>> logs = pl.DataFrame(
    ...     {
    ...         "session_uuid": ["s1", "s1", "s2"],
    ...         "timestamp_start": [t0, t0 + dt.timedelta(minutes=2), t0 + dt.timedelta(minutes=1)],
    ...         "main_interaction_type": ["QA", "Dialog", "Event"],
    ...         "output_text": ["Yes.", "Pick one", "Hello"],
    ...         "dialog_paths": [None, '{"DropOut":"12:34"}', None],
    ...     }
    ... )
    >>> out = sessions(logs)
    >>> out.select("session_uuid", "duration", "user_interactions", "n_qa", "dropout_node").rows()
    [('s1', datetime.timedelta(seconds=120), 2, 1, '12:34'), ('s2', datetime.timedelta(0), 0, 0, None)]
    >>> out["generative_ai_share"].to_list()
    [0.0, None]
    """
    lazy = fx.to_lazy(
        frame,
        function="sessions",
        required=("session_uuid", "timestamp_start", "main_interaction_type"),
        optional=(
            "log_id",
            "timestamp_end",
            "culture",
            "session_is_active",
            "all_interaction_types",
            "interaction_value",
            "output_text",
            "feedback_info",
            "dialog_paths",
        ),
    )
    bit = pl.col("_bit")
    is_answered = pl.col("_answered")
    n_answered = is_answered.sum()
    end = pl.coalesce("timestamp_end", "timestamp_start")
    question = pl.col("interaction_value").filter(
        ((bit & fx.QUESTION_TYPES) != 0) & (pl.col("interaction_value").str.strip_chars() != "")
    )
    out = (
        lazy.with_columns(
            _bit=fx.main_bit(),
        )
        .with_columns(
            _score=fx.feedback_score(bit),
            _dropout=fx.dropout_node(),
            _answered=fx.answered(bit),
        )
        .sort([*_ORDER, "session_uuid"], nulls_last=True)
        .group_by("session_uuid")
        .agg(
            pl.col("culture").first(),
            pl.col("timestamp_start").min().alias("start"),
            end.max().alias("end"),
            pl.len().cast(pl.UInt32).alias("interactions"),
            ((bit & fx.NON_USER) == 0).sum().cast(pl.UInt32).alias("user_interactions"),
            pl.col("session_is_active").max().alias("is_active"),
            pl.col("all_interaction_types").bitwise_or().cast(pl.UInt16).alias("types"),
            *fx.type_counts(bit),
            question.first().alias("first_question"),
            ((bit == int(InteractionType.FEEDBACK)) | pl.col("_score").is_not_null()).any().alias("had_feedback"),
            pl.col("_score").mean().cast(pl.Float64).alias("mean_feedback_score"),
            pl.col("_dropout").is_not_null().any().alias("dropped_out"),
            pl.col("_dropout").drop_nulls().last().alias("dropout_node"),
            pl.when(n_answered > 0)
            .then((is_answered & (bit == int(InteractionType.GENERATIVE_AI))).sum() / n_answered)
            .cast(pl.Float64)
            .alias("generative_ai_share"),
        )
        .with_columns(duration=pl.col("end") - pl.col("start"))
        .select(
            "session_uuid",
            "culture",
            "start",
            "end",
            "duration",
            "interactions",
            "user_interactions",
            "is_active",
            "types",
            *(f"n_{suffix}" for suffix in fx.TYPE_SUFFIXES),
            "first_question",
            "had_feedback",
            "mean_feedback_score",
            "dropped_out",
            "dropout_node",
            "generative_ai_share",
        )
        .sort("start", "session_uuid", nulls_last=True)
    )
    return fx.restore(out, frame)
