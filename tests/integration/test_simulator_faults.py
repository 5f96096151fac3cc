"""Scripted and random faults of the simulator, and process mode."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
import requests

from digitalcx_frames.schema import API_COLUMN_NAMES
from digitalcx_frames.simulator import FAULT_KINDS, Faults, Simulator
from tests.conftest import SIM_DAY, SimAPI
from tests.integration.wire import parse_csv

TODAY = date(2026, 11, 20)


@pytest.mark.parametrize(
    ("kind", "status", "message"),
    [
        ("500", 500, "Something went wrong"),
        ("429", 429, None),
        ("503", 503, None),
        ("401", 401, None),
        ("403_token", 403, "Missing token or token is incorrect"),
        ("408", 408, None),
        ("504", 504, None),
    ],
)
def test_status_faults_then_recovery(sim_api: SimAPI, sim: Simulator, kind: str, status: int, message: str) -> None:
    sim.inject(kind, count=2)
    first, second, third = sim_api.get(), sim_api.get(), sim_api.get()
    assert first.status_code == second.status_code == status
    assert third.status_code == 200
    assert first.json()["message"] == (message or first.json()["message"])
    if status in (429, 503):
        assert first.headers["Retry-After"] == "1"
    assert sim.fault_counts == {kind: 2}
    assert [r.status for r in sim.interaction_requests] == [status, status, 200]


def test_cut_body_breaks_the_read(sim_api: SimAPI, sim: Simulator) -> None:
    sim.inject("cut")
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        sim_api.get()
    assert sim_api.get().status_code == 200
    assert sim.fault_counts == {"cut": 1}


def test_broken_chunked_breaks_the_read(sim_api: SimAPI, sim: Simulator) -> None:
    sim.inject("broken_chunked")
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        sim_api.get()
    assert sim_api.get().status_code == 200


@pytest.mark.parametrize(
    ("kind", "check"),
    [
        ("html_200", lambda r: r.headers["Content-Type"].startswith("text/html") and b"<html>" in r.content),
        ("empty_200", lambda r: r.content == b"" and r.headers["Content-Length"] == "0"),
        ("header_only", lambda r: r.content == (",".join(API_COLUMN_NAMES) + "\r\n").encode()),
    ],
)
def test_misleading_200s(sim_api: SimAPI, sim: Simulator, kind: str, check: object) -> None:
    sim.inject(kind)
    reply = sim_api.get()
    assert reply.status_code == 200
    assert check(reply)  # type: ignore[operator]


@pytest.mark.parametrize(("kind", "delta"), [("extra_field", 1), ("missing_field", -1)])
def test_field_count_faults(sim_api: SimAPI, sim: Simulator, kind: str, delta: int) -> None:
    import csv
    import io

    sim.inject(kind)
    text = sim_api.get().content.decode()
    lengths = [len(fields) for fields in csv.reader(io.StringIO(text, newline=""))]
    assert lengths[1] == len(API_COLUMN_NAMES) + delta
    assert set(lengths[2:]) == {len(API_COLUMN_NAMES)}


def test_invalid_utf8(sim_api: SimAPI, sim: Simulator) -> None:
    sim.inject("invalid_utf8")
    body = sim_api.get().content
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")


def test_repeat_token(sim_api: SimAPI, sim: Simulator) -> None:
    first = sim_api.get({"paginateData": "true"})
    token = first.headers["continuationToken"]
    sim.inject("repeat_token")
    second = sim_api.get({"paginateData": "true", "continuationToken": token})
    assert second.headers["continuationToken"] == token
    assert sim.fault_counts == {"repeat_token": 1}


def test_slow_answer_does_not_block_others(sim_api: SimAPI) -> None:
    with Simulator(rows_per_day=30, today=TODAY, faults=Faults(slow_delay=120)) as slow_sim:
        api = SimAPI(slow_sim)
        token = api.token()
        slow_sim.inject("slow")
        results: list[int] = []
        worker = threading.Thread(target=lambda: results.append(SimAPI(slow_sim).get(token=token).status_code))
        worker.start()
        try:
            waiting = threading.Event()
            for _ in range(2000):  # until the worker's request has taken the slow fault
                if slow_sim.fault_counts or waiting.wait(0.005):
                    break
            assert slow_sim.fault_counts == {"slow": 1}
            assert api.get(token=token).status_code == 200
            assert worker.is_alive()  # the slow one is still waiting; the fast one already answered
        finally:
            slow_sim.stop()  # wakes the sleeper
            worker.join(30)
            api.close()
    assert results == [200]


def test_every_kind_is_accepted_and_unknown_kinds_are_not(sim: Simulator) -> None:
    for kind in FAULT_KINDS:
        sim.inject(kind, count=0)
    with pytest.raises(ValueError, match="unknown fault kind"):
        sim.inject("boom")


def test_random_faults_are_seeded() -> None:
    sequences = []
    for _ in range(2):
        with Simulator(rows_per_day=20, today=TODAY, faults=Faults(error_500=0.3, error_429=0.3, seed=7)) as sim:
            api = SimAPI(sim)
            sequences.append([api.get().status_code for _ in range(12)])
            counts = sim.fault_counts
            api.close()
        assert sum(counts.values()) == sum(1 for s in sequences[-1] if s != 200)
    assert sequences[0] == sequences[1]
    assert {200, 500, 429} == set(sequences[0])


def test_window_timeouts() -> None:
    faults = Faults(timeout_hours=6, timeout_dates=frozenset({date(2026, 11, 18)}))
    with Simulator(rows_per_day=20, today=TODAY, faults=faults) as sim:
        api = SimAPI(sim)
        assert api.get(end=SIM_DAY + timedelta(hours=6)).status_code == 200
        assert api.get(end=SIM_DAY + timedelta(hours=7)).status_code == 504
        sim.inject("500", 0)
        day = datetime(2026, 11, 18, tzinfo=UTC)
        faults_off = Simulator(rows_per_day=20, today=TODAY, faults=Faults(timeout_dates=faults.timeout_dates))
        with faults_off:
            other = SimAPI(faults_off)
            assert other.get(start=day).status_code == 504
            assert other.get(start=day, end=day + timedelta(hours=12)).status_code == 200
            assert other.get(start=day + timedelta(days=1)).status_code == 200
            assert faults_off.fault_counts == {"504": 1}
            other.close()
        api.close()


def test_latency_and_every_response_still_right() -> None:
    with Simulator(rows_per_day=20, today=TODAY, faults=Faults(latency=0.01)) as sim:
        api = SimAPI(sim)
        _, rows = parse_csv(api.get().content)
        assert rows == sim.expected_rows(SIM_DAY, SIM_DAY + timedelta(days=1))
        api.close()


def test_process_mode() -> None:
    day = date(2026, 11, 19)
    with Simulator(rows_per_day=50, today=TODAY, process=True, prerender=(day, day), seed=3) as sim:
        api = SimAPI(sim)
        _, rows = parse_csv(api.get().content)
        assert rows == sim.expected_rows(SIM_DAY, SIM_DAY + timedelta(days=1))
        sim.inject("500")
        assert api.get().status_code == 500
        assert sim.fault_counts == {"500": 1}
        assert [r.status for r in sim.log] == [200, 200, 500]
        assert sim.interaction_requests[0].window == (SIM_DAY, SIM_DAY + timedelta(days=1))
        sim.advance_days(100)
        assert api.get().status_code == 400
        sim.advance_time(90_000)
        assert api.get().status_code == 403
        sim.clear_log()
        assert sim.log == []
        api.close()
