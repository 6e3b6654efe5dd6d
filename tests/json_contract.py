"""Validate a JSON document adx printed against its shipped schema (``adexplorer/schemas``).

``assert_valid(data)`` picks the schema from ``data["schema"]`` (``adx.eval/1`` →
``eval-1``), from ``data["kind"]`` for a train step line, or the error schema for an
``{"error": …}`` object; ``assert_valid(data, "eval")`` names it.  A failure says
where in the document the rule broke, which rule, and the offending value.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from adexplorer import schemas


@functools.cache
def validator(name: str) -> Draft202012Validator:
    schema = schemas.load(name)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def schema_for(data: Any) -> str:
    """The schema name a document says it follows."""
    if not isinstance(data, dict):
        raise AssertionError(
            f"a JSON report is one object, not {type(data).__name__}: {data!r:.200}"
        )
    if "schema" in data:
        return str(data["schema"])
    if set(data) == {"error"}:
        return "error"
    if data.get("kind") == "step":  # adx train --json: a step line carries no schema
        return "train"
    raise AssertionError(f"the document names no schema: keys {sorted(data)}")


def _path(error: ValidationError) -> str:
    return "".join(f"[{part!r}]" for part in error.absolute_path) or "(the document itself)"


def assert_valid(data: Any, schema: str | None = None) -> None:
    """Fail with a readable message unless ``data`` follows ``schema`` (or its own)."""
    name = schema if schema is not None else schema_for(data)
    errors = list(validator(schemas.file_name(name)).iter_errors(data))
    if not errors:
        return
    worst = best_match(errors)
    shown = json.dumps(worst.instance, ensure_ascii=False, default=repr)
    lines = [
        f"JSON does not follow {name}: {len(errors)} problem(s); the first:",
        f"  at {_path(worst)}: {worst.message}",
        f"  rule: {'/'.join(str(p) for p in worst.absolute_schema_path)} "
        f"({worst.validator}: {json.dumps(worst.validator_value, ensure_ascii=False)[:200]})",
        f"  value: {shown[:300]}",
    ]
    for other in errors[1:4]:
        lines.append(f"  also at {_path(other)}: {other.message[:200]}")
    raise AssertionError("\n".join(lines))


def assert_valid_text(text: str, schema: str | None = None) -> Any:
    """Parse stdout of a ``--json`` command (one object, or JSON lines) and validate
    every document; return the parsed object (a list for several lines)."""
    stripped = text.strip()
    try:
        documents = [json.loads(stripped)]
    except json.JSONDecodeError:
        documents = [json.loads(line) for line in stripped.splitlines() if line.strip()]
    for document in documents:
        assert_valid(document, schema)
    return documents[0] if len(documents) == 1 else documents
