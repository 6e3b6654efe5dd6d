"""The computation graph: an immutable, typed Wengert list tied to the source text.

A :class:`Graph` is a tuple of :class:`Node` in evaluation order.  Each node has
an operation (``"input"``, ``"const"`` or a primitive name from
:mod:`adexplorer.core.primitives`), an *ordered* tuple of argument indices (``x*x``
lists the same argument twice), a shape, the source span it came from, and the
user's name for it if it has one.  The DAG view is derived from the list:
edges run from each argument to the node using it.

Numbering follows Griewank and Walther by default: with n inputs they are
``v(1-n) … v0`` and the intermediate values are ``v1 … vl``.  The alternative
``wengert`` numbering counts everything from 1: ``w1 … wn`` for the inputs and
onwards.  Constants are not numbered; they are shown by value, as in the
texts (``v1 = v0^2``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType

from adexplorer.base.numbers import source_literal
from adexplorer.base.shapes import Array, Shape
from adexplorer.base.source import Span
from adexplorer.core.primitives import PRIMITIVES, Primitive

NUMBERINGS = ("griewank", "wengert")


@dataclass(frozen=True, slots=True)
class Node:
    index: int
    op: str
    args: tuple[int, ...]
    shape: Shape
    span: Span | None = None
    name: str | None = None
    value: Array | None = None  # only for constants

    @property
    def is_input(self) -> bool:
        return self.op == "input"

    @property
    def is_const(self) -> bool:
        return self.op == "const"

    @property
    def is_op(self) -> bool:
        return self.op not in ("input", "const")

    @property
    def primitive(self) -> Primitive:
        return PRIMITIVES[self.op]


@dataclass(frozen=True)
class Graph:
    nodes: tuple[Node, ...]
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    output_names: tuple[str, ...]
    source: str = ""
    origin: str | None = None
    defaults: Mapping[str, Array] = field(default_factory=lambda: MappingProxyType({}))
    #: Derivative rules that replace the primitive table's for this graph (a lesson's
    #: deliberately broken rule, see ``compare.broken_rules``); empty: the table's own.
    rules: Mapping[str, Primitive] = field(default_factory=lambda: MappingProxyType({}))

    def rule(self, op: str) -> Primitive:
        """The primitive whose JVP/VJP the sweeps of this graph use for ``op``."""
        return self.rules.get(op) or PRIMITIVES[op]

    # -- derived views ------------------------------------------------------

    @property
    def input_names(self) -> tuple[str, ...]:
        return tuple(self.nodes[i].name or f"x{k + 1}" for k, i in enumerate(self.inputs))

    def input_index(self, name: str) -> int | None:
        for i in self.inputs:
            if self.nodes[i].name == name:
                return i
        return None

    @cached_property
    def op_nodes(self) -> tuple[int, ...]:
        return tuple(n.index for n in self.nodes if n.is_op)

    def edges(self) -> Iterator[tuple[int, int]]:
        """(argument, user) pairs: the DAG's edges, one per argument slot."""
        for node in self.nodes:
            for a in node.args:
                yield a, node.index

    def labels(self, numbering: str = "griewank") -> tuple[str, ...]:
        return self._labels[numbering]

    @cached_property
    def _labels(self) -> dict[str, tuple[str, ...]]:
        n_inputs = len(self.inputs)
        result: dict[str, tuple[str, ...]] = {}
        for numbering in NUMBERINGS:
            prefix = "v" if numbering == "griewank" else "w"
            next_number = (1 - n_inputs) if numbering == "griewank" else 1
            labels: list[str] = []
            for node in self.nodes:
                if node.is_const:
                    labels.append(source_literal(node.value))
                else:
                    labels.append(f"{prefix}{next_number}")
                    next_number += 1
            result[numbering] = tuple(labels)
        return result

    def source_text(self, index: int) -> str | None:
        span = self.nodes[index].span
        return span.text(self.source) if span is not None else None

    def __len__(self) -> int:
        return len(self.nodes)
