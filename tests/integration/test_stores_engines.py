"""The archive as a dataset for other engines: DuckDB, pyarrow.dataset, Dask and Polars read the same rows (issue 17).

Each engine reads the folder as it is, with hive partitioning; the manifest and the lock
(names starting with ``_`` and ``.``) are not data. Types are compatible, not identical:
the other engines give categoricals as strings and may read the partition ``date`` as text,
so each result is cast to the archive's schema (strictly: a value that does not convert
fails the test) and compared with :func:`~digitalcx_frames.scan_archive`.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from digitalcx_frames._archive import PARTITION_SCHEMA, scan_archive, sync_archive
from digitalcx_frames.schema import polars_schema
from digitalcx_frames.simulator import Simulator
from tests.conftest import SIM_NOW, make_client

FULL = pl.Schema({**polars_schema(), **PARTITION_SCHEMA})


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("engines") / "archive"
    with Simulator(rows_per_day=200, page_size=1000, today=SIM_NOW.date(), seed=3) as sim:
        result = sync_archive(
            root,
            sim.customer_key,
            sim.project_key,
            culture=sim.culture,
            start=date(2026, 11, 16),
            client=make_client(sim),
            now=SIM_NOW,
            include_user_info=True,
        )
    assert result.ok, result.failed
    assert result.rows > 0
    return root


def conformed(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with the archive's columns and dtypes (strict casts), rows by LogId."""
    assert set(frame.columns) == set(FULL), set(frame.columns) ^ set(FULL)
    columns = []
    for name, dtype in FULL.items():
        column = pl.col(name)
        got = frame.schema[name]
        if isinstance(dtype, pl.Datetime) and isinstance(got, pl.Datetime):
            column = column.dt.cast_time_unit("us")
            column = column.dt.convert_time_zone("UTC") if got.time_zone else column.dt.replace_time_zone("UTC")
        if isinstance(got, pl.Categorical | pl.Enum):
            column, got = column.cast(pl.String), pl.String()
        if dtype == pl.Date and got == pl.String:
            column = column.str.to_date("%Y-%m-%d", strict=True)
        columns.append(column.cast(dtype, strict=True).alias(name))
    return frame.select(columns).sort("log_id")


@pytest.fixture(scope="module")
def expected(archive: Path) -> pl.DataFrame:
    return conformed(scan_archive(archive).collect())


def test_polars_reads_the_folder_as_a_hive_dataset(archive: Path, expected: pl.DataFrame) -> None:
    frame = pl.scan_parquet(archive / "**" / "*.parquet", hive_partitioning=True).collect()
    assert_frame_equal(conformed(frame), expected, categorical_as_str=True)


def test_duckdb_reads_the_same_rows(archive: Path, expected: pl.DataFrame) -> None:
    duckdb = pytest.importorskip("duckdb")
    with duckdb.connect() as con:
        con.execute("SET TimeZone = 'UTC'")
        frame = con.sql(f"SELECT * FROM read_parquet('{archive}/**/*.parquet', hive_partitioning=true)").pl()
    assert frame.height == expected.height
    assert frame.schema["date"] == pl.Date  # hive values typed by DuckDB itself
    assert_frame_equal(conformed(frame), expected, categorical_as_str=True)


def test_pyarrow_dataset_reads_the_same_rows(archive: Path, expected: pl.DataFrame) -> None:
    import pyarrow.dataset as ds

    dataset = ds.dataset(archive, format="parquet", partitioning="hive")
    assert all(Path(file).name == "part-0.parquet" for file in dataset.files)  # no manifest, no lock
    frame = pl.from_arrow(dataset.to_table())
    assert isinstance(frame, pl.DataFrame)
    assert_frame_equal(conformed(frame), expected, categorical_as_str=True)


# dask's own parquet reader (dask/dataframe/io/parquet/arrow.py) calls reset_index(inplace=True),
# which pandas 3.1 deprecates; not ours to fix, and not a reason for the archive to fail
@pytest.mark.filterwarnings("ignore:The inplace keyword in DataFrame.reset_index is deprecated")
def test_dask_reads_the_same_rows(archive: Path, expected: pl.DataFrame) -> None:
    dd = pytest.importorskip("dask.dataframe")
    ddf = dd.read_parquet(str(archive), engine="pyarrow")
    assert ddf.npartitions >= 1
    frame = pl.from_pandas(ddf.compute(scheduler="synchronous").reset_index(drop=True))
    assert_frame_equal(conformed(frame), expected, categorical_as_str=True)
