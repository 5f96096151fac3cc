"""Vectorised interaction-type flag functions for Polars and pandas.

Every function takes a Polars expression (or a column name), a Polars Series or a
pandas Series, and returns the same kind of object. These typed functions are the
documented API; the ``.dcx`` namespaces (:mod:`digitalcx_frames._accessors`) are
one-line shortcuts to them. Mask arguments go through
:meth:`InteractionType.coerce <digitalcx_frames.InteractionType.coerce>`, so ``"QA"``,
``["QA", "Dialog"]``, ``2`` and ``InteractionType.QA`` all work.

Nulls propagate (a null mask gives null, never ``False``), no Python runs per row and
inputs are never modified.

Examples
--------
>>> import polars as pl
>>> from digitalcx_frames import flag_ops
>>> df = pl.DataFrame({"types": pl.Series([10, None, 131], dtype=pl.UInt16)})
>>> df.select(qa=flag_ops.has("types", "QA"), names=flag_ops.names("types")).to_dict(as_series=False)
{'qa': [True, None, True], 'names': [['QA', 'Dialog'], None, ['Event', 'QA', 'TransactionalDialog']]}
>>> flag_ops.from_names(pl.Series(['[ "Dialog", "QA"]', '["qa"]', None])).to_list()
[10, 2, None]
"""

from __future__ import annotations

import functools
import os
import sys
import warnings
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any, Final, Literal, TypeAlias, overload

import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from digitalcx_frames.errors import DataWarning
from digitalcx_frames.flags import KNOWN_BITS, InteractionType

__all__ = [
    "FlagLike",
    "UnknownPolicy",
    "from_names",
    "has",
    "has_any",
    "names",
    "one_hot",
    "unknown_names",
    "with_one_hot",
]

FlagLike: TypeAlias = InteractionType | int | str | Iterable[str | InteractionType]
"""Any spelling of a mask that :meth:`InteractionType.coerce` accepts."""

UnknownPolicy: TypeAlias = Literal["raise", "flag"]
"""What :func:`from_names` does with a name it does not know: raise, or set ``UNKNOWN``."""

_NAMES_DTYPE: Final = pl.List(pl.String)
_PANDAS_NAMES_DTYPE: Final = pd.ArrowDtype(pa.list_(pa.string()))
_NAMES_OF_MASK: Final = {mask: InteractionType(mask).api_names() for mask in range(KNOWN_BITS + 1)}
_SMALL_INTS: Final = (pl.Int8, pl.Int16, pl.UInt8)


def _field_names(prefix: str) -> list[str]:
    return [f"{prefix}{(member.name or '').lower()}" for member in InteractionType.known()]


# --------------------------------------------------------------------------- dispatch


def _dispatch(
    masks: pl.Expr | pl.Series | pd.Series[Any] | str,
    build: Callable[[pl.Expr], pl.Expr],
    to_pandas: Callable[[pl.Series, pd.Series[Any]], Any],
) -> Any:
    """Apply an expression builder to an expression, a Polars Series or a pandas Series."""
    if isinstance(masks, str):
        return build(pl.col(masks))
    if isinstance(masks, pl.Expr):
        return build(masks)
    if isinstance(masks, pl.Series):
        return masks.to_frame().select(build(pl.col(masks.name))).to_series()
    if isinstance(masks, pd.Series):
        series = _from_pandas(masks)
        result = series.to_frame().select(build(pl.col(series.name))).to_series()
        return to_pandas(result, masks)
    raise TypeError(
        f"expected a Polars expression or column name, a Polars Series or a pandas Series, got {type(masks).__name__}"
    )


def _from_pandas(series: pd.Series[Any]) -> pl.Series:
    try:
        converted = pl.from_pandas(series)
    except (TypeError, ValueError, pl.exceptions.PolarsError, pa.ArrowException) as exc:
        raise TypeError(f"cannot read the pandas Series of dtype {series.dtype} as interaction types: {exc}") from exc
    if not isinstance(converted, pl.Series):  # pragma: no cover - from_pandas of a Series is a Series
        raise TypeError("expected a Series")
    return converted.alias("masks")


def _pandas_series(result: pl.Series, like: pd.Series[Any]) -> pd.Series[Any]:
    array = result.to_arrow(compat_level=pl.CompatLevel.oldest())
    if result.dtype == pl.Boolean:
        return _aligned(array, like, pd.BooleanDtype())
    if result.dtype == pl.UInt16:
        return _aligned(array, like, pd.UInt16Dtype())
    return pd.Series(array.cast(pa.list_(pa.string())), index=like.index, name=like.name, dtype=_PANDAS_NAMES_DTYPE)


def _aligned(array: pa.Array, like: pd.Series[Any], dtype: pd.BooleanDtype | pd.UInt16Dtype) -> pd.Series[Any]:
    """A nullable pandas Series of ``array`` on the index and name of ``like`` (no alignment)."""
    values: Any = array.to_pandas(types_mapper={array.type: dtype}.get).array  # an array: no index to align
    return pd.Series(values, index=like.index, name=like.name, dtype=dtype)


def _pandas_frame(result: pl.Series, like: pd.Series[Any]) -> pd.DataFrame:
    frame = result.struct.unnest()
    columns = {name: _aligned(frame[name].to_arrow(), like, pd.BooleanDtype()).rename(name) for name in frame.columns}
    return pd.DataFrame(columns, index=like.index)


# --------------------------------------------------------------------------- validation


def _integer_masks(function: str, build: Callable[[pl.Expr], pl.Expr]) -> Callable[[pl.Expr, pl.DataType], pl.Expr]:
    """Check at plan time that masks are integers; widen tiny integer types so every bit fits."""

    def checked(expr: pl.Expr, dtype: pl.DataType) -> pl.Expr:
        if not dtype.is_integer():
            hint = " (decode the names first with from_names)" if dtype in (pl.String, _NAMES_DTYPE) else ""
            raise TypeError(f"{function}() needs an integer mask column, got dtype {dtype}{hint}")
        if dtype in _SMALL_INTS:
            expr = expr.cast(pl.Int32)
        return build(expr)

    return checked


# --------------------------------------------------------------------------- has / has_any


@overload
def has(masks: pl.Expr | str, flag: FlagLike) -> pl.Expr: ...
@overload
def has(masks: pl.Series, flag: FlagLike) -> pl.Series: ...
@overload
def has(masks: pd.Series[Any], flag: FlagLike) -> pd.Series[Any]: ...
def has(masks: pl.Expr | pl.Series | pd.Series[Any] | str, flag: FlagLike) -> pl.Expr | pl.Series | pd.Series[Any]:
    """Whether each mask holds ALL the types of ``flag`` (use :func:`has_any` for any of them).

    ``has(masks, ["QA", "Feedback"])`` is true only where a row is both a QA and a Feedback
    interaction; ``read_interactions(interaction_types=["QA", "Feedback"])`` and
    :func:`has_any` keep rows that are either. On a Series (Polars or pandas), a list of
    several types that matches no row while :func:`has_any` would match some warns once
    (:class:`~digitalcx_frames.errors.DataWarning`); an expression cannot see its rows, so
    it does not.

    Parameters
    ----------
    masks
        Integer masks: an expression or column name, a Polars Series or a pandas Series.
    flag
        The types to test, in any spelling :meth:`InteractionType.coerce` accepts
        (``InteractionType.UNKNOWN`` allowed).

    Returns
    -------
    pl.Expr, pl.Series or pandas Series
        Boolean (pandas: nullable ``boolean``); null where the mask is null.

    Examples
    --------
    >>> import polars as pl
    >>> has(pl.Series([10, 2, None], dtype=pl.UInt16), ["QA", "Dialog"]).to_list()
    [True, False, None]
    >>> has_any(pl.Series([10, 2, None], dtype=pl.UInt16), ["QA", "Dialog"]).to_list()
    [True, True, None]
    """
    value = int(InteractionType.coerce(flag, allow_unknown=True))
    checked = _integer_masks("has", lambda expr: (expr & value) == value)
    result: pl.Expr | pl.Series | pd.Series[Any] = _dispatch(
        masks, lambda e: e.pipe_with_dtype(checked), _pandas_series
    )
    several = not isinstance(flag, str | int) and value.bit_count() > 1  # a list of names: the trap
    if several and isinstance(masks, pl.Series | pd.Series) and not isinstance(result, pl.Expr):
        _warn_if_all_is_empty(result, masks, value)
    return result


def _warn_if_all_is_empty(result: pl.Series | pd.Series[Any], masks: pl.Series | pd.Series[Any], value: int) -> None:
    """Warn when ``has`` of several types matched nothing but ``has_any`` would have."""
    if bool(result.any()):
        return
    if not bool(has_any(masks, value).any()):
        return
    names = InteractionType(value).api_names()
    warnings.warn(
        f"has(..., {names}) matched no row: it keeps rows that are ALL of {names} at once. "
        f"For rows that are ANY of them (as interaction_types= does), use has_any(..., {names})",
        DataWarning,
        stacklevel=_outside_stacklevel(),
    )


def _outside_stacklevel() -> int:
    """The ``stacklevel`` of the first frame outside this package (the user's line)."""
    package = os.path.dirname(os.path.abspath(__file__))
    frame, level = sys._getframe(1), 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(package + os.sep):
        frame, level = frame.f_back, level + 1  # type: ignore[assignment]
    return level


@overload
def has_any(masks: pl.Expr | str, flag: FlagLike) -> pl.Expr: ...
@overload
def has_any(masks: pl.Series, flag: FlagLike) -> pl.Series: ...
@overload
def has_any(masks: pd.Series[Any], flag: FlagLike) -> pd.Series[Any]: ...
def has_any(masks: pl.Expr | pl.Series | pd.Series[Any] | str, flag: FlagLike) -> pl.Expr | pl.Series | pd.Series[Any]:
    """Whether each mask holds ANY of the types of ``flag`` (use :func:`has` for all of them).

    The rule of ``read_interactions(interaction_types=...)``: ``has_any(masks, ["QA",
    "Feedback"])`` is true where a row is a QA or a Feedback interaction (or both).

    Parameters
    ----------
    masks
        Integer masks: an expression or column name, a Polars Series or a pandas Series.
    flag
        The types to test, in any spelling :meth:`InteractionType.coerce` accepts
        (``InteractionType.UNKNOWN`` allowed).

    Returns
    -------
    pl.Expr, pl.Series or pandas Series
        Boolean (pandas: nullable ``boolean``); null where the mask is null.

    Examples
    --------
    >>> import polars as pl
    >>> has_any(pl.Series([10, 2, 1, None]), 131).to_list()
    [True, True, True, None]
    >>> has_any(pl.Series([8]), "QA").to_list()
    [False]
    """
    value = int(InteractionType.coerce(flag, allow_unknown=True))
    checked = _integer_masks("has_any", lambda expr: (expr & value) != 0)
    result: pl.Expr | pl.Series | pd.Series[Any] = _dispatch(
        masks, lambda e: e.pipe_with_dtype(checked), _pandas_series
    )
    return result


# --------------------------------------------------------------------------- names / one_hot


@overload
def names(masks: pl.Expr | str) -> pl.Expr: ...
@overload
def names(masks: pl.Series) -> pl.Series: ...
@overload
def names(masks: pd.Series[Any]) -> pd.Series[Any]: ...
def names(masks: pl.Expr | pl.Series | pd.Series[Any] | str) -> pl.Expr | pl.Series | pd.Series[Any]:
    """The API names of the known bits of each mask, in bit order.

    ``UNKNOWN`` and bits outside the known ten are left out, as in
    :meth:`InteractionType.api_names`: a mask keeps only that an unknown type was there
    (the ``UNKNOWN`` bit, 1<<15), never its name. The names of unknown types are seen only
    through :func:`unknown_names`, on a column that still holds names (the API's
    ``AllInteractionTypes`` text, e.g. of :func:`~digitalcx_frames.read_export`, or
    ``main_interaction_type``).

    Parameters
    ----------
    masks
        Integer masks: an expression or column name, a Polars Series or a pandas Series.

    Returns
    -------
    pl.Expr, pl.Series or pandas Series
        ``List(String)`` (pandas: ``ArrowDtype(list<string>)``); null where the mask is null.

    Examples
    --------
    >>> import polars as pl
    >>> names(pl.Series([130, 0, None])).to_list()
    [['QA', 'TransactionalDialog'], [], None]
    """
    if isinstance(masks, pd.Series):
        # pandas wants Arrow lists in the end: take them straight from a 1024-row Arrow table
        # (~1.7x faster than building Polars lists and converting them).
        index = _dispatch(masks, lambda e: e.pipe_with_dtype(_known_bits_index), lambda result, _: result)
        names_array = pc.take(_pandas_names_table(), index.to_arrow())
        return pd.Series(names_array, index=masks.index, name=masks.name, dtype=_PANDAS_NAMES_DTYPE)
    # A gather from a 1024-row table of name lists: ~2.7x faster than replace_strict on
    # realistic masks, and the table is built once.
    checked = _integer_masks("names", lambda expr: pl.lit(_names_table()).gather(expr & KNOWN_BITS))
    result: pl.Expr | pl.Series = _dispatch(masks, lambda e: e.pipe_with_dtype(checked).name.keep(), _pandas_series)
    return result


@functools.cache
def _names_table() -> pl.Series:
    return pl.Series("names", list(_NAMES_OF_MASK.values()), dtype=_NAMES_DTYPE)


_known_bits_index: Final = _integer_masks("names", lambda expr: (expr & KNOWN_BITS).cast(pl.UInt16))


@functools.cache
def _pandas_names_table() -> pa.Array:
    return pa.array(list(_NAMES_OF_MASK.values()), type=pa.list_(pa.string()))


@overload
def one_hot(masks: pl.Expr | str, *, prefix: str = "is_") -> pl.Expr: ...
@overload
def one_hot(masks: pl.Series, *, prefix: str = "is_") -> pl.Series: ...
@overload
def one_hot(masks: pd.Series[Any], *, prefix: str = "is_") -> pd.DataFrame: ...
def one_hot(
    masks: pl.Expr | pl.Series | pd.Series[Any] | str, *, prefix: str = "is_"
) -> pl.Expr | pl.Series | pd.DataFrame:
    """One boolean per known type: a struct for Polars, a frame for pandas.

    Fields are named ``prefix`` + the member's lower-case name (``is_event`` …
    ``is_generative_ai``), in bit order. A null mask gives a null struct (null fields
    once unnested; pandas: ``<NA>`` in every column).

    Parameters
    ----------
    masks
        Integer masks: an expression or column name, a Polars Series or a pandas Series.
    prefix
        Put before each field's name.

    Returns
    -------
    pl.Expr, pl.Series or pandas DataFrame
        A ``Struct`` of ``Boolean`` fields (pandas: a frame of nullable ``boolean`` columns
        on the Series' index).

    Examples
    --------
    >>> import polars as pl
    >>> row = one_hot(pl.Series([10], dtype=pl.UInt16)).struct.unnest().row(0, named=True)
    >>> [name for name, value in row.items() if value]
    ['is_qa', 'is_dialog']
    """
    fields = _field_names(prefix)

    def build(expr: pl.Expr) -> pl.Expr:
        struct = pl.struct(
            [
                ((expr & int(member)) != 0).alias(field)
                for member, field in zip(InteractionType.known(), fields, strict=True)
            ]
        )
        return pl.when(expr.is_not_null()).then(struct)

    checked = _integer_masks("one_hot", build)
    result: pl.Expr | pl.Series | pd.DataFrame = _dispatch(
        masks, lambda e: e.pipe_with_dtype(checked).name.keep(), _pandas_frame
    )
    return result


@overload
def with_one_hot(frame: pl.DataFrame, column: str, *, prefix: str = "is_") -> pl.DataFrame: ...
@overload
def with_one_hot(frame: pl.LazyFrame, column: str, *, prefix: str = "is_") -> pl.LazyFrame: ...
@overload
def with_one_hot(frame: pd.DataFrame, column: str, *, prefix: str = "is_") -> pd.DataFrame: ...
def with_one_hot(
    frame: pl.DataFrame | pl.LazyFrame | pd.DataFrame, column: str, *, prefix: str = "is_"
) -> pl.DataFrame | pl.LazyFrame | pd.DataFrame:
    """A new frame with the boolean columns of :func:`one_hot` appended.

    Parameters
    ----------
    frame
        A Polars DataFrame or LazyFrame, or a pandas DataFrame; it is not modified.
    column
        The column of integer masks (``"all_interaction_types"`` in a frame of this library).
    prefix
        Put before each new column's name (``is_qa``, ``is_dialog`` ...).

    Returns
    -------
    pl.DataFrame, pl.LazyFrame or pandas DataFrame
        The same kind of frame with one boolean column per known type appended.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"types": pd.array([3, None], dtype="UInt16")})
    >>> out = with_one_hot(frame, "types")
    >>> out[["is_event", "is_dialog"]]
       is_event  is_dialog
    0      True      False
    1      <NA>       <NA>
    >>> str(out["is_event"].dtype)
    'boolean'
    >>> list(frame.columns)
    ['types']
    """
    if isinstance(frame, pd.DataFrame):
        columns = one_hot(frame[column], prefix=prefix)
        return frame.assign(**{name: columns[name].array for name in columns.columns})  # arrays: no alignment
    expr = one_hot(pl.col(column), prefix=prefix).alias("__dcx_one_hot__")
    return frame.with_columns(expr).unnest("__dcx_one_hot__")


# --------------------------------------------------------------------------- from_names


def _code(text: str, policy: UnknownPolicy) -> int:
    if policy == "flag":
        return int(InteractionType.from_api_names_lenient(text)[0])
    return int(InteractionType.from_api_names(text))


def _decode_text(series: pl.Series, policy: UnknownPolicy) -> pl.Series:
    """Decode each distinct text once and map the codes back over the column.

    Distinct texts are found by their 64-bit hash (hashing, finding the first row of each
    hash and mapping hashes to positions is ~3x faster than ``unique`` + ``replace_strict``
    on the strings). Every row is then compared with the text its hash stands for, so a
    hash collision can never decode a row silently wrong; it falls back to the plain way.
    """
    hashes = series.hash()
    first = hashes.arg_unique()
    texts = series.gather(first)
    position = hashes.replace_strict(
        hashes.gather(first), pl.Series(range(len(first)), dtype=pl.UInt32), return_dtype=pl.UInt32
    )
    if not series.eq_missing(texts.gather(position)).all():  # pragma: no cover - a 64-bit hash collision
        return _decode_distinct(series, policy)
    codes = pl.Series([None if t is None else _code(t, policy) for t in texts.to_list()], dtype=pl.UInt16)
    return codes.gather(position).alias(series.name)


def _decode_distinct(series: pl.Series, policy: UnknownPolicy) -> pl.Series:
    distinct = series.drop_nulls().unique()
    if distinct.is_empty():
        return pl.repeat(None, len(series), dtype=pl.UInt16, eager=True).alias(series.name)
    codes = pl.Series([_code(text, policy) for text in distinct.to_list()], dtype=pl.UInt16)
    return series.replace_strict(distinct, codes, return_dtype=pl.UInt16)


def _decode_lists(series: pl.Series, policy: UnknownPolicy) -> pl.Series:
    distinct = series.explode().drop_nulls().unique()
    if distinct.is_empty():
        return (series.list.len() * 0).cast(pl.UInt16)
    codes = pl.Series([_code(f"[{_json_string(name)}]", policy) for name in distinct.to_list()], dtype=pl.UInt16)
    bits = series.list.eval(pl.element().replace_strict(distinct, codes, return_dtype=pl.UInt16))
    return bits.list.unique().list.sum().cast(pl.UInt16)


def _json_string(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _from_names_expr(policy: UnknownPolicy) -> Callable[[pl.Expr, pl.DataType], pl.Expr]:
    def checked(expr: pl.Expr, dtype: pl.DataType) -> pl.Expr:
        if dtype in (pl.Categorical, pl.Enum) or isinstance(dtype, pl.Categorical | pl.Enum):
            expr, dtype = expr.cast(pl.String), pl.String()
        if dtype == pl.String:
            return expr.map_batches(lambda s: _decode_text(s, policy), return_dtype=pl.UInt16, is_elementwise=True)
        if dtype == _NAMES_DTYPE:
            return expr.map_batches(lambda s: _decode_lists(s, policy), return_dtype=pl.UInt16, is_elementwise=True)
        raise TypeError(
            f'from_names() needs a String column of JSON text (such as \'[ "Dialog", "QA"]\') '
            f"or a List(String) column of names, got dtype {dtype}"
        )

    return checked


@overload
def from_names(texts: pl.Expr | str, *, unknown: UnknownPolicy = "raise") -> pl.Expr: ...
@overload
def from_names(texts: pl.Series, *, unknown: UnknownPolicy = "raise") -> pl.Series: ...
@overload
def from_names(texts: pd.Series[Any], *, unknown: UnknownPolicy = "raise") -> pd.Series[Any]: ...
def from_names(
    texts: pl.Expr | pl.Series | pd.Series[Any] | str, *, unknown: UnknownPolicy = "raise"
) -> pl.Expr | pl.Series | pd.Series[Any]:
    """The ``UInt16`` mask of each row's type names.

    Each distinct value is decoded once with the Python codec and the result is mapped
    back over the column, so the cost is one hash lookup per row.

    Parameters
    ----------
    texts
        JSON text as the API writes it (``'[ "Dialog", "QA"]'``, compact or spaced) or a
        list-of-strings column. Names are case-insensitive, with the documented aliases.
        Nulls inside a list are ignored; a null row gives a null mask.
    unknown
        ``"raise"`` (default): an unknown name raises :class:`InteractionTypeError`.
        ``"flag"``: it sets the ``UNKNOWN`` bit (``1 << 15``) instead; count such names
        with :func:`unknown_names`.

    Returns
    -------
    pl.Expr, pl.Series or pandas Series
        ``UInt16`` masks (pandas: nullable ``UInt16``); null where the row is null.

    Examples
    --------
    >>> import polars as pl
    >>> from_names(pl.Series([["QA", "t-dialog"], []])).to_list()
    [130, 0]
    >>> from_names(pl.Series(['["QA","Smalltalk"]']), unknown="flag").to_list()
    [32770]
    """
    if unknown not in ("raise", "flag"):
        raise ValueError(f"unknown must be 'raise' or 'flag', not {unknown!r}")
    if isinstance(texts, pd.Series):
        array = _arrow_of(texts)
        if pa.types.is_string(array.type) or pa.types.is_large_string(array.type):
            return _pandas_decode_text(array, texts, unknown)
    checked = _from_names_expr(unknown)
    result: pl.Expr | pl.Series | pd.Series[Any] = _dispatch(
        texts, lambda e: e.pipe_with_dtype(checked), _pandas_series
    )
    return result


def _arrow_of(series: pd.Series[Any]) -> pa.Array:
    try:
        return pa.array(series)
    except (TypeError, ValueError, pa.ArrowException) as exc:
        raise TypeError(f"cannot read the pandas Series of dtype {series.dtype} as interaction types: {exc}") from exc


def _pandas_decode_text(array: pa.Array, like: pd.Series[Any], policy: UnknownPolicy) -> pd.Series[Any]:
    """Decode pandas JSON text with Arrow: dictionary-encode, decode the few distinct texts, take."""
    encoded = pc.dictionary_encode(array)
    codes = pa.array([_code(text, policy) for text in encoded.dictionary.to_pylist()], type=pa.uint16())
    decoded = pc.take(codes, encoded.indices)
    return _aligned(decoded, like, pd.UInt16Dtype())


@overload
def unknown_names(texts: pl.Expr | str) -> pl.Expr: ...
@overload
def unknown_names(texts: pl.Series | pd.Series[Any]) -> dict[str, int]: ...
def unknown_names(texts: pl.Expr | pl.Series | pd.Series[Any] | str) -> pl.Expr | dict[str, int]:
    """The names in a column of type names that are not interaction types.

    A mask cannot hold them (see :func:`names`); this is where they are found, on a column
    of names: JSON text as the API sends ``AllInteractionTypes``, ``List(String)``, or single
    names such as ``main_interaction_type``.

    Parameters
    ----------
    texts
        A Polars or pandas Series, or a Polars expression or column name.

    Returns
    -------
    dict or pl.Expr
        For a Series: each unknown name with the number of rows holding it. For an
        expression: ``List(String)``, the sorted unknown names of each row (empty where
        there are none, null where the row is null), for use in ``select``/``with_columns``.

    Examples
    --------
    >>> import polars as pl
    >>> unknown_names(pl.Series(['["QA","Smalltalk"]', '["Smalltalk"]', '["Dialog"]', None]))
    {'Smalltalk': 2}
    >>> df = pl.DataFrame({"types": ['["QA","Smalltalk"]', '["Dialog"]', None], "main": ["QA", "Smalltalk", "QA"]})
    >>> df.select(unknown_names("types"), unknown_names("main")).to_dict(as_series=False)
    {'types': [['Smalltalk'], [], None], 'main': [[], ['Smalltalk'], []]}
    """
    if isinstance(texts, str):
        texts = pl.col(texts)
    if isinstance(texts, pl.Expr):
        return texts.map_batches(_unknown_of_each_row, return_dtype=_NAMES_DTYPE)
    series = _from_pandas(texts) if isinstance(texts, pd.Series) else texts
    series, texts_of = _names_column(series)
    if series.dtype == _NAMES_DTYPE:
        series = series.list.unique().explode().drop_nulls()
    counts: Counter[str] = Counter()
    for value, count in series.drop_nulls().value_counts().iter_rows():
        for name in set(InteractionType.from_api_names_lenient(texts_of(value))[1]):
            counts[name] += count
    return dict(counts)


def _names_column(series: pl.Series) -> tuple[pl.Series, Callable[[str], str]]:
    """``series`` as String or List(String), and how one of its values becomes API text."""
    if isinstance(series.dtype, pl.Categorical | pl.Enum):
        series = series.cast(pl.String)
    if series.dtype == _NAMES_DTYPE:
        return series, lambda name: f"[{_json_string(name)}]"
    if series.dtype == pl.String:
        return series, _as_names_text
    raise TypeError(f"unknown_names() needs a String or List(String) column, got dtype {series.dtype}")


def _as_names_text(text: str) -> str:
    """JSON text as is; a single name (``main_interaction_type``) as a one-name JSON list."""
    return text if text.lstrip().startswith("[") else f"[{_json_string(text)}]"


def _unknown_of_each_row(series: pl.Series) -> pl.Series:
    """The sorted unknown names of each row, decoding each distinct value once."""
    series, texts_of = _names_column(series)
    if series.dtype == _NAMES_DTYPE:
        distinct = series.explode().drop_nulls().unique().to_list()
        unknown = [name for name in distinct if InteractionType.from_api_names_lenient(texts_of(name))[1]]
        kept = series.list.eval(pl.element().filter(pl.element().is_in(unknown)).unique().sort())
        return kept.alias(series.name)
    distinct = series.drop_nulls().unique().to_list()
    table = pl.DataFrame(
        {
            "text": pl.Series(distinct, dtype=pl.String),
            "unknown": pl.Series(
                [sorted(set(InteractionType.from_api_names_lenient(texts_of(text))[1])) for text in distinct],
                dtype=_NAMES_DTYPE,
            ),
        }
    )
    joined = series.alias("text").to_frame().join(table, on="text", how="left", maintain_order="left")
    return joined["unknown"].alias(series.name)
