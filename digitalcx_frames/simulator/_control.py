"""The :class:`Simulator`: start, inspect, steer and stop a simulated Analytics API.

Examples
--------
>>> import requests
>>> from datetime import date
>>> with Simulator(rows_per_day=20, today=date(2026, 11, 20)) as sim:
...     token = requests.post(sim.token_url, data={"grant_type": "client_credentials",
...         "client_id": sim.client_id, "client_secret": sim.client_secret,
...         "resource": "https://digitalcx.onmicrosoft.com/external-api"}, timeout=10).json()["access_token"]
...     url = f"{sim.base_url}/{sim.customer_key}/projects/{sim.project_key}/interactions"
...     with requests.get(url, params={"culture": "nl", "startDate": "2026-11-19T00:00:00Z",
...             "endDate": "2026-11-20T00:00:00Z"}, headers={"Authorization": f"Bearer {token}"}, timeout=10) as r:
...         status, kind = r.status_code, r.headers["Content-Type"]
...     expected = sim.expected_rows(datetime(2026, 11, 19, tzinfo=UTC), datetime(2026, 11, 20, tzinfo=UTC))
...     status, kind, 0 < len(expected) <= 20, len(sim.interaction_requests)
(200, 'text/csv', True, 1)
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, timedelta
from types import TracebackType
from typing import Any, TypedDict

from digitalcx_frames.flags import InteractionType
from digitalcx_frames.simulator._faults import FAULT_KINDS, Faults
from digitalcx_frames.simulator._handler import SimulatorHTTPServer, make_server
from digitalcx_frames.simulator._server import RESOURCE, TENANT, Config, Filters, State

__all__ = ["RequestRecord", "Simulator", "serve_forever"]


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One request the simulator answered (admin requests are not logged).

    ``params`` are the query parameters as sent (token requests: the form, secret masked),
    ``window`` the parsed ``(start, end)`` of an interactions request that got that far.
    """

    method: str
    path: str
    params: dict[str, str]
    headers: dict[str, str]
    status: int
    window: tuple[datetime, datetime] | None

    @classmethod
    def from_entry(cls, entry: dict[str, Any]) -> RequestRecord:
        """Build a record from the server's log entry (plain JSON-able values)."""
        window = entry["window"]
        return cls(
            entry["method"],
            entry["path"],
            dict(entry["params"]),
            dict(entry["headers"]),
            int(entry["status"]),
            None if window is None else (datetime.fromisoformat(window[0]), datetime.fromisoformat(window[1])),
        )


def _mask(value: object) -> int | None:
    return None if value is None else int(InteractionType.coerce(value))


def _child(config: Config, today: date | None, prerender: tuple[date, date] | None, conn: Any, port: int) -> None:
    state = State(config, today=today)
    try:
        server = make_server(state, port=port)
    except OSError as exc:
        conn.send(f"error: {exc}")
        conn.close()
        return
    if prerender is not None:
        state.prerender(*prerender)
    conn.send(server.server_address[1])
    conn.close()
    with server:
        server.serve_forever(poll_interval=0.1)


class Connection(TypedDict):
    """The keyword arguments of :class:`digitalcx_frames.Client` that reach a simulator."""

    client_id: str
    client_secret: str
    base_url: str
    token_url: str


class Simulator:
    """A simulated Analytics API on ``127.0.0.1``, in a background thread or a child process.

    Starts on construction; use it as a context manager or call :meth:`stop`.

    Parameters
    ----------
    seed
        Seed of the data (and of the faults unless ``faults.seed`` is set).
    rows_per_day
        Exact number of rows of each UTC day before filters (days after ``today`` have none),
        per project and culture; with ``traffic="realistic"`` the mean of a week.
    page_size
        Rows per page when the client asks for ``paginateData=true``.
    end_with_204
        ``False`` (default): when paging, the last page carries no ``continuationToken``.
        ``True``: every page with rows carries one, and the request after the last page
        answers 204 (one more round trip per window, as the live service may do).
    today
        The simulator's today (UTC) for the 90-day rule; ``None``: the real UTC date.
        Change it later with ``sim.today = ...`` or :meth:`advance_days`.
    delimiter
        ``","`` or ``"|"``.
    bom, lowercase_header
        Lead bodies with a UTF-8 BOM; write the header in lower case (same as
        ``header_case="lower"``).
    culture, customer_key, project_key, client_id, client_secret
        The project and the credentials the simulator accepts.
    projects, cultures
        Several projects, and several cultures of each project: every (project, culture)
        pair is its own stream of seeded rows and LogIds (LogIds unique over all of them),
        with ``rows_per_day`` rows a day each. When given, the first of each replaces
        ``project_key`` / ``culture``; the first pair's rows are those of a simulator with
        only that project and culture (LogIds aside). A culture the project does not have
        is a 400, like an unknown project.
    token_lifetime
        Seconds a token lives (``expires_in``, sent as a string).
    user_info_rights
        Whether these credentials may see ``AdditionalSessionInfo`` and ``Variables``.
    unknown_type_rate
        Fraction of rows carrying the unknown type name ``"Smalltalk"``.
    traffic
        ``"flat"`` (default): every UTC day has exactly ``rows_per_day`` rows.
        ``"realistic"``: weekdays busier than weekends (``rows_per_day`` is the mean of a
        week) and now and then a campaign day at 1.6-2.6 times the traffic, its extra rows in
        three office hours. Either way the hours follow ``time_zone``: office hours busy,
        nights quiet, weekends flatter.
    time_zone
        The project's time zone for the shape of the traffic (default ``Europe/Amsterdam``).
    malformed_rate
        Share of rows with one JSON-text value cut short, so it is no longer valid JSON
        (default 0). Seeded on its own: every other value is as with ``malformed_rate=0``.
    crossing_sessions
        Sessions a day that start in the last 45 minutes before midnight UTC and end after
        it, their rows split over the two days (``None``: one per 1,500 ``rows_per_day``, at
        least one from 200 rows a day). They are Production/Public and active.
    faults
        Random latency and faults (:class:`Faults`); off by default.
    clock
        The token clock (seconds); thread mode only.
    process
        Run the server in a child process ("spawn"), e.g. for benchmarks.
    prerender
        ``(first, last)`` dates whose CSV is rendered before the server answers.
    port
        The loopback port to listen on; ``0`` (default) picks a free one. A fixed port gives
        the same ``base_url`` every run (e.g. for a cache key or a notebook); binding a port
        in use raises :class:`OSError`.
    sleep
        The function that waits (latency, ``slow`` faults, gateway timeouts); thread mode
        only. Tests pass a recorder to check delays without waiting for them.

    Other Parameters
    ----------------
    header_case
        Drift: the CSV header in ``"pascal"`` (default, as the live service), ``"lower"``
        (as an older vendor page shows) or ``"upper"`` case.
    json_key_case
        Drift: the keys of JSON bodies in ``"pascal"`` (default), ``"camel"`` or ``"lower"`` case.
    extra_column
        Drift: the name of an undocumented column appended to every CSV line and JSON object
        (a region code such as ``westeurope``); ``None`` (default): none.
    paging_header
        Drift: the name of the response header that carries the continuation token (default
        ``continuationToken``); a request may send the token under this name or the
        documented one.
    ignore_filters
        Drift: filters the service accepts but does not apply, by their table names
        (:data:`~digitalcx_frames.simulator._server.FILTER_NAMES`: ``interactionTypes``,
        ``mainInteractionType``, ``activeSessionOnly``, ``filterText``, ``includeUserInfo``);
        an ignored parameter is not even validated, like an unknown one. Ignoring
        ``mainInteractionType`` or ``includeUserInfo`` ignores both spellings.
    filter_spelling
        Which spelling of the two disputed parameters is honoured: ``"any"`` (default: both
        ``mainInteractionType``/``mainInteractionTypes`` and
        ``includeUserInfo``/``includeUserinfo``, names case-insensitive), ``"table"`` (only
        ``mainInteractionType`` and ``includeUserInfo``, case-sensitive) or ``"example"``
        (only ``mainInteractionTypes`` and ``includeUserinfo``, case-sensitive). The spelling
        not honoured is ignored like an unknown parameter.

    Notes
    -----
    Gateway timeouts are a :class:`Faults` setting: ``Faults(timeout_hours=6,
    timeout_delay=120)`` answers 504 to every window longer than 6 h, after 120 s.

    Examples
    --------
    >>> day = datetime(2026, 11, 19, tzinfo=UTC)
    >>> with Simulator(rows_per_day=50, today=date(2026, 11, 20), projects=("support", "sales"),
    ...                cultures=("nl", "en"), ignore_filters={"filterText"}) as sim:
    ...     rows = sim.expected_rows(day, day + timedelta(days=1), project_key="sales", culture="en")
    ...     sim.project_key, sim.project_keys, {row["Culture"] for row in rows}
    ('support', ('support', 'sales'), {'en'})
    """

    def __init__(
        self,
        *,
        seed: int = 0,
        rows_per_day: int = 2_000,
        page_size: int = 1_000,
        end_with_204: bool = False,
        today: date | None = None,
        delimiter: str = ",",
        bom: bool = False,
        lowercase_header: bool = False,
        culture: str = "nl",
        customer_key: str = "demo-customer",
        project_key: str = "demo-project",
        client_id: str = "simulator-client",
        client_secret: str = "simulator-secret",
        token_lifetime: int = 86_399,
        user_info_rights: bool = True,
        unknown_type_rate: float = 0.0,
        faults: Faults | None = None,
        clock: Callable[[], float] | None = None,
        process: bool = False,
        prerender: tuple[date, date] | None = None,
        port: int = 0,
        sleep: Callable[[float], object] | None = None,
        header_case: str = "pascal",
        json_key_case: str = "pascal",
        extra_column: str | None = None,
        paging_header: str = "continuationToken",
        ignore_filters: Iterable[str] = (),
        filter_spelling: str = "any",
        projects: Sequence[str] = (),
        cultures: Sequence[str] = (),
        traffic: str = "flat",
        time_zone: str = "Europe/Amsterdam",
        malformed_rate: float = 0.0,
        crossing_sessions: int | None = None,
    ) -> None:
        if delimiter not in (",", "|"):
            raise ValueError(f"delimiter must be ',' or '|', not {delimiter!r}")
        if not 0 <= rows_per_day <= 500_000 or page_size < 1:
            raise ValueError("rows_per_day must be in 0..500000 and page_size >= 1")
        self.config = Config(
            seed=seed,
            rows_per_day=rows_per_day,
            page_size=page_size,
            end_with_204=end_with_204,
            delimiter=delimiter,
            bom=bom,
            lowercase_header=lowercase_header,
            culture=culture,
            customer_key=customer_key,
            project_key=project_key,
            client_id=client_id,
            client_secret=client_secret,
            token_lifetime=token_lifetime,
            user_info_rights=user_info_rights,
            unknown_type_rate=unknown_type_rate,
            faults=faults or Faults(),
            header_case=header_case,
            json_key_case=json_key_case,
            extra_column=extra_column,
            paging_header=paging_header,
            ignore_filters=frozenset(ignore_filters),
            filter_spelling=filter_spelling,
            projects=tuple(projects),
            cultures=tuple(cultures),
            traffic=traffic,
            time_zone=time_zone,
            malformed_rate=malformed_rate,
            crossing_sessions=crossing_sessions,
        )
        if not 0 <= port <= 65535:
            raise ValueError(f"port must be in 0..65535, not {port}")
        self.process = process
        self._state = State(self.config, today=today, clock=clock or time.time, sleep=sleep)
        self._server: SimulatorHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._child: Any = None
        if process:
            if clock is not None or sleep is not None:
                raise ValueError("clock= and sleep= cannot cross into a child process; use advance_time() instead")
            port = self._start_child(today, prerender, port)
        else:
            if prerender is not None:
                self._state.prerender(*prerender)
            self._server = make_server(self._state, port=port)
            port = int(self._server.server_address[1])
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.1},
                name="digitalcx-simulator",
                daemon=True,
            )
            self._thread.start()
        self.port = port
        self.base_url = f"http://127.0.0.1:{port}"
        self.token_url = f"{self.base_url}/{TENANT}/oauth2/token"
        self.resource = RESOURCE
        self.client_id = client_id
        self.client_secret = client_secret
        self.customer_key = customer_key
        self.project_key = self.config.project_key
        self.culture = self.config.culture
        self.project_keys: tuple[str, ...] = self.config.project_keys
        """Every project served (``project_key`` first)."""
        self.cultures: tuple[str, ...] = self.config.culture_names
        """Every culture of each project (``culture`` first)."""
        self.connection: Connection = {
            "client_id": client_id,
            "client_secret": client_secret,
            "base_url": self.base_url,
            "token_url": self.token_url,
        }

    def _start_child(self, today: date | None, prerender: tuple[date, date] | None, port: int) -> int:
        """Start the server in a spawned child process; returns its port."""
        context = multiprocessing.get_context("spawn")
        receiver, sender = context.Pipe(duplex=False)
        self._child = context.Process(target=_child, args=(self.config, today, prerender, sender, port), daemon=True)
        self._child.start()
        sender.close()
        try:
            if not receiver.poll(300):
                raise RuntimeError("the simulator's child process did not start")
            answer = receiver.recv()
            if isinstance(answer, str):
                self._child.join(10)
                raise OSError(f"the simulator cannot listen on port {port}: {answer}")
            return int(answer)
        except EOFError:
            raise RuntimeError(
                "the simulator's child process died while starting; a script that uses process=True "
                "must guard its entry point with `if __name__ == '__main__':` (multiprocessing spawn)"
            ) from None
        finally:
            receiver.close()

    # -- lifecycle ---------------------------------------------------------------------------
    def __enter__(self) -> Simulator:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        mode = "process" if self.process else "thread"
        return f"Simulator({self.base_url}, {mode}, seed={self.config.seed}, rows_per_day={self.config.rows_per_day})"

    def stop(self) -> None:
        """Shut the server down and release its socket (idempotent)."""
        self._state.stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            if self._thread is not None:
                self._thread.join()
            self._server = None
        if self._child is not None:
            with contextlib.suppress(OSError):
                self._admin("POST", "shutdown", {})
            self._child.join(10)
            if self._child.is_alive():
                self._child.terminate()
                self._child.join(5)
            self._child.close()
            self._child = None

    # -- admin over HTTP (process mode) ------------------------------------------------------
    def _admin(self, method: str, action: str, payload: dict[str, object] | None = None) -> Any:
        data = None if payload is None else json.dumps(payload).encode()
        request = urllib.request.Request(f"{self.base_url}/_simulator/{action}", data=data, method=method)
        with urllib.request.urlopen(request, timeout=600) as response:
            return json.loads(response.read())

    # -- clock -------------------------------------------------------------------------------
    @property
    def today(self) -> date:
        """The simulator's today (UTC), used by the 90-day rule; settable."""
        return self._state.today

    @today.setter
    def today(self, value: date) -> None:
        self._state.today_override = value
        if self.process:
            self._admin("POST", "today", {"today": value.isoformat()})

    def advance_days(self, days: int) -> None:
        """Move today by ``days`` (negative moves back)."""
        self.today = self.today + timedelta(days=days)

    def advance_time(self, seconds: float) -> None:
        """Move the token clock forward, e.g. past ``token_lifetime`` to expire every token."""
        self._state.clock_offset += seconds
        if self.process:
            self._admin("POST", "advance_time", {"seconds": seconds})

    # -- faults ------------------------------------------------------------------------------
    def inject(self, kind: str, count: int = 1) -> None:
        """Apply the fault ``kind`` (one of :data:`FAULT_KINDS`) to the next ``count`` interactions requests."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; known kinds: {', '.join(sorted(FAULT_KINDS))}")
        if self.process:
            self._admin("POST", "inject", {"kind": kind, "count": count})
        else:
            self._state.inject(kind, count)

    @property
    def fault_counts(self) -> dict[str, int]:
        """How many faults of each kind were applied (scripted and random)."""
        if self.process:
            return {str(k): int(v) for k, v in self._admin("GET", "faults").items()}
        with self._state.lock:
            return dict(self._state.fault_counts)

    # -- request log -------------------------------------------------------------------------
    @property
    def log(self) -> list[RequestRecord]:
        """Every token and interactions request so far, oldest first."""
        if self.process:
            entries = self._admin("GET", "log")
        else:
            with self._state.lock:
                entries = list(self._state.log)
        return [RequestRecord.from_entry(entry) for entry in entries]

    @property
    def interaction_requests(self) -> list[RequestRecord]:
        """The interactions requests of :attr:`log` (``len()`` counts them)."""
        return [record for record in self.log if record.path.endswith("/interactions")]

    @property
    def token_requests(self) -> list[RequestRecord]:
        """The token requests of :attr:`log`."""
        return [record for record in self.log if record.path.endswith("/oauth2/token")]

    def clear_log(self) -> None:
        """Forget the request log and the fault counts."""
        if self.process:
            self._admin("POST", "clear", {})
        with self._state.lock:
            self._state.log.clear()
            self._state.fault_counts.clear()

    # -- ground truth ------------------------------------------------------------------------
    def expected_rows(
        self,
        start: datetime,
        end: datetime,
        *,
        interaction_types: object = None,
        main_interaction_type: object = None,
        active_session_only: bool = False,
        filter_text: str | None = None,
        environment: str = "Production",
        session_mode: str = "Public",
        include_user_info: bool = False,
        project_key: str | None = None,
        culture: str | None = None,
    ) -> list[dict[str, object]]:
        """The rows the endpoint serves for ``[start, end)`` and these filters, in wire order.

        ``project_key`` and ``culture`` (default: the first of each) choose the stream.

        Keys are API column names; values are Python values: ``LogId`` int, ``SessionIsActive``
        bool, timestamps aware UTC datetimes (millisecond precision), ``AllInteractionTypes``
        a list of names, ``RecognitionQuality`` float or None, other columns str (``""`` when
        empty). Masks accept anything :meth:`InteractionType.coerce` does.
        """
        filters = Filters(
            interaction_types=_mask(interaction_types),
            main_interaction_type=_mask(main_interaction_type),
            active_session_only=active_session_only,
            filter_text=filter_text or None,
            environment=environment,
            session_mode=session_mode,
            include_user_info=include_user_info,
        )
        config = self.config
        project = config.project_key if project_key is None else project_key
        name = config.culture if culture is None else culture
        if project not in config.project_keys or name not in config.culture_names:
            raise ValueError(f"no project {project!r} with culture {name!r} in this simulator")
        unit = config.unit(project, name)
        return self._state.expected(start.astimezone(UTC), end.astimezone(UTC), filters, unit)


def serve_forever(*, port: int = 8765, host: str = "127.0.0.1", today: date | None = None, **options: Any) -> None:
    """Serve a simulator in the foreground until interrupted (the ``simulator`` CLI command).

    Prints the base URL, token URL, credentials and keys first. ``options`` are the
    keyword arguments of :class:`Simulator` that configure data and faults (``seed``,
    ``rows_per_day``, ``page_size``, ``delimiter``, ``faults`` ...).
    """
    known = {f.name for f in fields(Config)}
    unknown = set(options) - known
    if unknown:
        raise TypeError(f"unknown simulator options: {', '.join(sorted(unknown))}")
    for name in ("projects", "cultures", "ignore_filters"):
        if name in options:
            options[name] = (frozenset if name == "ignore_filters" else tuple)(options[name])
    config = Config(**options)
    state = State(config, today=today)
    server = make_server(state, host, port)
    base = f"http://{host}:{server.server_address[1]}"
    print(f"DigitalCX Analytics API simulator on {base}", flush=True)
    for name, value in (
        ("DIGITALCX_BASE_URL", base),
        ("DIGITALCX_TOKEN_URL", f"{base}/{TENANT}/oauth2/token"),
        ("DIGITALCX_CLIENT_ID", config.client_id),
        ("DIGITALCX_CLIENT_SECRET", config.client_secret),
        ("customer_key", config.customer_key),
        ("project_key", ",".join(config.project_keys)),
        ("culture", ",".join(config.culture_names)),
    ):
        print(f"  export {name}={value}" if name.startswith("DIGITALCX_") else f"  {name}={value}", flush=True)
    print("Press Ctrl+C to stop.", file=sys.stderr, flush=True)
    with server, contextlib.suppress(KeyboardInterrupt):
        server.serve_forever(poll_interval=0.2)
