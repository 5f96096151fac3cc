"""The doctor against the simulator: the contract as documented, and every drift the simulator can show (issue 13).

Each drift the simulator can be told to show is either a *difference* (exit 1, one line
naming the wire parameter and the Python argument, or the column) or a *fact* (exit 0):
API.md's [open] points are facts. The report never holds the secret, a token or user text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import polars as pl
import pytest

import digitalcx_frames as dcx
from digitalcx_frames._doctor import DoctorReport, _check_json_columns, doctor, doctor_main
from digitalcx_frames.simulator import Simulator

TODAY = date(2026, 11, 20)
NOW = datetime(2026, 11, 20, 9, tzinfo=UTC)
SECRET = "doctor-s3cret-never-shown"


def probe(**options: Any) -> tuple[DoctorReport, Simulator]:
    with (
        Simulator(rows_per_day=300, page_size=20, today=TODAY, client_secret=SECRET, seed=3, **options) as sim,
        dcx.Client(**sim.connection) as client,
    ):
        return doctor(sim.customer_key, sim.project_key, culture=sim.culture, client=client, now=NOW), sim


@pytest.fixture(scope="module")
def clean() -> Iterator[tuple[DoctorReport, list[str]]]:
    """One probe of a simulator that keeps the contract, and the user texts it served."""
    with (
        Simulator(rows_per_day=300, page_size=20, today=TODAY, client_secret=SECRET, seed=3) as sim,
        dcx.Client(**sim.connection) as client,
    ):
        report = doctor(sim.customer_key, sim.project_key, culture=sim.culture, client=client, now=NOW)
        token = client.auth.token()
        rows = sim.expected_rows(datetime(2026, 11, 19, tzinfo=UTC), datetime(2026, 11, 20, tzinfo=UTC))
        texts = [str(value) for row in rows for key, value in row.items() if key in {"InteractionValue", "OutputText"}]
        yield report, [token, SECRET, *(t for t in texts if len(t) >= 6)]


def test_a_service_that_keeps_the_contract_passes(clean: tuple[DoctorReport, list[str]]) -> None:
    report, _ = clean
    assert report.exit_code == 0, str(report)
    assert report.differences == []
    text = str(report)
    assert text.endswith("result: the service matches the contract (exit 0)")
    for topic in ("token", "paging", "columns", "value formats", "json body", "json Articles", "header case"):
        assert f"fact {topic}:" in text, topic
    for spelling in ("interactionTypes", "mainInteractionType", "mainInteractionTypes", "activeSessionOnly",
                     "filterText", "includeUserInfo", "includeUserinfo"):  # fmt: skip
        assert re.search(rf"fact filter {spelling} \(\w+\): honoured", text), spelling
    assert "environment=Staging answered HTTP 200" in text
    assert "sessionMode=Test answered HTTP 200" in text


def test_the_probe_is_bounded(clean: tuple[DoctorReport, list[str]]) -> None:
    report, _ = clean
    assert report.requests <= 25
    rows = int(re.search(r"body: (\d+) rows", str(report)).group(1))  # type: ignore[union-attr]
    assert 0 < rows <= 5_000


def test_the_report_holds_no_secret_no_token_and_no_user_text(clean: tuple[DoctorReport, list[str]]) -> None:
    report, hidden = clean
    text = str(report) + repr(report)
    for value in hidden:
        assert value not in text


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"ignore_filters": ("interactionTypes",)}, ["filter interactionTypes (interaction_types): IGNORED"]),
        (
            {"ignore_filters": ("mainInteractionType",)},
            ["filter mainInteractionType (main_interaction_types): IGNORED"],
        ),
        ({"ignore_filters": ("activeSessionOnly",)}, ["filter activeSessionOnly (active_sessions_only): IGNORED"]),
        ({"ignore_filters": ("filterText",)}, ["filter filterText (filter_text): IGNORED"]),
        (
            {"filter_spelling": "example"},
            [
                "filter mainInteractionType (main_interaction_types): IGNORED",
                "filter includeUserInfo (include_user_info): IGNORED",
            ],
        ),
        ({"extra_column": "Region"}, ["columns: undocumented column(s) present: Region"]),
        (
            {"paging_header": "nextPageToken"},
            ["paging: no continuationToken header; the responses carry nextpagetoken"],
        ),
    ],
)
def test_each_drift_is_a_difference_on_its_own_line(options: dict[str, Any], expected: list[str]) -> None:
    report, _ = probe(**options)
    assert report.exit_code == 1, str(report)
    for line in expected:
        assert any(d.casefold().startswith(line.casefold()) for d in report.differences), (line, report.differences)
    assert len(report.differences) <= len(expected) + 1, report.differences


@pytest.mark.parametrize(
    ("options", "fact"),
    [
        ({"header_case": "lower"}, "header case: lower case"),
        ({"header_case": "upper"}, "header case: upper case"),
        ({"json_key_case": "camel"}, "json key case: camelCase"),
        ({"json_key_case": "lower"}, "json key case: lower case"),
        ({"bom": True}, "a UTF-8 BOM leads"),
        ({"delimiter": "|"}, "delimiter '|'"),
        ({"end_with_204": True}, "the end is a 204"),
        ({"token_lifetime": 600}, "lifetime 600 s"),
        ({"ignore_filters": ("mainInteractionType",), "filter_spelling": "table"}, "mainInteractionTypes"),
    ],
)
def test_what_api_md_leaves_open_is_a_fact_not_a_difference(options: dict[str, Any], fact: str) -> None:
    report, _ = probe(**options)
    assert fact in str(report)
    if "ignore_filters" not in options:
        assert report.exit_code == 0, str(report)


def test_the_example_spelling_being_ignored_is_only_a_fact() -> None:
    """The client sends the table's spelling; the example's being ignored changes nothing."""
    report, _ = probe(filter_spelling="table")
    assert report.exit_code == 0, str(report)
    assert "mainInteractionTypes (main_interaction_types): IGNORED" in str(report)
    assert "the client does not send this spelling" in str(report)


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["demo-customer", "no-such-project", "--culture", "nl"], "HTTP 400"),
        (["demo-customer", "demo-project", "--culture", "n l"], "culture"),
        (["bad/key", "demo-project", "--culture", "nl"], "customer_key"),
    ],
)
def test_bad_arguments_exit_2(argv: list[str], needle: str, sim: Simulator, capsys: pytest.CaptureFixture[str]) -> None:
    with dcx.Client(**sim.connection) as client:
        code = doctor_main(argv, client=client)
    out = capsys.readouterr().out
    assert code == 2, out
    assert needle in out
    assert "result: bad arguments (exit 2)" in out


def test_a_refused_secret_exits_2_without_the_secret(sim: Simulator) -> None:
    with dcx.Client(sim.client_id, SECRET, base_url=sim.base_url, token_url=sim.token_url) as client:
        report = doctor(sim.customer_key, sim.project_key, culture=sim.culture, client=client, now=NOW)
    assert report.exit_code == 2
    assert "Authentication failed" in str(report)
    assert SECRET not in str(report)


def test_the_command_reads_the_environment_and_prints_the_report(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with Simulator(rows_per_day=300, page_size=50, client_secret=SECRET) as sim:  # today: the real date
        monkeypatch.setenv("DIGITALCX_CLIENT_ID", sim.client_id)
        monkeypatch.setenv("DIGITALCX_CLIENT_SECRET", sim.client_secret)
        monkeypatch.setenv("DIGITALCX_BASE_URL", sim.base_url)
        monkeypatch.setenv("DIGITALCX_TOKEN_URL", sim.token_url)
        code = doctor_main([sim.customer_key, sim.project_key, "--culture", sim.culture])
    out = capsys.readouterr().out
    assert code == 0, out
    assert out.startswith("digitalcx-frames doctor ")
    assert out.rstrip().endswith("(exit 0)")
    assert SECRET not in out


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert doctor_main(["only-a-customer"]) == 2
    assert "--culture" in capsys.readouterr().err


def test_json_keys_seen_once_are_counted_not_shown() -> None:
    """A key in one value only may be user text (a map keyed by what a user typed): never printed."""
    rows = pl.DataFrame(
        {
            "Contexts": ['[{"name": "a", "value": "b"}]', '[{"name": "c", "value": "d"}]'],
            "DialogPaths": ['{"DropOut": "1:2"}', '{"DropOut": "3:4", "jan.jansen@example.com": "x"}'],
        }
    )
    report = DoctorReport("c", "p", "nl", host="h")
    _check_json_columns(report, rows)
    text = str(report)
    assert "keys name, value" in text
    assert "keys DropOut (+1 rarer key, not shown)" in text
    assert "jansen" not in text


def test_no_credentials_exit_2_naming_the_variables(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("DIGITALCX_CLIENT_ID", raising=False)
    monkeypatch.delenv("DIGITALCX_CLIENT_SECRET", raising=False)
    assert doctor_main(["demo-customer", "demo-project", "--culture", "nl"]) == 2
    out = capsys.readouterr().out
    assert "DIGITALCX_CLIENT_ID and DIGITALCX_CLIENT_SECRET" in out
    assert "; 0 data requests;" in out
