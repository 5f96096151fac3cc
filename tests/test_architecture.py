"""Data flows one way: each module imports only the steps before it (see ARCHITECTURE.md).

arguments -> Query -> windows -> pages -> typed batches -> LazyFrame / pandas. The HTTP
steps never touch Polars or pandas; nothing downstream of parsing touches HTTP; the
simulator shares only the flags and the column names with the client.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "digitalcx_frames"

# module -> the package modules it may import at module level
ALLOWED: dict[str, set[str]] = {
    "flags": set(),
    "errors": set(),
    "schema": set(),
    "pushdown": set(),
    "plugin": set(),
    "query": {"errors", "flags"},
    "windows": {"query"},
    "auth": {"errors"},
    "transport": {"auth", "errors"},
    "pages": {"transport", "errors"},
    "parse_locate": {"schema"},
    "parse": {"schema", "flags", "errors", "parse_locate"},
    "parse_json": {"parse", "schema", "errors"},
    "fetch": {"windows", "pages", "parse", "query", "transport", "errors"},
    "cache": {"schema", "errors"},
    "frames": {"query", "fetch", "cache", "schema", "plugin", "pushdown", "windows", "errors", "transport"},
    "export": {"parse", "plugin", "schema", "errors"},
    "archive": {"frames", "cache", "schema", "query", "errors", "export", "transport"},
    "flag_ops": {"flags"},
    "accessors": {"flag_ops"},
    "_feature_exprs": {"flags", "schema"},
    "features": {"_feature_exprs", "flags", "schema"},
    "demo": {"frames", "features", "simulator", "transport", "errors", "cache"},
    "cli": {"__init__", "archive", "cache", "demo", "errors", "frames", "query", "simulator", "transport"},
    "__main__": {"cli"},
}
NO_DATAFRAMES = {"flags", "errors", "query", "windows", "auth", "transport", "pages"}
NO_HTTP = {"schema", "parse", "parse_json", "parse_locate", "cache", "flag_ops", "accessors", "features"}
SIMULATOR_MAY_USE = {"flags", "schema", "errors"}


def _imports(path: Path) -> tuple[set[str], set[str]]:
    """(package modules, third-party top-level names) imported at module level."""
    tree = ast.parse(path.read_text())
    ours: set[str] = set()
    theirs: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("digitalcx_frames."):
                    ours.add(alias.name.split(".")[1])
                else:
                    theirs.add(alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "digitalcx_frames":
                for alias in node.names:
                    is_module = (PACKAGE / f"{alias.name}.py").exists() or (PACKAGE / alias.name).is_dir()
                    ours.add(alias.name if is_module else "__init__")
            elif node.module.startswith("digitalcx_frames."):
                ours.add(node.module.split(".")[1])
            else:
                theirs.add(node.module.split(".")[0])
    return ours, theirs


def test_every_module_is_in_the_table() -> None:
    modules = {p.stem for p in PACKAGE.glob("*.py")} - {"__init__"}
    assert modules == set(ALLOWED), "add new modules to ALLOWED (and ARCHITECTURE.md)"


@pytest.mark.parametrize("module", sorted(ALLOWED))
def test_imports_follow_the_flow(module: str) -> None:
    ours, theirs = _imports(PACKAGE / f"{module}.py")
    assert ours <= ALLOWED[module], f"{module} imports {sorted(ours - ALLOWED[module])}"
    if module in NO_DATAFRAMES:
        assert not theirs & {"polars", "pandas", "pyarrow"}, module
    if module in NO_HTTP:
        assert not theirs & {"requests", "urllib3", "http"}, module


@pytest.mark.parametrize("path", sorted((PACKAGE / "simulator").glob("*.py")), ids=lambda p: p.name)
def test_the_simulator_is_independent_of_the_client(path: Path) -> None:
    ours, _ = _imports(path)
    assert ours - {"simulator"} <= SIMULATOR_MAY_USE, f"{path.name} imports {sorted(ours)}"
