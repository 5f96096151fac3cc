"""The standard chatbot KPIs per period (:func:`kpis`), each defined once, with its counts."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Mapping, Sequence
from typing import Any, Final, TypeAlias

import pandas as pd
import polars as pl

from digitalcx_frames.features import _exprs as fx
from digitalcx_frames.features._frames import native
from digitalcx_frames.flags import InteractionType

__all__ = ["COUNTS", "METRICS", "Escalation", "escalation_expr", "kpis", "row_flags"]

Escalation: TypeAlias = Mapping[str, str | Sequence[str]] | pl.Expr
"""An escalation rule: ``{"metadata_key": ...}``, ``{"dialog": ...}``, ``{"node": ...}`` (any), or an expression."""

_T = InteractionType
_DIALOG_TYPES: Final = int(_T.DIALOG | _T.TRANSACTIONAL_DIALOG)

METRICS: Final = (
    "sessions",
    "active_sessions",
    "user_interactions",
    "recognition_rate",
    "no_answer_rate",
    "feedback_count",
    "positive_feedback_share",
    "feedback_rate",
    "link_click_rate",
    "generative_share",
    "dialog_dropout_rate",
    "escalation_rate",
    "containment_rate",
)
"""The headline columns of :func:`kpis`, in order (after ``period`` and the ``by`` columns)."""

COUNTS: Final = (
    "interactions",
    "questions",
    "answered_questions",
    "unanswered_questions",
    "positive_feedback",
    "link_clicks",
    "generative_answers",
    "dialog_sessions",
    "dropout_sessions",
    "escalated_sessions",
    "contained_sessions",
)
"""The numerators and denominators :func:`kpis` adds with ``drill=True``, in order."""

_RULE_KINDS: Final = ("metadata_key", "dialog", "node")
_CHECK_TIME: Final = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
_COLUMNS: Final = (
    "log_id",
    "interaction_uuid",
    "originating_interaction_uuid",
    "session_uuid",
    "session_is_active",
    "timestamp_start",
    "main_interaction_type",
    "interaction_value",
    "output_text",
    "recognition_quality",
    "feedback_info",
    "dialog_paths",
)


def _values(rule: str | Sequence[str], kind: str) -> list[str]:
    values = [rule] if isinstance(rule, str) else list(rule)
    if not values or not all(isinstance(v, str) and v for v in values):
        raise ValueError(f"kpis(): escalation[{kind!r}] must be a non-empty string or list of them, not {rule!r}")
    return values


def escalation_expr(rule: Escalation) -> tuple[pl.Expr, list[str]]:
    """A row-level Boolean expression for an escalation rule, and the columns it needs.

    ``metadata_key``: the row's ``output_metadata`` has that key (case-insensitive) with a
    non-empty value. ``dialog``: one of the row's ``articles.dialog`` entries has that
    ``dialog_id`` or ``dialog_name``. ``node``: one has that ``node_id`` or ``node_name``.
    Several kinds, or several values, mean any of them. An expression is used as it is
    (null counts as false).
    """
    if isinstance(rule, pl.Expr):
        return rule.fill_null(False), list(rule.meta.root_names())
    if not isinstance(rule, Mapping) or not rule:
        raise TypeError(
            "kpis(): escalation must be a mapping such as {'metadata_key': 'escalationGroup'} "
            f"(kinds: {', '.join(_RULE_KINDS)}) or a Polars expression, not {rule!r}"
        )
    unknown = [kind for kind in rule if kind not in _RULE_KINDS]
    if unknown:
        raise ValueError(f"kpis(): unknown escalation kind(s) {unknown}; use {', '.join(_RULE_KINDS)}")
    parts: list[pl.Expr] = []
    needs: list[str] = []
    for kind, given in rule.items():
        values = _values(given, kind)
        if kind == "metadata_key":
            keys = [v.lower() for v in values]
            entry = pl.element()
            hit = entry.struct.field("key").str.to_lowercase().is_in(keys) & (
                entry.struct.field("value").str.strip_chars() != ""
            )
            parts.append(pl.col("output_metadata").list.eval(hit).list.any())
            needs.append("output_metadata")
        else:
            fields = ("dialog_id", "dialog_name") if kind == "dialog" else ("node_id", "node_name")
            entry = pl.element()
            hit = entry.struct.field(fields[0]).is_in(values) | entry.struct.field(fields[1]).is_in(values)
            parts.append(pl.col("articles").struct.field("dialog").list.eval(hit).list.any())
            needs.append("articles")
    return pl.any_horizontal(parts).fill_null(False), needs


def _own_time_zone(frame: Any) -> str:
    """The time zone of the frame's ``timestamp_start`` (UTC if naive or absent)."""
    inner = native(frame, "kpis")
    if isinstance(inner, pd.DataFrame):
        dtype = inner["timestamp_start"].dtype if "timestamp_start" in inner.columns else None
        zone = getattr(dtype, "tz", None)
        return str(zone) if zone is not None else "UTC"
    dtype = inner.collect_schema().get("timestamp_start")
    if isinstance(dtype, pl.Datetime) and dtype.time_zone:
        return dtype.time_zone
    return "UTC"


def _ratio(numerator: str, denominator: str) -> pl.Expr:
    den = pl.col(denominator)
    return pl.when(den > 0).then(pl.col(numerator) / den).cast(pl.Float64)


def kpis(
    frame: fx.FrameT,
    *,
    every: str = "1d",
    tz: str | None = None,
    by: str | Sequence[str] | None = None,
    escalation: Escalation | None = None,
    drill: bool = False,
) -> fx.FrameT:
    """The standard chatbot KPIs, one row per period (and per ``by`` group), from the logs.

    Terms (per period; a row belongs to the period of its ``timestamp_start`` in ``tz``, so
    a session that crosses midnight counts in both days):

    - *question*: a row whose main type is not Event, DataRetrieval, Feedback or LinkClick
      (QA, Dialog, TransactionalDialog, GenerativeAI, FaqClick, FaqSearch): the user asked
      or chose something. Events and DataRetrievals are the platform's own rows; Feedback and
      LinkClick rows react to an earlier answer, they are not new questions.
    - *answered question*: a question with a non-empty ``output_text`` whose
      ``recognition_quality`` is not 0 (0 means not recognised: the fallback answer).
    - *rated interaction*: a feedback row (one with a score: ``feedback_info.score``, or
      ``yes``/``no`` on a Feedback row) rates ``originating_interaction_uuid``, else the id in
      ``feedback_info``, else the previous answered question of its session; repeated
      ratings of one interaction count once, with the last score, in the period of that last
      feedback row; a feedback with no known origin counts once on its own.
    - *escalated session*: an active session with a row that matches ``escalation``.

    The metrics (counts ``UInt32``, rates ``Float64``; a rate is null when its denominator is 0):

    - ``sessions``: distinct ``session_uuid`` with a row in the period, active or not.
    - ``active_sessions``: distinct ``session_uuid`` with ``session_is_active`` true.
    - ``user_interactions``: rows whose main type is not Event or DataRetrieval.
    - ``recognition_rate``: the vendor's recognition rate, ``answered_questions / questions``.
    - ``no_answer_rate``: the fallback rate, ``unanswered_questions / questions``.
    - ``feedback_count``: rated interactions counted in the period.
    - ``positive_feedback_share``: CSAT as the vendor's dashboards count it, ``positive_feedback / feedback_count``.
    - ``feedback_rate``: ``feedback_count / answered_questions``.
    - ``link_click_rate``: ``link_clicks / answered_questions``, where ``link_clicks`` counts the
      distinct interactions whose links were clicked (found like a rated interaction's origin).
    - ``generative_share``: ``generative_answers / answered_questions`` (answered GenerativeAI questions).
    - ``dialog_dropout_rate``: ``dropout_sessions / dialog_sessions``: sessions with a
      ``dialog_paths`` drop-out among sessions with a Dialog or TransactionalDialog row.
    - ``escalation_rate``: ``escalated_sessions / active_sessions``.
    - ``containment_rate``: ``contained_sessions / active_sessions``, where
      ``contained_sessions = active_sessions - escalated_sessions``. Without an ``escalation``
      rule both rates (and both counts) are null, never a guess.

    Required columns: ``session_uuid``, ``timestamp_start``, ``main_interaction_type``.
    Optional (missing counts as null): ``log_id``, ``interaction_uuid``,
    ``originating_interaction_uuid``, ``session_is_active``, ``interaction_value``,
    ``output_text``, ``recognition_quality``, ``feedback_info``, ``dialog_paths``, and
    ``output_metadata`` / ``articles`` for an escalation rule. JSON columns may be text or
    decoded. The source is read once.

    Parameters
    ----------
    frame
        Interaction logs: a Polars DataFrame or LazyFrame, a pandas DataFrame, or a narwhals
        frame of one of them.
    every
        Period length as a Polars duration (``"1h"``, ``"1d"``, ``"1w"`` (weeks start on
        Monday), ``"1mo"``); periods are calendar periods in ``tz``.
    tz
        IANA time zone of the periods; ``None``: the frame's own (that of ``timestamp_start``).
    by
        Column(s) to group by besides the period, such as ``"culture"`` or
        ``"main_interaction_type"`` (a feedback or link click row counts in its own group).
    escalation
        What an escalation is: ``{"metadata_key": "escalationGroup"}`` (an ``output_metadata``
        key with a value), ``{"dialog": "Human handover"}`` (a dialog id or name in
        ``articles``), ``{"node": ...}`` (a dialog node id or name), several of them (any), or a
        Boolean Polars expression on a row (the JSON columns it names come decoded, see
        :func:`decode_json`). ``None``: escalation and containment are null.
    drill
        Also give the numerators and denominators (``interactions``, ``questions``,
        ``answered_questions``, ``unanswered_questions``, ``positive_feedback``,
        ``link_clicks``, ``generative_answers``, ``dialog_sessions``, ``dropout_sessions``,
        ``escalated_sessions``, ``contained_sessions``), so each rate can be explained.

    Returns
    -------
    The same kind of frame as ``frame``: ``period`` (Datetime in ``tz``, the start of the
    period), the ``by`` columns, then the metrics above (and the counts with ``drill``),
    sorted by period and group. Every period from the first to the last with a row is
    present (per group); an empty one has zero counts and null rates.

    Raises
    ------
    ValueError
        If ``tz`` is not an IANA time zone, ``every`` is not a duration, a ``by`` column is
        missing, or the escalation rule is malformed.

    Notes
    -----
    How the definitions compare with two other platforms' built-in analytics:

    - Sessions: like Dialogflow CX, a session counts in every period it has a row in (CX
      counts it in every hour it is active). Copilot Studio splits a conversation into
      *analytics sessions* after 30 minutes idle; DigitalCX starts a new session after 15
      minutes (API.md section 5). ``active_sessions`` is the vendor's *active* (a user
      interaction beyond events, data retrievals and unfollowed dialog starts), close to
      Copilot Studio's *engaged* session (a topic, the fallback or an escalation triggered).
    - ``recognition_rate`` / ``no_answer_rate``: per question, like Dialogflow CX's no-match
      count per turn; Copilot Studio reports instead how often sessions reach its Fallback
      topic. The vendor's own definition is used (answered ÷ all interactions).
    - ``positive_feedback_share``: thumbs up/down on answers, one per rated answer (the
      vendor's dashboards). Copilot Studio's CSAT is a 1-5 survey at the end of a
      conversation (its reactions are reported apart); Dialogflow CX has no built-in CSAT.
    - ``escalation_rate``: the same shape as Copilot Studio's escalation rate (sessions that
      reached Escalate or a transfer) and Dialogflow CX's live-agent handoff rate (sessions
      handed to a human); the DigitalCX logs have no handoff event, so the rule is yours.
    - ``containment_rate``: ``1 - escalation_rate``, as Dialogflow CX's contained sessions
      (not handed off). Copilot Studio splits the rest into *resolved* (confirmed at the end
      of a conversation) and *abandoned*; the logs carry no such confirmation.
    - ``dialog_dropout_rate``: narrower than Copilot Studio's abandon rate and Dialogflow
      CX's abandoned-session rate: only sessions that left a dialog, by the API's
      ``DropOut`` marker.

    Examples
    --------
    >>> import datetime as dt
    >>> import polars as pl
    >>> t = dt.datetime(2026, 3, 25, 9, 0, tzinfo=dt.timezone.utc)
    >>> m = dt.timedelta(minutes=1)
    >>> logs = pl.DataFrame(
    ...     {
    ...         "session_uuid": ["s1", "s1", "s1", "s2"],
    ...         "session_is_active": [True, True, True, True],
    ...         "interaction_uuid": ["a", "b", "c", "d"],
    ...         "timestamp_start": [t, t + m, t + 2 * m, t + dt.timedelta(days=2)],
    ...         "main_interaction_type": ["QA", "Feedback", "QA", "QA"],
    ...         "interaction_value": ["Opening hours?", "yes", "Talk to a person", "Parking?"],
    ...         "output_text": ["9 to 5.", None, "Connecting you.", "Sorry?"],
    ...         "recognition_quality": [90.0, None, 80.0, 0.0],
    ...         "output_metadata": [None, None, '[{"key": "escalationGroup", "value": "support"}]', None],
    ...     }
    ... )
    >>> out = kpis(logs, escalation={"metadata_key": "escalationGroup"})
    >>> out.select("period", "sessions", "recognition_rate", "positive_feedback_share", "containment_rate").rows()
    ... # doctest: +NORMALIZE_WHITESPACE
    [(datetime.datetime(2026, 3, 25, 0, 0, tzinfo=zoneinfo.ZoneInfo(key='UTC')), 1, 1.0, 1.0, 0.0),
     (datetime.datetime(2026, 3, 26, 0, 0, tzinfo=zoneinfo.ZoneInfo(key='UTC')), 0, None, None, None),
     (datetime.datetime(2026, 3, 27, 0, 0, tzinfo=zoneinfo.ZoneInfo(key='UTC')), 1, 0.0, None, 1.0)]
    >>> kpis(logs, drill=True).select("questions", "answered_questions", "feedback_count").row(0)
    (2, 2, 1)
    """
    zone = tz if tz is not None else _own_time_zone(frame)
    try:
        zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise ValueError(f"kpis(): unknown time zone {zone!r}; give an IANA name such as 'Europe/Amsterdam'") from exc
    groups: list[str] = [by] if isinstance(by, str) else list(by or [])
    rule: pl.Expr | None = None
    rule_columns: list[str] = []
    if escalation is not None:
        rule, rule_columns = escalation_expr(escalation)
    lazy = fx.to_lazy(
        frame,
        function="kpis",
        required=("session_uuid", "timestamp_start", "main_interaction_type", *groups),
        optional=(*_COLUMNS, *rule_columns),
    )
    try:
        pl.select(pl.lit(_CHECK_TIME).dt.truncate(every)).item()
    except (pl.exceptions.PolarsError, ValueError) as exc:
        raise ValueError(f"kpis(): every={every!r} is not a Polars duration such as '1d', '1w' or '1mo'") from exc

    rows = row_flags(lazy, zone=zone, every=every, rule=rule).cache()  # the grid and the counts share one read
    keys = ["period", *groups]
    session = pl.col("session_uuid")
    counts = rows.group_by(keys).agg(
        pl.len().alias("interactions"),
        session.drop_nulls().n_unique().alias("sessions"),
        session.filter(pl.col("_active")).drop_nulls().n_unique().alias("active_sessions"),
        pl.col("_user").sum().alias("user_interactions"),
        pl.col("_question").sum().alias("questions"),
        pl.col("_answered").sum().alias("answered_questions"),
        pl.col("_rated").sum().alias("feedback_count"),
        (pl.col("_rated") & (pl.col("_score") > 0)).sum().alias("positive_feedback"),
        pl.col("_click").drop_nulls().n_unique().alias("link_clicks"),
        pl.col("_generative").sum().alias("generative_answers"),
        session.filter(pl.col("_dialog")).drop_nulls().n_unique().alias("dialog_sessions"),
        session.filter(pl.col("_dropout")).drop_nulls().n_unique().alias("dropout_sessions"),
        session.filter(pl.col("_active") & pl.col("_escalated")).drop_nulls().n_unique().alias("escalated_sessions"),
    )
    periods = rows.select(pl.datetime_ranges(pl.col("period").min(), pl.col("period").max(), every).alias("period"))
    grid = periods.explode("period").drop_nulls()
    if groups:
        grid = grid.join(rows.select(groups).unique(), how="cross")
    count_names = [
        name for name in (*COUNTS, *METRICS) if name not in ("contained_sessions", "unanswered_questions", *_RATES)
    ]
    table = (
        grid.join(counts, on=keys, how="left", nulls_equal=True)
        .with_columns(pl.col(count_names).fill_null(0).cast(pl.UInt32))
        .with_columns(unanswered_questions=pl.col("questions") - pl.col("answered_questions"))
    )
    if rule is None:
        table = table.with_columns(escalated_sessions=pl.lit(None, dtype=pl.UInt32))
    table = table.with_columns(contained_sessions=pl.col("active_sessions") - pl.col("escalated_sessions"))
    table = table.with_columns(
        recognition_rate=_ratio("answered_questions", "questions"),
        no_answer_rate=_ratio("unanswered_questions", "questions"),
        positive_feedback_share=_ratio("positive_feedback", "feedback_count"),
        feedback_rate=_ratio("feedback_count", "answered_questions"),
        link_click_rate=_ratio("link_clicks", "answered_questions"),
        generative_share=_ratio("generative_answers", "answered_questions"),
        dialog_dropout_rate=_ratio("dropout_sessions", "dialog_sessions"),
        escalation_rate=_ratio("escalated_sessions", "active_sessions"),
        containment_rate=_ratio("contained_sessions", "active_sessions"),
    )
    out = table.select(*keys, *METRICS, *(COUNTS if drill else ())).sort(keys, nulls_last=True)
    return fx.restore(out, frame)


_RATES: Final = (
    "recognition_rate",
    "no_answer_rate",
    "positive_feedback_share",
    "feedback_rate",
    "link_click_rate",
    "generative_share",
    "dialog_dropout_rate",
    "escalation_rate",
    "containment_rate",
)


def row_flags(lazy: pl.LazyFrame, *, zone: str, every: str, rule: pl.Expr | None) -> pl.LazyFrame:
    """One row per log row with its period and the Boolean parts the KPIs count."""
    bit = pl.col("_bit")
    answered = pl.col("_answered")
    question = ((bit & fx.ANSWER_EXCLUDED) == 0).alias("_question")
    text = pl.col("output_text")
    quality = pl.col("recognition_quality")
    is_answered = question & text.is_not_null() & (text.str.strip_chars() != "") & quality.fill_null(1).ne(0)
    previous_answer = pl.when(answered).then(pl.col("interaction_uuid")).forward_fill().over("session_uuid")
    own = pl.format("log:{}", pl.coalesce(pl.col("log_id").cast(pl.String), pl.int_range(pl.len()).cast(pl.String)))
    origin = pl.coalesce(fx.feedback_target(), pl.col("_previous"), own)
    score = pl.col("_score")
    return (
        lazy.with_columns(
            _bit=fx.main_bit(),
            period=pl.col("timestamp_start").dt.convert_time_zone(zone).dt.truncate(every),
        )
        .sort("session_uuid", "timestamp_start", "log_id", nulls_last=True)
        .with_columns(
            question,
            _answered=is_answered,
            _score=fx.feedback_score(bit),
            _active=pl.col("session_is_active").fill_null(False),
            _user=(bit & fx.NON_USER) == 0,
            _dialog=(bit & _DIALOG_TYPES) != 0,
            _dropout=fx.dropout_node().is_not_null(),
            _escalated=rule if rule is not None else pl.lit(False),
        )
        .with_columns(_previous=previous_answer, _generative=answered & (bit == int(_T.GENERATIVE_AI)))
        .with_columns(_origin=origin)
        .sort("timestamp_start", "log_id", nulls_last=True)  # "the last" rating is the last in time
        .with_columns(
            _rated=score.is_not_null() & pl.when(score.is_not_null()).then(pl.col("_origin")).is_last_distinct(),
            _click=pl.when(bit == int(_T.LINK_CLICK)).then(pl.col("_origin")),
        )
        .with_columns(pl.col("_rated").fill_null(False))
    )
