"""The simulator against API.md sections 1-4, with plain requests and the csv module."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
import requests

from digitalcx_frames.flags import InteractionType
from digitalcx_frames.schema import API_COLUMN_NAMES
from digitalcx_frames.simulator import Simulator
from tests.conftest import SIM_DAY, SIM_ROWS_PER_DAY, SimAPI
from tests.integration.wire import parse_csv

RESOURCE = "https://digitalcx.onmicrosoft.com/external-api"


def window_params(start: datetime, end: datetime) -> dict[str, str]:
    return {"startDate": start.strftime("%Y-%m-%dT%H:%M:%SZ"), "endDate": end.strftime("%Y-%m-%dT%H:%M:%SZ")}


def fetch_all(
    api: SimAPI, params: dict[str, str], *, start: datetime = SIM_DAY, end: datetime | None = None
) -> list[dict[str, object]]:
    """Follow continuation tokens until a page has none or the server says 204."""
    rows: list[dict[str, object]] = []
    query = {**params, "paginateData": "true"}
    seen = set()
    while True:
        reply = api.get(query, start=start, end=end)
        if reply.status_code == 204:
            return rows
        assert reply.status_code == 200
        header, page = parse_csv(reply.content)
        assert header == list(API_COLUMN_NAMES)
        rows += page
        token = reply.headers.get("continuationToken")
        if token is None:
            return rows
        assert token not in seen
        seen.add(token)
        query["continuationToken"] = token


# -- section 1: authentication -------------------------------------------------------------


def _token_form(sim: Simulator, **overrides: str) -> dict[str, str]:
    form = {
        "grant_type": "client_credentials",
        "client_id": sim.client_id,
        "client_secret": sim.client_secret,
        "resource": RESOURCE,
    }
    form.update(overrides)
    return {k: v for k, v in form.items() if v}


def test_token_reply_is_azure_v1_shape(shared_sim: Simulator) -> None:
    with requests.post(shared_sim.token_url, data=_token_form(shared_sim), timeout=10) as reply:
        body = reply.json()
    assert reply.status_code == 200
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == "86399"  # a string, like the real endpoint
    assert len(body["access_token"]) > 20


@pytest.mark.parametrize(
    ("override", "status", "code"),
    [
        ({"client_secret": "wrong"}, 401, "AADSTS7000215: Invalid client secret provided."),
        ({"client_id": "nobody"}, 400, "AADSTS700016"),
        ({"resource": ""}, 400, "AADSTS900144"),
        ({"grant_type": "password"}, 400, "AADSTS70003"),
    ],
)
def test_token_refusals(shared_sim: Simulator, override: dict[str, str], status: int, code: str) -> None:
    with requests.post(shared_sim.token_url, data=_token_form(shared_sim, **override), timeout=10) as reply:
        body = reply.json()
    assert reply.status_code == status
    assert body["error_description"].startswith(code)
    assert "\r\nTrace ID: " in body["error_description"]
    assert shared_sim.client_secret not in reply.text


@pytest.mark.parametrize("token", [None, "not-a-token"])
def test_missing_or_wrong_token_is_403(shared_api: SimAPI, token: str | None) -> None:
    reply = shared_api.get(token=token)
    assert reply.status_code == 403
    assert reply.json() == {"message": "Missing token or token is incorrect"}


def test_expired_token_is_refused_by_the_injected_clock() -> None:
    now = [1_000_000.0]
    with Simulator(rows_per_day=10, today=date(2026, 11, 20), token_lifetime=60, clock=lambda: now[0]) as sim:
        api = SimAPI(sim)
        token = api.token()
        assert api.get(token=token).status_code == 200
        now[0] += 61
        assert api.get(token=token).status_code == 403
        sim.advance_time(-10)
        assert api.get(token=token).status_code == 200
        api.close()


# -- sections 2 and 3: parameters, statuses, limits ---------------------------------------


def test_full_day_matches_ground_truth(shared_api: SimAPI, shared_sim: Simulator) -> None:
    reply = shared_api.get()
    assert reply.status_code == 200
    assert reply.headers["Content-Type"] == "text/csv"
    assert int(reply.headers["Content-Length"]) == len(reply.content)
    header, rows = parse_csv(reply.content)
    assert header == list(API_COLUMN_NAMES)
    assert rows == shared_sim.expected_rows(SIM_DAY, SIM_DAY + timedelta(days=1))
    keys = [(r["TimestampStart"], r["LogId"]) for r in rows]
    assert keys == sorted(keys)
    assert all(r["Culture"] == "nl" for r in rows)


def test_rows_per_day_is_exact_over_all_environments_and_modes(shared_sim: Simulator) -> None:
    combos = [("Production", m) for m in ("Public", "Internal", "Test", "Monitor")] + [("Staging", "Test")]
    counts = [
        len(shared_sim.expected_rows(SIM_DAY, SIM_DAY + timedelta(days=1), environment=e, session_mode=m))
        for e, m in combos
    ]
    assert sum(counts) == SIM_ROWS_PER_DAY
    assert counts[0] > SIM_ROWS_PER_DAY // 2  # most traffic is Production/Public
    assert shared_sim.expected_rows(SIM_DAY, SIM_DAY + timedelta(days=1), environment="Staging") == []


@pytest.mark.parametrize(
    ("params", "filters"),
    [
        ({"interactionTypes": "131"}, {"interaction_types": 131}),
        ({"mainInteractionType": "2"}, {"main_interaction_type": 2}),
        ({"mainInteractionTypes": "34"}, {"main_interaction_type": 34}),
        ({"MAININTERACTIONTYPE": "256"}, {"main_interaction_type": 256}),
        ({"activeSessionOnly": "true"}, {"active_session_only": True}),
        ({"filterText": "abonnement"}, {"filter_text": "abonnement"}),
        ({"environment": "Staging", "sessionMode": "Test"}, {"environment": "Staging", "session_mode": "Test"}),
        ({"sessionMode": "Internal"}, {"session_mode": "Internal"}),
        ({"includeUserInfo": "true"}, {"include_user_info": True}),
        ({"includeUserinfo": "True"}, {"include_user_info": True}),
    ],
)
def test_each_filter_matches_ground_truth(
    shared_api: SimAPI, shared_sim: Simulator, params: dict[str, str], filters: dict[str, object]
) -> None:
    reply = shared_api.get(params)
    assert reply.status_code == 200
    _, rows = parse_csv(reply.content)
    expected = shared_sim.expected_rows(SIM_DAY, SIM_DAY + timedelta(days=1), **filters)  # type: ignore[arg-type]
    assert rows == expected
    assert 0 < len(rows) < SIM_ROWS_PER_DAY or "includeUserInfo".lower() in {k.lower() for k in params}


def test_filter_semantics(shared_sim: Simulator) -> None:
    day = (SIM_DAY, SIM_DAY + timedelta(days=1))
    everything = shared_sim.expected_rows(*day)
    overlap = shared_sim.expected_rows(*day, interaction_types=131)

    def mask(row: dict[str, object]) -> int:
        return int(InteractionType.from_api_names(row["AllInteractionTypes"]))  # type: ignore[arg-type]

    assert all(mask(r) & 131 for r in overlap)
    assert len(overlap) == sum(1 for r in everything if mask(r) & 131)
    main = shared_sim.expected_rows(*day, main_interaction_type=InteractionType.QA | InteractionType.FEEDBACK)
    assert {r["MainInteractionType"] for r in main} == {"QA", "Feedback"}
    active = shared_sim.expected_rows(*day, active_session_only=True)
    assert all(r["SessionIsActive"] for r in active)
    assert len(active) < len(everything)
    assert all(
        "abonnement" in str(r["InteractionValue"]) for r in shared_sim.expected_rows(*day, filter_text="abonnement")
    )
    assert shared_sim.expected_rows(*day, filter_text="ABONNEMENT") == []  # case-sensitive
    staging = shared_sim.expected_rows(*day, environment="Staging", session_mode="Test")
    assert staging
    assert not {r["LogId"] for r in staging} & {r["LogId"] for r in everything}
    assert all(r["AdditionalSessionInfo"] == "" == r["Variables"] for r in everything)
    info = shared_sim.expected_rows(*day, include_user_info=True)
    assert sum(bool(r["AdditionalSessionInfo"] and r["Variables"]) for r in info) > len(info) // 2


def test_filter_text_is_case_sensitive_on_the_wire(shared_api: SimAPI) -> None:
    lower = parse_csv(shared_api.get({"filterText": "abonnement"}).content)[1]
    upper = shared_api.get({"filterText": "ABONNEMENT"})
    assert lower
    assert parse_csv(upper.content)[1] == []


def test_user_info_needs_rights() -> None:
    with Simulator(rows_per_day=40, today=date(2026, 11, 20), user_info_rights=False) as sim:
        api = SimAPI(sim)
        _, rows = parse_csv(api.get({"includeUserInfo": "true"}).content)
        api.close()
    assert rows
    assert all(r["AdditionalSessionInfo"] == "" == r["Variables"] for r in rows)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"culture": ""}, "The culture field is required."),
        ({"culture": "NL"}, "Culture NL does not exist for project demo-project."),
        ({"startDate": ""}, "The startDate field is required."),
        ({"endDate": "yesterday"}, "The value 'yesterday' is not valid for endDate."),
        (window_params(SIM_DAY, SIM_DAY - timedelta(seconds=1)), "End date cannot be earlier than start date."),
        ({"environment": "production"}, None),
        ({"sessionMode": "public"}, None),
        ({"interactionTypes": "2048"}, None),
        ({"activeSessionOnly": "maybe"}, None),
        ({"paginateData": "true", "continuationToken": "garbage"}, None),
    ],
)
def test_bad_parameters_are_400(shared_api: SimAPI, params: dict[str, str], message: str | None) -> None:
    reply = shared_api.get(params)
    assert reply.status_code == 400
    assert reply.headers["Content-Type"].startswith("application/json")
    if message is not None:
        assert reply.json() == {"message": message}
    else:
        assert reply.json()["message"]


def test_unknown_customer_or_project_is_400(shared_api: SimAPI, shared_sim: Simulator) -> None:
    url = f"{shared_sim.base_url}/acme/projects/{shared_sim.project_key}/interactions"
    reply = shared_api.get(url=url)
    assert reply.status_code == 400
    assert reply.json() == {"message": f"Customer key acme with project {shared_sim.project_key} does not exist."}


def test_window_longer_than_one_day_is_400(shared_api: SimAPI) -> None:
    assert shared_api.get(end=SIM_DAY + timedelta(days=1)).status_code == 200
    reply = shared_api.get(end=SIM_DAY + timedelta(days=1, seconds=1))
    assert reply.status_code == 400
    assert "one day" in reply.json()["message"]


def test_ninety_day_rule_follows_today(sim_api: SimAPI, sim: Simulator) -> None:
    earliest = datetime(2026, 8, 22, tzinfo=UTC)  # 00:00 UTC, 90 days before 2026-11-20
    assert sim_api.get(start=earliest).status_code == 200
    assert sim_api.get(start=earliest - timedelta(seconds=1), end=earliest + timedelta(hours=1)).status_code == 400
    sim.advance_days(1)
    assert sim.today == date(2026, 11, 21)
    assert sim_api.get(start=earliest).status_code == 400
    sim.today = date(2025, 1, 10)
    reply = sim_api.get(start=datetime(2024, 12, 14, tzinfo=UTC))
    assert reply.status_code == 400  # never before 2024-12-15
    assert sim_api.get(start=datetime(2024, 12, 15, tzinfo=UTC)).status_code == 200


def test_days_after_today_have_no_rows(shared_api: SimAPI) -> None:
    reply = shared_api.get(start=datetime(2026, 11, 21, tzinfo=UTC))
    assert reply.status_code == 200
    assert parse_csv(reply.content)[1] == []


def test_unknown_path_is_404(shared_sim: Simulator) -> None:
    with requests.get(f"{shared_sim.base_url}/nothing/here", timeout=10) as reply:
        assert reply.status_code == 404


# -- paging and determinism ----------------------------------------------------------------


def test_paging_reassembles_the_unpaged_body(shared_api: SimAPI, shared_sim: Simulator) -> None:
    unpaged = parse_csv(shared_api.get().content)[1]
    paged = fetch_all(shared_api, {})
    assert paged == unpaged
    pages = [r for r in shared_sim.log if r.params.get("continuationToken")]
    assert pages  # more than one page was asked for


def test_last_page_then_204(shared_api: SimAPI) -> None:
    first = shared_api.get({"paginateData": "true", "activeSessionOnly": "true"})
    assert first.status_code == 200
    token = first.headers["continuationToken"]
    statuses = []
    while token:
        reply = shared_api.get({"paginateData": "true", "activeSessionOnly": "true", "continuationToken": token})
        statuses.append(reply.status_code)
        token = reply.headers.get("continuationToken", "")
    assert statuses[-1] in (200, 204)
    assert all(s == 200 for s in statuses[:-1])


@pytest.mark.parametrize("end_with_204", [True, False])
def test_how_paging_ends(end_with_204: bool) -> None:
    with Simulator(rows_per_day=100, page_size=10, today=date(2026, 11, 20), end_with_204=end_with_204) as sim:
        api = SimAPI(sim)
        rows = fetch_all(api, {})
        statuses = [r.status for r in sim.interaction_requests]
        tokens = [bool(r.params.get("continuationToken")) for r in sim.interaction_requests]
        api.close()
    assert rows == sim.expected_rows(SIM_DAY, SIM_DAY + timedelta(days=1))
    pages = -(-len(rows) // 10)
    assert statuses == [200] * pages + ([204] if end_with_204 else [])
    assert tokens == [False] + [True] * (len(statuses) - 1)


def test_empty_first_page_is_204(shared_api: SimAPI) -> None:
    reply = shared_api.get({"paginateData": "true", "filterText": "no such text anywhere"})
    assert reply.status_code == 204
    assert reply.content == b""
    unpaged = shared_api.get({"filterText": "no such text anywhere"})
    assert unpaged.status_code == 200
    assert unpaged.content.decode().strip() == ",".join(API_COLUMN_NAMES)


def test_same_rows_whatever_page_size_or_window_split() -> None:
    day = datetime(2026, 11, 18, tzinfo=UTC)
    results = []
    for page_size in (7, 1000):
        with Simulator(rows_per_day=120, page_size=page_size, today=date(2026, 11, 20), seed=5) as sim:
            api = SimAPI(sim)
            whole = fetch_all(api, {}, start=day)
            noon = day + timedelta(hours=13, minutes=7)
            split = fetch_all(api, {}, start=day, end=noon) + fetch_all(
                api, {}, start=noon, end=day + timedelta(days=1)
            )
            api.close()
        assert whole == split
        results.append(whole)
    assert results[0] == results[1]
    assert len(results[0]) > 50


def test_json_equals_csv(shared_api: SimAPI) -> None:
    _, rows = parse_csv(shared_api.get({"includeUserInfo": "true"}).content)
    reply = shared_api.get({"includeUserInfo": "true"}, headers={"Accept": "application/json"})
    assert reply.headers["Content-Type"].startswith("application/json")
    objects = reply.json()
    assert [list(o) for o in objects[:1]] == [list(API_COLUMN_NAMES)]
    assert all(isinstance(o["LogId"], int) and isinstance(o["SessionIsActive"], bool) for o in objects)
    for obj in objects:
        for name in ("TimestampStart", "TimestampEnd"):
            obj[name] = datetime.fromisoformat(obj[name].replace("Z", "+00:00"))
        obj["AllInteractionTypes"] = json.loads(obj["AllInteractionTypes"])
    assert objects == rows


def test_pipe_delimiter_bom_and_lower_case_header() -> None:
    with Simulator(rows_per_day=60, today=date(2026, 11, 20), delimiter="|", bom=True, lowercase_header=True) as sim:
        api = SimAPI(sim)
        body = api.get().content
        expected = sim.expected_rows(SIM_DAY, SIM_DAY + timedelta(days=1))
        api.close()
    assert body.startswith(b"\xef\xbb\xbf" + "|".join(n.lower() for n in API_COLUMN_NAMES).encode())
    assert parse_csv(body, delimiter="|")[1] == expected


def test_request_log_records_every_request(sim_api: SimAPI, sim: Simulator) -> None:
    sim_api.get({"paginateData": "true"})
    sim_api.get({"culture": "xx"})
    log = sim.log
    assert [r.status for r in log] == [200, 200, 400]
    assert log[0].path.endswith("/oauth2/token")
    assert log[0].params["client_secret"] == "***"
    first = sim.interaction_requests[0]
    assert first.window == (SIM_DAY, SIM_DAY + timedelta(days=1))
    assert first.params["paginateData"] == "true"
    assert first.headers["Authorization"].startswith("Bearer ")
    assert len(sim.token_requests) == 1
    sim.clear_log()
    assert sim.log == []


def test_keep_alive_serves_several_requests_on_one_connection(shared_api: SimAPI, shared_sim: Simulator) -> None:
    import http.client
    from urllib.parse import urlencode

    token = shared_api.token()
    query = urlencode({"culture": "nl", **window_params(SIM_DAY, SIM_DAY + timedelta(hours=1))})
    path = f"/{shared_sim.customer_key}/projects/{shared_sim.project_key}/interactions?{query}"
    connection = http.client.HTTPConnection("127.0.0.1", shared_sim.port, timeout=10)
    try:
        bodies = []
        for _ in range(3):
            connection.request("GET", path, headers={"Authorization": f"Bearer {token}"})
            response = connection.getresponse()
            assert response.version == 11
            assert response.getheader("Connection") != "close"
            bodies.append(response.read())
        first_socket = connection.sock
        connection.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        connection.getresponse().read()
        assert connection.sock is first_socket  # the same socket: keep-alive
    finally:
        connection.close()
    assert bodies[0] == bodies[1] == bodies[2]


def test_serve_forever_rejects_unknown_options() -> None:
    from digitalcx_frames.simulator import serve_forever

    with pytest.raises(TypeError, match="unknown simulator options: colour"):
        serve_forever(port=0, colour="blue")
