"""Which frames the features take: Polars, pandas, and narwhals frames of either.

Private. A narwhals frame is unwrapped to its native frame (``to_native``) and the result
is wrapped back with ``from_native`` of the same narwhals namespace; narwhals itself is
imported only when a narwhals frame is given.
"""

from __future__ import annotations

import importlib
from typing import Any, TypeVar

import pandas as pd
import polars as pl

__all__ = ["FrameT", "native", "rewrap"]

FrameT = TypeVar("FrameT", pl.DataFrame, pl.LazyFrame, pd.DataFrame)
"""A frame the features take and give back: the same kind out as in."""


def native(frame: Any, function: str) -> Any:
    """The native frame of a narwhals frame (``nw.from_native``'s inverse); a Polars or pandas frame as given.

    Raises
    ------
    TypeError
        For anything else, naming ``function`` and what it takes.
    """
    if type(frame).__module__.split(".")[0] == "narwhals" and hasattr(frame, "to_native"):
        inner = frame.to_native()
        if not isinstance(inner, pl.DataFrame | pl.LazyFrame | pd.DataFrame):
            raise TypeError(
                f"{function}() works on Polars and pandas frames; this narwhals frame wraps a "
                f"{type(inner).__module__}.{type(inner).__name__}: convert it to Polars or pandas first"
            )
        return inner
    if not isinstance(frame, pl.DataFrame | pl.LazyFrame | pd.DataFrame):
        raise TypeError(
            f"{function}() takes a Polars DataFrame or LazyFrame, a pandas DataFrame or a narwhals "
            f"frame of one of them, not {type(frame).__name__}"
        )
    return frame


def rewrap(result: Any, like: Any) -> Any:
    """``result`` wrapped like the narwhals frame ``like`` (same narwhals namespace: main or stable)."""
    module = type(like).__module__
    namespace = "narwhals.stable.v1" if module.startswith("narwhals.stable.v1") else "narwhals"
    if module.startswith("narwhals.stable.v2"):
        namespace = "narwhals.stable.v2"
    return importlib.import_module(namespace).from_native(result)
