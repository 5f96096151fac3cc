"""Daily features: one row per local day (:func:`daily_summary`)."""

from __future__ import annotations

import zoneinfo

import polars as pl

from digitalcx_frames.features import _exprs as fx

__all__ = ["daily_summary"]


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
