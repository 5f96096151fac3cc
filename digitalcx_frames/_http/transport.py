"""One GET against the Analytics API: a response, or an error of the library's tree.

:class:`Client` owns a :class:`requests.Session` whose adapter retries 429/500/502/503
and connection failures with urllib3's :class:`~urllib3.util.Retry` (honouring
``Retry-After``, capped, with exponential backoff and jitter). A read timeout, 408 and 504
are *not* retried here: they raise :class:`WindowTimeoutError` so that the fetch loop can
split the window. Each response also has an overall deadline (a watchdog makes the first
read after it time out), so a server that drips a byte at a time cannot hold a request;
every attempt is counted where urllib3 makes it, so errors say how many requests were
sent. A refused token (401, or 403 "Missing token or token is incorrect") is dropped,
fetched again and the request retried once.

Examples
--------
>>> client = Client("my-client", "s3cret", base_url="http://127.0.0.1:8080")
>>> client
Client(base_url='http://127.0.0.1:8080', client_id='my-client')
>>> client.interactions_url("acme/../x", "web?#1")
'http://127.0.0.1:8080/acme%2F..%2Fx/projects/web%3F%231/interactions'
>>> client.close()
"""

from __future__ import annotations

import contextlib
import functools
import heapq
import itertools
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self
from urllib.parse import quote, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import ConnectionPool, HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import MaxRetryError, ReadTimeoutError
from urllib3.poolmanager import PoolManager
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry

from digitalcx_frames._http.auth import (
    DEFAULT_TOKEN_URL,
    ENV_CLIENT_ID,
    ENV_CLIENT_SECRET,
    TokenSource,
    check_url,
)
from digitalcx_frames.errors import (
    APIError,
    AuthenticationError,
    ConfigurationError,
    InvalidRequestError,
    NetworkError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    WindowTimeoutError,
)

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_DEADLINE",
    "DEFAULT_TIMEOUT",
    "ENV_BASE_URL",
    "ENV_TOKEN_URL",
    "RETRY_STATUSES",
    "Client",
    "Reply",
]

DEFAULT_BASE_URL = "https://analytics.digitalcx.com"
ENV_BASE_URL = "DIGITALCX_BASE_URL"
ENV_TOKEN_URL = "DIGITALCX_TOKEN_URL"
RETRY_STATUSES = frozenset({429, 500, 502, 503})
TOKEN_REFUSED = "missing token or token is incorrect"
POOL_MAXSIZE = 32  # the starting size; the pool grows to the peak number of connections in use
DEFAULT_TIMEOUT: tuple[float, float] = (10.0, 60.0)
"""``(connect, read)`` seconds: the read timeout is the longest silence between two reads."""
DEFAULT_DEADLINE = 180.0
"""Seconds one response may take in all, from sending the request to its last byte."""
_EXPIRED = 1e-3  # the socket timeout that makes the next read of an expired response fail at once
_ERROR_BODY_LIMIT = 64 * 1024
_EXCERPT = 200

log = logging.getLogger(__name__)


class _Retry(Retry):
    """urllib3 ``Retry`` that never retries a read timeout and sleeps through an injectable function.

    A read timeout means the window is too big for the service: the caller splits it.
    """

    def __init__(self, *args: Any, sleep: Callable[[float], None] = time.sleep, cap: float = 60.0, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self._sleep_fn = sleep
        self._cap = cap

    def new(self, **kw: Any) -> Self:
        retry = super().new(**kw)
        retry._sleep_fn = self._sleep_fn
        retry._cap = self._cap
        return retry

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: BaseHTTPResponse | None = None,
        error: Exception | None = None,
        _pool: ConnectionPool | None = None,
        _stacktrace: TracebackType | None = None,
    ) -> Self:
        if isinstance(error, ReadTimeoutError):
            raise error.with_traceback(_stacktrace)
        return super().increment(method, url, response, error, _pool, _stacktrace)

    def sleep(self, response: BaseHTTPResponse | None = None) -> None:
        if self.respect_retry_after_header and response is not None:
            retry_after = self.get_retry_after(response)
            if retry_after is not None:
                wait = min(retry_after, self._cap)
                log.debug("HTTP %s: waiting %.1f s as Retry-After asks", response.status, wait)
                if wait > 0:
                    self._sleep_fn(wait)
                return
        backoff = self.get_backoff_time()
        if backoff > 0:
            self._sleep_fn(backoff)


# -- the overall deadline of a response, and the attempts behind it -----------------------


class _Watch:
    """The deadline of one attempt on one connection; :meth:`expire` makes its next read time out."""

    __slots__ = ("conn", "done", "expired")

    def __init__(self, conn: _WatchedConnection) -> None:
        self.conn = conn
        self.done = False
        self.expired = False

    def expire(self) -> None:
        """Called by the watchdog at the deadline: shrink the socket's timeout so the next read fails.

        A read already waiting ends as it would have (data, or the read timeout); the read
        after it raises a read timeout at once. So a response takes at most the deadline
        plus one read timeout, however slowly the server drips.
        """
        conn = self.conn
        if self.done or conn.watch is not self:
            return
        self.expired = True
        conn.timeout = _EXPIRED
        sock = conn.sock
        if sock is not None:
            with contextlib.suppress(OSError):  # closed meanwhile
                sock.settimeout(_EXPIRED)


class _Watchdog:
    """One daemon thread that expires watches at their deadline (a heap; no thread per request)."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, _Watch]] = []
        self._order = itertools.count()
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None

    def watch(self, conn: _WatchedConnection, seconds: float) -> _Watch:
        watch = _Watch(conn)
        with self._wake:
            heapq.heappush(self._heap, (time.monotonic() + seconds, next(self._order), watch))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="digitalcx-deadlines", daemon=True)
                self._thread.start()
            self._wake.notify()
        return watch

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._heap:
                    self._wake.wait()
                due, _, watch = self._heap[0]
                wait = due - time.monotonic()
                if wait > 0:
                    self._wake.wait(wait)
                    continue
                heapq.heappop(self._heap)
            watch.expire()


_WATCHDOG = _Watchdog()


class _Scope(threading.local):
    """Per thread: whether a counted request is being sent, its deadline and its attempts so far."""

    active: bool = False
    deadline: float | None = None
    attempts: int = 0
    watch: _Watch | None = None


_scope = _Scope()


@contextmanager
def _attempt_scope(deadline: float | None) -> Iterator[_Scope]:
    """Count (and, with a deadline, watch) every attempt the thread's next send makes."""
    outer = (_scope.active, _scope.deadline, _scope.attempts, _scope.watch)
    _scope.active, _scope.deadline, _scope.attempts, _scope.watch = True, deadline, 0, None
    try:
        yield _scope
    finally:
        _scope.active, _scope.deadline, _scope.attempts, _scope.watch = outer


class _WatchedConnection(HTTPConnection):
    """An urllib3 connection that carries the deadline watch of the attempt it serves."""

    watch: _Watch | None = None

    def getresponse(self) -> Any:
        if self.watch is not None and self.watch.expired:
            self.timeout = _EXPIRED  # expired while the request was being sent
        return super().getresponse()


class _WatchedHTTPSConnection(HTTPSConnection, _WatchedConnection):
    """The https flavour of :class:`_WatchedConnection`."""


def _arm(conn: Any) -> None:
    """Count one attempt and, inside a scope with a deadline, watch ``conn`` for it."""
    if not _scope.active or not isinstance(conn, _WatchedConnection):
        return
    _scope.attempts += 1
    if _scope.deadline is None:
        return
    watch = _WATCHDOG.watch(conn, _scope.deadline)
    conn.watch = watch
    _scope.watch = watch


def _release(pool: HTTPConnectionPool, conn: Any) -> None:
    """Stop watching ``conn`` and put it back; a full pool grows instead of discarding it.

    urllib3 closes a connection that comes back to a full pool and logs "Connection pool is
    full"; with ``max_workers`` windows each holding a page and a prefetched page, more
    connections are in use at once than any fixed size. Growing under the queue's own lock
    (what ``Queue.put`` does, without its ``Full``) keeps exactly the peak number in use.
    """
    if isinstance(conn, _WatchedConnection) and conn.watch is not None:
        conn.watch.done = True
        conn.watch = None
    queue = pool.pool
    if queue is None:  # the pool was closed meanwhile
        if conn is not None:
            conn.close()
        return
    with queue.mutex:
        if queue.maxsize > 0 and queue._qsize() >= queue.maxsize:
            queue.maxsize = queue._qsize() + 1
        queue._put(conn)
        queue.unfinished_tasks += 1
        queue.not_empty.notify()


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedConnection

    def _make_request(self, conn: Any, *args: Any, **kw: Any) -> Any:
        _arm(conn)
        return super()._make_request(conn, *args, **kw)

    def _put_conn(self, conn: Any) -> None:
        _release(self, conn)


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection

    def _make_request(self, conn: Any, *args: Any, **kw: Any) -> Any:
        _arm(conn)
        return super()._make_request(conn, *args, **kw)

    def _put_conn(self, conn: Any) -> None:
        _release(self, conn)


class _Adapter(HTTPAdapter):
    """requests' adapter on pools whose connections carry a deadline and count attempts."""

    def init_poolmanager(self, *args: Any, **kw: Any) -> None:
        super().init_poolmanager(*args, **kw)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if isinstance(manager, PoolManager):
            manager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}
        return manager


@dataclass(frozen=True, slots=True)
class Reply:
    """A 200/204 response and how many requests it took (retries and token refreshes included).

    Examples
    --------
    >>> Reply(requests.Response(), attempts=2).attempts
    2
    """

    response: requests.Response
    attempts: int


def _history_attempts(response: requests.Response) -> int:
    """Tries behind ``response`` as urllib3's retry history tells them (one per retry, plus one)."""
    retries = getattr(response.raw, "retries", None)
    history = getattr(retries, "history", ())
    return len(history) + 1


class Client:
    """Credentials, endpoints and a pooled, retrying HTTP session for the Analytics API.

    Parameters
    ----------
    client_id, client_secret
        Credentials; default to ``DIGITALCX_CLIENT_ID`` / ``DIGITALCX_CLIENT_SECRET``.
        Without both, the constructor raises :class:`ConfigurationError` naming those
        variables (building a client never touches the network).
    base_url, token_url
        Endpoints; default to ``DIGITALCX_BASE_URL`` / ``DIGITALCX_TOKEN_URL``, else the
        vendor's. https only, except plain http on loopback (the simulator).
    timeout
        ``(connect, read)`` seconds, or one number for both (default ``(10, 60)``). The
        read timeout is the longest silence allowed between two reads of a response.
    deadline
        Seconds one response may take in all, from sending the request to its last
        byte (default 180), so that a server dripping a byte at a time cannot hold a
        request: the read after the deadline fails as a read timeout. ``None``: no
        deadline. A request that times out (408, 504, read timeout or deadline) is not
        retried here; the read splits its window in halves, down to 15 minutes, so a day
        whose every request hangs costs at most 7 requests of at most ``connect +
        deadline + read`` seconds each (about 29 minutes with the defaults; a silent
        server about 8 minutes).
    max_retries
        Retries after the first try for 429, 500, 502, 503 and connection failures.
    backoff_factor
        Exponential backoff base in seconds between retries (plus up to 1 s of jitter
        when positive).
    retry_after_max
        The longest ``Retry-After`` wait honoured, in seconds.
    session
        A :class:`requests.Session` to use as is (its adapters, its retries); it is not
        closed by :meth:`close`. By default the client builds and owns one.
    clock
        Monotonic seconds for token expiry (tests inject one).
    sleep
        The function that waits between retries (tests inject one that records).

    Examples
    --------
    Credentials come from the arguments or from ``DIGITALCX_CLIENT_ID`` and
    ``DIGITALCX_CLIENT_SECRET``; the repr never shows the secret or a token:

    >>> import digitalcx_frames as dcx
    >>> from digitalcx_frames.simulator import Simulator
    >>> with Simulator(rows_per_day=10) as sim, dcx.Client(**sim.connection, max_retries=2) as client:
    ...     sim.client_secret in repr(client), client.base_url == sim.base_url
    (False, True)
    >>> dcx.Client(client_id="x", client_secret="y", base_url="http://example.com")
    Traceback (most recent call last):
    ...
    digitalcx_frames.errors.ConfigurationError: ...
    """

    def __init__(
        self,
        client_id: str | None = None,
        client_secret: str | None = None,
        *,
        base_url: str | None = None,
        token_url: str | None = None,
        timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
        deadline: float | None = DEFAULT_DEADLINE,
        max_retries: int = 5,
        backoff_factor: float = 0.5,
        retry_after_max: float = 60.0,
        session: requests.Session | None = None,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.base_url = check_url(base_url or os.environ.get(ENV_BASE_URL) or DEFAULT_BASE_URL, what="base URL")
        resolved_token_url = check_url(
            token_url or os.environ.get(ENV_TOKEN_URL) or DEFAULT_TOKEN_URL, what="token URL"
        )
        self.client_id = client_id or os.environ.get(ENV_CLIENT_ID) or None
        secret = client_secret or os.environ.get(ENV_CLIENT_SECRET) or None
        if self.client_id is None or secret is None:
            missing = [
                name for name, value in ((ENV_CLIENT_ID, self.client_id), (ENV_CLIENT_SECRET, secret)) if not value
            ]
            raise ConfigurationError(
                f"No DigitalCX credentials ({' and '.join(missing)} not set): pass client_id and client_secret, "
                f"or set {ENV_CLIENT_ID} and {ENV_CLIENT_SECRET}."
            )
        self.timeout: tuple[float, float] = _timeouts(timeout)
        self.deadline = None if deadline is None else _seconds(deadline, "deadline")
        self.max_retries = max_retries
        self._own_session = session is None
        if session is None:
            session = requests.Session()
            retry = _Retry(
                total=max_retries,
                connect=None,
                read=None,
                status=None,
                other=0,
                status_forcelist=RETRY_STATUSES,
                allowed_methods=frozenset({"GET", "POST"}),
                backoff_factor=backoff_factor,
                backoff_jitter=1.0 if backoff_factor > 0 else 0.0,
                backoff_max=max(retry_after_max, backoff_factor),
                raise_on_status=False,
                respect_retry_after_header=True,
                sleep=sleep if sleep is not None else time.sleep,
                cap=retry_after_max,
            )
            adapter = _Adapter(pool_connections=4, pool_maxsize=POOL_MAXSIZE, max_retries=retry)
            session.mount("https://", adapter)
            session.mount("http://", adapter)
        self.session = session
        self.auth = TokenSource(
            self.client_id,
            secret,
            resolved_token_url,
            session=session,
            timeout=(self.timeout[0], min(self.timeout[1], 60.0)),
            read_timeout=max(self.timeout[1], self.deadline or 0.0),
            clock=clock,
            scope=functools.partial(_attempt_scope, self.deadline),
        )

    @property
    def token_url(self) -> str:
        """The token endpoint."""
        return self.auth.token_url

    def __repr__(self) -> str:
        return f"Client(base_url={self.base_url!r}, client_id={self.client_id!r})"

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Wait for background requests, then close the session (if the client built it)."""
        if self._own_session:
            self.session.close()

    def interactions_url(self, customer_key: str, project_key: str) -> str:
        """The interactions endpoint of one project; both keys percent-encoded as one path segment."""
        return f"{self.base_url}/{quote(customer_key, safe='')}/projects/{quote(project_key, safe='')}/interactions"

    # -- one request -----------------------------------------------------------------------

    def send(
        self,
        url: str,
        params: Mapping[str, str],
        *,
        accept: str = "text/csv",
        window: str,
        page: int,
    ) -> Reply:
        r"""Send one GET; return the streamed 200 or 204 response (body not yet read) and its attempts.

        Parameters
        ----------
        url
            The endpoint, usually from :meth:`interactions_url`.
        params
            Query parameters.
        accept
            ``text/csv`` or ``application/json``.
        window, page
            Where the request belongs; named in errors and logs.

        Returns
        -------
        Reply
            ``reply.response``: close it (or read it to the end); the response deadline
            keeps running while its body is read. ``reply.attempts``: how many requests it
            took (urllib3's retries and a token refresh included).

        Raises
        ------
        InvalidRequestError, PermissionDeniedError, RateLimitError, ServerError, APIError
            The service answered with an error status (after retries where they apply).
        AuthenticationError
            The token was refused twice, or the token endpoint refused the credentials.
        WindowTimeoutError
            408, 504, no answer within the read timeout or the deadline: split the window.
        NetworkError
            The service could not be reached after every retry.

        Examples
        --------
        >>> from datetime import date
        >>> from digitalcx_frames.simulator import Simulator
        >>> with Simulator(rows_per_day=5, today=date(2026, 11, 20)) as sim, Client(**sim.connection) as client:
        ...     url = client.interactions_url(sim.customer_key, sim.project_key)
        ...     reply = client.send(url, {"culture": "nl", "startDate": "2026-11-19T00:00:00Z",
        ...                               "endDate": "2026-11-20T00:00:00Z"}, window="2026-11-19", page=1)
        ...     with reply.response as response:
        ...         rows = response.raw.read(decode_content=True).count(b"\n") - 1
        ...     reply.response.status_code, reply.attempts, rows
        (200, 1, 5)
        """
        attempts = 0
        refreshed = False
        path = urlsplit(url).path
        while True:
            response, sent = self._send(url, params, accept=accept, window=window, page=page, before=attempts)
            attempts += sent
            status = response.status_code
            log.debug("GET %s -> %d (window %s, page %d, %d attempt(s))", path, status, window, page, attempts)
            if 200 <= status < 300:
                return Reply(response, attempts)
            message = self._message(response)
            token_refused = status == 401 or (status == 403 and TOKEN_REFUSED in message.casefold())
            if token_refused and not refreshed:
                refreshed = True
                used = response.request.headers.get("Authorization") if response.request is not None else None
                log.debug("HTTP %d: the token was refused; fetching a new one and retrying once", status)
                self.auth.invalidate(used)
                continue
            if token_refused:
                raise AuthenticationError(
                    f"the Analytics API refused a freshly fetched token (HTTP {status}: {message}; window {window}, "
                    f"page {page}, after {attempts} attempts)",
                    status_code=status,
                )
            raise self._error(status, message, window=window, page=page, attempts=attempts)

    def _send(
        self, url: str, params: Mapping[str, str], *, accept: str, window: str, page: int, before: int
    ) -> tuple[requests.Response, int]:
        """One GET through urllib3's retries; the response and how many requests it took."""
        session = self.session
        try:
            # The token is fetched (if needed) while preparing, outside the counted scope.
            prepared = session.prepare_request(
                requests.Request("GET", url, params=dict(params), headers={"Accept": accept}, auth=self.auth)
            )
            settings = session.merge_environment_settings(prepared.url, {}, True, None, None)
        except requests.exceptions.InvalidHeader:
            raise AuthenticationError("the token cannot be sent in an HTTP header") from None
        with _attempt_scope(self.deadline) as scope:
            try:
                response = session.send(prepared, timeout=self.timeout, allow_redirects=False, **settings)
            except requests.exceptions.ReadTimeout as exc:
                expired = scope.watch is not None and scope.watch.expired
                reason = (
                    f"no complete answer within the deadline of {self.deadline:g} s"
                    if expired and self.deadline is not None
                    else f"no answer within the read timeout of {self.timeout[1]:g} s"
                )
                raise WindowTimeoutError(
                    reason, status_code=None, window=window, page=page, attempts=before + max(scope.attempts, 1)
                ) from exc
            except requests.exceptions.RequestException as exc:
                cause = exc.args[0] if exc.args else exc
                # A session of the caller's own is not counted: then assume every retry was used.
                tries = scope.attempts or (self.max_retries + 1 if isinstance(cause, MaxRetryError) else 1)
                reason = str(cause.reason if isinstance(cause, MaxRetryError) else cause)
                raise NetworkError(
                    self.auth.redact(f"cannot reach {urlsplit(url).netloc} ({type(exc).__name__}: {_short(reason)})"),
                    window=window,
                    page=page,
                    attempts=before + tries,
                ) from exc
            sent = scope.attempts or _history_attempts(response)
        return response, sent

    def _message(self, response: requests.Response) -> str:
        """The server's message: ``{"message": ...}`` or a short excerpt of the body. Closes ``response``."""
        try:
            raw = response.raw.read(_ERROR_BODY_LIMIT, decode_content=True) or b""
        except Exception:  # an unreadable error body must not hide the status
            raw = b""
        finally:
            response.close()
        text = raw.decode("utf-8", errors="replace").lstrip("\ufeff").strip()
        message: object = None
        try:
            reply = json.loads(text)
        except ValueError:
            reply = None
        if isinstance(reply, dict):
            for key, value in reply.items():
                if key.casefold() in {"message", "error_description", "error", "title"} and value:
                    message = value
                    break
        if message is None:
            message = _short(text) if text else response.reason or "no message"
        return self.auth.redact(_short(str(message)))

    @staticmethod
    def _error(status: int, message: str, *, window: str, page: int, attempts: int) -> Exception:
        where: dict[str, Any] = {"window": window, "page": page, "attempts": attempts}
        if status in (408, 504):
            return WindowTimeoutError(f"HTTP {status}: {message}", status_code=status, **where)
        if status == 400:
            return InvalidRequestError(status, message, **where)
        if status == 403:
            return PermissionDeniedError(status, message, **where)
        if status == 429:
            return RateLimitError(status, message, **where)
        if status >= 500:
            return ServerError(status, message, **where)
        return APIError(status, message, **where)


def _seconds(value: object, name: str) -> float:
    """A positive, finite number of seconds, or :class:`ConfigurationError`."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < float(value) < float("inf"):
        raise ConfigurationError(f"{name} must be a positive number of seconds, got {value!r}")
    return float(value)


def _timeouts(timeout: object) -> tuple[float, float]:
    """``(connect, read)`` from one number or a pair."""
    if isinstance(timeout, tuple) and len(timeout) == 2:
        return _seconds(timeout[0], "timeout (connect)"), _seconds(timeout[1], "timeout (read)")
    seconds = _seconds(timeout, "timeout")
    return seconds, seconds


def _short(text: str) -> str:
    """One line of at most 200 characters."""
    line = " ".join(text.split())
    return line if len(line) <= _EXCERPT else line[: _EXCERPT - 1] + "…"
