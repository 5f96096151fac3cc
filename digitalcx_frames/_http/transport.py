"""One GET against the Analytics API: a response, or an error of the library's tree.

:class:`Client` owns a :class:`requests.Session` whose adapter retries 429/500/502/503
and connection failures with urllib3's :class:`~urllib3.util.Retry` (honouring
``Retry-After``, capped, with exponential backoff and jitter). A read timeout, 408 and 504
are *not* retried here: they raise :class:`WindowTimeoutError` so that the fetch loop can
split the window. A refused token (401, or 403 "Missing token or token is incorrect") is
dropped, fetched again and the request retried once.

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

import json
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from types import TracebackType
from typing import Any, Self
from urllib.parse import quote, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connectionpool import ConnectionPool
from urllib3.exceptions import MaxRetryError, ReadTimeoutError
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
    InvalidRequestError,
    NetworkError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    WindowTimeoutError,
)

__all__ = [
    "DEFAULT_BASE_URL",
    "ENV_BASE_URL",
    "ENV_TOKEN_URL",
    "RETRY_STATUSES",
    "Client",
    "attempts_of",
]

DEFAULT_BASE_URL = "https://analytics.digitalcx.com"
ENV_BASE_URL = "DIGITALCX_BASE_URL"
ENV_TOKEN_URL = "DIGITALCX_TOKEN_URL"
RETRY_STATUSES = frozenset({429, 500, 502, 503})
TOKEN_REFUSED = "missing token or token is incorrect"
POOL_MAXSIZE = 32  # 8+ concurrent windows x (current page + prefetched page), with room
PREFETCH_WORKERS = 16
_ERROR_BODY_LIMIT = 64 * 1024
_EXCERPT = 200
_ATTEMPTS_ATTR = "_dcx_attempts"

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


def attempts_of(response: requests.Response) -> int:
    """How many times the request behind ``response`` was sent (retries included).

    Examples
    --------
    >>> attempts_of(requests.Response())
    1
    """
    recorded = getattr(response, _ATTEMPTS_ATTR, None)
    if isinstance(recorded, int):
        return recorded
    retries = getattr(response.raw, "retries", None)
    history = getattr(retries, "history", ())
    return len(history) + 1


class Client:
    """Credentials, endpoints and a pooled, retrying HTTP session for the Analytics API.

    Parameters
    ----------
    client_id, client_secret
        Credentials; default to ``DIGITALCX_CLIENT_ID`` / ``DIGITALCX_CLIENT_SECRET``.
        Missing credentials raise :class:`ConfigurationError` at the first request that
        needs a token (building a client never touches the network).
    base_url, token_url
        Endpoints; default to ``DIGITALCX_BASE_URL`` / ``DIGITALCX_TOKEN_URL``, else the
        vendor's. https only, except plain http on loopback (the simulator).
    timeout
        ``(connect, read)`` seconds, or one number for both. Full days on busy projects
        are slow: the read timeout is long, and a window that exceeds it is split.
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
    """

    def __init__(
        self,
        client_id: str | None = None,
        client_secret: str | None = None,
        *,
        base_url: str | None = None,
        token_url: str | None = None,
        timeout: float | tuple[float, float] = (10.0, 600.0),
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
        self.timeout: tuple[float, float] = (
            (float(timeout), float(timeout)) if isinstance(timeout, (int, float)) else (timeout[0], timeout[1])
        )
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
            adapter = HTTPAdapter(pool_connections=4, pool_maxsize=POOL_MAXSIZE, max_retries=retry)
            session.mount("https://", adapter)
            session.mount("http://", adapter)
        self.session = session
        self.auth = TokenSource(
            self.client_id,
            client_secret or os.environ.get(ENV_CLIENT_SECRET) or None,
            resolved_token_url,
            session=session,
            timeout=(self.timeout[0], min(self.timeout[1], 60.0)),
            read_timeout=self.timeout[1],
            clock=clock,
        )
        self._executor: ThreadPoolExecutor | None = None
        self._executor_lock = threading.Lock()

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
        with self._executor_lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
        if self._own_session:
            self.session.close()

    @property
    def executor(self) -> ThreadPoolExecutor:
        """A small thread pool for prefetching the next page; created on first use."""
        with self._executor_lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=PREFETCH_WORKERS, thread_name_prefix="dcx-prefetch")
            return self._executor

    def interactions_url(self, customer_key: str, project_key: str) -> str:
        """The interactions endpoint of one project; both keys percent-encoded as one path segment."""
        return f"{self.base_url}/{quote(customer_key, safe='')}/projects/{quote(project_key, safe='')}/interactions"

    # -- one request -----------------------------------------------------------------------

    def get(
        self,
        url: str,
        params: Mapping[str, str],
        *,
        accept: str = "text/csv",
        window: str,
        page: int,
    ) -> requests.Response:
        """Send one GET and return the streamed response of a 200 or 204 (body not yet read).

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
        requests.Response
            Close it (or read it to the end). :func:`attempts_of` tells how many tries it took.

        Raises
        ------
        InvalidRequestError, PermissionDeniedError, RateLimitError, ServerError, APIError
            The service answered with an error status (after retries where they apply).
        AuthenticationError
            The token was refused twice, or the token endpoint refused the credentials.
        WindowTimeoutError
            408, 504 or no answer within the read timeout: split the window.
        NetworkError
            The service could not be reached after every retry.
        """
        attempts = 0
        refreshed = False
        path = urlsplit(url).path
        while True:
            response = self._send(url, params, accept=accept, window=window, page=page, before=attempts)
            attempts += attempts_of(response)
            status = response.status_code
            log.debug("GET %s -> %d (window %s, page %d, %d attempt(s))", path, status, window, page, attempts)
            if 200 <= status < 300:
                setattr(response, _ATTEMPTS_ATTR, attempts)
                return response
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
    ) -> requests.Response:
        try:
            return self.session.get(
                url,
                params=dict(params),
                headers={"Accept": accept},
                auth=self.auth,
                stream=True,
                timeout=self.timeout,
            )
        except requests.exceptions.ReadTimeout as exc:
            raise WindowTimeoutError(
                f"no answer within the read timeout of {self.timeout[1]:g} s",
                status_code=None,
                window=window,
                page=page,
                attempts=before + 1,
            ) from exc
        except requests.exceptions.RequestException as exc:
            cause = exc.args[0] if exc.args else exc
            tries = self.max_retries + 1 if isinstance(cause, MaxRetryError) else 1
            reason = cause.reason if isinstance(cause, MaxRetryError) else cause
            raise NetworkError(
                self.auth.redact(f"cannot reach {urlsplit(url).netloc} ({type(exc).__name__}: {_short(str(reason))})"),
                window=window,
                page=page,
                attempts=before + tries,
            ) from exc

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


def _short(text: str) -> str:
    """One line of at most 200 characters."""
    line = " ".join(text.split())
    return line if len(line) <= _EXCERPT else line[: _EXCERPT - 1] + "…"
