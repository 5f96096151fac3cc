"""The JSON-text columns and the shape of the traffic (issue 16 item 5), against API.md section 4.

Rows are read over the wire with plain ``requests``; keys are compared case-insensitively,
as API.md decides (camelCase and PascalCase both occur).
"""

from __future__ import annotations

import json
import statistics
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from digitalcx_frames.schema import API_COLUMN_NAMES
from digitalcx_frames.simulator import Simulator
from digitalcx_frames.simulator._data import (
    CAMPAIGN_RATE,
    JSON_COLUMNS,
    VECTORISE_FROM,
    day_volume,
    generate_day,
    row_dict,
)
from digitalcx_frames.simulator._render import _csv_lines_polars, _csv_lines_rows, _json_polars, _json_rows, key_name
from tests.conftest import SimAPI
from tests.integration.wire import parse_csv

TODAY = date(2026, 11, 20)
Row = dict[str, object]


def lower_keys(value: object) -> object:
    """``value`` with every object key in lower case (keys are matched case-insensitively)."""
    if isinstance(value, dict):
        return {str(k).lower(): lower_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [lower_keys(v) for v in value]
    return value


def decoded(row: Row, column: str) -> object:
    text = str(row[column])
    return lower_keys(json.loads(text)) if text else None


@pytest.fixture(scope="module", params=[3000, VECTORISE_FROM], ids=["row-by-row", "vectorised"])
def rows(request: pytest.FixtureRequest) -> list[Row]:
    with Simulator(rows_per_day=request.param, today=TODAY, seed=21) as sim:
        api = SimAPI(sim)
        reply = api.get({"includeUserInfo": "true"})
        as_json = api.get({"includeUserInfo": "true"}, headers={"Accept": "application/json"}).json()
        api.close()
    assert reply.status_code == 200
    header, parsed = parse_csv(reply.content)
    assert header == list(API_COLUMN_NAMES)
    assert [{k: o[k] for k in JSON_COLUMNS} for o in as_json] == [{k: r[k] for k in JSON_COLUMNS} for r in parsed]
    return parsed


def test_every_json_value_parses_by_default(rows: list[Row]) -> None:
    for column in JSON_COLUMNS:
        filled = [r for r in rows if r[column]]
        assert filled, column
        for row in filled:
            json.loads(str(row[column]))


def test_feedback_info_shape(rows: list[Row]) -> None:
    infos = [decoded(r, "FeedbackInfo") for r in rows if r["MainInteractionType"] == "Feedback"]
    assert infos
    for info in infos:
        assert isinstance(info, dict)
        assert set(info) <= {"score", "originatinginteractionid", "comment"}
        assert info["score"] in (1, -1)
    assert any("comment" in info for info in infos)  # type: ignore[operator]
    assert any("comment" not in info for info in infos)  # type: ignore[operator]


def test_articles_match_article_ids(rows: list[Row]) -> None:
    kinds: Counter[str] = Counter()
    for row in rows:
        ids = decoded(row, "ArticleIds")
        articles = decoded(row, "Articles")
        assert (ids is None) == (articles is None), row
        if articles is None:
            continue
        assert isinstance(articles, dict)
        assert isinstance(ids, list)
        assert set(articles) == {"qa", "dialog", "event"}
        expected = [f"qa-{a['articleid']}" for a in articles["qa"]]
        expected += [f"dn-{d['dialogid']}-{d['nodeid']}" for d in articles["dialog"]]
        expected += [f"e-{e['eventid']}" for e in articles["event"]]
        assert ids == expected
        for qa in articles["qa"]:
            assert set(qa) == {"articleid", "categories"}
            assert all(set(c) == {"name"} and c["name"] for c in qa["categories"])
        for node in articles["dialog"]:
            assert set(node) == {"dialogid", "dialogname", "nodeid", "nodename", "dialogstatus", "nodetype"}
            assert row["InteractionValue"] == f"{node['dialogid']}:{node['nodeid']}"
        for event in articles["event"]:
            assert set(event) == {"eventid", "eventname"}
            assert row["InteractionValue"] == event["eventname"]
        kinds.update(kind for kind in ("qa", "dialog", "event") if articles[kind])
    assert set(kinds) == {"qa", "dialog", "event"}


def test_dialogs_walk_their_nodes_and_drop_out(rows: list[Row]) -> None:
    statuses: Counter[str] = Counter()
    for row in rows:
        articles = decoded(row, "Articles")
        if not articles or not articles["dialog"]:  # type: ignore[index]
            continue
        node = articles["dialog"][0]  # type: ignore[index]
        statuses[node["dialogstatus"]] += 1
        paths = decoded(row, "DialogPaths")
        if node["dialogstatus"] == "DroppedOut":
            assert paths == {"dropout": row["InteractionValue"]}
        else:
            assert paths is None
        if node["dialogstatus"] == "Completed":
            assert node["nodetype"] == "end"
        if node["nodeid"] == "1":
            assert node["dialogstatus"] in ("Started", "DroppedOut")
    assert statuses["Started"] > statuses["InProgress"] > 0
    assert statuses["Completed"] > 0
    assert statuses["DroppedOut"] > 0


def test_output_metadata_and_escalations(rows: list[Row]) -> None:
    sessions: dict[object, set[str]] = defaultdict(set)
    for row in rows:
        if row["SessionIsActive"]:
            sessions[row["SessionUuid"]]
        metadata = decoded(row, "OutputMetadata")
        if metadata is None:
            continue
        assert isinstance(metadata, list)
        for pair in metadata:
            assert set(pair) == {"key", "value"}
            assert isinstance(pair["value"], str)
            sessions[row["SessionUuid"]].add(pair["key"])
    keys = Counter(key for found in sessions.values() for key in found)
    assert {"escalationGroup", "conversation_id", "CURRENT_DATETIME", "abortTransactionAction"} <= set(keys)
    share = keys["escalationGroup"] / len(sessions)
    assert 0.03 < share < 0.2  # a share of the active sessions escalates


def test_contexts_pages_details(rows: list[Row]) -> None:
    for row in rows:
        contexts = decoded(row, "Contexts")
        if contexts is not None:
            assert isinstance(contexts, list)
            assert all(set(c) == {"name", "value"} for c in contexts)
        pages = decoded(row, "Pages")
        if pages is not None:
            assert set(pages) == {"originatingpage"}  # type: ignore[call-overload]
            assert str(pages["originatingpage"]).startswith("https://")  # type: ignore[index]
        details = decoded(row, "RecognitionDetails")
        if details is not None:
            assert isinstance(details, dict)
            assert set(details) <= {"entitymatches", "missingwords"}
            for match in details["entitymatches"]:
                assert set(match) == {"entityid", "displayname", "name", "match"}
        if row["RecognitionQuality"] == 0.0:  # not recognised: the fallback answer, no article
            assert row["ArticleIds"] == ""
    assert any(decoded(r, "RecognitionDetails") for r in rows)


def test_camel_and_pascal_keys_both_occur(rows: list[Row]) -> None:
    firsts = Counter(str(r["Pages"])[2] for r in rows if r["Pages"])
    assert firsts["o"] > firsts["O"] > 0
    cases = Counter(str(r["FeedbackInfo"])[2].isupper() for r in rows if r["FeedbackInfo"])
    assert cases[True]
    assert cases[False]


def test_malformed_values_at_a_small_seeded_rate() -> None:
    day = date(2026, 11, 10)
    clean = generate_day(day, seed=3, rows_per_day=4000, culture="nl")
    damaged = generate_day(day, seed=3, rows_per_day=4000, culture="nl", malformed_rate=0.01)
    again = generate_day(day, seed=3, rows_per_day=4000, culture="nl", malformed_rate=0.01)
    assert damaged.rows == again.rows
    changed = 0
    for before, after in zip(clean.rows, damaged.rows, strict=True):
        for name, old, new in zip(API_COLUMN_NAMES, before, after, strict=True):
            if old == new:
                continue
            assert name in JSON_COLUMNS
            assert name not in ("AdditionalSessionInfo", "Variables")
            assert str(old).startswith(str(new))
            with pytest.raises(json.JSONDecodeError):
                json.loads(str(new))
            changed += 1
    assert 10 < changed < 80  # about 1 % of 4000 rows


# -- the shape of the traffic --------------------------------------------------------------


def test_flat_traffic_keeps_rows_per_day_exact() -> None:
    volumes = {
        day_volume(date(2026, 9, 1) + timedelta(days=n), seed=0, stream="", rows_per_day=700, traffic="flat")
        for n in range(60)
    }
    assert volumes == {(700, None)}


def test_realistic_traffic_weekdays_weekends_and_campaigns() -> None:
    days = [date(2026, 6, 1) + timedelta(days=n) for n in range(16 * 7)]  # 16 weeks from a Monday
    volumes = {d: day_volume(d, seed=5, stream="", rows_per_day=1000, traffic="realistic") for d in days}
    plain = [v for v, spike in volumes.values() if spike is None]
    weekdays = statistics.mean(v for d, (v, s) in volumes.items() if s is None and d.weekday() < 5)
    weekends = statistics.mean(v for d, (v, s) in volumes.items() if s is None and d.weekday() >= 5)
    assert weekdays > 1.8 * weekends
    campaigns = [v for v, spike in volumes.values() if spike is not None]
    assert 0 < len(campaigns) < 3 * CAMPAIGN_RATE * len(days)
    assert min(campaigns) > max(plain)
    assert 0.95 < statistics.mean(plain) / 1000 < 1.05  # rows_per_day is the mean of an ordinary week


def test_a_campaign_day_peaks_in_its_hours() -> None:
    day = next(
        date(2026, 6, 1) + timedelta(days=n)
        for n in range(400)
        if day_volume(date(2026, 6, 1) + timedelta(days=n), seed=5, stream="", rows_per_day=1000, traffic="realistic")[
            1
        ]
        and (date(2026, 6, 1) + timedelta(days=n)).weekday() < 5
    )
    volume, spike = day_volume(day, seed=5, stream="", rows_per_day=1000, traffic="realistic")
    assert spike is not None
    generated = generate_day(day, seed=5, rows_per_day=1000, culture="nl", traffic="realistic")
    assert len(generated.rows) == volume
    amsterdam = ZoneInfo("Europe/Amsterdam")
    hours = Counter(row_dict(generated, i)["TimestampStart"].astimezone(amsterdam).hour for i in range(volume))  # type: ignore[attr-defined]
    inside = sum(hours[h] for h in range(spike[0], spike[0] + 3))
    assert inside > (spike[1] - 1) / spike[1] * volume * 0.8  # the extra rows land in its three hours


def test_realistic_traffic_over_the_wire() -> None:
    monday, sunday = datetime(2026, 11, 16, tzinfo=UTC), datetime(2026, 11, 15, tzinfo=UTC)
    with Simulator(rows_per_day=400, today=TODAY, traffic="realistic", seed=1) as sim:
        api = SimAPI(sim)
        busy = parse_csv(api.get(start=monday).content)[1]
        quiet = parse_csv(api.get(start=sunday).content)[1]
        assert busy == sim.expected_rows(monday, monday + timedelta(days=1))
        api.close()
    assert len(busy) > 1.5 * len(quiet) > 0


def test_weekdays_have_office_hours_weekends_evenings() -> None:
    amsterdam = ZoneInfo("Europe/Amsterdam")

    def share(day: date, hours: range) -> float:
        generated = generate_day(day, seed=2, rows_per_day=3000, culture="nl")
        local = Counter(row_dict(generated, i)["TimestampStart"].astimezone(amsterdam).hour for i in range(3000))  # type: ignore[attr-defined]
        return sum(local[h] for h in hours) / 3000

    wednesday, sunday = date(2026, 11, 11), date(2026, 11, 15)
    assert share(wednesday, range(7, 10)) > 1.5 * share(sunday, range(7, 10))  # the morning rush
    assert share(sunday, range(19, 23)) > 1.5 * share(wednesday, range(19, 23))  # weekend evenings


@pytest.mark.parametrize("delimiter", [",", "|"])
def test_the_vectorised_renderer_writes_the_same_bytes(delimiter: str) -> None:
    day = generate_day(date(2026, 11, 12), seed=8, rows_per_day=4000, culture="nl", malformed_rate=0.01)
    assert _csv_lines_polars(day, delimiter) == _csv_lines_rows(day, delimiter)


@pytest.mark.parametrize(
    ("user_info", "case", "extra"), [(False, "pascal", None), (True, "camel", "Region"), (True, "lower", None)]
)
def test_the_vectorised_json_writer_writes_the_same_bytes(user_info: bool, case: str, extra: str | None) -> None:
    day = generate_day(date(2026, 11, 12), seed=8, rows_per_day=3000, culture="nl", malformed_rate=0.01)
    names = [key_name(n, case) for n in API_COLUMN_NAMES]
    assert _json_polars(day, user_info, names, extra) == _json_rows(day, user_info, names, extra)


def test_prerender_can_render_json_bodies_ahead() -> None:
    import urllib.request

    day = date(2026, 11, 18)
    with Simulator(rows_per_day=50, today=TODAY, json_key_case="camel") as sim:
        payload = json.dumps({"first": day.isoformat(), "last": day.isoformat(), "json": True}).encode()
        request = urllib.request.Request(f"{sim.base_url}/_simulator/prerender", data=payload, method="POST")
        with urllib.request.urlopen(request, timeout=30) as reply:
            assert reply.status == 200
        cache = sim._state.day(day).cache
        assert ("json", False, "camel", None) in cache
        assert ("csv", ",") in cache
