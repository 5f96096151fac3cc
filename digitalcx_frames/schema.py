"""THE column table: one row per column of the interaction logs.

Everything that needs to know the columns reads them from :data:`COLUMNS`: the parser's
Polars dtypes, the pandas dtypes, the README's column table and the simulator's header.

Examples
--------
>>> from digitalcx_frames.schema import COLUMNS, polars_schema
>>> COLUMNS[0].api_name, COLUMNS[0].name
('LogId', 'log_id')
>>> polars_schema()["timestamp_start"]
Datetime(time_unit='us', time_zone='UTC')
>>> json_dtypes()["pages"]
Struct({'originating_page': String})
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Final

import pandas as pd
import polars as pl
import pyarrow as pa

__all__ = [
    "API_COLUMN_NAMES",
    "COLUMNS",
    "SCHEMA_VERSION",
    "Column",
    "Kind",
    "column_by_api_name",
    "json_dtypes",
    "json_markdown_table",
    "markdown_table",
    "pandas_dtypes",
    "polars_schema",
    "to_pandas",
]

SCHEMA_VERSION: Final = 1
"""Bumped whenever a column, a dtype or a parsing rule changes; part of every cache key."""


class Kind(enum.Enum):
    """How a column is parsed from the wire."""

    INT = "int"
    BOOL = "bool"
    DATETIME = "datetime"
    FLOAT = "float"
    CATEGORY = "category"
    MASK = "mask"
    TEXT = "text"
    JSON = "json"


_POLARS: Final[dict[Kind, pl.DataType]] = {
    Kind.INT: pl.Int64(),
    Kind.BOOL: pl.Boolean(),
    Kind.DATETIME: pl.Datetime("us", "UTC"),
    Kind.FLOAT: pl.Float64(),
    Kind.CATEGORY: pl.Categorical(),
    Kind.MASK: pl.UInt16(),
    Kind.TEXT: pl.String(),
    Kind.JSON: pl.String(),
}

_PANDAS: Final[dict[Kind, str]] = {
    Kind.INT: "Int64",
    Kind.BOOL: "boolean",
    Kind.DATETIME: "datetime64[us, UTC]",
    Kind.FLOAT: "Float64",
    Kind.CATEGORY: "category",
    Kind.MASK: "UInt16",
    Kind.TEXT: "string",
    Kind.JSON: "string",
}


@dataclass(frozen=True, slots=True)
class Column:
    """One column: its wire name, output name, kind, whether it may be null, and meaning."""

    api_name: str
    name: str
    kind: Kind
    nullable: bool
    meaning: str
    json_dtype: pl.DataType | None = None
    """For a JSON column with a known shape: the Polars dtype it decodes to (snake_case fields)."""

    @property
    def polars_dtype(self) -> pl.DataType:
        """The Polars dtype of the output column."""
        return _POLARS[self.kind]

    @property
    def pandas_dtype(self) -> str:
        """The pandas dtype of the output column (always a nullable extension dtype)."""
        return _PANDAS[self.kind]


def _c(api: str, name: str, kind: Kind, nullable: bool, meaning: str, json_dtype: pl.DataType | None = None) -> Column:
    return Column(api, name, kind, nullable, meaning, json_dtype)


def _struct(**fields: pl.DataType) -> pl.Struct:
    return pl.Struct(fields)


def _strings(*names: str) -> pl.Struct:
    return pl.Struct(dict.fromkeys(names, pl.String()))


# The declared shapes of the JSON columns (API.md section 4). Field names are the API's keys in
# snake_case; keys are matched case-insensitively (camelCase and PascalCase both occur). Ids are
# String. Columns whose shape is not known (thin evidence, or sensitive) have none: they stay text.
_OUTPUT_METADATA: Final = pl.List(_strings("key", "value"))
_ARTICLE_IDS: Final = pl.List(pl.String())
_DIALOG_PATHS: Final = _strings("drop_out")
_RECOGNITION_DETAILS: Final = _struct(
    entity_matches=pl.List(_strings("entity_id", "display_name", "name", "match")),
)
_ARTICLES: Final = _struct(
    qa=pl.List(_struct(article_id=pl.String(), categories=pl.List(_strings("name")))),
    dialog=pl.List(_strings("dialog_id", "dialog_name", "node_id", "node_name", "dialog_status", "node_type")),
    event=pl.List(_strings("event_id", "event_name")),
)
_CONTEXTS: Final = pl.List(_strings("name", "value"))
_PAGES: Final = _strings("originating_page")
_FEEDBACK_INFO: Final = _struct(score=pl.Int8(), originating_interaction_id=pl.String(), comment=pl.String())


COLUMNS: Final[tuple[Column, ...]] = (
    _c("LogId", "log_id", Kind.INT, False, "id of the row; unique per row"),
    _c("InteractionUuid", "interaction_uuid", Kind.TEXT, False, "the interaction; not unique per row"),
    _c(
        "OriginatingInteractionUuid",
        "originating_interaction_uuid",
        Kind.TEXT,
        True,
        "for Feedback and LinkClick: the interaction it follows",
    ),
    _c("SessionUuid", "session_uuid", Kind.TEXT, False, "the session"),
    _c(
        "SessionIsActive",
        "session_is_active",
        Kind.BOOL,
        False,
        "session has an interaction other than Event / DataRetrieval / an unfollowed dialog start",
    ),
    _c("TimestampStart", "timestamp_start", Kind.DATETIME, False, "entered the platform (UTC)"),
    _c("TimestampEnd", "timestamp_end", Kind.DATETIME, False, "left the platform (UTC)"),
    _c("Culture", "culture", Kind.CATEGORY, False, "culture, `nl` or `nl-NL` style"),
    _c(
        "MainInteractionType",
        "main_interaction_type",
        Kind.CATEGORY,
        False,
        "the one type used for recognition (API name; an unknown name stays as text)",
    ),
    _c(
        "AllInteractionTypes",
        "all_interaction_types",
        Kind.MASK,
        False,
        "all types involved, as an InteractionType bit mask (unknown names set bit 1<<15)",
    ),
    _c(
        "InteractionValue",
        "interaction_value",
        Kind.TEXT,
        True,
        "user question, clicked option (`<dialogId>:<nodeId>`), feedback `yes`/`no`",
    ),
    _c("OutputText", "output_text", Kind.TEXT, True, "answer returned"),
    _c(
        "OutputMetadata",
        "output_metadata",
        Kind.JSON,
        True,
        "JSON: usually an array of `{key, value}`",
        _OUTPUT_METADATA,
    ),
    _c("ArticleIds", "article_ids", Kind.JSON, True, 'JSON: e.g. `["qa-42","dn-7-3"]`', _ARTICLE_IDS),
    _c("DialogPaths", "dialog_paths", Kind.JSON, True, 'JSON: e.g. `{"DropOut":"12:34"}`', _DIALOG_PATHS),
    _c("TDialogStatus", "t_dialog_status", Kind.TEXT, True, "transactional dialog status"),
    _c("RecognitionType", "recognition_type", Kind.TEXT, True, "e.g. `GenerativeAI`, `Entity Recognition`"),
    _c("RecognitionQuality", "recognition_quality", Kind.FLOAT, True, "0-100; 0 with a type = not recognised"),
    _c(
        "RecognitionDetails",
        "recognition_details",
        Kind.JSON,
        True,
        "JSON: entity matches, missing words",
        _RECOGNITION_DETAILS,
    ),
    _c("GenerativeAISources", "generative_ai_sources", Kind.JSON, True, "JSON: sources of a generated answer"),
    _c("Articles", "articles", Kind.JSON, True, "JSON: matched articles and dialog nodes", _ARTICLES),
    _c("FaqsFound", "faqs_found", Kind.JSON, True, "JSON: FAQs shown (DataRetrievals)"),
    _c("Contexts", "contexts", Kind.JSON, True, "JSON: `[{name, value}]`", _CONTEXTS),
    _c("Pages", "pages", Kind.JSON, True, "JSON: `{originatingPage: ...}`", _PAGES),
    _c("LinkclickInfo", "linkclick_info", Kind.JSON, True, "JSON: link click details"),
    _c(
        "FeedbackInfo",
        "feedback_info",
        Kind.JSON,
        True,
        "JSON: `{score: 1 or -1, comment, originatingInteractionId}`",
        _FEEDBACK_INFO,
    ),
    _c(
        "AdditionalSessionInfo",
        "additional_session_info",
        Kind.JSON,
        True,
        "JSON, sensitive: only with include_user_info=True and the rights for it",
    ),
    _c("Variables", "variables", Kind.JSON, True, "JSON, sensitive: same rule as additional_session_info"),
)

API_COLUMN_NAMES: Final = tuple(c.api_name for c in COLUMNS)
_BY_API: Final = {c.api_name.casefold(): c for c in COLUMNS}


def column_by_api_name(name: str) -> Column | None:
    """The column for a wire header name, matched case-insensitively (``None`` if undocumented)."""
    return _BY_API.get(name.strip().casefold())


def polars_schema() -> pl.Schema:
    """The output schema of :func:`digitalcx_frames.read_interactions` as a ``pl.Schema``."""
    return pl.Schema({c.name: c.polars_dtype for c in COLUMNS})


def pandas_dtypes() -> dict[str, str]:
    """The pandas dtype of each output column (nullable extension dtypes only)."""
    return {c.name: c.pandas_dtype for c in COLUMNS}


def json_dtypes() -> dict[str, pl.DataType]:
    """The decoded dtype of each JSON column whose shape is declared, in column order.

    These are the dtypes :func:`digitalcx_frames.features.decode_json` (and
    ``read_interactions(..., decode_json=True)``) give the JSON columns; the other JSON
    columns (``generative_ai_sources``, ``faqs_found``, ``linkclick_info``,
    ``additional_session_info``, ``variables``) stay text.

    Examples
    --------
    >>> from digitalcx_frames.schema import json_dtypes
    >>> list(json_dtypes())  # doctest: +NORMALIZE_WHITESPACE
    ['output_metadata', 'article_ids', 'dialog_paths', 'recognition_details',
     'articles', 'contexts', 'pages', 'feedback_info']
    >>> json_dtypes()["feedback_info"]
    Struct({'score': Int8, 'originating_interaction_id': String, 'comment': String})
    """
    return {c.name: c.json_dtype for c in COLUMNS if c.json_dtype is not None}


_ARROW_TO_PANDAS: Final[dict[pa.DataType, object]] = {
    pa.int8(): pd.Int8Dtype(),
    pa.int16(): pd.Int16Dtype(),
    pa.int32(): pd.Int32Dtype(),
    pa.int64(): pd.Int64Dtype(),
    pa.uint8(): pd.UInt8Dtype(),
    pa.uint16(): pd.UInt16Dtype(),
    pa.uint32(): pd.UInt32Dtype(),
    pa.uint64(): pd.UInt64Dtype(),
    pa.bool_(): pd.BooleanDtype(),
    pa.float32(): pd.Float32Dtype(),
    pa.float64(): pd.Float64Dtype(),
    pa.string(): pd.StringDtype(),
    pa.large_string(): pd.StringDtype(),
    pa.string_view(): pd.StringDtype(),
}


def _pandas_dtype_of(arrow_type: pa.DataType) -> object:
    """The nullable pandas dtype for an Arrow type (``None``: pyarrow's own default)."""
    if pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type) or pa.types.is_struct(arrow_type):
        return pd.ArrowDtype(arrow_type)
    if pa.types.is_list_view(arrow_type) or pa.types.is_large_list_view(arrow_type):
        return pd.ArrowDtype(arrow_type)
    return _ARROW_TO_PANDAS.get(arrow_type)


def to_pandas(frame: pl.DataFrame) -> pd.DataFrame:
    """Convert a Polars frame to pandas with nullable dtypes (no int turned float).

    THE one Arrow→pandas converter of the package (the read's pandas backend and every
    feature use it). Integers keep their width as ``Int64``/``UInt32``/``UInt16``…, flags
    are ``boolean``, floats ``Float64``, text ``string``, categoricals ``category``,
    timestamps ``datetime64[us, UTC]``, durations ``timedelta64[us]``, dates
    ``datetime64[ms]`` and decoded JSON (lists, structs) ``pd.ArrowDtype`` of the same
    Arrow type.

    Examples
    --------
    >>> import polars as pl
    >>> frame = pl.DataFrame({"mask": pl.Series([2, None], dtype=pl.UInt16), "ids": [["qa-1"], None]})
    >>> to_pandas(frame).dtypes.astype(str).tolist()
    ['UInt16', 'large_list<item: large_string>[pyarrow]']
    """
    out: pd.DataFrame = frame.to_arrow().to_pandas(types_mapper=_pandas_dtype_of, date_as_object=False)
    for name, dtype in frame.schema.items():
        if isinstance(dtype, pl.Categorical | pl.Enum) and out[name].dtype != "category":
            out[name] = out[name].astype("category")
    return out


def json_markdown_table() -> str:
    """The README's table of the JSON columns and their decoded dtypes, from :data:`COLUMNS`."""
    lines = ["| output column | decoded dtype (`decode_json`) |", "|---|---|"]
    for c in COLUMNS:
        if c.kind is Kind.JSON:
            decoded = str(c.json_dtype) if c.json_dtype is not None else "String (shape not documented: kept as text)"
            lines.append(f"| `{c.name}` | {decoded} |")
    return "\n".join(lines)


def markdown_table() -> str:
    """The README's column table, generated from :data:`COLUMNS`."""
    lines = [
        "| API column | output column | Polars dtype | pandas dtype | null | meaning |",
        "|---|---|---|---|---|---|",
    ]
    for c in COLUMNS:
        lines.append(
            f"| {c.api_name} | `{c.name}` | {c.polars_dtype} | {c.pandas_dtype} | "
            f"{'yes' if c.nullable else 'no'} | {c.meaning} |"
        )
    return "\n".join(lines)
