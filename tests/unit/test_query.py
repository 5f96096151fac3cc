"""Validation of read arguments: every mistake is refused before any request, with what is allowed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import numpy as np
import pandas as pd
import pytest

from digitalcx_frames._read.query import build_query, earliest_start, format_instant, to_utc
from digitalcx_frames.errors import ConfigurationError
from digitalcx_frames.flags import InteractionType

NOW = datetime(2026, 11, 20, 15, 30, tzinfo=UTC)


def q(**overrides: Any):  # type: ignore[no-untyped-def]
    args: dict[str, Any] = {"culture": "nl", "start": "2026-11-01", "end": "2026-11-08", "now": NOW}
    args.update(overrides)
    customer = args.pop("customer_key", "acme")
    project = args.pop("project_key", "support")
    return build_query(customer, project, **args)


def test_string_dates_are_whole_utc_days() -> None:
    query = q()
    assert query.start == datetime(2026, 11, 1, tzinfo=UTC)
    assert query.end == datetime(2026, 11, 8, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (date(2026, 11, 1), datetime(2026, 11, 1, tzinfo=UTC)),
        (datetime(2026, 11, 1, 6), datetime(2026, 11, 1, 6, tzinfo=UTC)),
        (datetime(2026, 11, 1, 6, tzinfo=timezone(timedelta(hours=2))), datetime(2026, 11, 1, 4, tzinfo=UTC)),
        ("2026-11-01T06:00:00Z", datetime(2026, 11, 1, 6, tzinfo=UTC)),
        ("2026-11-01T06:00:00+01:00", datetime(2026, 11, 1, 5, tzinfo=UTC)),
        (pd.Timestamp("2026-11-01 06:00"), datetime(2026, 11, 1, 6, tzinfo=UTC)),
        (pd.Timestamp("2026-11-01 06:00", tz="Europe/Amsterdam"), datetime(2026, 11, 1, 5, tzinfo=UTC)),
        (np.datetime64("2026-11-01"), datetime(2026, 11, 1, tzinfo=UTC)),
        (np.datetime64("2026-11-01T06:00:00.123456789"), datetime(2026, 11, 1, 6, 0, 0, 123456, tzinfo=UTC)),
        (pd.Timestamp("2026-11-01 06:00").to_datetime64(), datetime(2026, 11, 1, 6, tzinfo=UTC)),
    ],
)
def test_instants_become_aware_utc(value: Any, expected: datetime) -> None:
    assert to_utc(value, name="start") == expected
    assert to_utc(value, name="start").tzinfo is UTC


def test_wire_params_use_the_table_spelling() -> None:
    params = q(
        interaction_types=["QA", "Dialog"],
        main_interaction_types=InteractionType.QA,
        active_sessions_only=True,
        filter_text="factuur",
        include_user_info=True,
        environment="Staging",
        session_mode="Test",
    ).wire_params()
    assert params == {
        "culture": "nl",
        "environment": "Staging",
        "sessionMode": "Test",
        "interactionTypes": "10",
        "mainInteractionType": "2",
        "activeSessionOnly": "true",
        "filterText": "factuur",
        "includeUserInfo": "true",
    }


def test_defaults_send_no_optional_filter() -> None:
    assert q().wire_params() == {"culture": "nl", "environment": "Production", "sessionMode": "Public"}


def test_format_instant_is_utc_with_z() -> None:
    assert format_instant(datetime(2026, 3, 25, 1, tzinfo=timezone(timedelta(hours=1)))) == "2026-03-25T00:00:00Z"


def test_earliest_start_is_90_days_back_at_midnight_and_never_before_first_day() -> None:
    assert earliest_start(NOW) == datetime(2026, 8, 22, tzinfo=UTC)
    assert earliest_start(datetime(2025, 1, 10, tzinfo=UTC)) == datetime(2024, 12, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    ("overrides", "needle"),
    [
        ({"end": "2026-11-01"}, "must be after start"),
        ({"start": "2026-11-08", "end": "2026-11-01"}, "must be after start"),
        ({"start": "2026-08-21"}, "90 days back"),
        ({"start": "2024-12-14", "end": "2024-12-20", "now": datetime(2025, 1, 1, tzinfo=UTC)}, "2024-12-15"),
        ({"start": "yesterday"}, "is not a date"),
        ({"start": "2026-13-01"}, "is not a date"),
        ({"start": 20261101}, "must be a date"),
        ({"culture": ""}, "culture"),
        ({"culture": "n l"}, "culture"),
        ({"culture": " nl"}, "culture"),
        ({"environment": "production"}, "did you mean 'Production'"),
        ({"environment": "Prod"}, "Production, Staging"),
        ({"session_mode": "public"}, "did you mean 'Public'"),
        ({"session_mode": "Private"}, "Public, Internal, Test, Monitor"),
        ({"interaction_types": "Smalltalk"}, "unknown interaction type name 'Smalltalk'"),
        ({"interaction_types": -1}, "out of range"),
        ({"main_interaction_types": 1024}, "out of range"),
        ({"interaction_types": InteractionType.UNKNOWN}, "out of range"),
        ({"format": "xml"}, "'csv'"),
        ({"active_sessions_only": "yes"}, "True or False"),
        ({"customer_key": "acme/../other"}, "customer_key"),
        ({"customer_key": ".."}, "customer_key"),
        ({"project_key": "support?x=1"}, "project_key"),
        ({"project_key": "sup#port"}, "project_key"),
        ({"project_key": "sup port"}, "project_key"),
        ({"project_key": "supp\u00f6rt"}, "project_key"),
        ({"customer_key": ""}, "non-empty"),
    ],
)
def test_bad_input_is_a_configuration_error_that_names_what_is_allowed(overrides: dict[str, Any], needle: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        q(**overrides)
    assert needle in str(info.value)
    assert isinstance(info.value, ValueError)


def test_identity_changes_with_every_filter() -> None:
    base = q().identity()
    variants = [
        q(culture="en"),
        q(interaction_types=2),
        q(main_interaction_types=2),
        q(environment="Staging"),
        q(session_mode="Test"),
        q(active_sessions_only=True),
        q(filter_text="x"),
        q(include_user_info=True),
        q(format="json"),
        q(customer_key="other"),
        q(project_key="other"),
    ]
    identities = [base, *(v.identity() for v in variants)]
    assert len({tuple(sorted(i.items())) for i in identities}) == len(identities)


def test_np_datetime64_is_accepted_wherever_a_timestamp_is() -> None:
    query = q(
        start=np.datetime64("2026-11-01"),
        end=np.datetime64("2026-11-08T00:00"),
        now=np.datetime64(NOW.replace(tzinfo=None)),
    )
    assert (query.start, query.end) == (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 8, tzinfo=UTC))


def test_a_nat_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="start is NaT"):
        q(start=np.datetime64("NaT"))


def test_every_parameter_sent_is_named_by_the_one_table() -> None:
    from digitalcx_frames._read.query import WIRE_NAMES, build_query

    query = build_query(
        "acme",
        "support",
        culture="nl",
        start="2026-11-01",
        end="2026-11-02",
        interaction_types=["QA"],
        main_interaction_types=["QA"],
        active_sessions_only=True,
        filter_text="x",
        include_user_info=True,
        now=datetime(2026, 11, 20, tzinfo=UTC),
    )
    assert set(query.wire_params()) <= set(WIRE_NAMES.values())
    assert len(query.wire_params()) == len(WIRE_NAMES) - 2  # all but the dates, which each window sends
