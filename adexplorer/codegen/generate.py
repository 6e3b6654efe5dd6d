"""The entry points: ``generate`` for a Wengert list, ``generate_source`` for program text."""

from __future__ import annotations

from collections.abc import Mapping

from adexplorer.base.errors import AdxError
from adexplorer.base.shapes import Shape
from adexplorer.codegen.code import GeneratedCode
from adexplorer.codegen.straight import generate_straight
from adexplorer.core.ir import Graph
from adexplorer.lang.lower import compile_source

MODES = ("forward", "reverse")


def _check_mode(mode: str) -> None:
    if mode not in MODES:
        raise AdxError("usage", f"unknown mode '{mode}'", hint="use forward or reverse")


def generate(graph: Graph, mode: str = "forward") -> GeneratedCode:
    """The forward (``f_jvp``) or reverse (``f_vjp``) numpy module of a straight-line graph."""
    _check_mode(mode)
    if graph.rules:
        broken = ", ".join(sorted(graph.rules))
        raise AdxError(
            "usage",
            f"this function's rule for {broken} is broken on purpose; generated code uses "
            "only the primitive table's rules",
            hint="generate code for the function without the broken rule",
        )
    return generate_straight(graph, mode)


def generate_source(
    text: str,
    mode: str = "forward",
    origin: str | None = None,
    input_shapes: Mapping[str, Shape] | None = None,
) -> GeneratedCode:
    """Generate from program text (an expression or a program file's text)."""
    _check_mode(mode)
    lowered = compile_source(text, origin, input_shapes=input_shapes)
    return generate_straight(lowered.graph, mode)
