"""Analysis tables from interaction logs: sessions, days, type flags, questions, feedback.

Every function takes a frame with the columns of :func:`digitalcx_frames.read_interactions`
— a Polars ``DataFrame`` or ``LazyFrame``, or a pandas ``DataFrame`` (nullable dtypes from
``backend="pandas"``, or the float masks and plain strings of ``pl.DataFrame.to_pandas()``)
— and returns the same kind: a LazyFrame stays lazy, pandas comes back with nullable
dtypes (counts ``UInt32``, flags ``boolean``, text ``string``, categoricals ``category``).
The work is done by vectorised Polars expressions; JSON fields are read with
``str.json_path_match``.

A function needs only the columns it names; a frame may lack the others. An *optional*
column that is missing counts as all null. A *required* one that is missing raises
``ValueError``.

Terms used below:

- *user interaction*: a row whose main type is not Event or DataRetrieval.
- *answered interaction*: a row whose main type is not Event, DataRetrieval, Feedback or
  LinkClick and whose ``output_text`` is not empty.
- *question*: a row whose main type is QA or GenerativeAI; its question is
  ``interaction_value``.
- *feedback score* of a row: ``feedback_info``'s ``score`` (1 or -1); for a Feedback row
  without one, ``interaction_value`` ``yes`` → 1, ``no`` → -1.
- *target* of a Feedback or LinkClick row: ``originating_interaction_uuid``, else
  ``feedback_info``'s ``originatingInteractionId``.

Examples
--------
>>> import datetime as dt
>>> import polars as pl
>>> from digitalcx_frames import features
>>> t0 = dt.datetime(2026, 3, 25, 9, 30, tzinfo=dt.timezone.utc)
>>> logs = pl.DataFrame(
...     {
...         "log_id": [1, 2, 3],
...         "interaction_uuid": ["i1", "i2", "i3"],
...         "originating_interaction_uuid": [None, None, "i2"],
...         "session_uuid": ["s1", "s1", "s1"],
...         "timestamp_start": [t0, t0 + dt.timedelta(seconds=5), t0 + dt.timedelta(seconds=9)],
...         "main_interaction_type": ["Event", "QA", "Feedback"],
...         "all_interaction_types": [1, 2, 32],
...         "interaction_value": [None, "Opening hours?", "no"],
...         "output_text": ["Hi!", "We open at 9.", None],
...         "feedback_info": [None, None, '{"score": -1, "comment": "too short"}'],
...     }
... )
>>> features.sessions(logs).select("session_uuid", "interactions", "types", "first_question").row(0)
('s1', 3, 35, 'Opening hours?')
>>> features.answer_feedback(logs).select("interaction_uuid", "feedback_score", "feedback_comment").row(0)
('i2', -1, 'too short')

pandas in, pandas out, with nullable dtypes:

>>> table = features.sessions(logs.to_pandas())
>>> table[["interactions", "had_feedback", "mean_feedback_score"]].dtypes.astype(str).tolist()
['UInt32', 'boolean', 'Float64']
>>> table.loc[0, "mean_feedback_score"]
np.float64(-1.0)
"""

from __future__ import annotations

import zoneinfo

import polars as pl

from digitalcx_frames.features import _exprs as fx
from digitalcx_frames.flags import InteractionType
from digitalcx_frames.schema import polars_schema

__all__ = ["answer_feedback", "daily_summary", "one_hot_types", "sessions", "top_questions"]

_ORDER = ("timestamp_start", "log_id")


def sessions(frame: fx.FrameT) -> fx.FrameT:
    """One row per session: when, how long, what happened, feedback and drop-out.

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


def daily_summary(frame: fx.FrameT, *, tz: str = "UTC") -> fx.FrameT:
    """Per day in time zone ``tz``: interactions, sessions, active sessions, types, feedback.

    Required columns: ``timestamp_start``, ``session_uuid``, ``main_interaction_type``.
    Optional: ``session_is_active``, ``interaction_value``, ``feedback_info``.
    A row belongs to the day of its ``timestamp_start`` in ``tz``; a session that crosses
    midnight counts on both days. Days without rows are left out.

    Returns
    -------
    The same kind of frame as ``frame``, sorted by ``day``:

    - ``day`` (Date): the local date in ``tz`` (pandas: datetime64[ms])
    - ``interactions`` (UInt32): rows
    - ``sessions`` (UInt32): distinct ``session_uuid``
    - ``active_sessions`` (UInt32): distinct ``session_uuid`` with ``session_is_active``
    - ``n_event`` … ``n_generative_ai`` (UInt32): rows per main type (ten columns, bit order)
    - ``feedback_up`` (UInt32): rows with feedback score 1
    - ``feedback_down`` (UInt32): rows with feedback score -1

    Raises
    ------
    ValueError
        If ``tz`` is not an IANA time zone name.

    Examples
    --------
    >>> import datetime as dt
    >>> import polars as pl
    >>> utc = dt.timezone.utc
    >>> logs = pl.DataFrame(
    ...     {
    ...         "session_uuid": ["s1", "s1", "s2"],
    ...         "session_is_active": [True, True, False],
    ...         "timestamp_start": [
    ...             dt.datetime(2026, 3, 24, 22, 30, tzinfo=utc),
    ...             dt.datetime(2026, 3, 24, 23, 10, tzinfo=utc),
    ...             dt.datetime(2026, 3, 25, 8, 0, tzinfo=utc),
    ...         ],
    ...         "main_interaction_type": ["QA", "Feedback", "Event"],
    ...         "interaction_value": ["hi", "yes", None],
    ...     }
    ... )
    >>> daily_summary(logs).select("day", "interactions", "active_sessions", "feedback_up").rows()
    [(datetime.date(2026, 3, 24), 2, 1, 1), (datetime.date(2026, 3, 25), 1, 0, 0)]
    >>> daily_summary(logs, tz="Europe/Amsterdam").select("day", "interactions", "sessions").rows()
    [(datetime.date(2026, 3, 24), 1, 1), (datetime.date(2026, 3, 25), 2, 2)]
    """
    try:
        zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise ValueError(
            f"daily_summary(): unknown time zone {tz!r}; give an IANA name such as 'Europe/Amsterdam'"
        ) from exc
    lazy = fx.to_lazy(
        frame,
        function="daily_summary",
        required=("timestamp_start", "session_uuid", "main_interaction_type"),
        optional=("session_is_active", "interaction_value", "feedback_info"),
    )
    bit = pl.col("_bit")
    score = pl.col("_score")
    out = (
        lazy.with_columns(_bit=fx.main_bit(), day=pl.col("timestamp_start").dt.convert_time_zone(tz).dt.date())
        .with_columns(_score=fx.feedback_score(bit))
        .group_by("day")
        .agg(
            pl.len().cast(pl.UInt32).alias("interactions"),
            pl.col("session_uuid").drop_nulls().n_unique().cast(pl.UInt32).alias("sessions"),
            pl.col("session_uuid")
            .filter(pl.col("session_is_active").fill_null(False))
            .drop_nulls()
            .n_unique()
            .cast(pl.UInt32)
            .alias("active_sessions"),
            *fx.type_counts(bit),
            (score > 0).sum().cast(pl.UInt32).alias("feedback_up"),
            (score < 0).sum().cast(pl.UInt32).alias("feedback_down"),
        )
        .sort("day")
    )
    return fx.restore(out, frame)


def one_hot_types(frame: fx.FrameT) -> fx.FrameT:
    """The frame with ten Boolean columns ``is_event`` … ``is_generative_ai`` from the type mask.

    Required column: ``all_interaction_types`` (UInt16 bit mask; a float or Int mask from
    pandas is accepted). ``is_<type>`` is true when the row's mask has that type's bit
    (the column names follow :class:`~digitalcx_frames.InteractionType` member names in
    bit order); a null mask gives nulls. All other columns and, for pandas, the index are
    kept as they are; the ten columns are appended (pandas dtype ``boolean``).

    Examples
    --------
    >>> import polars as pl
    >>> out = one_hot_types(pl.DataFrame({"all_interaction_types": [10, 512]}))
    >>> out.columns[:4]
    ['all_interaction_types', 'is_event', 'is_qa', 'is_faq_click']
    >>> out.select("is_qa", "is_dialog", "is_generative_ai").rows()
    [(True, True, False), (False, False, True)]
    """
    mask = pl.col("all_interaction_types").cast(polars_schema()["all_interaction_types"])
    flags = [
        ((mask & int(member)) != 0).alias(f"is_{suffix}")
        for member, suffix in zip(InteractionType.known(), fx.TYPE_SUFFIXES, strict=True)
    ]
    lazy = fx.to_lazy(frame, function="one_hot_types", required=("all_interaction_types",))
    if isinstance(frame, pl.LazyFrame):
        return frame.with_columns(flags)
    if isinstance(frame, pl.DataFrame):
        return frame.with_columns(flags)
    computed = fx.to_pandas(lazy.select(flags).collect())
    out = frame.copy()
    for name in computed.columns:
        out[name] = computed[name].array  # positional: keeps the caller's index
    return out


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
    )
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
    )
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
