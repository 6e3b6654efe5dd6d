"""Regenerate the field tables of docs/json-schema.md from adexplorer/schemas/*.schema.json.

    python tools/gen_schema_docs.py          # rewrite the doc's generated blocks
    python tools/gen_schema_docs.py --check  # exit 1 if the doc is out of date

Each block sits between ``<!-- BEGIN generated: NAME -->`` and ``<!-- END generated:
NAME -->``; the prose around them is left alone (adexplorer.schemas.markdown).
tests/test_schemas_docs.py fails when the doc and the files disagree.
"""

from __future__ import annotations

import sys
from pathlib import Path

from adexplorer.schemas.markdown import regenerate

DOC = Path(__file__).resolve().parents[1] / "docs" / "json-schema.md"


def main(argv: list[str]) -> int:
    text = DOC.read_text(encoding="utf-8")
    fresh = regenerate(text)
    if "--check" in argv:
        if fresh != text:
            print(f"{DOC} is out of date: run python tools/gen_schema_docs.py", file=sys.stderr)
            return 1
        return 0
    if fresh != text:
        DOC.write_text(fresh, encoding="utf-8")
        print(f"rewrote {DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
