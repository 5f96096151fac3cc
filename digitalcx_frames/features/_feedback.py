"""Feedback features: each answer with the reactions that follow it (:func:`answer_feedback`)."""

from __future__ import annotations

import polars as pl

from digitalcx_frames.features import _exprs as fx

__all__ = ["answer_feedback"]

_ORDER = ("timestamp_start", "log_id")


def answer_feedback(frame: fx.FrameT) -> fx.FrameT:
    """Each answered interaction with the Feedback and LinkClick rows that follow it.

    A Feedback or LinkClick row follows the answered row whose ``interaction_uuid`` is its
    target (``originating_interaction_uuid``, else ``feedback_info``'s
    ``originatingInteractionId``). Sort by ``feedback_score`` to find the answers people
    dislike. When one interaction has several answered rows, each gets its reactions.

    Required columns: ``interaction_uuid``, ``main_interaction_type``, ``output_text``.
    Optional: ``log_id``, ``session_uuid``, ``timestamp_start``, ``interaction_value``,
    ``originating_interaction_uuid``, ``feedback_info``.

    Returns
    -------
    The same kind of frame as ``frame``, one row per answered row, sorted by
    ``timestamp_start``, ``log_id`` then ``interaction_uuid``:

    - ``log_id`` (Int64): the answered row
    - ``session_uuid`` (String): its session
    - ``interaction_uuid`` (String): its interaction
    - ``timestamp_start`` (Datetime("us", "UTC")): when it was asked
    - ``main_interaction_type`` (Categorical): its main type
    - ``question`` (String): its ``interaction_value`` as typed
    - ``output_text`` (String): the answer
    - ``n_feedback`` (UInt32): feedback rows that follow it
    - ``feedback_score`` (Int64): score of the last of them (1, -1; null if none)
    - ``feedback_comment`` (String): last non-empty comment, null if none
    - ``link_clicks`` (UInt32): LinkClick rows that follow it

    Examples
    --------
    >>> import polars as pl
    >>> logs = pl.DataFrame(
    ...     {
    ...         "interaction_uuid": ["a", "b", "c", "d", "e"],
    ...         "originating_interaction_uuid": [None, None, None, "b", None],
    ...         "main_interaction_type": ["QA", "QA", "Feedback", "LinkClick", "Feedback"],
    ...         "output_text": ["A.", "B.", None, None, None],
    ...         "feedback_info": [None, None, '{"score":1,"originatingInteractionId":"a"}', None, '{"score":-1}'],
    ...     }
    ... )
    >>> answer_feedback(logs).select("interaction_uuid", "n_feedback", "feedback_score", "link_clicks").rows()
    [('a', 1, 1, 0), ('b', 0, None, 1)]
    """
    lazy = fx.to_lazy(
        frame,
        function="answer_feedback",
        required=("interaction_uuid", "main_interaction_type", "output_text"),
        optional=("session_uuid", *fx.REACTION_COLUMNS),
    ).cache()  # one scan of the source feeds both sides of the join (issue 14.2)
    reactions = fx.reactions(lazy).rename({"_target": "interaction_uuid"})
    out = (
        lazy.filter(fx.answered(fx.main_bit()))
        .join(reactions, on="interaction_uuid", how="left")
        .with_columns(pl.col("n_feedback", "link_clicks").fill_null(0))
        .select(
            "log_id",
            "session_uuid",
            "interaction_uuid",
            "timestamp_start",
            "main_interaction_type",
            pl.col("interaction_value").alias("question"),
            "output_text",
            "n_feedback",
            "feedback_score",
            "feedback_comment",
            "link_clicks",
        )
        .sort(*_ORDER, "interaction_uuid", nulls_last=True)
    )
    return fx.restore(out, frame)
