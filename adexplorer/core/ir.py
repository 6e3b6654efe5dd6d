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

A program with ``if`` or ``for`` is *taped*, as operator-overloading AD does:
its graph holds the operations one run actually performed (the branch taken,
every loop iteration unrolled), each node knows its source line and the loop
iterations it sits in (``context``), and :attr:`Graph.decisions` records which
way each ``if`` went and how often each loop ran.  Such a graph carries its
:class:`Program`, so that a run at other input values can record its own tape
(:func:`adexplorer.core.trace.run` does, before anything else).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from types import MappingProxyType
from typing import Any, Protocol

import numpy as np

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
    #: The loop iterations this operation ran in, outermost first: (("i", 3),).
    context: tuple[tuple[str, int], ...] = ()

    @property
    def line(self) -> int | None:
        """The source line the node comes from (its span's first line)."""
        return self.span.line if self.span is not None else None

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
class Decision:
    """What one run did at an ``if`` or a ``for`` (one record per time it was reached).

    For an ``if``: ``taken`` is the keyword of the arm that ran (``if``, ``elif``,
    ``else``) or ``""`` when no arm ran; ``taken_line`` is that arm's line and
    ``condition`` the source of the condition that decided (true for the arm
    taken, or the last one tested).  For a ``for``: ``iterations`` is how many
    times the body ran.  ``ties`` lists the comparisons that were exactly on
    their boundary (both sides equal), where the function may jump.
    """

    kind: str  # "if", "for", or "return" (a return inside a block ended the run)
    line: int
    context: tuple[tuple[str, int], ...] = ()
    taken: str = ""
    taken_line: int | None = None
    condition: str = ""
    iterations: int = 0
    ties: tuple[str, ...] = ()

    def describe(self) -> str:
        """``line 5: s > 5 is true, so the if branch runs`` and the like."""
        where = "".join(f", {var}={k}" for var, k in self.context)
        head = f"line {self.line}{where}"
        if self.kind == "for":
            plural = "" if self.iterations == 1 else "s"
            return f"{head}: the loop ran {self.iterations} time{plural}"
        if self.kind == "return":
            return f"{head}: return ends the run here"
        if not self.taken:
            return f"{head}: no condition is true and there is no else, so nothing runs"
        if self.taken == "else":
            return f"{head}: no condition is true, so the else branch (line {self.taken_line}) runs"
        at = "" if self.taken_line == self.line else f" (line {self.taken_line})"
        return f"{head}: {self.condition}{at} is true, so the {self.taken} branch runs"

    @property
    def branch(self) -> str:
        """The branch taken in a word or two: ``if``, ``elif (line 7)``, ``else``, ``none``."""
        if self.kind == "for":
            return f"{self.iterations} iterations"
        if self.kind == "return":
            return "return"
        if not self.taken:
            return "none"
        return (
            self.taken if self.taken_line == self.line else f"{self.taken} (line {self.taken_line})"
        )


class Program(Protocol):
    """A program whose tape depends on its inputs (it has ``if`` or ``for``)."""

    def tape(self, values: Mapping[str, Array]) -> Graph:
        """The graph of the operations a run with these input values performs."""
        ...


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
    #: For a program with ``if``/``for``: how to tape it at other values, the values
    #: this tape was recorded at, what the run decided, and what it warned about.
    program: Program | None = field(default=None, compare=False)
    taped_at: Mapping[str, Array] = field(
        default_factory=lambda: MappingProxyType({}), compare=False
    )
    decisions: tuple[Decision, ...] = ()
    tape_warnings: tuple[str, ...] = ()

    @property
    def dynamic(self) -> bool:
        """True if the graph is one run's tape of a program with ``if`` or ``for``."""
        return self.program is not None

    def retaped(self, values: Mapping[str, Array]) -> Graph:
        """The tape of this graph's program at ``values`` (complex values: at their real
        part, as operator overloading decides branches); itself if static or taped there.
        A deliberately broken rule stays broken."""
        if self.program is None:
            return self
        real = {k: np.real(np.asarray(v)) for k, v in values.items()}
        same = real.keys() == self.taped_at.keys() and all(
            np.shape(real[k]) == np.shape(self.taped_at[k])
            and np.array_equal(real[k], self.taped_at[k])
            for k in real
        )
        if same:
            return self
        taped = self.program.tape(real)
        return replace(taped, rules=self.rules) if self.rules else taped

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
    def memo(self) -> dict[Hashable, Any]:
        """Figures that depend on this graph alone (its cost model, memory figures,
        entry counts), filled in by the modules that compute them the first time a
        run asks.  A graph never changes, so they hold for every run over it; a
        graph made with ``dataclasses.replace`` starts with an empty memo."""
        return {}

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
