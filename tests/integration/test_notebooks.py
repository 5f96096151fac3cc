"""The tutorial notebooks run top to bottom against the simulator; the README plot script runs.

Each notebook is executed with nbclient in a fresh ``python3`` kernel (jupyter_client
replaces the kernel spec's ``python`` with this interpreter; the first test cell checks
it), in ``tmp_path``, without any ``DIGITALCX_*`` credentials (so the notebooks take the
simulator path) and with the cache folder pointed into ``tmp_path`` (which must stay
unused: the notebooks read with ``cache=False``).

``MPLBACKEND`` is the inline backend: it renders with Agg like ``MPLBACKEND=Agg`` (no GUI)
and also sends each figure to the notebook as a PNG, which plain Agg would not, so the
tests can check that the plots were drawn.
"""

from __future__ import annotations

import importlib.util
import os
import struct
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
SCRIPT = ROOT / "scripts" / "readme_plot.py"
CELL_TIMEOUT = 120
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"

# What each notebook must show: text some output contains, and how many PNG plots.
EXPECTED: dict[str, tuple[tuple[str, ...], int]] = {
    "01_quickstart.ipynb": (("all_interaction_types", "requests so far: 0", "negative_share", "QA"), 1),
    "02_feature_engineering.ipynb": (
        ("session_uuid", "is_generative_ai", "has_qa", "gave feedback", "session_features.parquet"),
        2,
    ),
    "03_pandas.ipynb": (("UInt16", "is_qa", "negative_share", "active session"), 2),
    "04_kpis.ipynb": (("recognition_rate", "no_answer_rate = unanswered_questions / questions", "csat"), 2),
}
_PROBE = "import sys\nprint(sys.executable)"


def _kernel_env(tmp_path: Path) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("DIGITALCX")}
    env["MPLBACKEND"] = INLINE_BACKEND
    env["MPLCONFIGDIR"] = str(tmp_path / "mplconfig")
    env["DIGITALCX_FRAMES_CACHE_DIR"] = str(tmp_path / "cache")
    return env


def _texts(output: dict[str, Any]) -> list[str]:
    """The text of an output: stream text, text/plain and text/html, error traces."""
    if output["output_type"] == "stream":
        return [output["text"]]
    if output["output_type"] == "error":
        return ["\n".join(output["traceback"])]
    data = output.get("data", {})
    return [data[kind] for kind in ("text/plain", "text/html") if kind in data]


def _warnings_in(text: str) -> list[str]:
    return [line for line in text.splitlines() if "Warning" in line]


def _run(name: str, tmp_path: Path) -> nbformat.NotebookNode:
    notebook: nbformat.NotebookNode = nbformat.read(NOTEBOOKS / name, as_version=4)  # type: ignore[no-untyped-call]
    notebook.cells.insert(0, nbformat.v4.new_code_cell(_PROBE))  # type: ignore[no-untyped-call]
    client = NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=CELL_TIMEOUT,
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute(env=_kernel_env(tmp_path))
    return notebook


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_notebook_runs(name: str, tmp_path: Path) -> None:
    notebook = _run(name, tmp_path)  # a cell that raises fails here with its traceback

    probe, *cells = notebook.cells
    kernel_python = probe.outputs[0]["text"].strip()
    assert Path(kernel_python).resolve() == Path(sys.executable).resolve()

    code_cells = [cell for cell in cells if cell.cell_type == "code"]
    assert code_cells
    assert all(cell.execution_count is not None for cell in code_cells)
    outputs = [output for cell in code_cells for output in cell.outputs]
    assert not [output for output in outputs if output["output_type"] == "error"]

    text = "\n".join(piece for output in outputs for piece in _texts(output))
    wanted, plots = EXPECTED[name]
    missing = [piece for piece in wanted if piece not in text]
    assert not missing, f"{name}: no output shows {missing}"
    assert _warnings_in(text) == [], f"{name} printed warnings"
    pngs = [output["data"]["image/png"] for output in outputs if "image/png" in output.get("data", {})]
    assert len(pngs) >= plots, f"{name}: {len(pngs)} plots, expected {plots}"

    assert not (tmp_path / "cache").exists(), "a notebook wrote to the cache folder"
    assert "sim.stop()" in code_cells[-1].source


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_notebook_is_committed_clean(name: str) -> None:
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)  # type: ignore[no-untyped-call]
    nbformat.validate(notebook)
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code_cells
    dirty = [cell.id for cell in code_cells if cell.outputs or cell.execution_count is not None]
    assert dirty == [], f"{name}: cells with outputs or execution counts; clear them before committing"
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    assert {cell.cell_type for cell in notebook.cells} == {"code", "markdown"}


def test_notebooks_are_all_tested() -> None:
    assert sorted(path.name for path in NOTEBOOKS.glob("*.ipynb")) == sorted(EXPECTED)


def test_the_warning_check_sees_every_warning_line() -> None:
    text = "x.py:1: TqdmWarning: IProgress not found. Please update\nx.py:2: FutureWarning: soon\nok"
    assert _warnings_in(text) == [
        "x.py:1: TqdmWarning: IProgress not found. Please update",
        "x.py:2: FutureWarning: soon",
    ]


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.mark.slow
def test_readme_plot_script_writes_the_same_png_twice(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("readme_plot", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    first, second = tmp_path / "a" / "plot.png", tmp_path / "b" / "plot.png"
    assert module.main(["--output", str(first)]) == 0
    assert module.main(["--output", str(second)]) == 0

    data = first.read_bytes()
    width, height = _png_size(data)
    assert width >= 800
    assert 300 <= height < width
    assert len(data) > 20_000  # a drawn chart, not an empty canvas
    assert b"Software" not in data  # no version metadata: the file only changes when the plot does
    assert second.read_bytes() == data
