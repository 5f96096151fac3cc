"""The simulator's data is deterministic and realistic (API.md sections 4 and 5)."""

from __future__ import annotations

import itertools
import json
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from digitalcx_frames.flags import API_NAMES
from digitalcx_frames.simulator._data import COL, Day, generate_day, row_dict

DAY = date(2026, 11, 2)


@pytest.fixture(scope="module", params=[False, True], ids=["row-by-row", "vectorised"])
def vectorised(request: pytest.FixtureRequest) -> bool:
    """Both generators: sessions row by row, and drawn vectorised from a session library."""
    return bool(request.param)


@pytest.fixture(scope="module")
def day(vectorised: bool) -> Day:
    return generate_day(DAY, seed=11, rows_per_day=3000, culture="nl", vectorised=vectorised)


@pytest.fixture(scope="module")
def rows(day: Day) -> list[dict[str, object]]:
    return [row_dict(day, i) for i in range(len(day.rows))]


def test_exact_count_sorted_and_unique_log_ids(rows: list[dict[str, object]]) -> None:
    assert len(rows) == 3000
    keys = [(r["TimestampStart"], r["LogId"]) for r in rows]
    assert keys == sorted(keys)
    ids = [int(r["LogId"]) for r in rows]  # type: ignore[call-overload]
    assert len(set(ids)) == len(ids)
    assert min(ids) > 2**32
    assert all(5e9 < i < 1e10 for i in ids)
    assert all(r["TimestampStart"].date() == DAY for r in rows)  # type: ignore[attr-defined]
    assert all(r["TimestampEnd"] >= r["TimestampStart"] for r in rows)  # type: ignore[operator]


def test_deterministic_per_seed_and_day(day: Day, vectorised: bool) -> None:
    again = generate_day(DAY, seed=11, rows_per_day=3000, culture="nl", vectorised=vectorised)
    assert again.rows == day.rows
    other = generate_day(DAY, seed=12, rows_per_day=3000, culture="nl", vectorised=vectorised)
    assert other.rows != day.rows
    next_day = generate_day(DAY + timedelta(days=1), seed=11, rows_per_day=3000, culture="nl", vectorised=vectorised)
    assert min(int(next_day.rows[i][0]) for i in range(10)) > max(int(r[0]) for r in day.rows)  # type: ignore[call-overload]


def test_all_types_in_plausible_proportions(rows: list[dict[str, object]]) -> None:
    mains = Counter(str(r["MainInteractionType"]) for r in rows)
    assert set(mains) == set(API_NAMES)
    user_types = ("QA", "Dialog", "TransactionalDialog", "GenerativeAI", "FaqClick", "FaqSearch")
    assert max(user_types, key=lambda t: mains[t]) == "QA"
    assert mains["Event"] + mains["DataRetrieval"] > len(rows) // 4
    wire = {
        day_row[COL["AllInteractionTypes"]]
        for day_row in generate_day(DAY, seed=11, rows_per_day=200, culture="nl").rows
    }
    assert any(text.startswith("[ ") for text in wire)  # type: ignore[attr-defined]
    assert any(text.startswith('["') for text in wire)  # type: ignore[attr-defined]
    assert any(len(r["AllInteractionTypes"]) > 1 for r in rows)  # type: ignore[arg-type]


def test_sessions_follow_the_rules(rows: list[dict[str, object]]) -> None:
    sessions: dict[object, list[dict[str, object]]] = defaultdict(list)
    for r in rows:
        sessions[r["SessionUuid"]].append(r)
    assert len(sessions) < len(rows) / 2  # sessions hold several interactions
    inactive = 0
    for members in sessions.values():
        assert len({m["SessionIsActive"] for m in members}) == 1
        starts = sorted(m["TimestampStart"] for m in members)  # type: ignore[type-var]
        assert all((b - a) < timedelta(minutes=15) for a, b in itertools.pairwise(starts))  # type: ignore[operator]
        if not members[0]["SessionIsActive"]:
            inactive += 1
            assert {m["MainInteractionType"] for m in members} <= {"Event", "DataRetrieval", "Dialog"}
    assert 0 < inactive < len(sessions)


def test_feedback_and_link_clicks_point_at_their_origin(rows: list[dict[str, object]], vectorised: bool) -> None:
    earlier = [
        row_dict(before, i)
        for before in [
            generate_day(DAY - timedelta(days=1), seed=11, rows_per_day=3000, culture="nl", vectorised=vectorised)
        ]
        for i in range(len(before.rows))
    ]
    uuids = {r["InteractionUuid"] for r in earlier + rows}  # a session may cross midnight
    followers = [r for r in rows if r["MainInteractionType"] in ("Feedback", "LinkClick")]
    assert followers
    for r in followers:
        assert r["OriginatingInteractionUuid"] in uuids | {""}
    last_answer: dict[object, object] = {}
    no_id = no_origin = 0
    for r in earlier + rows:
        kind = r["MainInteractionType"]
        if kind == "Feedback":
            info = {str(k).lower(): v for k, v in json.loads(str(r["FeedbackInfo"])).items()}
            assert set(info) <= {"score", "originatinginteractionid", "comment"}
            assert info["score"] in (1, -1)
            assert r["InteractionValue"] == ("yes" if info["score"] == 1 else "no")
            rated = info.get("originatinginteractionid") or r["OriginatingInteractionUuid"]
            no_id += "originatinginteractionid" not in info
            no_origin += not rated
            if rated:  # the answer it rates is the session's previous answer
                assert rated == last_answer[r["SessionUuid"]]
        else:
            assert r["FeedbackInfo"] == ""
            if kind not in ("Event", "DataRetrieval", "LinkClick"):
                last_answer[r["SessionUuid"]] = r["InteractionUuid"]
    assert no_id > no_origin > 0  # the id is sometimes missing, now and then the origin too
    shared = Counter(r["InteractionUuid"] for r in rows)
    assert any(n > 1 for n in shared.values())  # one interaction under two LogIds


def test_text_is_realistic(rows: list[dict[str, object]]) -> None:
    answers = [str(r["OutputText"]) for r in rows if r["OutputText"]]
    text = " ".join(str(r["InteractionValue"]) + str(r["OutputText"]) for r in rows)
    for needle in ("é", "€", '"', ",", "|", "\n"):
        assert needle in text
    newline_share = sum("\n" in a for a in answers) / len(answers)
    assert 0.03 < newline_share < 0.2
    json_columns: tuple[str, ...] = (
        "OutputMetadata",
        "ArticleIds",
        "DialogPaths",
        "RecognitionDetails",
        "GenerativeAISources",
    )
    json_columns += ("Articles", "FaqsFound", "Contexts", "Pages", "LinkclickInfo", "FeedbackInfo")
    json_columns += ("AdditionalSessionInfo", "Variables")
    for name in json_columns:
        filled = [str(r[name]) for r in rows if r[name]]
        assert filled, name
        for value in filled:
            json.loads(value)
    assert any(json.loads(str(r["DialogPaths"])).get("DropOut") for r in rows if r["DialogPaths"])
    assert {type(r["RecognitionQuality"]) for r in rows} == {float, type(None)}
    assert any(r["TDialogStatus"] for r in rows)


def test_hourly_rhythm(rows: list[dict[str, object]]) -> None:
    amsterdam = ZoneInfo("Europe/Amsterdam")
    hours = Counter(r["TimestampStart"].astimezone(amsterdam).hour for r in rows)  # type: ignore[attr-defined]
    assert sum(hours[h] for h in range(9, 17)) > 10 * sum(hours[h] for h in range(2, 6))  # office hours, quiet nights


def test_unknown_type_names_when_asked() -> None:
    plain = generate_day(DAY, seed=1, rows_per_day=400, culture="nl")
    odd = generate_day(DAY, seed=1, rows_per_day=400, culture="nl", unknown_type_rate=0.2)
    assert not any("Smalltalk" in names for names in plain.names)
    assert any("Smalltalk" in names for names in odd.names)
    assert any(row[COL["MainInteractionType"]] == "Smalltalk" for row in odd.rows)
    assert isinstance(row_dict(odd, 0)["TimestampStart"], datetime)


def test_vectorised_days_reuse_sessions_with_fresh_ids() -> None:
    days = [
        generate_day(DAY + timedelta(days=n), seed=11, rows_per_day=3000, culture="nl", vectorised=True) for n in (0, 1)
    ]
    rows = [row_dict(d, i) for d in days for i in range(len(d.rows))]
    sessions = {r["SessionUuid"] for r in rows}
    by_session: dict[object, set[object]] = defaultdict(set)
    for r in rows:
        for pair in json.loads(str(r["OutputMetadata"]) or "[]"):
            values = {str(k).lower(): v for k, v in pair.items()}
            if values["key"] == "conversation_id":
                by_session[r["SessionUuid"]].add(values["value"])
            if values["key"] == "CURRENT_DATETIME":
                assert values["value"] == r["TimestampStart"].isoformat(timespec="milliseconds").replace("+00:00", "Z")  # type: ignore[attr-defined]
    assert all(len(ids) == 1 for ids in by_session.values())  # one conversation per session
    conversations = [next(iter(ids)) for ids in by_session.values()]
    assert len(set(conversations)) == len(conversations)  # and never shared
    owners: dict[object, object] = {}
    for r in rows:  # an interaction belongs to one session, even when its template is drawn twice
        assert owners.setdefault(r["InteractionUuid"], r["SessionUuid"]) == r["SessionUuid"]
    assert len(sessions) > 500
