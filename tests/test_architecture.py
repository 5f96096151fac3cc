"""The house rules of ``docs/architecture.md``, checked on every import in the package.

Every ``import`` statement counts, wherever it stands (module level, inside a function or
under ``TYPE_CHECKING``): the whole syntax tree is walked. One rule per folder:

- ``_http/`` never imports a dataframe library (polars, pandas, pyarrow);
- ``_read/`` never imports an HTTP library (requests, urllib3, http);
- ``simulator/`` imports nothing of the package but the contract (flags, schema, errors);
- the leaves (errors, flags, schema, _files) import nothing of the package beyond leaves;
- and there is no import circle between the package's modules.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "digitalcx_frames"
DATAFRAMES = {"polars", "pandas", "pyarrow", "numpy", "narwhals", "dask"}
HTTP = {"requests", "urllib3", "http", "httpx"}
CONTRACT = {"digitalcx_frames.flags", "digitalcx_frames.schema", "digitalcx_frames.errors"}
LEAVES = {"digitalcx_frames.errors", "digitalcx_frames.flags", "digitalcx_frames._files"}
# schema may use flags (the type names) and errors; nothing else of the package
LEAF_MAY_USE = {"digitalcx_frames.schema": {"digitalcx_frames.flags", "digitalcx_frames.errors"}}


def _name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _resolve(module: str, name: str | None = None) -> str | None:
    """The package module an import names (``from pkg import mod`` resolves to ``pkg.mod``)."""
    if name and f"{module}.{name}" in MODULES:
        return f"{module}.{name}"
    return module if module in MODULES else None


def imports(module: str) -> tuple[set[str], set[str]]:
    """(package modules, third-party top-level names) imported anywhere in ``module``."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    ours: set[str] = set()
    theirs: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("digitalcx_frames"):
                    target = _resolve(alias.name)
                    assert target, f"{module} imports unknown {alias.name}"
                    ours.add(target)
                else:
                    theirs.add(alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            if base.startswith("digitalcx_frames"):
                for alias in node.names:
                    target = _resolve(base, alias.name)
                    assert target, f"{module} imports unknown {base}"
                    ours.add(target)
            else:
                theirs.add(base.split(".")[0])
    ours.discard(module)
    return ours, theirs


def _folder_rule(module: str) -> tuple[set[str], str]:
    if module.startswith("digitalcx_frames._http"):
        return DATAFRAMES, "_http never imports a dataframe library"
    if module.startswith("digitalcx_frames._read"):
        return HTTP, "_read never imports an HTTP library"
    return set(), ""


@pytest.mark.parametrize("module", sorted(MODULES))
def test_each_folder_keeps_its_rule(module: str) -> None:
    ours, theirs = imports(module)
    forbidden, rule = _folder_rule(module)
    assert not theirs & forbidden, f"{module} imports {sorted(theirs & forbidden)}: {rule}"
    if module.startswith("digitalcx_frames.simulator"):
        outside = {m for m in ours if not m.startswith("digitalcx_frames.simulator")}
        extra = sorted(outside - CONTRACT)
        assert not extra, f"{module} imports {extra}: the simulator shares only the contract"
    if module in LEAVES:
        assert ours <= LEAVES - {module}, f"leaf {module} imports {sorted(ours)}"
    if module in LEAF_MAY_USE:
        assert ours <= LEAF_MAY_USE[module], f"{module} imports {sorted(ours - LEAF_MAY_USE[module])}"


def test_no_import_circle() -> None:
    graph = {m: imports(m)[0] for m in MODULES}
    # a package imports its own submodules to re-export them; that edge is not a circle
    for m, deps in graph.items():
        graph[m] = {d for d in deps if not (MODULES[m].name == "__init__.py" and d.startswith(m + "."))}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for d in sorted(graph[m]):
            if d == "digitalcx_frames":
                continue  # the public face re-exports; importing it for __version__ is not a cycle in data flow
            if state.get(d) == 1:
                cycle = [*stack[stack.index(d) :], d]
                raise AssertionError("import circle: " + " -> ".join(cycle))
            if d not in state:
                visit(d)
        stack.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)


def test_the_walk_sees_imports_inside_functions() -> None:
    # the test's own guard: a function-level import is found like a module-level one
    ours, _ = imports("digitalcx_frames.__main__")
    assert "digitalcx_frames._cli" in ours


def test_docs_architecture_names_every_module() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text()
    named = set(re.findall(r"`([\w/]+\.py)`", text))
    for module, path in MODULES.items():
        rel = path.relative_to(PACKAGE).as_posix()
        if path.name == "__init__.py" and module != "digitalcx_frames":
            rel = path.parent.relative_to(PACKAGE).as_posix() + "/"
            assert f"`{rel}`" in text, f"docs/architecture.md does not describe {rel}"
            continue
        if rel in {"__init__.py", "__main__.py", "py.typed"}:
            continue
        assert rel in named or Path(rel).name in named, f"docs/architecture.md does not describe {rel}"


def test_no_test_module_imports_another() -> None:
    # shared test code lives in conftest.py or in helper modules without the test_ prefix
    for path in sorted((ROOT / "tests").rglob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.split(".")[-1].startswith("test_"), f"{path.name} imports {node.module}"
            if isinstance(node, ast.Import):
                for alias in node.names:
                    assert not alias.name.split(".")[-1].startswith("test_"), f"{path.name} imports {alias.name}"
