"""iter_pages against the simulator and a tiny scripted server: tokens, 204, cut bodies, prefetch."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from requests.adapters import HTTPAdapter

from digitalcx_frames._http.pages import PREFETCH_THREAD, Page, iter_pages
from digitalcx_frames._http.transport import Client
from digitalcx_frames.errors import APIError, InvalidRequestError, NetworkError
from digitalcx_frames.simulator import Simulator
from tests.conftest import SIM_DAY, SimAPI

WINDOW = "2026-11-19T00:00:00Z/2026-11-20T00:00:00Z"


def params(sim: Simulator, **extra: str) -> dict[str, str]:
    end = SIM_DAY + timedelta(days=1)
    return {
        "culture": sim.culture,
        "startDate": SIM_DAY.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "endDate": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
        **extra,
    }


@pytest.fixture
def client(sim: Simulator) -> Iterator[Client]:
    with Client(
        sim.client_id,
        sim.client_secret,
        base_url=sim.base_url,
        token_url=sim.token_url,
        timeout=(5.0, 5.0),
        max_retries=2,
        backoff_factor=0.0,
    ) as client:
        yield client


def pages_of(client: Client, sim: Simulator, *, prefetch: bool = True, **kwargs: Any) -> list[Page]:
    url = client.interactions_url(sim.customer_key, sim.project_key)
    return list(iter_pages(client, url, params(sim), accept="text/csv", window=WINDOW, prefetch=prefetch, **kwargs))


def rows(body: bytes) -> bytes:
    """A CSV body without its header line."""
    return body.split(b"\n", 1)[1]


def finish_prefetches() -> None:
    """Wait for every request still asking for a page ahead (each runs on a thread of its own)."""
    for thread in threading.enumerate():
        if thread.name.startswith(PREFETCH_THREAD):
            thread.join(10)


def connections_checked_out(client: Client) -> int:
    adapter = client.session.get_adapter(client.base_url)
    assert isinstance(adapter, HTTPAdapter)
    pool = adapter.poolmanager.connection_from_url(client.base_url)
    assert pool.pool is not None
    return int(pool.pool.maxsize - pool.pool.qsize())


# -- against the simulator ------------------------------------------------------------------


@pytest.mark.parametrize("prefetch", [True, False])
def test_pages_reassemble_the_unpaged_body(client: Client, sim: Simulator, sim_api: SimAPI, prefetch: bool) -> None:
    whole = sim_api.get().content
    sim.clear_log()
    pages = pages_of(client, sim, prefetch=prefetch)
    assert [page.number for page in pages] == [1, 2, 3]  # 300 rows, 100 a page
    assert all(page.status == 200 and page.attempts == 1 for page in pages)
    assert [page.continuation_token is None for page in pages] == [False, False, True]
    assert b"".join(rows(page.body) for page in pages) == rows(whole)
    assert all(page.body.split(b"\n", 1)[0] == whole.split(b"\n", 1)[0] for page in pages)
    sent = sim.interaction_requests
    assert len(sent) == 3
    assert all(record.params["paginateData"] == "true" for record in sent)
    assert [record.params.get("continuationToken") for record in sent] == [
        None,
        pages[0].continuation_token,
        pages[1].continuation_token,
    ]
    assert connections_checked_out(client) == 0


def test_empty_window_is_a_204_on_the_first_page(client: Client, sim: Simulator) -> None:
    url = client.interactions_url(sim.customer_key, sim.project_key)
    query = params(sim, filterText="no interaction ever says this")
    assert list(iter_pages(client, url, query, accept="text/csv", window=WINDOW)) == []
    assert [record.status for record in sim.interaction_requests] == [204]


def test_repeated_token_is_an_error_not_a_loop(client: Client, sim: Simulator) -> None:
    url = client.interactions_url(sim.customer_key, sim.project_key)
    pages = iter_pages(client, url, params(sim), accept="text/csv", window=WINDOW, prefetch=False)
    first = next(pages)
    sim.inject("repeat_token")  # page 2 answers with the token that asked for it
    with pytest.raises(APIError, match="continuationToken") as info:
        next(pages)
    assert (info.value.window, info.value.page) == (WINDOW, 2)
    assert len(sim.interaction_requests) == 2
    assert sim.interaction_requests[1].params["continuationToken"] == first.continuation_token


@pytest.mark.parametrize("kind", ["cut", "broken_chunked"])
def test_cut_body_is_asked_for_again(client: Client, sim: Simulator, sim_api: SimAPI, kind: str) -> None:
    whole = sim_api.get().content
    sim.clear_log()
    sim.inject(kind)
    pages = pages_of(client, sim, prefetch=False)
    assert b"".join(rows(page.body) for page in pages) == rows(whole)
    assert [page.attempts for page in pages] == [2, 1, 1]
    sent = sim.interaction_requests
    assert len(sent) == 4
    assert sent[0].params == sent[1].params, "the same page (same token) is asked for again"
    assert sim.fault_counts.get(kind) == 1
    assert connections_checked_out(client) == 0


def test_body_that_keeps_arriving_cut_is_a_network_error(client: Client, sim: Simulator) -> None:
    url = client.interactions_url(sim.customer_key, sim.project_key)
    pages = iter_pages(client, url, params(sim), accept="text/csv", window=WINDOW, prefetch=False, max_body_retries=2)
    first = next(pages)
    sim.inject("cut", count=3)
    with pytest.raises(NetworkError) as info:
        next(pages)
    assert (info.value.window, info.value.page, info.value.attempts) == (WINDOW, 2, 3)
    sent = sim.interaction_requests[1:]
    assert [record.params["continuationToken"] for record in sent] == [first.continuation_token] * 3
    assert connections_checked_out(client) == 0


def test_prefetch_asks_exactly_one_page_ahead(client: Client, sim: Simulator) -> None:
    url = client.interactions_url(sim.customer_key, sim.project_key)
    pages = iter_pages(client, url, params(sim), accept="text/csv", window=WINDOW, prefetch=True)
    first = next(pages)
    assert len(sim.interaction_requests) <= 2
    pages.close()
    finish_prefetches()  # let the prefetched request finish (its response is then closed)
    sent = sim.interaction_requests
    assert len(sent) == 2, "one request ahead, no more"
    assert sent[1].params["continuationToken"] == first.continuation_token
    assert connections_checked_out(client) == 0, "the prefetched response was closed"


def test_without_prefetch_one_request_per_page_taken(client: Client, sim: Simulator) -> None:
    url = client.interactions_url(sim.customer_key, sim.project_key)
    pages = iter_pages(client, url, params(sim), accept="text/csv", window=WINDOW, prefetch=False)
    next(pages)
    assert len(sim.interaction_requests) == 1
    pages.close()
    assert connections_checked_out(client) == 0


def test_concurrent_windows_share_one_token_and_the_pool(client: Client, sim: Simulator) -> None:
    url = client.interactions_url(sim.customer_key, sim.project_key)
    results: list[list[Page]] = []
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def read_window() -> None:
        start.wait()
        try:
            results.append(list(iter_pages(client, url, params(sim), accept="text/csv", window=WINDOW)))
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=read_window) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(results) == 4
    assert all([page.body for page in pages] == [page.body for page in results[0]] for pages in results)
    assert len(sim.token_requests) == 1
    assert len(sim.interaction_requests) == 4 * 3
    assert connections_checked_out(client) == 0


# -- a tiny scripted server: spellings and 204 after a token -----------------------------------


class Script:
    """Replies by continuation token: ``token -> (status, next token or None)``; logs the tokens it gets."""

    def __init__(self, replies: Mapping[str | None, tuple[int, str | None]], header: str) -> None:
        self.replies = replies
        self.header = header
        self.seen: list[str | None] = []
        self.params: list[dict[str, str]] = []


class ScriptHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: ScriptServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._reply(200, json.dumps({"access_token": "t", "token_type": "Bearer", "expires_in": "3599"}).encode())

    def do_GET(self) -> None:
        script = self.server.script
        query = dict(parse_qsl(urlsplit(self.path).query))
        token = query.get("continuationToken")
        script.seen.append(token)
        script.params.append(query)
        status, following = script.replies[token]
        headers = {} if following is None else {script.header: following}
        if status >= 400:
            body = json.dumps({"message": f"refused {token}"}).encode()
        else:
            body = b"" if status == 204 else f"LogId\r\n{len(script.seen)}\r\n".encode()
        self._reply(status, body, headers)

    def _reply(self, status: int, body: bytes, headers: Mapping[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if status != 204:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class ScriptServer(ThreadingHTTPServer):
    daemon_threads = True
    script: Script


@pytest.fixture
def scripted() -> Iterator[tuple[ScriptServer, Client]]:
    server = ScriptServer(("127.0.0.1", 0), ScriptHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        with Client("id", "secret", base_url=base, token_url=base + "/token", max_retries=0) as client:
            yield server, client
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.mark.parametrize("header", ["continuationToken", "ContinuationToken", "CONTINUATIONTOKEN", "continuationtoken"])
@pytest.mark.parametrize("prefetch", [True, False])
def test_any_header_spelling_and_204_after_a_token(
    scripted: tuple[ScriptServer, Client], header: str, prefetch: bool
) -> None:
    server, client = scripted
    server.script = Script({None: (200, "a"), "a": (200, "b"), "b": (204, None)}, header)
    url = client.interactions_url("c", "p")
    pages = list(iter_pages(client, url, {"culture": "nl"}, accept="text/csv", window="w", prefetch=prefetch))
    assert [(page.number, page.body, page.continuation_token) for page in pages] == [
        (1, b"LogId\r\n1\r\n", "a"),
        (2, b"LogId\r\n2\r\n", "b"),
    ]
    assert server.script.seen == [None, "a", "b"]
    assert all(query["paginateData"] == "true" and query["culture"] == "nl" for query in server.script.params)
    assert connections_checked_out(client) == 0


def test_repeated_token_with_prefetch_is_never_sent_again(scripted: tuple[ScriptServer, Client]) -> None:
    server, client = scripted
    server.script = Script({None: (200, "a"), "a": (200, "b"), "b": (200, "a")}, "continuationToken")
    url = client.interactions_url("c", "p")
    pages = iter_pages(client, url, {}, accept="text/csv", window="w", prefetch=True)
    assert [page.number for page in (next(pages), next(pages))] == [1, 2]
    with pytest.raises(APIError, match="already used") as info:
        next(pages)
    assert info.value.page == 3
    finish_prefetches()
    assert server.script.seen == [None, "a", "b"]
    assert connections_checked_out(client) == 0


def test_error_of_the_prefetched_page_surfaces_at_that_page(scripted: tuple[ScriptServer, Client]) -> None:
    server, client = scripted
    server.script = Script({None: (200, "a"), "a": (400, None)}, "continuationToken")
    pages = iter_pages(client, client.interactions_url("c", "p"), {}, accept="text/csv", window="w", prefetch=True)
    first = next(pages)
    assert (first.number, first.body) == (1, b"LogId\r\n1\r\n")
    with pytest.raises(InvalidRequestError) as info:
        next(pages)
    assert (info.value.message, info.value.window, info.value.page) == ("refused a", "w", 2)
    assert connections_checked_out(client) == 0
