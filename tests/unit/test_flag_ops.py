"""Vectorised flag functions and the .dcx namespaces, held to the pure-Python IntFlag answer.

One test body runs for every backend (Polars expression on a lazy frame, Polars Series,
pandas Series), narwhals-style, through the typed functions and through ``.dcx``.
"""

from __future__ import annotations

import importlib
import warnings
from typing import Any

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import digitalcx_frames._accessors
from digitalcx_frames import flag_ops
from digitalcx_frames.errors import DataWarning
from digitalcx_frames.flag_ops import _decode_distinct  # the path taken on a 64-bit hash collision
from digitalcx_frames.flags import InteractionType, InteractionTypeError
from tests.strategies import json_text, mask_columns, masks, name_lists

BACKENDS = ["polars-expr", "polars-series", "pandas"]
FIELDS = [f"is_{(member.name or '').lower()}" for member in InteractionType.known()]
PROPERTY = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _python(value: Any) -> Any:
    """A backend's cell as plain Python: None for any null, lists as lists."""
    if value is None or value is pd.NA:
        return None
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, list):
        return [str(item) for item in value]
    return value


def dcx(obj: Any) -> Any:
    """The ``.dcx`` namespace of ``obj`` (type checkers cannot see custom namespaces)."""
    return obj.dcx


def _input(backend: str, values: list[Any], dtype: Any) -> Any:
    if backend == "pandas":  # a shuffled, non-default index catches results aligned by label
        return pd.Series(values, dtype=dtype, name="m", index=[7 * i % 101 + 1000 for i in range(len(values))])
    return pl.Series("m", values, dtype=dtype)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture(params=["function", "accessor"])
def via(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


def run(backend: str, via: str, method: str, values: Any, *, dtype: Any = None, **kwargs: Any) -> list[Any]:
    """Run ``method`` on ``values`` with one backend; return plain Python rows."""
    data = _input(backend, values, dtype)
    if backend == "polars-expr":
        target: Any = pl.col("m")
    else:
        target = data
    result = getattr(target.dcx, method)(**kwargs) if via == "accessor" else getattr(flag_ops, method)(target, **kwargs)
    if backend == "polars-expr":
        assert isinstance(result, pl.Expr)
        result = pl.LazyFrame({"m": data}).select(result).collect().to_series()
    if isinstance(result, pd.DataFrame):
        return [
            None if all(_python(v) is None for v in row) else dict(zip(result.columns, map(_python, row), strict=True))
            for row in result.itertuples(index=False)
        ]
    if isinstance(result, pl.Series) and result.dtype == pl.Struct:
        return result.to_list()
    return [_python(value) for value in (result.to_list() if isinstance(result, pl.Series) else list(result))]


def mask_dtype(backend: str) -> Any:
    return "UInt16" if backend == "pandas" else pl.UInt16


# --------------------------------------------------------------------------- agreement with IntFlag


@PROPERTY
@given(values=mask_columns(unknown=True), flag=masks())
def test_has_and_has_any_agree_with_intflag(backend: str, values: list[int | None], flag: int) -> None:
    dtype = mask_dtype(backend)
    expected_all = [None if v is None else (InteractionType(v) & flag) == flag for v in values]
    expected_any = [None if v is None else bool(InteractionType(v) & flag) for v in values]
    assert run(backend, "function", "has", values, dtype=dtype, flag=flag) == expected_all
    assert (
        run(backend, "function", "has_any", values, dtype=dtype, flag=InteractionType(flag).api_names()) == expected_any
    )


@PROPERTY
@given(values=mask_columns(unknown=True))
def test_names_agree_with_intflag(backend: str, values: list[int | None]) -> None:
    expected = [None if v is None else InteractionType(v).api_names() for v in values]
    assert run(backend, "function", "names", values, dtype=mask_dtype(backend)) == expected


@PROPERTY
@given(values=mask_columns(unknown=True))
def test_one_hot_agrees_with_intflag(backend: str, values: list[int | None]) -> None:
    expected = [
        None if v is None else {f: bool(v & int(m)) for f, m in zip(FIELDS, InteractionType.known(), strict=True)}
        for v in values
    ]
    assert run(backend, "function", "one_hot", values, dtype=mask_dtype(backend)) == expected


@PROPERTY
@given(data=st.data())
def test_from_names_agrees_with_the_codec(backend: str, data: st.DataObject) -> None:
    rows = data.draw(st.lists(st.none() | name_lists(), min_size=1, max_size=30))
    texts = [None if row is None else data.draw(json_text(row[1])) for row in rows]
    expected = [None if row is None else row[0] for row in rows]
    assert run(backend, "function", "from_names", texts, dtype="str" if backend == "pandas" else pl.String) == expected
    lists = [None if row is None else row[1] for row in rows]
    list_dtype = pd.ArrowDtype(pa.list_(pa.string())) if backend == "pandas" else pl.List(pl.String)
    assert run(backend, "function", "from_names", lists, dtype=list_dtype) == expected


@pytest.mark.parametrize(
    ("method", "values", "kwargs"),
    [
        ("has", [10, None, 2], {"flag": ["QA", "Dialog"]}),
        ("has_any", [10, None, 1], {"flag": 131}),
        ("names", [10, None, 1 << 15 | 4], {}),
        ("one_hot", [10, None], {"prefix": "x_"}),
        ("from_names", ['[ "Dialog", "QA"]', None, '["Linkclick"]'], {}),
        ("from_names", ['["Smalltalk"]', None], {"unknown": "flag"}),
    ],
)
def test_accessor_gives_what_the_function_gives(backend: str, method: str, values: list[Any], kwargs: Any) -> None:
    if method == "from_names":
        dtype: Any = "str" if backend == "pandas" else pl.String
    else:
        dtype = mask_dtype(backend)
    via_function = run(backend, "function", method, values, dtype=dtype, **kwargs)
    assert run(backend, "accessor", method, values, dtype=dtype, **kwargs) == via_function
    assert via_function[1] is None


@pytest.mark.parametrize(
    "dtype", [pl.Int16, pl.Int32, pl.Int64, pl.UInt16, pl.UInt32, pl.UInt64, "Int64", "int64", "UInt32", "i16pa"]
)
def test_any_integer_dtype_is_accepted(dtype: Any) -> None:
    values = [0, 3, 1023, 130]
    if isinstance(dtype, str):
        pandas_dtype = pd.ArrowDtype(pa.int16()) if dtype == "i16pa" else dtype
        masks_in: Any = pd.Series(values, dtype=pandas_dtype)
        result = flag_ops.has_any(masks_in, "Event").tolist()
        assert [bool(v) for v in result] == [False, True, True, False]
        assert flag_ops.names(masks_in).tolist()[3] == ["QA", "TransactionalDialog"]
    else:
        series = pl.Series(values, dtype=dtype)
        assert flag_ops.has_any(series, "Event").to_list() == [False, True, True, False]
        assert flag_ops.names(series)[3].to_list() == ["QA", "TransactionalDialog"]


def test_small_integer_types_are_widened_so_every_bit_fits() -> None:
    series = pl.Series([3, 127], dtype=pl.Int8)
    assert flag_ops.has(series, 512).to_list() == [False, False]
    assert flag_ops.has(series, "QA").to_list() == [True, True]


# --------------------------------------------------------------------------- result types


def frame_values_ok(frame: pd.DataFrame) -> bool:
    return bool(frame["is_qa"].tolist() == [True, pd.NA, True] and frame["is_dialog"].tolist() == [True, pd.NA, False])


def test_pandas_results_have_nullable_dtypes_and_keep_the_index() -> None:
    masks_in = pd.Series([10, None, 2], dtype="UInt16", index=[5, 7, 9], name="all_interaction_types")
    has = masks_in.dcx.has("QA")
    assert str(has.dtype) == "boolean"
    assert list(has.index) == [5, 7, 9]
    assert has.tolist() == [True, pd.NA, True]
    assert frame_values_ok(masks_in.dcx.one_hot())
    assert has.name == "all_interaction_types"
    assert masks_in.dcx.names().dtype == pd.ArrowDtype(pa.list_(pa.string()))
    decoded = pd.Series(['["QA"]', None], dtype="str").dcx.from_names()
    assert str(decoded.dtype) == "UInt16"
    frame = masks_in.dcx.one_hot()
    assert list(frame.columns) == FIELDS
    assert list(frame.index) == [5, 7, 9]
    assert all(str(dtype) == "boolean" for dtype in frame.dtypes)


def test_polars_results_are_typed_and_unnest_into_columns() -> None:
    frame = pl.DataFrame({"t": pl.Series([10, None], dtype=pl.UInt16)})
    out = frame.select(dcx(pl.col("t")).one_hot(prefix="has_")).unnest("t")
    assert out.columns == [f"has_{name[3:]}" for name in FIELDS]
    assert out.row(1) == (None,) * 10
    schema = (
        frame.lazy()
        .select(a=dcx(pl.col("t")).has(2), n=dcx(pl.col("t")).names(), m=dcx(pl.lit('["QA"]')).from_names())
        .collect_schema()
    )
    assert dict(schema) == {"a": pl.Boolean, "n": pl.List(pl.String), "m": pl.UInt16}
    named = pl.Series("types", [10], dtype=pl.UInt16)
    assert {flag_ops.has(named, 2).name, flag_ops.names(named).name, flag_ops.one_hot(named).name} == {"types"}
    assert frame.select(flag_ops.names("t")).columns == ["t"]


@pytest.mark.parametrize("kind", ["polars", "lazy", "pandas"])
def test_with_one_hot_appends_columns_and_returns_a_new_frame(kind: str) -> None:
    data = {"all_interaction_types": [10, None], "x": [1, 2]}
    if kind == "pandas":
        frame: Any = pd.DataFrame(data, index=[3, 3]).astype({"all_interaction_types": "UInt16"})
        out = frame.dcx.one_hot()
        assert list(frame.columns) == ["all_interaction_types", "x"]
        rows = out.astype(object).where(out.notna(), None).to_dict("records")
    else:
        frame = pl.DataFrame(data, schema_overrides={"all_interaction_types": pl.UInt16})
        out = flag_ops.with_one_hot(frame.lazy() if kind == "lazy" else frame, "all_interaction_types")
        rows = (out.collect() if kind == "lazy" else out).to_dicts()
        assert frame.columns == ["all_interaction_types", "x"]
    assert rows[0]["is_qa"] is True
    assert rows[0]["is_event"] is False
    assert rows[1]["is_qa"] is None
    assert rows[1]["x"] == 2


# --------------------------------------------------------------------------- errors


def test_unknown_names_raise_by_default_and_flag_on_request(backend: str) -> None:
    texts = ['["QA","Smalltalk"]', None, '["Dialog"]']
    dtype = "str" if backend == "pandas" else pl.String
    with pytest.raises(InteractionTypeError, match="Smalltalk"):
        run(backend, "function", "from_names", texts, dtype=dtype)
    assert run(backend, "function", "from_names", texts, dtype=dtype, unknown="flag") == [1 << 15 | 2, None, 8]


def test_unknown_names_are_counted_per_row() -> None:
    texts = ['["QA","Smalltalk","Smalltalk"]', '["Smalltalk", "Chitchat"]', '["Dialog"]', None]
    assert flag_ops.unknown_names(pl.Series(texts)) == {"Smalltalk": 2, "Chitchat": 1}
    assert pd.Series(texts, dtype="str").dcx.unknown_names() == {"Smalltalk": 2, "Chitchat": 1}
    assert flag_ops.unknown_names(pl.Series([["x", "QA"], ["x"], None])) == {"x": 2}


@pytest.mark.parametrize("flag", [-1, 1024, 2.5, "Smalltalk", [3]])
def test_bad_flag_arguments_raise_value_errors(backend: str, flag: Any) -> None:
    with pytest.raises(InteractionTypeError):
        run(backend, "function", "has", [1, 2], dtype=mask_dtype(backend), flag=flag)


@pytest.mark.parametrize("method", ["has", "has_any", "names", "one_hot"])
def test_mask_functions_reject_string_columns(backend: str, via: str, method: str) -> None:
    kwargs = {"flag": "QA"} if method.startswith("has") else {}
    dtype = "str" if backend == "pandas" else pl.String
    with pytest.raises(TypeError, match=f"{method}\\(\\) needs an integer mask column"):
        run(backend, via, method, ['["QA"]'], dtype=dtype, **kwargs)


def test_from_names_rejects_integer_columns(backend: str) -> None:
    with pytest.raises(TypeError, match="from_names\\(\\) needs a String column"):
        run(backend, "function", "from_names", [1, 2], dtype=mask_dtype(backend))


def test_categorical_names_decode() -> None:
    texts = ['["QA"]', None, '["Dialog", "qa"]']
    assert flag_ops.from_names(pl.Series(texts, dtype=pl.Categorical)).to_list() == [2, None, 10]
    assert dcx(pd.Series(texts, dtype="category")).from_names().tolist() == [2, pd.NA, 10]


def test_unknown_policy_is_validated() -> None:
    with pytest.raises(ValueError, match="'raise' or 'flag'"):
        flag_ops.from_names(pl.Series(['["QA"]']), unknown="ignore")  # type: ignore[call-overload]


def test_pandas_accessor_refuses_unsuitable_dtypes() -> None:
    with pytest.raises(AttributeError, match=r"Can only use \.dcx"):
        _ = pd.Series([1.5, 2.0]).dcx
    with pytest.raises(AttributeError, match=r"Can only use \.dcx"):
        _ = pd.Series(pd.to_datetime(["2026-01-01"])).dcx


def test_other_inputs_are_refused() -> None:
    with pytest.raises(TypeError, match="expected a Polars expression"):
        flag_ops.has([1, 2], "QA")  # type: ignore[call-overload]


# --------------------------------------------------------------------------- purity and registration


def test_inputs_are_not_mutated() -> None:
    pandas_masks = pd.Series([10, None, 3], dtype="UInt16")
    polars_masks = pl.Series([10, None, 3], dtype=pl.UInt16)
    texts = pd.Series(['["QA"]', None], dtype="str")
    frame = pd.DataFrame({"all_interaction_types": pandas_masks})
    copies = (pandas_masks.copy(), polars_masks.clone(), texts.copy(), frame.copy())
    for masks_in in (pandas_masks, polars_masks):
        flag_ops.has(masks_in, 2)
        flag_ops.names(masks_in)
        flag_ops.one_hot(masks_in)
    flag_ops.from_names(texts)
    frame.dcx.one_hot()
    assert pandas_masks.equals(copies[0])
    assert polars_masks.equals(copies[1], null_equal=True)
    assert texts.equals(copies[2])
    assert frame.equals(copies[3])


def test_registration_happens_once_and_reloading_does_not_warn() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        importlib.reload(digitalcx_frames._accessors)
    assert type(dcx(pl.col("x"))).__name__ == "ExprFlags"
    assert type(dcx(pd.Series([1]))).__name__ == "PandasSeriesFlags"
    assert dcx(pl.Series([2])).has("QA").to_list() == [True]


def test_public_names_are_sorted_and_exist() -> None:
    assert flag_ops.__all__ == sorted(flag_ops.__all__)
    assert all(hasattr(flag_ops, name) for name in flag_ops.__all__)


def test_the_collision_fallback_decodes_like_the_fast_path() -> None:
    texts = pl.Series(['[ "Dialog", "QA"]', None, "[]", '["Smalltalk"]', '[ "Dialog", "QA"]'])
    expected = [10, None, 0, 1 << 15, 10]
    assert _decode_distinct(texts, "flag").to_list() == expected
    assert flag_ops.from_names(texts, unknown="flag").to_list() == expected


# --------------------------------------------------------------------------- the has/has_any trap (issue 14 item 10)


def test_the_first_docstring_lines_say_all_and_any() -> None:
    assert "ALL" in (flag_ops.has.__doc__ or "").splitlines()[0]
    assert "ANY" in (flag_ops.has_any.__doc__ or "").splitlines()[0]


@pytest.mark.parametrize("kind", ["polars", "pandas"])
def test_has_of_several_names_that_matches_nothing_warns_once_and_names_has_any(kind: str) -> None:
    values = [2, 8, None]  # a QA row and a Feedback row, none that is both
    masks_in: Any = pl.Series(values, dtype=pl.UInt16) if kind == "polars" else pd.Series(values, dtype="UInt16")
    with pytest.warns(DataWarning, match=r"ALL of \['QA', 'Feedback'\].*has_any") as caught:
        result = masks_in.dcx.has(["QA", "Feedback"])
    assert len(caught) == 1
    assert caught[0].filename == __file__  # it points at the user's line, not the library's
    assert _python(result[0]) is False


@pytest.mark.parametrize(
    ("values", "flag"),
    [
        ([10, 8], ["QA", "Dialog"]),  # a row has both: not empty
        ([1, 4], ["QA", "Dialog"]),  # has_any would be empty too: nothing to point out
        ([2, 8], "QA"),  # one name
        ([2, 8], 10),  # a mask given as a number is deliberate
        ([], ["QA", "Dialog"]),
    ],
)
def test_has_does_not_warn_when_the_trap_is_not_there(values: list[int], flag: Any) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        flag_ops.has(pl.Series(values, dtype=pl.UInt16), flag)
        flag_ops.has(pd.Series(values, dtype="UInt16"), flag)
        pl.DataFrame({"m": pl.Series(values, dtype=pl.UInt16)}).select(dcx(pl.col("m")).has(flag))


# --------------------------------------------------------------------------- help() on .dcx (issue 11 item 8)

NAMESPACES = [
    (dcx(pl.col("m")), ["has", "has_any", "names", "one_hot", "from_names", "unknown_names"]),
    (dcx(pl.Series("m", [2], dtype=pl.UInt16)), ["has", "has_any", "names", "one_hot", "from_names", "unknown_names"]),
    (pd.Series([2], dtype="UInt16").dcx, ["has", "has_any", "names", "one_hot", "from_names", "unknown_names"]),
    (pd.DataFrame({"all_interaction_types": pd.array([2], dtype="UInt16")}).dcx, ["one_hot"]),
]


@pytest.mark.parametrize(("namespace", "methods"), NAMESPACES)
def test_help_on_a_dcx_method_shows_the_full_documentation(namespace: Any, methods: list[str]) -> None:
    import pydoc

    for method in methods:
        target = "with_one_hot" if type(namespace).__name__ == "PandasFrameFlags" else method
        function = getattr(flag_ops, target)
        shown = pydoc.render_doc(getattr(namespace, method), renderer=pydoc.plaintext)  # type: ignore[attr-defined]
        assert f"flag_ops.{target}(" in shown
        for section in ("Returns", "Examples", ">>> "):
            assert section in shown, (method, section)
        assert function.__doc__.strip().splitlines()[0] in shown


# --------------------------------------------------------------------------- unknown names (issue 14 item 9)


def test_polars_expressions_get_unknown_names_of_each_row() -> None:
    frame = pl.DataFrame(
        {
            "text": ['["QA","Smalltalk"]', '["Dialog"]', None, '["Zz","Smalltalk","Zz"]'],
            "lists": [["QA", "Smalltalk"], ["Dialog"], None, ["Zz", "Smalltalk"]],
        }
    )
    out = frame.lazy().select(dcx(pl.col("text")).unknown_names(), flag_ops.unknown_names("lists")).collect()
    expected = [["Smalltalk"], [], None, ["Smalltalk", "Zz"]]
    assert out["text"].to_list() == expected
    assert out["lists"].to_list() == expected
    assert out.schema == pl.Schema({"text": pl.List(pl.String), "lists": pl.List(pl.String)})
    assert dcx(frame["text"]).unknown_names() == {"Smalltalk": 2, "Zz": 1}


def test_names_documents_that_unknown_types_are_seen_only_through_unknown_names() -> None:
    assert "unknown_names" in (flag_ops.names.__doc__ or "")
    assert "unknown_names" in (dcx(pl.col("m")).names.__doc__ or "")


def test_unknown_names_of_single_names_such_as_main_interaction_type() -> None:
    values = ["QA", "Smalltalk", None, "Smalltalk", "faqclicks"]  # an alias is known
    assert dcx(pl.Series(values)).unknown_names() == {"Smalltalk": 2}
    assert dcx(pd.Series(values, dtype="category")).unknown_names() == {"Smalltalk": 2}
    per_row = pl.DataFrame({"main": values}).select(dcx(pl.col("main")).unknown_names())["main"]
    assert per_row.to_list() == [[], ["Smalltalk"], None, ["Smalltalk"], []]
