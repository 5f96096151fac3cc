"""Secrets and sensitive data: the client secret and the tokens never leave the client's memory.

Checked against a live simulator, with the tokens it really issued (read back from its
request log): reprs, ``explain()``, DEBUG logs of the library and of urllib3 (which logs
every URL), error messages and full tracebacks, the progress bar, and every byte of the
cache and archive files written after ``include_user_info=True`` reads (which must be
owner-only). Plain ``http://`` is refused except on loopback, also through the
environment variables and tricky URLs. ``tests/unit/test_auth.py`` covers redaction of
echoed secrets and the basic URL rule.
"""

from __future__ import annotations

import logging
import stat
import traceback
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest

import digitalcx_frames as dcx
from digitalcx_frames.simulator import Simulator
from tests.conftest import SIM_DAY, SIM_TODAY, make_client

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
START = SIM_DAY - timedelta(days=2)
END = SIM_DAY + timedelta(days=1)
SECRET = "s3cr3t-Value-that-must-never-show"
WRONG = "wr0ng-Value-that-must-never-show"


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(
        rows_per_day=200, page_size=60, today=SIM_TODAY, client_secret=SECRET, token_lifetime=3_600
    ) as simulator:
        yield simulator


def client_for(sim: Simulator, **options: Any) -> dcx.Client:
    """The shared client factory, never honouring a Retry-After wait."""
    options.setdefault("retry_after_max", 0.0)
    return make_client(sim, **options)


def read(sim: Simulator, client: dcx.Client, **options: Any) -> pl.LazyFrame:
    options.setdefault("cache", False)
    lazy = dcx.read_interactions(
        sim.customer_key,
        sim.project_key,
        culture=sim.culture,
        start=START,
        end=END,
        include_user_info=True,
        client=client,
        now=NOW,
        **options,
    )
    assert isinstance(lazy, pl.LazyFrame)
    return lazy


def issued_tokens(sim: Simulator) -> set[str]:
    """Every bearer token the client sent (the simulator logs request headers)."""
    tokens = {
        record.headers.get("Authorization", "").removeprefix("Bearer ").strip() for record in sim.interaction_requests
    }
    tokens.discard("")
    assert tokens, "no token was sent"
    assert all(len(token) >= 20 for token in tokens)
    return tokens


def assert_clean(texts: list[str], *hidden: str) -> None:
    assert hidden
    for text in texts:
        for value in hidden:
            assert value not in text


def test_reprs_explain_and_debug_logs_hold_no_secret_and_no_token(
    sim: Simulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="digitalcx_frames")
    caplog.set_level(logging.DEBUG, logger="urllib3")
    client = client_for(sim)
    lazy = read(sim, client)
    sim.inject("500")
    sim.inject("403_token")  # a refused token: dropped, fetched again, logged
    sim.inject("cut")
    frame = lazy.collect()
    assert frame.height > 0
    assert frame["variables"].null_count() < frame.height  # user info was read
    tokens = issued_tokens(sim)
    assert len(tokens) == 2  # the refused one and its replacement
    client.auth.token()  # the cached token is one of them
    messages = [record.getMessage() for record in caplog.records]
    urllib3_lines = [m for m, r in zip(messages, caplog.records, strict=True) if r.name.startswith("urllib3")]
    assert any("/interactions?" in line and "continuationToken=" in line for line in urllib3_lines)
    assert any("token was refused" in m for m in messages)
    texts = [
        repr(client),
        str(client),
        repr(client.auth),
        str(client.auth),
        lazy.explain(),
        repr(lazy),
        str(lazy),
        caplog.text,
        *messages,
        *(repr(record.args) for record in caplog.records),
    ]
    assert_clean(texts, SECRET, *tokens)


def format_all(error: BaseException) -> str:
    return "".join(traceback.format_exception(error)) + repr(error) + repr(getattr(error, "__dict__", {}))


def test_a_wrong_secret_leaves_no_secret_in_the_error_or_its_traceback(sim: Simulator) -> None:
    with pytest.raises(dcx.AuthenticationError) as info:
        read(sim, client_for(sim, client_secret=WRONG)).collect()
    text = format_all(info.value)
    assert "AADSTS7000215" in text
    assert "Traceback" in text
    assert_clean([text], WRONG, SECRET)
    assert sim.interaction_requests == []


@pytest.mark.parametrize("kind", ["401", "403_token"])
def test_a_refused_token_leaves_no_token_in_the_error_or_its_traceback(sim: Simulator, kind: str) -> None:
    sim.inject(kind, count=1_000)  # every request: refused, refreshed once, refused again
    client = client_for(sim)
    with pytest.raises(dcx.AuthenticationError) as info:
        read(sim, client).collect()
    text = format_all(info.value)
    assert "refused a freshly fetched token" in text
    assert_clean([text], SECRET, *issued_tokens(sim))


def test_progress_output_holds_no_secret_and_no_token(sim: Simulator, capfd: pytest.CaptureFixture[str]) -> None:
    frame = read(sim, client_for(sim), progress=True).collect()
    out, err = capfd.readouterr()
    assert frame.height > 0
    assert "digitalcx" in out + err, "the progress bar was drawn"
    assert_clean([out, err], SECRET, *issued_tokens(sim))


def test_cache_and_archive_files_hold_no_secret_and_are_owner_only(sim: Simulator, tmp_path: Path) -> None:
    cache, archive = tmp_path / "cache", tmp_path / "archive"
    client = client_for(sim)
    frame = read(sim, client, cache=cache).collect()
    assert frame["additional_session_info"].null_count() < frame.height
    result = dcx.sync_archive(
        archive,
        sim.customer_key,
        sim.project_key,
        culture=sim.culture,
        start=START,
        end=END,
        include_user_info=True,
        client=client,
        now=NOW,
    )
    assert result.ok, result.error
    assert dcx.cache_info(cache).days == 3
    hidden = [SECRET, *issued_tokens(sim)]
    files = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert len(files) >= 3 + 1 + 3 + 2  # cache days, query.json, archive days, manifest and lock
    for path in files:
        data = path.read_bytes()
        for value in hidden:
            assert value.encode() not in data, path
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, (path, oct(path.stat().st_mode))
    cached = pl.read_parquet(next(cache.rglob("*.parquet")))
    assert cached["additional_session_info"].null_count() < cached.height, "the files do hold user info"
    folders = [path for path in tmp_path.rglob("*") if path.is_dir() and path != cache]
    assert archive in folders
    for folder in folders:
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, (folder, oct(folder.stat().st_mode))


@pytest.mark.parametrize(
    "url",
    [
        "http://analytics.digitalcx.com",
        "http://127.0.0.1.nip.io:8080",
        "http://localhost.evil.example",
        "http://127.0.0.1@evil.example",
        "http://127.0.0.1:80@evil.example/",
        "http://evil.example#@127.0.0.1",
        "http://0x7f000001.evil.example",
        "http://[2001:db8::1]:8080",
        "ws://127.0.0.1:8080",
        "//127.0.0.1:8080",
    ],
)
@pytest.mark.parametrize("variable", ["DIGITALCX_BASE_URL", "DIGITALCX_TOKEN_URL"])
def test_plain_http_off_loopback_is_refused_also_from_the_environment(
    url: str, variable: str, sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DIGITALCX_CLIENT_ID", sim.client_id)
    monkeypatch.setenv("DIGITALCX_CLIENT_SECRET", sim.client_secret)
    monkeypatch.setenv("DIGITALCX_BASE_URL", sim.base_url)
    monkeypatch.setenv("DIGITALCX_TOKEN_URL", sim.token_url)
    monkeypatch.setenv(variable, url)
    with pytest.raises(dcx.ConfigurationError, match="https://") as info:
        dcx.read_interactions(sim.customer_key, sim.project_key, culture=sim.culture, start=START, end=END, now=NOW)
    assert SECRET not in str(info.value)
    assert sim.log == []


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]"])
def test_plain_http_on_loopback_is_allowed(host: str, sim: Simulator) -> None:
    port = sim.base_url.rsplit(":", 1)[1]
    base = f"http://{host}:{port}"
    if host == "[::1]":
        with dcx.Client("id", "secret", base_url=base, token_url=base + "/t") as client:  # no IPv6 listener needed
            assert client.base_url == base
        return
    client = client_for(sim)
    client = dcx.Client(
        sim.client_id, sim.client_secret, base_url=base, token_url=sim.token_url.replace("127.0.0.1", host)
    )
    assert read(sim, client).head(3).collect().height == 3


def test_a_cache_folder_the_library_creates_is_owner_only(sim: Simulator, tmp_path: Path) -> None:
    """Like the archive's root: the cache folder (and any parent it had to create) is 0700."""
    cache = tmp_path / "new" / "cache"
    read(sim, client_for(sim), cache=cache).collect()
    assert dcx.cache_info(cache).days == 3
    for folder in (tmp_path / "new", cache):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, (folder, oct(folder.stat().st_mode))


def test_no_credentials_anywhere_fails_at_the_call_not_at_collect(
    sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 14 item 3: ``read_interactions`` and ``sync_archive`` build ``Client()`` at the call."""
    monkeypatch.delenv("DIGITALCX_CLIENT_ID", raising=False)
    monkeypatch.delenv("DIGITALCX_CLIENT_SECRET", raising=False)
    monkeypatch.setenv("DIGITALCX_BASE_URL", sim.base_url)
    monkeypatch.setenv("DIGITALCX_TOKEN_URL", sim.token_url)
    with pytest.raises(dcx.ConfigurationError, match="DIGITALCX_CLIENT_ID and DIGITALCX_CLIENT_SECRET"):
        dcx.read_interactions(
            sim.customer_key, sim.project_key, culture=sim.culture, start=START, end=END, now=NOW, cache=False
        )
    with pytest.raises(dcx.ConfigurationError, match="DIGITALCX_CLIENT_ID and DIGITALCX_CLIENT_SECRET"):
        dcx.sync_archive(
            tmp_path / "archive", sim.customer_key, sim.project_key, culture=sim.culture, start=START, now=NOW
        )
    assert sim.log == []
