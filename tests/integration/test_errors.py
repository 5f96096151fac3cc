"""Each error class of the tree is raised through the lazy frame, with a message that says where and what to do."""

from __future__ import annotations

import pickle
import socket
from datetime import timedelta
from typing import Any

import polars as pl
import pytest

import digitalcx_frames as dcx
from digitalcx_frames.simulator import Faults, Simulator
from tests.conftest import SIM_TODAY, make_client, read_sim


def read(sim: Simulator, client: dcx.Client | None = None, **options: Any) -> pl.LazyFrame:
    """The lazy read of SIM_DAY (the shared read of conftest, asserted lazy)."""
    lazy = read_sim(sim, client=client, **options)
    assert isinstance(lazy, pl.LazyFrame)
    return lazy


def test_unknown_project_is_an_invalid_request_with_the_servers_message(sim: Simulator) -> None:
    with pytest.raises(dcx.InvalidRequestError) as info:
        read(sim, customer_key="nobody").collect()
    error = info.value
    assert error.status_code == 400
    assert "Customer key nobody with project" in error.message
    assert "2026-11-19T00:00:00Z/2026-11-20T00:00:00Z" in str(error)
    assert "page 1" in str(error)


def test_persistent_500_is_a_server_error_after_the_retries(sim: Simulator) -> None:
    sim.inject("500", count=100)
    with pytest.raises(dcx.ServerError) as info:
        read(sim, make_client(sim, max_retries=2)).collect()
    assert info.value.status_code == 500
    assert info.value.attempts == 3
    assert "Something went wrong" in str(info.value)
    assert "after 3 attempts" in str(info.value)
    assert len(sim.interaction_requests) == 3


def test_persistent_429_is_a_rate_limit_error(sim: Simulator) -> None:
    sim.inject("429", count=100)
    with pytest.raises(dcx.RateLimitError) as info:
        read(sim, make_client(sim, max_retries=1, retry_after_max=0.0)).collect()
    assert info.value.status_code == 429
    assert "max_workers" in str(info.value)


def test_a_few_500s_and_429s_are_retried_to_the_same_frame(sim: Simulator) -> None:
    clean = read(sim).collect()
    sim.inject("500", count=2)
    sim.inject("429", count=1)
    assert read(sim, make_client(sim, retry_after_max=0.0)).collect().equals(clean)


def test_a_wrong_secret_is_an_authentication_error_with_the_first_line_only(sim: Simulator) -> None:
    with pytest.raises(dcx.AuthenticationError) as info:
        read(sim, make_client(sim, client_secret="wrong-secret")).collect()
    text = str(info.value)
    assert "AADSTS7000215" in text
    assert "\n" not in info.value.message
    assert "wrong-secret" not in text
    assert sim.interaction_requests == []


def test_a_refused_token_is_refreshed_once(sim: Simulator) -> None:
    clean = read(sim).collect()
    sim.clear_log()
    sim.inject("403_token", count=1)
    assert read(sim).collect().equals(clean)
    assert len(sim.token_requests) == 2


def test_an_unreachable_host_is_a_network_error(sim: Simulator) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = make_client(sim, base_url=f"http://127.0.0.1:{port}", max_retries=1)
    client.auth.token()  # the token endpoint is the simulator's; only the data host is gone
    with pytest.raises(dcx.NetworkError) as info:
        read(sim, client).collect()
    assert "2026-11-19T00:00:00Z" in str(info.value)


def test_a_body_that_never_parses_is_a_parse_error_naming_window_and_page(sim: Simulator) -> None:
    sim.inject("html_200", count=100)
    with pytest.raises(dcx.ParseError) as info:
        read(sim).collect()
    assert info.value.window == "2026-11-19T00:00:00Z/2026-11-20T00:00:00Z"
    assert info.value.page == 1
    assert len(sim.interaction_requests) == 3  # first try and two re-fetches


def test_a_body_that_fails_once_is_fetched_again(sim: Simulator) -> None:
    clean = read(sim).collect()
    for kind in ("html_200", "empty_200", "extra_field", "invalid_utf8"):
        sim.inject(kind, count=1)
        assert read(sim).collect().equals(clean), kind


def test_a_window_that_times_out_at_every_size_fails_at_the_floor() -> None:
    faults = Faults(timeout_hours=0.1)
    with Simulator(rows_per_day=50, page_size=100, today=SIM_TODAY, faults=faults) as sim:
        # windows longer than 6 minutes answer 504: splitting stops at 15 minutes and gives up
        with pytest.raises(dcx.WindowTimeoutError) as info:
            read(sim).collect()
        widths = {end - start for start, end in (r.window for r in sim.interaction_requests if r.window)}
    assert info.value.status_code == 504
    assert min(widths) >= timedelta(minutes=15)
    assert timedelta(days=1) in widths
    assert isinstance(info.value, dcx.NetworkError)


def test_errors_can_be_pickled_for_multiprocessing() -> None:

    error = dcx.ServerError(503, "busy", window="w", page=2, attempts=4)
    clone = pickle.loads(pickle.dumps(error))
    assert type(clone) is dcx.ServerError
    assert str(clone) == str(error)


def test_a_403_with_a_valid_token_is_permission_denied(sim: Simulator) -> None:
    sim.inject("403", count=1)
    with pytest.raises(dcx.PermissionDeniedError) as info:
        read(sim).collect()
    assert info.value.status_code == 403
    assert "Forbidden" in str(info.value)
    assert len(sim.token_requests) == 1  # not mistaken for a stale token
