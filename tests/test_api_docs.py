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
