"""The one place a Polars IO plugin is registered, and pushdown applied to every batch.

Polars hands an IO source the projection, the predicate and a row limit, but does not
re-apply the predicate or the limit to what the source yields (PITFALLS.md): that is done
here, once, for every lazy frame the library builds.

Examples
--------
>>> import polars as pl
>>> schema = pl.Schema({"x": pl.Int64})
>>> def batches(predicate, n_rows):
...     yield pl.DataFrame({"x": [1, 2, 3]})
...     yield pl.DataFrame({"x": [4, 5]})
>>> lazy = scan_batches(batches, schema=schema, name="example")
>>> lazy.filter(pl.col("x") > 1).head(3).collect()["x"].to_list()
[2, 3, 4]
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator

import polars as pl
from polars.io.plugins import register_io_source

__all__ = ["BatchSource", "pushdown", "scan_batches", "threads_in_sources"]

BatchSource = Callable[[pl.Expr | None, int | None], Iterable[pl.DataFrame]]
"""``batches(predicate, n_rows)``: full frames; the predicate and limit are hints it may use."""


def pushdown(
    frames: Iterable[pl.DataFrame],
    *,
    schema: pl.Schema,
    with_columns: list[str] | None,
    predicate: pl.Expr | None,
    n_rows: int | None,
) -> Iterator[pl.DataFrame]:
    """Filter, project (adding typed null columns a batch lacks) and limit each batch.

    The source of ``frames`` is closed as soon as the limit is reached.
    """
    columns = list(schema) if with_columns is None else with_columns
    remaining = n_rows
    iterator = iter(frames)
    try:
        for frame in iterator:
            batch = frame if predicate is None else frame.filter(predicate)
            missing = [name for name in columns if name not in batch.columns]
            if missing:
                batch = batch.with_columns(pl.lit(None, dtype=schema[name]).alias(name) for name in missing)
            batch = batch.select(columns)
            if remaining is not None:
                batch = batch.head(remaining)
                remaining -= batch.height
            if batch.height:
                yield batch
            if remaining == 0:
                return
    finally:
        close = getattr(iterator, "close", None)
        if close is not None:
            close()


def scan_batches(
    batches: BatchSource,
    *,
    schema: pl.Schema,
    name: str,
    detail: str | None = None,
    filters_itself: bool = False,
) -> pl.LazyFrame:
    """A lazy frame over ``batches``: nothing runs until it is collected.

    Parameters
    ----------
    batches
        Called at collect time with the predicate and row limit Polars pushed down.
    schema
        The frame's schema, known without running anything.
    name, detail
        What ``explain()`` shows for the scan.
    filters_itself
        ``batches`` applies the predicate itself, with a meaning of its own (whole
        sessions: a filter selects sessions): it is then not applied again to its rows.
    """

    def source(
        with_columns: list[str] | None, predicate: pl.Expr | None, n_rows: int | None, batch_size: int | None
    ) -> Iterator[pl.DataFrame]:
        del batch_size  # batches are days or files: their natural size
        return _counted(
            pushdown(
                batches(predicate, n_rows),
                schema=schema,
                with_columns=with_columns,
                predicate=None if filters_itself else predicate,
                n_rows=n_rows,
            )
        )

    return register_io_source(source, schema=schema, explain_name=name, explain_detail=detail)


_inside = [0]
_inside_lock = threading.Lock()


def threads_in_sources() -> int:
    """How many threads (Polars' own) are running a source's code right now.

    At interpreter exit a thread that is still inside Python when finalisation starts is
    stopped abruptly, which inside Polars' Rust frames aborts the process: the read engine
    waits for this count to reach zero before it lets the interpreter go.
    """
    return _inside[0]


def _counted(frames: Iterator[pl.DataFrame]) -> Iterator[pl.DataFrame]:
    """``frames``, counting the thread that runs it as inside a source, except while Polars holds a batch."""
    _enter()
    try:
        while True:
            batch = next(frames, None)
            if batch is None:
                return
            _leave()
            try:
                yield batch
            finally:
                _enter()
    finally:
        try:
            close = getattr(frames, "close", None)
            if close is not None:
                close()
        finally:
            _leave()


def _enter() -> None:
    with _inside_lock:
        _inside[0] += 1


def _leave() -> None:
    with _inside_lock:
        _inside[0] -= 1
