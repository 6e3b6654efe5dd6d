"""Shared by the codegen tests: import a generated module, and a corpus of programs."""

from __future__ import annotations

import importlib.util
import itertools
from pathlib import Path
from types import ModuleType

from adexplorer.codegen import GeneratedCode

_counter = itertools.count()


def load_module(code: GeneratedCode, tmp_path: Path) -> ModuleType:
    """Write the generated code to a file under tmp_path and import it."""
    name = f"adx_generated_{next(_counter)}"
    path = tmp_path / f"{name}.py"
    path.write_text(code.text)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
