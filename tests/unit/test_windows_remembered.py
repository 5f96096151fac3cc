"""Learned window lengths remembered across processes in the cache folder (issue 13 item 1).

A fresh owner object with the same base URL is what a second process is to the file: it
has no memory of its own and starts from ``window-lengths.json``.
"""

from __future__ import annotations

import json
import stat
from datetime import date, timedelta
from pathlib import Path

import pytest

import digitalcx_frames as dcx
from digitalcx_frames._read.windows import (
    FORGET_AFTER,
    LENGTHS_FILE,
    Learned,
    Window,
    WindowLengths,
    learned_lengths,
    without_learning,
)

KEY = ("acme", "support", "nl")
DAY = Window.of_day(date(2025, 3, 1))
HALF = DAY.split()[0]
QUARTER = HALF.split()[0]


class Owner:
    """A stand-in client: learned lengths are kept per owner object."""

    def __init__(self, base_url: str = "https://analytics.example") -> None:
        self.base_url = base_url


def learn_quarter_days(lengths: WindowLengths) -> None:
    """24 h and 12 h time out, 6 h works: what a busy project teaches."""
    lengths.timed_out(DAY)
    lengths.timed_out(HALF)
    lengths.succeeded(QUARTER)


def test_a_new_client_starts_from_what_was_remembered(tmp_path: Path) -> None:
    learn_quarter_days(learned_lengths(Owner(), KEY, folder=tmp_path))
    later = learned_lengths(Owner(), KEY, folder=tmp_path)  # another process: nothing in memory
    assert later.learned() == Learned(works=timedelta(hours=6), times_out=timedelta(hours=12))
    assert later.admit(DAY, read="next") == "split"
    assert later.admit(QUARTER, read="next") == "fetch"


def test_the_file_is_owner_only_and_holds_no_secret(tmp_path: Path) -> None:
    client = dcx.Client("my-client", "s3cret-never-stored", base_url="https://analytics.example:8443/api")
    learn_quarter_days(learned_lengths(client, KEY, folder=tmp_path))
    path = tmp_path / LENGTHS_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text(encoding="utf-8")
    for secret in ("s3cret-never-stored", "my-client", "/api"):
        assert secret not in text
    (entry,) = json.loads(text)["entries"]
    assert json.loads(entry) == ["analytics.example:8443", *KEY]
    assert sorted(p.name for p in tmp_path.iterdir()) == [LENGTHS_FILE], "no temporary file left"


def test_only_the_host_of_a_base_url_is_kept(tmp_path: Path) -> None:
    learn_quarter_days(learned_lengths(Owner("https://user:pw@analytics.example/x?k=v"), KEY, folder=tmp_path))
    (entry,) = json.loads((tmp_path / LENGTHS_FILE).read_text(encoding="utf-8"))["entries"]
    assert json.loads(entry) == ["analytics.example", *KEY]


def test_other_services_and_projects_are_not_shared(tmp_path: Path) -> None:
    learn_quarter_days(learned_lengths(Owner(), KEY, folder=tmp_path))
    assert learned_lengths(Owner("https://other.example"), KEY, folder=tmp_path).learned().empty
    assert learned_lengths(Owner(), ("acme", "sales", "nl"), folder=tmp_path).learned().empty
    assert learned_lengths(Owner(), KEY, folder=tmp_path).learned().works == timedelta(hours=6)


def test_without_a_cache_folder_nothing_is_written(tmp_path: Path) -> None:
    learn_quarter_days(learned_lengths(Owner(), KEY))  # cache=False: no folder
    assert list(tmp_path.iterdir()) == []
    assert learned_lengths(Owner(), KEY, folder=tmp_path).learned().empty
    assert list(tmp_path.iterdir()) == []


def test_an_expired_entry_is_ignored(tmp_path: Path) -> None:
    wall = [1_000_000.0]
    learn_quarter_days(learned_lengths(Owner(), KEY, folder=tmp_path, wall=lambda: wall[0]))
    wall[0] += FORGET_AFTER.total_seconds() - 60
    assert not learned_lengths(Owner(), KEY, folder=tmp_path, wall=lambda: wall[0]).learned().empty
    wall[0] += 120  # now older than FORGET_AFTER
    assert learned_lengths(Owner(), KEY, folder=tmp_path, wall=lambda: wall[0]).learned().empty


def test_what_is_loaded_keeps_its_age(tmp_path: Path) -> None:
    wall, now = [1_000_000.0], [0.0]
    learn_quarter_days(learned_lengths(Owner(), KEY, folder=tmp_path, wall=lambda: wall[0]))
    wall[0] += FORGET_AFTER.total_seconds() - 3600  # loaded 23 h after it was learned
    later = learned_lengths(Owner(), KEY, folder=tmp_path, wall=lambda: wall[0], clock=lambda: now[0])
    assert later.admit(DAY, read=1) == "split"
    now[0] += 3601  # one more hour in the new process: forgotten there too
    assert later.admit(DAY, read=1) == "fetch"


@pytest.mark.parametrize(
    "content",
    [
        b"\x00\xff not json",
        b"",
        b"[]",
        b"null",
        b'{"version": 99, "entries": {}}',
        b'{"version": 1, "entries": []}',
        b'{"version": 1, "entries": {"KEY": "6h"}}',
        b'{"version": 1, "entries": {"KEY": {"works_seconds": -5, "times_out_seconds": null, "confirmed": 0}}}',
        b'{"version": 1, "entries": {"KEY": {"works_seconds": 1e9, "times_out_seconds": null, "confirmed": 0}}}',
        b'{"version": 1, "entries": {"KEY": {"works_seconds": "x", "times_out_seconds": true, "confirmed": 0}}}',
        b'{"version": 1, "entries": {"KEY": {"works_seconds": 21600, "confirmed": "yesterday"}}}',
        b'{"version": 1, "entries": {"KEY": {"works_seconds": 21600, "confirmed": 1e300}}}',
    ],
)
def test_a_damaged_file_is_ignored_and_replaced(tmp_path: Path, content: bytes) -> None:
    key = json.dumps(["analytics.example", *KEY], separators=(",", ":"))
    (tmp_path / LENGTHS_FILE).write_bytes(content.replace(b'"KEY"', json.dumps(key).encode()))
    lengths = learned_lengths(Owner(), KEY, folder=tmp_path, wall=lambda: 1000.0)
    assert lengths.learned().empty
    learn_quarter_days(lengths)  # the next change writes a sound file over the damage
    later = learned_lengths(Owner(), KEY, folder=tmp_path, wall=lambda: 1000.0)
    assert later.learned().works == timedelta(hours=6)


def test_a_folder_that_cannot_be_written_costs_nothing(tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("in the way", encoding="utf-8")
    lengths = learned_lengths(Owner(), KEY, folder=blocked)
    learn_quarter_days(lengths)  # no error: remembering is a courtesy
    assert lengths.learned().works == timedelta(hours=6)
    assert blocked.read_text(encoding="utf-8") == "in the way"


def test_a_linked_cache_folder_is_not_followed(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    learn_quarter_days(learned_lengths(Owner(), KEY, folder=link))
    assert list(real.iterdir()) == []


def test_an_existing_cache_folder_keeps_its_mode(tmp_path: Path) -> None:
    tmp_path.chmod(0o755)  # a shared data folder the user pointed the cache at
    learn_quarter_days(learned_lengths(Owner(), KEY, folder=tmp_path))
    assert stat.S_IMODE(tmp_path.stat().st_mode) == 0o755
    assert (tmp_path / LENGTHS_FILE).is_file()


def test_a_missing_cache_folder_is_created_owner_only(tmp_path: Path) -> None:
    folder = tmp_path / "cache" / "digitalcx_frames"
    learn_quarter_days(learned_lengths(Owner(), KEY, folder=folder))
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_one_file_holds_every_key_and_drops_forgotten_ones(tmp_path: Path) -> None:
    wall = [1_000_000.0]
    learn_quarter_days(learned_lengths(Owner(), ("acme", "old", "nl"), folder=tmp_path, wall=lambda: wall[0]))
    wall[0] += FORGET_AFTER.total_seconds() + 1
    learn_quarter_days(learned_lengths(Owner(), KEY, folder=tmp_path, wall=lambda: wall[0]))
    learn_quarter_days(learned_lengths(Owner(), ("acme", "sales", "en"), folder=tmp_path, wall=lambda: wall[0]))
    entries = json.loads((tmp_path / LENGTHS_FILE).read_text(encoding="utf-8"))["entries"]
    assert sorted(json.loads(key)[2] for key in entries) == ["sales", "support"]


def test_a_confirmation_alone_is_written_at_most_hourly(tmp_path: Path) -> None:
    now = [0.0]
    lengths = learned_lengths(Owner(), KEY, folder=tmp_path, clock=lambda: now[0])
    learn_quarter_days(lengths)
    path = tmp_path / LENGTHS_FILE
    path.write_text("{}", encoding="utf-8")  # a marker: rewritten only when the lengths are saved again
    now[0] += 60
    lengths.succeeded(QUARTER)  # nothing new, confirmed a minute later
    assert path.read_text(encoding="utf-8") == "{}"
    now[0] += 3600
    lengths.succeeded(QUARTER)
    assert "works_seconds" in path.read_text(encoding="utf-8")


def test_a_client_without_learning_learns_and_writes_nothing(tmp_path: Path) -> None:
    owner = Owner()
    learn_quarter_days(learned_lengths(owner, KEY, folder=tmp_path))
    without_learning(owner)
    lengths = learned_lengths(owner, KEY, folder=tmp_path)
    assert not lengths.learns
    assert lengths.admit(DAY, read=1) == "fetch", "every day starts at 24 h, as before adaptive windows"
    lengths.timed_out(DAY)
    assert lengths.admit(DAY, read=2) == "fetch"
    assert lengths.fits(DAY)
    assert repr(lengths) == "WindowLengths(learn=False)"
    assert learned_lengths(owner, KEY, folder=tmp_path) is lengths
    assert learned_lengths(Owner(), KEY, folder=tmp_path).learned().works == timedelta(hours=6), "file untouched"


def test_a_read_that_never_timed_out_learns_and_writes_nothing(tmp_path: Path) -> None:
    lengths = learned_lengths(Owner(), KEY, folder=tmp_path)
    lengths.succeeded(HALF)  # a read of half a day, answered in time
    lengths.succeeded(QUARTER)
    assert lengths.learned().empty
    assert lengths.admit(DAY, read="next") == "fetch", "the next read's whole days are not cut to 12 h"
    assert list(tmp_path.iterdir()) == []


def test_a_probe_that_outlived_what_was_learned_still_ends() -> None:
    now = [0.0]
    lengths = WindowLengths(clock=lambda: now[0])
    lengths.timed_out(DAY)
    lengths.succeeded(HALF)
    assert lengths.admit(DAY, read="a") == "probe"
    now[0] += FORGET_AFTER.total_seconds() + 1  # forgotten while the probe was in flight
    lengths.succeeded(DAY, probe=True)
    lengths.timed_out(DAY)
    lengths.succeeded(HALF)
    assert lengths.admit(DAY, read="b") == "probe", "the earlier probe is no longer in flight"


def test_whole_days_working_again_is_not_worth_a_file_entry(tmp_path: Path) -> None:
    lengths = learned_lengths(Owner(), KEY, folder=tmp_path)
    learn_quarter_days(lengths)
    lengths.succeeded(HALF)
    assert lengths.admit(DAY, read="a") == "probe"
    lengths.succeeded(DAY, probe=True)  # the service is fast again
    assert json.loads((tmp_path / LENGTHS_FILE).read_text(encoding="utf-8"))["entries"] == {}
    assert learned_lengths(Owner(), KEY, folder=tmp_path).admit(DAY, read="b") == "fetch"
