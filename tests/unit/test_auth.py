"""TokenSource caching, early refresh, redaction, and the Client's configuration rules (no network)."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import pickle
import threading
import traceback
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qs

import pytest
import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ReadTimeoutError
from urllib3.response import HTTPResponse

from digitalcx_frames._http.auth import DEFAULT_TOKEN_URL, RESOURCE, TokenSource
from digitalcx_frames._http.transport import DEFAULT_BASE_URL, POOL_MAXSIZE, Client, _Retry
from digitalcx_frames.errors import (
    AuthenticationError,
    ConfigurationError,
    InvalidRequestError,
    NetworkError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
)

SECRET = "very-secret-value-42"
TOKEN = "eyJ.token-value-99"
TOKEN_URL = "https://login.example.com/tenant/oauth2/token"

Handler = Callable[[requests.PreparedRequest], tuple[int, Mapping[str, str], bytes]]


class FakeAdapter(HTTPAdapter):
    """An in-memory transport: ``handler(request) -> (status, headers, body)``, or an exception."""

    def __init__(self, handler: Handler) -> None:
        super().__init__()
        self.handler = handler
        self.requests: list[requests.PreparedRequest] = []

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        self.requests.append(request)
        status, headers, body = self.handler(request)
        raw = HTTPResponse(
            body=io.BytesIO(body),
            headers={"Content-Length": str(len(body)), **headers},
            status=status,
            preload_content=False,
            decode_content=False,
        )
        return self.build_response(request, raw)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def token_reply(value: str = TOKEN, expires_in: object = "86399") -> tuple[int, Mapping[str, str], bytes]:
    body = {"token_type": "Bearer", "access_token": value, "expires_in": expires_in}
    return 200, {"Content-Type": "application/json"}, json.dumps(body).encode()


def session_with(handler: Handler) -> tuple[requests.Session, FakeAdapter]:
    session = requests.Session()
    adapter = FakeAdapter(handler)
    session.mount("https://", adapter)
    return session, adapter


@pytest.fixture
def clock() -> Clock:
    return Clock()


def make_source(handler: Handler, clock: Clock, **kwargs: Any) -> tuple[TokenSource, FakeAdapter]:
    session, adapter = session_with(handler)
    return TokenSource("cid", SECRET, TOKEN_URL, session=session, clock=clock, **kwargs), adapter


# -- token caching and refresh -----------------------------------------------------------


def test_token_is_fetched_lazily_once_with_the_v1_form(clock: Clock) -> None:
    source, adapter = make_source(lambda r: token_reply(), clock)
    assert adapter.requests == []
    assert source.token() == TOKEN
    assert source.authorization() == f"Bearer {TOKEN}"
    assert len(adapter.requests) == 1
    sent = adapter.requests[0]
    assert sent.method == "POST"
    assert sent.url == TOKEN_URL
    assert isinstance(sent.body, str)
    form = {key: values[0] for key, values in parse_qs(sent.body).items()}
    assert form == {
        "grant_type": "client_credentials",
        "client_id": "cid",
        "client_secret": SECRET,
        "resource": RESOURCE,
    }


@pytest.mark.parametrize("expires_in", ["86399", 86399, 86399.0, " 86399 "])
def test_expires_in_as_string_or_number(clock: Clock, expires_in: object) -> None:
    source, adapter = make_source(lambda r: token_reply(expires_in=expires_in), clock, read_timeout=600.0, margin=60.0)
    source.token()
    clock.now = 86399 - 661  # more than the 660 s lead left: cached
    source.token()
    assert len(adapter.requests) == 1
    clock.now = 86399 - 659  # less than the lead left: fetched again before use
    source.token()
    assert len(adapter.requests) == 2


def test_short_lived_token_lead_is_capped_at_half_its_life(clock: Clock) -> None:
    source, adapter = make_source(lambda r: token_reply(expires_in="600"), clock, read_timeout=600.0, margin=60.0)
    assert source.refresh_lead(600.0) == 300.0
    assert source.refresh_lead(86399.0) == 660.0
    source.token()
    clock.now = 299.0
    source.token()
    assert len(adapter.requests) == 1, "a short-lived token must still be used"
    clock.now = 301.0
    source.token()
    assert len(adapter.requests) == 2


def test_missing_expires_in_falls_back_to_an_hour(clock: Clock) -> None:
    source, adapter = make_source(lambda r: token_reply(expires_in=None), clock, read_timeout=10.0, margin=0.0)
    source.token()
    clock.now = 3589.0
    source.token()
    clock.now = 3591.0
    source.token()
    assert len(adapter.requests) == 2


def test_invalidate_drops_only_the_refused_token(clock: Clock) -> None:
    values = iter(["first", "second", "third"])
    source, adapter = make_source(lambda r: token_reply(next(values)), clock)
    assert source.token() == "first"
    source.invalidate("Bearer stale-one")  # another thread's old token: keep ours
    assert source.token() == "first"
    source.invalidate("Bearer first")
    assert source.token() == "second"
    source.invalidate()
    assert source.token() == "third"
    assert len(adapter.requests) == 3


def test_concurrent_first_use_fetches_once(clock: Clock) -> None:
    threads_n = 8
    # Without the lock every thread would reach the endpoint and pass this barrier together;
    # with it, the one fetching thread waits out the short timeout alone.
    gate = threading.Barrier(threads_n, timeout=0.2)

    def handler(request: requests.PreparedRequest) -> tuple[int, Mapping[str, str], bytes]:
        with contextlib.suppress(threading.BrokenBarrierError):
            gate.wait()
        return token_reply()

    source, adapter = make_source(handler, clock)
    start = threading.Barrier(threads_n)
    seen: list[str] = []

    def use() -> None:
        start.wait()
        seen.append(source.token())

    threads = [threading.Thread(target=use) for _ in range(threads_n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == [TOKEN] * threads_n
    assert len(adapter.requests) == 1


# -- failures and redaction ---------------------------------------------------------------


def test_refusal_carries_the_first_line_of_error_description(clock: Clock) -> None:
    description = f"AADSTS7000215: Invalid client secret provided.\r\nTrace ID: 1234\r\nsecret was {SECRET}"
    body = json.dumps({"error": "invalid_client", "error_description": description}).encode()
    source, _ = make_source(lambda r: (401, {"Content-Type": "application/json"}, body), clock)
    with pytest.raises(AuthenticationError) as info:
        source.token()
    assert info.value.status_code == 401
    assert info.value.message == "AADSTS7000215: Invalid client secret provided"
    assert "provided. Check DIGITALCX_CLIENT_ID" in str(info.value)
    assert ".." not in str(info.value)
    assert "Trace ID" not in str(info.value)
    assert SECRET not in str(info.value)


def test_secret_echoed_in_first_line_is_redacted(clock: Clock) -> None:
    body = json.dumps({"error_description": f"bad secret {SECRET}"}).encode()
    source, _ = make_source(lambda r: (400, {}, body), clock)
    with pytest.raises(AuthenticationError) as info:
        source.token()
    assert SECRET not in str(info.value)
    assert "bad secret ***" in str(info.value)


@pytest.mark.parametrize(("status", "kind"), [(500, ServerError), (503, ServerError), (429, RateLimitError)])
def test_token_endpoint_server_error_names_the_token_endpoint(clock: Clock, status: int, kind: type[Exception]) -> None:
    """Still a ServerError (transient: the archive goes on), but not worded as the Analytics API's."""
    source, _ = make_source(lambda r: (status, {}, b"<html>down</html>"), clock)
    with pytest.raises(kind) as info:
        source.token()
    assert getattr(info.value, "status_code", None) == status
    assert f"HTTP {status} from the token endpoint" in str(info.value)
    assert "Analytics API" not in str(info.value)
    assert pickle.loads(pickle.dumps(info.value)).args == info.value.args


@pytest.mark.parametrize(
    "value",
    [
        f"{TOKEN}\r\nX-Injected: 1",
        f"{TOKEN}\n",
        f"{TOKEN} with space",
        f"{TOKEN}\u20ac",  # not Latin-1
        f"{TOKEN}\u00e9",  # Latin-1, not ASCII
        f"{TOKEN}\x00",
    ],
)
def test_a_token_that_is_no_header_value_is_an_authentication_error_without_its_text(clock: Clock, value: str) -> None:
    def handler(request: requests.PreparedRequest) -> tuple[int, Mapping[str, str], bytes]:
        if request.method == "POST":
            return token_reply(value)
        return 200, {}, b"LogId\n"

    session, adapter = session_with(handler)
    with (
        Client("cid", SECRET, base_url="https://api.example.com", token_url=TOKEN_URL, session=session) as client,
        pytest.raises(AuthenticationError) as info,
    ):
        client.send(client.interactions_url("c", "p"), {"culture": "nl"}, window="w", page=1)
    text = "".join(traceback.format_exception(info.value))
    assert TOKEN not in text
    assert "cannot be sent in an HTTP header" in str(info.value)
    assert [r.method for r in adapter.requests] == ["POST"], "no data request with a broken header"


def test_a_token_type_that_is_no_header_value_is_refused(clock: Clock) -> None:
    body = json.dumps({"token_type": "Bearer\r\nX: 1", "access_token": TOKEN, "expires_in": "60"}).encode()
    source, _ = make_source(lambda r: (200, {}, body), clock)
    with pytest.raises(AuthenticationError, match="token_type"):
        source.authorization()


def test_reply_without_access_token_is_refused(clock: Clock) -> None:
    source, _ = make_source(lambda r: (200, {}, b"<html>login page</html>"), clock)
    with pytest.raises(AuthenticationError, match="without an access_token"):
        source.token()


def test_unreachable_token_endpoint_is_a_network_error(clock: Clock) -> None:
    def handler(request: requests.PreparedRequest) -> tuple[int, Mapping[str, str], bytes]:
        raise requests.ConnectionError("connection refused")

    source, _ = make_source(handler, clock)
    with pytest.raises(NetworkError) as info:
        source.token()
    assert "token endpoint" in str(info.value)
    assert SECRET not in str(info.value)


@pytest.mark.parametrize(
    ("given", "environment", "missing"),
    [
        ({}, {}, "DIGITALCX_CLIENT_ID and DIGITALCX_CLIENT_SECRET not set"),
        ({"client_id": "cid"}, {}, "(DIGITALCX_CLIENT_SECRET not set)"),
        ({}, {"DIGITALCX_CLIENT_SECRET": SECRET}, "(DIGITALCX_CLIENT_ID not set)"),
        ({"client_secret": SECRET}, {}, "(DIGITALCX_CLIENT_ID not set)"),
    ],
)
def test_missing_credentials_are_refused_by_the_constructor(
    monkeypatch: pytest.MonkeyPatch, given: dict[str, Any], environment: dict[str, str], missing: str
) -> None:
    """Issue 14 item 3: at ``Client()``, not at the first request (nor at ``collect()``)."""
    monkeypatch.delenv("DIGITALCX_CLIENT_ID", raising=False)
    monkeypatch.delenv("DIGITALCX_CLIENT_SECRET", raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError, match="set DIGITALCX_CLIENT_ID and DIGITALCX_CLIENT_SECRET") as info:
        Client(**given)
    assert missing in str(info.value)
    assert SECRET not in str(info.value)


def test_a_token_source_without_credentials_names_the_environment_variables() -> None:
    with pytest.raises(ConfigurationError, match="DIGITALCX_CLIENT_ID and DIGITALCX_CLIENT_SECRET"):
        TokenSource(None, None, TOKEN_URL).token()


def test_repr_and_logs_never_show_secret_or_token(clock: Clock, caplog: pytest.LogCaptureFixture) -> None:
    def handler(request: requests.PreparedRequest) -> tuple[int, Mapping[str, str], bytes]:
        if request.method == "POST":
            return token_reply()
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return 403, {}, b'{"message":"Missing token or token is incorrect"}'
        return 400, {}, json.dumps({"message": f"bad request, you sent {TOKEN}"}).encode()

    session, _ = session_with(handler)
    caplog.set_level(logging.DEBUG)
    with Client("cid", SECRET, base_url="https://api.example.com", token_url=TOKEN_URL, session=session) as client:
        with pytest.raises(InvalidRequestError) as info:
            client.send(client.interactions_url("c", "p"), {"culture": "nl"}, window="w", page=1)
        texts = [repr(client), repr(client.auth), str(client.auth), str(info.value), repr(info.value), caplog.text]
    assert "bad request, you sent ***" in str(info.value)
    assert "GET /c/projects/p/interactions -> 400" in caplog.text
    for text in texts:
        assert SECRET not in text
        assert TOKEN not in text
    assert repr(client) == "Client(base_url='https://api.example.com', client_id='cid')"


# -- the Client's configuration -----------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8080", "http://127.1.2.3", "http://localhost:9000/", "http://[::1]:8080", "https://x.example"],
)
def test_https_or_loopback_http_is_accepted(url: str) -> None:
    with Client("a", "b", base_url=url, token_url=url + "/t") as client:
        assert client.base_url == url.rstrip("/")


@pytest.mark.parametrize("url", ["http://analytics.digitalcx.com", "http://10.0.0.1", "ftp://127.0.0.1", "127.0.0.1"])
@pytest.mark.parametrize("which", ["base_url", "token_url"])
def test_plain_http_elsewhere_is_refused(url: str, which: str) -> None:
    options: dict[str, Any] = {which: url}
    with pytest.raises(ConfigurationError, match="https://"):
        Client("a", "b", **options)


def test_environment_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIGITALCX_CLIENT_ID", "env-id")
    monkeypatch.setenv("DIGITALCX_CLIENT_SECRET", "env-secret")
    monkeypatch.setenv("DIGITALCX_BASE_URL", "http://127.0.0.1:1234/")
    monkeypatch.setenv("DIGITALCX_TOKEN_URL", "http://127.0.0.1:1234/t/oauth2/token")
    with Client() as client:
        assert (client.client_id, client.base_url, client.token_url) == (
            "env-id",
            "http://127.0.0.1:1234",
            "http://127.0.0.1:1234/t/oauth2/token",
        )
        assert "env-secret" not in repr(client)
    with Client("arg-id", "arg-secret", base_url="https://b.example") as client:
        assert (client.client_id, client.base_url) == ("arg-id", "https://b.example")


def test_vendor_endpoints_are_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DIGITALCX_BASE_URL", raising=False)
    monkeypatch.delenv("DIGITALCX_TOKEN_URL", raising=False)
    with Client("a", "b") as client:
        assert client.base_url == DEFAULT_BASE_URL == "https://analytics.digitalcx.com"
        assert client.token_url == DEFAULT_TOKEN_URL


@pytest.mark.parametrize(
    ("customer", "project", "path"),
    [
        ("acme", "web", "/acme/projects/web/interactions"),
        ("../admin", "x/y", "/..%2Fadmin/projects/x%2Fy/interactions"),
        ("a?b=1", "c#d", "/a%3Fb%3D1/projects/c%23d/interactions"),
        ("é €", "%2F", "/%C3%A9%20%E2%82%AC/projects/%252F/interactions"),
    ],
)
def test_interactions_url_keeps_keys_in_their_segment(customer: str, project: str, path: str) -> None:
    with Client("a", "b", base_url="https://api.example.com/") as client:
        assert client.interactions_url(customer, project) == "https://api.example.com" + path


def test_retry_configuration() -> None:
    slept: list[float] = []
    with Client("a", "b", max_retries=3, backoff_factor=0.0, retry_after_max=5.0, sleep=slept.append) as client:
        adapter = client.session.get_adapter("https://analytics.digitalcx.com/")
        assert isinstance(adapter, HTTPAdapter)
        assert adapter._pool_maxsize >= 16 == POOL_MAXSIZE // 2  # type: ignore[attr-defined]
        retry = adapter.max_retries
        assert isinstance(retry, _Retry)
        assert retry.total == 3
        assert set(retry.status_forcelist) == {429, 500, 502, 503}
        assert retry.allowed_methods is not None
        assert {"GET", "POST"} <= set(retry.allowed_methods)
        assert retry.raise_on_status is False
        for status in (408, 504):
            assert not retry.is_retry("GET", status)
        with pytest.raises(ReadTimeoutError):
            retry.increment("GET", "/x", error=ReadTimeoutError(None, "/x", "read timed out"))  # type: ignore[arg-type]
        # Retry-After is honoured up to retry_after_max, through the injected sleep.
        later = retry.increment("GET", "/x", response=HTTPResponse(status=429, headers={"Retry-After": "120"}))
        later.sleep(HTTPResponse(status=429, headers={"Retry-After": "120"}))
        later.sleep(HTTPResponse(status=503, headers={"Retry-After": "2"}))
        assert slept == [5.0, 2.0]


def test_error_statuses_map_to_the_error_tree() -> None:
    replies = {
        "/bad": (400, b'{"message":"End date cannot be earlier than start date."}'),
        "/forbidden": (403, b'{"message":"Forbidden"}'),
        "/html": (404, b"<html><body>Not   found\n</body></html>"),
    }

    def handler(request: requests.PreparedRequest) -> tuple[int, Mapping[str, str], bytes]:
        if request.method == "POST":
            return token_reply()
        assert request.path_url is not None
        status, body = replies[request.path_url]
        return status, {}, body

    session, _ = session_with(handler)
    with Client("cid", SECRET, base_url="https://api.example.com", token_url=TOKEN_URL, session=session) as client:
        with pytest.raises(InvalidRequestError) as bad:
            client.send("https://api.example.com/bad", {}, window="W", page=3)
        with pytest.raises(PermissionDeniedError):
            client.send("https://api.example.com/forbidden", {}, window="W", page=1)
        with pytest.raises(Exception, match="HTTP 404") as html:
            client.send("https://api.example.com/html", {}, window="W", page=1)
    assert bad.value.message == "End date cannot be earlier than start date."
    assert (bad.value.window, bad.value.page, bad.value.attempts) == ("W", 3, 1)
    assert "Not found" in str(html.value)
