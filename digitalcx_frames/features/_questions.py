"""Question features: the most frequent user questions and their feedback (:func:`top_questions`)."""

from __future__ import annotations

import polars as pl

from digitalcx_frames.features import _exprs as fx

__all__ = ["top_questions"]


def top_questions(frame: fx.FrameT, *, n: int | None = 20) -> fx.FrameT:
    """The most frequent normalised user questions, with how often they got negative feedback.

    Questions are the ``interaction_value`` of QA and GenerativeAI rows, normalised:
    lower-case, trimmed, inner whitespace collapsed to one space, trailing punctuation
    removed (empty ones are left out). A question row *got negative feedback* when a
    feedback row with score -1 targets its ``interaction_uuid``.

    Required columns: ``main_interaction_type``, ``interaction_value``. Optional:
    ``interaction_uuid``, ``log_id``, ``originating_interaction_uuid``, ``timestamp_start``,
    ``feedback_info``.

    Parameters
    ----------
    frame
        Interaction logs.
    n
        How many questions to keep (``None``: all).

    Returns
    -------
    The same kind of frame as ``frame``, at most ``n`` rows sorted by ``count`` descending
    then ``question``:

    - ``question`` (String): the normalised question
    - ``count`` (UInt32): question rows
    - ``negative_feedback`` (UInt32): of those, rows that got negative feedback
    - ``negative_share`` (Float64): ``negative_feedback / count``

    Raises
    ------
    ValueError
        If ``n`` is not a positive integer or ``None``.

    Examples
    --------
    >>> import polars as pl
    >>> logs = pl.DataFrame(
    ...     {
    ...         "interaction_uuid": ["a", "b", "c", "d"],
    ...         "originating_interaction_uuid": [None, None, None, "b"],
    ...         "main_interaction_type": ["QA", "GenerativeAI", "QA", "Feedback"],
    ...         "interaction_value": ["Opening hours?", " opening   HOURS ", "Parking", "no"],
    ...     }
    ... )
    >>> top_questions(logs, n=5).rows()
    [('opening hours', 2, 1, 0.5), ('parking', 1, 0, 0.0)]
    """
    if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
        raise ValueError(f"top_questions(): n must be a positive integer or None, not {n!r}")
    lazy = fx.to_lazy(
        frame,
        function="top_questions",
        required=("main_interaction_type", "interaction_value"),
        optional=("interaction_uuid", *fx.REACTION_COLUMNS),
    ).cache()  # one scan of the source feeds both sides of the join (issue 14.2)
    negative = (
        fx.reactions(lazy)
        .filter(pl.col("feedback_score") < 0)
        .select(pl.col("_target").alias("interaction_uuid"), pl.lit(True).alias("_negative"))
    )
    out = (
        lazy.with_columns(_bit=fx.main_bit())
        .filter((pl.col("_bit") & fx.QUESTION_TYPES) != 0)
        .with_columns(question=fx.normalised_question(pl.col("interaction_value")))
        .filter(pl.col("question").is_not_null())
        .join(negative, on="interaction_uuid", how="left")
        .group_by("question")
        .agg(
            pl.len().cast(pl.UInt32).alias("count"),
            pl.col("_negative").fill_null(False).sum().cast(pl.UInt32).alias("negative_feedback"),
        )
        .with_columns(negative_share=(pl.col("negative_feedback") / pl.col("count")).cast(pl.Float64))
        .sort(["count", "question"], descending=[True, False])
    )
    if n is not None:
        out = out.head(n)
    return fx.restore(out, frame)
