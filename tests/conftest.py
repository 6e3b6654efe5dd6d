"""Shared fixtures: the worked examples from the reference texts, and helpers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

DATA = Path(__file__).parent / "data"


def worked_examples() -> list[dict[str, Any]]:
    return json.loads((DATA / "worked-examples.json").read_text())["cases"]


@pytest.fixture(scope="session")
def examples() -> list[dict[str, Any]]:
    return worked_examples()
