"""MkDocs hooks: pages whose source lives outside ``docs/``, so there is one copy of each.

- ``notebooks/*.ipynb`` → ``notebooks/…`` pages, rendered by mkdocs-jupyter without running
  them (the test suite runs them against the simulator), each listed in the navigation
  under its first heading, so a new notebook needs no edit here;
- the column tables of a page (``<!-- columns -->``, ``<!-- json-columns -->``) generated
  from :mod:`digitalcx_frames.schema`, as the README's are;
- ``BENCHMARKS.md`` → ``benchmarks.md``, ``CHANGELOG.md`` → ``changelog.md``,
  ``CONTRIBUTING.md`` → ``contributing.md``, with their links into ``docs/`` made relative
  to the site and their links to other repository files pointed at the repository.

This runs before mkdocs-jupyter's ``on_files`` (higher priority) so that it wraps the notebooks.

Two repairs of the rendered HTML:

- mkdocs-jupyter builds a notebook's table of contents from the heading text without its
  code spans (``#3-filter-by-interaction-type-with``) while the heading's id keeps them
  (``…-with-dcx``): a table-of-contents link that names no id on the page is pointed at
  the one id it is a prefix of.
- docstrings written for Sphinx-style tools use roles (``:func:`sessions```); the role
  prefix is dropped so the name reads as code.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page
from mkdocs.structure.toc import AnchorLink

from digitalcx_frames import schema
from digitalcx_frames.features._redact import SCRUB_PATTERNS

ROOT = Path(__file__).resolve().parents[1]

FROM_ROOT = {
    "benchmarks.md": "BENCHMARKS.md",
    "changelog.md": "CHANGELOG.md",
    "contributing.md": "CONTRIBUTING.md",
}
"""Site page → the repository file it is built from."""

_DOCS_LINK = re.compile(r"\]\(docs/")
_ID = re.compile(r'\sid="([^"]+)"')
_FRAGMENT_HREF = re.compile(r'href="#([^"]+)"')
_ROLE = re.compile(r":(?:func|meth|class|mod|data|attr|exc|obj|const|term):(?=<code>)")


def _notebook_title(path: Path) -> str:
    """The first Markdown heading of a notebook, else its file name."""
    for cell in json.loads(path.read_text(encoding="utf-8")).get("cells", []):
        if cell.get("cell_type") == "markdown":
            for line in "".join(cell.get("source", [])).splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return path.stem


def on_config(config: Any) -> Any:
    """The "Notebooks" section of the navigation lists every notebook of ``notebooks/``, in file order."""
    for section in config["nav"] or []:
        if isinstance(section, dict) and "Notebooks" in section:
            section["Notebooks"] = [
                {_notebook_title(path): f"notebooks/{path.name}"}
                for path in sorted((ROOT / "notebooks").glob("*.ipynb"))
            ]
    return config


@event_priority(100)
def on_files(files: Files, config: Any) -> Files:
    """Add the notebooks and the repository's Markdown files as pages."""
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        # a real File (not File.generated): mkdocs-jupyter's wrapper reads src_dir
        files.append(
            File(
                f"notebooks/{notebook.name}",
                src_dir=str(ROOT),
                dest_dir=config.site_dir,
                use_directory_urls=config.use_directory_urls,
            )
        )
    for page, source in FROM_ROOT.items():
        files.append(File.generated(config, page, abs_src_path=str(ROOT / source)))
    return files


def _tables() -> dict[str, str]:
    """Markers a page may hold, and the tables generated from the one schema table."""

    def shown(replacement: str) -> str:
        kept = replacement.replace("${1}", "")
        return f"`{kept}`" if kept else "removed (the text before it stays)"

    patterns = "\n".join(
        f"{n}. {what} → {shown(replacement)}" for n, (what, _, replacement) in enumerate(SCRUB_PATTERNS, 1)
    )
    tables = {"<!-- columns -->": schema.markdown_table(), "<!-- scrub-patterns -->": patterns}
    json_table = getattr(schema, "json_markdown_table", None)
    if json_table is not None:
        tables["<!-- json-columns -->"] = json_table()
    return tables


def on_page_markdown(markdown: str, page: Page, config: Any, files: Files) -> str:
    """Repository links (``docs/x.md``) become site links (``x.md``); table markers are filled."""
    if page.file.src_uri in FROM_ROOT:
        return _DOCS_LINK.sub("](", markdown)
    for marker, table in _tables().items():
        markdown = markdown.replace(marker, table)
    return markdown


def _repair(anchor: str, ids: set[str]) -> str:
    if anchor in ids:
        return anchor
    longer = [i for i in ids if i.startswith(anchor + "-")]
    return longer[0] if len(longer) == 1 else anchor


def _repair_toc(items: list[AnchorLink], ids: set[str]) -> None:
    for item in items:
        item.id = _repair(item.id, ids)
        _repair_toc(item.children, ids)


def on_page_content(html: str, page: Page, config: Any, files: Files) -> str:
    """Point table-of-contents links at ids that exist; drop Sphinx role prefixes."""
    ids = set(_ID.findall(html))
    _repair_toc(list(page.toc), ids)
    html = _FRAGMENT_HREF.sub(lambda m: f'href="#{_repair(m.group(1), ids)}"', html)
    return _ROLE.sub("", html)
