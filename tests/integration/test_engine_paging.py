"""The read engine against small scripted servers that page worse than ours (issue 12, items 3 and 14)."""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import polars as pl
import pytest

import digitalcx_frames as dcx
from digitalcx_frames._read.fetch import ReadEngine, ReadReport
from digitalcx_frames._read.query import build_query
from digitalcx_frames.errors import PagingError

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
DAY = datetime(2026, 11, 19, tzinfo=UTC)
WINDOW = "2026-11-19T00:00:00Z/2026-11-20T00:00:00Z"
HEADER = (
    b"LogId,InteractionUuid,SessionUuid,SessionIsActive,TimestampStart,TimestampEnd,"
    b"Culture,MainInteractionType,AllInteractionTypes\r\n"
)
GIVE_UP = 60
"""The scripted servers stop handing out tokens after this many requests, so that a client
without a bound still ends (and its test fails on the count instead of hanging)."""

Reply = tuple[int, bytes, str | None]
Script = Callable[[int, str | None], Reply]


def body(ids: range | list[int]) -> bytes:
    rows = (
        f"{n},u{n},s{n % 7},True,2026-11-19T09:{n % 60:02d}:22.605Z,2026-11-19T09:{n % 60:02d}:23.000Z,"
        f'nl,QA,"[""QA""]"\r\n'
        for n in ids
    )
    return HEADER + "".join(rows).encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._reply(200, json.dumps({"access_token": "t", "token_type": "Bearer", "expires_in": "3599"}).encode(), None)

    def do_GET(self) -> None:
        token = dict(parse_qsl(urlsplit(self.path).query)).get("continuationToken")
        with self.server.lock:
            self.server.tokens.append(token)
            number = len(self.server.tokens)
        status, payload, following = self.server.script(number, token)
        self._reply(status, payload, None if number >= GIVE_UP else following)

    def _reply(self, status: int, payload: bytes, token: str | None) -> None:
        self.send_response(status)
        if token is not None:
            self.send_header("continuationToken", token.encode().decode("latin-1"))  # UTF-8 bytes on the wire
        self.send_header("Content-Type", "text/csv")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, script: Script) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.script = script
        self.tokens: list[str | None] = []
        self.lock = threading.Lock()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@pytest.fixture
def serve() -> Iterator[Callable[[Script], Server]]:
    servers: list[tuple[Server, threading.Thread]] = []

    def start(script: Script) -> Server:
        server = Server(script)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        servers.append((server, thread))
        return server

    yield start
    for server, thread in servers:
        server.shutdown()
        server.server_close()
        thread.join()


def client_for(server: Server) -> dcx.Client:
    return dcx.Client("id", "secret", base_url=server.base_url, token_url=server.base_url + "/token", max_retries=0)


def read(server: Server, **options: Any) -> pl.DataFrame:
    lazy = dcx.read_interactions(
        "c", "p", culture="nl", start=DAY, end=DAY + timedelta(days=1), client=client_for(server), now=NOW,
        cache=False, **options,
    )  # fmt: skip
    assert isinstance(lazy, pl.LazyFrame)
    return lazy.collect()


def test_a_server_repeating_its_first_page_with_fresh_tokens_is_stopped_within_12_requests(
    serve: Callable[[Script], Server],
) -> None:
    fresh = itertools.count()
    server = serve(lambda _n, _token: (200, body(range(1, 101)), f"fresh-{next(fresh)}"))
    with pytest.raises(PagingError, match="LogIds twice") as info:
        read(server)
    assert (info.value.window, info.value.page) == (WINDOW, 2)
    assert len(server.tokens) <= 12
    assert server.tokens.count(None) == 2, "the window was read again once, never split"


def test_a_server_that_never_stops_giving_new_rows_hits_the_page_bound(serve: Callable[[Script], Server]) -> None:
    server = serve(lambda n, _token: (200, body(range(n * 10, n * 10 + 10)), f"page-{n + 1}"))
    query = build_query("c", "p", culture="nl", start=DAY, end=DAY + timedelta(days=1), now=NOW)
    engine = ReadEngine(client_for(server), query, max_pages=20)
    with pytest.raises(PagingError, match="more than the 20 pages") as info:
        list(engine.batches(None, None))
    assert (info.value.window, info.value.page) == (WINDOW, 20)
    assert len(server.tokens) == 20, "no request beyond the bound"
    assert "still a token" in str(info.value)


def test_a_page_with_only_a_header_and_a_token_mid_paging_is_followed(serve: Callable[[Script], Server]) -> None:
    pages: dict[str | None, Reply] = {
        None: (200, body(range(1, 6)), "a"),
        "a": (200, HEADER, "b"),
        "b": (200, body(range(6, 9)), None),
    }
    server = serve(lambda _n, token: pages[token])
    frame = read(server)
    assert frame["log_id"].to_list() == list(range(1, 9))
    assert len(server.tokens) <= 6  # read, then read once more to confirm the empty page
    assert server.tokens[-3:] == [None, "a", "b"]


def test_a_utf8_continuation_token_goes_back_with_its_bytes(serve: Callable[[Script], Server]) -> None:
    pages: dict[str | None, Reply] = {
        None: (200, body(range(1, 4)), "pagína-2 €"),
        "pagína-2 €": (200, body(range(4, 6)), None),
    }
    server = serve(lambda _n, token: pages.get(token, (400, b'{"message": "unknown token"}', None)))
    frame = read(server)
    assert frame["log_id"].to_list() == [1, 2, 3, 4, 5]
    assert server.tokens == [None, "pagína-2 €"]


def test_a_read_that_hit_a_guard_reports_the_re_read(serve: Callable[[Script], Server]) -> None:
    served = itertools.count(1)

    def script(n: int, token: str | None) -> Reply:
        if token is None:
            return 200, body(range(1, 4)), "next"
        if next(served) == 1:
            return 200, body(range(1, 4)), "again"  # page 2 repeats page 1 once
        return 200, body(range(4, 6)), None

    server = serve(script)
    reports: list[ReadReport] = []
    frame = read(server, report=reports.append)
    assert frame["log_id"].to_list() == [1, 2, 3, 4, 5]
    assert len(reports) == 1
    report = reports[0]
    assert report.requests == len(server.tokens) >= 4
    assert report.retries >= 1
    assert (report.days_fetched, report.days_cached, report.rows) == (1, 0, 5)
