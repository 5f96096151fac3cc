"""_files: atomic writes, owner-only folders and files, no symbolic link followed."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from digitalcx_frames._files import atomic_write, open_private, private_dir
from digitalcx_frames.errors import ConfigurationError


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def write_then_fail(target: Path, write: Callable[[Path], object], error: BaseException) -> None:
    with atomic_write(target) as tmp:
        write(tmp)
        raise error


def test_a_writer_failing_after_some_bytes_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "part-0.parquet"
    with pytest.raises(RuntimeError, match="disk on fire"):
        write_then_fail(target, lambda tmp: tmp.write_bytes(b"PAR1 half a file"), RuntimeError("disk on fire"))
    assert list((tmp_path / "sub").iterdir()) == []


def test_an_interrupted_write_keeps_the_previous_file(tmp_path: Path) -> None:
    target = tmp_path / "day.parquet"
    target.write_bytes(b"old")
    with pytest.raises(KeyboardInterrupt):
        write_then_fail(target, lambda tmp: tmp.write_bytes(b"new but partial"), KeyboardInterrupt())
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["day.parquet"]


def test_every_created_folder_and_the_file_are_owner_only(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "c" / "f.txt"
    with atomic_write(target) as tmp:
        tmp.write_text("x")
    assert [mode(p) for p in (tmp_path / "a", tmp_path / "a" / "b", target.parent)] == [0o700] * 3
    assert mode(target) == 0o600


def test_user_folders_are_left_as_they_are(tmp_path: Path) -> None:
    folder = tmp_path / "reports"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    with atomic_write(folder / "out.csv", private_folder=False) as tmp:
        tmp.write_text("x")
    assert mode(folder) == 0o755
    assert mode(folder / "out.csv") == 0o600


def test_a_symlinked_folder_is_refused_and_its_target_untouched(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    target.mkdir(mode=0o755)
    target.chmod(0o755)
    (tmp_path / "store").mkdir()
    (tmp_path / "store" / "query").symlink_to(target)
    with pytest.raises(ConfigurationError, match="symbolic link"):
        private_dir(tmp_path / "store" / "query")
    with (
        pytest.raises(ConfigurationError, match="symbolic link"),
        atomic_write(tmp_path / "store" / "query" / "d") as t,
    ):
        t.write_text("rows")
    assert list(target.iterdir()) == []
    assert mode(target) == 0o755


def test_a_symlink_at_the_target_is_replaced_not_followed(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep")
    link = tmp_path / "store" / "file"
    link.parent.mkdir()
    link.symlink_to(victim)
    with atomic_write(link) as tmp:
        tmp.write_text("new")
    assert victim.read_text() == "keep"
    assert not link.is_symlink()
    assert link.read_text() == "new"


def test_open_private_creates_0600_and_refuses_a_link(tmp_path: Path) -> None:
    os.close(open_private(tmp_path / ".lock"))
    assert mode(tmp_path / ".lock") == 0o600
    (tmp_path / "link").symlink_to(tmp_path / "other")
    with pytest.raises(ConfigurationError, match="symbolic link"):
        open_private(tmp_path / "link")
    assert not (tmp_path / "other").exists()


def test_a_file_in_the_way_is_an_os_error(tmp_path: Path) -> None:
    (tmp_path / "blocked").write_text("a file, not a folder")
    with pytest.raises(NotADirectoryError):
        private_dir(tmp_path / "blocked")
    with pytest.raises((FileExistsError, NotADirectoryError)):
        private_dir(tmp_path / "blocked" / "below")
