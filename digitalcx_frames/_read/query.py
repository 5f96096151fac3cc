"""Query: the frozen, validated parameters of one read, and their wire form. No I/O.

Everything a user can get wrong is checked here, before any request, and reported as a
:class:`~digitalcx_frames.errors.ConfigurationError` that says what is allowed.

Examples
--------
>>> from datetime import datetime, timezone
>>> q = build_query("acme", "support", culture="nl", start="2026-11-01", end="2026-11-08",
...                 interaction_types=["QA", "Dialog"], now=datetime(2026, 11, 20, tzinfo=timezone.utc))
>>> q.start.isoformat(), q.end.isoformat()
('2026-11-01T00:00:00+00:00', '2026-11-08T00:00:00+00:00')
>>> q.wire_params()["interactionTypes"]
'10'
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Final, Literal

import numpy as np

from digitalcx_frames.errors import ConfigurationError
from digitalcx_frames.flags import InteractionType, InteractionTypeError

__all__ = [
    "ENVIRONMENTS",
    "EXAMPLE_SPELLINGS",
    "FIRST_DAY",
    "HISTORY_DAYS",
    "SESSION_MODES",
    "WIRE_NAMES",
    "Query",
    "build_query",
    "check_cache",
    "check_key",
    "check_workers",
    "earliest_start",
    "format_instant",
    "to_utc",
]

FIRST_DAY: Final = date(2024, 12, 15)
"""The API holds no data before this day."""
HISTORY_DAYS: Final = 90
"""The API serves at most this many days back (from 00:00 UTC of today minus 90 days)."""
ENVIRONMENTS: Final = ("Production", "Staging")
SESSION_MODES: Final = ("Public", "Internal", "Test", "Monitor")
FORMATS: Final = ("csv", "json")

_KEY_RE: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._~-]*$")
_CULTURE_RE: Final = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")

WIRE_NAMES: Final[dict[str, str]] = {
    "culture": "culture",
    "start": "startDate",
    "end": "endDate",
    "environment": "environment",
    "session_mode": "sessionMode",
    "interaction_types": "interactionTypes",
    "main_interaction_types": "mainInteractionType",
    "active_sessions_only": "activeSessionOnly",
    "filter_text": "filterText",
    "include_user_info": "includeUserInfo",
}
"""THE table of query parameter names: Python argument -> the name sent on the wire.

The spelling of the vendor's parameter table (API.md §2). Where the vendor's own example
request spells a name otherwise (:data:`EXAMPLE_SPELLINGS`), ``digitalcx-frames doctor``
probes both; if the live service honours only the other, the fix is one line here.
"""
EXAMPLE_SPELLINGS: Final[dict[str, str]] = {
    "main_interaction_types": "mainInteractionTypes",
    "include_user_info": "includeUserinfo",
}
"""The spelling of the vendor's example request where it differs from :data:`WIRE_NAMES`."""

Instant = date | datetime | str | np.datetime64
"""A point in time a user may give: ``date``, ``datetime`` (``pd.Timestamp`` is one), ``np.datetime64`` or ISO text."""
Format = Literal["csv", "json"]


def earliest_start(now: datetime) -> datetime:
    """The earliest start the API allows at ``now``: 00:00 UTC 90 days back, never before 2024-12-15.

    >>> earliest_start(datetime(2026, 11, 20, 15, 30, tzinfo=UTC)).isoformat()
    '2026-08-22T00:00:00+00:00'
    """
    day = max(to_utc(now, name="now").date() - timedelta(days=HISTORY_DAYS), FIRST_DAY)
    return datetime.combine(day, time(), UTC)


def to_utc(value: Instant, *, name: str) -> datetime:
    """An aware UTC datetime from a date, datetime, ``pd.Timestamp``, ``np.datetime64`` or ISO string.

    A naive datetime means UTC; an ``np.datetime64`` (numpy has no time zones) is UTC.

    >>> to_utc("2025-03-01", name="start").isoformat()
    '2025-03-01T00:00:00+00:00'
    >>> to_utc("2025-03-01T10:00:00+01:00", name="start").isoformat()
    '2025-03-01T09:00:00+00:00'
    >>> import numpy as np
    >>> to_utc(np.datetime64("2025-03-01T06:30"), name="start").isoformat()
    '2025-03-01T06:30:00+00:00'
    """
    if isinstance(value, np.datetime64):
        if np.isnat(value):
            raise ConfigurationError(f"{name} is NaT (not a time); give a date, a datetime or an ISO string")
        value = value.astype("datetime64[us]").item()  # a naive datetime: numpy has no time zones
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime.combine(value, time())
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ConfigurationError(
                f"{name}={value!r} is not a date; give a date, a datetime or an ISO string such as "
                "'2025-03-01' or '2025-03-01T12:00:00Z'"
            ) from None
    else:
        raise ConfigurationError(
            f"{name} must be a date, a datetime, an np.datetime64 or an ISO string, "
            f"not {type(value).__name__} {value!r}"
        )
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def format_instant(moment: datetime) -> str:
    """The wire form of an instant: UTC with a ``Z`` suffix (``2026-03-25T00:00:00Z``)."""
    text = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond:06d}".rstrip("0")
    return text + "Z"


@dataclass(frozen=True, slots=True)
class Query:
    """The validated parameters of one read (build it with :func:`build_query`)."""

    customer_key: str
    project_key: str
    culture: str
    start: datetime
    end: datetime
    interaction_types: InteractionType | None = None
    main_interaction_types: InteractionType | None = None
    environment: str = "Production"
    session_mode: str = "Public"
    active_sessions_only: bool = False
    filter_text: str | None = None
    include_user_info: bool = False
    format: Format = "csv"

    @property
    def accept(self) -> str:
        """The ``Accept`` header for the chosen format."""
        return "application/json" if self.format == "json" else "text/csv"

    def wire_params(self) -> dict[str, str]:
        """The query-string parameters shared by every window (without the dates).

        The client sends the spelling of the vendor's parameter table (API.md §2).
        """
        name = WIRE_NAMES
        params = {
            name["culture"]: self.culture,
            name["environment"]: self.environment,
            name["session_mode"]: self.session_mode,
        }
        if self.interaction_types is not None:
            params[name["interaction_types"]] = str(int(self.interaction_types))
        if self.main_interaction_types is not None:
            params[name["main_interaction_types"]] = str(int(self.main_interaction_types))
        if self.active_sessions_only:
            params[name["active_sessions_only"]] = "true"
        if self.filter_text is not None:
            params[name["filter_text"]] = self.filter_text
        if self.include_user_info:
            params[name["include_user_info"]] = "true"
        return params

    def identity(self) -> dict[str, str]:
        """Everything that changes which rows come back, for cache keys (dates excluded)."""
        return {**self.wire_params(), "customer": self.customer_key, "project": self.project_key, "format": self.format}


def check_key(value: object, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigurationError(f"{name} must be a non-empty string, got {value!r}")
    if not _KEY_RE.fullmatch(value) or value in {".", ".."}:
        raise ConfigurationError(
            f"{name}={value!r} is not a valid key: use ASCII letters, digits, '.', '_', '~' and '-' only "
            "(no '/', '..', '?', '#', spaces or accents)"
        )
    return value


def check_workers(value: object) -> int:
    """``max_workers`` of a read or a sync: an int of at least 1 (not a bool)."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigurationError(f"max_workers must be an int >= 1, got {value!r}")
    return value


def check_cache(value: object) -> None:
    """``cache=`` of a read: ``True``, ``False`` or a folder path."""
    if not isinstance(value, bool | str | os.PathLike):
        raise ConfigurationError(f"cache must be True, False or a folder path, not {value!r}")


def _check_choice(value: object, name: str, allowed: tuple[str, ...]) -> str:
    if isinstance(value, str) and value in allowed:
        return value
    hint = ""
    if isinstance(value, str):
        same_case = [a for a in allowed if a.casefold() == value.strip().casefold()]
        close = same_case or difflib.get_close_matches(value, allowed, n=1)
        if close:
            hint = f"; did you mean {close[0]!r}? (values are case-sensitive)"
    raise ConfigurationError(f"{name}={value!r} is not allowed; use one of {', '.join(allowed)}{hint}")


def _check_mask(value: object, name: str) -> InteractionType | None:
    if value is None:
        return None
    try:
        return InteractionType.coerce(value)
    except InteractionTypeError as exc:
        raise ConfigurationError(f"{name}: {exc}") from exc


def _check_bool(value: object, name: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigurationError(f"{name} must be True or False, not {value!r}")
    return value


def build_query(
    customer_key: str,
    project_key: str,
    *,
    culture: str,
    start: Instant,
    end: Instant,
    interaction_types: object = None,
    main_interaction_types: object = None,
    environment: str = "Production",
    session_mode: str = "Public",
    active_sessions_only: bool = False,
    filter_text: str | None = None,
    include_user_info: bool = False,
    format: str = "csv",
    now: datetime | None = None,
) -> Query:
    """Validate every argument of a read and freeze them into a :class:`Query`.

    Parameters
    ----------
    now
        The clock for the 90-day rule (default: the current time); tests inject it.

    Raises
    ------
    ConfigurationError
        For anything the API would refuse or that makes no sense, before any request.
    """
    customer_key = check_key(customer_key, "customer_key")
    project_key = check_key(project_key, "project_key")
    if not isinstance(culture, str) or not _CULTURE_RE.fullmatch(culture):
        raise ConfigurationError(
            f"culture={culture!r} is not a culture code; give the project's culture such as 'nl', 'en' or 'nl-NL' "
            "(case-sensitive, as configured in the project)"
        )
    begin = to_utc(start, name="start")
    stop = to_utc(end, name="end")
    if stop <= begin:
        raise ConfigurationError(
            f"end ({stop.isoformat()}) must be after start ({begin.isoformat()}); end is exclusive, so "
            "start='2025-03-01', end='2025-03-02' reads one whole day"
        )
    clock = to_utc(now, name="now") if now is not None else datetime.now(UTC)
    floor = earliest_start(clock)
    if begin < floor:
        reason = (
            "the API holds no data before 2024-12-15"
            if floor.date() == FIRST_DAY
            else f"the API serves at most {HISTORY_DAYS} days back (from 00:00 UTC)"
        )
        raise ConfigurationError(
            f"start {begin.isoformat()} is too early: {reason}; the earliest allowed start today is "
            f"{floor.date().isoformat()}. Older days are only kept in an archive (see sync_archive)"
        )
    if format not in FORMATS:
        raise ConfigurationError(f"format={format!r} is not allowed; use 'csv' (default) or 'json'")
    if filter_text is not None and not isinstance(filter_text, str):
        raise ConfigurationError(f"filter_text must be a string or None, not {type(filter_text).__name__}")
    return Query(
        customer_key=customer_key,
        project_key=project_key,
        culture=culture,
        start=begin,
        end=stop,
        interaction_types=_check_mask(interaction_types, "interaction_types"),
        main_interaction_types=_check_mask(main_interaction_types, "main_interaction_types"),
        environment=_check_choice(environment, "environment", ENVIRONMENTS),
        session_mode=_check_choice(session_mode, "session_mode", SESSION_MODES),
        active_sessions_only=_check_bool(active_sessions_only, "active_sessions_only"),
        filter_text=filter_text or None,
        include_user_info=_check_bool(include_user_info, "include_user_info"),
        format="json" if format == "json" else "csv",
    )
