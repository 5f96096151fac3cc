"""Shared fixtures: simulators of the Analytics API on loopback ports.

- ``sim``: a fresh, function-scoped :class:`~digitalcx_frames.simulator.Simulator`
  (300 rows a day, pages of 100, ``today`` = :data:`SIM_TODAY`); change it freely
  (faults, ``today``, the log).
- ``shared_sim``: one session-scoped simulator with the same settings, for tests that only
  read; do not inject faults, change ``today`` or rely on its log being empty.
- ``sim_api`` / ``shared_api``: a :class:`SimAPI` (plain ``requests``) bound to either.
- :func:`make_client`: THE client factory for a simulator (no real waiting between retries);
  :func:`read_sim`: THE read of a simulator's project (``cache=False`` and the fixed ``now``
  unless given); ``backend``: both backends, ``"polars"`` and ``"pandas"``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import requests

import digitalcx_frames as dcx
from digitalcx_frames.simulator import Simulator

SIM_TODAY = date(2026, 11, 20)
"""The ``today`` of the ``sim`` and ``shared_sim`` fixtures."""
SIM_DAY = datetime(2026, 11, 19, tzinfo=UTC)
"""00:00 UTC of a full day of data before :data:`SIM_TODAY`."""
SIM_ROWS_PER_DAY = 300
SIM_PAGE_SIZE = 100
SIM_NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
"""A ``now`` for reads of the fixtures' simulators: noon of :data:`SIM_TODAY`."""
BACKENDS = ("polars", "pandas")


def make_client(sim: Simulator, **options: Any) -> dcx.Client:
    """A :class:`~digitalcx_frames.Client` for ``sim`` that never waits between retries.

    Any :class:`~digitalcx_frames.Client` argument may be overridden (``client_secret=``,
    ``max_retries=``, ``timeout=``, ``sleep=`` ...).
    """
    options.setdefault("client_id", sim.client_id)
    options.setdefault("client_secret", sim.client_secret)
    options.setdefault("base_url", sim.base_url)
    options.setdefault("token_url", sim.token_url)
    options.setdefault("backoff_factor", 0.0)
    options.setdefault("sleep", lambda _seconds: None)
    return dcx.Client(**options)


def read_sim(sim: Simulator, **options: Any) -> Any:
    """``read_interactions`` of ``sim``'s project: its client, ``cache=False`` and ``now=SIM_NOW`` by default."""
    options.setdefault("customer_key", sim.customer_key)
    options.setdefault("project_key", sim.project_key)
    options.setdefault("culture", sim.culture)
    options.setdefault("start", SIM_DAY)
    options.setdefault("end", SIM_DAY + timedelta(days=1))
    options.setdefault("cache", False)
    options.setdefault("now", SIM_NOW)
    if options.get("client") is None:
        options["client"] = make_client(sim)
    return dcx.read_interactions(options.pop("customer_key"), options.pop("project_key"), **options)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Each backend in turn: ``"polars"`` and ``"pandas"``."""
    value: str = request.param
    return value


class SimAPI:
    """A few lines of plain ``requests`` against a simulator (no library code involved)."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self.session = requests.Session()
        self._token: str | None = None

    def close(self) -> None:
        """Close the HTTP session."""
        self.session.close()

    def token(self) -> str:
        """A fresh access token from the simulator's token endpoint."""
        reply = self.session.post(
            self.sim.token_url,
            data={
                "grant_type": "client_credentials",
                "client_id": self.sim.client_id,
                "client_secret": self.sim.client_secret,
                "resource": "https://digitalcx.onmicrosoft.com/external-api",
            },
            timeout=30,
        )
        reply.raise_for_status()
        token: str = reply.json()["access_token"]
        return token

    @property
    def url(self) -> str:
        """The interactions URL of the simulator's project."""
        return f"{self.sim.base_url}/{self.sim.customer_key}/projects/{self.sim.project_key}/interactions"

    def get(
        self,
        params: dict[str, str] | None = None,
        *,
        start: datetime = SIM_DAY,
        end: datetime | None = None,
        token: str | None = "auto",
        headers: dict[str, str] | None = None,
        url: str | None = None,
    ) -> requests.Response:
        """GET the interactions endpoint; ``params`` override culture/startDate/endDate."""
        if token == "auto":
            if self._token is None:
                self._token = self.token()
            token = self._token
        end = end if end is not None else start + timedelta(days=1)
        query = {
            "culture": self.sim.culture,
            "startDate": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "endDate": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        query.update(params or {})
        sent = dict(headers or {})
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        with self.session.get(url or self.url, params=query, headers=sent, timeout=60) as reply:
            _ = reply.content
        return reply


@pytest.fixture
def sim() -> Iterator[Simulator]:
    """A fresh simulator for one test (300 rows a day, pages of 100, today 2026-11-20)."""
    with Simulator(rows_per_day=SIM_ROWS_PER_DAY, page_size=SIM_PAGE_SIZE, today=SIM_TODAY, seed=0) as simulator:
        yield simulator


@pytest.fixture(scope="session")
def shared_sim() -> Iterator[Simulator]:
    """One read-only simulator for the whole session (same settings as ``sim``)."""
    with Simulator(rows_per_day=SIM_ROWS_PER_DAY, page_size=SIM_PAGE_SIZE, today=SIM_TODAY, seed=0) as simulator:
        yield simulator


@pytest.fixture
def sim_api(sim: Simulator) -> Iterator[SimAPI]:
    """Plain-requests access to ``sim``."""
    api = SimAPI(sim)
    yield api
    api.close()


@pytest.fixture
def shared_api(shared_sim: Simulator) -> Iterator[SimAPI]:
    """Plain-requests access to ``shared_sim``."""
    api = SimAPI(shared_sim)
    yield api
    api.close()
