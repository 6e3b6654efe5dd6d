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
