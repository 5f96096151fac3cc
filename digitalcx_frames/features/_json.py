"""Decode the JSON text columns into the dtypes declared in :func:`digitalcx_frames.schema.json_dtypes`.

Private. The work per column is vectorised: one case-insensitive rewrite of the known keys
to their snake_case names (``str.replace_many``, Aho-Corasick) and one ``str.json_decode``
with the declared dtype. Only a batch where that decode fails takes a slower path: values
that are not JSON are found with ``str.json_path_match`` (still vectorised), and only if
some value still does not fit the declared type are the distinct remaining values checked
one by one in Python. A value that is not JSON or does not fit becomes null and is counted.

:func:`decode_json_columns` is what the read applies per batch; :func:`decode_json` in
:mod:`digitalcx_frames.features` wraps it for every kind of frame.
"""

from __future__ import annotations

import functools
import json
import math
import warnings
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final, TypeVar

import pandas as pd
import polars as pl

from digitalcx_frames.errors import DataWarning
from digitalcx_frames.features._frames import FrameT, native, rewrap
from digitalcx_frames.schema import json_dtypes, to_pandas

__all__ = ["RAW_SUFFIX", "declared_json_columns", "decode_json_columns", "decode_series"]

RAW_SUFFIX: Final = "_raw"
"""Suffix of the column that keeps a decoded column's text (``keep_raw=True``)."""

_PolarsT = TypeVar("_PolarsT", pl.DataFrame, pl.LazyFrame)


def declared_json_columns() -> dict[str, pl.DataType]:
    """The JSON columns with a declared shape and their decoded dtypes."""
    return json_dtypes()


def _inst(dtype: Any) -> pl.DataType:
    """A dtype instance (Polars stores some nested dtypes as classes)."""
    instance: pl.DataType = dtype if isinstance(dtype, pl.DataType) else dtype()
    return instance


def _field_names(dtype: pl.DataType) -> list[str]:
    if isinstance(dtype, pl.Struct):
        names = [field.name for field in dtype.fields]
        for field in dtype.fields:
            names.extend(_field_names(_inst(field.dtype)))
        return names
    if isinstance(dtype, pl.List):
        return _field_names(_inst(dtype.inner))
    return []


@functools.cache
def _key_rewrites(column: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Literal patterns (matched ASCII case-insensitively) and the snake_case key each becomes.

    A key is a JSON string followed by ``:``; a string value is never followed by ``:`` in
    valid JSON and quotes inside strings are escaped, so values are never rewritten.
    """
    rewrites: dict[str, str] = {}
    for field in _field_names(json_dtypes()[column]):
        for spelling in (field, field.replace("_", "")):
            for colon in (":", " :"):
                rewrites[f'"{spelling.lower()}"{colon}'] = f'"{field}":'
    return tuple(rewrites), tuple(rewrites.values())


def _fits(value: Any, dtype: pl.DataType) -> bool:
    """Whether a parsed JSON value fits ``dtype`` (keys already in snake_case; extra keys ignored)."""
    if value is None:
        return True
    if isinstance(dtype, pl.Struct):
        return isinstance(value, dict) and all(
            _fits(value.get(field.name), _inst(field.dtype)) for field in dtype.fields
        )
    if isinstance(dtype, pl.List):
        inner = _inst(dtype.inner)
        return isinstance(value, list) and all(_fits(item, inner) for item in value)
    if dtype.is_integer():
        return (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and math.isfinite(value)
            and value == int(value)
            and -128 <= value <= 127  # Int8: the only declared integer (feedback score)
        )
    return not isinstance(value, dict | list)


def _parses_and_fits(text: str, dtype: pl.DataType) -> bool:
    try:
        return _fits(json.loads(text), dtype)
    except ValueError:
        return False


def _decode_checked(prepared: pl.Series, dtype: pl.DataType) -> pl.Series:
    """Decode, nulling the values that are not JSON or do not fit (the slow path)."""
    valid = prepared.str.json_path_match("$").is_not_null() | (prepared.str.strip_chars() == "null")
    prepared = prepared.set(~valid.fill_null(True), None) if not valid.all() else prepared
    try:
        return prepared.str.json_decode(dtype)
    except pl.exceptions.PolarsError:
        pass
    distinct = prepared.drop_nulls().unique()
    bad = [text for text in distinct.to_list() if not _parses_and_fits(text, dtype)]
    prepared = prepared.set(prepared.is_in(bad).fill_null(False), None)
    try:
        return prepared.str.json_decode(dtype)
    except pl.exceptions.PolarsError:  # pragma: no cover - Python and Polars disagree on a value
        values = []
        for text in prepared.to_list():
            try:
                values.append(None if text is None else pl.Series([text]).str.json_decode(dtype)[0])
            except pl.exceptions.PolarsError:
                values.append(None)
        return pl.Series(prepared.name, values, dtype=dtype)


def _decode_text(text: pl.Series, column: str, dtype: pl.DataType) -> tuple[pl.Series, pl.Series]:
    """Decode JSON text (String) to ``dtype``; also the Boolean mask of values that did not fit."""
    patterns, replacements = _key_rewrites(column)
    keys = pl.col("t")
    if patterns:
        keys = keys.str.replace_many(list(patterns), list(replacements), ascii_case_insensitive=True)
    prepared = text.to_frame("t").select(pl.when(pl.col("t").str.strip_chars() != "").then(keys)).to_series()
    try:
        decoded = prepared.str.json_decode(dtype)
    except pl.exceptions.PolarsError:
        decoded = _decode_checked(prepared, dtype)
    if isinstance(dtype, pl.Struct):  # a top-level number out of range decodes to null silently: catch it
        for field in dtype.fields:
            if _inst(field.dtype).is_integer():
                given = prepared.str.json_path_match(f"$.{field.name}").is_not_null()
                lost = (given & decoded.struct.field(field.name).is_null()).fill_null(False)
                if lost.any():
                    decoded = decoded.set(lost, None)
    failed = (prepared.is_not_null() & decoded.is_null() & (prepared.str.strip_chars() != "null")).fill_null(False)
    return decoded, failed


_DEDUPE_BELOW: Final = 0.5
"""Decode distinct values only when they are fewer than this share of the rows."""


def decode_series(series: pl.Series, column: str) -> tuple[pl.Series, int]:
    """``series`` (JSON text of ``column``) decoded to its declared dtype, and how many values did not fit.

    Blank text is null and the JSON literal ``null`` is null; neither counts as a failure.
    Keys are matched case-insensitively, unknown keys are ignored and a missing key is null.
    JSON columns repeat a lot (the same articles for the same answer): each distinct text is
    decoded once, found by its 64-bit hash, and every row is compared with the text its hash
    stands for, so a hash collision can never decode a row wrong (it falls back to all rows).
    """
    dtype = json_dtypes()[column]
    if series.dtype == dtype:
        return series, 0
    text = series.cast(pl.String)
    hashes = text.hash()
    first = hashes.arg_unique()
    if len(first) < _DEDUPE_BELOW * len(text):
        distinct = text.gather(first)
        position = hashes.replace_strict(
            hashes.gather(first), pl.Series(range(len(first)), dtype=pl.UInt32), return_dtype=pl.UInt32
        )
        if text.eq_missing(distinct.gather(position)).all():
            decoded, failed = _decode_text(distinct, column, dtype)
            return decoded.gather(position).alias(series.name), int(failed.gather(position).sum())
    decoded, failed = _decode_text(text, column, dtype)
    return decoded.alias(series.name), int(failed.sum())


def _warn(column: str, failed: int, *, keep_raw: bool) -> None:
    where = f"kept as text in {column}{RAW_SUFFIX}" if keep_raw else "pass keep_raw=True to keep the text"
    warnings.warn(
        f"decode_json: {failed} value(s) of {column} are not JSON of its declared type "
        f"{json_dtypes()[column]}; they are null ({where})",
        DataWarning,
        stacklevel=3,
    )


def _report(column: str, failed: int, *, warn: bool, keep_raw: bool, tally: Counter[str] | None) -> None:
    if not failed:
        return
    if tally is not None:
        tally[column] += failed
    elif warn:
        _warn(column, failed, keep_raw=keep_raw)


def warn_failures(tally: Mapping[str, int], *, keep_raw: bool = False) -> None:
    """One :class:`DataWarning` per column of ``tally`` with its count (a read's batches summed)."""
    for column, failed in tally.items():
        if failed:
            _warn(column, failed, keep_raw=keep_raw)


def decoded_schema(schema: Mapping[str, pl.DataType], *, keep_raw: bool = False) -> pl.Schema:
    """The schema :func:`decode_json_columns` gives a frame of ``schema`` (to declare a lazy source's schema).

    Examples
    --------
    >>> import polars as pl
    >>> decoded_schema({"log_id": pl.Int64(), "pages": pl.String()}, keep_raw=True)
    Schema([('log_id', Int64), ('pages', Struct({'originating_page': String})), ('pages_raw', String)])
    """
    declared = json_dtypes()
    out: dict[str, pl.DataType] = {}
    for name, dtype in schema.items():
        if name in declared and dtype != declared[name]:
            out[name] = declared[name]
            if keep_raw:
                out[name + RAW_SUFFIX] = pl.String()
        else:
            out[name] = dtype
    return pl.Schema(out)


def _batch(series: pl.Series, column: str, warn: bool, keep_raw: bool, tally: Counter[str] | None) -> pl.Series:
    decoded, failed = decode_series(series, column)
    _report(column, failed, warn=warn, keep_raw=keep_raw, tally=tally)
    return decoded


def _chosen(have: Iterable[str], columns: Sequence[str] | None, function: str) -> list[str]:
    declared = json_dtypes()
    have = list(have)
    if columns is None:
        return [name for name in have if name in declared]
    unknown = [name for name in columns if name not in declared]
    if unknown:
        raise ValueError(
            f"{function}(): {', '.join(map(repr, unknown))} has no declared JSON shape; "
            f"the decodable columns are {', '.join(declared)}"
        )
    missing = [name for name in columns if name not in have]
    if missing:
        raise ValueError(f"{function}(): the frame lacks the column(s) {', '.join(missing)}")
    return list(dict.fromkeys(columns))


def decode_json_columns(
    frame: _PolarsT,
    columns: Sequence[str] | None = None,
    *,
    keep_raw: bool = False,
    warn: bool = True,
    tally: Counter[str] | None = None,
) -> _PolarsT:
    """Decode the JSON columns of a Polars frame (eager stays eager, lazy stays lazy).

    ``columns=None``: every column of the frame that has a declared shape. A column that is
    already decoded is left as it is. With ``keep_raw`` each decoded column's text is kept
    next to it as ``<name>_raw`` (:func:`decoded_schema` gives the result's schema). With
    ``warn``, one :class:`DataWarning` per column (per batch for a LazyFrame) gives the
    number of values that did not fit. With a ``tally`` the counts are added to it instead
    of warned, so a read that decodes batch by batch warns once per column at its end
    (:func:`warn_failures`).
    """
    schema = frame.collect_schema()
    chosen = _chosen(schema, columns, "decode_json")
    declared = json_dtypes()
    chosen = [name for name in chosen if schema[name] != declared[name]]
    if not chosen:
        return frame
    exprs: list[pl.Expr] = []
    for name in schema:
        if name not in chosen:
            exprs.append(pl.col(name))
            continue
        if isinstance(frame, pl.DataFrame):
            decoded, failed = decode_series(frame.get_column(name), name)
            _report(name, failed, warn=warn, keep_raw=keep_raw, tally=tally)
            exprs.append(pl.lit(decoded).alias(name))
        else:
            exprs.append(
                pl.col(name).map_batches(
                    functools.partial(_batch, column=name, warn=warn, keep_raw=keep_raw, tally=tally),
                    return_dtype=declared[name],
                    is_elementwise=True,
                )
            )
        if keep_raw:
            exprs.append(pl.col(name).cast(pl.String).alias(name + RAW_SUFFIX))
    return frame.select(exprs)


def decode_json(
    frame: FrameT,
    columns: Sequence[str] | None = None,
    *,
    keep_raw: bool = False,
) -> FrameT:
    """Decode the JSON text columns into their declared Struct/List dtypes.

    The dtypes are those of :func:`digitalcx_frames.schema.json_dtypes` (field names in
    snake_case); ``read_interactions(..., decode_json=True)`` gives exactly the same
    columns. Keys are matched case-insensitively (``score``, ``Score``;
    ``originatingInteractionId``, ``OriginatingInteractionId``), unknown keys are ignored
    and a missing key is null. Decoding is tolerant and never silent: a value that is not
    valid JSON, or does not fit the declared type, becomes null and one
    :class:`~digitalcx_frames.errors.DataWarning` per column gives their count (for a
    LazyFrame: per column and batch, when the batch is computed). Blank text and the JSON
    literal ``null`` are null without a warning. A column that is already decoded is left
    as it is, so decoding twice is harmless.

    Parameters
    ----------
    frame
        Frame with JSON text columns: a Polars DataFrame or LazyFrame (an archive scan, an
        export, a read), a pandas DataFrame, or a narwhals frame of one of them.
    columns
        Columns to decode; ``None`` (default): every column of the frame with a declared
        shape (``output_metadata``, ``article_ids``, ``dialog_paths``, ``recognition_details``,
        ``articles``, ``contexts``, ``pages``, ``feedback_info``). Columns whose shape is not
        documented (``generative_ai_sources``, ``faqs_found``, ``linkclick_info``, and the
        sensitive ``additional_session_info``, ``variables``) stay text.
    keep_raw
        Also keep each decoded column's text as ``<name>_raw`` right after it, so a value
        that did not fit can be inspected.

    Returns
    -------
    The same kind of frame as ``frame`` (eager in, eager out; lazy stays lazy). pandas gets
    ``pd.ArrowDtype`` columns of the same Arrow types, on the same index.

    Raises
    ------
    ValueError
        If ``columns`` names a column without a declared shape or one the frame lacks.

    Examples
    --------
    >>> import polars as pl
    >>> logs = pl.DataFrame(
    ...     {
    ...         "log_id": [1, 2, 3],
    ...         "feedback_info": ['{"Score": -1, "OriginatingInteractionId": "i1"}', '{"score": 1}', None],
    ...         "article_ids": ['["qa-42", "dn-7-3"]', "[]", None],
    ...     }
    ... )
    >>> out = decode_json(logs)
    >>> out.schema["feedback_info"]
    Struct({'score': Int8, 'originating_interaction_id': String, 'comment': String})
    >>> out["feedback_info"].struct.field("score").to_list()
    [-1, 1, None]
    >>> out["article_ids"].to_list()
    [['qa-42', 'dn-7-3'], [], None]

    A value that does not fit is null, reported, and kept with ``keep_raw=True``:

    >>> import warnings
    >>> bad = pl.DataFrame({"pages": ['{"originatingPage": "https://x.nl/a"}', "{not json"]})
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     out = decode_json(bad, keep_raw=True)
    >>> out.rows()
    [({'originating_page': 'https://x.nl/a'}, '{"originatingPage": "https://x.nl/a"}'), (None, '{not json')]
    >>> str(caught[0].message)[:45]
    'decode_json: 1 value(s) of pages are not JSON'
    """
    if isinstance(frame, pl.DataFrame | pl.LazyFrame):
        return decode_json_columns(frame, columns, keep_raw=keep_raw)
    if isinstance(frame, pd.DataFrame):
        return _decode_pandas(frame, columns, keep_raw=keep_raw)
    inner = native(frame, "decode_json")
    out: FrameT = rewrap(decode_json(inner, columns, keep_raw=keep_raw), frame)
    return out


def _decode_pandas(frame: pd.DataFrame, columns: Sequence[str] | None, *, keep_raw: bool) -> pd.DataFrame:
    chosen = _chosen(frame.columns, columns, "decode_json")
    todo = [name for name in chosen if not isinstance(frame[name].dtype, pd.ArrowDtype)]
    if not todo:
        return frame
    text = pl.from_pandas(frame[todo].astype("string"))
    decoded = to_pandas(decode_json_columns(text, todo, keep_raw=keep_raw))
    out = frame.copy()
    for name in todo:
        out[name] = decoded[name].array  # an array: no alignment, the caller's index stays
        if keep_raw:
            out.insert(list(out.columns).index(name) + 1, name + RAW_SUFFIX, frame[name].astype("string"))
    return out
