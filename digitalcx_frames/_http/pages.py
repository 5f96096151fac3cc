"""The continuation-token loop for one window: raw page bodies, in order.

:func:`iter_pages` asks for ``paginateData=true`` and follows the ``continuationToken``
*response* header (any spelling) until a response carries none or the server answers 204.
A token that comes back a second time is an error, never an endless loop. A body cut short
is asked for again with the same token. With ``prefetch=True`` the request for page k+1
starts as soon as page k's headers arrive, while page k's body is still being read.

Examples
--------
>>> Page(number=1, body=b"LogId,Culture", continuation_token="abc", status=200, attempts=1)
Page(number=1, body=<13 bytes>, continuation_token='abc', status=200, attempts=1)
"""

from __future__ import annotations

import functools
import http.client
import logging
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future
from dataclasses import dataclass

import requests
from urllib3.exceptions import DecodeError, ProtocolError, ReadTimeoutError

from digitalcx_frames._http.transport import Client, attempts_of
from digitalcx_frames.errors import APIError, NetworkError, WindowTimeoutError

__all__ = ["CONTINUATION_HEADER", "Page", "iter_pages"]

CONTINUATION_HEADER = "continuationToken"

log = logging.getLogger(__name__)

_CUT_ERRORS = (
    ProtocolError,
    DecodeError,
    http.client.HTTPException,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ConnectionError,
    OSError,
)


@dataclass(frozen=True, slots=True, repr=False)
class Page:
    """One page of a window as the server sent it.

    Attributes
    ----------
    number : int
        1-based position within the window.
    body : bytes
        The body, content-decoded (gzip undone), otherwise untouched (a BOM may lead).
    continuation_token : str or None
        The token this page's response carried, i.e. the one that asks for the next page.
    status : int
        The HTTP status (200).
    attempts : int
        How many requests this page took, retries and re-reads of a cut body included.
    """

    number: int
    body: bytes
    continuation_token: str | None
    status: int
    attempts: int

    def __repr__(self) -> str:
        return (
            f"Page(number={self.number}, body=<{len(self.body)} bytes>, "
            f"continuation_token={self.continuation_token!r}, status={self.status}, attempts={self.attempts})"
        )


class _CutBodyError(Exception):
    """The body ended before it was complete."""


def iter_pages(
    client: Client,
    url: str,
    params: Mapping[str, str],
    *,
    accept: str,
    window: str,
    prefetch: bool = True,
    max_body_retries: int = 2,
) -> Iterator[Page]:
    """Yield the pages of one window, following continuation tokens.

    Parameters
    ----------
    client
        The client that sends the requests.
    url
        The interactions endpoint.
    params
        The window's query parameters (``paginateData`` and ``continuationToken`` are set here).
    accept
        ``text/csv`` or ``application/json``.
    window
        The window's label, for errors and logs.
    prefetch
        Ask for the next page while the current body is read (at most one request ahead).
    max_body_retries
        How many times a page whose body was cut short is asked for again.

    Yields
    ------
    Page
        Each page with a body; a 204 ends the window (on the first page: an empty window).

    Raises
    ------
    APIError
        The service repeated a continuation token (or any error of :meth:`Client.get`).
    NetworkError
        A body kept arriving cut short.
    """
    base = {key: value for key, value in params.items() if key.casefold() != CONTINUATION_HEADER.casefold()}
    base["paginateData"] = "true"

    def request(token: str | None, number: int) -> requests.Response:
        query = dict(base)
        if token is not None:
            query[CONTINUATION_HEADER] = token
        return client.get(url, query, accept=accept, window=window, page=number)

    used: set[str] = set()
    pending: Future[requests.Response] | None = None
    response: requests.Response | None = None
    token: str | None = None
    number = 1
    try:
        response = request(None, number)
        while True:
            if response.status_code == 204:
                log.debug("window %s page %d: HTTP 204, no more data", window, number)
                return
            next_token = _continuation_token(response)
            _check_unused(next_token, used, window=window, page=number)
            if prefetch and next_token is not None:
                used.add(next_token)
                pending = client.executor.submit(request, next_token, number + 1)
            body, attempts, response = _read_page(
                response, functools.partial(request, token, number), max_body_retries, window=window, number=number
            )
            status = response.status_code
            read_token = _continuation_token(response)
            response = None
            if read_token != next_token:
                # The page was asked for again and the answer that was read points elsewhere: follow it.
                log.debug("window %s page %d: the re-read page carries another continuation token", window, number)
                if pending is not None:
                    _discard(pending)
                    pending = None
                    used.discard(next_token or "")
                _check_unused(read_token, used, window=window, page=number)
                next_token = read_token
            log.debug(
                "window %s page %d: %d bytes, HTTP %d, %d attempt(s)", window, number, len(body), status, attempts
            )
            yield Page(number=number, body=body, continuation_token=next_token, status=status, attempts=attempts)
            if next_token is None:
                return
            token, number = next_token, number + 1
            if pending is not None:
                future, pending = pending, None
                response = future.result()
            else:
                used.add(token)
                response = request(token, number)
    finally:
        if response is not None:
            response.close()
        if pending is not None:
            _discard(pending)


def _check_unused(token: str | None, used: set[str], *, window: str, page: int) -> None:
    """Raise when the service hands out a continuation token this window already followed."""
    if token is not None and token in used:
        raise APIError(
            200,
            "the service sent a continuationToken that was already used in this window; stopping rather than looping",
            window=window,
            page=page,
        )


def _discard(future: Future[requests.Response]) -> None:
    """Cancel a prefetch, or close its response once it arrives."""
    if not future.cancel():
        future.add_done_callback(_close_result)


def _read_page(
    response: requests.Response,
    again: Callable[[], requests.Response],
    max_body_retries: int,
    *,
    window: str,
    number: int,
) -> tuple[bytes, int, requests.Response]:
    """Read the body, asking for the same page again when it is cut short. Closes every response."""
    attempts = attempts_of(response)
    retries = 0
    try:
        while True:
            try:
                return _read_body(response), attempts, response
            except ReadTimeoutError as exc:
                raise WindowTimeoutError(
                    "the body stopped arriving within the read timeout",
                    status_code=None,
                    window=window,
                    page=number,
                    attempts=attempts,
                ) from exc
            except (_CutBodyError, *_CUT_ERRORS) as exc:
                reason = f"{type(exc).__name__}: {_first_line(exc)}"
                if retries >= max_body_retries:
                    raise NetworkError(
                        f"the body was cut short every time ({reason})", window=window, page=number, attempts=attempts
                    ) from exc
                retries += 1
                log.debug("window %s page %d: body cut short (%s); asking again", window, number, reason)
                response.close()
                response = again()
                attempts += attempts_of(response)
                if response.status_code == 204:
                    raise NetworkError(
                        "the page answered 204 when asked again after a cut body",
                        window=window,
                        page=number,
                        attempts=attempts,
                    ) from exc
    finally:
        response.close()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    line = text.splitlines()[0] if text else "no detail"
    return line if len(line) <= 160 else line[:159] + "…"


def _read_body(response: requests.Response) -> bytes:
    raw = response.raw
    body: bytes = raw.read(decode_content=True)
    expected = response.headers.get("Content-Length")
    if expected is not None and expected.strip().isdigit():
        received = raw.tell()
        if received != int(expected):
            raise _CutBodyError(f"{received} of {expected} bytes")
    return body


def _continuation_token(response: requests.Response) -> str | None:
    """The ``continuationToken`` response header (requests' headers are case-insensitive)."""
    value = response.headers.get(CONTINUATION_HEADER)
    if value is None:
        return None
    value = value.strip()
    return value or None


def _close_result(future: Future[requests.Response]) -> None:
    if not future.cancelled() and future.exception() is None:
        future.result().close()
