"""The day cache under a read: a cache that cannot be written never costs the caller the data."""

from __future__ import annotations

import warnings
from datetime import timedelta
from pathlib import Path

from polars.testing import assert_frame_equal

from digitalcx_frames.errors import DataWarning
from digitalcx_frames.simulator import Simulator
from tests.conftest import SIM_DAY, read_sim


def test_a_cache_path_that_is_a_file_warns_once_and_returns_the_rows(shared_sim: Simulator, tmp_path: Path) -> None:
    blocked = tmp_path / "cache"
    blocked.write_text("a file where the cache folder should be")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = read_sim(shared_sim, start=SIM_DAY - timedelta(days=2), end=SIM_DAY, cache=blocked).collect()
    expected = read_sim(shared_sim, start=SIM_DAY - timedelta(days=2), end=SIM_DAY).collect()
    assert_frame_equal(got, expected)
    assert got.height > 0
    cache_warnings = [w for w in caught if issubclass(w.category, DataWarning) and "not cached" in str(w.message)]
    assert len(cache_warnings) == 1
    assert blocked.read_text() == "a file where the cache folder should be"
