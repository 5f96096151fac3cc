"""Test support (not a test module): portal CSV downloads, and a loopback proxy that fails chosen days.

Both are used by the store tests (archive, exports); keeping them here means no test module
imports another.
"""

from __future__ import annotations

import csv
import json
import threading
from collections.abc import Sequence
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

import digitalcx_frames as dcx
from digitalcx_frames.simulator import Simulator

_HOP_BY_HOP = {"connection", "content-length", "transfer-encoding", "content-encoding", "keep-alive", "server", "date"}


def portal_value(value: object) -> str:
    """One value as the CMS portal writes it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%m/%d/%Y %H:%M:%S")
    if isinstance(value, list):
        return json.dumps(value)
    return str(value)


def write_portal_file(path: Path, rows: Sequence[dict[str, object]]) -> Path:
    """Write ``rows`` (``sim.expected_rows``) as a pipe-delimited portal download."""
    names = list(rows[0]) if rows else ["LogId", "InteractionUuid", "SessionUuid", "TimestampStart"]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter="|", lineterminator="\r\n")
        writer.writerow(names)
        for row in rows:
            writer.writerow([portal_value(row[name]) for name in names])
    return path


class DayFaultProxy:
    """A loopback server in front of a simulator that answers ``status`` for chosen UTC days.

    Every other request (the token endpoint included) is forwarded as it is. ``faults`` maps
    a day to ``(status, message)``; a request whose ``startDate`` falls on that day gets
    ``{"message": message}`` with that status, every time. :meth:`client` is a
    :class:`~digitalcx_frames.Client` pointing at the proxy.
    """

    def __init__(self, sim: Simulator, faults: dict[date, tuple[int, str]]) -> None:
        self.sim = sim
        self.faults = dict(faults)
        self.failed: list[date] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                """Stay quiet."""

            def do_GET(self) -> None:
                proxy.answer(self, "GET")

            def do_POST(self) -> None:
                proxy.answer(self, "POST")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"

    def client(self) -> dcx.Client:
        """A client whose data requests go through the proxy (no retries, no waiting)."""
        return dcx.Client(
            self.sim.client_id,
            self.sim.client_secret,
            base_url=self.origin,
            token_url=self.sim.token_url,
            max_retries=0,
            backoff_factor=0.0,
        )

    def answer(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        """Fail a listed day, forward anything else to the simulator."""
        query = parse_qs(urlsplit(handler.path).query)
        start = query.get("startDate", [""])[0]
        day = date.fromisoformat(start[:10]) if len(start) >= 10 else None
        if day is not None and day in self.faults:
            self.failed.append(day)
            status, message = self.faults[day]
            self.send(handler, status, json.dumps({"message": message}).encode(), {"Content-Type": "application/json"})
            return
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else None
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in _HOP_BY_HOP | {"host"}}
        reply = requests.request(method, self.sim.base_url + handler.path, data=body, headers=headers, timeout=30)
        kept = {k: v for k, v in reply.headers.items() if k.lower() not in _HOP_BY_HOP}
        self.send(handler, reply.status_code, reply.content, kept)

    @staticmethod
    def send(handler: BaseHTTPRequestHandler, status: int, body: bytes, headers: dict[str, str]) -> None:
        """One complete response."""
        handler.send_response(status)
        for name, value in headers.items():
            handler.send_header(name, value)
        if status != 204:
            handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if status != 204:
            handler.wfile.write(body)

    def close(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def __enter__(self) -> DayFaultProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
