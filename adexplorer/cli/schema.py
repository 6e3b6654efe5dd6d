"""``adx schema``: the JSON Schema of each ``--json`` output, as shipped in the package.

Without a name it lists the schemas, one line each (the name, the ``"schema"`` value
its documents carry, and the title); with one it prints that schema's JSON, ready for
``jsonschema`` or any other validator.  The files live in :mod:`adexplorer.schemas`.
"""

from __future__ import annotations

import json

import click

from adexplorer.base.errors import AdxError
from adexplorer.cli.common import fail

SCHEMA_EPILOG = """\b
Examples:
  adx schema                      (the list: one line per schema)
  adx schema eval                 (the adx.eval/1 schema; also eval-1 or adx.eval/1)
  adx schema error                (the {"error": ...} object every --json command prints)

\b
Save a schema to a file (adx schema eval > eval-1.schema.json) and check a report
with any validator: python -m jsonschema -i report.json eval-1.schema.json.

\b
Exit status: 0 success, 1 an unknown schema name (the message lists the valid
ones), 2 a misused command line.  docs/json-schema.md explains every field.
"""


@click.command("schema", epilog=SCHEMA_EPILOG)
@click.argument("name", required=False, metavar="[NAME]")
@click.option(
    "--json", "as_json", is_flag=True, help="Errors as one JSON object on stdout (as elsewhere)."
)
def schema_command(name: str | None, as_json: bool) -> None:
    """List the JSON schemas of adx's --json outputs, or print the one called NAME."""
    from adexplorer import schemas

    if name is None:
        known = schemas.names()
        carried = {
            n: '{"error": …}' if n.startswith("error-") else schemas.schema_id(n) for n in known
        }
        width = max(len(n) for n in known)
        id_width = max(len(c) for c in carried.values())  # the columns line up
        for known_name in known:
            click.echo(
                f"{known_name:<{width}}  {carried[known_name]:<{id_width}}  "
                f"{schemas.describe(known_name)}"
            )
        return
    try:
        schema = schemas.load(name)
    except AdxError as error:
        fail(error, as_json)
    click.echo(json.dumps(schema, indent=2, ensure_ascii=False))
