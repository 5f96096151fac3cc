"""The doctor: a short, bounded live probe of where the service differs from API.md's contract.

:func:`doctor` asks the live service (with the user's credentials and endpoints, read like
every command: ``DIGITALCX_CLIENT_ID``, ``DIGITALCX_CLIENT_SECRET``, ``DIGITALCX_BASE_URL``,
``DIGITALCX_TOKEN_URL``) for one recent, small window — one hour of yesterday (UTC), widened
to six hours and then the whole day only while it holds fewer than 50 rows — in about twenty requests,
and checks what it gets back: the token reply, the status codes, the paging header and the
204 end, the delimiter, BOM and header case, the columns against API.md's table, the value
formats, the JSON body against the CSV body, whether each filter is honoured (both
spellings where the vendor's documents disagree), and the shapes of the JSON-text columns.

The report (:class:`DoctorReport`; ``str(report)`` is the text to paste into a bug report)
holds no secret, no token and no user text: only names, shapes and counts. Only these are
*differences* (exit 1): a documented column missing or an undocumented one present, a
value that does not parse in its documented format, the paging header missing or renamed,
a filter the client sends that the service ignores, and a JSON body that does not match
the CSV body. What API.md marks [open] or gives as an example (token lifetime, delimiter,
BOM, header case, JSON key case, row order, optional JSON keys) is reported as a fact.
Exit codes: 0 the service matches the contract, 1 it differs (or the probe could not
finish), 2 bad arguments (including credentials or keys the service refuses).

The loop over pages here is the doctor's own on purpose: it must see every header and
status as they come, which the read's scheduler hides.

Examples
--------
>>> from datetime import UTC, date, datetime
>>> from digitalcx_frames import Client
>>> from digitalcx_frames.simulator import Simulator
>>> with Simulator(rows_per_day=200, page_size=10, today=date(2026, 11, 20)) as sim:
...     with Client(**sim.connection) as client:
...         report = doctor(sim.customer_key, sim.project_key, culture=sim.culture, client=client,
...                         now=datetime(2026, 11, 20, 9, tzinfo=UTC))
>>> report.exit_code, report.differences
(0, [])
>>> print(report)  # doctest: +ELLIPSIS
digitalcx-frames doctor ...
result: the service matches the contract (exit 0)
"""

from __future__ import annotations

import argparse
import io
import json
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any, Final
from urllib.parse import urlsplit

import polars as pl
import requests

from digitalcx_frames._http.transport import Client
from digitalcx_frames._read.enforce import wire_name
from digitalcx_frames._read.query import EXAMPLE_SPELLINGS, build_query, format_instant
from digitalcx_frames.errors import (
    APIError,
    AuthenticationError,
    ConfigurationError,
    DigitalCXError,
    InvalidRequestError,
    PermissionDeniedError,
)
from digitalcx_frames.flags import InteractionType, InteractionTypeError
from digitalcx_frames.schema import COLUMNS, Kind

__all__ = ["DoctorReport", "Finding", "add_parser", "doctor", "doctor_main", "run"]

PAGING_HEADER: Final = "continuationToken"
ALTERNATE_SPELLINGS: Final[dict[str, str]] = EXAMPLE_SPELLINGS
"""The spelling of the vendor's example request, where it differs from its table (API.md §2).

The table's spelling (what the client sends) is read from the query itself.
"""
_ONE_LINE_FIX: Final = (
    "; if the other spelling is honoured, the fix is its line in the query-name table of _read/query.py"
)
MAX_PAGES: Final = 20
ENOUGH_ROWS: Final = 50
"""A window with fewer rows is widened (1 h, then 6 h, then the day), so that filters can be tested."""
_WINDOWS: Final = (
    (timedelta(hours=10), timedelta(hours=1)),
    (timedelta(hours=6), timedelta(hours=6)),
    (timedelta(0), timedelta(days=1)),
)
"""(offset from 00:00 UTC of yesterday, length): tried in turn until one holds ENOUGH_ROWS."""
_SENSITIVE: Final = frozenset({"AdditionalSessionInfo", "Variables"})
_ISO: Final = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})?$"
_PORTAL: Final = r"^\d{2}/\d{2}/\d{4} \d{2}:\d{2}:\d{2}$"
_PAGING_HINT: Final = re.compile(r"continu|token|cursor|next|page", re.IGNORECASE)
_ORDINARY_HEADERS: Final = frozenset(
    name.casefold()
    for name in (
        "Content-Type", "Content-Length", "Date", "Server", "Connection", "Keep-Alive", "Transfer-Encoding",
        "Content-Encoding", "Vary", "Cache-Control", "Strict-Transport-Security", "Request-Context",
        "X-Content-Type-Options", "Set-Cookie", "ETag", "Expires", "Pragma",
    )
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Finding:
    """One line of the report: what was checked, what was seen, and whether it breaks the contract."""

    topic: str
    text: str
    difference: bool = False

    def __str__(self) -> str:
        return f"{'DIFFERENCE' if self.difference else 'fact'} {self.topic}: {self.text}"


@dataclass(slots=True)
class DoctorReport:
    """What the doctor found; ``str(report)`` is the paste-able report.

    Attributes
    ----------
    findings : list of Finding
        Facts and differences, in the order checked.
    requests : int
        Requests made to the data endpoint (retries included).
    statuses : collections.Counter
        HTTP statuses met, with their counts.
    error : str or None
        Why the probe stopped early (bad arguments, refused credentials, an unreachable service).
    bad_arguments : bool
        Whether ``error`` is the user's to fix (exit 2).
    """

    customer_key: str
    project_key: str
    culture: str
    host: str
    window: str = "(none)"
    findings: list[Finding] = field(default_factory=list)
    requests: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    error: str | None = None
    bad_arguments: bool = False

    @property
    def differences(self) -> list[str]:
        """Each difference from the contract, one line each."""
        return [f"{f.topic}: {f.text}" for f in self.findings if f.difference]

    @property
    def exit_code(self) -> int:
        """0 the service matches the contract, 1 it differs or the probe stopped, 2 bad arguments."""
        if self.error is not None:
            return 2 if self.bad_arguments else 1
        return 1 if self.differences else 0

    def add(self, topic: str, text: str, *, difference: bool = False) -> None:
        """Add one finding."""
        self.findings.append(Finding(topic, text, difference))

    def __str__(self) -> str:
        from digitalcx_frames import __version__  # noqa: PLC0415 - the package may import this module first

        statuses = ", ".join(f"{status} x{count}" for status, count in sorted(self.statuses.items())) or "none"
        lines = [
            f"digitalcx-frames doctor {__version__} (python {sys.version.split()[0]}, polars {pl.__version__})",
            f"service: {self.host}; customer {self.customer_key!r}, project {self.project_key!r}, "
            f"culture {self.culture!r}",
            f"window: {self.window}; {self.requests} data requests; statuses met: {statuses}",
            *(str(finding) for finding in self.findings),
        ]
        if self.error is not None:
            lines.append(f"stopped: {self.error}")
        code = self.exit_code
        verdict = {0: "the service matches the contract", 1: "the service differs from the contract"}.get(
            code, "bad arguments"
        )
        if self.error is not None and code == 1:
            verdict = "the probe could not finish"
        lines.append(f"result: {verdict} (exit {code})")
        return "\n".join(lines)


@dataclass(slots=True)
class _Page:
    status: int
    headers: requests.structures.CaseInsensitiveDict[str]
    body: bytes


class _StopError(Exception):
    """The probe cannot go on (the reason is the message)."""

    def __init__(self, message: str, *, bad_arguments: bool) -> None:
        super().__init__(message)
        self.bad_arguments = bad_arguments


class _Probe:
    """The requests of one doctor run, each counted, each status remembered."""

    def __init__(self, client: Client, report: DoctorReport, url: str, base: dict[str, str]) -> None:
        self.client = client
        self.report = report
        self.url = url
        self.base = base

    def get(self, extra: dict[str, str], *, accept: str = "text/csv", label: str) -> _Page:
        params = {**self.base, **extra}
        try:
            reply = self.client.send(self.url, params, accept=accept, window=label, page=1)
        except APIError as exc:
            self.report.requests += exc.attempts or 1
            self.report.statuses[exc.status_code] += 1
            basic = set(extra) <= {"paginateData", PAGING_HEADER}  # no filter: the keys or rights are wrong
            if isinstance(exc, (InvalidRequestError, PermissionDeniedError)) and basic:
                raise _StopError(f"HTTP {exc.status_code}: {exc.message}", bad_arguments=True) from None
            raise
        except AuthenticationError as exc:
            raise _StopError(str(exc), bad_arguments=True) from None
        except DigitalCXError as exc:
            attempts = getattr(exc, "attempts", None)
            self.report.requests += attempts or 1
            raise _StopError(str(exc), bad_arguments=False) from None
        self.report.requests += reply.attempts
        with reply.response as response:
            self.report.statuses[response.status_code] += 1
            body = b"" if response.status_code == 204 else response.raw.read(decode_content=True)
            return _Page(response.status_code, response.headers, body)

    def paged(self, extra: dict[str, str], *, label: str) -> list[_Page]:
        pages: list[_Page] = []
        token: str | None = None
        seen: set[str] = set()
        while len(pages) < MAX_PAGES:
            query = {**extra, "paginateData": "true"}
            if token is not None:
                query[PAGING_HEADER] = token
            page = self.get(query, label=label)
            pages.append(page)
            token = page.headers.get(PAGING_HEADER)
            if page.status == 204 or not token or token in seen:
                break
            seen.add(token)
        return pages


def _decode(body: bytes) -> tuple[str, bool]:
    bom = body.startswith(b"\xef\xbb\xbf")
    return body.decode("utf-8", errors="replace").removeprefix("\ufeff"), bom


def _delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in (",", "|", ";", "\t")}
    return max(counts, key=lambda d: counts[d])


def _csv(text: str, delimiter: str) -> pl.DataFrame:
    if not text.strip():
        return pl.DataFrame()
    return pl.read_csv(io.StringIO(text), separator=delimiter, infer_schema=False, quote_char='"')


def _rows(pages: Iterable[_Page]) -> tuple[pl.DataFrame, list[str], str, bool]:
    """All rows (every value as text, columns as sent), the header, the delimiter, whether a BOM led."""
    frames: list[pl.DataFrame] = []
    header: list[str] = []
    delimiter, bom = ",", False
    for page in pages:
        if page.status == 204 or not page.body.strip():
            continue
        text, page_bom = _decode(page.body)
        bom = bom or page_bom
        delimiter = _delimiter(text.split("\n", 1)[0])
        frame = _csv(text, delimiter)
        header = header or list(frame.columns)
        frames.append(frame)
    if not frames:
        return pl.DataFrame(), header, delimiter, bom
    return pl.concat(frames, how="diagonal"), header, delimiter, bom


def _by_api_name(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame with its documented columns renamed to API.md's spelling (matched case-insensitively)."""
    spelled = {c.api_name.casefold(): c.api_name for c in COLUMNS}
    return frame.rename({name: spelled[name.casefold()] for name in frame.columns if name.casefold() in spelled})


def _case_of(names: Sequence[str], documented: Callable[[str], str | None]) -> str:
    if not names:
        return "no header"
    if all(name == documented(name) for name in names if documented(name)):
        return "as documented (PascalCase)"
    if all(name == name.lower() for name in names):
        return "lower case"
    if all(name == name.upper() for name in names):
        return "upper case"
    if all(name[:1].islower() for name in names):
        return "camelCase"
    return "mixed case"


def _documented(name: str) -> str | None:
    for column in COLUMNS:
        if column.api_name.casefold() == name.casefold():
            return column.api_name
    return None


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _check_columns(report: DoctorReport, header: list[str]) -> None:
    documented = [c.api_name for c in COLUMNS]
    seen = {name.casefold() for name in header}
    missing = [name for name in documented if name.casefold() not in seen]
    extra = [name for name in header if _documented(name) is None]
    report.add("header case", _case_of(header, _documented))
    if missing:
        report.add("columns", f"documented column(s) missing: {', '.join(missing)}", difference=True)
    if extra:
        report.add("columns", f"undocumented column(s) present: {', '.join(extra)}", difference=True)
    if not missing and not extra:
        report.add("columns", f"all {len(documented)} documented columns, no other")
    order = [_documented(name) for name in header if _documented(name)]
    same = order == [name for name in documented if name in order]
    report.add("column order", "as API.md's table" if same else "differs from API.md's table ([open] there)")


def _bad(frame: pl.DataFrame, column: str, ok: pl.Expr) -> int:
    if column not in frame.columns:
        return 0
    values = pl.col(column)
    return int(frame.select((values.is_not_null() & (values != "") & ~ok).sum()).item())


def _check_values(report: DoctorReport, rows: pl.DataFrame) -> None:
    """Each documented kind parses in its documented format; counts only, never the values."""
    problems: list[str] = []
    formats: list[str] = []
    for column in COLUMNS:
        name = column.api_name
        if name not in rows.columns:
            continue
        values = pl.col(name)
        if column.kind is Kind.INT:
            bad = _bad(rows, name, values.str.contains(r"^-?\d+$"))
        elif column.kind is Kind.FLOAT:
            bad = _bad(rows, name, values.str.contains(r"^-?\d+(\.\d+)?([eE][-+]?\d+)?$"))
        elif column.kind is Kind.BOOL:
            bad = _bad(rows, name, values.str.to_lowercase().is_in(["true", "false"]))
            seen = sorted(
                set(rows.get_column(name).drop_nulls().unique().to_list()) & {"True", "False", "true", "false"}
            )
            formats.append(f"{name} {'/'.join(seen) or 'none'}")
        elif column.kind is Kind.DATETIME:
            bad = _bad(rows, name, values.str.contains(_ISO) | values.str.contains(_PORTAL))
            iso = _bad(rows, name, values.str.contains(_ISO))
            formats.append(f"{name} {'ISO-8601' if iso == 0 else 'not only ISO-8601'}")
        elif column.kind is Kind.MASK:
            bad = _bad(rows, name, values.map_elements(_is_name_list, return_dtype=pl.Boolean))
        elif column.kind is Kind.JSON:
            bad = _bad(rows, name, values.map_elements(_is_json, return_dtype=pl.Boolean))
        else:
            bad = 0
        if bad:
            problems.append(f"{name}: {_plural(bad, 'value')} not in the documented format")
    unknown = _unknown_type_names(rows)
    if unknown:
        report.add("type names", f"{_plural(len(unknown), 'unknown name')} ({', '.join(unknown)}): kept as text")
    report.add("value formats", "; ".join(formats) if formats else "no rows to check")
    for problem in problems:
        report.add("value format", problem, difference=True)


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _is_name_list(text: str) -> bool:
    try:
        value = json.loads(text)
    except ValueError:
        return False
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _known(name: str) -> bool:
    try:
        InteractionType.from_api_name(name)
    except InteractionTypeError:
        return False
    return True


def _unknown_type_names(rows: pl.DataFrame) -> list[str]:
    names: set[str] = set()
    if "MainInteractionType" in rows.columns:
        names |= set(rows.get_column("MainInteractionType").drop_nulls().unique().to_list())
    if "AllInteractionTypes" in rows.columns:
        for text in rows.get_column("AllInteractionTypes").drop_nulls().unique().to_list():
            if _is_name_list(text):
                names |= set(json.loads(text))
    # Type names are the vendor's vocabulary, not user text; still, only short word-like ones are shown.
    return sorted(name for name in names if not _known(name) and re.fullmatch(r"[A-Za-z][\w -]{0,30}", name))


def _shape(value: object) -> str:
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        inner = sorted({_shape(item) for item in value})
        return f"array of {'/'.join(inner)}" if inner else "array"
    return type(value).__name__.replace("str", "string").replace("NoneType", "null")


def _keys(value: object) -> set[str]:
    if isinstance(value, dict):
        return {str(key) for key in value}
    if isinstance(value, list):
        return set().union(*(_keys(item) for item in value if isinstance(item, dict))) if value else set()
    return set()


def _check_json_columns(report: DoctorReport, rows: pl.DataFrame) -> None:
    for column in COLUMNS:
        if column.kind is not Kind.JSON or column.api_name not in rows.columns:
            continue
        values = [v for v in rows.get_column(column.api_name).drop_nulls().to_list() if v != ""]
        parsed = [json.loads(v) for v in values if _is_json(v)]
        if not parsed:
            report.add(f"json {column.api_name}", f"{_plural(len(values), 'value')}, none to inspect")
            continue
        shapes = Counter(_shape(v) for v in parsed)
        text = f"{_plural(len(values), 'value')}: " + ", ".join(f"{s} x{n}" for s, n in shapes.most_common(4))
        if column.api_name not in _SENSITIVE:
            # Keys are field names; a key seen in one value only, or not word-like, might be user text: counted.
            seen = Counter(key for v in parsed for key in _keys(v))
            keys = sorted(k for k, n in seen.items() if n >= 2 and re.fullmatch(r"[A-Za-z_][\w.-]{0,40}", k))
            rarer = len(seen) - len(keys)
            if keys:
                text += f"; keys {', '.join(keys[:15])}" + (", ..." if len(keys) > 15 else "")
            if rarer:
                text += f" (+{_plural(rarer, 'rarer key')}, not shown)"
        report.add(f"json {column.api_name}", text)


def _check_paging(report: DoctorReport, pages: list[_Page], unpaged_rows: int, paged_rows: int) -> None:
    carried = sum(1 for page in pages if page.headers.get(PAGING_HEADER))
    suspects = sorted(
        {
            name
            for page in pages
            for name in page.headers
            if name.casefold() not in _ORDINARY_HEADERS
            and name.casefold() != PAGING_HEADER.casefold()
            and _PAGING_HINT.search(name)
        }
    )
    end = "a 204" if pages[-1].status == 204 else "a page without the header"
    if carried:
        report.add("paging", f"{PAGING_HEADER} header on {carried} of {_plural(len(pages), 'page')}; the end is {end}")
    elif suspects:
        report.add(
            "paging",
            f"no {PAGING_HEADER} header; the responses carry {', '.join(suspects)} instead (renamed?)",
            difference=True,
        )
    else:
        report.add("paging", f"one page held all {_plural(paged_rows, 'row')}; no {PAGING_HEADER} needed")
    if paged_rows < unpaged_rows and not carried:
        report.add(
            "paging",
            f"paging returned {paged_rows} of the window's {unpaged_rows} rows: the paging header is missing",
            difference=True,
        )


def _check_json_body(report: DoctorReport, page: _Page, rows: pl.DataFrame) -> None:
    try:
        reply = json.loads(_decode(page.body)[0] or "[]")
    except ValueError:
        report.add("json body", "Accept: application/json did not return JSON", difference=True)
        return
    if not isinstance(reply, list) or not all(isinstance(item, dict) for item in reply):
        report.add("json body", "not an array of objects", difference=True)
        return
    keys = sorted({str(key) for item in reply for key in item})
    report.add("json key case", _case_of(keys, _documented))
    csv_columns = {name.casefold() for name in rows.columns}
    json_keys = {key.casefold() for key in keys}
    if reply and csv_columns and json_keys != csv_columns:
        only_json = sorted(k for k in keys if k.casefold() not in csv_columns)
        only_csv = sorted(c for c in rows.columns if c.casefold() not in json_keys)
        report.add(
            "json body",
            f"keys differ from the CSV columns (only in JSON: {', '.join(only_json) or '-'}; "
            f"only in CSV: {', '.join(only_csv) or '-'})",
            difference=True,
        )
    by_key = [{str(k).casefold(): v for k, v in item.items()} for item in reply]
    json_ids = sorted(str(item.get("logid")) for item in by_key)
    csv_ids = sorted(rows.get_column("LogId").to_list()) if "LogId" in rows.columns else []
    if json_ids != sorted(str(i) for i in csv_ids):
        report.add(
            "json body",
            f"{_plural(len(json_ids), 'row')} in JSON, {len(csv_ids)} in CSV, or other LogIds",
            difference=True,
        )
        return
    mismatched = Counter[str]()
    csv_by_id = {row["LogId"]: row for row in rows.iter_rows(named=True)} if "LogId" in rows.columns else {}
    for item in by_key:
        row = csv_by_id.get(str(item.get("logid")))
        if row is None:
            continue
        for name in ("InteractionUuid", "SessionUuid", "MainInteractionType", "SessionIsActive"):
            if name in row and str(item.get(name.casefold())).casefold() != str(row[name]).casefold():
                mismatched[name] += 1
    for name, count in sorted(mismatched.items()):
        report.add("json body", f"{name} differs from the CSV in {_plural(count, 'row')}", difference=True)
    if not mismatched:
        report.add("json body", f"same {_plural(len(json_ids), 'row')} as the CSV body")


@dataclass(frozen=True, slots=True)
class _FilterProbe:
    argument: str
    value: str
    violates: Callable[[pl.DataFrame], int]
    what: str


def _filter_probes(rows: pl.DataFrame) -> tuple[list[_FilterProbe], list[str]]:
    """A probe per filter that this window's rows can test, and the filters they cannot."""
    probes: list[_FilterProbe] = []
    untestable: list[str] = []
    height = rows.height
    if "AllInteractionTypes" in rows.columns:
        masks = [InteractionType.from_api_names_lenient(t)[0] if _is_name_list(t) else InteractionType(0)
                 for t in rows.get_column("AllInteractionTypes").fill_null("[]").to_list()]  # fmt: skip
        counts = {bit: sum(1 for m in masks if m & bit) for bit in InteractionType.known()}
        bit = next((b for b, n in sorted(counts.items(), key=lambda kv: -kv[1]) if 0 < n < height), None)
        if bit is not None:

            def overlap(frame: pl.DataFrame, bit: InteractionType = bit) -> int:
                texts = frame.get_column("AllInteractionTypes").fill_null("[]").to_list() if frame.height else []
                return sum(
                    1 for t in texts if _is_name_list(t) and not InteractionType.from_api_names_lenient(t)[0] & bit
                )

            probes.append(_FilterProbe("interaction_types", str(int(bit)), overlap, f"{bit.api_name}"))
        else:
            untestable.append("interaction_types")
    if "MainInteractionType" in rows.columns:
        mains = Counter(rows.get_column("MainInteractionType").drop_nulls().to_list())
        name = next((n for n, c in mains.most_common() if _known(n) and c < height), None)
        if name is not None:
            bit = InteractionType.from_api_name(name)

            def other_main(frame: pl.DataFrame, bit: InteractionType = bit) -> int:
                names = frame.get_column("MainInteractionType").drop_nulls().to_list() if frame.height else []
                return sum(1 for n in names if _known(n) and not InteractionType.from_api_name(n) & bit)

            probes.append(_FilterProbe("main_interaction_types", str(int(bit)), other_main, bit.api_name))
        else:
            untestable.append("main_interaction_types")
    if "SessionIsActive" in rows.columns:
        inactive = int(rows.select(pl.col("SessionIsActive").str.to_lowercase().eq("false").sum()).item())
        if inactive:

            def inactive_rows(frame: pl.DataFrame) -> int:
                if not frame.height:
                    return 0
                return int(frame.select(pl.col("SessionIsActive").str.to_lowercase().eq("false").sum()).item())

            probes.append(_FilterProbe("active_sessions_only", "true", inactive_rows, "true"))
        else:
            untestable.append("active_sessions_only")
    word = _probe_word(rows)
    if word is not None:

        def without_word(frame: pl.DataFrame, word: str = word) -> int:
            if not frame.height:
                return 0
            hit = pl.any_horizontal(pl.col(c).fill_null("").str.to_lowercase().str.contains(word.lower(), literal=True)
                                    for c in frame.columns)  # fmt: skip
            return int(frame.select((~hit).sum()).item())

        probes.append(_FilterProbe("filter_text", word, without_word, "a word from the data (not shown)"))
    else:
        untestable.append("filter_text")
    return probes, untestable


def _probe_word(rows: pl.DataFrame) -> str | None:
    """A word of InteractionValue found in some rows but not all (sent to the service, never printed)."""
    if "InteractionValue" not in rows.columns or not rows.height:
        return None
    texts: list[str] = rows.get_column("InteractionValue").fill_null("").to_list()
    words = Counter[str](w for t in texts for w in set(re.findall(r"[^\W\d_]{4,}", t)))
    for word, count in words.most_common():
        if count < len(texts):
            return word
    return None


def _spellings(argument: str) -> list[str]:
    table = wire_name(argument)
    other = ALTERNATE_SPELLINGS.get(argument)
    return [table, other] if other and other != table else [table]


def _check_filters(report: DoctorReport, probe: _Probe, rows: pl.DataFrame) -> None:
    probes, untestable = _filter_probes(rows)
    for test in probes:
        for spelling in _spellings(test.argument):
            sent = spelling == wire_name(test.argument)
            topic = f"filter {spelling} ({test.argument})"
            try:
                page = probe.get({spelling: test.value}, label=f"filter {spelling}")
            except APIError as exc:
                report.add(topic, f"refused: HTTP {exc.status_code}", difference=sent)
                continue
            got = _by_api_name(_rows([page])[0])
            violating = test.violates(got)
            if violating:
                advice = "" if sent else "; the client does not send this spelling"
                if sent and len(_spellings(test.argument)) > 1:
                    advice = _ONE_LINE_FIX
                report.add(
                    topic,
                    f"IGNORED: {_plural(violating, 'row')} of {got.height} violate it "
                    f"(probed with {test.what}){advice}",
                    difference=sent,
                )
            else:
                report.add(topic, f"honoured ({got.height} of {rows.height} rows kept, probed with {test.what})")
    for argument in untestable:
        for spelling in _spellings(argument):
            report.add(f"filter {spelling} ({argument})", "not testable: this window's rows all agree on it")
    _check_user_info(report, probe, rows)
    for name, value in (("environment", "Staging"), ("sessionMode", "Test")):
        try:
            page = probe.get({name: value}, label=f"{name}={value}")
        except APIError as exc:
            report.add(f"parameter {name}", f"{name}={value} answered HTTP {exc.status_code}", difference=True)
        else:
            report.add(f"parameter {name}", f"{name}={value} answered HTTP {page.status}")


def _filled(frame: pl.DataFrame) -> int:
    present = [c for c in _SENSITIVE if c in frame.columns]
    if not present or not frame.height:
        return 0
    return int(frame.select(pl.any_horizontal(pl.col(c).fill_null("").ne("") for c in present).sum()).item())


def _check_user_info(report: DoctorReport, probe: _Probe, rows: pl.DataFrame) -> None:
    """includeUserInfo: user info only when asked (counts of filled rows; never the values)."""
    without = _filled(rows)
    if without:
        report.add(
            "filter includeUserInfo (include_user_info)",
            f"user info filled in {_plural(without, 'row')} without asking for it",
            difference=True,
        )
    filled: dict[str, tuple[int, int]] = {}
    for spelling in _spellings("include_user_info"):
        try:
            page = probe.get({spelling: "true"}, label=f"filter {spelling}")
        except APIError as exc:
            refused_sent = spelling == wire_name("include_user_info")
            report.add(
                f"filter {spelling} (include_user_info)", f"refused: HTTP {exc.status_code}", difference=refused_sent
            )
            continue
        got = _by_api_name(_rows([page])[0])
        filled[spelling] = (_filled(got), got.height)
    sent = wire_name("include_user_info")
    for spelling, (count, height) in filled.items():
        topic = f"filter {spelling} (include_user_info)"
        if count:
            report.add(topic, f"honoured (user info in {count} of {height} rows)")
        elif spelling == sent and any(n for other, (n, _) in filled.items() if other != sent):
            report.add(topic, f"IGNORED: no user info, while another spelling gets it{_ONE_LINE_FIX}", difference=True)
        else:
            report.add(topic, "no user info came back (these credentials may lack the right, or it is ignored)")


def doctor(
    customer_key: str,
    project_key: str,
    *,
    culture: str,
    client: Client | None = None,
    now: datetime | None = None,
) -> DoctorReport:
    r"""Probe the live service briefly and report where it differs from the documented contract.

    Parameters
    ----------
    customer_key, project_key, culture
        The project to probe, as for :func:`~digitalcx_frames.read_interactions`.
    client
        The client to use; by default one built from the environment
        (``DIGITALCX_CLIENT_ID``, ``DIGITALCX_CLIENT_SECRET``, ``DIGITALCX_BASE_URL``,
        ``DIGITALCX_TOKEN_URL``).
    now
        The clock (default: now, UTC); the probe reads a window of yesterday.

    Returns
    -------
    DoctorReport
        ``str(report)`` is the report to attach to a bug report; ``report.exit_code``
        is 0 (matches), 1 (differs, or the probe could not finish) or 2 (bad arguments).

    Examples
    --------
    >>> from datetime import UTC, date, datetime
    >>> from digitalcx_frames import Client
    >>> from digitalcx_frames.simulator import Simulator
    >>> with Simulator(rows_per_day=200, today=date(2026, 11, 20), ignore_filters=("activeSessionOnly",)) as sim:
    ...     with Client(**sim.connection) as client:
    ...         report = doctor(sim.customer_key, sim.project_key, culture=sim.culture, client=client,
    ...                         now=datetime(2026, 11, 20, 9, tzinfo=UTC))
    >>> report.exit_code
    1
    >>> print("\n".join(report.differences))  # doctest: +ELLIPSIS
    filter activeSessionOnly (active_sessions_only): IGNORED: ... violate it (probed with true)
    """
    clock = now if now is not None else datetime.now(UTC)
    report = DoctorReport(customer_key, project_key, culture, host="(not built)")
    own = client is None
    try:
        day = datetime.combine(clock.astimezone(UTC).date() - timedelta(days=1), time(), UTC)
        build_query(customer_key, project_key, culture=culture, start=day, end=day + timedelta(days=1), now=clock)
        if client is None:
            client = Client()
        report.host = urlsplit(client.base_url).netloc
        _probe(report, client, day)
    except ConfigurationError as exc:
        report.error, report.bad_arguments = str(exc), True
    except _StopError as exc:
        report.error, report.bad_arguments = str(exc), exc.bad_arguments
    except DigitalCXError as exc:
        report.error = str(exc)
    finally:
        if own and client is not None:
            client.close()
    return report


def _probe(report: DoctorReport, client: Client, day: datetime) -> None:
    url = client.interactions_url(report.customer_key, report.project_key)
    rows = pl.DataFrame()
    pages: list[_Page] = []
    probe = _Probe(client, report, url, {})
    for offset, length in _WINDOWS:
        start = day + offset
        probe.base = {
            "culture": report.culture,
            "startDate": format_instant(start),
            "endDate": format_instant(start + length),
        }
        report.window = f"{format_instant(start)}/{format_instant(start + length)}"
        pages = probe.paged({}, label=report.window)
        rows = _rows(pages)[0]
        if rows.height >= ENOUGH_ROWS:
            break
    facts = client.auth.facts
    if facts is not None:
        report.add(
            "token",
            f"token_type {facts.token_type}; expires_in sent as a {facts.expires_in}; "
            f"lifetime {facts.lifetime:.0f} s ({facts.lifetime / 3600:.1f} h)",
        )
    paged_rows, header, delimiter, bom = _rows(pages)
    report.add(
        "body",
        f"{_plural(paged_rows.height, 'row')} in {_plural(len(pages), 'page')}; delimiter {delimiter!r}; "
        f"{'a UTF-8 BOM leads' if bom else 'no BOM'}; Content-Type {pages[0].headers.get('Content-Type', '-')}",
    )
    if not rows.height:
        report.add("rows", "the whole day held no row: little could be checked; try a busier project or later")
        return
    whole = probe.get({}, label=report.window)
    unpaged = _rows([whole])[0]
    _check_paging(report, pages, unpaged.height, paged_rows.height)
    _check_columns(report, header)
    typed = _by_api_name(unpaged if unpaged.height >= paged_rows.height else paged_rows)
    _check_values(report, typed)
    _check_json_body(report, probe.get({}, accept="application/json", label=report.window), typed)
    _check_json_columns(report, typed)
    _check_filters(report, probe, typed)


# -- the command ------------------------------------------------------------------------------


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``doctor CUSTOMER PROJECT --culture C`` to a CLI's subparsers; returns the parser."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "doctor",
        help="probe the live service briefly and report where it differs from the documented contract",
        description=(
            "A short, bounded probe of the live Analytics API (about 20 requests on one small recent window) "
            "with your credentials from DIGITALCX_CLIENT_ID / DIGITALCX_CLIENT_SECRET. Prints a report without "
            "secrets, tokens or user text: attach it to a bug report. Exit 0: matches the contract; "
            "1: differs; 2: bad arguments."
        ),
    )
    parser.add_argument("customer", help="customer key")
    parser.add_argument("project", help="project key")
    parser.add_argument("--culture", required=True, help="the project's culture, e.g. nl")
    parser.set_defaults(handler=run)
    return parser


def run(args: argparse.Namespace, *, client: Client | None = None) -> int:
    """Run the doctor for parsed arguments, print the report, return the exit code."""
    report = doctor(args.customer, args.project, culture=args.culture, client=client)
    print(report)
    return report.exit_code


def doctor_main(argv: Sequence[str] | None = None, *, client: Client | None = None) -> int:
    """``digitalcx-frames doctor ...`` as a function: parse ``argv``, run, return the exit code (2 on bad usage)."""
    parser = argparse.ArgumentParser(prog="digitalcx-frames")
    add_parser(parser.add_subparsers(dest="command", required=True))
    try:
        args = parser.parse_args(["doctor", *(sys.argv[1:] if argv is None else argv)])
    except SystemExit as exc:
        return int(exc.code or 0) if isinstance(exc.code, int) else 2
    return run(args, client=client)
