"""The host a request goes to is the host that was checked (issue 12, item 2).

``urllib.parse.urlsplit`` and urllib3 (which opens the connections) disagree on some URLs:
``http://evil.example\\@127.0.0.1`` is loopback to one and ``evil.example`` to the other,
so the plain-http-on-loopback rule let the secret go to another host. ``Client(...)`` now
refuses, before any request, every URL the two read differently and every URL with a
backslash, whitespace, a control or non-ASCII character, user information, a query or a
fragment; and the token request never follows a redirect (a 307 would re-send the secret).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

import digitalcx_frames as dcx
from digitalcx_frames.simulator import Simulator

SPLIT_HOSTS = [
    "http://evil.example\\@127.0.0.1",  # urlsplit: 127.0.0.1; urllib3: evil.example
    "http://evil.example\\@127.0.0.1:8080/",
    "https://evil.example\\@analytics.digitalcx.com",  # https, but not the host that was named
    "http://127.0.0.1 .evil.example",
    "http://127.0.0.1\t.evil.example",
    "http://127.0.0.1\n.evil.example/",
    "http://127.0.0.1\r\n.evil.example",
    "http://127.0.0.1\x00.evil.example",
    "http://127.0.0.1\x7f/",
    " http://127.0.0.1:8080",
    "http://127.0.0.1:8080 ",
    "http://\uff11\uff12\uff17.0.0.1",  # full-width digits: another parser's normal form
    "http://127.0.0.1:99999",
    "http://user:pw@127.0.0.1:8080",
    "http://127.0.0.1:8080?next=https://evil.example",
    "http://127.0.0.1:8080/#fragment",
]


@pytest.mark.parametrize("url", SPLIT_HOSTS)
@pytest.mark.parametrize("which", ["base_url", "token_url"])
def test_a_url_the_parsers_could_read_differently_is_refused_by_the_constructor(url: str, which: str) -> None:
    options: dict[str, Any] = {which: url}
    with pytest.raises(dcx.ConfigurationError) as info:
        dcx.Client("id", "the-secret", **options)
    assert "the-secret" not in str(info.value)


@pytest.mark.parametrize("variable", ["DIGITALCX_BASE_URL", "DIGITALCX_TOKEN_URL"])
def test_the_same_urls_from_the_environment_are_refused_before_any_request(
    variable: str, sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DIGITALCX_CLIENT_ID", sim.client_id)
    monkeypatch.setenv("DIGITALCX_CLIENT_SECRET", sim.client_secret)
    monkeypatch.setenv("DIGITALCX_BASE_URL", sim.base_url)
    monkeypatch.setenv("DIGITALCX_TOKEN_URL", sim.token_url)
    port = sim.base_url.rsplit(":", 1)[1]
    monkeypatch.setenv(variable, f"http://evil.example\\@127.0.0.1:{port}")
    with pytest.raises(dcx.ConfigurationError, match="backslash"):
        dcx.Client()
    assert sim.log == []


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080",
        "http://LOCALHOST:9/",
        "http://[::1]:8080",
        "https://x.example/base/",
        "https://x.example:8443",
    ],
)
def test_ordinary_urls_are_kept(url: str) -> None:
    with dcx.Client("id", "secret", base_url=url, token_url=url.rstrip("/") + "/t") as client:
        assert client.base_url == url.rstrip("/")


class _Recorder(BaseHTTPRequestHandler):
    """Answers every request with the server's scripted status and records what it received."""

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        server = self.server
        assert isinstance(server, _Server)
        server.received.append(body)
        self.send_response(server.status)
        for name, value in server.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, status: int, headers: dict[str, str]) -> None:
        super().__init__(("127.0.0.1", 0), _Recorder)
        self.status = status
        self.headers = headers
        self.received: list[bytes] = []
        self.url = f"http://127.0.0.1:{self.server_address[1]}"


def _serve(status: int, headers: dict[str, str]) -> Iterator[_Server]:
    server = _Server(status, headers)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def elsewhere() -> Iterator[_Server]:
    """The host a redirect points at: it must never receive anything."""
    yield from _serve(200, {})


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_the_token_request_does_not_follow_a_redirect(status: int, elsewhere: _Server) -> None:
    for redirector in _serve(status, {"Location": elsewhere.url + "/steal"}):
        with dcx.Client("id", "the-secret", base_url=redirector.url, token_url=redirector.url + "/t") as client:
            with pytest.raises(dcx.AuthenticationError, match="redirect") as info:
                client.auth.token()
            assert "the-secret" not in str(info.value)
        assert len(redirector.received) == 1
    assert elsewhere.received == []
