"""Expression swell, measured: symbolic derivatives as trees, as shared DAGs, simplified, and AD.

:func:`swell_study` takes one function; :func:`family_study` a growth family
such as the logistic map ``4*#*(1-#)``, where level n substitutes level n-1
for ``#`` (level 1: ``#`` = x).  Sizes are counted over the shared structure
(see :mod:`adexplorer.compare.symbolic`), so level 40 of the logistic map, whose
derivative tree has ~10¹² nodes, takes a fraction of a second.

The sizes, for f and for ∂f/∂x:

* ``tree`` — nodes of the expression written out in full (what a naive CAS stores);
* ``dag`` — distinct subexpressions (common subexpressions shared);
* ``simplified`` — the naive derivative after light simplification, as a tree;
* ``ad_forward`` / ``ad_reverse`` — lines of the AD traces on the shared graph:
  primal + tangent steps, and primal + adjoint steps (one per contribution).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from adexplorer.base.errors import AdxError
from adexplorer.base.limits import check, limit
from adexplorer.compare.symbolic import (
    CONST,
    VAR,
    ExprTable,
    differentiate,
    elided_text,
    from_graph,
    simplify,
)
from adexplorer.core.ir import Graph
from adexplorer.core.trace import check_nodes, describe_node
from adexplorer.lang.lower import compile_source

HOLE = "#"
_HOLE_NAME = "__previous_level__"


@dataclass(frozen=True)
class Sizes:
    f_tree: int
    f_dag: int
    df_tree: int
    df_dag: int
    simplified_tree: int
    simplified_dag: int
    ad_forward: int
    ad_reverse: int

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class SwellResult:
    wrt: str
    sizes: Sizes
    derivative_text: str
    derivative_elided: bool
    simplified_text: str
    simplified_elided: bool
    #: f itself as one expression (for a program with if/for: the path taken)
    function_text: str = ""
    function_elided: bool = False


class _DagCounter:
    """Sizes of the shared DAG of a root, kept up to date as the root grows.

    In a growth family level n contains level n-1, and so do their derivatives,
    so each level adds only its new ids: counting every level afresh made a
    family quadratic in its number of levels.  Where a root does not contain
    the previous one (simplification can cut a level out), it counts afresh.
    """

    def __init__(self, table: ExprTable) -> None:
        self.table = table
        self.seen: set[int] = set()
        self.root: int | None = None
        self.nodes = self.ops = self.contributions = 0

    def grow(self, root: int) -> None:
        table = self.table
        new = table.missing([root], self.seen)
        nested = (
            self.root is None or root == self.root or any(self.root in table.args[e] for e in new)
        )
        if not nested:
            self.seen.clear()
            self.nodes = self.ops = self.contributions = 0
            new = table.missing([root], self.seen)
        self.root = root
        self.seen.update(new)
        self.nodes += len(new)
        for e in new:
            if table.ops[e] not in (CONST, VAR):
                self.ops += 1
                self.contributions += sum(1 for a in table.args[e] if table.ops[a] != CONST)


def measure(
    table: ExprTable, f: int, wrt: str, counters: tuple[_DagCounter, ...] | None = None
) -> tuple[Sizes, int, int]:
    """Sizes of f, its naive derivative and that simplified; the AD traces' lines on
    f's shared graph (primal + tangent, primal + one adjoint line per contribution).
    ``counters`` (for f, ∂f and simplified ∂f) carry DAG counts over from the
    previous level of a family."""
    df = differentiate(table, f, wrt)
    simple = simplify(table, df)
    f_dag, df_dag, simple_dag = counters or tuple(_DagCounter(table) for _ in range(3))
    f_dag.grow(f)
    df_dag.grow(df)
    simple_dag.grow(simple)
    sizes = Sizes(
        f_tree=table.tree_size(f),
        f_dag=f_dag.nodes,
        df_tree=table.tree_size(df),
        df_dag=df_dag.nodes,
        simplified_tree=table.tree_size(simple),
        simplified_dag=simple_dag.nodes,
        ad_forward=2 * f_dag.ops,
        ad_reverse=f_dag.ops + f_dag.contributions,
    )
    return sizes, df, simple


def require_elementwise(graph: Graph) -> None:
    """Symbolic differentiation here follows each primitive's scalar partial-derivative
    formula; tensor operations (sum, dot, @, transpose) have none."""
    for node in graph.nodes:
        if not node.is_input and not node.is_const and node.primitive.partials is None:
            raise AdxError(
                "type",
                f"symbolic differentiation here covers scalar functions; "
                f"{describe_node(graph, node.index)} is a tensor operation",
                span=node.span,
                source=graph.source,
                hint="adx eval differentiates tensor programs by AD",
            )


def swell_study(graph: Graph, wrt: str, limit: int = 400) -> SwellResult:
    if graph.input_index(wrt) is None:
        from adexplorer.base.errors import did_you_mean

        raise AdxError(
            "usage",
            f"'{wrt}' is not an input of this function",
            hint=did_you_mean(wrt, graph.input_names)
            or f"the inputs are {', '.join(graph.input_names)}",
        )
    if len(graph.outputs) != 1:
        raise AdxError("type", "adx swell needs a function with a single output")
    require_elementwise(graph)
    check_nodes(graph)
    table = ExprTable()
    f = from_graph(table, graph)[graph.outputs[0]]
    sizes, df, simple = measure(table, f, wrt)
    text, elided = elided_text(table, df, limit)
    simple_text, simple_elided = elided_text(table, simple, limit)
    f_text, f_elided = elided_text(table, f, limit)
    return SwellResult(wrt, sizes, text, elided, simple_text, simple_elided, f_text, f_elided)


@dataclass(frozen=True)
class FamilyRow:
    n: int
    sizes: Sizes


def parse_levels(text: str) -> tuple[int, int]:
    """``1:40`` → (1, 40); ``12`` → (1, 12)."""
    try:
        if ":" in text:
            low, high = (int(p) for p in text.split(":"))
        else:
            low, high = 1, int(text)
    except ValueError:
        raise AdxError(
            "usage", f"cannot read the levels {text!r}", hint="write FIRST:LAST, e.g. --n 1:40"
        ) from None
    if low < 1 or high < low:
        raise AdxError("usage", f"levels run from 1 upwards, FIRST <= LAST (got {text})")
    check("family_levels", high, hint=f"use --n {low}:{min(limit('family_levels'), high)}")
    return low, high


def family_levels(
    template: str, high: int, variable: str = "x", measured: int = 0
) -> tuple[ExprTable, list[int]]:
    """The expressions of levels 1…high of a family, sharing everything they can.

    With ``measured`` (the number of levels that will be measured), the
    ``family_work`` limit is checked as the levels are built, so a template too
    long for it is refused before the table is filled.
    """
    if HOLE not in template:
        raise AdxError(
            "usage",
            f"the template {template!r} has no '{HOLE}' for the previous level",
            hint="e.g. --family '4*#*(1-#)' (the logistic map) or --family 'sin(#)'",
        )
    if not variable.isidentifier() or not variable.isascii():
        raise AdxError("usage", f"--variable {variable!r} is not a name", hint="e.g. --variable x")
    try:
        graph = compile_source(template.replace(HOLE, f" {_HOLE_NAME} "), origin="--family").graph
        require_elementwise(graph)
    except AdxError as error:
        # Positions point into the rewritten text: report in the template's own terms.
        raise AdxError(
            error.kind,
            error.message.replace(f" {_HOLE_NAME} ", HOLE).replace(_HOLE_NAME, HOLE),
            hint=error.hint,
            origin="--family",
        ) from None
    if len(graph.outputs) != 1:
        raise AdxError("usage", "a family template is one expression")
    table = ExprTable()
    previous = table.var(variable)
    levels = []
    first = 0
    for _ in range(high):
        exprs: list[int] = []
        for node in graph.nodes:
            if node.is_input:
                exprs.append(previous if node.name == _HOLE_NAME else table.var(node.name or ""))
            elif node.is_const:
                exprs.append(table.const(float(np.asarray(node.value))))
            else:
                exprs.append(table.make(node.op, tuple(exprs[a] for a in node.args)))
        previous = exprs[graph.outputs[0]]
        levels.append(previous)
        if len(levels) == 1:
            first = len(table.ops)
        if measured:
            _check_work(measured, first, len(table.ops), len(levels), high)
    return table, levels


def _check_work(measured: int, first: int, nodes: int, level: int, high: int) -> None:
    """Each level is differentiated afresh over everything below it, so the time grows
    with levels × nodes (about 20 µs each): a long template over 500 levels would run
    for hours.  The nodes at level ``high`` are foreseen from the growth per level so
    far (``first`` nodes at level 1, ``nodes`` at ``level``); at ``high`` they are exact."""
    growth = (nodes - first) / (level - 1) if level > 1 else 0.0
    foreseen = nodes + int(growth * (high - level))
    check(
        "family_work",
        measured * foreseen,
        hint=f"the template's expressions have {nodes:,} nodes by level {level} "
        f"(about {foreseen:,} by level {high}); measure fewer levels (--n) or use a "
        "shorter template",
    )


def family_study(template: str, levels: str, variable: str = "x") -> list[FamilyRow]:
    low, high = parse_levels(levels)
    table, exprs = family_levels(template, high, variable, measured=high - low + 1)
    rows = []
    counters = tuple(_DagCounter(table) for _ in range(3))
    for n in range(1, high + 1):  # every level, so that the counts carry over
        sizes, _, _ = measure(table, exprs[n - 1], variable, counters)
        if n >= low:
            rows.append(FamilyRow(n, sizes))
    return rows
