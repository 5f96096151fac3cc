"""The documentation site builds strictly, and every internal link of the built site resolves.

One strict ``mkdocs build`` (the one ``make docs`` runs, into a temporary folder) per test
session; the notebooks are rendered without running them. Then every ``href``/``src`` of
every built page that points inside the site must name a file that exists, and a
``#fragment`` must name an ``id`` on that page.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlsplit

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]

PUBLIC_MODULES = ("errors", "flags", "schema", "flag_ops", "features", "simulator")


class _Page(HTMLParser):
    """The ids of a page and the links it makes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name in ("id", "name"):
            if values.get(name) and (name == "id" or tag == "a"):
                self.ids.add(str(values[name]))
        for name in ("href", "src"):
            value = values.get(name)
            if value and not (tag == "link" and values.get("rel") in {"canonical", "alternate"}):
                self.links.append(value)


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site built by ``mkdocs build --strict`` from the source tree."""
    out = tmp_path_factory.mktemp("site")
    notebook_cache = ROOT / ".cache" / "mkdocs-jupyter"
    cached_before = notebook_cache.exists()
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    log = result.stdout + result.stderr
    assert result.returncode == 0, log
    assert "WARNING" not in log, log
    assert cached_before or not notebook_cache.exists(), "the build wrote into the source tree"
    return out


def _target(site: Path, page: Path, link: str) -> tuple[Path, str] | None:
    """The file and fragment a link of ``page`` points at, or ``None`` for an external link."""
    parts = urlsplit(link)
    if parts.scheme or parts.netloc or link.startswith(("mailto:", "javascript:", "data:")):
        return None
    url, fragment = urldefrag(link)
    if not url:
        return page, unquote(fragment)
    base = site if url.startswith("/") else page.parent  # 404.html links from the root
    path = (base / unquote(url).lstrip("/")).resolve()
    if url.endswith("/") or path.is_dir():
        path = path / "index.html"
    return path, unquote(fragment)


def test_every_internal_link_of_the_site_resolves(site: Path) -> None:
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 20
    parsed = {page.resolve(): _parse(page) for page in pages}
    broken: list[str] = []
    checked = 0
    for page, content in parsed.items():
        for link in content.links:
            target = _target(site, page, link)
            if target is None:
                continue
            path, fragment = target
            checked += 1
            where = f"{page.relative_to(site.resolve())}: {link}"
            if not path.is_relative_to(site.resolve()):
                broken.append(f"{where} (outside the site)")
            elif not path.is_file():
                broken.append(f"{where} (no such file)")
            elif fragment and path.suffix == ".html" and fragment not in parsed[path].ids:
                broken.append(f"{where} (no id {fragment!r})")
    assert not broken, "\n".join(broken)
    assert checked > 500


def test_the_site_has_every_page_of_the_guide(site: Path) -> None:
    for page in (
        "index.html",
        "getting-started/index.html",
        "guide/reading/index.html",
        "guide/laziness/index.html",
        "guide/time-zones-and-sessions/index.html",
        "guide/flags/index.html",
        "guide/features/index.html",
        "guide/cache-and-archive/index.html",
        "guide/exports/index.html",
        "guide/cli/index.html",
        "guide/errors/index.html",
        "guide/security/index.html",
        "benchmarks/index.html",
        "architecture/index.html",
        "changelog/index.html",
        "contributing/index.html",
    ):
        assert (site / page).is_file(), page
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        assert (site / "notebooks" / notebook.stem / "index.html").is_file(), notebook.name


def test_the_benchmarks_page_is_built_from_benchmarks_md(site: Path) -> None:
    first_heading = next(line for line in (ROOT / "BENCHMARKS.md").read_text().splitlines() if line.startswith("## "))
    ids = _parse(site / "benchmarks" / "index.html").ids
    text = (site / "benchmarks" / "index.html").read_text()
    assert first_heading.removeprefix("## ").strip() in text
    assert ids


def test_the_api_reference_shows_the_public_surface_only(site: Path) -> None:
    import digitalcx_frames

    ids = _parse(site / "reference" / "digitalcx_frames" / "index.html").ids
    for name in digitalcx_frames.__all__:
        if name in {"__version__", "features", "flag_ops"}:
            continue
        assert f"digitalcx_frames.{name}" in ids, name
    for module in PUBLIC_MODULES:
        module_ids = _parse(site / "reference" / module / "index.html").ids
        assert f"digitalcx_frames.{module}" in module_ids
    every_id = {i for page in site.joinpath("reference").rglob("*.html") for i in _parse(page).ids}
    private = sorted(i for i in every_id if i.startswith("digitalcx_frames.") and "._" in i.replace(".__", "."))
    assert not private, private


def test_the_first_read_of_getting_started_runs(capsys: pytest.CaptureFixture[str]) -> None:
    text = (ROOT / "docs" / "getting-started.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)
    (first_read,) = [block for block in blocks if "Simulator(" in block]
    exec(compile(first_read, "docs/getting-started.md", "exec"), {})
    out = capsys.readouterr().out
    assert "timestamp_start" in out
    assert "main_interaction_type" in out


def test_the_readme_links_into_pages_the_site_has(site: Path) -> None:
    readme = (ROOT / "README.md").read_text()
    targets = re.findall(r"\]\(docs/([^)#\s]+\.md)(?:#[^)]*)?\)", readme)
    assert targets, "the README links into the documentation"
    for target in targets:
        page = site / target.removesuffix(".md").removesuffix("index") / "index.html"
        assert (ROOT / "docs" / target).is_file(), target
        assert page.is_file(), f"README links docs/{target}, which the site does not build"
