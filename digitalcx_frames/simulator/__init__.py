"""A simulated DigitalCX Analytics API on a loopback port, for tests, docs and benchmarks.

An independent implementation of the wire contract (``API.md``): the token endpoint
(Azure AD v1 client credentials) and the interactions endpoint with every documented
parameter, status and message, paging, CSV and JSON bodies, seeded realistic data,
latency and fault injection. It shares only the interaction-type flags and the column
names with the client, so a misunderstanding on one side shows up as a failing test.

Examples
--------
>>> from datetime import date
>>> with Simulator(rows_per_day=10, today=date(2026, 11, 20)) as sim:
...     sorted(sim.connection)
['base_url', 'client_id', 'client_secret', 'token_url']
"""

from __future__ import annotations

from digitalcx_frames.simulator.control import RequestRecord, Simulator, serve_forever
from digitalcx_frames.simulator.faults import FAULT_KINDS, Faults

__all__ = ["FAULT_KINDS", "Faults", "RequestRecord", "Simulator", "serve_forever"]
