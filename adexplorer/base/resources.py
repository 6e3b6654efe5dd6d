"""Finding the grammar and the built-in lessons, installed or in a source checkout.

In a wheel they live in ``adexplorer/_data/`` (hatchling's force-include copies
the top-level ``grammars/`` and ``lessons/`` there); in a source checkout they
sit beside the package at the top of the repository.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent.parent  # adexplorer/


def _data_dir(name: str) -> Path:
    installed = _PACKAGE_DIR / "_data" / name
    if installed.is_dir():
        return installed
    checkout = _PACKAGE_DIR.parent / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"adexplorer's {name}/ folder is missing from this installation")


def grammar_path() -> Path:
    return _data_dir("grammars") / "adx.lark"


def lessons_dir() -> Path:
    return _data_dir("lessons")
