"""Tests that need a program from the system (a browser, Graphviz, pdflatex).

Where the program is missing such a test skips, unless ``ADX_REQUIRE_SYSTEM_TOOLS=1``
(``.ci/run`` sets it after installing them): then a missing program fails the test,
so that CI cannot pass by skipping what it was meant to check.
"""

from __future__ import annotations

import os
import shutil

import pytest


def require_tool(*names: str) -> str:
    """The path of the first of ``names`` on PATH; else skip (or fail under CI)."""
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    why = f"needs {' or '.join(names)} on PATH"
    if os.environ.get("ADX_REQUIRE_SYSTEM_TOOLS") == "1":
        pytest.fail(f"{why} (ADX_REQUIRE_SYSTEM_TOOLS=1: .ci/run should have installed it)")
    pytest.skip(why)
