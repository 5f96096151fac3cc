"""The ``.dcx`` namespaces: one-line shortcuts to :mod:`digitalcx_frames.flag_ops`.

Importing this module registers ``dcx`` on ``pl.Expr``, ``pl.Series``, ``pd.Series`` and
``pd.DataFrame``, once per process (registering twice would warn). Type checkers cannot
see these namespaces; the typed functions in :mod:`~digitalcx_frames.flag_ops` are the
documented API.

Examples
--------
>>> import pandas as pd
>>> import polars as pl
>>> import digitalcx_frames._accessors
>>> pl.DataFrame({"t": [10, 1]}).select(pl.col("t").dcx.has_any("QA"))["t"].to_list()
[True, False]
>>> pd.Series([10, None], dtype="UInt16").dcx.names().tolist()
[['QA', 'Dialog'], <NA>]
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, TypeVar

import pandas as pd
import polars as pl
from pandas.api.types import is_integer_dtype, is_object_dtype, is_string_dtype

# The functions themselves (not ``flag_ops.x``): the examples copied into each method's
# docstring run with this module's globals when the doctests run.
from digitalcx_frames.flag_ops import (
    FlagLike,
    UnknownPolicy,
    from_names,
    has,
    has_any,
    names,
    one_hot,
    unknown_names,
    with_one_hot,
)

__all__: list[str] = []

NAMESPACE = "dcx"

_Method = TypeVar("_Method", bound=Callable[..., Any])


def _delegates(function: Callable[..., Any], first: str) -> Callable[[_Method], _Method]:
    """Give a ``.dcx`` method the full documentation of the function it calls.

    ``help(pl.col("x").dcx.has)`` then shows the parameters, returns and examples of
    :func:`digitalcx_frames.flag_ops.has`, after one line that says how the two relate.
    """

    def decorate(method: _Method) -> _Method:
        text = inspect.cleandoc(function.__doc__ or "")
        method.__doc__ = f"``.dcx.{method.__name__}(...)`` is ``flag_ops.{function.__name__}({first}, ...)``.\n\n{text}"
        return method

    return decorate


class ExprFlags:
    """``pl.Expr.dcx``: interaction-type flags on an integer mask or names expression."""

    def __init__(self, expr: pl.Expr) -> None:
        self._expr = expr

    @_delegates(has, "expr")
    def has(self, flag: FlagLike) -> pl.Expr:
        return has(self._expr, flag)

    @_delegates(has_any, "expr")
    def has_any(self, flag: FlagLike) -> pl.Expr:
        return has_any(self._expr, flag)

    @_delegates(names, "expr")
    def names(self) -> pl.Expr:
        return names(self._expr)

    @_delegates(one_hot, "expr")
    def one_hot(self, *, prefix: str = "is_") -> pl.Expr:
        return one_hot(self._expr, prefix=prefix)

    @_delegates(from_names, "expr")
    def from_names(self, *, unknown: UnknownPolicy = "raise") -> pl.Expr:
        return from_names(self._expr, unknown=unknown)

    @_delegates(unknown_names, "expr")
    def unknown_names(self) -> pl.Expr:
        return unknown_names(self._expr)


class SeriesFlags:
    """``pl.Series.dcx``: interaction-type flags on an integer mask or names Series."""

    def __init__(self, series: pl.Series) -> None:
        self._series = series

    @_delegates(has, "series")
    def has(self, flag: FlagLike) -> pl.Series:
        return has(self._series, flag)

    @_delegates(has_any, "series")
    def has_any(self, flag: FlagLike) -> pl.Series:
        return has_any(self._series, flag)

    @_delegates(names, "series")
    def names(self) -> pl.Series:
        return names(self._series)

    @_delegates(one_hot, "series")
    def one_hot(self, *, prefix: str = "is_") -> pl.Series:
        return one_hot(self._series, prefix=prefix)

    @_delegates(from_names, "series")
    def from_names(self, *, unknown: UnknownPolicy = "raise") -> pl.Series:
        return from_names(self._series, unknown=unknown)

    @_delegates(unknown_names, "series")
    def unknown_names(self) -> dict[str, int]:
        return unknown_names(self._series)


class PandasSeriesFlags:
    """``pd.Series.dcx``: interaction-type flags on an integer mask or names Series.

    Raises
    ------
    AttributeError
        On a Series that can hold neither masks (integers) nor names (strings, lists).
    """

    def __init__(self, series: pd.Series[Any]) -> None:
        dtype = series.dtype
        is_list = isinstance(dtype, pd.ArrowDtype) and dtype.pyarrow_dtype.num_fields == 1
        is_names = is_string_dtype(dtype) or is_object_dtype(dtype) or isinstance(dtype, pd.CategoricalDtype)
        if not (is_integer_dtype(dtype) or is_names or is_list):
            raise AttributeError(
                f"Can only use .dcx with integer masks (e.g. UInt16) or interaction-type names "
                f"(JSON text or lists of strings), not dtype {dtype}"
            )
        self._series = series

    @_delegates(has, "series")
    def has(self, flag: FlagLike) -> pd.Series[Any]:
        return has(self._series, flag)

    @_delegates(has_any, "series")
    def has_any(self, flag: FlagLike) -> pd.Series[Any]:
        return has_any(self._series, flag)

    @_delegates(names, "series")
    def names(self) -> pd.Series[Any]:
        return names(self._series)

    @_delegates(one_hot, "series")
    def one_hot(self, *, prefix: str = "is_") -> pd.DataFrame:
        return one_hot(self._series, prefix=prefix)

    @_delegates(from_names, "series")
    def from_names(self, *, unknown: UnknownPolicy = "raise") -> pd.Series[Any]:
        return from_names(self._series, unknown=unknown)

    @_delegates(unknown_names, "series")
    def unknown_names(self) -> dict[str, int]:
        return unknown_names(self._series)


class PandasFrameFlags:
    """``pd.DataFrame.dcx``: append flag columns to a frame."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self._frame = frame

    @_delegates(with_one_hot, "frame")
    def one_hot(self, column: str = "all_interaction_types", *, prefix: str = "is_") -> pd.DataFrame:
        return with_one_hot(self._frame, column, prefix=prefix)


def _register() -> None:
    """Register each namespace unless it already is (registering twice warns)."""
    registrations: tuple[tuple[type, Callable[[str], Callable[[type], type]], type], ...] = (
        (pl.Expr, pl.api.register_expr_namespace, ExprFlags),
        (pl.Series, pl.api.register_series_namespace, SeriesFlags),
        (pd.Series, pd.api.extensions.register_series_accessor, PandasSeriesFlags),
        (pd.DataFrame, pd.api.extensions.register_dataframe_accessor, PandasFrameFlags),
    )
    for owner, register, namespace in registrations:
        if not hasattr(owner, NAMESPACE):
            register(NAMESPACE)(namespace)


_register()
