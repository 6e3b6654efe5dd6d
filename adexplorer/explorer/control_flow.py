"""Control flow in the explorer: what a retape changed, the program beside its tape, loop groups.

A program with ``if``/``for`` is taped: each run records the operations it
performed (:attr:`Graph.decisions` says which way each ``if`` went and how often
each loop ran).  The explorer shows three things about that, all computed here
from the graph and the program's static structure, never by running anything:

* :func:`retape_note`: what changed when a new run took another path
  (``re-taped: line 4 now takes else (and 2 more changes)``);
* :func:`program_lines`: the source, line by line, with whether this run executed
  each line, how many times (a loop body ×N), which arm of each ``if`` ran;
* :func:`iteration_groups`: the tape's rows grouped per loop iteration (the
  trace table folds them), and :func:`condense`: a smaller graph to draw where
  iterations far from the current step are one box each (a 100-iteration loop
  is a handful of boxes, not 300).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from adexplorer.core.ir import Decision, Graph, Node
from adexplorer.lang.structure import Branch, For, If, Return, Statement, Structure

Context = tuple[tuple[str, int], ...]

#: The operation of a drawn box that stands for several iterations (see :func:`condense`).
GROUP_OP = "iterations"
#: A graph with more drawn nodes than this, and loop iterations, is drawn condensed.
CONDENSE_ABOVE = 60


def where_text(context: Context) -> str:
    """``, i=3`` (``, i=3, j=0`` nested); empty outside loops."""
    return "".join(f", {var}={k}" for var, k in context)


def iteration_text(context: Context) -> str:
    """``i=3`` (``i=3 j=0`` in nested loops); empty outside loops."""
    return " ".join(f"{var}={k}" for var, k in context)


# -- what a retape changed --------------------------------------------------------------


def _key(decision: Decision) -> tuple[str, int, Context]:
    return decision.kind, decision.line, decision.context


def retape_changes(old: Graph, new: Graph) -> list[str]:
    """How the new tape's path differs from the old one's, first difference first."""
    before = {_key(d): d for d in old.decisions}
    after = {_key(d): d for d in new.decisions}
    changes: list[str] = []
    for key, decision in after.items():
        head = f"line {decision.line}{where_text(decision.context)}"
        previous = before.get(key)
        if previous is None:
            changes.append(
                f"{head} now runs"
                + (f" and takes {decision.branch}" if decision.kind == "if" else "")
            )
        elif decision.kind == "if" and (previous.taken, previous.taken_line) != (
            decision.taken,
            decision.taken_line,
        ):
            changes.append(f"{head} now takes {decision.branch}")
        elif decision.kind == "for" and previous.iterations != decision.iterations:
            changes.append(f"{head}: the loop now runs {decision.iterations} times")
    for key, decision in before.items():
        if key not in after:
            changes.append(f"line {decision.line}{where_text(decision.context)} no longer runs")
    return changes


def retape_note(old: Graph | None, new: Graph) -> str | None:
    """``re-taped: line 4 now takes else`` (and how many more changes), or None if the
    run took the same path (or either graph is not a taped program)."""
    if old is None or not old.dynamic or not new.dynamic:
        return None
    changes = retape_changes(old, new)
    if not changes:
        return None
    more = len(changes) - 1
    tail = f" (and {more} more change{'s' if more != 1 else ''})" if more else ""
    return f"re-taped: {changes[0]}{tail}"


# -- the program beside its tape ---------------------------------------------------------


@dataclass(frozen=True)
class SourceLine:
    """One line of the program, and what this run did there.

    ``kind``: ``statement``, ``if`` (an if/elif/else arm's header), ``for``, or
    ``other`` (blank, a comment, a continuation).  ``runs``: how many times this
    run executed the statement, took the arm or entered the loop; None for other
    lines.  ``note`` says it in words (``taken 3 of 5``, ``not taken``, ``×100``).
    """

    number: int
    text: str
    kind: str
    runs: int | None
    note: str


@dataclass
class _Replay:
    decisions: Sequence[Decision]
    statements: Counter[int] = field(default_factory=Counter)
    reached: Counter[int] = field(default_factory=Counter)  # arms: times their if was reached
    taken: Counter[int] = field(default_factory=Counter)  # arms: times taken
    iterations: Counter[int] = field(default_factory=Counter)  # loops: iterations in all
    kinds: dict[int, str] = field(default_factory=dict)
    stopped: bool = False

    def __post_init__(self) -> None:
        self.found = {_key(d): d for d in self.decisions}

    def block(self, statements: Iterable[Statement], context: Context, runs: bool) -> None:
        for statement in statements:
            # after the return reached nothing runs, but the lines are still read
            self.statement(statement, context, runs and not self.stopped)

    def statement(self, statement: Statement, context: Context, runs: bool) -> None:
        line = statement.line
        if isinstance(statement, If):
            self.kinds[line] = "if"
            decision = self.found.get(("if", line, context)) if runs else None
            for branch in statement.branches:
                self.kinds[branch.line] = "if"
                if decision is not None:
                    self.reached[branch.line] += 1
                taken = decision is not None and decision.taken_line == branch.line
                if taken:
                    self.taken[branch.line] += 1
                self._arm(branch, context, taken)
            return
        if isinstance(statement, For):
            self.kinds[line] = "for"
            decision = self.found.get(("for", line, context)) if runs else None
            count = decision.iterations if decision is not None else 0
            if decision is not None:
                self.statements[line] += 1
                self.iterations[line] += count
            for k in statement.values[:count]:  # the values i took: range(2, 9, 3) → 2, 5, 8
                self.block(statement.body, (*context, (statement.var, k)), True)
                if self.stopped:
                    break
            if not count:
                self.block(statement.body, context, False)
            return
        self.kinds.setdefault(line, "statement")
        if runs:
            self.statements[line] += 1
            if isinstance(statement, Return):
                self.stopped = True

    def _arm(self, branch: Branch, context: Context, taken: bool) -> None:
        self.block(branch.body, context, taken)


def program_lines(structure: Structure, graph: Graph) -> list[SourceLine]:
    """Every line of the program with what this run (``graph``, a tape) did there.

    Replays the structure with the run's decisions: a statement runs as often as
    its block does, an arm as often as its ``if`` chose it, a loop body once per
    iteration, and nothing runs after the ``return`` reached.  A graph without
    control flow ran each statement once.
    """
    replay = _Replay(graph.decisions)
    replay.block(structure.statements, (), True)
    lines = structure.source.split("\n")
    result: list[SourceLine] = []
    for number, text in enumerate(lines, start=1):
        kind = replay.kinds.get(number, "other")
        if kind == "other":
            result.append(SourceLine(number, text, kind, None, ""))
            continue
        if kind == "if":
            runs = replay.taken[number]
            reached = replay.reached[number]
            if not reached:
                note = "not reached"
            elif not runs:
                note = "not taken"
            elif reached > runs:
                note = f"taken {runs} of {reached}"
            else:
                note = "taken" if runs == 1 else f"taken {runs}×"
            # a one-line arm (if x > 0: y = x) also holds its statement
            if replay.statements[number]:
                runs = max(runs, replay.statements[number])
            result.append(SourceLine(number, text, kind, runs, note))
            continue
        if kind == "for":
            runs = replay.statements[number]
            total = replay.iterations[number]
            note = f"loop ×{total}" if runs else "not reached"
            if runs > 1:
                note += f" (entered {runs}×)"
            result.append(SourceLine(number, text, kind, runs, note))
            continue
        runs = replay.statements[number]
        result.append(SourceLine(number, text, kind, runs, f"×{runs}" if runs else "not run"))
    return result


def path_summary(graph: Graph, limit: int = 3) -> str:
    """This run's path in a few words: ``line 2 takes else · line 6 loops ×100``."""
    parts: list[str] = []
    for decision in graph.decisions:
        if decision.context:
            continue  # the loop's own line says how often; its body's ifs are per line
        if decision.kind == "for":
            parts.append(f"line {decision.line} loops ×{decision.iterations}")
        else:
            parts.append(f"line {decision.line} takes {decision.branch}")
    nested = sum(1 for d in graph.decisions if d.context)
    shown = parts[:limit]
    if len(parts) > limit:
        shown.append(f"{len(parts) - limit} more")
    if nested:
        shown.append(f"{nested} decisions inside loops")
    return " · ".join(shown)


# -- loop iterations: trace-table groups ----------------------------------------------------


@dataclass(frozen=True)
class IterationGroup:
    """Consecutive rows of the tape that ran in one loop iteration."""

    number: int  # 0, 1, … in tape order
    context: Context
    nodes: tuple[int, ...]
    lines: tuple[int, ...]

    @property
    def ops(self) -> int:
        return len(self.nodes)

    def title(self) -> str:
        """``i=3 · line 4 · 2 ops``."""
        if not self.lines:
            where = "no line"
        elif len(self.lines) == 1:
            where = f"line {self.lines[0]}"
        else:
            where = f"lines {self.lines[0]}–{self.lines[-1]}"
        plural = "" if self.ops == 1 else "s"
        return f"{iteration_text(self.context)} · {where} · {self.ops} op{plural}"


def iteration_groups(
    graph: Graph, order: Sequence[int], depth: int | None = None
) -> list[IterationGroup | int]:
    """The rows ``order`` (node indices) with each run of consecutive rows of one loop
    iteration gathered in an :class:`IterationGroup`; rows outside loops stay ints.

    ``depth``: group by the outermost ``depth`` loops only (None: the innermost
    iteration, so nested loops group per ``i=3 j=0``)."""
    items: list[IterationGroup | int] = []
    current: list[int] = []
    current_context: Context = ()
    count = 0

    def close() -> None:
        nonlocal current, count
        if current:
            lines = sorted({line for n in current if (line := graph.nodes[n].line) is not None})
            items.append(IterationGroup(count, current_context, tuple(current), tuple(lines)))
            count += 1
            current = []

    for index in order:
        context = graph.nodes[index].context
        if depth is not None:
            context = context[:depth]
        if not context:
            close()
            items.append(index)
            continue
        if context != current_context:
            close()
            current_context = context
        current.append(index)
    close()
    return items


# -- a readable drawing of a long loop ------------------------------------------------------


@dataclass(frozen=True)
class Condensed:
    """A smaller graph to draw: the nodes kept as they are and one box per group.

    ``graph`` is drawable like any graph (its group boxes have op :data:`GROUP_OP`);
    ``members[k]`` are the original nodes drawn node k stands for; ``index_of``
    maps an original node to the drawn node that shows it; ``titles[k]`` names a
    group box (``i=0…40``), empty for a kept node.
    """

    graph: Graph
    members: tuple[tuple[int, ...], ...]
    index_of: dict[int, int]
    titles: tuple[str, ...]
    expanded: int | None  # the iteration group drawn node by node (the current step's)

    def is_group(self, index: int) -> bool:
        return self.graph.nodes[index].op == GROUP_OP


def loop_groups(graph: Graph) -> list[IterationGroup]:
    """The tape's drawn nodes (not constants) per iteration of the outermost loop."""
    order = [n.index for n in graph.nodes if not n.is_const]
    return [g for g in iteration_groups(graph, order, depth=1) if isinstance(g, IterationGroup)]


def should_condense(graph: Graph) -> bool:
    """Whether the drawing of ``graph`` is too long to read node by node."""
    drawn = sum(1 for n in graph.nodes if not n.is_const)
    return drawn > CONDENSE_ABOVE and any(n.context for n in graph.nodes)


def condense(graph: Graph, current: int | None) -> Condensed:
    """``graph`` with its loop iterations drawn compactly around the current step.

    The iteration of the current node is drawn node by node, the iterations on
    either side of it as one box each, and every other stretch of consecutive
    iterations as one box (``i=0…40``, with its count of operations).  Without a
    current step in a loop, each loop is one box.
    """
    groups = loop_groups(graph)
    group_of = {n: g.number for g in groups for n in g.nodes}
    focus = group_of.get(current) if current is not None else None
    # Successive iterations are one stretch only where no other drawn node lies between.
    position = {n.index: k for k, n in enumerate(n for n in graph.nodes if not n.is_const)}

    def adjacent(a: IterationGroup, b: IterationGroup) -> bool:
        return position[b.nodes[0]] == position[a.nodes[-1]] + 1

    boxes: list[list[IterationGroup]] = []  # each: the groups one drawn box stands for
    for group in groups:
        alone = focus is not None and abs(group.number - focus) <= 1
        previous = boxes[-1] if boxes else None
        joinable = (
            previous is not None
            and not alone
            and not (focus is not None and abs(previous[-1].number - focus) <= 1)
            and adjacent(previous[-1], group)
        )
        if joinable and previous is not None:
            previous.append(group)
        else:
            boxes.append([group])
    box_of: dict[int, int] = {}  # original node → box number (not for the expanded group)
    for k, box in enumerate(boxes):
        if len(box) == 1 and box[0].number == focus:
            continue
        for group in box:
            for n in group.nodes:
                box_of[n] = k

    nodes: list[Node] = []
    members: list[tuple[int, ...]] = []
    titles: list[str] = []
    index_of: dict[int, int] = {}
    box_index: dict[int, int] = {}
    for node in graph.nodes:
        if node.index not in box_of:
            new = len(nodes)
            index_of[node.index] = new
            args = tuple(index_of[a] for a in node.args)
            nodes.append(Node(new, node.op, args, node.shape, node.span, node.name, node.value))
            members.append((node.index,))
            titles.append("")
            continue
        k = box_of[node.index]
        if k in box_index:
            index_of[node.index] = box_index[k]
            continue
        box = boxes[k]
        inside = {n for g in box for n in g.nodes}
        outside: list[int] = []
        for n in sorted(inside):
            for a in graph.nodes[n].args:
                if a not in inside and not graph.nodes[a].is_const:
                    mapped = index_of[a]
                    if mapped not in outside:
                        outside.append(mapped)
        new = len(nodes)
        box_index[k] = new
        index_of[node.index] = new
        nodes.append(Node(new, GROUP_OP, tuple(outside), (), None, None, None))
        members.append(tuple(sorted(inside)))
        titles.append(_box_title(box))
    drawn = Graph(
        nodes=tuple(nodes),
        inputs=tuple(index_of[i] for i in graph.inputs),
        outputs=tuple(index_of[o] for o in graph.outputs),
        output_names=graph.output_names,
        source=graph.source,
        origin=graph.origin,
    )
    return Condensed(drawn, tuple(members), index_of, tuple(titles), focus)


def _box_title(box: list[IterationGroup]) -> str:
    first, last = box[0].context, box[-1].context
    if len(box) == 1:
        return iteration_text(first)
    (var, k0), (_, k1) = first[0], last[0]
    return f"{var}={k0}…{k1}"
