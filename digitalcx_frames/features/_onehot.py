"""Type flags as columns: :func:`one_hot_types`, built on :func:`digitalcx_frames.flag_ops.with_one_hot`."""

from __future__ import annotations

from typing import TypeVar

import pandas as pd
import polars as pl

from digitalcx_frames import flag_ops
from digitalcx_frames.features import _exprs as fx
from digitalcx_frames.schema import polars_schema, to_pandas

__all__ = ["one_hot_types"]

_MASK = "__dcx_mask__"
_PolarsT = TypeVar("_PolarsT", pl.DataFrame, pl.LazyFrame)


def _polars(frame: _PolarsT, mask: pl.Expr) -> _PolarsT:
    widened = frame.with_columns(mask.alias(_MASK))
    if isinstance(widened, pl.DataFrame):
        return flag_ops.with_one_hot(widened, _MASK).drop(_MASK)
    return flag_ops.with_one_hot(widened, _MASK).drop(_MASK)


def one_hot_types(frame: fx.FrameT) -> fx.FrameT:
    """The frame with ten Boolean columns ``is_event`` … ``is_generative_ai`` from the type mask.

    Built on :func:`digitalcx_frames.flag_ops.with_one_hot`. Required column:
    ``all_interaction_types`` (UInt16 bit mask; a float or Int mask from pandas is
    accepted). ``is_<type>`` is true when the row's mask has that type's bit (the column
    names follow :class:`~digitalcx_frames.InteractionType` member names in bit order); a
    null mask gives nulls. All other columns and, for pandas, the index are kept as they
    are; the ten columns are appended (pandas dtype ``boolean``).

    Parameters
    ----------
    frame
        Interaction logs: a Polars DataFrame or LazyFrame, a pandas DataFrame, or a narwhals
        frame of one of them.

    Returns
    -------
    The same kind of frame as ``frame`` with the ten columns appended.

    Raises
    ------
    ValueError
        If the frame has no ``all_interaction_types`` column.

    Examples
    --------
    >>> import polars as pl
    >>> out = one_hot_types(pl.DataFrame({"all_interaction_types": [10, 512]}))
    >>> out.columns[:4]
    ['all_interaction_types', 'is_event', 'is_qa', 'is_faq_click']
    >>> out.select("is_qa", "is_dialog", "is_generative_ai").rows()
    [(True, True, False), (False, False, True)]
    """
    if not isinstance(frame, pl.DataFrame | pl.LazyFrame | pd.DataFrame):  # a narwhals frame, or an error
        out: fx.FrameT = fx.rewrap(one_hot_types(fx.native(frame, "one_hot_types")), frame)
        return out
    lazy = fx.to_lazy(frame, function="one_hot_types", required=("all_interaction_types",))
    mask = pl.col("all_interaction_types").cast(polars_schema()["all_interaction_types"])
    if isinstance(frame, pl.DataFrame | pl.LazyFrame):
        return frame.pipe(_polars, mask)
    masks = to_pandas(lazy.collect()).set_axis(frame.index)
    flags = flag_ops.with_one_hot(masks, "all_interaction_types").drop(columns="all_interaction_types")
    return frame.assign(**{name: flags[name].array for name in flags.columns})  # arrays: keeps the index
