"""Several projects and cultures, and sessions that cross midnight (issue 15 item 4).

Plain ``requests`` against the simulator, checked against API.md sections 2-5.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest

from digitalcx_frames.simulator import Simulator
from tests.conftest import SIM_DAY, SimAPI
from tests.integration.wire import parse_csv

TODAY = date(2026, 11, 20)
DAY = (SIM_DAY, SIM_DAY + timedelta(days=1))
PROJECTS = ("support", "sales")
CULTURES = ("nl", "en")
COMBOS = [("Production", m) for m in ("Public", "Internal", "Test", "Monitor")] + [("Staging", "Test")]


@pytest.fixture(scope="module")
def multi() -> Iterator[Simulator]:
    with Simulator(rows_per_day=120, today=TODAY, projects=PROJECTS, cultures=CULTURES, seed=4) as sim:
        yield sim


def _url(sim: Simulator, project: str) -> str:
    return f"{sim.base_url}/{sim.customer_key}/projects/{project}/interactions"


def test_the_first_project_and_culture_are_the_defaults(multi: Simulator) -> None:
    assert (multi.project_key, multi.culture) == ("support", "nl")
    assert multi.project_keys == PROJECTS
    assert multi.cultures == CULTURES


def test_each_project_and_culture_serves_its_own_rows(multi: Simulator) -> None:
    api = SimAPI(multi)
    seen: dict[tuple[str, str], list[dict[str, object]]] = {}
    for project, culture in itertools.product(PROJECTS, CULTURES):
        reply = api.get({"culture": culture}, url=_url(multi, project))
        assert reply.status_code == 200, reply.text
        rows = parse_csv(reply.content)[1]
        assert rows == multi.expected_rows(*DAY, project_key=project, culture=culture)
        assert rows
        assert {r["Culture"] for r in rows} == {culture}
        seen[project, culture] = rows
    api.close()
    log_ids = [r["LogId"] for rows in seen.values() for r in rows]
    assert len(set(log_ids)) == len(log_ids)  # unique over every project and culture
    sessions = [{r["SessionUuid"] for r in rows} for rows in seen.values()]
    assert all(a.isdisjoint(b) for a, b in itertools.combinations(sessions, 2))

    def words(rows: list[dict[str, object]], word: str) -> int:
        return sum(str(r["OutputText"]).lower().split().count(word) for r in rows)

    def english(rows: list[dict[str, object]]) -> float:
        return words(rows, "you") / (words(rows, "you") + words(rows, "je"))

    for project in PROJECTS:  # an English culture speaks mostly English
        assert english(seen[project, "en"]) > english(seen[project, "nl"])


def test_every_stream_has_exactly_rows_per_day(multi: Simulator) -> None:
    for project, culture in itertools.product(PROJECTS, CULTURES):
        counts = [
            len(multi.expected_rows(*DAY, environment=e, session_mode=m, project_key=project, culture=culture))
            for e, m in COMBOS
        ]
        assert sum(counts) == 120


def test_the_first_stream_is_a_single_project_simulator(multi: Simulator) -> None:
    with Simulator(rows_per_day=120, today=TODAY, project_key="support", culture="nl", seed=4) as single:
        alone = single.expected_rows(*DAY)
    together = multi.expected_rows(*DAY)

    def without_log_id(rows: list[dict[str, object]]) -> list[dict[str, object]]:
        return [{k: v for k, v in r.items() if k != "LogId"} for r in rows]

    assert without_log_id(together) == without_log_id(alone)


def test_unknown_project_or_culture_is_400(multi: Simulator) -> None:
    api = SimAPI(multi)
    reply = api.get({"culture": "de"}, url=_url(multi, "sales"))
    assert reply.status_code == 400
    assert reply.json() == {"message": "Culture de does not exist for project sales."}
    reply = api.get(url=_url(multi, "marketing"))
    assert reply.status_code == 400
    assert reply.json() == {"message": f"Customer key {multi.customer_key} with project marketing does not exist."}
    api.close()
    with pytest.raises(ValueError, match="no project 'marketing'"):
        multi.expected_rows(*DAY, project_key="marketing")


def test_paging_tokens_belong_to_their_project() -> None:
    with Simulator(rows_per_day=80, page_size=10, today=TODAY, projects=PROJECTS) as sim:
        api = SimAPI(sim)
        token = api.get({"paginateData": "true"}, url=_url(sim, "support")).headers["continuationToken"]
        other = api.get({"paginateData": "true", "continuationToken": token}, url=_url(sim, "sales"))
        same = api.get({"paginateData": "true", "continuationToken": token}, url=_url(sim, "support"))
        api.close()
    assert other.status_code == 400
    assert same.status_code == 200


@pytest.mark.parametrize("options", [{"projects": ("a", "a")}, {"cultures": ("nl", "")}])
def test_bad_project_lists_are_refused(options: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="distinct"):
        Simulator(rows_per_day=1, **options)  # type: ignore[arg-type]


# -- sessions across midnight --------------------------------------------------------------


def test_sessions_cross_midnight_and_both_days_stay_exact() -> None:
    midnight = SIM_DAY
    with Simulator(rows_per_day=4500, today=TODAY, seed=2) as sim:
        api = SimAPI(sim)
        reply = api.get(start=midnight - timedelta(hours=1), end=midnight + timedelta(hours=2))
        rows = parse_csv(reply.content)[1]
        assert rows == sim.expected_rows(midnight - timedelta(hours=1), midnight + timedelta(hours=2))
        for day in (midnight - timedelta(days=1), midnight):
            total = sum(
                len(sim.expected_rows(day, day + timedelta(days=1), environment=e, session_mode=m)) for e, m in COMBOS
            )
            assert total == 4500
        api.close()
    sessions: dict[object, list[datetime]] = defaultdict(list)
    for row in rows:
        sessions[row["SessionUuid"]].append(row["TimestampStart"])  # type: ignore[arg-type]
    crossing = [stamps for stamps in sessions.values() if min(stamps) < midnight <= max(stamps)]
    assert len(crossing) >= 2
    for stamps in crossing:
        before = max(s for s in stamps if s < midnight)
        after = min(s for s in stamps if s >= midnight)
        assert after - before < timedelta(minutes=15)  # one session: no 15-minute gap at midnight
        assert all(b - a < timedelta(minutes=15) for a, b in itertools.pairwise(sorted(stamps)))


def test_a_crossing_session_is_the_same_whichever_day_is_asked_first() -> None:
    first, second = (datetime(2026, 11, 17, tzinfo=UTC), datetime(2026, 11, 18, tzinfo=UTC))
    span = (first, second + timedelta(days=1))
    with Simulator(rows_per_day=600, today=TODAY, seed=9) as forward:
        ahead = forward.expected_rows(first, second) + forward.expected_rows(second, span[1])
    with Simulator(rows_per_day=600, today=TODAY, seed=9) as backward:
        later = backward.expected_rows(second, span[1])
        behind = backward.expected_rows(first, second) + later
    assert ahead == behind


@pytest.mark.parametrize("count", [0, 6])
def test_how_many_sessions_cross_midnight(count: int) -> None:
    midnight = SIM_DAY
    with Simulator(rows_per_day=300, today=TODAY, seed=6, crossing_sessions=count) as sim:
        rows = sim.expected_rows(midnight - timedelta(hours=2), midnight + timedelta(hours=2))
        total = sum(
            len(sim.expected_rows(midnight, midnight + timedelta(days=1), environment=e, session_mode=m))
            for e, m in COMBOS
        )
    stamps: dict[object, list[datetime]] = defaultdict(list)
    for row in rows:
        stamps[row["SessionUuid"]].append(row["TimestampStart"])  # type: ignore[arg-type]
    crossing = sum(min(s) < midnight <= max(s) for s in stamps.values())
    assert crossing <= count
    assert crossing >= (count + 1) // 2  # most of them reach past midnight
    assert total == 300
