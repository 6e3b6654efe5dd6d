"""The memory model: what each mode keeps while it runs, and its peak.

Counted in scalar entries of float64 values (8 bytes each): a vector of 3 is 3
entries, a 2×2 matrix 4.  The rules, the same for every program and every view:

* **What is a value.**  The inputs and the results of the l operations of the
  Wengert list (v(1-n) … vl).  Constants are part of the program, not of its
  memory: they are never counted.  Step k is the k-th operation (k = 1 … l);
  *state k* is what an evaluation holds after step k.
* **The live set L(k).**  L(0) is every input.  For k ≥ 1, L(k) is every value
  computed at or before step k (inputs included) that a later step reads or that
  is an output.  An unused input is held at the start and dropped at step 1.
* **evaluate** keeps only live values.  During step k it holds L(k-1) and the new
  value vk; the peak is the largest of |L(0)| and |L(k-1)| + |vk| over k.
* **forward** (one tangent sweep, primal and tangent together) keeps a tangent
  beside every live value: exactly twice the evaluate figures.  A full gradient
  runs n such sweeps one after another; the peak is that of one.
* **reverse** (one adjoint sweep) first runs a taping sweep that keeps *every*
  value: the tape is every input and every operation's result (the adjoint rules
  may read any argument or result; tools that know a rule reads nothing, as for
  ``+``, store less — adx counts the plain tape).  The tape is kept whole until
  the adjoint sweep ends.  Then the live adjoints: an adjoint exists from its
  first contribution (or the seed) until its node has been reversed, after
  which it is dropped; the inputs' adjoints (the gradient) stay.  Only nodes the
  seeded output depends on get an adjoint.  The peak is the tape plus the most
  adjoints alive at once, measured while step k's contributions have been added
  and before vk's adjoint is dropped.  A Jacobian runs one sweep per output
  entry; the figure is the largest over the outputs.

Checkpointed reverse sweeps (:mod:`adexplorer.core.checkpoint`) are measured by
the same rules as they run, and a schedule that tapes everything gives exactly
the reverse figures here (a test checks it).
"""

from __future__ import annotations

from dataclasses import dataclass

from adexplorer.base.shapes import size
from adexplorer.core.ir import Graph

#: Bytes of one stored entry (float64).
ENTRY_BYTES = 8

#: "No later step reads this" for :func:`last_uses`: outputs are read at the end.
AT_THE_END = 2**62


@dataclass(frozen=True, slots=True)
class ModeMemory:
    """What one mode stores: primal values at its peak, derivatives alive, the peak."""

    mode: str
    stored_values: int  # evaluate/forward: live values at the peak; reverse: the tape
    derivatives: int  # forward: tangents at the peak; reverse: most live adjoints; else 0
    peak_entries: int

    @property
    def peak_bytes(self) -> int:
        return self.peak_entries * ENTRY_BYTES

    @property
    def stored_bytes(self) -> int:
        return self.stored_values * ENTRY_BYTES

    def as_json(self) -> dict[str, int]:
        return {
            "stored_values": self.stored_values,
            "stored_bytes": self.stored_bytes,
            "derivatives": self.derivatives,
            "peak_entries": self.peak_entries,
            "peak_bytes": self.peak_bytes,
        }


@dataclass(frozen=True, slots=True)
class MemoryFigures:
    """The three modes side by side for one graph."""

    evaluate: ModeMemory
    forward: ModeMemory
    reverse: ModeMemory

    def mode(self, name: str) -> ModeMemory:
        return {"evaluate": self.evaluate, "forward": self.forward, "reverse": self.reverse}[name]

    def as_json(self) -> dict[str, object]:
        return {
            "unit": f"float64 entries, {ENTRY_BYTES} bytes each; constants not counted",
            "evaluate": self.evaluate.as_json(),
            "forward": self.forward.as_json(),
            "reverse": self.reverse.as_json(),
        }


def entries(graph: Graph) -> list[int]:
    """Scalar entries of each node's value (0 for constants: never counted)."""
    sizes: dict[tuple[int, ...], int] = {}  # a few shapes, many nodes
    result = []
    for node in graph.nodes:
        if node.is_const:
            result.append(0)
            continue
        n = sizes.get(node.shape)
        if n is None:
            n = sizes[node.shape] = size(node.shape)
        result.append(n)
    return result


def step_numbers(graph: Graph) -> list[int]:
    """Each node's step: k for the k-th operation, 0 for inputs and constants."""
    steps = [0] * len(graph.nodes)
    for k, index in enumerate(graph.op_nodes, start=1):
        steps[index] = k
    return steps


def last_uses(graph: Graph) -> list[int]:
    """The last step that reads each value (:data:`AT_THE_END` for outputs).

    A value no step reads is dropped at the step that made it (an unused input: at
    step 1, or never if the program has no operation).
    """
    steps = step_numbers(graph)
    last = [max(steps[i], 1) if graph.nodes[i].is_input else steps[i] for i in range(len(steps))]
    for k, index in enumerate(graph.op_nodes, start=1):
        for a in graph.nodes[index].args:
            if k > last[a]:
                last[a] = k
    for o in graph.outputs:
        last[o] = AT_THE_END
    return last


def live_entries(graph: Graph, sizes: list[int] | None = None) -> list[int]:
    """|L(k)| for k = 0 … l: the entries an evaluation holds after each step."""
    sizes = entries(graph) if sizes is None else sizes
    last = last_uses(graph)
    held = sum(sizes[i] for i in graph.inputs)
    result = [held]
    # values whose last use is step k are dropped after step k
    drops: dict[int, int] = {}
    for i, node in enumerate(graph.nodes):
        if not node.is_const and last[i] != AT_THE_END:
            drops[last[i]] = drops.get(last[i], 0) + sizes[i]
    for k, index in enumerate(graph.op_nodes, start=1):
        held += sizes[index] - drops.get(k, 0)
        result.append(held)
    return result


def evaluate_peak(graph: Graph, sizes: list[int] | None = None) -> int:
    """max(|L(0)|, |L(k-1)| + |vk|): the most an evaluation holds at once."""
    sizes = entries(graph) if sizes is None else sizes
    live = live_entries(graph, sizes)
    peak = live[0]
    for k, index in enumerate(graph.op_nodes, start=1):
        peak = max(peak, live[k - 1] + sizes[index])
    return peak


def tape_entries(graph: Graph, sizes: list[int] | None = None) -> int:
    """The plain tape: every input and every operation's result."""
    return sum(entries(graph) if sizes is None else sizes)


def adjoint_peak(graph: Graph, output: int, sizes: list[int] | None = None) -> int:
    """The most adjoint entries alive at once in a sweep seeded at node ``output``."""
    nodes = graph.nodes
    sizes = entries(graph) if sizes is None else sizes
    alive = [False] * len(nodes)
    alive[output] = True
    held = peak = sizes[output]
    for index in range(len(nodes) - 1, -1, -1):
        node = nodes[index]
        if not alive[index] or not node.is_op:
            continue
        for a in node.args:
            if not nodes[a].is_const and not alive[a]:
                alive[a] = True
                held += sizes[a]
        peak = max(peak, held)
        alive[index] = False  # vk has been reversed: its adjoint is no longer needed
        held -= sizes[index]
    return peak


def memory_figures(graph: Graph) -> MemoryFigures:
    """Stored values, derivatives and peak of evaluate, forward and reverse mode.

    They depend on the graph's shapes alone: computed once per graph (kept in
    :attr:`Graph.memo`), not once per run."""
    figures = graph.memo.get("memory_figures")
    if figures is None:
        figures = graph.memo["memory_figures"] = _memory_figures(graph)
    assert isinstance(figures, MemoryFigures)
    return figures


def _memory_figures(graph: Graph) -> MemoryFigures:
    sizes = entries(graph)
    live_peak = evaluate_peak(graph, sizes)
    tape = tape_entries(graph, sizes)
    adjoints = max((adjoint_peak(graph, o, sizes) for o in set(graph.outputs)), default=0)
    return MemoryFigures(
        evaluate=ModeMemory("evaluate", live_peak, 0, live_peak),
        forward=ModeMemory("forward", live_peak, live_peak, 2 * live_peak),
        reverse=ModeMemory("reverse", tape, adjoints, tape + adjoints),
    )
