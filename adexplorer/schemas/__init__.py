"""The JSON Schema (draft 2020-12) files of every ``--json`` output, shipped in the package.

One file per contract, named ``<kind>-<version>.schema.json``: ``eval-1`` for
``"schema": "adx.eval/1"``, ``error-1`` for the ``{"error": …}`` object every
command prints when it fails.  :func:`names` lists them; :func:`load` reads one
(by ``eval``, ``eval-1`` or ``adx.eval/1``).  Reading needs only the standard
library: validating is the tests' business (``tests/json_contract.py``, with
``jsonschema``), not the program's.

May import: base.
"""

from __future__ import annotations

import json
import re
from importlib import resources
from typing import Any

from adexplorer.base.errors import AdxError

SUFFIX = ".schema.json"
_NAME = re.compile(r"^(?P<kind>[a-z][a-z0-9-]*?)-(?P<version>\d+)$")


def names() -> list[str]:
    """Every schema shipped, as ``kind-version`` (``eval-1``), sorted."""
    folder = resources.files(__name__)
    return sorted(
        entry.name.removesuffix(SUFFIX)
        for entry in folder.iterdir()
        if entry.name.endswith(SUFFIX) and _NAME.match(entry.name.removesuffix(SUFFIX))
    )


def file_name(name: str) -> str:
    """``eval``, ``eval-1``, ``adx.eval/1`` → ``eval-1`` (the newest version for a bare
    kind); an AdxError (kind ``usage``) listing the valid names for anything else."""
    known = names()
    wanted = name.strip()
    if wanted.startswith("adx.") and "/" in wanted:
        kind, _, version = wanted.removeprefix("adx.").partition("/")
        wanted = f"{kind}-{version}"
    wanted = wanted.removesuffix(SUFFIX)
    if wanted in known:
        return wanted
    versions = [
        (int(match["version"]), known_name)
        for known_name in known
        if (match := _NAME.match(known_name)) and match["kind"] == wanted
    ]
    if versions:
        return max(versions)[1]
    raise AdxError(
        "usage",
        f"there is no schema named '{name}'",
        hint="the schemas are " + ", ".join(known),
    )


def schema_id(name: str) -> str:
    """The ``"schema"`` value a report of this contract carries: ``eval-1`` → ``adx.eval/1``
    (the error object carries none; its name is returned as is)."""
    match = _NAME.match(file_name(name))
    assert match is not None
    return f"adx.{match['kind']}/{match['version']}"


def load(name: str) -> dict[str, Any]:
    """The schema as a dictionary (see :func:`file_name` for the names accepted)."""
    text = resources.files(__name__).joinpath(file_name(name) + SUFFIX).read_text("utf-8")
    schema = json.loads(text)
    assert isinstance(schema, dict)
    return schema


def describe(name: str) -> str:
    """The schema's title: one line for ``adx schema``'s list."""
    return str(load(name).get("title", ""))
