"""The one schema table: declared JSON dtypes and the one Arrow->pandas converter."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import polars as pl
import pyarrow as pa

from digitalcx_frames.schema import COLUMNS, Kind, json_dtypes, json_markdown_table, polars_schema, to_pandas


def _field_names(dtype: object) -> list[str]:
    if isinstance(dtype, pl.Struct):
        return [f.name for f in dtype.fields] + [n for f in dtype.fields for n in _field_names(f.dtype)]
    if isinstance(dtype, pl.List):
        return _field_names(dtype.inner)
    return []


def test_json_dtypes_are_declared_on_json_columns_only() -> None:
    declared = json_dtypes()
    assert set(declared) <= {c.name for c in COLUMNS if c.kind is Kind.JSON}
    assert declared["article_ids"] == pl.List(pl.String)
    assert declared["feedback_info"] == pl.Struct(
        {"score": pl.Int8, "originating_interaction_id": pl.String, "comment": pl.String}
    )
    assert declared["output_metadata"] == pl.List(pl.Struct({"key": pl.String, "value": pl.String}))
    assert declared["contexts"] == pl.List(pl.Struct({"name": pl.String, "value": pl.String}))
    assert declared["articles"].to_schema()["dialog"] == pl.List(  # type: ignore[attr-defined]
        pl.Struct(
            dict.fromkeys(["dialog_id", "dialog_name", "node_id", "node_name", "dialog_status", "node_type"], pl.String)
        )
    )
    # sensitive or undocumented shapes stay text
    assert not {"variables", "additional_session_info", "faqs_found", "linkclick_info"} & set(declared)
    # the read's own schema is unchanged: JSON columns are text until decoded
    assert all(polars_schema()[name] == pl.String for name in declared)


def test_declared_field_names_are_snake_case() -> None:
    for dtype in json_dtypes().values():
        for name in _field_names(dtype):
            assert name == name.lower(), name
            assert name.replace("_", "").isalnum(), name


def test_json_markdown_table_lists_every_json_column() -> None:
    table = json_markdown_table()
    for c in COLUMNS:
        assert (f"`{c.name}`" in table) == (c.kind is Kind.JSON)
    assert "Struct({'originating_page': String})" in table


def test_to_pandas_keeps_every_integer_width_nullable() -> None:
    frame = pl.DataFrame(
        {
            "i8": pl.Series([1, None], dtype=pl.Int8),
            "u32": pl.Series([1, None], dtype=pl.UInt32),
            "u16": pl.Series([1, None], dtype=pl.UInt16),
            "i64": pl.Series([1, None], dtype=pl.Int64),
            "f": pl.Series([1.5, None], dtype=pl.Float64),
            "b": pl.Series([True, None], dtype=pl.Boolean),
            "s": pl.Series(["a", None], dtype=pl.String),
            "c": pl.Series(["a", None], dtype=pl.Categorical),
            "d": [dt.date(2026, 3, 25), None],
        }
    )
    out = to_pandas(frame)
    assert out.dtypes.astype(str).tolist() == [
        "Int8", "UInt32", "UInt16", "Int64", "Float64", "boolean", "string", "category", "datetime64[ms]",
    ]  # fmt: skip
    assert out["u16"].isna().tolist() == [False, True]


def test_to_pandas_gives_decoded_json_arrow_dtypes() -> None:
    dtype = json_dtypes()["feedback_info"]
    frame = pl.DataFrame(
        {"feedback_info": pl.Series([{"score": 1, "originating_interaction_id": "a"}, None], dtype=dtype)}
    )
    out = to_pandas(frame)
    assert isinstance(out["feedback_info"].dtype, pd.ArrowDtype)
    arrow_type = out["feedback_info"].dtype.pyarrow_dtype
    assert pa.types.is_struct(arrow_type)
    assert [arrow_type.field(i).name for i in range(arrow_type.num_fields)] == [
        "score",
        "originating_interaction_id",
        "comment",
    ]
    assert out["feedback_info"].isna().tolist() == [False, True]
    assert pl.from_pandas(out)["feedback_info"].dtype == dtype
