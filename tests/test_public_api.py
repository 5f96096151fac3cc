"""The public surface: what users import. A change here is a change of the library's contract."""

from __future__ import annotations

import importlib

import pytest

import digitalcx_frames

PUBLIC = {
    "digitalcx_frames": [
        "APIError",
        "AuthenticationError",
        "CacheInfo",
        "Client",
        "ConfigurationError",
        "DataWarning",
        "DigitalCXError",
        "InteractionType",
        "InteractionTypeError",
        "InvalidRequestError",
        "NetworkError",
        "ParseError",
        "PermissionDeniedError",
        "RateLimitError",
        "ServerError",
        "SyncResult",
        "WindowTimeoutError",
        "__version__",
        "cache_info",
        "clear_cache",
        "features",
        "flag_ops",
        "read_export",
        "read_interactions",
        "scan_archive",
        "sync_archive",
    ],
    "digitalcx_frames.errors": [
        "APIError",
        "AuthenticationError",
        "ConfigurationError",
        "DataWarning",
        "DigitalCXError",
        "InvalidRequestError",
        "NetworkError",
        "ParseError",
        "PermissionDeniedError",
        "RateLimitError",
        "ServerError",
        "WindowTimeoutError",
    ],
    "digitalcx_frames.features": ["answer_feedback", "daily_summary", "one_hot_types", "sessions", "top_questions"],
    "digitalcx_frames.flag_ops": [
        "FlagLike",
        "UnknownPolicy",
        "from_names",
        "has",
        "has_any",
        "names",
        "one_hot",
        "unknown_names",
        "with_one_hot",
    ],
    "digitalcx_frames.simulator": [
        "FAULT_KINDS",
        "Connection",
        "Faults",
        "RequestRecord",
        "Simulator",
        "serve_forever",
    ],
}


@pytest.mark.parametrize("module_name", sorted(PUBLIC))
def test_exported_members_are_exactly_the_public_surface(module_name: str) -> None:
    module = importlib.import_module(module_name)
    assert module.__all__ == PUBLIC[module_name]
    for name in module.__all__:
        assert hasattr(module, name), name


def test_every_exported_error_is_one_tree() -> None:
    from digitalcx_frames import errors

    for name in errors.__all__:
        cls = getattr(errors, name)
        if name != "DataWarning":
            assert issubclass(cls, errors.DigitalCXError), name
    assert issubclass(errors.ConfigurationError, ValueError)
    assert issubclass(errors.ParseError, ValueError)
    assert issubclass(errors.DataWarning, UserWarning)


def test_importing_the_package_registers_the_dcx_namespaces() -> None:
    import pandas as pd
    import polars as pl

    assert hasattr(pl.col("x"), "dcx")
    assert hasattr(pl.Series([1]), "dcx")
    assert hasattr(pd.Series([1], dtype="UInt16"), "dcx")
    assert digitalcx_frames.__version__.count(".") == 2
