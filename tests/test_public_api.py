"""The public surface: what users import. A change here is a change of the library's contract.

The surface is read from ``vars()`` of the package and of each public module (as httpx
does), not only from ``__all__``: a new public name, or a submodule without a leading
underscore, fails here until it is added on purpose.
"""

from __future__ import annotations

import importlib
import sys
import types
from pathlib import Path

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
        "DoctorReport",
        "InteractionType",
        "InteractionTypeError",
        "InvalidRequestError",
        "NetworkError",
        "PagingError",
        "ParseError",
        "PermissionDeniedError",
        "RateLimitError",
        "ReadReport",
        "ServerError",
        "SyncResult",
        "WindowTimeoutError",
        "__version__",
        "cache_info",
        "clear_cache",
        "doctor",
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
        "PagingError",
        "ParseError",
        "PermissionDeniedError",
        "RateLimitError",
        "ServerError",
        "WindowTimeoutError",
    ],
    "digitalcx_frames.features": [
        "answer_feedback",
        "article_performance",
        "daily_summary",
        "decode_json",
        "dialog_funnel",
        "kpis",
        "one_hot_types",
        "redact",
        "sessions",
        "top_questions",
    ],
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


PUBLIC_MODULES = {"errors", "flags", "schema", "flag_ops", "features", "simulator"}
FACADES = ["digitalcx_frames", "digitalcx_frames.features", "digitalcx_frames.simulator"]
IMPLEMENTATIONS = [
    "digitalcx_frames.errors",
    "digitalcx_frames.flags",
    "digitalcx_frames.schema",
    "digitalcx_frames.flag_ops",
]


def _visible(module: types.ModuleType) -> set[str]:
    return {name for name in vars(module) if not name.startswith("_")}


@pytest.mark.parametrize("module_name", FACADES)
def test_a_facade_shows_only_its_all_and_public_modules(module_name: str) -> None:
    # import every submodule first, so that each is bound as an attribute of its package
    root = Path(digitalcx_frames.__file__).parent
    for path in sorted(root.rglob("*.py")):
        parts = [p for p in path.relative_to(root.parent).with_suffix("").parts if p != "__init__"]
        if parts[-1] != "__main__":
            importlib.import_module(".".join(parts))
    module = importlib.import_module(module_name)
    allowed = set(module.__all__) | (PUBLIC_MODULES if module_name == "digitalcx_frames" else set())
    unexpected = _visible(module) - allowed
    assert not unexpected, f"{module_name} shows {sorted(unexpected)}: add to __all__ or make private (leading _)"


def _imported(module_name: str, name: str, value: object) -> bool:
    """Whether ``value`` is bound under ``name`` in another module (an import, not a definition)."""
    if isinstance(value, types.ModuleType):
        return not value.__name__.startswith(module_name + ".")
    defined_in = getattr(value, "__module__", None)
    if isinstance(defined_in, str) and defined_in != module_name and not isinstance(value, (int, str, tuple, dict)):
        return True
    return any(
        other is not None and other.__name__ != module_name and vars(other).get(name, object()) is value
        for other_name, other in list(sys.modules.items())
        if other_name.startswith("digitalcx_frames") or other_name in {"typing", "enum", "json", "operator"}
    )


@pytest.mark.parametrize("module_name", IMPLEMENTATIONS)
def test_an_implementation_module_defines_nothing_public_outside_all(module_name: str) -> None:
    module = importlib.import_module(module_name)
    unexpected = {n for n in _visible(module) - set(module.__all__) if not _imported(module_name, n, vars(module)[n])}
    assert not unexpected, f"{module_name} defines {sorted(unexpected)} without listing it in __all__ (or a leading _)"
