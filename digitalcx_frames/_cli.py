"""The ``digitalcx-frames`` command line: argparse in front of the library, no business logic.

Commands: ``fetch`` (a date range to one Parquet or CSV file), ``sync`` (the incremental
archive, fit for cron), ``demo``, ``simulator``, ``doctor`` (a short live probe of where the
service differs from the documented contract) and ``cache info`` / ``cache clear``.
Credentials come from the environment (``DIGITALCX_CLIENT_ID``, ``DIGITALCX_CLIENT_SECRET``,
and optionally ``DIGITALCX_BASE_URL`` / ``DIGITALCX_TOKEN_URL``); they are never printed.

Exit codes: 0 done · 1 the API, the network or the file system failed (or a sync was
partial) · 2 a bad argument · 130 interrupted (Ctrl-C). Every failure is one line on
stderr, never a traceback: an error nothing expected is one line too, that says to report it.

Examples
--------
>>> main(["--version"])
digitalcx-frames 0.2.0
0
>>> main(["fetch", "acme", "web", "--culture", "nl", "--days", "7", "-o", "out.txt"])  # one line on stderr
2
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Final, NoReturn, TextIO

import polars as pl

from digitalcx_frames import __version__, _doctor, flag_ops, simulator
from digitalcx_frames._archive import sync_archive
from digitalcx_frames._demo import default_output, run_demo
from digitalcx_frames._files import atomic_write
from digitalcx_frames._http.auth import is_loopback
from digitalcx_frames._http.transport import ENV_BASE_URL
from digitalcx_frames._read.cache import ENV_VAR as CACHE_ENV_VAR
from digitalcx_frames._read.cache import cache_info, cache_root, clear_cache
from digitalcx_frames._read.fetch import ReadReport
from digitalcx_frames._read.frames import read_interactions
from digitalcx_frames._read.local import resolve_tz
from digitalcx_frames._read.query import to_utc
from digitalcx_frames.errors import ConfigurationError, DigitalCXError
from digitalcx_frames.features import redact
from digitalcx_frames.flags import UNKNOWN_BIT
from digitalcx_frames.schema import COLUMNS

__all__ = ["main"]

PROG: Final = "digitalcx-frames"
REDACT_SALT_ENV: Final = "DIGITALCX_REDACT_SALT"
_OUTPUT_SUFFIXES: Final = (".parquet", ".csv")

_MAIN_EPILOG: Final = """\
examples:
  digitalcx-frames demo
  export DIGITALCX_CLIENT_ID=... DIGITALCX_CLIENT_SECRET=...
  digitalcx-frames fetch acme webshop --culture nl --days 7 -o week.parquet
  digitalcx-frames sync /data/dcx acme webshop --culture nl --quiet
  digitalcx-frames doctor acme webshop --culture nl

Credentials are read from DIGITALCX_CLIENT_ID and DIGITALCX_CLIENT_SECRET; the endpoints
can be changed with DIGITALCX_BASE_URL and DIGITALCX_TOKEN_URL (the simulator prints them).
Exit codes: 0 ok, 1 API/network failure or partial sync, 2 bad arguments, 130 interrupted.
"""
_FETCH_EPILOG: Final = """\
examples:
  digitalcx-frames fetch acme webshop --culture nl --days 7 -o week.parquet
  digitalcx-frames fetch acme webshop --culture nl --start 2026-11-01 --end 2026-11-08 -o week.parquet
  digitalcx-frames fetch acme webshop --culture nl --days 7 --types QA,Dialog -o qa.csv
  DIGITALCX_REDACT_SALT=... digitalcx-frames fetch acme webshop --culture nl --days 7 --redact -o shareable.parquet

The range is half-open, [start, end): --days 7 is the seven whole UTC days before --end,
which defaults to 00:00 UTC today; --start 2026-11-01 --end 2026-11-08 is seven days too.
The file is written atomically: an error or Ctrl-C leaves no half-written file. A .csv is
written as the API writes it (API column names, ISO UTC timestamps, AllInteractionTypes as
type names), so read_export reads it back. One summary line tells what the read did.
Closed days are cached (see 'digitalcx-frames cache info'), except from a loopback endpoint
such as the simulator unless --cache-dir or $DIGITALCX_FRAMES_CACHE_DIR names a folder.
"""
_SYNC_EPILOG: Final = """\
examples:
  digitalcx-frames sync /data/dcx acme webshop --culture nl
  # crontab: every night at 03:15 UTC, one summary line per run
  15 3 * * *  digitalcx-frames sync /data/dcx acme webshop --culture nl --quiet

Fetches the closed UTC days the archive does not hold yet (by default as far back as the
API allows, 90 days) into a hive-partitioned Parquet dataset under ROOT.
Exit codes: 0 every day synced, 1 some days failed (the others are kept), 2 bad arguments.
"""
_DEMO_EPILOG: Final = """\
examples:
  digitalcx-frames demo
  digitalcx-frames demo --out /tmp/week.parquet --days 3

Starts the bundled simulator on a loopback port, reads whole closed days through the
library and writes them to a Parquet file whose path it prints (default: a folder of its
own in the temp folder, never the current folder). No credentials or network needed.
"""
_SIMULATOR_EPILOG: Final = """\
examples:
  digitalcx-frames simulator --port 8765
  # in another shell, paste the export lines it prints, then:
  digitalcx-frames fetch demo-customer demo-project --culture nl --days 7 -o sim.parquet

Serves on 127.0.0.1 until Ctrl-C. Reads from it are not cached in your cache folder.
"""
_DOCTOR_EPILOG: Final = """\
examples:
  digitalcx-frames doctor acme webshop --culture nl
  digitalcx-frames doctor acme webshop --culture nl > doctor.txt   # attach to a bug report

About twenty requests on one small recent window; the report holds no secret, token or
user text. Exit codes: 0 the service matches the documented contract, 1 it differs (or
the probe could not finish), 2 bad arguments or credentials the service refuses.
"""
_CACHE_EPILOG: Final = """\
examples:
  digitalcx-frames cache info
  digitalcx-frames cache clear --customer acme --before 2025-01-01

The cache folder is $DIGITALCX_FRAMES_CACHE_DIR, else the user cache directory.
"""


class _UsageError(Exception):
    """A bad command line; ``main`` prints it as one line and returns 2."""

    def __init__(self, message: str, prog: str) -> None:
        super().__init__(message)
        self.prog = prog


class _Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are one line and do not exit the interpreter."""

    def error(self, message: str) -> NoReturn:
        raise _UsageError(message, self.prog)


def _instant(text: str) -> datetime:
    """An argparse type: a date or ISO datetime (naive means UTC) as an aware UTC datetime."""
    try:
        return to_utc(text, name="date")
    except ConfigurationError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; use YYYY-MM-DD or an ISO datetime") from exc


def _day(text: str) -> date:
    """An argparse type: a plain ``YYYY-MM-DD`` date."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; use YYYY-MM-DD") from None


def _mask(text: str) -> object:
    """An argparse type: an int mask or comma-separated type names (checked by the library)."""
    text = text.strip()
    if text.isdigit():
        return int(text)
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise argparse.ArgumentTypeError("give type names such as QA,Dialog or an int mask such as 131")
    return names


def _output(text: str) -> Path:
    """An argparse type: an output path ending in .parquet or .csv."""
    path = Path(text).expanduser()
    if path.suffix.lower() not in _OUTPUT_SUFFIXES:
        raise argparse.ArgumentTypeError(f"{text}: the output must end in .parquet or .csv")
    return path


def _positive(text: str) -> int:
    """An argparse type: a whole number >= 1."""
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number >= 1")
    return int(text)


def _add_range(parser: argparse.ArgumentParser, *, required: bool) -> None:
    parser.add_argument("customer", metavar="CUSTOMER", help="customer key, as in the API's path")
    parser.add_argument("project", metavar="PROJECT", help="project key")
    if required:  # fetch: several projects and cultures in one file
        parser.add_argument(
            "--project", dest="more_projects", action="append", default=[], metavar="PROJECT",
            help="another project to read as well (repeatable; the file gets a project_key column)",
        )  # fmt: skip
        parser.add_argument(
            "--culture", required=True, action="append",
            help="the project's culture, case-sensitive (nl, en, nl-NL); repeat it to read several",
        )  # fmt: skip
        parser.add_argument(
            "--tz", metavar="ZONE",
            help="an IANA time zone (Europe/Amsterdam): dates are its calendar days, timestamps written in it",
        )  # fmt: skip
    else:
        parser.add_argument("--culture", required=True, help="the project's culture, case-sensitive (nl, en, nl-NL)")
    start_help = "first day (inclusive), YYYY-MM-DD or ISO datetime, UTC"
    if required:  # fetch: --start or --days
        first = parser.add_mutually_exclusive_group(required=True)
        first.add_argument("--start", type=_instant, help=start_help)
        first.add_argument("--days", type=_positive, metavar="N", help="the N whole UTC days before --end")
    else:
        parser.add_argument("--start", type=_instant, help=start_help)
    parser.add_argument("--end", type=_instant, help="end (exclusive); default 00:00 UTC today")


def _add_filters(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("query options (as in read_interactions)")
    group.add_argument("--types", type=_mask, metavar="NAMES", help="rows with any of these types: QA,Dialog or 131")
    group.add_argument("--main-types", type=_mask, metavar="NAMES", help="rows whose main type is one of these")
    group.add_argument("--environment", metavar="ENV", help="Production (default) or Staging")
    group.add_argument("--session-mode", metavar="MODE", help="Public (default), Internal, Test or Monitor")
    group.add_argument("--active-only", action="store_true", help="only sessions with a user interaction")
    group.add_argument("--filter-text", metavar="TEXT", help="case-sensitive filter on the user's input")
    group.add_argument("--include-user-info", action="store_true", help="fill additional_session_info, variables")
    group.add_argument("--format", choices=("csv", "json"), help="what the API is asked to send (same rows)")
    group.add_argument("--workers", type=int, metavar="N", help="days fetched at once (default 8)")


def _filters(args: argparse.Namespace) -> dict[str, Any]:
    """The filter keyword arguments that were given (the library's defaults stand for the rest)."""
    given = {
        "interaction_types": args.types,
        "main_interaction_types": args.main_types,
        "environment": args.environment,
        "session_mode": args.session_mode,
        "filter_text": args.filter_text,
        "format": args.format,
        "max_workers": args.workers,
    }
    kwargs = {name: value for name, value in given.items() if value is not None}
    if args.active_only:
        kwargs["active_sessions_only"] = True
    if args.include_user_info:
        kwargs["include_user_info"] = True
    return kwargs


def _command(
    sub: Any, name: str, handler: Callable[[argparse.Namespace], int], *, help: str, epilog: str
) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = sub.add_parser(
        name,
        help=help,
        description=help[:1].upper() + help[1:] + ".",
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(handler=handler)
    return parser


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="DigitalCX Analytics API interaction logs as typed Polars/pandas frames and files.",
        epilog=_MAIN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    fetch = _command(sub, "fetch", _fetch, help="fetch a date range into a .parquet or .csv file", epilog=_FETCH_EPILOG)
    _add_range(fetch, required=True)
    fetch.add_argument(
        "-o",
        "--output",
        type=_output,
        metavar="FILE",
        help="FILE.parquet or FILE.csv (default interactions_CUSTOMER_PROJECT_START_END.parquet)",
    )
    _add_filters(fetch)
    caching = fetch.add_mutually_exclusive_group()
    caching.add_argument("--no-cache", action="store_true", help="do not read or write the day cache")
    caching.add_argument("--cache-dir", type=Path, metavar="DIR", help="the day cache folder")
    fetch.add_argument(
        "--redact",
        action="store_true",
        help=f"hash ids, drop user info, scrub text before writing; the salt is read from ${REDACT_SALT_ENV} only",
    )
    fetch.add_argument("-q", "--quiet", action="store_true", help="no progress bar")

    sync = _command(sub, "sync", _sync, help="bring a Parquet archive up to date (fit for cron)", epilog=_SYNC_EPILOG)
    sync.add_argument("root", metavar="ROOT", type=Path, help="the archive folder")
    _add_range(sync, required=False)
    _add_filters(sync)
    sync.add_argument(
        "--exports",
        action="append",
        metavar="FILE",
        help="portal CSV download(s) or a glob to import first (repeatable)",
    )
    sync.add_argument(
        "--exports-whole-days",
        action="store_true",
        help="the exports hold whole days: import every day they cover (default: only days they span whole)",
    )
    sync.add_argument("-q", "--quiet", action="store_true", help="no progress bar; only the summary line")

    demo = _command(sub, "demo", _demo, help="read a week from the bundled simulator and show it", epilog=_DEMO_EPILOG)
    demo.add_argument(
        "--out", type=Path, metavar="FILE", help=f"the Parquet file to write (default {default_output()})"
    )
    demo.add_argument("--days", type=int, default=7, help="whole closed days to read (default 7)")
    demo.add_argument("--rows-per-day", type=int, default=5000, help="simulated rows per day (default 5000)")

    serve = _command(
        sub, "simulator", _simulator, help="serve a simulated Analytics API on 127.0.0.1", epilog=_SIMULATOR_EPILOG
    )
    serve.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 picks a free one)")
    serve.add_argument("--rows-per-day", type=int, default=2000, help="rows per UTC day (default 2000)")
    serve.add_argument("--seed", type=int, default=0, help="seed of the data (default 0)")

    doctor = _doctor.add_parser(sub)
    doctor.epilog = _DOCTOR_EPILOG
    doctor.formatter_class = argparse.RawDescriptionHelpFormatter

    cache = _command(sub, "cache", _cache_info, help="show or clear the day cache", epilog=_CACHE_EPILOG)
    cache_sub = cache.add_subparsers(dest="action", required=True, metavar="ACTION")
    info = _command(cache_sub, "info", _cache_info, help="where the cache is and what it holds", epilog=_CACHE_EPILOG)
    info.add_argument("--cache-dir", type=Path, metavar="DIR", help="the cache folder")
    clear = _command(cache_sub, "clear", _cache_clear, help="remove cached days", epilog=_CACHE_EPILOG)
    clear.add_argument("--cache-dir", type=Path, metavar="DIR", help="the cache folder")
    clear.add_argument("--customer", help="only this customer's queries")
    clear.add_argument("--project", help="only this project's queries")
    clear.add_argument("--before", type=_day, metavar="DATE", help="only days before DATE (YYYY-MM-DD)")
    return parser


def _today() -> datetime:
    return datetime.combine(datetime.now(UTC).date(), datetime.min.time(), UTC)


def _fetch(args: argparse.Namespace) -> int:
    zone = resolve_tz(args.tz)
    if zone is None:
        end: datetime = args.end if args.end is not None else _today()
        start: datetime = args.start if args.start is not None else end - timedelta(days=args.days)
    else:  # dates and times given are wall time in the zone; the default end is 00:00 there today
        today = datetime.combine(datetime.now(zone).date(), datetime.min.time())
        end = args.end.replace(tzinfo=None) if args.end is not None else today
        start = args.start.replace(tzinfo=None) if args.start is not None else end - timedelta(days=args.days)
    projects = [args.project, *args.more_projects]
    cultures: list[str] = args.culture
    several = len(projects) > 1 or len(cultures) > 1
    reports: list[ReadReport] = []
    frame = read_interactions(
        args.customer,
        projects if several else projects[0],
        culture=cultures if several else cultures[0],
        start=start,
        end=end,
        tz=args.tz,
        progress=not args.quiet,
        cache=_fetch_cache(args),
        report=reports.append,
        **_filters(args),
    )
    if args.redact:
        frame = redact(frame, salt=_redact_salt())
    default = f"interactions_{args.customer}_{'+'.join(projects)}_{start:%Y-%m-%d}_{end:%Y-%m-%d}.parquet"
    target: Path = args.output if args.output is not None else Path(default)
    if not target.parent.is_dir():
        raise _UsageError(f"-o {target}: the folder {target.parent} does not exist", "fetch")
    rows = _write(frame, target)
    print(f"{rows:,} rows -> {target}; {reports[-1] if reports else 'nothing read'}")
    return 0


def _redact_salt() -> str:
    """The salt of ``--redact``: from the environment only, never from the command line.

    A salt on the command line would stay in the shell's history and be visible to every
    user in ``ps``; it is the key that makes the hashes unguessable.
    """
    salt = os.environ.get(REDACT_SALT_ENV, "")
    if not salt.strip():
        raise ConfigurationError(
            f"--redact needs a secret salt in ${REDACT_SALT_ENV} (the same one for every file you want to "
            f"join on the hashed ids), e.g. export {REDACT_SALT_ENV}=$(python -c 'import secrets; "
            "print(secrets.token_hex(32))')"
        )
    return salt


def _fetch_cache(args: argparse.Namespace) -> bool | Path:
    """``--no-cache``, ``--cache-dir``, else the default cache, except for a loopback endpoint.

    A simulator (or any server on loopback) serves made-up rows on a new port each run: they
    are not cached in the user's cache folder unless a folder is named (``--cache-dir`` or
    ``$DIGITALCX_FRAMES_CACHE_DIR``).
    """
    if args.no_cache:
        return False
    if args.cache_dir is not None:
        return Path(args.cache_dir)
    simulated = is_loopback(os.environ.get(ENV_BASE_URL, ""))
    return not simulated or bool(os.environ.get(CACHE_ENV_VAR))


class _WriteError(Exception):
    """The output file could not be written; ``main`` prints it as one line and returns 1."""


def _write(frame: pl.LazyFrame, target: Path) -> int:
    """Stream ``frame`` into ``target`` atomically and return the number of rows written.

    Raises
    ------
    _WriteError
        The file system refused the file (a folder in the way, no space, no permission); the
        library's own errors (the read) pass through unchanged.
    """
    try:
        return _write_atomically(frame, target)
    except (OSError, pl.exceptions.ComputeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc).strip().splitlines()[0]
        raise _WriteError(f"could not write {target}: {reason}; nothing was written there") from exc


def _write_atomically(frame: pl.LazyFrame, target: Path) -> int:
    with atomic_write(target, private_folder=False) as tmp:
        if target.suffix.lower() == ".csv":
            _as_api_csv(frame).sink_csv(tmp)
            rows = pl.scan_csv(tmp, infer_schema=False).select(pl.len()).collect().item()
        else:
            frame.sink_parquet(tmp, compression="zstd", statistics=True)
            rows = pl.scan_parquet(tmp).select(pl.len()).collect().item()
    return int(rows)


_CSV_TIMESTAMP: Final = "%Y-%m-%dT%H:%M:%S%.6fZ"


def _as_api_csv(frame: pl.LazyFrame) -> pl.LazyFrame:
    """The frame as the API writes its CSV: API column names, ISO UTC timestamps, type names.

    ``AllInteractionTypes`` becomes JSON text (``["QA","Dialog"]``), not the integer mask, so
    :func:`~digitalcx_frames.read_export` reads the file back into the same frame. A mask
    with the ``UNKNOWN`` bit names ``main_interaction_type`` when that is the unknown type
    (else ``"Unknown"``): the mask itself never held the name.
    """
    present = frame.collect_schema()
    columns: list[pl.Expr] = []
    for column in COLUMNS:
        if column.name not in present:
            continue
        expr = pl.col(column.name)
        if isinstance(present[column.name], pl.Datetime):
            expr = expr.dt.to_string(_CSV_TIMESTAMP)
        elif column.name == "all_interaction_types":
            quoted = flag_ops.names(expr).list.eval(pl.concat_str(pl.lit('"'), pl.element(), pl.lit('"')))
            main = pl.col("main_interaction_type").cast(pl.String)
            main_is_unknown = (flag_ops.from_names(pl.concat_list(main), unknown="flag") & UNKNOWN_BIT) != 0
            unknown_name = pl.when(main_is_unknown).then(main).otherwise(pl.lit("Unknown"))
            unknown = pl.when((expr & UNKNOWN_BIT) != 0).then(
                pl.concat_list(pl.concat_str(pl.lit('"'), unknown_name, pl.lit('"')))
            )
            names = pl.concat_list(quoted, unknown.fill_null(pl.lit([], dtype=pl.List(pl.String))))
            expr = pl.when(expr.is_not_null()).then(pl.concat_str(pl.lit("["), names.list.join(","), pl.lit("]")))
        columns.append(expr.alias(column.api_name))
    extras = [pl.col(name) for name in present if name not in {c.name for c in COLUMNS}]
    return frame.select(*columns, *extras)


def _sync(args: argparse.Namespace) -> int:
    optional = {"start": args.start, "end": args.end, "exports": args.exports}
    if args.exports_whole_days:
        optional["exports_whole_days"] = True
    result = sync_archive(
        args.root,
        args.customer,
        args.project,
        culture=args.culture,
        progress=not args.quiet,
        **{name: value for name, value in optional.items() if value is not None},
        **_filters(args),
    )
    if result.ok:
        print(result.summary())
        return 0
    print(_one_line(result.summary()), file=sys.stderr)
    return 1


def _demo(args: argparse.Namespace) -> int:

    return run_demo(args.out, days=args.days, rows_per_day=args.rows_per_day, stream=sys.stdout)


def _simulator(args: argparse.Namespace) -> int:
    if not 0 <= args.port <= 65535:
        raise _UsageError(f"--port {args.port}: a port is 0..65535", "simulator")
    if args.rows_per_day < 0:
        raise _UsageError(f"--rows-per-day {args.rows_per_day}: must be >= 0", "simulator")
    simulator.serve_forever(port=args.port, rows_per_day=args.rows_per_day, seed=args.seed)
    return 0


def _human(size: float) -> str:
    """Bytes as text: ``1536`` -> ``'1.5 KiB'``."""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


def _cache_info(args: argparse.Namespace) -> int:
    info = cache_info(args.cache_dir)
    print(f"location  {info.location}")
    print(f"queries   {info.queries}")
    print(f"days      {info.days}")
    print(f"size      {_human(info.bytes)} ({info.bytes:,} bytes)")
    return 0


def _cache_clear(args: argparse.Namespace) -> int:
    removed = clear_cache(args.cache_dir, customer_key=args.customer, project_key=args.project, before=args.before)
    print(f"removed {removed} cached day{'s' if removed != 1 else ''} from {cache_root(args.cache_dir)}")
    return 0


def _one_line(error: object) -> str:
    return " ".join(str(error).split())


def _usage_line(message: str, prog: str) -> str:
    command = prog.removeprefix(PROG).strip()
    see = f"{PROG} {command} --help" if command else f"{PROG} --help"
    return f"{PROG}: error: {_one_line(message)} (see '{see}')"


@contextlib.contextmanager
def _console() -> Iterator[None]:
    """Warnings as one line each, and no traceback for a Ctrl-C that lands in a finalizer.

    Python reports an interrupt inside a finalizer or weakref callback as "Exception
    ignored in ..." with a traceback (it happens when the signal arrives while Polars drops
    Python objects); the interrupt still reaches the main thread, which stops with one line.
    """
    previous_hook, previous_show = sys.unraisablehook, warnings.showwarning

    def hook(unraisable: Any) -> None:
        if not isinstance(unraisable.exc_value, KeyboardInterrupt):
            previous_hook(unraisable)

    def show(
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: TextIO | None = None,
        line: str | None = None,
    ) -> None:
        print(f"{PROG}: warning: {_one_line(message)}", file=sys.stderr)

    sys.unraisablehook, warnings.showwarning = hook, show
    try:
        yield
    finally:
        sys.unraisablehook, warnings.showwarning = previous_hook, previous_show


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``) and return the exit code.

    Parameters
    ----------
    argv
        The arguments after the program name.

    Returns
    -------
    int
        0 ok, 1 the API, the network or a file failed (or a sync was partial), 2 a bad
        argument, 130 interrupted.
    """
    try:
        try:
            args = _parser().parse_args(argv)
        except SystemExit as exc:  # --help and --version
            return exc.code if isinstance(exc.code, int) else 0
        handler: Callable[[argparse.Namespace], int] = args.handler
        with _console():
            return handler(args)
    except _UsageError as exc:
        print(_usage_line(str(exc), exc.prog), file=sys.stderr)
        return 2
    except ConfigurationError as exc:
        print(f"{PROG}: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except DigitalCXError as exc:
        print(f"error: {_one_line(exc)}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # `digitalcx-frames demo | head`: the reader left, stop quietly
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except (OSError, _WriteError) as exc:
        print(f"error: {_one_line(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted (Ctrl-C); no partial file was left", file=sys.stderr)
        return 130
    except Exception as exc:
        print(f"error: {_unexpected(exc)}", file=sys.stderr)
        return 1


def _unexpected(exc: Exception) -> str:
    """One line for an error nothing above expected: its type and first line (a bug: say so)."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    text = f"{type(exc).__module__}.{type(exc).__qualname__}" + (f": {first}" if first else "")
    return f"unexpected {_one_line(text)[:300]} (please report this)"
