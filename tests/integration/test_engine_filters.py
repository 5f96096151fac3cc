"""Filters enforced on our side too (issue 13 item 2): a service that ignores one gives the right rows and a warning."""

from __future__ import annotations

import warnings
from datetime import UTC, date, datetime, timedelta
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import digitalcx_frames as dcx
from digitalcx_frames.simulator import Simulator

TODAY = date(2026, 11, 20)
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
START = datetime(2026, 11, 17, tzinfo=UTC)
END = datetime(2026, 11, 19, tzinfo=UTC)
SIM_OPTIONS: dict[str, Any] = {"rows_per_day": 300, "page_size": 100, "today": TODAY, "seed": 5}

CASES = [
    ("mainInteractionType", "main_interaction_types", "QA"),
    ("interactionTypes", "interaction_types", ["Dialog", "Feedback"]),
    ("activeSessionOnly", "active_sessions_only", True),
]


def read(sim: Simulator, backend: str = "polars", **options: Any) -> pl.DataFrame:
    options.update(culture=sim.culture, start=START, end=END, client=dcx.Client(**sim.connection), now=NOW, cache=False)
    if backend == "pandas":
        frame = pl.from_pandas(dcx.read_interactions(sim.customer_key, sim.project_key, backend="pandas", **options))
        return frame.with_columns(pl.col("culture", "main_interaction_type").cast(pl.Categorical))
    lazy = dcx.read_interactions(sim.customer_key, sim.project_key, **options)
    assert isinstance(lazy, pl.LazyFrame)
    return lazy.collect()


@pytest.mark.parametrize("backend", ["polars", "pandas"])
@pytest.mark.parametrize(("wire", "argument", "value"), CASES)
def test_a_filter_the_service_ignores_is_applied_here_with_one_warning(
    wire: str, argument: str, value: object, backend: str
) -> None:
    with Simulator(**SIM_OPTIONS) as honest, Simulator(**SIM_OPTIONS, ignore_filters=[wire]) as drifting:
        truth = read(honest, backend, **{argument: value})
        everything = read(honest, backend)
        with pytest.warns(dcx.DataWarning) as record:
            frame = read(drifting, backend, **{argument: value})
        assert all(r.params.get(wire) is not None for r in drifting.interaction_requests), "still sent on the wire"
    assert_frame_equal(frame, truth, check_dtypes=backend == "polars")
    removed = everything.height - truth.height
    assert removed > 0
    messages = [str(w.message) for w in record if wire in str(w.message)]
    assert len(messages) == 1, messages
    assert argument in messages[0]
    assert f"{removed} row{'s' if removed != 1 else ''} for {wire}" in messages[0]


def test_a_service_that_honours_the_filters_gives_no_warning() -> None:
    with Simulator(**SIM_OPTIONS) as sim, warnings.catch_warnings():
        warnings.simplefilter("error", dcx.DataWarning)
        frame = read(sim, main_interaction_types="QA", interaction_types=["QA", "Dialog"], active_sessions_only=True)
    assert frame.height > 0
    assert set(frame["main_interaction_type"].cast(pl.String)) == {"QA"}
    assert frame["session_is_active"].all()


def test_enforcing_the_filters_is_cheap() -> None:
    """Vectorised: a million rows in well under a second (the figure is measured in B2)."""
    from digitalcx_frames._read.enforce import enforce
    from digitalcx_frames._read.query import build_query

    query = build_query(
        "c", "p", culture="nl", start=START, end=END, now=NOW, main_interaction_types="QA",
        interaction_types=["QA", "Dialog"], active_sessions_only=True,
    )  # fmt: skip
    n = 1_000_000
    frame = pl.DataFrame(
        {
            "main_interaction_type": pl.Series(["QA", "Event", "Dialog", "QA"] * (n // 4), dtype=pl.Categorical),
            "all_interaction_types": pl.Series([2, 1, 8, 10] * (n // 4), dtype=pl.UInt16),
            "session_is_active": [True, False, True, True] * (n // 4),
        }
    )
    result = enforce(frame, query)
    assert result.frame.height == n // 2
    assert result.removed == {
        "main_interaction_types": n // 2,
        "interaction_types": n // 4,
        "active_sessions_only": n // 4,
    }
    assert timedelta(days=2) == END - START
