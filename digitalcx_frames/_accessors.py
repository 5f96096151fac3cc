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

from collections.abc import Callable
from typing import Any

import pandas as pd
import polars as pl
from pandas.api.types import is_integer_dtype, is_object_dtype, is_string_dtype

from digitalcx_frames import flag_ops
from digitalcx_frames.flag_ops import FlagLike, UnknownPolicy

__all__: list[str] = []

NAMESPACE = "dcx"


class ExprFlags:
    """``pl.Expr.dcx``: interaction-type flags on an integer mask or names expression."""

    def __init__(self, expr: pl.Expr) -> None:
        self._expr = expr

    def has(self, flag: FlagLike) -> pl.Expr:
        """See :func:`digitalcx_frames.flag_ops.has`."""
        return flag_ops.has(self._expr, flag)

    def has_any(self, flag: FlagLike) -> pl.Expr:
        """See :func:`digitalcx_frames.flag_ops.has_any`."""
        return flag_ops.has_any(self._expr, flag)

    def names(self) -> pl.Expr:
        """See :func:`digitalcx_frames.flag_ops.names`."""
        return flag_ops.names(self._expr)

    def one_hot(self, *, prefix: str = "is_") -> pl.Expr:
        """See :func:`digitalcx_frames.flag_ops.one_hot`."""
        return flag_ops.one_hot(self._expr, prefix=prefix)

    def from_names(self, *, unknown: UnknownPolicy = "raise") -> pl.Expr:
        """See :func:`digitalcx_frames.flag_ops.from_names`."""
        return flag_ops.from_names(self._expr, unknown=unknown)


class SeriesFlags:
    """``pl.Series.dcx``: interaction-type flags on an integer mask or names Series."""

    def __init__(self, series: pl.Series) -> None:
        self._series = series

    def has(self, flag: FlagLike) -> pl.Series:
        """See :func:`digitalcx_frames.flag_ops.has`."""
        return flag_ops.has(self._series, flag)

    def has_any(self, flag: FlagLike) -> pl.Series:
        """See :func:`digitalcx_frames.flag_ops.has_any`."""
        return flag_ops.has_any(self._series, flag)

    def names(self) -> pl.Series:
        """See :func:`digitalcx_frames.flag_ops.names`."""
        return flag_ops.names(self._series)

    def one_hot(self, *, prefix: str = "is_") -> pl.Series:
        """See :func:`digitalcx_frames.flag_ops.one_hot`."""
        return flag_ops.one_hot(self._series, prefix=prefix)

    def from_names(self, *, unknown: UnknownPolicy = "raise") -> pl.Series:
        """See :func:`digitalcx_frames.flag_ops.from_names`."""
        return flag_ops.from_names(self._series, unknown=unknown)

    def unknown_names(self) -> dict[str, int]:
        """See :func:`digitalcx_frames.flag_ops.unknown_names`."""
        return flag_ops.unknown_names(self._series)


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

    def has(self, flag: FlagLike) -> pd.Series[Any]:
        """See :func:`digitalcx_frames.flag_ops.has`."""
        return flag_ops.has(self._series, flag)

    def has_any(self, flag: FlagLike) -> pd.Series[Any]:
        """See :func:`digitalcx_frames.flag_ops.has_any`."""
        return flag_ops.has_any(self._series, flag)

    def names(self) -> pd.Series[Any]:
        """See :func:`digitalcx_frames.flag_ops.names`."""
        return flag_ops.names(self._series)

    def one_hot(self, *, prefix: str = "is_") -> pd.DataFrame:
        """See :func:`digitalcx_frames.flag_ops.one_hot`."""
        return flag_ops.one_hot(self._series, prefix=prefix)

    def from_names(self, *, unknown: UnknownPolicy = "raise") -> pd.Series[Any]:
        """See :func:`digitalcx_frames.flag_ops.from_names`."""
        return flag_ops.from_names(self._series, unknown=unknown)

    def unknown_names(self) -> dict[str, int]:
        """See :func:`digitalcx_frames.flag_ops.unknown_names`."""
        return flag_ops.unknown_names(self._series)


class PandasFrameFlags:
    """``pd.DataFrame.dcx``: append flag columns to a frame."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self._frame = frame

    def one_hot(self, column: str = "all_interaction_types", *, prefix: str = "is_") -> pd.DataFrame:
        """See :func:`digitalcx_frames.flag_ops.with_one_hot`."""
        return flag_ops.with_one_hot(self._frame, column, prefix=prefix)


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
