"""Markdown field tables generated from the schema files, for docs/json-schema.md.

:func:`schema_markdown` writes one table per object of a schema (the document, then
each ``$defs`` entry), with each field's type, whether it is always there, and its
``description``.  :func:`regenerate` replaces every block between
``<!-- BEGIN generated: NAME -->`` and ``<!-- END generated: NAME -->`` in a text with
the tables of schema NAME; ``tools/gen_schema_docs.py`` runs it on the doc, and a test
checks that the doc is what it would write.
"""

from __future__ import annotations

import re
from typing import Any

from adexplorer.schemas import file_name, load

BLOCK = re.compile(
    r"(?P<begin><!-- BEGIN generated: (?P<name>[a-z0-9.\-/]+) -->\n)"
    r".*?"
    r"(?P<end><!-- END generated: (?P=name) -->)",
    re.DOTALL,
)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def type_text(schema: Any) -> str:
    """A schema's type in a few words: ``number or null``, ``array of `row` ``, …"""
    if not isinstance(schema, dict):
        return ""
    if "$ref" in schema:
        return f"`{schema['$ref'].rsplit('/', 1)[-1]}` (below)"
    if "const" in schema:
        return f"`{_json(schema['const'])}`"
    if "enum" in schema:
        return " | ".join(f"`{_json(v)}`" for v in schema["enum"])
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return " or ".join(type_text(sub) for sub in schema[key])
    kind = schema.get("type")
    if isinstance(kind, list):
        return " or ".join(kind)
    if kind == "array":
        items = schema.get("items")
        if isinstance(items, dict) and "prefixItems" in items:
            return "array of pairs [" + ", ".join(type_text(p) for p in items["prefixItems"]) + "]"
        return f"array of {type_text(items)}" if items else "array"
    if kind == "object":
        extra = schema.get("additionalProperties")
        if "properties" in schema:
            return "object (its fields below)"
        if isinstance(extra, dict):
            return f"object: name → {type_text(extra)}"
        if "then" in schema:
            return f"{type_text(schema['then'])} or {type_text(schema.get('else'))}"
        return "object"
    if kind == "string" and "pattern" in schema:
        return "string"
    return str(kind or "any")


def _json(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


def _meaning(sub: Any, root: dict[str, Any]) -> str:
    """A field's description, or that of the definition it refers to."""
    if not isinstance(sub, dict):
        return ""
    if "description" in sub:
        return str(sub["description"])
    if "$ref" in sub:
        target = root.get("$defs", {}).get(sub["$ref"].rsplit("/", 1)[-1], {})
        return str(target.get("description", ""))
    return ""


def _table(title: str, schema: dict[str, Any], root: dict[str, Any]) -> list[str]:
    lines = [f"#### {title}", ""]
    if schema.get("description"):
        lines += [schema["description"], ""]
    required = set(schema.get("required", []))
    lines += ["| field | type | always | meaning |", "|---|---|---|---|"]
    for field, sub in schema["properties"].items():
        description = _meaning(sub, root)
        always = "yes" if field in required else ""
        lines.append(f"| `{field}` | {_cell(type_text(sub))} | {always} | {_cell(description)} |")
    if schema.get("additionalProperties") is False:
        lines += ["", "No other field appears."]
    return [*lines, ""]


def _objects(schema: dict[str, Any], name: str) -> list[tuple[str, dict[str, Any]]]:
    """The objects with fields, in order: nested ones after their parent."""
    found: list[tuple[str, dict[str, Any]]] = []

    def visit(title: str, node: Any) -> None:
        if not isinstance(node, dict):
            return
        if node.get("type") == "object" and "properties" in node:
            found.append((title, node))
            for field, sub in node["properties"].items():
                for inner in _inner(sub):
                    visit(f"{title}.{field}", inner)

    visit(name, schema)
    for def_name, sub in schema.get("$defs", {}).items():
        visit(def_name, sub)
    return found


def _inner(sub: Any) -> list[Any]:
    """Object schemas declared in place under a field (not through $ref)."""
    if not isinstance(sub, dict):
        return []
    inner = [sub]
    for key in ("anyOf", "oneOf"):
        inner += sub.get(key, [])
    if isinstance(sub.get("items"), dict):
        inner.append(sub["items"])
    if isinstance(sub.get("additionalProperties"), dict):
        inner.append(sub["additionalProperties"])
    return [i for i in inner if isinstance(i, dict) and "properties" in i]


def schema_markdown(name: str) -> str:
    """Every object of schema ``name`` as a Markdown table (the doc's generated part)."""
    schema = load(name)
    stem = file_name(name)
    lines = [
        f"Generated from `adexplorer/schemas/{stem}.schema.json` (`adx schema {stem}`) by "
        "`tools/gen_schema_docs.py`; edit the schema, not this table.",
        "",
    ]
    if "properties" not in schema:
        lines += [f"The document is {type_text(schema)}: {schema.get('description', '')}", ""]
    for title, node in _objects(schema, "report"):
        lines += _table(f"`{title}`", node, schema)
    for def_name, sub in schema.get("$defs", {}).items():
        if not (isinstance(sub, dict) and "properties" in sub) and "description" in sub:
            lines += [f"#### `{def_name}`", "", f"{type_text(sub)}: {sub['description']}", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def regenerate(text: str) -> str:
    """``text`` with every generated block rewritten from the schema files."""
    return BLOCK.sub(
        lambda m: m["begin"] + "\n" + schema_markdown(m["name"]) + "\n" + m["end"], text
    )
