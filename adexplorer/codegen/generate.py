"""The entry points: ``generate`` for a Wengert list, ``generate_source`` for program text."""

from __future__ import annotations

from collections.abc import Mapping

from adexplorer.base.errors import AdxError
from adexplorer.base.shapes import Shape
from adexplorer.codegen.code import GeneratedCode
from adexplorer.codegen.straight import generate_straight
from adexplorer.codegen.structured import generate_structured
from adexplorer.core.ir import Graph
from adexplorer.lang.lower import compile_source
from adexplorer.lang.structure import program_structure

MODES = ("forward", "reverse")


def _check_mode(mode: str) -> None:
    if mode not in MODES:
        raise AdxError("usage", f"unknown mode '{mode}'", hint="use forward or reverse")


def generate(graph: Graph, mode: str = "forward", *, unroll: bool = False) -> GeneratedCode:
    """The forward (``f_jvp``) or reverse (``f_vjp``) numpy module of a graph.

    A straight-line program's code follows its Wengert list, statement by statement.
    A tape of a program with ``if``/``for`` (``graph.dynamic``) gives code that keeps
    the program's control flow, unless ``unroll``: then the code of this one run's tape.
    """
    _check_mode(mode)
    if graph.rules:
        broken = ", ".join(sorted(graph.rules))
        raise AdxError(
            "usage",
            f"this function's rule for {broken} is broken on purpose; generated code uses "
            "only the primitive table's rules",
            hint="generate code for the function without the broken rule",
        )
    if graph.dynamic and not unroll:
        return generate_structured(program_structure(graph.source, graph.origin), mode)
    return generate_straight(graph, mode)


def generate_source(
    text: str,
    mode: str = "forward",
    origin: str | None = None,
    input_shapes: Mapping[str, Shape] | None = None,
) -> GeneratedCode:
    """Generate from program text (an expression or a program file's text)."""
    _check_mode(mode)
    try:
        structure = program_structure(text, origin)
    except AdxError:
        structure = None  # an error, or free names that only input_shapes make tensors
    if structure is not None and structure.has_control_flow:
        # from the structure, without taping a run (a loop may be long)
        return generate_structured(structure, mode)
    lowered = compile_source(text, origin, input_shapes=input_shapes)
    return generate(lowered.graph, mode)
