"""Drill-downs under the KPIs: per article or dialog node, and per dialog step (the funnel)."""

from __future__ import annotations

import polars as pl

from digitalcx_frames.features import _exprs as fx
from digitalcx_frames.features._kpis import row_flags

__all__ = ["article_performance", "dialog_funnel"]

_COLUMNS = (
    "log_id",
    "interaction_uuid",
    "originating_interaction_uuid",
    "session_is_active",
    "interaction_value",
    "output_text",
    "recognition_quality",
    "feedback_info",
    "dialog_paths",
    "articles",
)
_REQUIRED = ("session_uuid", "timestamp_start", "main_interaction_type")


def _reactions(rows: pl.LazyFrame) -> pl.LazyFrame:
    """Per rated or clicked interaction (``_origin``): its last score and whether a link was clicked."""
    return (
        rows.filter(pl.col("_rated") | pl.col("_click").is_not_null())
        .group_by("_origin")
        .agg(
            pl.col("_score").filter(pl.col("_rated")).first().alias("_last_score"),
            pl.col("_click").is_not_null().any().alias("_clicked"),
        )
        .rename({"_origin": "interaction_uuid"})
    )


def article_performance(frame: fx.FrameT) -> fx.FrameT:
    """Per Q&A article and per dialog node: how often shown, its feedback, CSAT and link clicks.

    An article or node is *shown* by each row whose decoded ``articles`` lists it (``qa`` or
    ``dialog`` entries). Its feedback is that of the interactions that showed it, counted as
    :func:`kpis` counts it: one score per rated interaction (the last), the rated interaction
    found from ``originating_interaction_uuid``, else ``feedback_info``, else the previous
    answered question of the session. A link click counts once per clicked interaction.

    Required columns: ``session_uuid``, ``timestamp_start``, ``main_interaction_type``.
    Optional: ``log_id``, ``interaction_uuid``, ``originating_interaction_uuid``,
    ``interaction_value``, ``output_text``, ``recognition_quality``, ``feedback_info``,
    ``articles`` (text or decoded). The source is read once.

    Parameters
    ----------
    frame
        Interaction logs: a Polars DataFrame or LazyFrame, a pandas DataFrame, or a narwhals
        frame of one of them.

    Returns
    -------
    The same kind of frame as ``frame``, one row per article or node, sorted by ``shown``
    descending then ``kind`` and ``article_id``:

    - ``kind`` (String): ``"qa"`` or ``"dialog_node"``
    - ``article_id`` (String): the Q&A article id, or ``<dialog_id>:<node_id>`` for a node
    - ``name`` (String): the first category of the article, or ``<dialog name> / <node name>``
    - ``shown`` (UInt32): rows that showed it
    - ``sessions`` (UInt32): distinct sessions it was shown in
    - ``feedback_up``, ``feedback_down`` (UInt32): rated interactions that showed it, by last score
    - ``csat`` (Float64): ``feedback_up / (feedback_up + feedback_down)``, null without feedback
    - ``link_clicks`` (UInt32): interactions that showed it and had a link clicked

    Examples
    --------
    >>> import datetime as dt
    >>> import polars as pl
    >>> t = dt.datetime(2026, 3, 25, 9, 0, tzinfo=dt.timezone.utc)
    >>> logs = pl.DataFrame(
    ...     {
    ...         "session_uuid": ["s1", "s1", "s2"],
    ...         "interaction_uuid": ["a", "b", "c"],
    ...         "timestamp_start": [t, t + dt.timedelta(minutes=1), t],
    ...         "main_interaction_type": ["QA", "Feedback", "QA"],
    ...         "interaction_value": ["Open?", "no", "Opening hours"],
    ...         "output_text": ["9-17", None, "9-17"],
    ...         "articles": ['{"qa":[{"articleId":"42","categories":[{"name":"Hours"}]}]}', None,
    ...                      '{"qa":[{"articleId":"42"}]}'],
    ...     }
    ... )
    >>> article_performance(logs).select("article_id", "name", "shown", "feedback_down", "csat").rows()
    [('42', 'Hours', 2, 1, 0.0)]
    """
    lazy = fx.to_lazy(frame, function="article_performance", required=_REQUIRED, optional=_COLUMNS)
    rows = row_flags(lazy, zone="UTC", every="1d", rule=None).cache()  # shown rows and reactions: one read
    qa = (
        rows.select("session_uuid", "interaction_uuid", pl.col("articles").struct.field("qa").alias("_entry"))
        .explode("_entry")
        .drop_nulls("_entry")
        .select(
            "session_uuid",
            "interaction_uuid",
            pl.lit("qa").alias("kind"),
            pl.col("_entry").struct.field("article_id").alias("article_id"),
            pl.col("_entry").struct.field("categories").list.first().struct.field("name").alias("name"),
        )
    )
    entry = pl.col("_entry")
    nodes = (
        rows.select("session_uuid", "interaction_uuid", pl.col("articles").struct.field("dialog").alias("_entry"))
        .explode("_entry")
        .drop_nulls("_entry")
        .select(
            "session_uuid",
            "interaction_uuid",
            pl.lit("dialog_node").alias("kind"),
            pl.format("{}:{}", entry.struct.field("dialog_id"), entry.struct.field("node_id")).alias("article_id"),
            pl.concat_str(entry.struct.field("dialog_name"), entry.struct.field("node_name"), separator=" / ").alias(
                "name"
            ),
        )
    )
    score = pl.col("_last_score")
    out = (
        pl.concat([qa, nodes])
        .filter(pl.col("article_id").is_not_null())
        .join(_reactions(rows), on="interaction_uuid", how="left")
        .group_by("kind", "article_id")
        .agg(
            pl.col("name").drop_nulls().first(),
            pl.len().cast(pl.UInt32).alias("shown"),
            pl.col("session_uuid").drop_nulls().n_unique().cast(pl.UInt32).alias("sessions"),
            (score > 0).sum().cast(pl.UInt32).alias("feedback_up"),
            (score < 0).sum().cast(pl.UInt32).alias("feedback_down"),
            pl.col("_clicked").fill_null(False).sum().cast(pl.UInt32).alias("link_clicks"),
        )
        .with_columns(
            csat=pl.when(pl.col("feedback_up") + pl.col("feedback_down") > 0)
            .then(pl.col("feedback_up") / (pl.col("feedback_up") + pl.col("feedback_down")))
            .cast(pl.Float64)
        )
        .select(
            "kind", "article_id", "name", "shown", "sessions", "feedback_up", "feedback_down", "csat", "link_clicks"
        )
        .sort(["shown", "kind", "article_id"], descending=[True, False, False])
    )
    return fx.restore(out, frame)


def dialog_funnel(frame: fx.FrameT, *, dialog: str | None = None) -> fx.FrameT:
    """Per dialog node: the sessions that reached it and the sessions that dropped out after it.

    A session *reaches* a node when one of its rows lists the node in its decoded
    ``articles.dialog``. A session *drops out* after a node when a row's ``dialog_paths``
    ``DropOut`` names it (``<dialog_id>:<node_id>``, the API's own drop-out marker). A
    session *ends* at a node when that node is the last of the dialog it reached (by
    ``timestamp_start``, ``log_id``).

    Required columns: ``session_uuid``, ``timestamp_start``, ``main_interaction_type``.
    Optional: ``log_id``, ``dialog_paths``, ``articles`` (text or decoded).

    Parameters
    ----------
    frame
        Interaction logs: a Polars DataFrame or LazyFrame, a pandas DataFrame, or a narwhals
        frame of one of them.
    dialog
        The dialog, by id or name; ``None``: every dialog.

    Returns
    -------
    The same kind of frame as ``frame``, one row per node, sorted by ``dialog_id``, then
    ``sessions`` descending (the funnel's order), then ``node_id``:

    - ``dialog_id``, ``dialog_name``, ``node_id``, ``node_name`` (String)
    - ``sessions`` (UInt32): sessions that reached the node
    - ``dropped_out`` (UInt32): sessions that dropped out after it
    - ``ended_here`` (UInt32): sessions whose last node of the dialog it was
    - ``dropout_rate`` (Float64): ``dropped_out / sessions``

    Examples
    --------
    >>> import datetime as dt
    >>> import polars as pl
    >>> t = dt.datetime(2026, 3, 25, 9, 0, tzinfo=dt.timezone.utc)
    >>> node = '{{"dialog":[{{"dialogId":"7","dialogName":"Move","nodeId":"{}","nodeName":"{}"}}]}}'
    >>> logs = pl.DataFrame(
    ...     {
    ...         "session_uuid": ["s1", "s1", "s2"],
    ...         "timestamp_start": [t, t + dt.timedelta(minutes=1), t],
    ...         "main_interaction_type": ["Dialog", "Dialog", "Dialog"],
    ...         "articles": [node.format(1, "Ask date"), node.format(2, "Ask city"), node.format(1, "Ask date")],
    ...         "dialog_paths": [None, None, '{"DropOut": "7:1"}'],
    ...     }
    ... )
    >>> dialog_funnel(logs, dialog="Move").select("node_name", "sessions", "dropped_out", "ended_here").rows()
    [('Ask date', 2, 1, 1), ('Ask city', 1, 0, 1)]
    """
    lazy = fx.to_lazy(
        frame, function="dialog_funnel", required=_REQUIRED, optional=("log_id", "dialog_paths", "articles")
    ).cache()  # reached nodes and drop-outs: one read
    entry = pl.col("_entry")
    reached = (
        lazy.sort("timestamp_start", "log_id", nulls_last=True)
        .select("session_uuid", pl.col("articles").struct.field("dialog").alias("_entry"))
        .explode("_entry")
        .drop_nulls("_entry")
        .select(
            "session_uuid",
            *(entry.struct.field(f).alias(f) for f in ("dialog_id", "dialog_name", "node_id", "node_name")),
        )
    )
    if dialog is not None:
        reached = reached.filter((pl.col("dialog_id") == dialog) | (pl.col("dialog_name") == dialog))
    per_dialog = ("session_uuid", "dialog_id")
    reached = reached.with_columns(_last=pl.int_range(pl.len()).over(per_dialog) == pl.len().over(per_dialog) - 1)
    drops = (
        lazy.select("session_uuid", fx.dropout_node().alias("_drop"))
        .drop_nulls("_drop")
        .unique()
        .with_columns(pl.lit(True).alias("_dropped"))
    )
    out = (
        reached.with_columns(_drop=pl.format("{}:{}", "dialog_id", "node_id"))
        .join(drops, on=["session_uuid", "_drop"], how="left")
        .group_by("dialog_id", "node_id")
        .agg(
            pl.col("dialog_name").drop_nulls().first(),
            pl.col("node_name").drop_nulls().first(),
            pl.col("session_uuid").drop_nulls().n_unique().cast(pl.UInt32).alias("sessions"),
            pl.col("session_uuid")
            .filter(pl.col("_dropped").fill_null(False))
            .n_unique()
            .cast(pl.UInt32)
            .alias("dropped_out"),
            pl.col("session_uuid").filter(pl.col("_last")).n_unique().cast(pl.UInt32).alias("ended_here"),
        )
        .with_columns(
            dropout_rate=pl.when(pl.col("sessions") > 0)
            .then(pl.col("dropped_out") / pl.col("sessions"))
            .cast(pl.Float64)
        )
        .select(
            "dialog_id", "dialog_name", "node_id", "node_name", "sessions", "dropped_out", "ended_here", "dropout_rate"
        )
        .sort(["dialog_id", "sessions", "node_id"], descending=[False, True, False], nulls_last=True)
    )
    return fx.restore(out, frame)
