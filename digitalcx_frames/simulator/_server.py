"""The simulator's state and the rules of its endpoints (the HTTP layer is in ``handler``).

One :class:`State` holds the configuration, the rendered days, issued tokens, the request
log and the fault scripts. The rules are those of ``API.md`` sections 1-4; where API.md leaves
a choice open the simulator's choice is written next to the code that makes it.
"""

from __future__ import annotations

import base64
import bisect
import gc
import hashlib
import itertools
import json
import random
import secrets
import threading
import time
from collections import Counter, OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from digitalcx_frames.flags import KNOWN_BITS
from digitalcx_frames.schema import API_COLUMN_NAMES
from digitalcx_frames.simulator._data import COMBOS, Day, generate_day, row_dict
from digitalcx_frames.simulator._faults import Faults
from digitalcx_frames.simulator._render import full_lines, json_objects

_BODY_CACHE_BYTES: Final = 768 * 1024 * 1024

__all__ = [
    "FILTER_NAMES",
    "FILTER_SPELLINGS",
    "Config",
    "Filters",
    "Reply",
    "State",
    "earliest_start",
    "parse_query",
    "query_key",
]

TENANT: Final = "digitalcx.onmicrosoft.com"
RESOURCE: Final = "https://digitalcx.onmicrosoft.com/external-api"
FIRST_DAY: Final = date(2024, 12, 15)
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_TRUE: Final = {"true": True, "false": False}

FILTER_NAMES: Final = ("interactionTypes", "mainInteractionType", "activeSessionOnly", "filterText", "includeUserInfo")
"""The filters a simulator can be told to ignore (``ignore_filters``), by their table spelling."""
FILTER_SPELLINGS: Final[dict[str, dict[str, tuple[str, ...]]]] = {
    "any": {
        "mainInteractionType": ("mainInteractionType", "mainInteractionTypes"),
        "includeUserInfo": ("includeUserInfo",),
    },
    "table": {"mainInteractionType": ("mainInteractionType",), "includeUserInfo": ("includeUserInfo",)},
    "example": {"mainInteractionType": ("mainInteractionTypes",), "includeUserInfo": ("includeUserinfo",)},
}
"""The names honoured for the two parameters the vendor's documents spell two ways.

``"any"`` (default): both spellings, names matched case-insensitively like every other
parameter. ``"table"`` / ``"example"``: only the spelling of the vendor's table
(``mainInteractionType``, ``includeUserInfo``) or of its example request
(``mainInteractionTypes``, ``includeUserinfo``), matched case-sensitively; the other
spelling is an unknown parameter (ignored, as the service ignores unknown parameters).
"""
HEADER_CASES: Final = ("pascal", "lower", "upper")
JSON_KEY_CASES: Final = ("pascal", "camel", "lower")


@dataclass(frozen=True, slots=True)
class Config:
    """Everything that configures a simulator (picklable, so a child process can rebuild it)."""

    seed: int = 0
    rows_per_day: int = 2_000
    page_size: int = 1_000
    end_with_204: bool = False
    delimiter: str = ","
    bom: bool = False
    lowercase_header: bool = False
    culture: str = "nl"
    customer_key: str = "demo-customer"
    project_key: str = "demo-project"
    client_id: str = "simulator-client"
    client_secret: str = "simulator-secret"
    token_lifetime: int = 86_399
    user_info_rights: bool = True
    unknown_type_rate: float = 0.0
    faults: Faults = field(default_factory=Faults)
    header_case: str = "pascal"
    json_key_case: str = "pascal"
    extra_column: str | None = None
    paging_header: str = "continuationToken"
    ignore_filters: frozenset[str] = frozenset()
    filter_spelling: str = "any"
    projects: tuple[str, ...] = ()
    cultures: tuple[str, ...] = ()
    traffic: str = "flat"
    malformed_rate: float = 0.0
    time_zone: str = "Europe/Amsterdam"
    crossing_sessions: int | None = None

    @property
    def project_keys(self) -> tuple[str, ...]:
        """Every project the simulator serves (``project_key`` first)."""
        return self.projects or (self.project_key,)

    @property
    def culture_names(self) -> tuple[str, ...]:
        """Every culture of every project (``culture`` first)."""
        return self.cultures or (self.culture,)

    def unit(self, project_key: str, culture: str) -> int:
        """The index of a (project, culture) stream: projects in order, then cultures."""
        return self.project_keys.index(project_key) * len(self.culture_names) + self.culture_names.index(culture)

    def stream(self, unit: int) -> tuple[str, str, str]:
        """``(label, project_key, culture)`` of a stream; the first stream's label is ``""``."""
        project, culture = divmod(unit, len(self.culture_names))
        key, name = self.project_keys[project], self.culture_names[culture]
        return ("" if unit == 0 else f"{key}/{name}"), key, name

    def __post_init__(self) -> None:
        """Check the drift knobs (a typo must not silently mean "no drift")."""
        if self.header_case not in HEADER_CASES:
            raise ValueError(f"header_case must be one of {', '.join(HEADER_CASES)}, not {self.header_case!r}")
        if self.json_key_case not in JSON_KEY_CASES:
            raise ValueError(f"json_key_case must be one of {', '.join(JSON_KEY_CASES)}, not {self.json_key_case!r}")
        unknown = set(self.ignore_filters) - set(FILTER_NAMES)
        if unknown:
            raise ValueError(f"ignore_filters: unknown {', '.join(sorted(unknown))}; known: {', '.join(FILTER_NAMES)}")
        if self.filter_spelling not in FILTER_SPELLINGS:
            raise ValueError(
                f"filter_spelling must be one of {', '.join(FILTER_SPELLINGS)}, not {self.filter_spelling!r}"
            )
        if not self.paging_header or self.extra_column == "":
            raise ValueError("paging_header and extra_column must not be empty")
        if self.extra_column is not None and self.extra_column.lower() in {n.lower() for n in API_COLUMN_NAMES}:
            raise ValueError(f"extra_column {self.extra_column!r} is a documented column")
        for label, names in (("projects", self.projects), ("cultures", self.cultures)):
            if len(set(names)) != len(names) or not all(names):
                raise ValueError(f"{label} must be distinct, non-empty names: {names!r}")
        if self.projects and self.projects[0] != self.project_key:
            object.__setattr__(self, "project_key", self.projects[0])
        if self.cultures and self.cultures[0] != self.culture:
            object.__setattr__(self, "culture", self.cultures[0])
        if self.traffic not in ("flat", "realistic"):
            raise ValueError(f"traffic must be 'flat' or 'realistic', not {self.traffic!r}")
        if self.crossing_sessions is not None and not 0 <= self.crossing_sessions <= self.rows_per_day // 20:
            raise ValueError("crossing_sessions must be in 0..rows_per_day // 20")
        if not 0 <= self.malformed_rate <= 1:
            raise ValueError(f"malformed_rate must be in 0..1, not {self.malformed_rate!r}")
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"time_zone {self.time_zone!r} is not an IANA time zone") from None
        if self.lowercase_header and self.header_case == "pascal":
            object.__setattr__(self, "header_case", "lower")


@dataclass(frozen=True, slots=True)
class Filters:
    """The row filters of one query (API.md section 2), already validated."""

    interaction_types: int | None = None
    main_interaction_type: int | None = None
    active_session_only: bool = False
    filter_text: str | None = None
    environment: str = "Production"
    session_mode: str = "Public"
    include_user_info: bool = False


def earliest_start(today: date) -> datetime:
    """00:00 UTC of the day 90 days before ``today``, and never before 2024-12-15 (API.md section 3).

    >>> earliest_start(date(2026, 11, 20))
    datetime.datetime(2026, 8, 22, 0, 0, tzinfo=datetime.timezone.utc)
    """
    day = max(today - timedelta(days=90), FIRST_DAY)
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _ms(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(milliseconds=1)


class Reply(Exception):  # noqa: N818 - an answer, not an error
    """Raised inside the handler to answer with a JSON error body."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


class State:
    """Shared state of one running simulator (thread-safe)."""

    def __init__(
        self,
        config: Config,
        *,
        today: date | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], object] | None = None,
    ) -> None:
        self.config = config
        self.today_override = today
        self.clock = clock
        self.clock_offset = 0.0
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self._sleep = sleep
        self.tokens: dict[str, float] = {}
        self.log: list[dict[str, Any]] = []
        self.fault_counts: Counter[str] = Counter()
        self.scripted: deque[str] = deque()
        self.fault_rng = random.Random(config.faults.seed if config.faults.seed is not None else config.seed)
        self._days: dict[tuple[int, date], Day] = {}
        self._day_locks: dict[tuple[int, date], threading.Lock] = {}
        self._selections: OrderedDict[tuple[str, date], list[tuple[Day, int]]] = OrderedDict()
        self._bodies: OrderedDict[tuple[object, ...], bytes] = OrderedDict()
        self._body_bytes = 0

    # -- clock -------------------------------------------------------------------------------
    @property
    def today(self) -> date:
        """The simulator's today (UTC): injected, or the real UTC date."""
        return self.today_override if self.today_override is not None else datetime.now(UTC).date()

    def now(self) -> float:
        """Seconds on the token clock (the injected clock plus any advance)."""
        return self.clock() + self.clock_offset

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` (latency, slow answers, gateway timeouts).

        The injected sleep, else a wait that :meth:`Simulator.stop` cuts short.
        """
        if self._sleep is not None:
            self._sleep(seconds)
        else:
            self.stopping.wait(seconds)

    # -- data --------------------------------------------------------------------------------
    def day(self, day: date, unit: int = 0) -> Day:
        """The rows of one UTC day of one (project, culture) stream, generated once and cached."""
        found = self._days.get((unit, day))
        if found is not None:
            return found
        with self.lock:
            day_lock = self._day_locks.setdefault((unit, day), threading.Lock())
        with day_lock:
            found = self._days.get((unit, day))
            if found is None:
                config = self.config
                stream, _, culture = config.stream(unit)
                found = generate_day(
                    day,
                    seed=config.seed,
                    rows_per_day=config.rows_per_day,
                    culture=culture,
                    unknown_type_rate=config.unknown_type_rate,
                    stream=stream,
                    slot=(unit, len(config.project_keys) * len(config.culture_names)),
                    traffic=config.traffic,
                    time_zone=config.time_zone,
                    malformed_rate=config.malformed_rate,
                    crossing_sessions=config.crossing_sessions,
                )
                self._days[(unit, day)] = found
                gc.freeze()  # a day is millions of long-lived objects: keep them out of every GC pass
            return found

    def prerender(self, first: date, last: date, *, json_bodies: bool = False) -> None:
        """Generate and render the CSV (and with ``json_bodies`` the JSON) of every day from ``first`` to ``last``."""
        config = self.config
        day = first
        while day <= last:
            for unit in range(len(config.project_keys) * len(config.culture_names)):
                full_lines(self.day(day, unit), config.delimiter, user_info=False)
                if json_bodies:
                    json_objects(
                        self.day(day, unit),
                        user_info=False,
                        key_case=config.json_key_case,
                        extra_column=config.extra_column,
                    )
                start = datetime(day.year, day.month, day.day, tzinfo=UTC)
                self.select(start, start + timedelta(days=1), Filters(), unit)  # builds the default selection index
            day += timedelta(days=1)

    def select(self, start: datetime, end: datetime, filters: Filters, unit: int = 0) -> list[tuple[Day, int]]:
        """The rows of ``[start, end)`` that pass ``filters``, ordered by (TimestampStart, LogId)."""
        combo = (filters.environment, filters.session_mode)
        if combo not in COMBOS or end <= start:
            return []
        combo_index = COMBOS.index(combo)
        start_ms, end_ms = _ms(start), _ms(end)
        types, main, text = filters.interaction_types, filters.main_interaction_type, filters.filter_text
        out: list[tuple[Day, int]] = []
        day = start.date()
        last = (end - timedelta(milliseconds=1)).date()
        while day <= min(last, self.today):  # days after "today" have no data yet
            data = self.day(day, unit)
            key = ("combo", combo_index)
            pair: Any = data.cache.get(key)
            if pair is None:  # the rows of one (environment, sessionMode), and their timestamps
                indices = [i for i, c in enumerate(data.combo) if c == combo_index]
                pair = data.cache[key] = (indices, [data.ts[i] for i in indices])
            indices, stamps = pair
            found = indices[bisect.bisect_left(stamps, start_ms) : bisect.bisect_left(stamps, end_ms)]
            if filters.active_session_only:
                found = [i for i in found if data.active[i]]
            if types is not None:
                found = [i for i in found if data.mask[i] & types]
            if main is not None:
                found = [i for i in found if data.main_bit[i] & main]
            if text is not None:
                found = [i for i in found if text in data.rows[i][10]]
            out.extend(zip(itertools.repeat(data), found, strict=False))
            day += timedelta(days=1)
        return out

    def select_cached(
        self, key: str, start: datetime, end: datetime, filters: Filters, unit: int = 0
    ) -> list[tuple[Day, int]]:
        """:meth:`select`, remembered per query (``key``) and today, so that pages reuse it."""
        cache_key = (key, self.today)
        with self.lock:
            found = self._selections.get(cache_key)
            if found is not None:
                self._selections.move_to_end(cache_key)
                return found
        rows = self.select(start, end, filters, unit)
        with self.lock:
            self._selections[cache_key] = rows
            while len(self._selections) > 128:
                self._selections.popitem(last=False)
        return rows

    def body_cached(self, key: tuple[object, ...], render: Callable[[], bytes]) -> bytes:
        """A fault-free page body, rendered once per ``key`` and kept (LRU, up to ~768 MB).

        Serving a page is then one send, so the simulator is not what a benchmark measures.
        """
        with self.lock:
            found = self._bodies.get(key)
            if found is not None:
                self._bodies.move_to_end(key)
                return found
        body = render()
        with self.lock:
            if key not in self._bodies:
                self._bodies[key] = body
                self._body_bytes += len(body)
            while self._body_bytes > _BODY_CACHE_BYTES and self._bodies:
                _, dropped = self._bodies.popitem(last=False)
                self._body_bytes -= len(dropped)
        return body

    def expected(self, start: datetime, end: datetime, filters: Filters, unit: int = 0) -> list[dict[str, object]]:
        """Ground truth: the selected rows as dicts of Python values."""
        rows = []
        for data, i in self.select(start, end, filters, unit):
            row = row_dict(data, i)
            if not (filters.include_user_info and self.config.user_info_rights):
                row["AdditionalSessionInfo"] = ""
                row["Variables"] = ""
            rows.append(row)
        return rows

    # -- tokens and faults -------------------------------------------------------------------
    def issue_token(self) -> str:
        """A new access token valid for ``token_lifetime`` seconds on the token clock."""
        token = secrets.token_urlsafe(32)
        with self.lock:
            self.tokens[token] = self.now() + self.config.token_lifetime
        return token

    def token_ok(self, authorization: str | None) -> bool:
        """Whether an ``Authorization`` header carries a known, unexpired bearer token."""
        if not authorization or not authorization.startswith("Bearer "):
            return False
        expiry = self.tokens.get(authorization[7:].strip())
        return expiry is not None and self.now() < expiry

    def inject(self, kind: str, count: int = 1) -> None:
        """Queue ``count`` scripted faults of ``kind`` for the next interactions requests."""
        with self.lock:
            self.scripted.extend([kind] * count)

    def next_fault(self) -> str | None:
        """The fault for this interactions request: a scripted one first, else a random one."""
        faults = self.config.faults
        with self.lock:
            if self.scripted:
                kind = self.scripted.popleft()
            else:
                roll = self.fault_rng.random()
                kind = None
                for name, probability in (
                    ("500", faults.error_500),
                    ("429", faults.error_429),
                    ("cut", faults.cut),
                    ("slow", faults.slow),
                ):
                    if roll < probability:
                        kind = name
                        break
                    roll -= probability
            if kind == "none":
                return None
            if kind is not None:
                self.fault_counts[kind] += 1
            return kind

    def count_fault(self, kind: str) -> None:
        """Count one fault that a rule (not the script) caused."""
        with self.lock:
            self.fault_counts[kind] += 1

    def record(self, entry: dict[str, Any]) -> None:
        """Append one request to the log."""
        with self.lock:
            self.log.append(entry)

    # -- paging ------------------------------------------------------------------------------
    @staticmethod
    def page_token(query_key: str, offset: int) -> str:
        """The opaque continuation token of the page starting at ``offset``."""
        raw = json.dumps({"o": offset, "k": query_key}, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @staticmethod
    def read_page_token(token: str, query_key: str) -> int:
        """The offset a continuation token points at; 400 if it is not one of ours for this query."""
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            data = json.loads(raw)
            offset = int(data["o"])
            if data["k"] != query_key or offset < 0:
                raise ValueError(token)
        except (ValueError, KeyError, TypeError) as exc:
            raise Reply(400, "The continuation token is not valid for this request.") from exc
        return offset


def query_key(start: datetime, end: datetime, filters: Filters, unit: int = 0) -> str:
    """A short digest of what a query selects: its window, its parsed filters and its (project, culture).

    Two requests that select the same rows share it (whatever the parameters' spelling or
    order), so pages, selections and bodies are shared, and a continuation token is only
    valid for the query that issued it.
    """
    text = repr((unit, start.isoformat(), end.isoformat(), filters))
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:16]


def _parse_time(params: dict[str, str], name: str) -> datetime:
    text = params.get(name.lower())
    if text is None or not text.strip():
        raise Reply(400, f"The {name} field is required.")
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise Reply(400, f"The value '{text}' is not valid for {name}.") from None
    if moment.tzinfo is None:  # a timestamp without an offset is read as UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _parse_bool(params: dict[str, str], *names: str) -> bool:
    for name in names:
        text = params.get(name)
        if text is not None:
            value = _TRUE.get(text.strip().lower())
            if value is None:
                raise Reply(400, f"The value '{text}' is not valid for {name}.")
            return value
    return False


def _parse_mask(params: dict[str, str], *names: str) -> int | None:
    for name in names:
        text = params.get(name)
        if text is not None:
            try:
                value = int(text)
            except ValueError:
                raise Reply(400, f"The value '{text}' is not valid for {name}.") from None
            if value < 0 or value & ~KNOWN_BITS:
                raise Reply(400, f"The value '{text}' is not valid for {name}.")
            return value  # 0 overlaps nothing: no rows
    return None


def _parse_choice(params: dict[str, str], name: str, allowed: tuple[str, ...], default: str) -> str:
    text = params.get(name.lower())
    if text is None:
        return default
    if text not in allowed:  # case-sensitive, like the service
        raise Reply(400, f"The value '{text}' is not valid for {name}; use one of {', '.join(allowed)}.")
    return text


def _spelled(raw: dict[str, str], params: dict[str, str], spelling: str, name: str) -> dict[str, str]:
    """The parameters to read ``name`` from: lower-cased names, or only the honoured spelling, exactly."""
    if spelling == "any":
        return {n.lower(): params[n.lower()] for n in FILTER_SPELLINGS["any"][name] if n.lower() in params}
    return {n.lower(): raw[n] for n in FILTER_SPELLINGS[spelling][name] if n in raw}


def parse_query(state: State, raw: dict[str, str], project_key: str) -> tuple[datetime, datetime, Filters, int]:
    """Validate the parameters of one interactions request (``raw``: the names as sent).

    Parameter names are matched case-insensitively, except the two disputed spellings when
    ``filter_spelling`` is not ``"any"``; an ignored filter (``ignore_filters``) is not read
    at all, like an unknown parameter.
    """
    config = state.config
    params = {k.lower(): v for k, v in raw.items()}
    culture = params.get("culture")
    if culture is None or not culture:
        raise Reply(400, "The culture field is required.")
    if culture not in config.culture_names:  # case-sensitive
        raise Reply(400, f"Culture {culture} does not exist for project {project_key}.")
    start = _parse_time(params, "startDate")
    end = _parse_time(params, "endDate")
    if end < start:
        raise Reply(400, "End date cannot be earlier than start date.")
    if end - start > timedelta(days=1):
        raise Reply(400, "The period between start date and end date cannot be longer than one day.")
    earliest = earliest_start(state.today)
    if start < earliest:
        raise Reply(400, f"Start date cannot be earlier than {earliest:%Y-%m-%dT%H:%M:%SZ}: data is kept for 90 days.")
    ignored = config.ignore_filters
    honoured = {name: name not in ignored for name in FILTER_NAMES}
    main = _spelled(raw, params, config.filter_spelling, "mainInteractionType")
    user_info = _spelled(raw, params, config.filter_spelling, "includeUserInfo")
    filters = Filters(
        interaction_types=_parse_mask(params, "interactiontypes") if honoured["interactionTypes"] else None,
        main_interaction_type=_parse_mask(main, *main) if honoured["mainInteractionType"] else None,
        active_session_only=_parse_bool(params, "activesessiononly") if honoured["activeSessionOnly"] else False,
        filter_text=(params.get("filtertext") or None) if honoured["filterText"] else None,
        environment=_parse_choice(params, "environment", ("Production", "Staging"), "Production"),
        session_mode=_parse_choice(params, "sessionMode", ("Public", "Internal", "Test", "Monitor"), "Public"),
        include_user_info=_parse_bool(user_info, *user_info) if honoured["includeUserInfo"] else False,
    )
    return start, end, filters, config.unit(project_key, culture)
