"""docs/json-schema.md against the schema files: its generated tables are current, and
every schema has a section."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from adexplorer import schemas
from adexplorer.schemas.markdown import BLOCK, regenerate, schema_markdown

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "json-schema.md"


def test_the_generated_tables_are_what_the_schema_files_say() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert regenerate(text) == text, (
        "docs/json-schema.md disagrees with adexplorer/schemas: run python tools/gen_schema_docs.py"
    )


def test_every_schema_has_a_generated_block_in_the_doc() -> None:
    text = DOC.read_text(encoding="utf-8")
    blocks = {schemas.file_name(m["name"]) for m in BLOCK.finditer(text)}
    # course's lesson-check schema is documented in docs/lesson-format.md
    assert set(schemas.names()) - {"lesson-check-1"} <= blocks


def test_a_changed_schema_makes_the_doc_stale(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    text = DOC.read_text(encoding="utf-8")
    real = schemas.load

    def changed(name: str) -> dict:  # type: ignore[type-arg]
        schema = real(name)
        if schemas.file_name(name) == "fd-1":
            schema["properties"]["wrt"]["description"] = "something else"
        return schema

    monkeypatch.setattr("adexplorer.schemas.markdown.load", changed)
    assert regenerate(text) != text
    assert "something else" in schema_markdown("fd")


def test_every_field_of_each_schema_appears_in_its_table() -> None:
    for name in ("eval-1", "fd-1", "check-1", "swell-1", "values-1", "train-1", "error-1"):
        table = schema_markdown(name)
        schema = schemas.load(name)
        for field in schema.get("properties", {}):
            assert f"| `{field}` |" in table, (name, field)
        for definition in schema.get("$defs", {}):
            assert f"`{definition}`" in table, (name, definition)


def test_the_tool_checks_and_regenerates() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "gen_schema_docs.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
