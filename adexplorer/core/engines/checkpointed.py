"""A checkpointed adjoint sweep: run a schedule's actions, recomputing what it did not store.

The same arithmetic as :mod:`.reverse`, in the same order (operations from the last
to the first, arguments in slot order, contributions added to the running total),
from values recomputed by the same primitive on the same arguments: so the
adjoints are bit-for-bit those of plain reverse mode.  Which values are held,
stored in snapshots and dropped follows :mod:`adexplorer.core.memory`, and the
sweep measures its own peak as it runs.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from adexplorer.base.shapes import Array
from adexplorer.core.checkpoint import Schedule
from adexplorer.core.engines.evaluate import as_value
from adexplorer.core.engines.steps import (
    AdjointStep,
    PrimalStep,
    RecomputeStep,
    SnapshotStep,
    frozen,
    frozen_result,
)
from adexplorer.core.ir import Graph
from adexplorer.core.memory import AT_THE_END, entries, last_uses
from adexplorer.core.primitives import PRIMITIVES

CheckpointedStep = PrimalStep | RecomputeStep | SnapshotStep | AdjointStep


class CheckpointedSweep:
    """One adjoint sweep under ``schedule``; iterate :meth:`steps`, then read the peaks.

    ``primals`` are the trace's values: the inputs and constants are read from it,
    every operation's value is computed here again (and again) as the schedule says.
    ``active`` (one flag per node, see :func:`.reverse.active_nodes`) skips the
    contributions to inactive nodes, as the plain sweep does.
    """

    def __init__(
        self,
        graph: Graph,
        primals: Sequence[Array],
        seed: Mapping[int, Array],
        schedule: Schedule,
        active: Sequence[bool] | None = None,
    ) -> None:
        if schedule.steps != len(graph.op_nodes):
            raise ValueError("the schedule is for another number of steps")
        self.graph = graph
        self.primals = primals
        self.seed = seed
        self.schedule = schedule
        self.active = active
        self.peak_entries = 0
        self.snapshots_peak = 0
        self.snapshot_entries_peak = 0

    def steps(self) -> Iterator[CheckpointedStep]:
        graph, primals, active = self.graph, self.primals, self.active
        nodes = graph.nodes
        ops = graph.op_nodes
        sizes = entries(graph)
        last = last_uses(graph)
        # What an advance past step k no longer needs (last used at k, not an output).
        frees_at: list[list[int]] = [[] for _ in range(len(ops) + 1)]
        for i, node in enumerate(nodes):
            if not node.is_const and last[i] != AT_THE_END and last[i] <= len(ops):
                frees_at[last[i]].append(i)
        held: dict[int, Array] = {i: primals[i] for i in graph.inputs}
        held_entries = sum(sizes[i] for i in graph.inputs)
        snapshots: dict[int, tuple[dict[int, Array], int]] = {}
        snapshot_entries = 0
        adjoints: list[Array | None] = [None] * len(nodes)
        adjoint_entries = 0
        evaluated = [False] * (len(ops) + 1)
        seeded = False

        def measure() -> None:
            total = held_entries + snapshot_entries + adjoint_entries
            self.peak_entries = max(self.peak_entries, total)

        def seed_steps() -> Iterator[AdjointStep]:
            nonlocal adjoint_entries
            for index, value in self.seed.items():
                v = frozen(as_value(value))
                if adjoints[index] is None:
                    adjoint_entries += sizes[index]
                previous = adjoints[index]
                adjoints[index] = v if previous is None else frozen(previous + v)
                yield AdjointStep(index, None, 0, v, adjoints[index])
            measure()

        measure()
        for action in self.schedule.actions:
            k = action.step
            kind = action.kind
            if kind == "snapshot":
                snapshots[k] = (dict(held), held_entries)
                snapshot_entries += held_entries
                self.snapshots_peak = max(self.snapshots_peak, len(snapshots))
                self.snapshot_entries_peak = max(self.snapshot_entries_peak, snapshot_entries)
                measure()
                yield SnapshotStep(k, "store", held_entries)
            elif kind == "restore":
                stored, count = snapshots[k]
                held = dict(stored)
                held_entries = count
                measure()
                yield SnapshotStep(k, "restore", count)
            elif kind == "drop":
                _, count = snapshots.pop(k)
                snapshot_entries -= count
                yield SnapshotStep(k, "drop", count)
            elif kind in ("advance", "tape"):
                index = ops[k - 1]
                node = nodes[index]
                arguments = [
                    as_value(nodes[a].value) if nodes[a].is_const else held[a] for a in node.args
                ]
                value = frozen_result(PRIMITIVES[node.op].evaluate(*arguments), arguments)
                held[index] = value
                held_entries += sizes[index]
                measure()
                if kind == "advance":
                    for done in frees_at[k]:
                        if held.pop(done, None) is not None:
                            held_entries -= sizes[done]
                if evaluated[k]:
                    yield RecomputeStep(index, value, kind == "tape")
                else:
                    evaluated[k] = True
                    yield PrimalStep(index, value)
            elif kind == "reverse":
                if not seeded:
                    seeded = True
                    yield from seed_steps()
                index = ops[k - 1]
                ct = adjoints[index]
                if ct is None:
                    continue  # the seeded outputs do not depend on this step
                node = nodes[index]
                prim = graph.rule(node.op)
                # constants as the plain sweep reads them (the trace's values)
                operands = tuple(primals[a] if nodes[a].is_const else held[a] for a in node.args)
                out = held[index]
                for slot, a in enumerate(node.args):
                    if nodes[a].is_const or (active is not None and not active[a]):
                        continue
                    contribution = frozen_result(prim.vjp[slot](operands, out, ct), operands)
                    previous = adjoints[a]
                    if previous is None:
                        adjoint_entries += sizes[a]
                    total = contribution if previous is None else frozen(previous + contribution)
                    adjoints[a] = total
                    yield AdjointStep(a, index, slot, contribution, total)
                measure()
                adjoints[index] = None  # reversed: no later step adds to it
                adjoint_entries -= sizes[index]
        if not seeded:  # no operation to reverse (f = x): the seed is the whole sweep
            yield from seed_steps()
