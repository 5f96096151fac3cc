"""Benchmark :func:`digitalcx_frames._read.parse.parse_body` against the floor.

The floor is what any typed read of the same bytes must do at least: a Polars read with a
text/int/bool schema, ``str.to_datetime`` with an explicit format on both timestamps and
the flag decode (distinct strings decoded once, then ``replace_strict``), in one lazy
query. ``parse_body`` adds header matching, empty-string handling, the ragged-row and
non-null checks on top of that.

Run ``.venv/bin/python -m benchmarks.bench_parse [--mb 150]``.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
import statistics
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import polars as pl

from digitalcx_frames._read.parse import parse_body
from digitalcx_frames.features._json import decode_json_columns
from digitalcx_frames.flags import InteractionType
from digitalcx_frames.schema import API_COLUMN_NAMES, COLUMNS, Kind

_WORDS = (
    "hoe",
    "wijzig",
    "ik",
    "mijn",
    "adres",
    "café",
    "één",
    "reçu",
    "€25",
    "factuur",
    "betaling",
    "mijn",
    "account",
    "wachtwoord",
    "vergeten",
    "abonnement",
    "opzeggen",
    "retour",
    "levering",
    "bezorging",
    "storing",
    "internet",
    "klantenservice",
    "privé",
    "‘tarief’",
    "naïef",
    "coördinatie",
    "12,50",
    "euro;",
    "ja|nee",
)
_TYPES = (
    '["QA"]',
    '[ "Dialog", "QA"]',
    '["Event"]',
    '["DataRetrieval"]',
    '["Feedback"]',
    '["LinkClick"]',
    '["GenerativeAI","QA"]',
    "[]",
    '[ "TransactionalDialog", "Dialog"]',
)
_MAIN = ("QA", "Dialog", "Event", "DataRetrieval", "Feedback", "LinkClick", "GenerativeAI")


def _text(rng: random.Random, lo: int, hi: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(rng.randint(lo, hi)))


def make_rows(n_rows: int, *, seed: int = 0, portal_time: bool = False) -> list[list[str]]:
    """Realistic wire rows (strings, API column order): Dutch text, JSON columns, ~10 % newlines."""
    rng = random.Random(seed)
    rows: list[list[str]] = []
    base = 1_774_400_000.0
    for i in range(n_rows):
        start = base + i * 0.37
        ms = rng.randint(0, 999)
        if portal_time:
            ts = time.strftime("%m/%d/%Y %H:%M:%S", time.gmtime(start))
            te = time.strftime("%m/%d/%Y %H:%M:%S", time.gmtime(start + 1))
        else:
            ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(start)) + f".{ms:03d}Z"
            te = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(start + 1)) + f".{ms:03d}Z"
        answer = _text(rng, 8, 40)
        if rng.random() < 0.1:
            answer = answer + "\n\n" + _text(rng, 3, 12) + "\r\n- " + _text(rng, 2, 6)
        quality = f"{rng.uniform(0, 100):.2f}" if rng.random() < 0.7 else ""
        row = [
            str(5_300_000_000 + i),
            f"{rng.getrandbits(128):032x}",
            f"{rng.getrandbits(128):032x}" if rng.random() < 0.1 else "",
            f"{rng.getrandbits(64):016x}",
            rng.choice(("True", "False")),
            ts,
            te,
            rng.choice(("nl", "nl-NL")),
            rng.choice(_MAIN),
            rng.choice(_TYPES),
            _text(rng, 2, 10),
            answer,
            '[{"key":"channel","value":"web"},{"key":"bedrag","value":"€ 12,50"}]',
            '["qa-42","dn-7-3","e-5"]',
            '{"DropOut":"12:34"}' if rng.random() < 0.2 else "",
            "",
            rng.choice(("GenerativeAI", "Entity Recognition", "")),
            quality,
            '{"entities":[{"name":"product","value":"café"}],"missingWords":[]}',
            "",
            '[{"id":"qa-42","score":0.93}]',
            "",
            '[{"name":"kanaal","value":"web"}]',
            '{"originatingPage":"https://example.nl/klantenservice?x=1&y=é"}',
            "",
            "",
            "",
            "",
        ]
        rows.append(row)
    return rows


def make_body(rows: list[list[str]], *, delimiter: str = ",", bom: bool = False) -> bytes:
    """Write rows as the API would: header, Python's csv module, CRLF, UTF-8."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(API_COLUMN_NAMES)
    writer.writerows(rows)
    data = out.getvalue().encode("utf-8")
    return b"\xef\xbb\xbf" + data if bom else data


def floor_parse(body: bytes, *, delimiter: str = ",") -> pl.DataFrame:
    """The least any typed read must do: read, two timestamps, the flag decode."""
    read_dtype = {Kind.INT: pl.Int64(), Kind.BOOL: pl.Boolean(), Kind.FLOAT: pl.Float64()}
    schema = {c.api_name: read_dtype.get(c.kind, pl.String()) for c in COLUMNS}
    lf = pl.scan_csv(body, schema=schema, separator=delimiter)  # Polars skips the BOM itself
    fmt = "%+"  # the fastest explicit format Polars has for these timestamps (faster than "%Y-%m-%dT%H:%M:%S%.fZ")
    frame = lf.with_columns(
        pl.col("TimestampStart", "TimestampEnd").str.to_datetime(fmt, time_unit="us", time_zone="UTC", strict=False)
    ).collect()
    distinct = frame.get_column("AllInteractionTypes").unique().drop_nulls().to_list()
    mapping = {s: int(InteractionType.from_api_names_lenient(s)[0]) for s in distinct}
    return frame.with_columns(pl.col("AllInteractionTypes").replace_strict(mapping, return_dtype=pl.UInt16))


def _time(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def _parse_and_decode(body: bytes) -> pl.DataFrame:
    return decode_json_columns(parse_body(body).frame, warn=False)


def run(mb: float = 150.0, repeats: int = 3) -> list[dict[str, Any]]:
    """Time parse_body and the floor on a body of about ``mb`` MB; median of alternating runs."""
    probe = make_body(make_rows(2_000))
    n_rows = int(mb * 1e6 / (len(probe) / 2_000))
    rows = make_rows(n_rows)
    results: list[dict[str, Any]] = []
    for delimiter in (",", "|"):
        body = make_body(rows, delimiter=delimiter, bom=True)
        size = len(body)
        methods: list[tuple[str, Callable[[], object]]] = [
            ("floor", partial(floor_parse, body, delimiter=delimiter)),
            ("parse_body", partial(parse_body, body)),
        ]
        if delimiter == ",":  # the cost of decode_json=True: the same parse, then the JSON columns typed
            methods.append(("parse_body+decode_json", partial(_parse_and_decode, body)))
        times: dict[str, list[float]] = {name: [] for name, _ in methods}
        cpu: dict[str, list[float]] = {name: [] for name, _ in methods}
        for _ in range(repeats):
            for name, fn in methods:
                c0 = time.process_time()
                times[name].append(_time(fn))
                cpu[name].append(time.process_time() - c0)
        floor = statistics.median(times["floor"])
        floor_cpu = statistics.median(cpu["floor"])
        for name, ts in times.items():
            med = statistics.median(ts)
            med_cpu = statistics.median(cpu[name])
            results.append(
                {
                    "benchmark": "parse",
                    "method": name,
                    "delimiter": delimiter,
                    "rows": n_rows,
                    "mb": round(size / 1e6, 1),
                    "seconds": round(med, 3),
                    "mb_per_s": round(size / 1e6 / med, 1),
                    "rows_per_s": round(n_rows / med),
                    "vs_floor": round(med / floor, 3),
                    "cpu_seconds": round(med_cpu, 3),
                    "cpu_vs_floor": round(med_cpu / floor_cpu, 3),
                }
            )
    results.extend(run_json(rows[: max(1, n_rows // 5)], repeats))
    return results


def run_json(rows: list[list[str]], repeats: int = 3) -> list[dict[str, Any]]:
    """The JSON path (stdlib ``json`` + columns) against ``json.loads`` alone and Polars' ``read_json``."""
    body = json.dumps([dict(zip(API_COLUMN_NAMES, r, strict=True)) for r in rows], ensure_ascii=False).encode()
    schema = dict.fromkeys(API_COLUMN_NAMES, pl.String())
    methods: dict[str, Callable[[], object]] = {
        "json.loads": partial(json.loads, body),
        "pl.read_json": partial(pl.read_json, body, schema=schema),
        "parse_body_json": partial(parse_body, body, format="json"),
    }
    times: dict[str, list[float]] = {name: [] for name in methods}
    for _ in range(repeats):
        for name, fn in methods.items():
            times[name].append(_time(fn))
    base = statistics.median(times["json.loads"])
    return [
        {
            "benchmark": "parse_json",
            "method": name,
            "delimiter": "",
            "rows": len(rows),
            "mb": round(len(body) / 1e6, 1),
            "seconds": round(statistics.median(ts), 3),
            "mb_per_s": round(len(body) / 1e6 / statistics.median(ts), 1),
            "rows_per_s": round(len(rows) / statistics.median(ts)),
            "vs_floor": round(statistics.median(ts) / base, 3),
            "cpu_seconds": None,
            "cpu_vs_floor": None,
        }
        for name, ts in times.items()
    ]


def main(argv: list[str] | None = None) -> int:
    """Print the results table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mb", type=float, default=150.0, help="body size in MB (default 150)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    results = run(args.mb, args.repeats)
    print(
        f"{'method':<16} {'delim':>5} {'rows':>9} {'MB':>7} {'s':>7} {'MB/s':>7} {'rows/s':>10} {'x floor':>7} "
        f"{'cpu s':>6} {'cpu x':>6}"
    )
    for r in results:
        print(
            f"{r['method']:<16} {r['delimiter']!r:>5} {r['rows']:>9} {r['mb']:>7} {r['seconds']:>7} "
            f"{r['mb_per_s']:>7} {r['rows_per_s']:>10} {r['vs_floor']:>7} {r['cpu_seconds'] or '':>6} "
            f"{r['cpu_vs_floor'] or '':>6}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
