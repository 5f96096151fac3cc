"""Stopping a read (issue 12, items 5 and 16): Ctrl-C wakes the caller at once, an early stop is silent."""

from __future__ import annotations

import _thread
import gc
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest

import digitalcx_frames as dcx
from digitalcx_frames._http.transport import Reply
from digitalcx_frames.simulator import Simulator

TODAY = date(2026, 11, 20)
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
START = datetime(2026, 11, 10, tzinfo=UTC)
END = datetime(2026, 11, 20, tzinfo=UTC)  # 10 whole days
SIM_OPTIONS: dict[str, Any] = {"rows_per_day": 300, "page_size": 100, "today": TODAY, "seed": 7}


def label(day: date) -> str:
    return f"{day.isoformat()}T00:00:00Z/{(day + timedelta(days=1)).isoformat()}T00:00:00Z"


def engine_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith(("digitalcx-window", "digitalcx-prefetch"))]


def engine_threads_after_they_end() -> list[threading.Thread]:
    """The engine's threads still alive once each has had 10 s to end (a worker may start a prefetch as it ends)."""
    for _ in range(3):
        for thread in engine_threads():
            thread.join(10)
    return engine_threads()


class InterruptOn(dcx.Client):
    """A client that presses Ctrl-C when ``day`` is first asked for, then hangs on it until released."""

    def __init__(self, sim: Simulator, day: date) -> None:
        super().__init__(sim.client_id, sim.client_secret, base_url=sim.base_url, token_url=sim.token_url)
        self.label = label(day)
        self.release = threading.Event()
        self.pressed_at: float | None = None

    def send(self, url: str, params: Mapping[str, str], *, accept: str = "text/csv", window: str, page: int) -> Reply:
        if window == self.label and self.pressed_at is None:
            self.pressed_at = time.monotonic()
            _thread.interrupt_main()  # what Ctrl-C does to the main thread
            self.release.wait(5)  # a server that hangs on this day
        return super().send(url, params, accept=accept, window=window, page=page)


def ctrl_c_scenario(folder: Path) -> None:
    """Ctrl-C while day 13 hangs: the caller wakes at once, the worker stops, completed days stay cached."""
    hang = date(2026, 11, 13)
    with Simulator(**SIM_OPTIONS) as sim:
        client = InterruptOn(sim, hang)
        with pytest.raises(KeyboardInterrupt):
            dcx.read_interactions(
                sim.customer_key, sim.project_key, culture=sim.culture, start=START, end=END, client=client,
                now=NOW, cache=folder, max_workers=1, backend="pandas",
            )  # fmt: skip
        woke_after = time.monotonic() - (client.pressed_at or 0.0)
        assert woke_after < 1.0, f"the caller woke {woke_after:.1f} s after Ctrl-C"
        assert dcx.cache_info(folder).days == 3, "10, 11 and 12 were complete and stay cached"
        client.release.set()
        assert engine_threads_after_they_end() == [], "the worker stopped at its next read"
        asked = [record.window[0].date() for record in sim.interaction_requests if record.window]
    assert max(asked) == hang, "no day after the interrupted one was asked for"
    assert asked.count(hang) <= 2, "the hung page, and at most the page it had asked for ahead"


def test_ctrl_c_wakes_the_caller_at_once_stops_the_workers_and_keeps_completed_days(tmp_path: Path) -> None:
    # A signal is the whole process's: the scenario runs in a process of its own, so that
    # nothing a test before it left behind in this one (in a full run it was lost about
    # once in three, never alone) decides where the interrupt lands.
    script = (
        "import sys; from pathlib import Path; "
        "from tests.integration.test_engine_stop import ctrl_c_scenario; "
        "ctrl_c_scenario(Path(sys.argv[1])); print('scenario passed')"
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "scenario passed" in done.stdout


@pytest.mark.parametrize("stop", ["head", "slice", "filter_head"])
def test_an_early_stop_prints_nothing_and_leaves_no_thread_behind(
    shared_sim: Simulator, capfd: pytest.CaptureFixture[str], stop: str
) -> None:
    lazy = dcx.read_interactions(
        shared_sim.customer_key, shared_sim.project_key, culture=shared_sim.culture, start=START, end=END,
        client=dcx.Client(**shared_sim.connection), now=NOW, cache=False, max_workers=4, progress=False,
    )  # fmt: skip
    assert isinstance(lazy, pl.LazyFrame)
    stopped = {
        "head": lazy.head(5),
        "slice": lazy.slice(100, 10),
        "filter_head": lazy.filter(pl.col("session_is_active")).head(5),
    }[stop]
    for _ in range(3):
        assert stopped.collect().height in (5, 10)
        gc.collect()
    # Polars stops pulling without closing the source: the windows already started finish,
    # then their threads end by themselves (none waits for more work, none is joined at exit).
    assert engine_threads_after_they_end() == []
    assert capfd.readouterr().err == ""


def test_a_script_that_stopped_early_exits_at_once(tmp_path: Path) -> None:
    """The days after the first answer only after 30 s: a script that needs only the first day ends at once."""
    script = tmp_path / "early.py"
    script.write_text(
        "import time\n"
        "from datetime import timedelta\n"
        "import digitalcx_frames as dcx\n"
        "from digitalcx_frames.simulator import Faults, Simulator\n"
        "if __name__ == '__main__':\n"
        "    with Simulator(rows_per_day=300, page_size=100, process=True) as probe:\n"
        "        today = probe.today\n"
        "    first = today - timedelta(days=10)\n"
        "    slow = frozenset(first + timedelta(days=n) for n in range(1, 10))\n"
        "    sim = Simulator(rows_per_day=300, page_size=100, process=True,\n"
        "                    faults=Faults(timeout_dates=slow, timeout_delay=30))\n"
        "    lazy = dcx.read_interactions(sim.customer_key, sim.project_key, culture=sim.culture, start=first,\n"
        "        end=today, client=dcx.Client(**sim.connection, timeout=(10, 120)), cache=False, max_workers=4,\n"
        "        progress=False)\n"
        "    print(lazy.slice(100, 10).collect().height)\n"
        "    print(time.monotonic(), flush=True)\n"
    )
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=False)
    ended = time.monotonic()
    assert done.returncode == 0, done.stderr
    height, stopped = done.stdout.split()
    assert height == "10"
    assert ended - float(stopped) < 15.0, "the process ended without waiting 30 s for the requests in flight"
    assert done.stderr == ""
