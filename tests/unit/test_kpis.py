"""features.kpis on a hand-built log whose every number is worked out by hand, on every backend.

The log (UTC), four sessions over four days, the third day empty:

====  =======  ===========  ======================  ==========================================
row   session  when         main type               what it shows
====  =======  ===========  ======================  ==========================================
1     A        24th 23:50   Event                   not a question, not a user interaction
2     A        24th 23:52   QA (qa1)                answered (quality 80)
3     A        24th 23:53   Feedback -1 on qa1      superseded by row 4: counts nowhere
4     A        25th 00:05   Feedback +1 on qa1      the last rating of qa1: counts on the 25th
5     A        25th 00:06   QA                      not recognised (quality 0): no answer
6     A        25th 00:07   GenerativeAI (ga1)      answered; output_metadata escalationGroup
7, 8  A        25th 00:08   LinkClick on ga1 (x2)   one clicked interaction
9     B        25th 10:00   Dialog (dl1)            answered
10    B        25th 10:01   Dialog (dl2)            answered; dialog_paths DropOut
11    B        25th 10:02   Feedback "yes"          no origin given: rates dl2, the previous answer
12    C        25th 12:00   Event                   inactive session
13    C        25th 12:01   DataRetrieval           inactive session
14    D        27th 09:00   QA                      empty output: no answer
15    D        27th 09:01   Feedback -1             no origin and no previous answer: counts once
16    D        27th 09:03   TransactionalDialog     answered; the dialog "Human handover"
====  =======  ===========  ======================  ==========================================

Session A crosses midnight (UTC): it counts on the 24th and on the 25th.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pandas as pd
import polars as pl
import pytest

import digitalcx_frames as dcx
from digitalcx_frames import features
from digitalcx_frames.schema import polars_schema, to_pandas
from digitalcx_frames.simulator import Simulator

UTC = dt.UTC
D24 = dt.datetime(2026, 3, 24, tzinfo=UTC)
D25 = D24 + dt.timedelta(days=1)
D27 = D24 + dt.timedelta(days=3)
H = dt.timedelta(hours=1)
M = dt.timedelta(minutes=1)
ESCALATE = '[{"key":"escalationGroup","value":"billing"},{"key":"conversation_id","value":"x"}]'
HANDOVER = '{"dialog":[{"dialogId":"9","dialogName":"Human handover","nodeId":"1","nodeName":"Transfer"}]}'

# log_id, uuid, originating, session, active, start, culture, main, value, output, quality, feedback_info,
# dialog_paths, output_metadata, articles
_ROWS: list[tuple[Any, ...]] = [
    (1, "ev1", None, "A", True, D24 + 23 * H + 50 * M, "nl", "Event", None, "Welkom", None, None, None, None, None),
    (2, "qa1", None, "A", True, D24 + 23 * H + 52 * M, "nl", "QA", "open?", "9-17", 80.0, None, None, None, None),
    (3, "fb1", None, "A", True, D24 + 23 * H + 53 * M, "nl", "Feedback", "no", None, None,
     '{"score":-1,"originatingInteractionId":"qa1"}', None, None, None),
    (4, "fb2", "qa1", "A", True, D25 + 5 * M, "nl", "Feedback", "yes", None, None, '{"Score":1}', None, None, None),
    (5, "qa2", None, "A", True, D25 + 6 * M, "nl", "QA", "parking", "Sorry?", 0.0, None, None, None, None),
    (6, "ga1", None, "A", True, D25 + 7 * M, "nl", "GenerativeAI", "cost?", "Free", 95.0, None, None, ESCALATE, None),
    (7, "lc1", "ga1", "A", True, D25 + 8 * M, "nl", "LinkClick", None, None, None, None, None, None, None),
    (8, "lc2", "ga1", "A", True, D25 + 8 * M, "nl", "LinkClick", None, None, None, None, None, None, None),
    (9, "dl1", None, "B", True, D25 + 10 * H, "en", "Dialog", "7:1", "Pick a date", 100.0, None, None, None, None),
    (10, "dl2", None, "B", True, D25 + 10 * H + M, "en", "Dialog", "7:2", "Which city?", 100.0, None,
     '{"DropOut":"7:2"}', None, None),
    (11, "fb3", None, "B", True, D25 + 10 * H + 2 * M, "en", "Feedback", "yes", None, None, None, None, None, None),
    (12, "ev2", None, "C", False, D25 + 12 * H, "nl", "Event", None, "Welkom", None, None, None, None, None),
    (13, "dr1", None, "C", False, D25 + 12 * H + M, "nl", "DataRetrieval", None, None, None, None, None, None, None),
    (14, "qa3", None, "D", True, D27 + 9 * H, "nl", "QA", "contact", "", 70.0, None, None, None, None),
    (15, "fb4", None, "D", True, D27 + 9 * H + M, "nl", "Feedback", "no", None, None, '{"score":-1}', None, None, None),
    (16, "td1", None, "D", True, D27 + 9 * H + 3 * M, "nl", "TransactionalDialog", "book", "Booked", 100.0, None,
     None, None, HANDOVER),
]  # fmt: skip
_NAMES = [
    "log_id",
    "interaction_uuid",
    "originating_interaction_uuid",
    "session_uuid",
    "session_is_active",
    "timestamp_start",
    "culture",
    "main_interaction_type",
    "interaction_value",
    "output_text",
    "recognition_quality",
    "feedback_info",
    "dialog_paths",
    "output_metadata",
    "articles",
]


def _logs() -> pl.DataFrame:
    schema = polars_schema()
    frame = pl.DataFrame(_ROWS, schema={name: schema[name] for name in _NAMES}, orient="row", strict=False)
    return frame.select(
        pl.col(name) if name in frame.columns else pl.lit(None, dtype=dtype).alias(name)
        for name, dtype in schema.items()
    ).sample(fraction=1.0, shuffle=True, seed=3)  # no result may depend on the input order


BACKENDS: dict[str, Callable[[pl.DataFrame], Any]] = {
    "polars-eager": lambda f: f,
    "polars-lazy": lambda f: f.lazy(),
    "polars-decoded": features.decode_json,
    "pandas": to_pandas,
}


@pytest.fixture(params=list(BACKENDS))
def backend(request: pytest.FixtureRequest) -> Callable[[pl.DataFrame], Any]:
    return BACKENDS[request.param]


def _polars(result: Any, like: Any) -> pl.DataFrame:
    """The result as eager Polars after checking it is the same kind as the input."""
    if isinstance(like, pl.LazyFrame):
        assert isinstance(result, pl.LazyFrame)
        return result.collect()
    if isinstance(like, pl.DataFrame):
        assert isinstance(result, pl.DataFrame)
        return result
    assert isinstance(result, pd.DataFrame)
    assert not any(str(dtype) in {"float64", "object"} for dtype in result.dtypes), result.dtypes
    return pl.from_pandas(result)


# per day: every headline metric and count, worked out by hand from the table above
N = None
EXPECTED_UTC: dict[str, list[Any]] = {
    "period": [D24, D25, D25 + 24 * H, D27],
    "sessions": [1, 3, 0, 1],
    "active_sessions": [1, 2, 0, 1],
    "user_interactions": [2, 8, 0, 3],
    "interactions": [3, 10, 0, 3],
    "questions": [1, 4, 0, 2],  # rows 2 | 5, 6, 9, 10 | - | 14, 16
    "answered_questions": [1, 3, 0, 1],  # 2 | 6, 9, 10 | - | 16
    "unanswered_questions": [0, 1, 0, 1],
    "recognition_rate": [1.0, 0.75, N, 0.5],
    "no_answer_rate": [0.0, 0.25, N, 0.5],
    "feedback_count": [0, 2, 0, 1],  # qa1 counts once, on the 25th (row 4); dl2 (row 11); row 15
    "positive_feedback": [0, 2, 0, 0],
    "positive_feedback_share": [N, 1.0, N, 0.0],
    "feedback_rate": [0.0, 2 / 3, N, 1.0],
    "link_clicks": [0, 1, 0, 0],
    "link_click_rate": [0.0, 1 / 3, N, 0.0],
    "generative_answers": [0, 1, 0, 0],
    "generative_share": [0.0, 1 / 3, N, 0.0],
    "dialog_sessions": [0, 1, 0, 1],
    "dropout_sessions": [0, 1, 0, 0],
    "dialog_dropout_rate": [N, 1.0, N, 0.0],
}
WITH_METADATA_RULE: dict[str, list[Any]] = {
    "escalated_sessions": [0, 1, 0, 0],
    "contained_sessions": [1, 1, 0, 1],
    "escalation_rate": [0.0, 0.5, N, 0.0],
    "containment_rate": [1.0, 0.5, N, 1.0],
}


def _check(out: pl.DataFrame, expected: dict[str, list[Any]]) -> None:
    for name, values in expected.items():
        got = out[name].to_list()
        if name.endswith(("rate", "share")):
            assert got == [pytest.approx(v) if v is not None else None for v in values], name
        else:
            assert got == values, name


def test_every_kpi_by_hand(backend: Callable[[pl.DataFrame], Any]) -> None:
    frame = backend(_logs())
    out = _polars(features.kpis(frame, escalation={"metadata_key": "escalationGroup"}, drill=True), frame)
    _check(out, EXPECTED_UTC | WITH_METADATA_RULE)
    assert out.columns == ["period", *features._kpis.METRICS, *features._kpis.COUNTS]


def test_without_a_rule_escalation_and_containment_are_null_never_a_guess(
    backend: Callable[[pl.DataFrame], Any],
) -> None:
    frame = backend(_logs())
    out = _polars(features.kpis(frame, drill=True), frame)
    for name in ("escalated_sessions", "contained_sessions", "escalation_rate", "containment_rate"):
        assert out[name].null_count() == out.height, name
    _check(out, EXPECTED_UTC)


def test_a_dialog_rule_and_an_expression_rule() -> None:
    by_dialog = features.kpis(_logs(), escalation={"dialog": ["Human handover"]}, drill=True)
    _check(by_dialog, {"escalated_sessions": [0, 0, 0, 1], "containment_rate": [1.0, 1.0, N, 0.0]})
    by_node = features.kpis(_logs(), escalation={"node": "Transfer", "metadata_key": "escalationgroup"})
    assert by_node["escalation_rate"].to_list() == [0.0, 0.5, N, 1.0]
    by_expr = features.kpis(_logs(), escalation=pl.col("interaction_value") == "parking", drill=True)
    assert by_expr["escalated_sessions"].to_list() == [0, 1, 0, 0]
    on_json = pl.col("output_metadata").list.eval(pl.element().struct.field("key") == "escalationGroup").list.any()
    assert features.kpis(_logs(), escalation=on_json).equals(
        features.kpis(_logs(), escalation={"metadata_key": "escalationGroup"})
    )


def test_schema_of_the_table() -> None:
    out = features.kpis(_logs().lazy(), drill=True).collect_schema()
    assert out["period"] == pl.Datetime("us", "UTC")
    assert all(out[name] == pl.Float64 for name in out if name.endswith(("_rate", "_share")))
    assert all(out[name] == pl.UInt32 for name in out if name != "period" and not name.endswith(("_rate", "_share")))


def test_periods_in_a_time_zone_and_by_week() -> None:
    # Amsterdam is UTC+1 in March: rows 1-3 fall on the 25th, so session A counts once
    ams = features.kpis(_logs(), tz="Europe/Amsterdam", drill=True)
    assert str(ams.schema["period"]) == "Datetime(time_unit='us', time_zone='Europe/Amsterdam')"
    assert [p.date() for p in ams["period"].to_list()] == [
        dt.date(2026, 3, 25),
        dt.date(2026, 3, 26),
        dt.date(2026, 3, 27),
    ]
    assert ams.select("sessions", "interactions", "questions", "answered_questions", "feedback_count").rows() == [
        (3, 13, 5, 4, 2),
        (0, 0, 0, 0, 0),
        (1, 3, 2, 1, 1),
    ]
    week = features.kpis(_logs(), every="1w", drill=True)
    assert week["period"].to_list() == [dt.datetime(2026, 3, 23, tzinfo=UTC)]  # a Monday
    assert week.select("sessions", "feedback_count", "positive_feedback", "link_clicks").row(0) == (4, 3, 2, 1)
    assert week["positive_feedback_share"].item() == pytest.approx(2 / 3)


def test_tz_none_means_the_frames_own_time_zone() -> None:
    local = _logs().with_columns(pl.col("timestamp_start").dt.convert_time_zone("Europe/Amsterdam"))
    assert features.kpis(local).equals(features.kpis(_logs(), tz="Europe/Amsterdam"))
    pandas_local = to_pandas(local)
    assert str(features.kpis(pandas_local)["period"].dtype) == "datetime64[us, Europe/Amsterdam]"


def test_by_groups_with_empty_periods(backend: Callable[[pl.DataFrame], Any]) -> None:
    frame = backend(_logs())
    out = _polars(features.kpis(frame, by="culture"), frame).with_columns(pl.col("culture").cast(pl.String))
    assert out.select("period", "culture", "sessions", "active_sessions").rows() == [
        (D24, "en", 0, 0),
        (D24, "nl", 1, 1),
        (D25, "en", 1, 1),
        (D25, "nl", 2, 1),
        (D25 + 24 * H, "en", 0, 0),
        (D25 + 24 * H, "nl", 0, 0),
        (D27, "en", 0, 0),
        (D27, "nl", 1, 1),
    ]
    assert out.filter(pl.col("culture") == "en")["positive_feedback_share"].to_list() == [N, 1.0, N, N]


def test_an_empty_frame_gives_an_empty_table() -> None:
    out = features.kpis(_logs().clear(), drill=True)
    assert out.height == 0
    assert out.schema == features.kpis(_logs(), drill=True).schema


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="Mars/Olympus"):
        features.kpis(_logs(), tz="Mars/Olympus")
    with pytest.raises(ValueError, match="every='fortnight'"):
        features.kpis(_logs(), every="fortnight")
    with pytest.raises(ValueError, match="unknown escalation kind"):
        features.kpis(_logs(), escalation={"queue": "x"})
    with pytest.raises(TypeError, match="escalation must be"):
        features.kpis(_logs(), escalation="escalationGroup")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="project"):
        features.kpis(_logs(), by="project")


def test_kpis_read_their_source_once(sim: Simulator) -> None:
    lazy = dcx.read_interactions(
        sim.customer_key,
        sim.project_key,
        culture=sim.culture,
        start=dt.datetime(2026, 11, 18, tzinfo=UTC),  # two days before the sim fixture's today
        end=dt.datetime(2026, 11, 20, tzinfo=UTC),
        client=dcx.Client(**sim.connection),
        cache=False,
        progress=False,
    )
    lazy.collect()
    once = len(sim.interaction_requests)
    sim.clear_log()
    out = features.kpis(lazy, by="main_interaction_type", escalation={"metadata_key": "escalationGroup"}).collect()
    assert out.height > 0
    assert len(sim.interaction_requests) == once


# ---------------------------------------------------------------- drill-downs
def _qa(*ids: str) -> str:
    return '{"qa":[' + ",".join(f'{{"articleId":"{i}","categories":[{{"name":"Cat {i}"}}]}}' for i in ids) + "]}"


def _node(dialog: str, name: str, node: str, node_name: str) -> str:
    return f'{{"Dialog":[{{"DialogId":"{dialog}","DialogName":"{name}","NodeId":"{node}","NodeName":"{node_name}"}}]}}'


ASK_DATE, ASK_CITY, CONFIRM = (
    _node("7", "Move", "1", "Ask date"),
    _node("7", "Move", "2", "Ask city"),
    _node("7", "Move", "3", "Confirm"),
)
# log_id, uuid, originating, session, minute, main, value, output, feedback_info, dialog_paths, articles
_DRILL: list[tuple[Any, ...]] = [
    (1, "q1", None, "s1", 0, "QA", "open?", "9-17", None, None, _qa("42")),
    (2, "f1", "q1", "s1", 1, "Feedback", "no", None, '{"score":-1}', None, None),
    (3, "f2", "q1", "s1", 2, "Feedback", "yes", None, '{"score":1}', None, None),  # q1's last rating: +1
    (4, "l1", "q1", "s1", 3, "LinkClick", None, None, None, None, None),
    (5, "q2", None, "s2", 0, "QA", "hours and parking", "See", None, None, _qa("42", "43")),
    (6, "f3", None, "s2", 1, "Feedback", "no", None, None, None, None),  # rates q2, the previous answer
    (7, "q3", None, "s3", 0, "QA", "parking", "Free", None, None, _qa("43")),
    (8, "d1", None, "s4", 0, "Dialog", "7:1", "Date?", None, None, ASK_DATE),
    (9, "d2", None, "s4", 1, "Dialog", "7:2", "City?", None, '{"DropOut":"7:2"}', ASK_CITY),
    (10, "d3", None, "s5", 0, "Dialog", "7:1", "Date?", None, '{"dropOut":"7:1"}', ASK_DATE),
    (11, "d4", None, "s6", 0, "Dialog", "7:1", "Date?", None, None, ASK_DATE),
    (12, "d5", None, "s6", 1, "Dialog", "7:2", "City?", None, None, ASK_CITY),
    (13, "d6", None, "s6", 2, "Dialog", "7:3", "Done", None, None, CONFIRM),
    (14, "d7", None, "s6", 3, "Dialog", "8:1", "Help", None, None, _node("8", "Help", "1", "Start")),
]  # fmt: skip


def _drill_logs() -> pl.DataFrame:
    names = [
        *("log_id", "interaction_uuid", "originating_interaction_uuid", "session_uuid", "minute"),
        *("main_interaction_type", "interaction_value", "output_text", "feedback_info", "dialog_paths", "articles"),
    ]
    frame = pl.DataFrame(_DRILL, schema=names, orient="row")
    return frame.select(pl.exclude("minute"), timestamp_start=D25 + pl.duration(minutes=pl.col("minute"))).sample(
        fraction=1.0, shuffle=True, seed=5
    )


DRILL_BACKENDS = {key: BACKENDS[key] for key in ("polars-eager", "polars-lazy", "pandas")}


@pytest.mark.parametrize("kind", list(DRILL_BACKENDS))
def test_article_performance(kind: str) -> None:
    frame = DRILL_BACKENDS[kind](_drill_logs())
    out = _polars(features.article_performance(frame), frame)
    assert out.columns == [
        "kind",
        "article_id",
        "name",
        "shown",
        "sessions",
        "feedback_up",
        "feedback_down",
        "csat",
        "link_clicks",
    ]
    assert out.rows() == [
        ("dialog_node", "7:1", "Move / Ask date", 3, 3, 0, 0, None, 0),
        ("dialog_node", "7:2", "Move / Ask city", 2, 2, 0, 0, None, 0),
        ("qa", "42", "Cat 42", 2, 2, 1, 1, 0.5, 1),  # q1 rated -1 then +1: counts once, +1; q2 rated -1
        ("qa", "43", "Cat 43", 2, 2, 0, 1, 0.0, 0),
        ("dialog_node", "7:3", "Move / Confirm", 1, 1, 0, 0, None, 0),
        ("dialog_node", "8:1", "Help / Start", 1, 1, 0, 0, None, 0),
    ]


@pytest.mark.parametrize("kind", list(DRILL_BACKENDS))
def test_dialog_funnel(kind: str) -> None:
    frame = DRILL_BACKENDS[kind](_drill_logs())
    out = _polars(features.dialog_funnel(frame, dialog="Move"), frame)
    assert out.columns == [
        "dialog_id",
        "dialog_name",
        "node_id",
        "node_name",
        "sessions",
        "dropped_out",
        "ended_here",
        "dropout_rate",
    ]
    assert out.rows() == [
        ("7", "Move", "1", "Ask date", 3, 1, 1, pytest.approx(1 / 3)),  # s4, s5, s6 reach it; s5 drops out there
        ("7", "Move", "2", "Ask city", 2, 1, 1, 0.5),  # s4 drops out after it
        ("7", "Move", "3", "Confirm", 1, 0, 1, 0.0),  # s6 completes
    ]
    by_id = _polars(features.dialog_funnel(frame, dialog="7"), frame)
    assert by_id.equals(out)
    every = _polars(features.dialog_funnel(frame), frame)
    assert every["dialog_id"].to_list() == ["7", "7", "7", "8"]


def test_drill_downs_on_an_empty_frame_keep_their_schema() -> None:
    empty = _drill_logs().clear()
    assert features.article_performance(empty).schema == features.article_performance(_drill_logs()).schema
    assert features.dialog_funnel(empty).height == 0


def test_local_days_and_hours_across_daylight_saving_time() -> None:
    start = dt.datetime(2026, 3, 28, 20, tzinfo=UTC)  # 21:00 CET; the 29th has 23 hours in Amsterdam
    times = [start + 30 * M * i for i in range(96)]
    frame = pl.DataFrame(
        {"session_uuid": [f"s{i}" for i in range(96)], "timestamp_start": times, "main_interaction_type": ["QA"] * 96}
    )
    days = features.kpis(frame, tz="Europe/Amsterdam")
    assert [p.date() for p in days["period"].to_list()] == [dt.date(2026, 3, d) for d in (28, 29, 30)]
    assert days["sessions"].to_list() == [6, 46, 44]
    hours = features.kpis(frame, every="1h", tz="Europe/Amsterdam")
    assert hours.height == 48
    assert set(hours["sessions"].to_list()) == {2}
