"""Seeds typed in the explorer: forward mode's direction u and reverse mode's cotangent ȳ.

Both are read through the value grammar (``parse_at``), the syntax of ``--at``:
``x1=1,x2=0.5`` names inputs (u, for J·u), ``f=2`` or ``f1=1,f2=-2`` names
outputs (ȳ, for ȳᵀJ).  Names are matched exactly; an unknown one is an
AdxError that names the valid ones (and the closest, if one is close).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from adexplorer.base.errors import AdxError, did_you_mean
from adexplorer.base.shapes import Array, Shape, fill, type_name
from adexplorer.core.ir import Graph
from adexplorer.lang.lower import parse_at


def output_shapes(graph: Graph) -> dict[str, Shape]:
    """Each output's name and shape, in the program's order."""
    return {
        name: graph.nodes[index].shape
        for name, index in zip(graph.output_names, graph.outputs, strict=True)
    }


def input_shapes(graph: Graph) -> dict[str, Shape]:
    return {
        name: graph.nodes[index].shape
        for name, index in zip(graph.input_names, graph.inputs, strict=True)
    }


def parse_cotangent(graph: Graph, text: str) -> dict[str, Array]:
    """ȳ from ``f1=1,f2=-2`` (output names; an empty text is no cotangent: ``{}``)."""
    return _parse(text, output_shapes(graph), "cotangent", "output")


def parse_direction(graph: Graph, text: str) -> dict[str, Array]:
    """u from ``x1=1,x2=0.5`` (input names; inputs left out are 0)."""
    return _parse(text, input_shapes(graph), "seed", "input")


def _parse(text: str, shapes: Mapping[str, Shape], origin: str, what: str) -> dict[str, Array]:
    if not text.strip():
        return {}
    parsed = parse_at(text, origin, shapes=dict(shapes))
    result: dict[str, Array] = {}
    for name, (value, _) in parsed.items():
        if name not in shapes:
            valid = ", ".join(shapes) or "none"
            close = did_you_mean(name, shapes)
            raise AdxError(
                "usage",
                f"'{name}' is not an {what} of this program",
                hint=f"{close + ' ' if close else ''}the {what}s are: {valid}",
            )
        arr = fill(np.asarray(value, dtype=np.float64), shapes[name])
        if arr is None:
            raise AdxError(
                "input",
                f"the {origin} for '{name}' has type {type_name(np.shape(value))}, but "
                f"'{name}' is {type_name(shapes[name])}",
                hint=f"give a number (it fills every entry) or a {type_name(shapes[name])}",
            )
        result[name] = arr
    return result
