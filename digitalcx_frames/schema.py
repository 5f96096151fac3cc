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

    @property
    def polars_dtype(self) -> pl.DataType:
        """The Polars dtype of the output column."""
        return _POLARS[self.kind]

    @property
    def pandas_dtype(self) -> str:
        """The pandas dtype of the output column (always a nullable extension dtype)."""
        return _PANDAS[self.kind]


def _c(api: str, name: str, kind: Kind, nullable: bool, meaning: str) -> Column:
    return Column(api, name, kind, nullable, meaning)


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
    _c("OutputMetadata", "output_metadata", Kind.JSON, True, "JSON: usually an array of `{key, value}`"),
    _c("ArticleIds", "article_ids", Kind.JSON, True, 'JSON: e.g. `["qa-42","dn-7-3"]`'),
    _c("DialogPaths", "dialog_paths", Kind.JSON, True, 'JSON: e.g. `{"DropOut":"12:34"}`'),
    _c("TDialogStatus", "t_dialog_status", Kind.TEXT, True, "transactional dialog status"),
    _c("RecognitionType", "recognition_type", Kind.TEXT, True, "e.g. `GenerativeAI`, `Entity Recognition`"),
    _c("RecognitionQuality", "recognition_quality", Kind.FLOAT, True, "0-100; 0 with a type = not recognised"),
    _c("RecognitionDetails", "recognition_details", Kind.JSON, True, "JSON: entity matches, missing words"),
    _c("GenerativeAISources", "generative_ai_sources", Kind.JSON, True, "JSON: sources of a generated answer"),
    _c("Articles", "articles", Kind.JSON, True, "JSON: matched articles and dialog nodes"),
    _c("FaqsFound", "faqs_found", Kind.JSON, True, "JSON: FAQs shown (DataRetrievals)"),
    _c("Contexts", "contexts", Kind.JSON, True, "JSON: `[{name, value}]`"),
    _c("Pages", "pages", Kind.JSON, True, "JSON: `{originatingPage: ...}`"),
    _c("LinkclickInfo", "linkclick_info", Kind.JSON, True, "JSON: link click details"),
    _c("FeedbackInfo", "feedback_info", Kind.JSON, True, "JSON: `{score: 1 or -1, comment, originatingInteractionId}`"),
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


_ARROW_TO_PANDAS: Final = {
    pa.int64(): pd.Int64Dtype(),
    pa.uint16(): pd.UInt16Dtype(),
    pa.bool_(): pd.BooleanDtype(),
    pa.float64(): pd.Float64Dtype(),
    pa.string(): pd.StringDtype(),
    pa.large_string(): pd.StringDtype(),
    pa.string_view(): pd.StringDtype(),
}


def to_pandas(frame: pl.DataFrame) -> pd.DataFrame:
    """Convert a typed Polars frame to pandas with nullable dtypes (no int turned float).

    Integer masks stay ``UInt16``, ids ``Int64``, flags ``boolean``, text ``string``,
    categoricals ``category`` and timestamps ``datetime64[us, UTC]``.
    """
    table = frame.to_arrow()
    out: pd.DataFrame = table.to_pandas(types_mapper=_ARROW_TO_PANDAS.get)
    for name, dtype in frame.schema.items():
        if isinstance(dtype, pl.Categorical | pl.Enum) and out[name].dtype != "category":
            out[name] = out[name].astype("category")
    return out


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
