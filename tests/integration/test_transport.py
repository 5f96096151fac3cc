"""Client.get against the simulator over loopback: retries, token refresh, the error tree."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import requests
from requests.adapters import HTTPAdapter

from digitalcx_frames._http.transport import Client, Reply
from digitalcx_frames.errors import (
    AuthenticationError,
    InvalidRequestError,
    NetworkError,
    RateLimitError,
    ServerError,
    WindowTimeoutError,
)
from digitalcx_frames.simulator import Simulator
from tests.conftest import SIM_DAY

WINDOW = "2026-11-19T00:00:00Z/2026-11-20T00:00:00Z"
MAX_RETRIES = 3


class Recorder:
    """Stands in for ``time.sleep`` between retries: records the waits, waits for nothing."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def slept() -> Recorder:
    return Recorder()


@pytest.fixture
def client(sim: Simulator, slept: Recorder) -> Iterator[Client]:
    with Client(
        sim.client_id,
        sim.client_secret,
        base_url=sim.base_url,
        token_url=sim.token_url,
        timeout=(5.0, 0.5),
        max_retries=MAX_RETRIES,
        backoff_factor=0.0,
        retry_after_max=2.0,
        sleep=slept,
    ) as client:
        yield client


def params(sim: Simulator) -> dict[str, str]:
    end = SIM_DAY + timedelta(days=1)
    return {
        "culture": sim.culture,
        "startDate": SIM_DAY.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "endDate": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def get(client: Client, sim: Simulator, **extra: str) -> Reply:
    url = client.interactions_url(sim.customer_key, sim.project_key)
    return client.send(url, {**params(sim), **extra}, window=WINDOW, page=1)


def body_of(response: requests.Response) -> bytes:
    with response:
        data: bytes = response.raw.read(decode_content=True)
    return data


def test_connection_dict_builds_a_working_client(sim: Simulator) -> None:
    with Client(**sim.connection) as client:
        first = get(client, sim)
        second = get(client, sim, paginateData="true")
        assert (first.response.status_code, second.response.status_code) == (200, 200)
        assert body_of(first.response).startswith(b"LogId,")
        assert first.attempts == 1
        body_of(second.response)
    assert len(sim.token_requests) == 1, "the token is cached between requests"
    sent = sim.interaction_requests
    assert len(sent) == 2
    assert all(record.headers["Authorization"].startswith("Bearer ") for record in sent)
    assert sent[0].headers["Accept"] == "text/csv"


@pytest.mark.parametrize("kind", ["429", "503"])
def test_retry_after_is_honoured_then_success(client: Client, sim: Simulator, slept: Recorder, kind: str) -> None:
    sim.inject(kind, count=2)
    reply = get(client, sim)
    assert reply.response.status_code == 200
    assert reply.attempts == 3
    body_of(reply.response)
    assert slept.waits == [1.0, 1.0]  # the simulator's Retry-After: 1, through the injected sleep
    assert [record.status for record in sim.interaction_requests] == [int(kind), int(kind), 200]


def test_rate_limit_that_outlasts_retries(client: Client, sim: Simulator) -> None:
    sim.inject("429", count=MAX_RETRIES + 1)
    with pytest.raises(RateLimitError) as info:
        get(client, sim)
    assert info.value.attempts == MAX_RETRIES + 1
    assert info.value.status_code == 429


def test_500_is_retried_then_server_error_with_attempts(client: Client, sim: Simulator) -> None:
    sim.inject("500", count=MAX_RETRIES + 1)
    with pytest.raises(ServerError) as info:
        get(client, sim)
    error = info.value
    assert (error.status_code, error.message, error.window, error.page) == (500, "Something went wrong", WINDOW, 1)
    assert error.attempts == MAX_RETRIES + 1
    assert f"after {MAX_RETRIES + 1} attempts" in str(error)
    assert len(sim.interaction_requests) == MAX_RETRIES + 1


def test_500_then_success(client: Client, sim: Simulator) -> None:
    sim.inject("500", count=1)
    reply = get(client, sim)
    assert (reply.response.status_code, reply.attempts) == (200, 2)
    body_of(reply.response)


@pytest.mark.parametrize("kind", ["401", "403_token"])
def test_refused_token_is_fetched_again_once(client: Client, sim: Simulator, kind: str) -> None:
    get(client, sim).response.close()
    sim.inject(kind)
    reply = get(client, sim)
    assert reply.response.status_code == 200
    assert reply.attempts == 2
    body_of(reply.response)
    assert len(sim.token_requests) == 2
    first, refused, retried = sim.interaction_requests
    assert first.headers["Authorization"] == refused.headers["Authorization"] != retried.headers["Authorization"]


def test_token_expired_on_the_server_is_replaced(client: Client, sim: Simulator) -> None:
    get(client, sim).response.close()
    sim.advance_time(100_000)  # every issued token is now expired server-side: 403 "Missing token ..."
    reply = get(client, sim)
    assert reply.response.status_code == 200
    body_of(reply.response)
    assert [record.status for record in sim.interaction_requests] == [200, 403, 200]


def test_token_refused_twice_is_an_authentication_error(client: Client, sim: Simulator) -> None:
    sim.inject("401", count=2)
    with pytest.raises(AuthenticationError) as info:
        get(client, sim)
    assert info.value.status_code == 401
    assert len(sim.token_requests) == 2
    assert len(sim.interaction_requests) == 2


def test_wrong_secret_is_an_authentication_error_without_the_secret(sim: Simulator) -> None:
    wrong = "not-the-secret-123"
    client = Client(sim.client_id, wrong, base_url=sim.base_url, token_url=sim.token_url)
    with client, pytest.raises(AuthenticationError) as info:
        get(client, sim)
    assert info.value.message.startswith("AADSTS7000215: Invalid client secret provided.")
    assert "Trace ID" not in info.value.message
    assert wrong not in str(info.value)
    assert sim.interaction_requests == []


def test_400_carries_the_servers_message(client: Client, sim: Simulator) -> None:
    url = client.interactions_url("no-such-customer", sim.project_key)
    with pytest.raises(InvalidRequestError) as info:
        client.send(url, params(sim), window=WINDOW, page=2)
    assert info.value.message == f"Customer key no-such-customer with project {sim.project_key} does not exist."
    assert (info.value.page, info.value.attempts) == (2, 1)


@pytest.mark.parametrize("kind", ["408", "504"])
def test_408_and_504_are_window_timeouts_not_retried(client: Client, sim: Simulator, kind: str) -> None:
    sim.inject(kind)
    with pytest.raises(WindowTimeoutError) as info:
        get(client, sim)
    assert info.value.status_code == int(kind)
    assert (info.value.window, info.value.attempts) == (WINDOW, 1)
    assert len(sim.interaction_requests) == 1


def test_read_timeout_is_a_window_timeout_not_retried(client: Client, sim: Simulator) -> None:
    sim.inject("slow")  # answers after seconds; the client reads for 0.5 s
    with pytest.raises(WindowTimeoutError) as info:
        get(client, sim)
    assert info.value.status_code is None
    assert info.value.attempts == 1
    assert sim.fault_counts.get("slow") == 1
    assert sim.interaction_requests == []  # a retry would have been answered (and logged) at once


def closed_port_url() -> str:
    with socket.socket() as probe:  # a loopback port that nobody listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_unreachable_service_is_a_network_error_after_retries(sim: Simulator) -> None:
    base = closed_port_url()
    with (
        Client(
            sim.client_id, sim.client_secret, base_url=base, token_url=sim.token_url, max_retries=2, backoff_factor=0.0
        ) as client,
        pytest.raises(NetworkError) as info,
    ):
        client.send(client.interactions_url("c", "p"), {}, window=WINDOW, page=4)
    assert (info.value.window, info.value.page, info.value.attempts) == (WINDOW, 4, 3)
    assert "cannot reach 127.0.0.1" in str(info.value)
    assert sim.client_secret not in str(info.value)


def test_unreachable_token_endpoint_is_a_network_error(sim: Simulator) -> None:
    base = closed_port_url()
    with (
        Client(
            sim.client_id,
            sim.client_secret,
            base_url=sim.base_url,
            token_url=base + "/t",
            max_retries=1,
            backoff_factor=0,
        ) as client,
        pytest.raises(NetworkError, match="token endpoint") as info,
    ):
        get(client, sim)
    assert sim.client_secret not in str(info.value)
    assert sim.interaction_requests == []


def test_many_workers_never_overflow_the_connection_pool(sim: Simulator, caplog: pytest.LogCaptureFixture) -> None:
    """``max_workers=32`` holds up to 64 responses open (a page and a prefetched page each): none is discarded."""
    held = 70
    caplog.set_level(logging.WARNING, logger="urllib3")
    with Client(**sim.connection) as client:
        url = client.interactions_url(sim.customer_key, sim.project_key)
        client.auth.token()
        with ThreadPoolExecutor(max_workers=held) as threads:
            replies = list(threads.map(lambda _: client.send(url, params(sim), window=WINDOW, page=1), range(held)))
        for reply in replies:
            body_of(reply.response)
        assert all(reply.attempts == 1 for reply in replies)
        adapter = client.session.get_adapter(client.base_url)
        assert isinstance(adapter, HTTPAdapter)
        pool = adapter.poolmanager.connection_from_url(client.base_url)
        assert pool.pool is not None
        assert pool.pool.maxsize - pool.pool.qsize() == 0, "every connection came back"
        opened = pool.num_connections
        assert opened <= held + 1  # never more than were in use at once (+ the token's)
        with ThreadPoolExecutor(max_workers=held) as threads:
            again = list(threads.map(lambda _: client.send(url, params(sim), window=WINDOW, page=1), range(held)))
        for reply in again:
            body_of(reply.response)
        assert pool.num_connections <= opened + 2, "the second burst reused the kept connections"
    assert "Connection pool is full" not in caplog.text
