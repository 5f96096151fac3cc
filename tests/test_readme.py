"""The README cannot drift: every Python block runs against the simulator, its tables are the code's.

The Python blocks run in order, in one namespace, as a reader would paste them: in a
temporary folder, with ``DIGITALCX_*`` pointing at a simulator that serves the README's
project (``acme``/``support``, culture ``nl``) and the cache folder in that temporary folder.
A block followed directly by a ```` ```text ```` block prints exactly that text.
"""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from digitalcx_frames.schema import json_markdown_table, markdown_table
from digitalcx_frames.simulator import Simulator

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
_BLOCK = re.compile(r"^```python\n(.*?)^```\n(?:\n```text\n(.*?)^```)?", re.MULTILINE | re.DOTALL)
_LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def python_blocks(text: str) -> list[str]:
    """The code of every fenced ```` ```python ```` block, in order."""
    return [code for code, _ in _BLOCK.findall(text)]


def blocks_with_output(text: str) -> list[tuple[str, str | None]]:
    """Each Python block and the ```` ```text ```` block right after it (what it prints), if any."""
    return [(code, output or None) for code, output in _BLOCK.findall(text)]


@pytest.fixture
def readers_machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A reader's shell: credentials of a simulator of the README's project, a fresh folder."""
    with Simulator(customer_key="acme", project_key="support", culture="nl", rows_per_day=60, seed=5) as sim:
        for name, value in sim.connection.items():
            monkeypatch.setenv(f"DIGITALCX_{name.upper()}", str(value))
        monkeypatch.setenv("DIGITALCX_FRAMES_CACHE_DIR", str(tmp_path / "cache"))
        monkeypatch.chdir(tmp_path)
        yield tmp_path


def test_every_python_block_of_the_readme_runs_and_prints_what_the_readme_shows(readers_machine: Path) -> None:
    blocks = blocks_with_output(README.read_text())
    assert len(blocks) >= 5
    assert any(output for _, output in blocks), "the README shows no output of a block"
    namespace: dict[str, object] = {"__name__": "__readme__"}
    for number, (block, output) in enumerate(blocks, start=1):
        code = compile(block, f"README.md, python block {number}", "exec")
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(code, namespace)
        if output is not None:
            assert printed.getvalue() == output, f"python block {number} prints:\n{printed.getvalue()}"


def test_the_harness_pairs_a_block_with_the_output_shown_after_it() -> None:
    text = "```python\nprint(1)\n```\n\n```text\n1\n```\n\n```python\nx = 2\n```\n"
    assert blocks_with_output(text) == [("print(1)\n", "1\n"), ("x = 2\n", None)]


def test_the_harness_sees_a_broken_block(readers_machine: Path) -> None:
    (block,) = python_blocks("text\n```python\nimport digitalcx_frames as dcx\nlf = pl.DataFrame()\n```\n")
    with pytest.raises(NameError, match="'pl'"):
        exec(compile(block, "broken", "exec"), {})


def test_readme_links_stay_inside_the_repository() -> None:
    for target in _LINK.findall(README.read_text()):
        assert "://" not in target, f"{target}: link into the repository instead"
        path = (ROOT / target).resolve()
        assert path.is_relative_to(ROOT), f"{target} points outside the repository"
        assert path.exists(), f"{target} does not exist"


def test_readme_column_table_is_generated_from_the_schema() -> None:
    assert markdown_table() in README.read_text()


def test_readme_json_column_table_is_generated_from_the_schema() -> None:
    assert json_markdown_table() in README.read_text()


def test_readme_set_up_commands_are_make_targets_and_ci_runs_the_test_command() -> None:
    readme = README.read_text()
    makefile = (ROOT / "Makefile").read_text()
    for target in ("demo", "test"):
        assert f"make {target}" in readme
        assert f"\n{target}:" in makefile
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_every_argument_of_read_interactions_is_in_the_readme_table() -> None:
    import inspect

    import digitalcx_frames as dcx

    readme = README.read_text()
    table = readme[readme.index("### Arguments of `read_interactions`") :]
    table = table[: table.index("\n\n", table.index("|"))]
    for name in inspect.signature(dcx.read_interactions).parameters:
        assert f"`{name}`" in table, f"{name} is missing from the README's argument table"
    for variable in ("DIGITALCX_CLIENT_ID", "DIGITALCX_CLIENT_SECRET", "DIGITALCX_BASE_URL", "DIGITALCX_TOKEN_URL"):
        assert variable in table
