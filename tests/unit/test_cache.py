"""The day cache: atomic, owner-only files, whole closed days only, damaged files refetched."""

from __future__ import annotations

import stat
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from digitalcx_frames._read.cache import DayCache, atomic_write, cache_info, cache_root, clear_cache, fingerprint
from digitalcx_frames._read.windows import Window
from digitalcx_frames.errors import ConfigurationError, DataWarning
from digitalcx_frames.schema import polars_schema

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def day_window(day: date) -> Window:
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return Window(start, start + timedelta(days=1))


def frame(rows: int = 3) -> pl.DataFrame:
    empty = polars_schema().to_frame()
    return empty.vstack(
        pl.DataFrame({"log_id": list(range(rows))}).with_columns(
            pl.lit(None, dtype=dtype).alias(name) for name, dtype in polars_schema().items() if name != "log_id"
        )
    )


def make_cache(root: Path, key: str = "k") -> DayCache:
    return DayCache(root, key, description={"customer": "acme", "project": "support"}, now=lambda: NOW)


def test_round_trip_of_a_closed_day(tmp_path: Path) -> None:
    cache = make_cache(tmp_path)
    window = day_window(date(2026, 11, 18))
    assert cache.load(window) is None
    assert cache.save(window, frame())
    loaded = cache.load(window)
    assert loaded is not None
    assert loaded.equals(frame())
    assert loaded.schema == polars_schema()


def test_open_and_partial_days_are_never_written(tmp_path: Path) -> None:
    cache = make_cache(tmp_path)
    today = day_window(date(2026, 11, 20))
    yesterday = day_window(date(2026, 11, 19))  # ended 12 h ago: closed
    just_ended = DayCache(tmp_path, "j", description={}, now=lambda: yesterday.end + timedelta(minutes=30))
    half = Window(yesterday.start, yesterday.start + timedelta(hours=12))
    assert not cache.save(today, frame())
    assert not cache.save(half, frame())
    assert not just_ended.save(yesterday, frame())
    assert cache.save(yesterday, frame())
    assert sorted(p.name for p in tmp_path.rglob("*.parquet")) == ["2026-11-19.parquet"]


def test_files_and_folders_are_owner_only(tmp_path: Path) -> None:
    cache = make_cache(tmp_path / "c")
    cache.save(day_window(date(2026, 11, 18)), frame())
    for path in (tmp_path / "c").rglob("*"):
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), path


def test_a_damaged_file_is_removed_and_reported(tmp_path: Path) -> None:
    cache = make_cache(tmp_path)
    window = day_window(date(2026, 11, 18))
    cache.save(window, frame())
    path = cache.path(window.day)
    path.write_bytes(path.read_bytes()[:50])
    with pytest.warns(DataWarning, match="unreadable"):
        assert cache.load(window) is None
    assert not path.exists()


def test_a_file_with_another_schema_is_refetched(tmp_path: Path) -> None:
    cache = make_cache(tmp_path)
    window = day_window(date(2026, 11, 18))
    cache.save(window, frame())
    pl.DataFrame({"log_id": ["x"]}).write_parquet(cache.path(window.day))
    with pytest.warns(DataWarning):
        assert cache.load(window) is None


def write_then_fail(target: Path, data: bytes, error: BaseException) -> None:
    with atomic_write(target) as tmp:
        tmp.write_bytes(data)
        raise error


def test_an_error_inside_an_atomic_write_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "day.parquet"
    with pytest.raises(RuntimeError):
        write_then_fail(target, b"half a file", RuntimeError("disk full"))
    assert not target.exists()
    assert list((tmp_path / "sub").iterdir()) == []


def test_an_interrupted_write_keeps_the_previous_file(tmp_path: Path) -> None:
    target = tmp_path / "day.parquet"
    target.write_bytes(b"old")
    with pytest.raises(KeyboardInterrupt):
        write_then_fail(target, b"new but partial", KeyboardInterrupt())
    assert target.read_bytes() == b"old"


def test_fingerprint_covers_base_url_and_identity() -> None:
    base = fingerprint({"culture": "nl", "customer": "a"}, "https://x")
    assert base == fingerprint({"customer": "a", "culture": "nl"}, "https://x/")
    assert base != fingerprint({"culture": "nl", "customer": "a"}, "https://y")
    assert base != fingerprint({"culture": "nl", "customer": "b"}, "https://x")


def test_info_and_clear(tmp_path: Path) -> None:
    a = DayCache(tmp_path, "a", description={"customer": "acme", "project": "one"}, now=lambda: NOW)
    b = DayCache(tmp_path, "b", description={"customer": "acme", "project": "two"}, now=lambda: NOW)
    for day in (date(2026, 11, 16), date(2026, 11, 17)):
        a.save(day_window(day), frame())
        b.save(day_window(day), frame())
    info = cache_info(tmp_path)
    assert (info.queries, info.days) == (2, 4)
    assert info.bytes > 0
    assert info.location == tmp_path
    assert clear_cache(tmp_path, project_key="one", before=date(2026, 11, 17)) == 1
    assert clear_cache(tmp_path, customer_key="nobody") == 0
    assert cache_info(tmp_path).days == 3
    assert clear_cache(tmp_path) == 3
    assert cache_info(tmp_path).days == 0


def test_location_from_argument_then_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIGITALCX_FRAMES_CACHE_DIR", str(tmp_path / "env"))
    assert cache_root() == tmp_path / "env"
    assert cache_root(tmp_path / "arg") == tmp_path / "arg"
    monkeypatch.delenv("DIGITALCX_FRAMES_CACHE_DIR")
    assert "digitalcx_frames" in str(cache_root())
    with pytest.raises(ConfigurationError, match="folder path"):
        cache_root(42)  # type: ignore[arg-type]
