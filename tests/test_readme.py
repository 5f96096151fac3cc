"""The README's column table is the schema table, and its two set-up commands exist in the Makefile."""

from __future__ import annotations

from pathlib import Path

from digitalcx_frames.schema import markdown_table

ROOT = Path(__file__).resolve().parents[1]


def test_readme_column_table_is_generated_from_the_schema() -> None:
    assert markdown_table() in (ROOT / "README.md").read_text()


def test_readme_set_up_commands_are_make_targets_and_ci_runs_the_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    makefile = (ROOT / "Makefile").read_text()
    for target in ("demo", "test"):
        assert f"make {target}" in readme
        assert f"\n{target}:" in makefile
    assert "make test" in (ROOT / ".ci" / "run").read_text()
