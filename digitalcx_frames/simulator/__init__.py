"""A simulated DigitalCX Analytics API on a loopback port, for tests, docs and benchmarks.

An independent implementation of the wire contract (``API.md``): the token endpoint
(Azure AD v1 client credentials) and the interactions endpoint with every documented
parameter, status and message, paging, CSV and JSON bodies, seeded realistic data,
latency and fault injection. It shares only the interaction-type flags and the column
names with the client, so a misunderstanding on one side shows up as a failing test.

Choices where API.md leaves the behaviour open:

- Days after the simulator's ``today`` have no rows; every other UTC day has exactly
  ``rows_per_day`` rows over all (environment, sessionMode) pairs: Production with Public
  (most), Internal, Test or Monitor, and Staging with Test. ``environment=Staging`` with the
  default ``sessionMode=Public`` therefore matches nothing. ``traffic="realistic"`` varies
  the count by weekday and campaign days instead; hours follow the project's ``time_zone``.
- Several projects and cultures (``projects=``, ``cultures=``): each (project, culture) is
  its own seeded stream of rows; LogIds are unique over all of them.
- Some sessions start shortly before midnight UTC and end after it: their rows are split
  over two days, as a service that stores rows by their own timestamp would.
- JSON-text columns have the shapes of API.md section 4 and agree with the row: Articles
  with ArticleIds, FeedbackInfo with the answer it rates, dialog nodes with drop-outs,
  ``escalationGroup`` in the OutputMetadata of a share of sessions; a fifth of sessions
  write PascalCase keys. ``malformed_rate`` cuts a share of values short.
- Drift from the contract, for tests of a client that must notice it: ``ignore_filters``,
  ``filter_spelling``, ``paging_header``, ``header_case``, ``json_key_case``,
  ``extra_column``; gateway timeouts with ``Faults(timeout_hours=..., timeout_delay=...)``.
- A ``culture`` other than the project's (case-sensitive) is a 400, like a missing one.
- A mask of ``0`` overlaps nothing (no rows); masks outside 0..1023 are a 400.
- Paging: a page holds ``page_size`` rows; the ``continuationToken`` header is present while
  rows remain (``end_with_204=True``: on every page with rows, and the request after the
  last page answers 204). A first page without rows is a 204; without paging an empty
  result is a 200 with the header line.
- JSON (``Accept: application/json``): an array of objects with PascalCase keys in wire
  order; ``LogId`` a number, ``SessionIsActive`` a boolean, ``RecognitionQuality`` a number
  or null, ``AllInteractionTypes`` the same JSON *text* as in the CSV, other columns strings
  (``""`` when empty). Content type ``application/json; charset=utf-8``.
- CSV: ``text/csv`` without charset, CRLF line ends, RFC 4180 quoting.
- Token endpoint: an unknown ``client_id`` is a 400 (AADSTS700016), a wrong secret a 401
  (AADSTS7000215), a missing ``resource`` a 400 (AADSTS900144).
- Process mode (``process=True``) uses multiprocessing "spawn": a script must guard its
  entry point with ``if __name__ == "__main__":``.

Examples
--------
>>> from datetime import date
>>> with Simulator(rows_per_day=10, today=date(2026, 11, 20)) as sim:
...     sorted(sim.connection)
['base_url', 'client_id', 'client_secret', 'token_url']
"""

from digitalcx_frames.simulator._control import Connection, RequestRecord, Simulator, serve_forever
from digitalcx_frames.simulator._faults import FAULT_KINDS, Faults

__all__ = ["FAULT_KINDS", "Connection", "Faults", "RequestRecord", "Simulator", "serve_forever"]
