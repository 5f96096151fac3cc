"""The continuation-token loop for one window: raw page bodies, in order.

Paging is a small contract. A :class:`PageCursor` is the immutable state of one window's
paging (the page asked for next, the token that asks for it, the tokens handed out so far,
the requests sent): :meth:`PageCursor.advance` returns the next cursor, refuses a token the
window already had, and refuses to go past :data:`MAX_PAGES` pages. :func:`iter_pages`
drives it: it asks for ``paginateData=true`` and follows the ``continuationToken``
*response* header (any spelling) until a response carries none or the server answers 204.
A body cut short is asked for again with the same token. With ``prefetch=True`` the
request for page k+1 starts as soon as page k's headers arrive, while page k's body is
still being read.

Examples
--------
>>> cursor = PageCursor(window="w")
>>> cursor = cursor.advance("t1", attempts=1).advance("t2", attempts=2)
>>> cursor
PageCursor(window='w', page=3, tokens=2, attempts=3, done=False)
>>> try:
...     cursor.advance("t1", attempts=1)
... except PagingError as error:
...     print(error.page, "already used" in str(error))
3 True
>>> Page(number=1, body=b"LogId,Culture", continuation_token="abc", status=200, attempts=1)
Page(number=1, body=<13 bytes>, continuation_token='abc', status=200, attempts=1)
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import http.client
import logging
import threading
from collections.abc import Callable, Generator, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Final

import requests
from urllib3.exceptions import DecodeError, ProtocolError, ReadTimeoutError

from digitalcx_frames._http.transport import Client
from digitalcx_frames.errors import APIError, NetworkError, PagingError, WindowTimeoutError

__all__ = ["CONTINUATION_HEADER", "MAX_PAGES", "PREFETCH_THREAD", "Page", "PageCursor", "iter_pages"]

CONTINUATION_HEADER: Final = "continuationToken"
MAX_PAGES: Final = 2_000
"""The most pages one window may have: a day of 200,000 interactions (ten times the busiest
day seen in the field, ~19,500) at 100 rows a page, the smallest page size seen. A server
that hands out tokens beyond it is stopped with a :class:`PagingError`."""

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
class PageCursor:
    """Where one window's paging stands; each step returns a new cursor.

    Attributes
    ----------
    window : str
        The window's label, for errors.
    max_pages : int
        The most pages the window may have (:data:`MAX_PAGES`).
    number : int
        The 1-based page the next request asks for.
    token : str or None
        The continuation token that asks for it (``None``: the first page, or done).
    used : frozenset of str
        Every token handed out in this window so far.
    attempts : int
        Requests sent for the pages answered so far (retries included).
    done : bool
        The last page was answered (no token, or a 204).
    """

    window: str
    max_pages: int = MAX_PAGES
    number: int = 1
    token: str | None = None
    used: frozenset[str] = frozenset()
    attempts: int = 0
    done: bool = False

    def __repr__(self) -> str:
        return (
            f"PageCursor(window={self.window!r}, page={self.number}, tokens={len(self.used)}, "
            f"attempts={self.attempts}, done={self.done})"
        )

    def advance(self, next_token: str | None, *, attempts: int) -> PageCursor:
        """The cursor after the current page was answered with ``next_token`` in ``attempts`` requests.

        Raises
        ------
        PagingError
            ``next_token`` was already handed out in this window, or following it would go
            past ``max_pages``.
        ValueError
            The cursor is already done.
        """
        if self.done:
            raise ValueError("the window's last page was already answered")
        spent = self.attempts + attempts
        if next_token is None:
            return dataclasses.replace(self, token=None, attempts=spent, done=True)
        if next_token in self.used:
            raise PagingError(
                200,
                "the service sent a continuationToken that was already used in this window; stopping rather than "
                "looping",
                window=self.window,
                page=self.number,
                attempts=spent,
            )
        if self.number >= self.max_pages:
            raise PagingError(
                200,
                f"the service kept handing out continuation tokens: {self.number} pages and still a token, more "
                f"than the {self.max_pages} pages a window may have; stopping rather than paging without end",
                window=self.window,
                page=self.number,
                attempts=spent,
            )
        return dataclasses.replace(
            self, number=self.number + 1, token=next_token, used=self.used | {next_token}, attempts=spent
        )

    def query(self, base: Mapping[str, str]) -> dict[str, str]:
        """The request parameters of the page this cursor asks for."""
        params = dict(base)
        if self.token is not None:
            params[CONTINUATION_HEADER] = self.token
        return params


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


_Sent = tuple[requests.Response, int]
"""A response and the number of requests it took."""


def iter_pages(
    client: Client,
    url: str,
    params: Mapping[str, str],
    *,
    accept: str,
    window: str,
    prefetch: bool = True,
    max_body_retries: int = 2,
    max_pages: int = MAX_PAGES,
    on_reply: Callable[[int], object] | None = None,
) -> Generator[Page, None, None]:
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
    max_pages
        The most pages the window may have.
    on_reply
        Called with the number of requests behind every answer (a page, a re-read, a
        prefetch later discarded, an error), as it arrives: the requests really sent.

    Yields
    ------
    Page
        Each page with a body; a 204 ends the window (on the first page: an empty window).

    Raises
    ------
    PagingError
        The service repeated a continuation token, or handed out more than ``max_pages``.
    APIError
        Any error of :meth:`Client.get`.
    NetworkError
        A body kept arriving cut short.
    """
    base = {key: value for key, value in params.items() if key.casefold() != CONTINUATION_HEADER.casefold()}
    base["paginateData"] = "true"

    def request(cursor: PageCursor) -> _Sent:
        try:
            sent = _get(client, url, cursor.query(base), accept=accept, window=window, page=cursor.number)
        except (APIError, NetworkError) as exc:
            if on_reply is not None and exc.attempts:
                on_reply(exc.attempts)
            raise
        if on_reply is not None:
            on_reply(sent[1])
        return sent

    cursor = PageCursor(window=window, max_pages=max_pages)
    pending: Future[_Sent] | None = None
    response: requests.Response | None = None
    try:
        response, attempts = request(cursor)
        while True:
            if response.status_code == 204:
                log.debug("window %s page %d: HTTP 204, no more data", window, cursor.number)
                return
            ahead = cursor.advance(_continuation_token(response), attempts=attempts)  # refuses a used token
            if prefetch and not ahead.done:
                pending = _in_background(functools.partial(request, ahead), window=window)
            body, attempts, response = _read_page(
                response,
                functools.partial(request, cursor),
                attempts,
                max_body_retries,
                window=window,
                number=cursor.number,
            )
            status = response.status_code
            following = cursor.advance(_continuation_token(response), attempts=attempts)
            response = None
            if following.token != ahead.token and pending is not None:
                # The page was asked for again and the answer that was read points elsewhere: follow it.
                log.debug("window %s page %d: the re-read page carries another token", window, cursor.number)
                _discard(pending)
                pending = None
            log.debug(
                "window %s page %d: %d bytes, HTTP %d, %d attempt(s)",
                window,
                cursor.number,
                len(body),
                status,
                attempts,
            )
            yield Page(
                number=cursor.number, body=body, continuation_token=following.token, status=status, attempts=attempts
            )
            if following.done:
                return
            cursor = following
            if pending is not None:
                future, pending = pending, None
                response, attempts = future.result()
            else:
                response, attempts = request(cursor)
    finally:
        if response is not None:
            response.close()
        if pending is not None:
            _discard(pending)


PREFETCH_THREAD: Final = "digitalcx-prefetch"
"""The name of the thread that asks for a page ahead (tests wait for it by name)."""


def _in_background(task: Callable[[], _Sent], *, window: str) -> Future[_Sent]:
    """Run ``task`` on a daemon thread of its own.

    A daemon thread: a prefetch still waiting for its answer when a read stops early (or is
    interrupted) never holds the process at exit, as a ``ThreadPoolExecutor``'s workers do.
    """
    future: Future[_Sent] = Future()

    def run() -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            result = task()
        except BaseException as exc:  # handed to the page loop through the future
            future.set_exception(exc)
        else:
            future.set_result(result)

    threading.Thread(target=run, name=f"{PREFETCH_THREAD} {window}", daemon=True).start()
    return future


def _get(client: Client, url: str, query: Mapping[str, str], *, accept: str, window: str, page: int) -> _Sent:
    """One GET through ``client``: the response and how many requests it took (given beside it)."""
    reply = client.send(url, query, accept=accept, window=window, page=page)
    return reply.response, reply.attempts


def _discard(future: Future[_Sent]) -> None:
    """Cancel a prefetch, or close its response once it arrives."""
    if not future.cancel():
        future.add_done_callback(_close_result)


def _read_page(
    response: requests.Response,
    again: Callable[[], _Sent],
    attempts: int,
    max_body_retries: int,
    *,
    window: str,
    number: int,
) -> tuple[bytes, int, requests.Response]:
    """Read the body, asking for the same page again when it is cut short. Closes every response."""
    retries = 0
    try:
        while True:
            try:
                return _read_body(response), attempts, response
            except ReadTimeoutError as exc:
                raise WindowTimeoutError(
                    "the body stopped arriving within the read timeout or the response deadline",
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
                response, more = again()
                attempts += more
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
    """The ``continuationToken`` response header (requests' headers are case-insensitive).

    ``http.client`` decodes header bytes as ISO-8859-1; a token the service sent as UTF-8 is
    turned back into the text those bytes spell, so that it goes back (UTF-8 encoded in the
    query) with exactly the bytes it came with.
    """
    value = response.headers.get(CONTINUATION_HEADER)
    if value is None:
        return None
    value = value.strip()
    with contextlib.suppress(UnicodeError):  # not UTF-8 bytes: sent back as read
        value = value.encode("latin-1").decode("utf-8")
    return value or None


def _close_result(future: Future[_Sent]) -> None:
    if not future.cancelled() and future.exception() is None:
        future.result()[0].close()
