"""The simulator's knobs for a service that drifts from API.md (issue 13 item 5, issue 14 item 7).

Gateway timeouts on long windows, filters the service ignores, the two spellings of the
disputed parameters, a renamed paging header, header and JSON key case, an undocumented
column, and a fixed port. Plain ``requests`` against the simulator; no library code.
"""

from __future__ import annotations

import json
import socket
import time
from datetime import date, timedelta

import pytest

from digitalcx_frames.flags import InteractionType
from digitalcx_frames.schema import API_COLUMN_NAMES
from digitalcx_frames.simulator import Faults, Simulator
from tests.conftest import SIM_DAY, SimAPI
from tests.integration.wire import parse_csv

TODAY = date(2026, 11, 20)
DAY = (SIM_DAY, SIM_DAY + timedelta(days=1))


def _rows(api: SimAPI, params: dict[str, str] | None = None) -> list[dict[str, object]]:
    reply = api.get(params)
    assert reply.status_code == 200, reply.text
    return parse_csv(reply.content)[1]


# -- gateway timeouts ----------------------------------------------------------------------


def test_long_windows_answer_504_after_the_injected_delay() -> None:
    slept: list[float] = []
    faults = Faults(timeout_hours=6, timeout_delay=180.0)
    with Simulator(rows_per_day=40, today=TODAY, faults=faults, sleep=slept.append) as sim:
        api = SimAPI(sim)
        assert api.get(end=SIM_DAY + timedelta(hours=6)).status_code == 200
        assert slept == []
        reply = api.get(end=SIM_DAY + timedelta(hours=6, seconds=1))
        assert reply.status_code == 504
        assert reply.json() == {"message": "Gateway Timeout"}
        assert slept == [180.0]
        assert api.get().status_code == 504
        assert slept == [180.0, 180.0]
        assert sim.fault_counts == {"504": 2}
        assert [r.status for r in sim.interaction_requests] == [200, 504, 504]
        api.close()


def test_the_gateway_delay_is_real_without_an_injected_sleep() -> None:
    with Simulator(rows_per_day=20, today=TODAY, faults=Faults(timeout_hours=1, timeout_delay=0.2)) as sim:
        api = SimAPI(sim)
        api.token()
        began = time.perf_counter()
        assert api.get().status_code == 504
        waited = time.perf_counter() - began
        assert api.get(end=SIM_DAY + timedelta(minutes=30)).status_code == 200
        api.close()
    assert waited >= 0.2


# -- ignored filters and spellings ---------------------------------------------------------

_FILTERS = {
    "interactionTypes": ({"interactionTypes": "2"}, {"interaction_types": 2}),
    "mainInteractionType": ({"mainInteractionType": "2"}, {"main_interaction_type": 2}),
    "activeSessionOnly": ({"activeSessionOnly": "true"}, {"active_session_only": True}),
    "filterText": ({"filterText": "abonnement"}, {"filter_text": "abonnement"}),
    "includeUserInfo": ({"includeUserInfo": "true"}, {"include_user_info": True}),
}


@pytest.mark.parametrize("name", list(_FILTERS))
def test_an_ignored_filter_returns_the_rows_it_would_exclude(name: str) -> None:
    params, filters = _FILTERS[name]
    with Simulator(rows_per_day=200, today=TODAY, ignore_filters={name}) as sim:
        api = SimAPI(sim)
        everything = sim.expected_rows(*DAY)
        filtered = sim.expected_rows(*DAY, **filters)  # type: ignore[arg-type]
        assert filtered != everything  # the filter would matter
        assert _rows(api, params) == everything
        others = [other for other in _FILTERS if other != name]
        for other in others:  # the other filters still apply
            other_params, other_filters = _FILTERS[other]
            assert _rows(api, other_params) == sim.expected_rows(*DAY, **other_filters)  # type: ignore[arg-type]
        api.close()


def test_an_ignored_filter_is_not_even_validated() -> None:
    with Simulator(rows_per_day=20, today=TODAY, ignore_filters={"interactionTypes", "activeSessionOnly"}) as sim:
        api = SimAPI(sim)
        assert api.get({"interactionTypes": "nonsense", "activeSessionOnly": "maybe"}).status_code == 200
        assert api.get({"mainInteractionType": "nonsense"}).status_code == 400
        api.close()


@pytest.mark.parametrize(
    ("spelling", "honoured", "ignored"),
    [
        ("any", ["mainInteractionType", "mainInteractionTypes", "MAININTERACTIONTYPE"], []),
        ("table", ["mainInteractionType"], ["mainInteractionTypes", "maininteractiontype"]),
        ("example", ["mainInteractionTypes"], ["mainInteractionType", "MainInteractionTypes"]),
    ],
)
def test_which_spelling_of_main_interaction_type_is_honoured(
    spelling: str, honoured: list[str], ignored: list[str]
) -> None:
    mask = InteractionType.QA | InteractionType.FEEDBACK
    with Simulator(rows_per_day=200, today=TODAY, filter_spelling=spelling) as sim:
        api = SimAPI(sim)
        main_only = sim.expected_rows(*DAY, main_interaction_type=mask)
        for name in honoured:
            assert _rows(api, {name: str(int(mask))}) == main_only, name
        for name in ignored:
            assert _rows(api, {name: str(int(mask))}) == sim.expected_rows(*DAY), name
        api.close()


@pytest.mark.parametrize(
    ("spelling", "honoured", "ignored"),
    [
        ("any", ["includeUserInfo", "includeUserinfo"], []),
        ("table", ["includeUserInfo"], ["includeUserinfo"]),
        ("example", ["includeUserinfo"], ["includeUserInfo"]),
    ],
)
def test_which_spelling_of_include_user_info_is_honoured(
    spelling: str, honoured: list[str], ignored: list[str]
) -> None:
    with Simulator(rows_per_day=60, today=TODAY, filter_spelling=spelling) as sim:
        api = SimAPI(sim)
        for name in honoured:
            assert _rows(api, {name: "true"}) == sim.expected_rows(*DAY, include_user_info=True), name
        for name in ignored:
            assert _rows(api, {name: "true"}) == sim.expected_rows(*DAY), name
        api.close()


# -- paging header, header case, JSON key case, an extra column ----------------------------


def test_a_renamed_paging_header() -> None:
    with Simulator(rows_per_day=60, page_size=25, today=TODAY, paging_header="x-ms-continuation") as sim:
        api = SimAPI(sim)
        first = api.get({"paginateData": "true"})
        assert first.status_code == 200
        assert "continuationToken" not in first.headers
        token = first.headers["x-ms-continuation"]
        rows = parse_csv(first.content)[1]
        for name in ("x-ms-continuation", "continuationToken"):  # the token is accepted under either name
            second = api.get({"paginateData": "true", name: token})
            assert second.status_code == 200
            assert parse_csv(second.content)[1] != rows
        pages = [rows]
        while token:
            reply = api.get({"paginateData": "true", "continuationToken": token})
            pages.append(parse_csv(reply.content)[1])
            token = reply.headers.get("x-ms-continuation", "")
        expected = sim.expected_rows(*DAY)
        assert [row for page in pages for row in page] == expected
        assert len(pages) == -(-len(expected) // 25) > 1
        api.close()


@pytest.mark.parametrize(("case", "transform"), [("lower", str.lower), ("upper", str.upper)])
def test_header_case(case: str, transform: object) -> None:
    with Simulator(rows_per_day=30, today=TODAY, header_case=case) as sim:
        api = SimAPI(sim)
        body = api.get().content
        expected = sim.expected_rows(*DAY)
        api.close()
    header, rows = parse_csv(body)
    assert header == [transform(n) for n in API_COLUMN_NAMES]  # type: ignore[operator]
    assert rows == expected


@pytest.mark.parametrize(
    ("case", "first_keys"),
    [
        ("pascal", ["LogId", "InteractionUuid"]),
        ("camel", ["logId", "interactionUuid"]),
        ("lower", ["logid", "interactionuuid"]),
    ],
)
def test_json_key_case(case: str, first_keys: list[str]) -> None:
    with Simulator(rows_per_day=30, today=TODAY, json_key_case=case) as sim:
        api = SimAPI(sim)
        objects = api.get(headers={"Accept": "application/json"}).json()
        csv_header = parse_csv(api.get().content)[0]
        api.close()
    assert list(objects[0])[:2] == first_keys
    assert len(objects[0]) == len(API_COLUMN_NAMES)
    assert csv_header == list(API_COLUMN_NAMES)  # the CSV keeps its own case


def test_an_undocumented_extra_column_in_csv_and_json() -> None:
    with Simulator(rows_per_day=40, today=TODAY, extra_column="Region", delimiter="|") as sim:
        api = SimAPI(sim)
        body = api.get().content
        objects = api.get(headers={"Accept": "application/json"}).json()
        expected = sim.expected_rows(*DAY)
        api.close()
    lines = body.decode().split("\r\n")
    header = lines[0].split("|")
    assert header == [*API_COLUMN_NAMES, "Region"]
    regions = [json.loads(json.dumps(o))["Region"] for o in objects]
    assert set(regions) <= {"westeurope", "northeurope"}
    assert len(objects) == len(expected) > 0
    assert [o["LogId"] for o in objects] == [r["LogId"] for r in expected]
    assert list(objects[0]) == [*API_COLUMN_NAMES, "Region"]
    trimmed = "\r\n".join(line.rsplit("|", 1)[0] if line else line for line in lines).encode()
    assert parse_csv(trimmed, delimiter="|")[1] == expected


@pytest.mark.parametrize(
    "options",
    [
        {"header_case": "title"},
        {"json_key_case": "snake"},
        {"ignore_filters": {"environment"}},
        {"filter_spelling": "both"},
        {"extra_column": "logid"},
        {"paging_header": ""},
        {"port": 70000},
    ],
)
def test_bad_knobs_are_refused(options: dict[str, object]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each knob has its own message
        Simulator(rows_per_day=1, **options)  # type: ignore[arg-type]


# -- a fixed port (issue 14 item 7) --------------------------------------------------------


def test_a_fixed_port() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    with Simulator(rows_per_day=10, today=TODAY, port=port) as sim:
        assert sim.port == port
        assert sim.base_url == f"http://127.0.0.1:{port}"
        assert sim.connection["base_url"] == sim.base_url
        api = SimAPI(sim)
        assert api.get().status_code == 200
        api.close()
        with pytest.raises(OSError):  # noqa: PT011 - the port is taken
            Simulator(rows_per_day=10, today=TODAY, port=port)
    with Simulator(rows_per_day=10, today=TODAY, port=port) as again:  # released on stop
        assert again.port == port


def test_a_fixed_port_in_process_mode() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    with Simulator(rows_per_day=10, today=TODAY, port=port, process=True) as sim:
        assert sim.base_url == f"http://127.0.0.1:{port}"
        api = SimAPI(sim)
        assert api.get().status_code == 200
        api.close()
        with pytest.raises(OSError, match=f"cannot listen on port {port}"):
            Simulator(rows_per_day=10, today=TODAY, port=port, process=True)
