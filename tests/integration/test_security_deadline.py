"""No server can hold a request forever, and errors count attempts truthfully (issue 12, item 4).

requests' read timeout applies per socket read: a server that drips a byte now and then
never trips it. ``Client(deadline=...)`` gives each response an overall deadline (headers
and body); the tests use a deadline of a fraction of a second against a tiny scripted
loopback server that drips a byte every 20 ms, so nothing sleeps for long.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from urllib3.exceptions import ReadTimeoutError

import digitalcx_frames as dcx
from digitalcx_frames._http.pages import iter_pages
from digitalcx_frames._http.transport import DEFAULT_DEADLINE, DEFAULT_TIMEOUT, Client
from digitalcx_frames.errors import WindowTimeoutError

DRIP = 0.02  # seconds between two bytes
DEADLINE = 0.4
TOKEN = json.dumps({"token_type": "Bearer", "access_token": "tok-1", "expires_in": "3600"}).encode()

Script = Callable[[socket.socket, int], None]
"""Answers one data request on its connection; the int is the 1-based request number."""


def _token_reply(conn: socket.socket) -> None:
    conn.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
        + str(len(TOKEN)).encode()
        + b"\r\nConnection: close\r\n\r\n"
        + TOKEN
    )


def drip(conn: socket.socket, data: bytes, stop: threading.Event) -> None:
    for byte in data:
        if stop.is_set():
            return
        conn.sendall(bytes([byte]))
        time.sleep(DRIP)


class Scripted:
    """A loopback HTTP/1.1 server: token requests get a token, data requests follow ``script``."""

    def __init__(self, script: Script, token: Callable[[socket.socket], None] | None = None) -> None:
        self.script = script
        self.token = token or _token_reply
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.data_requests = 0
        self.stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            try:
                head = b""
                while b"\r\n\r\n" not in head:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    head += chunk
                if head.startswith(b"POST"):
                    length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
                    body = head.split(b"\r\n\r\n", 1)[1]
                    while len(body) < length:
                        body += conn.recv(65536)
                    self.token(conn)
                    return
                with self._lock:
                    self.data_requests += 1
                    number = self.data_requests
                self.script(conn, number)
            except OSError:
                return

    def close(self) -> None:
        self.stop.set()
        self.listener.close()


@pytest.fixture
def serve() -> Iterator[Callable[..., Scripted]]:
    servers: list[Scripted] = []

    def start(script: Script, token: Callable[[socket.socket], None] | None = None) -> Scripted:
        server = Scripted(script, token)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


def client_for(server: Scripted, **options: object) -> Client:
    settings: dict[str, object] = {
        "timeout": (2.0, 1.0),
        "deadline": DEADLINE,
        "max_retries": 2,
        "backoff_factor": 0.0,
        "sleep": lambda _s: None,
    }
    settings.update(options)
    return Client("id", "secret", base_url=server.url, token_url=server.url + "/t", **settings)  # type: ignore[arg-type]


def test_headers_dripped_forever_end_at_the_deadline(serve: Callable[..., Scripted]) -> None:
    def script(conn: socket.socket, number: int) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\n")
        drip(conn, b"X-Slow: " + b"a" * 10_000, server.stop)

    server = serve(script)
    with client_for(server) as client:
        began = time.monotonic()
        with pytest.raises(WindowTimeoutError) as info:
            client.send(client.interactions_url("c", "p"), {}, window="w", page=1)
        took = time.monotonic() - began
    assert took < DEADLINE + 0.6, took  # the deadline, plus at most one drip and some slack
    assert info.value.status_code is None
    assert "deadline of 0.4 s" in str(info.value)
    assert (info.value.attempts, server.data_requests) == (1, 1), "a timeout is not retried here"


def test_a_body_dripped_forever_ends_at_the_deadline(serve: Callable[..., Scripted]) -> None:
    def script(conn: socket.socket, number: int) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\nContent-Length: 100000\r\n\r\nLogId\n")
        drip(conn, b"1\n" * 50_000, server.stop)

    server = serve(script)
    with client_for(server) as client:
        began = time.monotonic()
        reply = client.send(client.interactions_url("c", "p"), {}, window="w", page=1)
        with reply.response as response, pytest.raises(ReadTimeoutError):
            response.raw.read(decode_content=True)
        took = time.monotonic() - began
    assert took < DEADLINE + 0.6, took
    assert reply.attempts == 1


def test_the_page_cursor_turns_a_dripped_body_into_a_window_timeout(serve: Callable[..., Scripted]) -> None:
    """The window is then split by the read, like any other timeout."""

    def script(conn: socket.socket, number: int) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\nContent-Length: 100000\r\n\r\nLogId\n")
        drip(conn, b"1\n" * 50_000, server.stop)

    server = serve(script)
    with client_for(server) as client:
        began = time.monotonic()
        with pytest.raises(WindowTimeoutError):
            list(iter_pages(client, client.interactions_url("c", "p"), {}, accept="text/csv", window="w"))
        assert time.monotonic() - began < DEADLINE + 0.6


def test_a_fast_response_is_not_cut_by_the_deadline_of_an_earlier_one(serve: Callable[..., Scripted]) -> None:
    """A deadline belongs to one attempt: a kept-alive connection reused later is not expired."""
    body = b"LogId\n1\n"

    def script(conn: socket.socket, number: int) -> None:
        reply = b"HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\nContent-Length: 8\r\n\r\n" + body
        conn.sendall(reply)
        while True:  # keep-alive: answer every further request on this connection the same way
            request = conn.recv(65536)
            if not request:
                return
            conn.sendall(reply)

    server = serve(script)
    with client_for(server, deadline=0.2) as client:
        for _ in range(3):
            reply = client.send(client.interactions_url("c", "p"), {}, window="w", page=1)
            with reply.response as response:
                assert response.raw.read(decode_content=True) == body
            time.sleep(0.15)  # past the first attempt's deadline, on the same connection


def test_attempts_count_every_request_sent_before_a_timeout(serve: Callable[..., Scripted]) -> None:
    """Two 500s retried by urllib3, then silence: the error says 3 attempts (it said 1)."""

    def script(conn: socket.socket, number: int) -> None:
        if number <= 2:
            conn.sendall(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            return
        server.stop.wait(5)  # silent

    server = serve(script)
    with client_for(server, timeout=(2.0, 0.3), deadline=None) as client, pytest.raises(WindowTimeoutError) as info:
        client.send(client.interactions_url("c", "p"), {}, window="w", page=1)
    assert "read timeout of 0.3 s" in str(info.value)
    assert (info.value.attempts, server.data_requests) == (3, 3)


def test_attempts_of_a_success_after_retries(serve: Callable[..., Scripted]) -> None:
    def script(conn: socket.socket, number: int) -> None:
        if number == 1:
            conn.sendall(b"HTTP/1.1 503 Busy\r\nRetry-After: 0\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            return
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\nLogId\n")

    server = serve(script)
    with client_for(server) as client:
        reply = client.send(client.interactions_url("c", "p"), {}, window="w", page=1)
        reply.response.close()
    assert (reply.attempts, server.data_requests) == (2, 2)


def test_the_defaults_bound_what_a_stuck_request_can_cost() -> None:
    with dcx.Client("id", "secret") as client:
        assert client.timeout == DEFAULT_TIMEOUT == (10.0, 60.0)
        assert client.deadline == DEFAULT_DEADLINE == 180.0
        # A token is never used when it would expire during a response that runs to its deadline.
        assert client.auth.read_timeout >= client.deadline


@pytest.mark.parametrize("option", [{"deadline": 0}, {"deadline": -1.0}, {"timeout": (1.0, float("nan"))}])
def test_nonsense_timeouts_are_refused(option: dict[str, object]) -> None:
    with pytest.raises(dcx.ConfigurationError, match="positive number of seconds"):
        dcx.Client("id", "secret", **option)  # type: ignore[arg-type]


def test_a_token_endpoint_that_drips_ends_at_the_deadline(serve: Callable[..., Scripted]) -> None:
    def token(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{")
        drip(conn, b" " * 5000, server.stop)

    server = serve(lambda conn, number: None, token)
    with client_for(server) as client:
        began = time.monotonic()
        with pytest.raises(dcx.NetworkError, match="token endpoint"):
            client.send(client.interactions_url("c", "p"), {}, window="w", page=1)
        took = time.monotonic() - began
    assert took < DEADLINE + 0.6, took
    assert server.data_requests == 0
