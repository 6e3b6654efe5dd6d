"""Packaging: the wheel's contents, the wheel installed and run outside the source tree,
and pyproject's dependency bounds against what is installed and what is needed."""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from importlib.metadata import PackageNotFoundError, requires, version
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

import adexplorer
from tests.json_contract import assert_valid

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PROJECT = PYPROJECT["project"]


# ------------------------------------------------------------------ bounds


def _requirements(*groups: str) -> list[Requirement]:
    found = [Requirement(r) for r in PROJECT["dependencies"]] if "run" in groups else []
    for extra in groups:
        found += [Requirement(r) for r in PROJECT["optional-dependencies"].get(extra, [])]
    return [r for r in found if r.marker is None or r.marker.evaluate()]


def _lower_bound(requirement: Requirement) -> Version | None:
    bounds = [Version(s.version) for s in requirement.specifier if s.operator in (">=", "==")]
    return max(bounds) if bounds else None


#: What adx's own code needs, beyond what its dependencies' metadata says (the bounds'
#: reasons are the comments in pyproject.toml).
KNOWN_NEEDS = {
    "textual": "8.0",  # the TUI's API and its snapshots
    "click": "8.1",  # the _ADX_COMPLETE completion protocol, IntRange's clamp
    "plotext": "5.2",
    "hatchling": "1.27",  # license = "MIT" and license-files (PEP 639)
    "jsonschema": "4.20",  # Draft 2020-12 validators
    "ruff": "0.17",  # the lint rules and formatting the code is checked with
    "mypy": "2.4",
}


@pytest.mark.parametrize(
    "requirement",
    _requirements("run", "test", "dev", "serve"),
    ids=lambda r: str(r),
)
def test_the_installed_version_satisfies_pyprojects_bounds(requirement: Requirement) -> None:
    try:
        installed = version(requirement.name)
    except PackageNotFoundError:
        pytest.fail(f"{requirement.name} is required but not installed")
    assert requirement.specifier.contains(installed, prereleases=True), (
        f"{requirement.name} {installed} is outside {requirement.specifier}"
    )


def test_every_runtime_dependency_has_a_lower_bound_and_dev_tools_are_capped() -> None:
    for requirement in _requirements("run"):
        assert _lower_bound(requirement) is not None, requirement
    for requirement in _requirements("dev"):
        if requirement.name in ("ruff", "mypy"):
            assert any(s.operator == "<" for s in requirement.specifier), requirement


def test_lower_bounds_are_not_below_what_is_needed() -> None:
    """Each lower bound is at least what the code needs (KNOWN_NEEDS) and what the
    installed dependencies themselves require of it (Textual 8 requires rich 14.2: a
    bound of rich 13.7 would promise an install that cannot exist)."""
    ours = {
        canonicalize_name(r.name): r
        for r in _requirements("run", "test", "dev", "serve")
        + [Requirement(r) for r in PYPROJECT["build-system"]["requires"]]
    }
    needs: dict[str, tuple[Version, str]] = {
        name: (Version(v), "adx's code") for name, v in KNOWN_NEEDS.items()
    }
    for requirement in _requirements("run"):
        for text in requires(requirement.name) or []:
            theirs = Requirement(text)
            if theirs.marker is not None and not theirs.marker.evaluate({"extra": ""}):
                continue
            needed = _lower_bound(theirs)
            name = canonicalize_name(theirs.name)
            if (
                needed is not None
                and name in ours
                and (name not in needs or needs[name][0] < needed)
            ):
                needs[name] = (needed, requirement.name)
    checked = 0
    for name, (needed, who) in needs.items():
        if name not in ours:
            continue
        bound = _lower_bound(ours[name])
        assert bound is not None and bound >= needed, (
            f"pyproject says {ours[name]}, but {who} needs {name}>={needed}"
        )
        checked += 1
    assert checked >= 6
    assert needs["rich"][0] >= Version("14")


def test_metadata_license_urls_classifiers() -> None:
    assert PROJECT["license"] == "MIT" and PROJECT["license-files"] == ["LICENSE"]
    assert "MIT License" in (ROOT / "LICENSE").read_text()
    assert "AD Explorer team" in (ROOT / "LICENSE").read_text()
    assert set(PROJECT["urls"]) >= {"Homepage", "Documentation", "Issues"}
    classifiers = PROJECT["classifiers"]
    assert "Typing :: Typed" in classifiers and (ROOT / "adexplorer" / "py.typed").exists()
    assert not any(c.startswith("License ::") for c in classifiers)  # PEP 639: the expression
    assert PROJECT["version"] == adexplorer.__version__


# ------------------------------------------------------------------ the wheel

PIP = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet"]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            str(out),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    return next(out.glob("adexplorer-*.whl"))


def test_the_wheel_ships_data_license_and_metadata(wheel: Path) -> None:
    archive = zipfile.ZipFile(wheel)
    names = archive.namelist()
    assert "adexplorer/_data/grammars/adx.lark" in names
    assert any(n.startswith("adexplorer/_data/lessons/") and n.endswith(".md") for n in names)
    assert "adexplorer/schemas/eval-1.schema.json" in names
    assert "adexplorer/py.typed" in names
    assert "adexplorer/api.py" in names
    assert not any("__pycache__" in n or n.startswith("tests/") for n in names)
    info = next(n for n in names if n.endswith(".dist-info/METADATA"))
    metadata = archive.read(info).decode()
    assert "License-Expression: MIT" in metadata
    assert "License-File: LICENSE" in metadata
    assert "Project-URL: Issues, " in metadata
    assert "Requires-Dist: rich>=14.2" in metadata
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)


def test_the_wheel_installs_and_runs_outside_the_source_tree(wheel: Path, tmp_path: Path) -> None:
    """A fresh venv, the wheel installed without its dependencies (offline: they are
    read from this environment, after the wheel's own files), run from elsewhere."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    installed = subprocess.run(
        [*PIP, "--python", str(python), "install", "--no-deps", "--no-index", str(wheel)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert installed.returncode == 0, installed.stderr
    # Only now the dependencies: had pip seen this environment's adexplorer through the
    # .pth (a regular install, as in CI), it would have taken it as already installed.
    (site / "zz_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    adx = venv / "bin" / "adx"
    assert adx.exists()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8"}

    def run(*args: str, program: Path = adx) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(program), *args],
            capture_output=True,
            text=True,
            cwd=elsewhere,
            env={**env, "ADX_DATA_DIR": str(tmp_path / "data")},
            check=False,
            timeout=120,
        )

    shown = run("--version")
    assert (
        shown.returncode == 0 and shown.stdout.strip() == f"adx, version {adexplorer.__version__}"
    )
    result = run("eval", "x^2", "--at", "x=3", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["value"] == 9.0 and data["gradient"] == {"x": 6.0}
    assert_valid(data)
    schema = run("schema", "eval")
    assert schema.returncode == 0 and json.loads(schema.stdout)["$id"], schema.stderr
    lessons = run("lesson", "list")
    assert lessons.returncode == 0 and "forward" in lessons.stdout.lower(), lessons.stderr
    probe = run(
        "-c",
        "import adexplorer, sys; print(adexplorer.__file__); "
        "print(adexplorer.trace('x^2', x=3).gradient)",
        program=python,
    )
    where, gradient = probe.stdout.splitlines()
    assert where.startswith(str(venv)) and gradient == "{'x': 6.0}", probe.stderr
