"""Latency and fault injection for the simulator: seeded random faults and scripted one-shots.

Examples
--------
>>> from datetime import date
>>> faults = Faults(latency=0.25, error_500=0.1, timeout_dates=frozenset({date(2026, 11, 3)}))
>>> faults.latency, faults.error_429
(0.25, 0.0)
>>> sorted(FAULT_KINDS)[:3]
['401', '403', '403_token']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Final

__all__ = ["FAULT_KINDS", "Faults"]

FAULT_KINDS: Final = frozenset(
    {
        "500",
        "429",
        "503",
        "401",
        "403_token",
        "403",
        "408",
        "504",
        "cut",
        "broken_chunked",
        "html_200",
        "empty_200",
        "header_only",
        "extra_field",
        "missing_field",
        "invalid_utf8",
        "repeat_token",
        "slow",
        "none",
    }
)
"""The kinds :meth:`Simulator.inject` accepts.

``500`` ``{"message":"Something went wrong"}`` · ``429`` and ``503`` with ``Retry-After`` ·
``401`` · ``403_token`` (the missing-token 403) · ``403`` (``Forbidden``, with a valid
token) · ``408`` · ``504`` · ``cut`` (headers with the full ``Content-Length``, half the
body, then the connection closes) · ``broken_chunked``
(``Transfer-Encoding: chunked`` with a malformed chunk, then close) · ``html_200`` (an HTML
error page with status 200) · ``empty_200`` · ``header_only`` (200 with only the header line)
· ``extra_field`` / ``missing_field`` (one data line with one field too many / too few) ·
``invalid_utf8`` (bytes ``\\xff\\xfe`` inside a data line) · ``repeat_token`` (the answer
carries the continuation token the request sent, or for a first page a token pointing at
the first page again) · ``slow`` (sleep ``slow_delay`` seconds, then answer normally) ·
``none`` (answer normally: queue it before another kind to hit a later request).
"""


@dataclass(frozen=True, slots=True)
class Faults:
    """Random latency and faults on the interactions endpoint; all off by default.

    Parameters
    ----------
    latency
        Seconds added to every interactions response before its headers.
    error_500, error_429, cut, slow
        Probability of a 500, of a 429 with ``Retry-After``, of a connection cut mid-body,
        and of a response delayed by ``slow_delay`` seconds.
    retry_after
        The ``Retry-After`` seconds of 429 and 503 answers (random and scripted).
    slow_delay
        Seconds a ``slow`` response (random or scripted) waits before answering.
    timeout_hours
        Windows longer than this many hours answer 504 (``None``: never), after
        ``timeout_delay`` seconds, as a gateway that gives up on a slow backend does.
    timeout_delay
        Seconds a window-length or window-date 504 waits before it is sent (default 0: at
        once). The live service's gateway answers after minutes; tests use a fraction of a
        second, or inject ``sleep=`` into the :class:`Simulator` to record it without waiting.
    timeout_dates
        Full-day windows (00:00 to 00:00 UTC) starting on these dates answer 504.
    seed
        Seed of the fault generator (``None``: the simulator's seed).
    """

    latency: float = 0.0
    error_500: float = 0.0
    error_429: float = 0.0
    cut: float = 0.0
    slow: float = 0.0
    retry_after: int = 1
    slow_delay: float = 5.0
    timeout_hours: float | None = None
    timeout_delay: float = 0.0
    timeout_dates: frozenset[date] = field(default_factory=frozenset)
    seed: int | None = None
