"""The day cache: atomic, owner-only files, whole closed days only, damaged files refetched."""

from __future__ import annotations

import os
import stat
import warnings
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from digitalcx_frames._read.cache import DayCache, cache_info, cache_root, clear_cache, fingerprint
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


def test_fingerprint_covers_base_url_and_identity() -> None:
    base = fingerprint({"culture": "nl", "customer": "a"}, "https://x")
    assert base == fingerprint({"customer": "a", "culture": "nl"}, "https://x/")
    assert base != fingerprint({"culture": "nl", "customer": "a"}, "https://y")
    assert base != fingerprint({"culture": "nl", "customer": "b"}, "https://x")


def test_info_and_clear(tmp_path: Path) -> None:
    a = DayCache(
        tmp_path, fingerprint({"p": "1"}, "x"), description={"customer": "acme", "project": "one"}, now=lambda: NOW
    )
    b = DayCache(
        tmp_path, fingerprint({"p": "2"}, "x"), description={"customer": "acme", "project": "two"}, now=lambda: NOW
    )
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


def test_the_cache_takes_a_date(tmp_path: Path) -> None:
    cache = make_cache(tmp_path)
    day = date(2026, 11, 18)
    assert cache.save(day, frame())
    loaded = cache.load(day)
    assert loaded is not None
    assert loaded.equals(frame())
    assert not cache.save(date(2026, 11, 20), frame())  # today is open
    with pytest.raises(TypeError, match="date"):
        cache.load(datetime(2026, 11, 18, tzinfo=UTC))


def foreign_files(root: Path) -> dict[str, bytes]:
    """A general data folder: things the cache never wrote, some of them Parquet."""
    files = {
        "reports/summary.csv": b"a,b\n1,2\n",
        "models/model.parquet": b"PAR1 a model, not a day",
        "models/2026-11-01.parquet": b"PAR1 named like a day",
        "archive/customer_key=a/project_key=b/date=2026-11-01/part-0.parquet": b"PAR1 archive",
        "0123456789abcdef0123/2026-11-02.parquet": b"PAR1 a fingerprint-like folder without query.json",
        "notes.parquet": b"PAR1",
    }
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return files


def test_info_and_clear_touch_only_what_the_cache_wrote(tmp_path: Path) -> None:
    foreign = foreign_files(tmp_path)
    cache = make_cache(tmp_path, key=fingerprint({"customer": "acme"}, "https://x"))
    for day in (date(2026, 11, 16), date(2026, 11, 17)):
        assert cache.save(day, frame())
    (cache.folder / "mine-too.txt").write_text("a user's file inside a cache folder")
    info = cache_info(tmp_path)
    assert (info.queries, info.days) == (1, 2)
    assert info.bytes == sum(cache.path(d).stat().st_size for d in (date(2026, 11, 16), date(2026, 11, 17)))
    assert clear_cache(tmp_path, before=date(2026, 11, 17)) == 1
    assert clear_cache(tmp_path) == 1
    assert cache_info(tmp_path).days == 0
    for name, data in foreign.items():
        assert (tmp_path / name).read_bytes() == data, name
    assert (cache.folder / "mine-too.txt").exists()
    assert not cache.path(date(2026, 11, 17)).exists()


def test_clear_removes_the_folders_it_emptied(tmp_path: Path) -> None:
    cache = make_cache(tmp_path, key=fingerprint({"customer": "acme"}, "https://x"))
    cache.save(date(2026, 11, 16), frame())
    (cache.folder / ".2026-11-17.parquet.abc123.tmp").write_bytes(b"left by a crash")
    assert clear_cache(tmp_path) == 1
    assert list(tmp_path.iterdir()) == []


def test_a_failed_write_warns_once_and_keeps_going(tmp_path: Path) -> None:
    blocked = tmp_path / "cache-is-a-file"
    blocked.write_text("not a folder")
    cache = make_cache(blocked)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        saved = [cache.save(date(2026, 11, 16), frame()), cache.save(date(2026, 11, 17), frame())]
    assert saved == [False, False]
    assert [w.category for w in caught] == [DataWarning]
    assert "not cached" in str(caught[0].message)
    assert str(blocked) in str(caught[0].message)
    assert cache.load(date(2026, 11, 16)) is None


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only folder")
def test_a_read_only_cache_folder_warns_and_keeps_going(tmp_path: Path) -> None:
    root = tmp_path / "ro"
    root.mkdir()
    root.chmod(0o500)
    try:
        cache = make_cache(root)
        with pytest.warns(DataWarning, match="not cached"):
            assert not cache.save(date(2026, 11, 16), frame())
    finally:
        root.chmod(0o700)


def test_a_symlinked_query_folder_is_not_followed(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o755)
    elsewhere.chmod(0o755)
    root = tmp_path / "cache"
    root.mkdir()
    (root / "k").symlink_to(elsewhere)
    cache = make_cache(root, key="k")
    with pytest.warns(DataWarning, match="symbolic link"):
        assert not cache.save(date(2026, 11, 16), frame())
    assert list(elsewhere.iterdir()) == []
    assert stat.S_IMODE(elsewhere.stat().st_mode) == 0o755
    pl.DataFrame({"log_id": [1]}).write_parquet(elsewhere / "2026-11-16.parquet")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert cache.load(date(2026, 11, 16)) is None
    assert clear_cache(root) == 0
    assert (elsewhere / "2026-11-16.parquet").exists()
