"""The release installs: build the wheel and sdist, install the wheel outside the source tree, run it.

Offline and fast: ``python -m build --no-isolation`` uses the dev environment's hatchling,
and the wheel goes ``--no-deps`` into a fresh venv that sees the dev environment's packages
through a ``.pth`` file (written after the install, so pip never sees the editable install
of the source tree). A plain path in a ``.pth`` file does not process the ``.pth`` files of
that folder, so the editable install's path hook stays out and the package is imported
from the wheel, which the test checks.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import sysconfig
import tarfile
import textwrap
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

import digitalcx_frames

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Release:
    wheel: Path
    sdist: Path
    python: Path
    bin: Path


def _run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"}}
    return subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def _ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, f"{result.args} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Release:
    """The wheel and sdist built from the source tree, and a fresh venv with the wheel installed."""
    work = tmp_path_factory.mktemp("release")
    assert not work.resolve().is_relative_to(ROOT)
    dist = work / "dist"
    _ok(_run(sys.executable, "-m", "build", "--no-isolation", "--outdir", dist, ROOT, cwd=work))
    (wheel,) = dist.glob("*.whl")
    (sdist,) = dist.glob("*.tar.gz")
    venv = work / "venv"
    _ok(_run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=work))
    python = venv / "bin" / "python"
    _ok(
        _run(
            sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index", "-q", wheel, cwd=work
        )
    )
    # the dev environment's packages (polars, pandas, ...) without network: one .pth line each
    site = Path(_ok(_run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=work)).strip())
    dev = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    (site / "_dev_environment.pth").write_text("".join(f"{path}\n" for path in dev))
    return Release(wheel=wheel, sdist=sdist, python=python, bin=venv / "bin")


def test_the_version_is_written_once_and_names_both_files(release: Release) -> None:
    version = digitalcx_frames.__version__
    assert re.fullmatch(r"\d+\.\d+\.\d+", version)
    assert release.wheel.name == f"digitalcx_frames-{version}-py3-none-any.whl"
    assert release.sdist.name == f"digitalcx_frames-{version}.tar.gz"
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert 'dynamic = ["version"]' in pyproject
    assert not re.search(r"(?m)^version\s*=", pyproject)


def test_the_wheel_holds_the_package_and_license_only(release: Release) -> None:
    names = zipfile.ZipFile(release.wheel).namelist()
    tops = {name.split("/")[0] for name in names}
    assert tops == {"digitalcx_frames", f"digitalcx_frames-{digitalcx_frames.__version__}.dist-info"}
    for unwanted in ("tests/", "notebooks/", "benchmarks/", ".ipynb", "conftest.py", "test_"):
        assert not [n for n in names if unwanted in n], unwanted
    assert "digitalcx_frames/py.typed" in names
    package = ROOT / "digitalcx_frames"
    sources = {
        path.relative_to(ROOT).as_posix()
        for path in package.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix in {".py", ".typed"}
    }
    assert sources <= set(names), sorted(sources - set(names))  # every module of the package, simulator too
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    metadata = (
        zipfile.ZipFile(release.wheel)
        .read(f"digitalcx_frames-{digitalcx_frames.__version__}.dist-info/METADATA")
        .decode()
    )
    assert "License-Expression: MIT" in metadata
    assert f"Version: {digitalcx_frames.__version__}" in metadata


def test_the_sdist_holds_what_a_packager_needs(release: Release) -> None:
    with tarfile.open(release.sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    for needed in (
        "README.md",
        "LICENSE",
        "CHANGELOG.md",
        "pyproject.toml",
        "tests/conftest.py",
        "tests/test_wheel.py",
        "digitalcx_frames/__init__.py",
    ):
        assert needed in names, needed
    assert not [n for n in names if "__pycache__" in n or n.startswith((".venv", "site/", ".git/"))]


def test_twine_check_passes(release: Release) -> None:
    out = _ok(
        _run(sys.executable, "-m", "twine", "check", "--strict", release.wheel, release.sdist, cwd=release.wheel.parent)
    )
    assert out.count("PASSED") == 2


def test_the_installed_wheel_imports_and_its_command_runs(release: Release) -> None:
    out = _ok(
        _run(
            release.python,
            "-c",
            "import digitalcx_frames as d; print(d.__version__); print(d.__file__)",
            cwd=release.wheel.parent,
        )
    )
    version, location = out.split()
    assert version == digitalcx_frames.__version__
    assert Path(location).is_relative_to(release.bin.parent), "imported from the source tree, not the wheel"
    assert not Path(location).is_relative_to(ROOT)
    help_text = _ok(_run(release.bin / "digitalcx-frames", "--help", cwd=release.wheel.parent))
    assert "fetch" in help_text
    assert "sync" in help_text


def test_the_installed_wheel_reads_from_its_simulator(release: Release) -> None:
    script = textwrap.dedent(
        """
        from datetime import UTC, date, datetime

        import digitalcx_frames as dcx
        from digitalcx_frames.schema import polars_schema
        from digitalcx_frames.simulator import Simulator

        with Simulator(rows_per_day=60, today=date(2026, 11, 20)) as sim:
            frame = dcx.read_interactions(
                sim.customer_key, sim.project_key, culture=sim.culture,
                start=date(2026, 11, 19), end=date(2026, 11, 20), cache=False,
                now=datetime(2026, 11, 20, 12, tzinfo=UTC), client=dcx.Client(**sim.connection),
            ).collect()
        assert frame.height > 0, frame
        assert frame.schema == polars_schema(), frame.schema
        print(frame.height, dcx.__file__)
        """
    )
    out = _ok(_run(release.python, "-c", script, cwd=release.wheel.parent))
    rows, location = out.split()
    assert int(rows) > 0
    assert Path(location).is_relative_to(release.bin.parent)


def test_the_changelog_has_an_entry_for_this_version() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert "Keep a Changelog" in changelog
    headings = re.findall(r"(?m)^## \[?(\d+\.\d+\.\d+)\]?", changelog)
    assert digitalcx_frames.__version__ in headings
    assert headings == sorted(headings, key=lambda v: tuple(map(int, v.split("."))), reverse=True)
