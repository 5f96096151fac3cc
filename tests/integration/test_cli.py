"""The command line through ``main(argv)`` (and once as a real subprocess) against the simulator.

The simulator's ``today`` is the real UTC date here, because the CLI reads the real clock
for the API's 90-day rule.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest

import digitalcx_frames as dcx
from digitalcx_frames._archive import PARTITION_SCHEMA, scan_archive
from digitalcx_frames._cli import main
from digitalcx_frames.schema import COLUMNS, polars_schema
from digitalcx_frames.simulator import Faults, Simulator

TODAY = datetime.now(UTC).date()
START = (TODAY - timedelta(days=3)).isoformat()
END = (TODAY - timedelta(days=1)).isoformat()  # two whole closed days: [START, END)


@pytest.fixture(scope="module")
def live_sim() -> Iterator[Simulator]:
    """A read-only simulator whose today is the real UTC date (the CLI's clock)."""
    with Simulator(rows_per_day=200, page_size=100, seed=1) as simulator:
        yield simulator


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, live_sim: Simulator) -> Path:
    """Credentials and endpoints of ``live_sim`` in the environment; cache and cwd in tmp_path."""
    _point_at(monkeypatch, live_sim)
    monkeypatch.setenv("DIGITALCX_FRAMES_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _point_at(monkeypatch: pytest.MonkeyPatch, sim: Simulator) -> None:
    for name, value in sim.connection.items():
        monkeypatch.setenv(f"DIGITALCX_{name.upper()}", str(value))


def _client(sim: Simulator) -> dcx.Client:
    return dcx.Client(sim.client_id, sim.client_secret, base_url=sim.base_url, token_url=sim.token_url)


def _expected(sim: Simulator, **filters: Any) -> pl.DataFrame:
    with _client(sim) as client:
        lazy: pl.LazyFrame = dcx.read_interactions(
            sim.customer_key, sim.project_key, culture=sim.culture, start=START, end=END, client=client, cache=False,
            **filters,
        )  # fmt: skip
        return lazy.collect()


def _fetch_args(sim: Simulator, *extra: str) -> list[str]:
    return [
        "fetch",
        sim.customer_key,
        sim.project_key,
        "--culture",
        sim.culture,
        "--start",
        START,
        "--end",
        END,
        *extra,
    ]


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def _one_error_line(err: str) -> str:
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


# -- fetch ---------------------------------------------------------------------------------------


def test_fetch_parquet_equals_read_interactions(
    env: Path, live_sim: Simulator, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(_fetch_args(live_sim, "-o", "out.parquet", "--quiet"))
    out, err = capsys.readouterr()
    written = pl.read_parquet(env / "out.parquet")
    expected = _expected(live_sim)
    assert code == 0, err
    assert expected.height > 0
    assert written.equals(expected)
    summary = (
        rf"{expected.height:,} rows -> out\.parquet; 2 days \(0 from the cache, 2 fetched\): \d+ requests "
        rf"\(0 retries, 0 splits\), {expected.height:,} rows, \d+\.\d\d MB in \d+\.\d s\n"
    )
    assert re.fullmatch(summary, out), out
    assert err == ""
    assert _leftovers(env) == []


def test_fetch_csv_with_filters_and_progress(
    env: Path, live_sim: Simulator, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(_fetch_args(live_sim, "-o", "qa.csv", "--types", "QA,Dialog", "--format", "json", "--no-cache"))
    out, err = capsys.readouterr()
    expected = _expected(live_sim, interaction_types=["QA", "Dialog"])
    assert code == 0, err
    assert 0 < expected.height < _expected(live_sim).height
    assert dcx.read_export(env / "qa.csv").collect().equals(expected)
    assert "qa.csv" in out
    assert "Traceback" not in err
    assert not (env / "cache").exists()  # --no-cache


def test_fetch_csv_is_the_api_format_and_reads_back_identically(
    env: Path, live_sim: Simulator, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(_fetch_args(live_sim, "-o", "all.csv", "--quiet"))
    _, err = capsys.readouterr()
    expected = _expected(live_sim)
    raw = pl.read_csv(env / "all.csv", infer_schema=False)
    assert code == 0, err
    assert raw.columns == [c.api_name for c in COLUMNS]  # the API's header names
    names = raw["AllInteractionTypes"]
    assert names.str.starts_with('["').all()  # names as the API writes them, not an integer mask
    assert [json.loads(text) for text in names.head(3)] == dcx.flag_ops.names(expected["all_interaction_types"]).head(
        3
    ).to_list()
    assert raw["TimestampStart"].str.contains(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$").all()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert dcx.read_export(env / "all.csv").collect().equals(expected)


def test_fetch_default_name_and_cache_dir(env: Path, live_sim: Simulator, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(_fetch_args(live_sim, "--quiet", "--cache-dir", str(env / "mine"), "--workers", "2"))
    out, _ = capsys.readouterr()
    name = f"interactions_{live_sim.customer_key}_{live_sim.project_key}_{START}_{END}.parquet"
    assert code == 0
    assert f"-> {name}; 2 days (0 from the cache, 2 fetched)" in out
    assert pl.read_parquet(env / name).equals(_expected(live_sim))
    assert dcx.cache_info(env / "mine").days == 2
    assert dcx.cache_info(env / "cache").days == 0


class _Finalizer:
    def __del__(self) -> None:
        raise KeyboardInterrupt


def test_fetch_ctrl_c_leaves_no_file(
    env: Path, live_sim: Simulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (env / "out.parquet").write_bytes(b"the previous file")
    calls: list[Path] = []

    def interrupted(self: pl.LazyFrame, path: Path, **kwargs: object) -> None:
        calls.append(Path(path))
        Path(path).write_bytes(b"PAR1 half a file")
        _Finalizer()  # a Ctrl-C inside a finalizer: Python would print "Exception ignored in ..."
        raise KeyboardInterrupt

    monkeypatch.setattr(pl.LazyFrame, "sink_parquet", interrupted)
    code = main(_fetch_args(live_sim, "-o", "out.parquet", "--quiet"))
    _, err = capsys.readouterr()
    assert code == 130
    assert len(calls) == 1
    assert calls[0].parent == env
    assert calls[0].name.endswith(".tmp")
    assert not calls[0].exists()
    assert (env / "out.parquet").read_bytes() == b"the previous file"
    assert _leftovers(env) == []
    assert "interrupted" in _one_error_line(err)


def test_fetch_as_a_subprocess(tmp_path: Path, live_sim: Simulator) -> None:
    environ = {**os.environ, "DIGITALCX_FRAMES_CACHE_DIR": str(tmp_path / "cache")}
    environ.update({f"DIGITALCX_{k.upper()}": str(v) for k, v in live_sim.connection.items()})
    target = tmp_path / "week.parquet"
    done = subprocess.run(
        [sys.executable, "-m", "digitalcx_frames", *_fetch_args(live_sim, "-o", str(target), "--quiet")],
        env=environ,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert pl.read_parquet(target).equals(_expected(live_sim))
    assert str(target) in done.stdout
    assert live_sim.client_secret not in done.stdout + done.stderr


def test_fetch_summary_line_counts_cached_days(
    env: Path, live_sim: Simulator, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(_fetch_args(live_sim, "-o", "first.parquet", "--quiet")) == 0
    assert main(_fetch_args(live_sim, "-o", "again.parquet", "--quiet")) == 0
    first, again = capsys.readouterr().out.splitlines()
    assert re.search(r"2 days \(0 from the cache, 2 fetched\): [1-9]\d* requests", first), first
    assert "2 days (2 from the cache, 0 fetched): 0 requests" in again


def test_fetch_days_is_the_last_whole_days_before_end(
    env: Path, live_sim: Simulator, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["fetch", live_sim.customer_key, live_sim.project_key, "--culture", live_sim.culture]
    code = main([*argv, "--days", "2", "--end", END, "-o", "two.parquet", "--quiet"])
    _, err = capsys.readouterr()
    assert code == 0, err
    assert pl.read_parquet(env / "two.parquet").equals(_expected(live_sim))
    assert main([*argv, "--days", "2", "--start", START]) == 2  # one or the other
    assert main([*argv, "--days", "0"]) == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_against_the_simulator_the_user_cache_folder_stays_empty(
    env: Path, live_sim: Simulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("DIGITALCX_FRAMES_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(env / "user-cache"))  # the user cache folder, on Linux
    assert main(_fetch_args(live_sim, "-o", "out.parquet", "--quiet")) == 0
    assert main(_fetch_args(live_sim, "-o", "out.parquet", "--quiet", "--cache-dir", "mine")) == 0
    first, _ = capsys.readouterr().out.splitlines()
    assert not (env / "user-cache").exists()
    assert "0 from the cache, 2 fetched" in first
    assert dcx.cache_info(env / "mine").days == 2  # an explicit folder always works


def test_reading_the_simulator_through_the_library_leaves_the_user_cache_folder_empty(
    env: Path, live_sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DIGITALCX_FRAMES_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(env / "user-cache"))  # the user cache folder, on Linux
    with _client(live_sim) as client:
        read: dict[str, Any] = {"culture": live_sim.culture, "start": START, "end": END, "client": client}
        dcx.read_interactions(live_sim.customer_key, live_sim.project_key, **read).collect()  # cache=True: default
        dcx.read_interactions(live_sim.customer_key, live_sim.project_key, cache=env / "mine", **read).collect()
    assert dcx.cache_info(env / "mine").days == 2  # an explicit folder always works
    assert not (env / "user-cache").exists()


def test_ctrl_c_exits_130_promptly_with_one_line(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with Simulator(rows_per_day=50, faults=Faults(latency=0.5), seed=2) as slow:  # >= 2.5 s to read 20 days
        argv = ["fetch", slow.customer_key, slow.project_key, "--culture", slow.culture, "--days", "20"]
        environ = {f"DIGITALCX_{k.upper()}": str(v) for k, v in slow.connection.items()}
        with _environ(environ):
            main_thread = threading.main_thread().ident
            assert main_thread is not None
            timer = threading.Timer(0.3, signal.pthread_kill, (main_thread, signal.SIGINT))
            began = time.perf_counter()
            timer.start()
            try:
                code = main([*argv, "--quiet", "--no-cache", "-o", "slow.parquet"])
            finally:
                timer.cancel()
            seconds = time.perf_counter() - began
    _, err = capsys.readouterr()
    assert code == 130
    assert seconds < 0.3 + 1.5, seconds
    assert "interrupted" in _one_error_line(err)
    assert not (env / "slow.parquet").exists()
    assert _leftovers(env) == []


@contextlib.contextmanager
def _environ(values: dict[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def test_a_failed_write_is_one_line_and_exit_1(
    env: Path, live_sim: Simulator, capsys: pytest.CaptureFixture[str]
) -> None:
    (env / "taken.parquet").mkdir()  # a folder where the file should go
    code = main(_fetch_args(live_sim, "-o", "taken.parquet", "--quiet"))
    _, err = capsys.readouterr()
    assert code == 1
    line = _one_error_line(err)
    assert line.startswith("error: could not write taken.parquet:")
    assert "nothing was written" in line
    assert list((env / "taken.parquet").iterdir()) == []
    assert _leftovers(env) == []


def test_no_exception_escapes_main(
    env: Path, live_sim: Simulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("something nobody expected\nsecond line")

    monkeypatch.setattr("digitalcx_frames._cli.read_interactions", broken)
    code = main(_fetch_args(live_sim, "-o", "out.parquet", "--quiet"))
    _, err = capsys.readouterr()
    assert code == 1
    assert _one_error_line(err) == (
        "error: unexpected builtins.RuntimeError: something nobody expected (please report this)"
    )


def test_fetch_redact_takes_its_salt_from_the_environment_only(
    env: Path, live_sim: Simulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    salt = "a-salt-that-must-not-leak-0123456789"
    assert main(_fetch_args(live_sim, "-o", "shared.parquet", "--quiet", "--redact")) == 2  # no salt: refused
    refused = _one_error_line(capsys.readouterr().err)
    assert "DIGITALCX_REDACT_SALT" in refused
    assert not (env / "shared.parquet").exists()
    assert main(_fetch_args(live_sim, "-o", "shared.parquet", "--quiet", "--redact", "--salt", salt)) == 2
    capsys.readouterr()

    monkeypatch.setenv("DIGITALCX_REDACT_SALT", salt)
    code = main(_fetch_args(live_sim, "-o", "shared.parquet", "--quiet", "--redact"))
    out, err = capsys.readouterr()
    written = pl.read_parquet(env / "shared.parquet")
    expected = _expected(live_sim)
    assert code == 0, err
    assert written.height == expected.height
    assert written["log_id"].to_list() == expected["log_id"].to_list()
    assert set(written["session_uuid"]).isdisjoint(set(expected["session_uuid"]))  # hashed
    assert written["session_uuid"].n_unique() == expected["session_uuid"].n_unique()
    assert salt not in out + err
    assert salt.encode() not in (env / "shared.parquet").read_bytes()


# -- errors ----------------------------------------------------------------------------------------

BAD_ARGUMENTS = [
    pytest.param([], id="no-command"),
    pytest.param(["bogus"], id="unknown-command"),
    pytest.param(["fetch", "acme", "web", "--start", START], id="missing-culture"),
    pytest.param(["fetch", "acme", "web", "--culture", "nl"], id="missing-start"),
    pytest.param(["fetch", "acme", "web", "--culture", "nl", "--start", "yesterday"], id="bad-date"),
    pytest.param(["fetch", "acme", "web", "--culture", "nl", "--start", START, "-o", "x.txt"], id="bad-extension"),
    pytest.param(["fetch", "acme", "web", "--culture", "nl", "--start", START, "--format", "xml"], id="bad-format"),
    pytest.param(
        ["fetch", "acme", "web", "--culture", "nl", "--start", START, "--no-cache", "--cache-dir", "d"], id="both-cache"
    ),
    pytest.param(["fetch", "acme", "web", "--culture", "nl", "--start", START, "-o", "nowhere/x.csv"], id="no-folder"),
    pytest.param(["cache"], id="cache-without-action"),
    pytest.param(["cache", "clear", "--before", "last-week"], id="cache-bad-before"),
    pytest.param(["demo", "--days", "many"], id="demo-bad-days"),
    pytest.param(["simulator", "--port", "70000"], id="simulator-bad-port"),
]


@pytest.mark.parametrize("argv", BAD_ARGUMENTS)
def test_bad_arguments_exit_2_with_one_line(env: Path, argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code = main(argv)
    out, err = capsys.readouterr()
    line = _one_error_line(err)
    assert code == 2
    assert line.startswith("digitalcx-frames: error: ")
    assert "--help" in line
    assert out == ""
    assert sorted(p.name for p in env.iterdir()) == []


CONFIGURATION_ERRORS = [
    pytest.param(["--start", "2020-01-01"], "too early", id="too-early"),
    pytest.param(["--start", START, "--environment", "production"], "did you mean 'Production'", id="environment"),
    pytest.param(["--start", START, "--session-mode", "public"], "did you mean 'Public'", id="session-mode"),
    pytest.param(["--start", START, "--end", START], "must be after start", id="empty-range"),
    pytest.param(["--start", START, "--types", "QA,Smalltalk"], "Smalltalk", id="unknown-type"),
    pytest.param(["--start", START, "--workers", "0"], "max_workers", id="workers"),
]


@pytest.mark.parametrize(("extra", "message"), CONFIGURATION_ERRORS)
def test_configuration_errors_exit_2(
    env: Path, extra: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["fetch", "acme", "web", "--culture", "nl", *extra, "-o", "out.parquet"])
    out, err = capsys.readouterr()
    line = _one_error_line(err)
    assert code == 2
    assert line.startswith("digitalcx-frames: error: ")
    assert message in line
    assert out == ""
    assert not (env / "out.parquet").exists()


def test_invalid_key_is_a_configuration_error(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["fetch", "../etc", "web", "--culture", "nl", "--start", START, "-o", "out.csv"])
    _, err = capsys.readouterr()
    assert code == 2
    assert "customer_key" in _one_error_line(err)


def test_api_error_exits_1_with_one_line(env: Path, live_sim: Simulator, capsys: pytest.CaptureFixture[str]) -> None:
    argv = _fetch_args(live_sim, "-o", "out.parquet", "--quiet")
    argv[1] = "no-such-customer"
    code = main(argv)
    out, err = capsys.readouterr()
    line = _one_error_line(err)
    assert code == 1
    assert line.startswith("error: HTTP 400 from the Analytics API: Customer key no-such-customer")
    assert out == ""
    assert not (env / "out.parquet").exists()
    assert _leftovers(env) == []


def test_wrong_secret_exits_1_without_the_secret(
    env: Path, live_sim: Simulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DIGITALCX_CLIENT_SECRET", "not-the-secret-xyz")
    code = main(_fetch_args(live_sim, "-o", "out.parquet", "--quiet"))
    _, err = capsys.readouterr()
    line = _one_error_line(err)
    assert code == 1
    assert line.startswith("error: Authentication failed")
    assert "not-the-secret-xyz" not in line


def test_missing_credentials_exit_2(
    env: Path, live_sim: Simulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("DIGITALCX_CLIENT_ID")
    monkeypatch.delenv("DIGITALCX_CLIENT_SECRET")
    code = main(_fetch_args(live_sim, "-o", "out.parquet", "--quiet"))
    _, err = capsys.readouterr()
    assert code == 2
    assert "DIGITALCX_CLIENT_ID" in _one_error_line(err)


def test_data_warnings_are_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DIGITALCX_FRAMES_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    with Simulator(rows_per_day=100, unknown_type_rate=0.2, seed=2) as odd, warnings.catch_warnings():
        warnings.simplefilter("always", dcx.DataWarning)
        _point_at(monkeypatch, odd)
        code = main(_fetch_args(odd, "-o", "out.parquet", "--quiet", "--no-cache"))
    out, err = capsys.readouterr()
    assert code == 0
    assert "out.parquet" in out
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("digitalcx-frames: warning: the API sent the unknown interaction type name 'Smalltalk'")


# -- sync ------------------------------------------------------------------------------------------


def test_sync_then_resync(env: Path, live_sim: Simulator, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["sync", "archive", live_sim.customer_key, live_sim.project_key, "--culture", "nl"]
    argv += ["--start", START, "--end", END, "--quiet"]
    first = main(argv)
    out1, err1 = capsys.readouterr()
    again = main(argv)
    out2, _ = capsys.readouterr()
    archived = scan_archive(env / "archive").drop(list(PARTITION_SCHEMA)).collect()
    assert (first, again) == (0, 0)
    assert out1.strip().startswith(f"sync {live_sim.customer_key}/{live_sim.project_key}: ok, 2 day(s) fetched")
    assert "0 day(s) fetched, 2 skipped" in out2
    assert err1 == ""
    assert archived.equals(_expected(live_sim))


def test_sync_failure_exits_1_with_one_line(env: Path, live_sim: Simulator, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["sync", "archive", "nobody", live_sim.project_key, "--culture", "nl", "--start", START, "--quiet"])
    out, err = capsys.readouterr()
    line = _one_error_line(err)
    assert code == 1
    assert "HTTP 400" in line  # a permanent error: raised (issue 14 item 6) or a failed sync, one line either way
    assert "nobody" in line
    assert out == ""


def test_sync_configuration_error_exits_2(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["sync", "archive", "acme", "web", "--culture", "nl", "--environment", "staging"])
    _, err = capsys.readouterr()
    assert code == 2
    assert "did you mean 'Staging'" in _one_error_line(err)


# -- cache, demo, simulator, help ------------------------------------------------------------------


def test_cache_info_and_clear(env: Path, live_sim: Simulator, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(_fetch_args(live_sim, "-o", "out.parquet", "--quiet")) == 0
    capsys.readouterr()
    assert main(["cache", "info"]) == 0
    info, _ = capsys.readouterr()
    size = dcx.cache_info().bytes
    keep = main(["cache", "clear", "--customer", "someone-else"])
    kept, _ = capsys.readouterr()
    old = main(["cache", "clear", "--before", START])
    kept_too, _ = capsys.readouterr()
    cleared = main(["cache", "clear", "--project", live_sim.project_key])
    removed, _ = capsys.readouterr()
    assert (keep, old, cleared) == (0, 0, 0)
    assert f"location  {env / 'cache'}" in info
    assert "queries   1" in info
    assert "days      2" in info
    assert f"({size:,} bytes)" in info
    assert "KiB" in info
    assert kept.startswith("removed 0 cached days from")
    assert kept_too.startswith("removed 0 cached days")
    assert removed.startswith("removed 2 cached days from")
    assert dcx.cache_info().days == 0


def test_demo(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = env / "demo" / "two.parquet"
    target.parent.mkdir()
    code = main(["demo", "--out", str(target), "--days", "2", "--rows-per-day", "150"])
    out, err = capsys.readouterr()
    frame = pl.read_parquet(target)
    assert code == 0, err
    assert err == ""
    assert "0 requests so far" in out
    assert f"collect    {frame.height:,} rows in " in out
    assert "report     2 days (0 from the cache, 2 fetched): " in out
    assert "Schema (28 columns)" in out
    assert "timestamp_start" in out
    assert "Rows per main interaction type" in out
    assert "Top 10 questions" in out
    assert str(target) in out
    assert frame.schema == polars_schema()
    assert frame["timestamp_start"].dt.date().n_unique() == 2
    assert os.listdir(target.parent) == ["two.parquet"]


def test_demo_without_out_writes_under_a_path_it_prints_never_the_current_folder(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(env / "tmp"))  # the demo's default folder lives here
    (env / "tmp").mkdir()
    before = sorted(p.name for p in env.iterdir())
    code = main(["demo", "--days", "1", "--rows-per-day", "50"])
    out, err = capsys.readouterr()
    target = env / "tmp" / "digitalcx-frames-demo" / "interactions.parquet"
    assert code == 0, err
    assert sorted(p.name for p in env.iterdir()) == before  # nothing new in the current folder
    assert f"output     {target} (--out to change)" in out
    assert f"wrote      {target} " in out
    assert pl.read_parquet(target).schema == polars_schema()


def test_doctor_probes_the_service_and_prints_a_report_without_secrets(
    env: Path, live_sim: Simulator, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["doctor", live_sim.customer_key, live_sim.project_key, "--culture", live_sim.culture])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    assert out.startswith("digitalcx-frames doctor")
    assert "result: the service matches the contract (exit 0)" in out
    assert live_sim.client_secret not in out + err


def test_doctor_with_a_bad_argument_is_one_line_and_exit_2(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["doctor", "acme"])
    _, err = capsys.readouterr()
    assert code == 2
    assert "doctor --help" in _one_error_line(err)


def test_simulator_command(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, object] = {}

    def fake_serve_forever(**kwargs: object) -> None:
        seen.update(kwargs)

    monkeypatch.setattr("digitalcx_frames.simulator.serve_forever", fake_serve_forever)
    code = main(["simulator", "--port", "0", "--rows-per-day", "10", "--seed", "3"])
    assert code == 0
    assert seen == {"port": 0, "rows_per_day": 10, "seed": 3}


HELP = [[], ["fetch"], ["sync"], ["demo"], ["simulator"], ["doctor"], ["cache"], ["cache", "info"], ["cache", "clear"]]


@pytest.mark.parametrize("command", HELP, ids=lambda c: " ".join(c) or "main")
def test_help_shows_an_example(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code = main([*command, "--help"])
    out, err = capsys.readouterr()
    assert code == 0
    assert "examples:" in out
    assert f"  digitalcx-frames {command[0] if command else 'demo'}" in out
    assert err == ""


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"digitalcx-frames {dcx.__version__}"


def test_fetch_local_days_and_several_cultures(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with Simulator(rows_per_day=200, page_size=100, seed=2, cultures=("nl", "en")) as sim:
        _point_at(monkeypatch, sim)
        code = main(_fetch_args(sim, "--culture", "en", "--tz", "Europe/Amsterdam", "-o", "two.parquet", "--quiet"))
        _, err = capsys.readouterr()
        assert code == 0, err
        written = pl.read_parquet(env / "two.parquet")
        with _client(sim) as client:
            lazy: pl.LazyFrame = dcx.read_interactions(
                sim.customer_key, [sim.project_key], culture=["nl", "en"], start=START, end=END,
                tz="Europe/Amsterdam", client=client, cache=False,
            )  # fmt: skip
            expected = lazy.collect()
    assert written.equals(expected)
    assert written.schema["timestamp_start"] == pl.Datetime("us", "Europe/Amsterdam")
    assert set(written["culture"].cast(pl.String)) == {"nl", "en"}


def test_fetch_with_an_unknown_zone_is_one_line(
    env: Path, live_sim: Simulator, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(_fetch_args(live_sim, "--tz", "Europe/Amsterdamm", "-o", "x.parquet"))
    _, err = capsys.readouterr()
    assert code != 0
    assert "did you mean 'Europe/Amsterdam'" in err
    assert len(err.strip().splitlines()) == 1
