"""docs/api.md is run: every ``>>>`` example there must print what the page shows."""

from __future__ import annotations

import doctest
from pathlib import Path

import adexplorer

API_DOC = Path(__file__).resolve().parent.parent / "docs" / "api.md"
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def test_the_api_page_examples_run_as_shown() -> None:
    result = doctest.testfile(str(API_DOC), module_relative=False, optionflags=FLAGS)
    assert result.attempted >= 30, "the page lost its examples"
    assert result.failed == 0


def test_the_package_docstring_example_runs() -> None:
    result = doctest.testmod(adexplorer, optionflags=FLAGS)
    assert result.attempted >= 1 and result.failed == 0


def test_the_readme_python_example_runs() -> None:
    readme = (API_DOC.parent.parent / "README.md").read_text()
    section = readme.split("## Python API", 1)[1].split("\n## ", 1)[0]
    block = section.split("```python", 1)[1].split("```", 1)[0]
    test = doctest.DocTestParser().get_doctest(block, {}, "README: Python API", "README.md", 0)
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    runner.run(test)
    assert test.examples and runner.failures == 0


def test_the_readme_schema_check_runs_without_warnings(tmp_path: Path) -> None:
    """The README's way to validate a saved report: it passes a good report and rejects
    a bad one, with no DeprecationWarning (``python -m jsonschema`` printed one)."""
    import json
    import subprocess
    import sys

    from adexplorer import schemas

    readme = (API_DOC.parent.parent / "README.md").read_text()
    section = readme.split("### JSON schemas", 1)[1].split("\n## ", 1)[0]
    assert "python -m jsonschema" not in readme
    script = section.split("```python", 1)[1].split("```", 1)[0]
    (tmp_path / "eval-1.schema.json").write_text(json.dumps(schemas.load("eval")))
    report = json.loads(adexplorer.trace("x^2", x=3).to_json())
    assert report["schema"] == "adx.eval/1"
    for data, status in ((report, 0), ({**report, "schema": "adx.nothing/9"}, 1)):
        (tmp_path / "report.json").write_text(json.dumps(data))
        done = subprocess.run(
            [sys.executable, "-W", "error", "-c", script],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == status, done.stderr
        assert ("ValidationError" in done.stderr) == bool(status), done.stderr
