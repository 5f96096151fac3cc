"""The bad-input catalogue, end to end: every mistake is refused before any request, saying what is allowed.

Each case goes through ``read_interactions`` (lazy Polars and eager pandas) and through
``sync_archive`` against a live simulator, whose request log must stay empty afterwards,
token requests included: the error comes from validation, never from the service, and a
key can never reach another path. ``tests/unit/test_query.py`` holds the same kind of
catalogue at the ``build_query`` level; this one checks the public entry points.

Two rules of ``read_interactions`` do not apply to ``sync_archive`` by design: a start
before 2024-12-15 or more than 90 days back is allowed there (the archive keeps days the
API no longer serves; only days inside the API's window are fetched).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl
import pytest

import digitalcx_frames as dcx
from digitalcx_frames.simulator import Simulator
from tests.conftest import SIM_TODAY

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
EARLY_NOW = datetime(2025, 1, 10, 12, tzinfo=UTC)  # 90 days back would be before 2024-12-15
GOOD: dict[str, Any] = {"start": "2026-11-16", "end": "2026-11-19"}

KEY_RULE = "ASCII letters, digits, '.', '_', '~' and '-' only"
DAYS = "must be after start"
ENVIRONMENTS = "Production, Staging"
MODES = "Public, Internal, Test, Monitor"
TYPES = "unknown interaction type name"
MASK = "out of range"
CULTURE = "culture code"
DATE = "is not a date"
WORKERS = "max_workers must be an int >= 1"

BAD_KEYS = ["a/b", "../other", "..", ".", "a?b=1", "a#b", "a b", " ab", "klänt", "プロ", "a%2Fb", "a\\b", "a\nb"]

# (id, overrides, text the error must hold); both entry points
COMMON: list[tuple[str, dict[str, Any], str]] = [
    ("end-equals-start", {"start": "2026-11-16", "end": "2026-11-16"}, DAYS),
    ("end-before-start", {"start": "2026-11-18", "end": "2026-11-16"}, DAYS),
    ("start-not-a-date", {"start": "yesterday"}, DATE),
    ("start-month-13", {"start": "2026-13-01"}, DATE),
    ("start-empty", {"start": ""}, DATE),
    ("end-not-a-date", {"end": "19/11/2026"}, DATE),
    ("start-an-int", {"start": 20261116}, "must be a date"),
    ("start-nat", {"start": np.datetime64("NaT")}, "NaT"),
    ("end-nat", {"end": np.datetime64("NaT")}, "NaT"),
    ("culture-empty", {"culture": ""}, CULTURE),
    ("culture-space", {"culture": " "}, CULTURE),
    ("culture-spaces-around", {"culture": " nl "}, CULTURE),
    ("culture-inner-space", {"culture": "n l"}, CULTURE),
    ("culture-not-a-string", {"culture": None}, CULTURE),
    ("environment-lower", {"environment": "production"}, "did you mean 'Production'"),
    ("environment-upper", {"environment": "STAGING"}, "did you mean 'Staging'"),
    ("environment-unknown", {"environment": "Acceptance"}, ENVIRONMENTS),
    ("environment-empty", {"environment": ""}, ENVIRONMENTS),
    ("session-mode-lower", {"session_mode": "public"}, "did you mean 'Public'"),
    ("session-mode-upper", {"session_mode": "TEST"}, "did you mean 'Test'"),
    ("session-mode-unknown", {"session_mode": "Private"}, MODES),
    ("type-unknown", {"interaction_types": "Smalltalk"}, TYPES),
    ("type-unknown-in-list", {"interaction_types": ["QA", "Chat"]}, TYPES),
    ("main-type-unknown", {"main_interaction_types": "Chitchat"}, TYPES),
    ("mask-negative", {"interaction_types": -1}, MASK),
    ("mask-1024", {"interaction_types": 1024}, MASK),
    ("mask-huge", {"interaction_types": 2**40}, MASK),
    ("main-mask-negative", {"main_interaction_types": -5}, MASK),
    ("main-mask-1024", {"main_interaction_types": 1024}, MASK),
    ("max-workers-0", {"max_workers": 0}, WORKERS),
    ("max-workers-negative", {"max_workers": -2}, WORKERS),
    ("max-workers-float", {"max_workers": 1.5}, WORKERS),
    ("max-workers-bool", {"max_workers": True}, WORKERS),
    *[(f"customer-key-{i}", {"customer_key": key}, KEY_RULE) for i, key in enumerate(BAD_KEYS)],
    *[(f"project-key-{i}", {"project_key": key}, KEY_RULE) for i, key in enumerate(BAD_KEYS)],
    ("customer-key-empty", {"customer_key": ""}, "customer_key"),
]
# read_interactions only
READ_ONLY: list[tuple[str, dict[str, Any], str]] = [
    ("start-before-2024-12-15", {"start": "2024-12-14", "end": "2024-12-20", "now": EARLY_NOW}, "2024-12-15"),
    ("start-more-than-90-days-back", {"start": "2026-08-21"}, "90 days back"),
    ("backend-arrow", {"backend": "arrow"}, "'polars' (lazy) or 'pandas'"),
    ("backend-capitalised", {"backend": "Polars"}, "'polars' (lazy) or 'pandas'"),
    ("cache-an-int", {"cache": 3}, "True, False or a folder path"),
    ("cache-bytes", {"cache": b"/tmp/x"}, "True, False or a folder path"),
    ("cache-none", {"cache": None}, "True, False or a folder path"),
]
# sync_archive only
SYNC_ONLY: list[tuple[str, dict[str, Any], str]] = [
    ("start-not-whole-day", {"start": "2026-11-16T06:00:00Z"}, "whole UTC day"),
    ("root-an-int", {"root": 3}, "root must be a folder path"),
    ("root-empty", {"root": ""}, "root must be a folder path"),
]

READ_CASES = COMMON + READ_ONLY
SYNC_CASES = COMMON + SYNC_ONLY


@pytest.fixture(scope="module")
def quiet_sim() -> Iterator[Simulator]:
    """One simulator whose log must stay empty for the whole module (nothing here may reach it)."""
    with Simulator(rows_per_day=10, page_size=100, today=SIM_TODAY) as simulator:
        yield simulator


@pytest.fixture
def silent(quiet_sim: Simulator) -> Iterator[Simulator]:
    quiet_sim.clear_log()
    yield quiet_sim
    assert quiet_sim.log == [], "a request (token or data) was made"


def arguments(sim: Simulator, overrides: dict[str, Any]) -> dict[str, Any]:
    args: dict[str, Any] = {
        "customer_key": sim.customer_key,
        "project_key": sim.project_key,
        "culture": sim.culture,
        "client": dcx.Client(**sim.connection),
        "now": NOW,
        **GOOD,
    }
    args.update(overrides)
    return args


def check(error: dcx.ConfigurationError, needle: str) -> None:
    assert needle in str(error), str(error)
    assert isinstance(error, ValueError)


@pytest.mark.parametrize("backend", ["polars", "pandas"])
@pytest.mark.parametrize(("overrides", "needle"), [case[1:] for case in READ_CASES], ids=[c[0] for c in READ_CASES])
def test_read_interactions_refuses_before_any_request(
    silent: Simulator, tmp_path: Path, overrides: dict[str, Any], needle: str, backend: str
) -> None:
    args = arguments(silent, {"cache": tmp_path / "cache", "backend": backend, **overrides})
    customer, project = args.pop("customer_key"), args.pop("project_key")
    with pytest.raises(dcx.ConfigurationError) as info:
        dcx.read_interactions(customer, project, **args)
    check(info.value, needle)
    assert not (tmp_path / "cache").exists()


@pytest.mark.parametrize(("overrides", "needle"), [case[1:] for case in SYNC_CASES], ids=[c[0] for c in SYNC_CASES])
def test_sync_archive_refuses_before_any_request(
    silent: Simulator, tmp_path: Path, overrides: dict[str, Any], needle: str
) -> None:
    args = arguments(silent, {"root": tmp_path / "archive", **overrides})
    root, customer, project = args.pop("root"), args.pop("customer_key"), args.pop("project_key")
    with pytest.raises(dcx.ConfigurationError) as info:
        dcx.sync_archive(root, customer, project, **args)
    check(info.value, needle)
    assert not (tmp_path / "archive").exists(), "nothing is written for a refused sync"


@pytest.mark.parametrize("key", BAD_KEYS)
def test_a_bad_key_never_reaches_the_archive_reader(key: str, tmp_path: Path) -> None:
    with pytest.raises(dcx.ConfigurationError, match="not a valid key"):
        dcx.scan_archive(tmp_path, customer_key=key)


def test_the_catalogue_size() -> None:
    """The numbers the issue asks for (printed with ``pytest -s``)."""
    distinct = {case[0] for case in READ_CASES} | {case[0] for case in SYNC_CASES}
    runs = 2 * len(READ_CASES) + len(SYNC_CASES)
    print(f"\nbad inputs: {len(distinct)} distinct, {runs} refused runs through read_interactions/sync_archive")
    assert len(distinct) >= 60


def test_the_base_case_is_accepted(sim: Simulator, tmp_path: Path) -> None:
    """Every case above changes one argument of a call that works."""
    args = arguments(sim, {"cache": False})
    customer, project = args.pop("customer_key"), args.pop("project_key")
    lazy = dcx.read_interactions(customer, project, **args)
    assert isinstance(lazy, pl.LazyFrame)
    assert lazy.collect().height > 0
    root = tmp_path / "archive"
    sync_args = arguments(sim, {})
    customer, project = sync_args.pop("customer_key"), sync_args.pop("project_key")
    result = dcx.sync_archive(root, customer, project, **sync_args)
    assert result.ok, result.error
    assert result.fetched == (date(2026, 11, 16), date(2026, 11, 17), date(2026, 11, 18))


@pytest.mark.parametrize(
    "literal",
    [
        datetime(2026, 11, 17, tzinfo=ZoneInfo("Europe/Amsterdam")),
        datetime(2026, 11, 17),
        pl.datetime(2026, 11, 17, time_zone="America/New_York"),
    ],
    ids=["amsterdam", "naive", "new-york"],
)
def test_a_filter_with_a_datetime_in_another_time_zone_is_refused_before_any_request(
    silent: Simulator, literal: Any
) -> None:
    args = arguments(silent, {"cache": False})
    customer, project = args.pop("customer_key"), args.pop("project_key")
    lazy = dcx.read_interactions(customer, project, **args).filter(pl.col("timestamp_start") >= literal)
    with pytest.raises(pl.exceptions.SchemaError, match="nothing was fetched"):
        lazy.collect()


def test_np_datetime64_is_accepted_like_a_timestamp(sim: Simulator) -> None:
    args = arguments(sim, {"cache": False, "start": np.datetime64("2026-11-16"), "end": np.datetime64("2026-11-17")})
    customer, project = args.pop("customer_key"), args.pop("project_key")
    frame = dcx.read_interactions(customer, project, **args).collect()
    assert frame.height > 0
    assert frame["timestamp_start"].dt.date().unique().to_list() == [date(2026, 11, 16)]
