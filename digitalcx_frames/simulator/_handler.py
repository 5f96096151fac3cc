"""The HTTP layer of the simulator: a ``ThreadingHTTPServer`` and its request handler.

HTTP/1.1 with keep-alive and one thread per connection, so a slow answer never blocks
another. Routes::

    POST /digitalcx.onmicrosoft.com/oauth2/token                    the token endpoint
    GET  /{customerKey}/projects/{projectKey}/interactions          the data endpoint
    GET  /_simulator/log · /_simulator/faults                       admin (process mode)
    POST /_simulator/{clear,inject,today,advance_time,shutdown}     admin (process mode)
    POST /_simulator/prerender {"first", "last"[, "json": true]}    render days ahead (benchmarks)
"""

from __future__ import annotations

import itertools
import json
import operator
import secrets
import sys
import threading
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final
from urllib.parse import parse_qsl, urlsplit

from digitalcx_frames.simulator._data import Day
from digitalcx_frames.simulator._render import csv_header, extra_value, full_lines, json_objects
from digitalcx_frames.simulator._server import (
    RESOURCE,
    TENANT,
    Config,
    Filters,
    Reply,
    State,
    parse_query,
    query_key,
)

__all__ = ["Handler", "SimulatorHTTPServer", "make_server"]

_FAULT_STATUS: Final = {
    "500": (500, "Something went wrong"),
    "429": (429, "Too many requests"),
    "503": (503, "Service Unavailable"),
    "401": (401, "Unauthorized"),
    "403_token": (403, "Missing token or token is incorrect"),
    "403": (403, "Forbidden"),
    "408": (408, "Request Timeout"),
    "504": (504, "Gateway Timeout"),
}
_HTML: Final = b"<!DOCTYPE html><html><head><title>Error</title></head><body><h1>Service unavailable</h1></body></html>"


class SimulatorHTTPServer(ThreadingHTTPServer):
    """A threading HTTP server that carries the simulator's :class:`State`."""

    daemon_threads = True
    state: State

    def handle_error(self, request: object, client_address: object) -> None:
        """Ignore clients that hang up (normal for timeouts and cut bodies); report the rest."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


def make_server(state: State, host: str = "127.0.0.1", port: int = 0) -> SimulatorHTTPServer:
    """Bind a server for ``state`` (port 0: an ephemeral port); call ``serve_forever`` on it."""
    server = SimulatorHTTPServer((host, port), Handler)
    server.state = state
    return server


def _aad_error(error: str, code: int, text: str) -> bytes:
    trace = secrets.token_hex(16)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    description = (
        f"AADSTS{code}: {text}\r\nTrace ID: {trace}\r\nCorrelation ID: {secrets.token_hex(16)}\r\nTimestamp: {stamp}"
    )
    body = {
        "error": error,
        "error_description": description,
        "error_codes": [code],
        "timestamp": stamp,
        "trace_id": trace,
    }
    return json.dumps(body).encode()


class Handler(BaseHTTPRequestHandler):
    """Answers one connection's requests for a :class:`SimulatorHTTPServer`."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: SimulatorHTTPServer
    server_version = "Kestrel"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: the simulator keeps its own request log."""

    # -- plumbing ----------------------------------------------------------------------------
    def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        if status != 204:
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if status != 204 and self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, payload: object, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(payload).encode(), "application/json; charset=utf-8", headers)

    def _record(self, params: dict[str, str], window: tuple[str, str] | None = None) -> None:
        """Log this request when its status line is sent (before the client can read it)."""
        self._pending: dict[str, Any] | None = {
            "method": self.command,
            "path": urlsplit(self.path).path,
            "params": params,
            "headers": dict(self.headers.items()),
            "window": window,
        }

    def send_response(self, code: int, message: str | None = None) -> None:
        """Send the status line, logging the request first if it is to be logged."""
        pending = getattr(self, "_pending", None)
        if pending is not None:
            self._pending = None
            self.server.state.record({**pending, "status": code})
        super().send_response(code, message)

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    # -- routes ------------------------------------------------------------------------------
    def do_GET(self) -> None:
        """Interactions and admin reads."""
        path = urlsplit(self.path).path
        parts = path.strip("/").split("/")
        if parts[0] == "_simulator":
            self._admin(parts[1:] if len(parts) > 1 else [""])
        elif len(parts) == 4 and parts[1] == "projects" and parts[3] == "interactions":
            self._interactions(parts[0], parts[2])
        else:
            self._record({})
            self._json(404, {"message": "Not Found"})

    def do_POST(self) -> None:
        """Token requests and admin writes."""
        parts = urlsplit(self.path).path.strip("/").split("/")
        if parts == [TENANT, "oauth2", "token"]:
            self._token()
        elif parts[0] == "_simulator":
            self._admin(parts[1:] if len(parts) > 1 else [""])
        else:
            self._body()
            self._record({})
            self._json(404, {"message": "Not Found"})

    def _token(self) -> None:
        state = self.server.state
        config = state.config
        form = dict(parse_qsl(self._body().decode("utf-8", "replace"), keep_blank_values=True))
        shown = {k: ("***" if k == "client_secret" else v) for k, v in form.items()}
        status, body = 200, b""
        if form.get("grant_type") != "client_credentials":
            status = 400
            body = _aad_error(
                "unsupported_grant_type", 70003, "The app requested an unsupported grant type 'client_credentials'."
            )
        elif form.get("client_id") != config.client_id:
            status = 400
            body = _aad_error(
                "unauthorized_client",
                700016,
                f"Application with identifier '{form.get('client_id', '')}' was not found in the directory "
                f"'{TENANT}'. This can happen if the application has not been installed by the administrator.",
            )
        elif form.get("client_secret") != config.client_secret:
            status = 401
            body = _aad_error(
                "invalid_client",
                7000215,
                "Invalid client secret provided. Ensure the secret being sent in the request is the client secret "
                f"value, not the client secret ID, for a secret added to app '{config.client_id}'.",
            )
        elif not form.get("resource"):
            status = 400
            body = _aad_error(
                "invalid_request", 900144, "The request body must contain the following parameter: 'resource'."
            )
        if status != 200:
            self._record(shown)
            self._send(status, body, "application/json; charset=utf-8")
            return
        now = int(state.now())
        lifetime = str(config.token_lifetime)
        reply = {
            "token_type": "Bearer",
            "expires_in": lifetime,
            "ext_expires_in": lifetime,
            "expires_on": str(now + config.token_lifetime),
            "not_before": str(now),
            "resource": form.get("resource", RESOURCE),
            "access_token": state.issue_token(),
        }
        self._record(shown)
        self._json(200, reply)

    def _interactions(self, customer_key: str, project_key: str) -> None:
        state = self.server.state
        config = state.config
        raw = dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True))
        params = {k.lower(): v for k, v in raw.items()}
        self._record(raw)
        try:
            if not state.token_ok(self.headers.get("Authorization")):
                raise Reply(403, "Missing token or token is incorrect")
            if config.faults.latency:
                state.sleep(config.faults.latency)
            fault = state.next_fault()
            if fault == "slow":
                state.sleep(config.faults.slow_delay)
            elif fault in _FAULT_STATUS:
                code, message = _FAULT_STATUS[fault]
                retry = {"Retry-After": str(config.faults.retry_after)} if code in (429, 503) else None
                raise Reply(code, message, retry)
            elif fault in ("html_200", "empty_200", "broken_chunked"):
                self._raw_fault(fault)
                return
            if customer_key != config.customer_key or project_key not in config.project_keys:
                raise Reply(400, f"Customer key {customer_key} with project {project_key} does not exist.")
            start, end, filters, unit = parse_query(state, raw, project_key)
            self._record(raw, (start.isoformat(), end.isoformat()))
            self._window_timeouts(start, end)
            self._data(params, start, end, filters, fault, unit)
        except Reply as reply:
            self._json(reply.status, {"message": reply.message}, reply.headers)

    def _window_timeouts(self, start: datetime, end: datetime) -> None:
        state = self.server.state
        faults = state.config.faults
        hours = (end - start).total_seconds() / 3600
        full_day = start.time() == end.time() == datetime.min.time() and hours == 24
        if (faults.timeout_hours is not None and hours > faults.timeout_hours) or (
            full_day and start.date() in faults.timeout_dates
        ):
            state.count_fault("504")
            if faults.timeout_delay:
                state.sleep(faults.timeout_delay)
            raise Reply(504, "Gateway Timeout")

    def _raw_fault(self, fault: str) -> None:
        if fault == "html_200":
            self._send(200, _HTML, "text/html; charset=utf-8")
        elif fault == "empty_200":
            self._send(200, b"", "text/csv")
        else:
            self.send_response(200)
            self.send_header("Content-Type", "text/csv")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.wfile.write(b"10\r\nLogId,Interactio\r\nzz\r\nnot a chunk")
            self.close_connection = True

    def _data(
        self, params: dict[str, str], start: datetime, end: datetime, filters: Filters, fault: str | None, unit: int
    ) -> None:
        state = self.server.state
        config = state.config
        key = query_key(start, end, filters, unit)
        rows = state.select_cached(key, start, end, filters, unit)
        token = params.get(config.paging_header.lower()) or params.get("continuationtoken")
        paging = params.get("paginatedata", "").lower() == "true" or token is not None
        offset = state.read_page_token(token, key) if token else 0
        headers: dict[str, str] = {}
        if paging:
            page = rows[offset : offset + config.page_size]
            if not page:
                self._send(204, b"", "text/csv")
                return
            if config.end_with_204 or offset + config.page_size < len(rows):
                headers[config.paging_header] = state.page_token(key, offset + config.page_size)
            if fault == "repeat_token":
                headers[config.paging_header] = token or state.page_token(key, 0)
        else:
            page = rows
        user_info = filters.include_user_info and config.user_info_rights
        json_body = "application/json" in (self.headers.get("Accept") or "")
        content_type = "application/json; charset=utf-8" if json_body else "text/csv"

        def render() -> bytes:
            if json_body:
                return b"[" + b",".join(_json_rows(page, user_info, config)) + b"]"
            return _csv_body(page, config, user_info, fault)

        if fault is None:
            body = state.body_cached((key, state.today, offset if paging else -1, json_body, user_info), render)
        else:
            body = render()
        if fault == "cut":
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.close_connection = True
            return
        self._send(200, body, content_type, headers)

    # -- admin -------------------------------------------------------------------------------
    def _admin(self, parts: list[str]) -> None:
        state = self.server.state
        payload = json.loads(self._body() or b"{}") if self.command == "POST" else {}
        action = parts[0]
        if action == "log":
            with state.lock:
                self._json(200, list(state.log))
        elif action == "faults":
            with state.lock:
                self._json(200, dict(state.fault_counts))
        elif action == "clear":
            with state.lock:
                state.log.clear()
                state.fault_counts.clear()
            self._json(200, {})
        elif action == "inject":
            state.inject(payload["kind"], int(payload.get("count", 1)))
            self._json(200, {})
        elif action == "today":
            if self.command == "POST":
                state.today_override = date.fromisoformat(payload["today"])
            self._json(200, {"today": state.today.isoformat()})
        elif action == "advance_time":
            with state.lock:
                state.clock_offset += float(payload["seconds"])
            self._json(200, {})
        elif action == "prerender":
            state.prerender(
                date.fromisoformat(payload["first"]),
                date.fromisoformat(payload["last"]),
                json_bodies=bool(payload.get("json", False)),
            )
            self._json(200, {})
        elif action == "shutdown":
            self._json(200, {})
            state.stopping.set()
            threading.Thread(target=self.server.shutdown, daemon=True).start()
        else:
            self._json(404, {"message": "Not Found"})


def _json_rows(page: list[tuple[Day, int]], user_info: bool, config: Config) -> list[bytes]:
    cache: dict[int, list[bytes]] = {}
    out = []
    for day, i in page:
        objects = cache.get(id(day))
        if objects is None:
            objects = cache[id(day)] = json_objects(
                day, user_info=user_info, key_case=config.json_key_case, extra_column=config.extra_column
            )
        out.append(objects[i])
    return out


def _csv_body(page: list[tuple[Day, int]], config: Config, user_info: bool, fault: str | None) -> bytes:
    delimiter = config.delimiter
    parts = [csv_header(delimiter, case=config.header_case, bom=config.bom, extra_column=config.extra_column)]
    if fault == "header_only":
        return parts[0]
    sep = delimiter.encode()
    for day, group in itertools.groupby(page, key=operator.itemgetter(0)):
        lines = full_lines(day, delimiter, user_info=user_info)
        indices = list(map(operator.itemgetter(1), group))
        if config.extra_column is None:
            parts.extend(map(lines.__getitem__, indices))
        else:  # an undocumented column at the end of every line
            parts.extend(lines[i][:-2] + sep + extra_value(day, i).encode() + b"\r\n" for i in indices)
    if len(parts) > 1 and fault in ("extra_field", "missing_field", "invalid_utf8"):
        day, index = page[0]
        line = parts[1]
        if fault == "extra_field":
            line = line[:-2] + sep + b"surplus\r\n"
        elif fault == "missing_field":  # the first 26 fields and an empty 27th: one too few
            line = full_lines(day, delimiter, user_info=False)[index][: -len(sep) - 2] + b"\r\n"
        else:  # two bytes that are never UTF-8, at the start of InteractionUuid
            line = line.replace(sep, sep + b"\xff\xfe", 1)
        parts[1] = line
    return b"".join(parts)
