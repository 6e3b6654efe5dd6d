"""Exercise answers, computed by the engines from the step's program, and checking responses.

A ``from:`` query names what to compute.  The queries are the table ``QUERIES``
(name → how to compute it, its arguments and its help text); the list in
docs/lesson-format.md is generated from it (``queries_markdown``) and a test
keeps the two equal.

Answers come straight from the core, lang and compare layers: the step's
program is compiled (``prepare``), and each query runs the engine it needs.
Nothing here builds an explorer session.

Responses are read through the adx grammar: a number may be written ``0.5``,
``1/2`` or ``log(2)``; a formula is an expression in the inputs, checked by
evaluating it at several points against AD.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

import numpy as np

from adexplorer.base import limits
from adexplorer.base.errors import AdxError, closest
from adexplorer.base.numbers import format_scalar
from adexplorer.base.shapes import Array, size, type_name
from adexplorer.compare import symbolic
from adexplorer.compare.broken_rules import parse_broken_rule, with_broken_rule
from adexplorer.compare.fd_study import study
from adexplorer.compare.node_check import check_nodes
from adexplorer.compare.swell import Sizes, family_study, swell_study
from adexplorer.core.descent import descent_step, evaluate_scalar, trained_inputs
from adexplorer.core.engines.finite_diff import SCHEMES, directional, evaluations_per_gradient
from adexplorer.core.ir import Decision, Graph
from adexplorer.core.trace import Trace, run
from adexplorer.lang.lower import compile_source, lesson_values, parse_at
from adexplorer.lessons import (
    codegen_queries,
    grading,
    kind_queries,
    memory_queries,
    second_order_queries,
    tensor_queries,
    vector_queries,
)
from adexplorer.lessons.model import Exercise, Explore

Answer = float | str


@dataclass(frozen=True)
class Feedback:
    """What the grader says about one response.

    ``slip`` names the common slip a wrong number shows ("sign", "swapped",
    "one-contribution", "missing-factor", "one-term", "factor-2", "magnitude",
    "descent-steps", "wrong-node", "off-by-one", "unrolled", "scheme", "ad",
    "inputs-left-out", "reverse-memory", "evaluations", "binomial", "one-row",
    "mean", "data-counted", "per-tensor", "biases-left-out", "zero-grad"; a ``shape``
    answer: "swapped-dimensions", "batch", "broadcast", "other-node"),
    or is "".  ``attempt`` is False when the response was not judged (empty, not
    readable, or too few digits): it must not count as a wrong try.
    """

    correct: bool
    message: str
    slip: str = ""
    attempt: bool = True


#: Wrong attempts after which the player offers to reveal the answer.
REVEAL_AFTER = 3


# ------------------------------------------------------------------ the step's program


@dataclass(frozen=True)
class Setup:
    """A step's program, ready for the engines: graph, input values and forward-mode seed."""

    explore: Explore
    graph: Graph
    values: Mapping[str, Array]
    seed_name: str | None  # the input seeded with 1, or None when the seed is a direction
    seed: Mapping[str, Array]  # the forward-mode seed (tangents and directional derivatives)
    #: reverse mode's ``seed:``, the cotangent ȳ over the outputs (empty: none given)
    cotangent: Mapping[str, Array] = dataclasses.field(default_factory=dict)


def prepare(explore: Explore) -> Setup:
    """Compile the step's program, give every input a value, read the seed.

    Inputs not given in ``at:`` take the program's default, else 1 (as the
    explorer does).  The program is run once in reverse mode so that a step whose
    program cannot run at its point fails here, with the program's own message.
    """
    given = lesson_values(explore.at, explore.folder, explore.program)
    try:
        graph = compile_source(explore.program).graph
    except AdxError as error:
        raise error.with_source(explore.program) from None
    if explore.broken_rule:  # "break:": the sweeps use a deliberately wrong local rule
        graph = with_broken_rule(graph, parse_broken_rule(explore.broken_rule, "break"))
    trained_inputs(graph, explore.train)  # "train:" names inputs of the program
    values: dict[str, Array] = {}
    for name in graph.input_names:
        if name in given:
            values[name] = np.asarray(given[name], dtype=np.float64)
        elif name in graph.defaults:
            values[name] = graph.defaults[name]
        else:
            shape = graph.nodes[graph.input_index(name) or 0].shape
            limits.check("tensor_entries", size(shape))
            values[name] = np.full(shape, 1.0)
    # a program with if/for: the tape of a run at the step's point, not at the defaults
    graph = graph.retaped(values)
    run(graph, values, "reverse")
    seed_name: str | None = graph.input_names[0] if graph.input_names else None
    text = explore.seed.strip()
    cotangent: dict[str, Array] = {}
    if explore.mode == "reverse" and text:  # reverse mode's seed is ȳ, over the outputs
        cotangent = _cotangent(graph, text)
        text = ""
    if text in graph.input_names:
        seed_name = text
    elif text:
        seed_name = None
    if seed_name is not None:
        shape = graph.nodes[graph.input_index(seed_name) or 0].shape
        seed: dict[str, Array] = {seed_name: np.ones(shape)}
    else:
        seed = {name: value for name, (value, _) in parse_at(text, "seed").items()} if text else {}
        unknown = [name for name in seed if name not in graph.input_names]
        if unknown:
            raise AdxError(
                "usage",
                f"the seed names {', '.join(unknown)}, which is not an input",
                hint=f"the inputs are {', '.join(graph.input_names)}",
            )
    return Setup(explore, graph, values, seed_name, seed, cotangent)


def _cotangent(graph: Graph, text: str) -> dict[str, Array]:
    """Reverse mode's ``seed:``: a weight ȳ per output (``f1=1, f2=-2``; outputs left out
    get 0), checked to name outputs; an input's name gets told what reverse mode seeds."""
    weights = {name: value for name, (value, _) in parse_at(text, "seed").items()}
    for name in weights:
        if name in graph.output_names:
            continue
        outputs = ", ".join(graph.output_names)
        if name in graph.input_names:
            raise AdxError(
                "usage",
                f"in reverse mode the seed is the cotangent ȳ, a weight per output, and "
                f"{name} is an input",
                hint=f"name the outputs ({outputs}); for a direction over the inputs use "
                "mode: forward",
            )
        match = closest(name, graph.output_names)
        raise AdxError(
            "usage",
            f"the seed names {name}, which is not an output"
            + (f" (did you mean '{match}'?)" if match else ""),
            hint=f"in reverse mode the seed weights the outputs: {outputs}",
        )
    return weights


# ------------------------------------------------------------------ the queries


@dataclass(frozen=True)
class Arg:
    """One word after a query's name: what it stands for, and the words it may be."""

    meta: str  # how the docs write it: NAME, SCHEME, LEVEL …
    choices: tuple[str, ...] = ()  # the only words allowed (empty: any)
    whole: bool = False  # a whole number ≥ 0

    def read(self, query: str, word: str) -> str:
        if self.choices and word not in self.choices:
            match = closest(word, self.choices)
            raise AdxError(
                "lesson",
                f"'from: {query}' takes {self.meta} = {_or(self.choices)}, not {word!r}"
                + (f" (did you mean '{match}'?)" if match else ""),
            )
        if self.whole and not (word.isascii() and word.isdigit()):  # not '²': int() refuses it
            raise AdxError(
                "lesson", f"'from: {query}' takes {self.meta} as a whole number, not {word!r}"
            )
        return word


@dataclass(frozen=True)
class Query:
    """One entry of the query table."""

    name: str
    args: tuple[Arg, ...]
    help: str  # what the answer is (one line; the docs' table shows it)
    examples: tuple[str, ...]  # written out in full, as in a lesson's ``from:``
    compute: Callable[[Setup, tuple[str, ...]], Answer]
    formula: bool = False  # a formula exercise may use it: its answer is a function of the inputs

    @property
    def usage(self) -> str:
        return " ".join([self.name, *(a.meta for a in self.args)])


def _or(words: tuple[str, ...]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


def _label_index(setup: Setup, label: str) -> int:
    labels = setup.graph.labels("griewank")
    if label not in labels:
        raise AdxError("lesson", f"no node {label!r} in this program; it has {', '.join(labels)}")
    return labels.index(label)


def _number(value: Array, what: str) -> float:
    """``value`` as a float, or a clear error when it is a vector or a matrix."""
    shape = np.shape(value)
    if shape != ():
        raise AdxError(
            "lesson",
            f"{what} is {type_name(shape)}, not a single number",
            hint="ask for a number: a scalar output, or an entry such as gradient W[0,1]",
        )
    return float(value)


def _scalar_output(setup: Setup, what: str) -> None:
    out = setup.graph.outputs
    if len(out) != 1 or setup.graph.nodes[out[0]].shape != ():
        shapes = ", ".join(type_name(setup.graph.nodes[o].shape) for o in out)
        raise AdxError(
            "lesson",
            f"{what} needs a program with one scalar output (this one returns {shapes})",
            hint="return a number, e.g. sum(...) of a vector",
        )


def _evaluate(setup: Setup) -> Trace:
    return run(setup.graph, setup.values, "evaluate")


def _forward(setup: Setup) -> Trace:
    return run(setup.graph, setup.values, "forward", setup.seed)


def _reverse(setup: Setup) -> Trace:
    return run(setup.graph, setup.values, "reverse")


def _value(setup: Setup, args: tuple[str, ...]) -> Answer:
    _scalar_output(setup, "'from: value'")
    return float(_evaluate(setup).output_value())


def _operations(setup: Setup, args: tuple[str, ...]) -> Answer:
    return float(len(setup.graph.op_nodes))


def _gradient(setup: Setup, args: tuple[str, ...]) -> Answer:
    _scalar_output(setup, "a gradient")
    grad = _reverse(setup).gradient()
    name, _, entry_text = args[0].partition("[")
    if name not in grad:
        raise AdxError("lesson", f"'{name}' is not an input; the inputs are {', '.join(grad)}")
    entry = grad[name]
    if entry_text:  # an entry of a vector or matrix gradient: W1[0,1]
        try:
            entry = entry[tuple(int(k) for k in entry_text.rstrip("]").split(","))]
        except (ValueError, IndexError):
            raise AdxError(
                "lesson", f"no entry {args[0]} in a gradient of shape {entry.shape}"
            ) from None
    if np.shape(entry) != ():
        raise AdxError(
            "lesson",
            f"the gradient for {name} is not a number; ask for an entry, e.g. {name}[0]",
        )
    return float(entry)


def _primal(setup: Setup, args: tuple[str, ...]) -> Answer:
    return _number(_evaluate(setup).values[_label_index(setup, args[0])], f"{args[0]}'s value")


def _tangent(setup: Setup, args: tuple[str, ...]) -> Answer:
    index = _label_index(setup, args[0])
    tangent = _forward(setup).tangent_sweeps[0].tangents[index]
    return _number(tangent, f"{args[0]}'s tangent") if tangent is not None else 0.0


def _directional(setup: Setup, args: tuple[str, ...]) -> Answer:
    _scalar_output(setup, "'from: directional'")
    return float(_forward(setup).output_tangents()[0])


def _adjoint(setup: Setup, args: tuple[str, ...]) -> Answer:
    index = _label_index(setup, args[0])
    _scalar_output(setup, "an adjoint (one reverse sweep, seeded at the output)")
    adjoint = _reverse(setup).adjoint_sweeps[0].adjoints[index]
    return _number(adjoint, f"{args[0]}'s adjoint") if adjoint is not None else 0.0


def _contributions(setup: Setup, args: tuple[str, ...]) -> Answer:
    _scalar_output(setup, "counting adjoint contributions (one reverse sweep)")
    index = _label_index(setup, args[0])
    steps = _reverse(setup).adjoint_sweeps[0].steps
    return float(sum(1 for s in steps if s.node == index and s.source is not None))


def _sweeps(setup: Setup, args: tuple[str, ...]) -> Answer:
    cost = _evaluate(setup).cost
    assert cost is not None
    return float(cost.n_inputs if args[0] == "forward" else cost.n_outputs)


def _cheaper_mode(setup: Setup, args: tuple[str, ...]) -> Answer:
    cost = _evaluate(setup).cost
    assert cost is not None
    n, m = cost.n_inputs, cost.n_outputs
    return "forward" if n < m else "reverse" if m < n else "either"


def _fd_best_h(setup: Setup, args: tuple[str, ...]) -> Answer:
    result = study(setup.graph, setup.values, setup.seed_name, schemes=(args[0],))
    if args[0] not in result.best:
        raise AdxError("lesson", f"the {args[0]} scheme gives no estimate here")
    return result.best[args[0]][0]


def _step_size(text: str) -> float:
    """The step h of ``fd-estimate``: a positive number such as 1e-6."""
    try:
        h = float(text)
    except ValueError:
        h = math.nan
    if not (math.isfinite(h) and h > 0):
        raise AdxError("lesson", f"'from: fd-estimate' takes H as a positive number, not {text!r}")
    return h


def _fd_estimate(setup: Setup, args: tuple[str, ...]) -> Answer:
    """The derivative along the step's seed estimated by SCHEME with step H."""
    _scalar_output(setup, "a finite-difference estimate")
    if not setup.seed:
        raise AdxError("lesson", "this program has no inputs, so there is nothing to differentiate")
    estimate = directional(setup.graph, setup.values, setup.seed, _step_size(args[1]), args[0])
    return _number(estimate, "the estimate")


def _fd_evals(setup: Setup, args: tuple[str, ...]) -> Answer:
    n = sum(int(np.size(v)) for v in setup.values.values())
    return float(evaluations_per_gradient(n, args[0]))


def _swell(setup: Setup, args: tuple[str, ...]) -> Answer:
    if not setup.graph.input_names:
        raise AdxError("lesson", "this program has no inputs, so there is nothing to differentiate")
    wrt = setup.seed_name or setup.graph.input_names[0]
    return float(swell_study(setup.graph, wrt).sizes.as_dict()[args[0]])


def _family_size(setup: Setup, args: tuple[str, ...]) -> Answer:
    level, size = args
    rows = family_study(setup.explore.family, f"{level}:{level}")
    return float(rows[0].sizes.as_dict()[size])


def _cost(setup: Setup, args: tuple[str, ...]) -> Answer:
    cost = _evaluate(setup).cost
    assert cost is not None
    return float(getattr(cost, args[0]))


def _descent(setup: Setup, args: tuple[str, ...]) -> Answer:
    _scalar_output(setup, "gradient descent")
    values = dict(setup.values)
    limits.check("descent_steps", int(args[0]))
    for _ in range(int(args[0])):
        _, values = descent_step(setup.graph, values, setup.explore.eta, setup.explore.train)
    return evaluate_scalar(setup.graph, values)


def _descended(setup: Setup, args: tuple[str, ...]) -> Answer:
    """An input's value (or an entry of it, ``W1[0,1]``) after STEPS descent steps."""
    _scalar_output(setup, "gradient descent")
    limits.check("descent_steps", int(args[0]))
    values = dict(setup.values)
    for _ in range(int(args[0])):
        _, values = descent_step(setup.graph, values, setup.explore.eta, setup.explore.train)
    name, _, entry_text = args[1].partition("[")
    if name not in values:
        raise AdxError("lesson", f"'{name}' is not an input; the inputs are {', '.join(values)}")
    value = np.asarray(values[name])
    if entry_text:
        try:
            value = value[tuple(int(k) for k in entry_text.rstrip("]").split(","))]
        except (ValueError, IndexError):
            raise AdxError(
                "lesson", f"no entry {args[1]} in {name}, of shape {value.shape}"
            ) from None
    return _number(value, args[1])


def _true_gradient(setup: Setup, args: tuple[str, ...]) -> Answer:
    """Like ``gradient``, by the primitive table's own rules (a ``break:`` is ignored)."""
    return _gradient(replace(setup, graph=replace(setup.graph, rules={})), args)


def _wrong_inputs(setup: Setup, args: tuple[str, ...]) -> Answer:
    """The inputs whose partial the whole-gradient check flags: none, only x, both x and y…"""
    _scalar_output(setup, "the whole-gradient check")
    wrong = [g.name for g in check_nodes(setup.graph, setup.values).gradient if g.wrong]
    if not wrong:
        return "none"
    if len(wrong) == 1:
        return f"only {wrong[0]}"
    words = ", ".join(wrong[:-1]) + f" and {wrong[-1]}"
    return f"both {words}" if len(wrong) == 2 else words


def _wrong_node(setup: Setup, args: tuple[str, ...]) -> Answer:
    """The first node whose rule the node-by-node check finds wrong (its label), or none."""
    wrong = check_nodes(setup.graph, setup.values).wrong_nodes
    return setup.graph.labels("griewank")[wrong[0]] if wrong else "none"


def _local_partial(setup: Setup, args: tuple[str, ...]) -> Answer:
    """∂NODE/∂ARGUMENT at the node's own values, by the primitive table's true rule."""
    index, argument = _label_index(setup, args[0]), _label_index(setup, args[1])
    node = setup.graph.nodes[index]
    if argument not in node.args or not node.is_op:
        uses = ", ".join(setup.graph.labels("griewank")[a] for a in node.args) or "nothing"
        raise AdxError("lesson", f"{args[0]} does not use {args[1]} (its arguments: {uses})")
    values = _evaluate(setup).values
    operands = tuple(values[a] for a in node.args)
    total = 0.0  # x*x uses x twice: the local partial is the sum over both slots
    for slot, a in enumerate(node.args):
        if a == argument:
            total += _number(
                node.primitive.jvp[slot](operands, values[index], np.float64(1.0)),
                f"∂{args[0]}/∂{args[1]}",
            )
    return total


def _decision(setup: Setup, kind: str, line: str) -> Decision:
    """The first record of the ``if`` (or ``for``) on ``line`` in the run at the step's point."""
    number = int(line)
    found = [d for d in setup.graph.decisions if d.kind == kind and d.line == number]
    if found:
        return found[0]
    lines = sorted({d.line for d in setup.graph.decisions if d.kind == kind})
    where = (
        f"the {kind} statements this run reaches are on line(s) {', '.join(map(str, lines))}"
        if lines
        else f"this run reaches no {kind} statement"
    )
    raise AdxError(
        "lesson",
        f"no {kind} on line {number} of the program is reached at the step's point; {where}",
        hint="lines count from 1, the program's first line",
    )


def _branch(setup: Setup, args: tuple[str, ...]) -> Answer:
    """Which arm of the ``if`` on line L runs: ``if``, ``elif``, ``else`` or ``none``."""
    return _decision(setup, "if", args[0]).taken or "none"


def _iterations(setup: Setup, args: tuple[str, ...]) -> Answer:
    """How many times the body of the ``for`` on line L runs (the first time it is reached)."""
    return float(_decision(setup, "for", args[0]).iterations)


NAME = Arg("NAME")
NODE = Arg("NODE")
SIZE = Arg("SIZE", choices=tuple(f.name for f in dataclasses.fields(Sizes)))
SCHEME = Arg("SCHEME", choices=SCHEMES)
LINE = Arg("LINE", whole=True)

#: The queries a ``from:`` line may name, in the order the docs list them.
QUERIES: dict[str, Query] = {
    q.name: q
    for q in (
        Query("value", (), "f at the step's point", ("value",), _value, formula=True),
        Query(
            "operations",
            (),
            "the number of operations (intermediate nodes) in the Wengert list",
            ("operations",),
            _operations,
        ),
        Query(
            "gradient",
            (NAME,),
            "∂f/∂NAME from a reverse sweep; NAME[i,j] for an entry of a tensor's gradient",
            ("gradient x1", "gradient W[0,1]"),
            _gradient,
            formula=True,
        ),
        Query("primal", (NODE,), "a node's value (NODE as in the trace)", ("primal v2",), _primal),
        Query(
            "tangent",
            (NODE,),
            "a node's tangent in forward mode, for the step's seed",
            ("tangent v2",),
            _tangent,
        ),
        Query(
            "adjoint",
            (NODE,),
            "a node's adjoint once the reverse sweep ends",
            ("adjoint v-1",),
            _adjoint,
        ),
        Query(
            "contributions",
            (NODE,),
            "how many adjoint contributions a node receives (its fan-out)",
            ("contributions v-1",),
            _contributions,
        ),
        Query(
            "directional",
            (),
            "the output's tangent for the step's seed (J·u)",
            ("directional",),
            _directional,
        ),
        Query(
            "sweeps",
            (Arg("MODE", choices=("forward", "reverse")),),
            "the sweeps a full Jacobian needs in MODE (n forward, m reverse)",
            ("sweeps forward", "sweeps reverse"),
            _sweeps,
        ),
        Query(
            "cheaper-mode",
            (),
            "`forward`, `reverse` or `either`: the mode with fewer sweeps (for choice exercises)",
            ("cheaper-mode",),
            _cheaper_mode,
        ),
        Query(
            "fd-best-h",
            (SCHEME,),
            "the step h with the least error for a finite-difference scheme (for `order`)",
            ("fd-best-h central",),
            _fd_best_h,
        ),
        Query(
            "fd-estimate",
            (SCHEME, Arg("H")),
            "the derivative along the step's seed estimated by a finite-difference scheme with "
            "step H (a positive number); across a branch boundary the schemes disagree",
            ("fd-estimate central 1e-6",),
            _fd_estimate,
        ),
        Query(
            "fd-evals",
            (SCHEME,),
            "the evaluations of f a full gradient needs by a finite-difference scheme",
            ("fd-evals central",),
            _fd_evals,
        ),
        Query(
            "swell",
            (SIZE,),
            "a size from the swell study of f (as `adx swell` reports it)",
            ("swell df_tree",),
            _swell,
        ),
        Query(
            "family-size",
            (Arg("LEVEL", whole=True), SIZE),
            "a size at level LEVEL of the step's swell family",
            ("family-size 10 df_tree",),
            _family_size,
        ),
        Query(
            "cost",
            (Arg("RATIO", choices=("forward_ratio", "reverse_ratio")),),
            "a ratio from the cost model (a sweep's cost over the function's)",
            ("cost reverse_ratio",),
            _cost,
        ),
        Query(
            "descent",
            (Arg("STEPS", whole=True),),
            "f after STEPS gradient-descent steps with the step's `eta`, moving the `train` inputs",
            ("descent 5",),
            _descent,
        ),
        # the queries of the newer exercise kinds (lessons/kind_queries.py computes them)
        Query(
            "adjoint-after",
            (NODE, Arg("K", whole=True)),
            "NODE's running adjoint total right after its K-th contribution (K = 1, 2, …, "
            "in the order the reverse sweep adds them)",
            ("adjoint-after v-1 2",),
            kind_queries.adjoint_after,
        ),
        Query(
            "adjoint-term",
            (NODE, Arg("K", whole=True)),
            "the K-th contribution added to NODE's adjoint (one fan-out term)",
            ("adjoint-term v-1 1",),
            kind_queries.adjoint_term,
        ),
        Query(
            "reverse-order",
            (),
            "`sequence`: the nodes in the order the reverse sweep handles them",
            ("reverse-order",),
            kind_queries.reverse_order,
        ),
        Query(
            "forward-order",
            (),
            "`sequence`: the nodes in the order a forward sweep computes them",
            ("forward-order",),
            kind_queries.forward_order,
        ),
        Query(
            "jacobian-column",
            (Arg("INPUT"),),
            "`vector`: ∂(every output entry)/∂INPUT, one forward sweep; INPUT[i] for an entry",
            ("jacobian-column x1",),
            kind_queries.column_query,
        ),
        Query(
            "jacobian-row",
            (Arg("OUTPUT"),),
            "`vector`: ∂OUTPUT/∂(every input entry), one reverse sweep seeded at OUTPUT "
            "(a name as `return` gives it, f1, f2 … for expressions, or its position 1, 2, …)",
            ("jacobian-row 1",),
            kind_queries.row_query,
        ),
        Query(
            "tangent-rule",
            (Arg("PRIMITIVE", choices=kind_queries.RULE_PRIMITIVES),),
            "`rule`: v̇ for v = PRIMITIVE(u, w), in u, w, v, udot, wdot",
            ("tangent-rule mul",),
            kind_queries.tangent_rule,
        ),
        Query(
            "adjoint-rule",
            (
                Arg("PRIMITIVE", choices=kind_queries.RULE_PRIMITIVES),
                Arg("ARG", choices=kind_queries.ARGUMENTS),
            ),
            "`rule`: what v̄ adds to the adjoint of argument ARG of v = PRIMITIVE(u, w), "
            "in u, w, v, vbar",
            ("adjoint-rule sin u", "adjoint-rule div w"),
            kind_queries.adjoint_rule,
        ),
        Query(
            "descent-value",
            (Arg("STEPS", whole=True), NAME),
            "the input NAME (or an entry, `W1[0,1]`) after STEPS gradient-descent steps",
            ("descent-value 1 x1",),
            _descended,
        ),
        Query(
            "true-gradient",
            (NAME,),
            "like `gradient`, by the true rules: a `break:` does not change it",
            ("true-gradient x1",),
            _true_gradient,
        ),
        Query(
            "wrong-inputs",
            (),
            "the inputs whose partial disagrees with central differences (the whole-gradient "
            "check): `none`, `only x`, `both x and y` (for choice exercises)",
            ("wrong-inputs",),
            _wrong_inputs,
        ),
        Query(
            "wrong-node",
            (),
            "the first node whose local rule the node-by-node check finds wrong (`adx check`), "
            "as its label, or `none` (for choice exercises)",
            ("wrong-node",),
            _wrong_node,
        ),
        Query(
            "local-partial",
            (NODE, NODE),
            "the local partial ∂NODE/∂NODE at the step's point by the true rule (a `break:` "
            "does not change it)",
            ("local-partial v3 v0",),
            _local_partial,
        ),
        Query(
            "branch",
            (LINE,),
            "which arm of the `if` on line LINE of the program runs at the step's point: `if`, "
            "`elif`, `else` or `none` (for choice exercises; the first time the run reaches it)",
            ("branch 2",),
            _branch,
        ),
        Query(
            "iterations",
            (LINE,),
            "how many times the body of the `for` loop on line LINE runs (the first time the "
            "run reaches it)",
            ("iterations 4",),
            _iterations,
        ),
        # the memory lesson's queries (lessons/memory_queries.py computes them)
        Query(
            "memory",
            (
                Arg("MODE", choices=memory_queries.MEMORY_MODES),
                Arg("FIGURE", choices=memory_queries.MEMORY_FIGURES),
            ),
            "what a mode stores, in float64 entries of 8 bytes (constants not counted), as "
            "docs/memory.md defines it: values kept (reverse: the tape), live derivatives, peak",
            ("memory reverse stored_values", "memory forward peak_entries"),
            memory_queries.memory,
        ),
        Query(
            "checkpoint",
            (Arg("FIGURE", choices=memory_queries.CHECKPOINT_FIGURES),),
            "a count of the reverse sweep run with the step's `checkpoint:` schedule "
            "(`every=K` or `snapshots=S`), as `adx eval --checkpoint` reports it",
            ("checkpoint recomputed_steps",),
            memory_queries.checkpoint,
        ),
        Query(
            "binomial",
            (Arg("S", whole=True), Arg("T", whole=True)),
            "β(S, T) = C(S+T, S): the most steps S snapshots can reverse when no step is "
            "evaluated more than T times (Griewank 1992)",
            ("binomial 2 3",),
            memory_queries.binomial,
        ),
        # the source-transformation lesson's queries (lessons/codegen_queries.py)
        Query(
            "codegen-line",
            (NODE, Arg("K", whole=True)),
            "the number of the line of `adx codegen PROGRAM --mode reverse` that adds NODE's "
            "K-th adjoint contribution (a program without if/for)",
            ("codegen-line v-1 2",),
            codegen_queries.codegen_line,
        ),
        Query(
            "codegen-statement",
            (NODE, Arg("K", whole=True)),
            "that line's statement, e.g. `v_1_bar += v1_bar * v0` (for choice exercises)",
            ("codegen-statement v-1 2",),
            codegen_queries.codegen_statement,
        ),
        Query(
            "codegen-count",
            (
                Arg("MODE", choices=codegen_queries.CODE_MODES),
                Arg("ROLE", choices=codegen_queries.ROLES),
            ),
            "how many lines of one kind `adx codegen PROGRAM --mode MODE` writes: `adjoint` "
            "the `+=` lines, `push` the `stack.append` lines, `primal` and `tangent` the "
            "statements (docs/codegen.md)",
            ("codegen-count reverse adjoint", "codegen-count reverse push"),
            codegen_queries.codegen_count,
        ),
        # the training lesson's queries, on tensor programs (lessons/tensor_queries.py)
        Query(
            "adjoint-type",
            (NODE,),
            "`shape`: the type of NODE's adjoint, which is the type of its value (NODE as in "
            "the trace, an input's name or a variable's), e.g. `mat[1000,100]`",
            ("adjoint-type x1", "adjoint-type v2"),
            tensor_queries.adjoint_type,
        ),
        Query(
            "train-sweeps",
            (Arg("MODE", choices=tensor_queries.SWEEP_MODES),),
            "the sweeps that give the gradient with respect to the `train` inputs in MODE: "
            "forward one per entry of those inputs, reverse one per output entry",
            ("train-sweeps forward", "train-sweeps reverse"),
            tensor_queries.train_sweeps,
        ),
        Query(
            "train-cost",
            (Arg("MODE", choices=tensor_queries.SWEEP_MODES),),
            "the operations (cost model, unit weights) that gradient takes in MODE: its sweeps "
            "times one sweep's count with the evaluation beside it",
            ("train-cost forward",),
            tensor_queries.train_cost,
        ),
        Query(
            "descent-accumulate",
            (Arg("STEPS", whole=True),),
            "f after STEPS descent steps whose gradients are never zeroed: each step moves the "
            "`train` inputs by `eta` times the sum of every gradient so far (PyTorch without "
            "`zero_grad()`)",
            ("descent-accumulate 2",),
            tensor_queries.descent_accumulate,
        ),
        # general vectors: J·u, ȳᵀJ, the vector forward mode (lessons/vector_queries.py)
        Query(
            "jvp",
            (Arg("OUTPUT"),),
            "an entry of J·u, u the step's `seed:` direction (one forward sweep); OUTPUT a "
            "name as `return` gives it or its position 1, 2, …",
            ("jvp 1", "jvp f"),
            vector_queries.jvp,
        ),
        Query(
            "jvp-vector",
            (),
            "`vector`: J·u, every output entry (one forward sweep seeded with u)",
            ("jvp-vector",),
            vector_queries.jvp_vector,
        ),
        Query(
            "vjp",
            (NAME,),
            "an entry of ȳᵀJ for input NAME (NAME[i] for an entry), ȳ the `seed:` of a step in "
            "`mode: reverse`, a weight per output (one reverse sweep)",
            ("vjp x1",),
            vector_queries.vjp,
        ),
        Query(
            "vjp-vector",
            (),
            "`vector`: ȳᵀJ, every input entry (one reverse sweep seeded with ȳ)",
            ("vjp-vector",),
            vector_queries.vjp_vector,
        ),
        Query(
            "vector-tangent",
            (NODE, Arg("DIRECTION")),
            "part DIRECTION of NODE's tangent in the vector forward mode (one sweep carrying "
            "every unit direction): DIRECTION an input entry's name or its position 1, 2, …",
            ("vector-tangent v3 x2", "vector-tangent v3 2"),
            vector_queries.vector_tangent,
        ),
        Query(
            "vector-cost",
            (Arg("SWEEPS", choices=vector_queries.COST_FIGURES),),
            "operations by the cost model (unit weights) for the whole Jacobian by forward "
            "mode: `vector` one vector sweep (the primal once, the tangent work n times), "
            "`scalar` n scalar sweeps (the primal n times)",
            ("vector-cost vector", "vector-cost scalar"),
            vector_queries.vector_cost,
        ),
        # second derivatives (lessons/second_order_queries.py, on core.second_order)
        Query(
            "hvp",
            (NAME,),
            "an entry of H·u for input NAME, u the step's `seed:` direction (one nested "
            "forward-over-reverse sweep; the program has one scalar output)",
            ("hvp x1",),
            second_order_queries.hvp,
        ),
        Query(
            "hvp-vector",
            (),
            "`vector`: H·u, every input entry (one nested sweep along u)",
            ("hvp-vector",),
            second_order_queries.hvp_vector,
        ),
        Query(
            "hessian",
            (NAME, NAME),
            "the Hessian entry H[NAME,NAME] = ∂²f/∂NAME∂NAME (one nested sweep per input entry)",
            ("hessian x1 x2",),
            second_order_queries.hessian,
        ),
        Query(
            "hessian-row",
            (NAME,),
            "`vector`: column NAME of H (H·e for NAME's unit direction), what one nested "
            "sweep seeded with NAME gives; H is symmetric, so it is row NAME too",
            ("hessian-row x1",),
            second_order_queries.hessian_row,
        ),
        Query(
            "adjoint-dot",
            (NODE,),
            "NODE's v̄̇ (the tangent of its adjoint) once the nested sweep along the step's "
            "`seed:` direction ends",
            ("adjoint-dot v-1",),
            second_order_queries.adjoint_dot,
        ),
        Query(
            "adjoint-dot-after",
            (NODE, Arg("K", whole=True)),
            "NODE's running v̄̇ right after its K-th contribution in the nested sweep",
            ("adjoint-dot-after v0 2",),
            second_order_queries.adjoint_dot_after,
        ),
        Query(
            "adjoint-dot-term",
            (NODE, Arg("K", whole=True)),
            "the v̄̇ part of the K-th contribution added to NODE's adjoint in the nested sweep",
            ("adjoint-dot-term v0 1",),
            second_order_queries.adjoint_dot_term,
        ),
        Query(
            "nested-sweeps",
            (),
            "the nested sweeps that form the whole Hessian: one per scalar input entry (n)",
            ("nested-sweeps",),
            second_order_queries.nested_sweeps,
        ),
        Query(
            "fd-gradients",
            (Arg("SCHEME", choices=second_order_queries.FD_SCHEMES),),
            "the gradient evaluations that form H by finite differences of gradients: "
            "`central` 2n, `forward` n + 1",
            ("fd-gradients central",),
            second_order_queries.fd_gradients,
        ),
        Query(
            "hessian-cost",
            (Arg("METHOD", choices=second_order_queries.HESSIAN_METHODS),),
            "the operations (cost model, unit weights) that form H: `nested` one primal and n "
            "nested sweeps, `central` 2n gradients, `forward` n + 1 gradients (a gradient is a "
            "primal and an adjoint sweep)",
            ("hessian-cost nested", "hessian-cost central"),
            second_order_queries.hessian_cost,
        ),
        Query(
            "newton",
            (Arg("STEPS", whole=True), NAME),
            "the input NAME after STEPS steps of Newton's method x ← x − H⁻¹∇f from the "
            "step's point (H and ∇f from the nested sweeps)",
            ("newton 1 x1",),
            second_order_queries.newton,
        ),
        Query(
            "newton-value",
            (Arg("STEPS", whole=True),),
            "f after STEPS steps of Newton's method",
            ("newton-value 3",),
            second_order_queries.newton_value,
        ),
    )
}


def read_query(text: str) -> tuple[Query, tuple[str, ...]]:
    """The table entry and the checked arguments of a ``from:`` query."""
    words = text.split()
    if not words:
        raise AdxError("lesson", "an empty 'from:' query")
    what, args = words[0], tuple(words[1:])
    query = QUERIES.get(what)
    if query is None:
        match = closest(what, QUERIES)
        raise AdxError(
            "lesson",
            f"unknown query 'from: {what}'"
            + (f" (did you mean '{match}'?)" if match else "")
            + f"; the queries are {', '.join(QUERIES)}",
            hint="docs/lesson-format.md describes each query",
        )
    if len(args) != len(query.args):
        raise AdxError(
            "lesson",
            f"'from: {what}' takes {len(query.args)} word(s) after it, got {len(args)}"
            f" (write it as '{query.usage}', e.g. '{query.examples[0]}')",
        )
    return query, tuple(arg.read(what, word) for arg, word in zip(query.args, args, strict=True))


#: The last few steps prepared (see :func:`prepared`), newest last.
_PREPARED: dict[tuple[Explore, object], Setup] = {}
_PREPARED_KEPT = 4


def prepared(explore: Explore) -> Setup:
    """``prepare(explore)``, kept for the last few explorations.

    Checking a lesson, and grading one answer with its slips, asks many queries of
    the same step; compiling and running a 64×1000 network for each would take
    seconds.  The values are made read-only, so no query can change them for the
    next one.  The key includes the lesson's folder, which ``Explore``'s own equality
    leaves out; a step that reads data files (``at: X=@x.npy``) is prepared afresh
    every time, since a file can change between two answers.
    """
    if "@" in explore.at:
        return prepare(explore)
    key = (explore, getattr(explore, "folder", None))
    setup = _PREPARED.pop(key, None)
    if setup is None:
        setup = prepare(explore)
        values = {name: np.array(value, dtype=np.float64) for name, value in setup.values.items()}
        for value in values.values():
            value.flags.writeable = False
        setup = replace(setup, values=values)
    _PREPARED[key] = setup
    while len(_PREPARED) > _PREPARED_KEPT:
        del _PREPARED[next(iter(_PREPARED))]
    return setup


def compute(query: str, explore: Explore) -> Answer:
    """The answer the engines give for ``query`` on the step's program."""
    entry, args = read_query(query)
    return entry.compute(prepared(explore), args)


def queries_markdown() -> str:
    """The table of queries for docs/lesson-format.md (a test keeps the docs equal to it)."""
    rows = ["| query | the answer | example |", "|---|---|---|"]
    for q in QUERIES.values():
        answer = q.help
        for arg in q.args:
            if arg.choices:
                answer += f"; {arg.meta} is {_or(tuple(f'`{c}`' for c in arg.choices))}"
        examples = ", ".join(f"`{e}`" for e in q.examples)
        rows.append(f"| `{q.usage}` | {answer} | {examples} |")
    return "\n".join(rows) + "\n"


# ------------------------------------------------------------------ checking responses


def expected(exercise: Exercise, explore: Explore | None) -> Answer:
    """The answer students are checked against: computed if there is a query, else literal."""
    from adexplorer.lessons import kinds  # kinds imports this module: import late

    if exercise.kind in kinds.CHECKERS:  # a seed, an order, a rule, a vector: as revealed
        return kinds.reveal(exercise, explore)
    if exercise.query:
        if explore is None:
            raise AdxError(
                "lesson", "a computed answer needs an adx-explore block in this step or before it"
            )
        if exercise.kind == "formula":
            return exercise.query  # formulas are checked point by point, see check()
        return compute(exercise.query, explore)
    if exercise.kind in ("number", "order"):
        return read_number(exercise.answer)  # a literal may be written 1/2 or log(2)
    return exercise.answer


def read_number(text: str) -> float:
    """A number written in the adx language: 0.5, 1/2, log(2), 1e-8 …"""
    values = parse_at(f"answer={text}", "your answer")
    value = values["answer"][0]
    if np.shape(value) != ():
        raise AdxError("input", "the answer should be a single number")
    return float(value)


def expected_number(exercise: Exercise, explore: Explore | None) -> float:
    """The answer of a ``number`` or ``order`` exercise, which must be a finite number
    (a student cannot type NaN or an infinity; an order of magnitude is positive)."""
    want = expected(exercise, explore)
    if isinstance(want, str):
        raise AdxError(
            "lesson",
            f"the answer {want!r} is not a number, so a {exercise.kind} exercise cannot use it",
            hint="'from: cheaper-mode' answers choice exercises",
        )
    if not math.isfinite(want):
        raise AdxError(
            "lesson",
            f"the answer is {want}, which no one can type; choose a point where it is a number",
        )
    if exercise.kind == "order" and want <= 0:
        raise AdxError(
            "lesson",
            f"the answer is {want:g}, but an order of magnitude is a positive number",
            hint="ask for a size, a step or an error: something greater than 0",
        )
    return want


def check(exercise: Exercise, explore: Explore | None, response: str) -> Feedback:
    """Judge a student's response to an exercise (the one grader: the player and
    ``adx lesson check`` both use it)."""
    response = response.strip()
    if not response:
        return Feedback(False, "type an answer first", attempt=False)
    from adexplorer.lessons.kinds import CHECKERS  # kinds imports this module: import late

    if exercise.kind in CHECKERS:
        return CHECKERS[exercise.kind](exercise, explore, response)
    try:
        if exercise.kind == "choice":
            return _check_choice(exercise, explore, response)
        if exercise.kind == "formula":
            return _check_formula(exercise, explore, response)
        if exercise.kind == "order":
            return _check_order(exercise, explore, response)
        if exercise.kind != "number":
            raise AdxError("lesson", f"an exercise of kind {exercise.kind!r} cannot be checked")
        return _check_number(exercise, explore, response)
    except AdxError as error:
        return Feedback(False, f"could not read that: {error.message}", attempt=False)


def read_response(response: str) -> grading.Typed:
    """A typed number: a decimal (judged to its digits) or an expression (exact)."""
    typed = grading.read_decimal(response)
    if typed is None:
        value = read_number(response)
        rounded = grading.rounded_expression(response, value)
        return rounded if rounded is not None else grading.Typed(response, value, None, 0.0)
    return typed


def _check_number(exercise: Exercise, explore: Explore | None, response: str) -> Feedback:
    target = expected_number(exercise, explore)
    typed = read_response(response)
    if not math.isfinite(typed.value):
        return Feedback(False, f"{response} is not a finite number", attempt=False)
    tolerance = exercise.tolerance if exercise.tolerance_given else None
    result = grading.grade(typed, target, exercise.digits, tolerance)
    if result.correct:
        return Feedback(True, result.message)
    try:
        candidates = slips(exercise, explore, target)
    except AdxError:  # a slip that cannot be computed here is not offered
        candidates = grading.generic_slips(target, _what(exercise.query), _nature(exercise.query))
    if not result.attempt:
        # Too few digits to judge, unless it is exactly what a slip gives (x₂ = 5 for
        # one contribution to x̄₁ when the sum is 4.58): then it is that slip.
        exact = [c for c in candidates if grading.exact(typed.value, c.value)]
        if not exact or grading.exact(exact[0].value, target):
            return Feedback(False, result.message, attempt=False)
        return Feedback(False, exact[0].message, slip=exact[0].name)
    slip = grading.find_slip(typed, target, candidates)
    if slip is None:
        message = (
            "not quite"
            if typed.digits is not None
            else "not quite (an expression is checked exactly)"
        )
        return Feedback(False, message)
    return Feedback(False, slip.message, slip=slip.name)


def _check_order(exercise: Exercise, explore: Explore | None, response: str) -> Feedback:
    target = expected_number(exercise, explore)
    got = read_response(response).value
    if got <= 0 or target <= 0:
        return Feedback(False, "an order of magnitude is a positive number such as 1e-8")
    off = abs(math.log10(got) - math.log10(target))
    ok = off <= exercise.tolerance
    if ok:
        return Feedback(True, "right order of magnitude")
    return Feedback(False, f"off by about {off:.0f} decades", slip="magnitude")


#: Queries whose answer is a count (a whole number: no digits to ask for).
COUNTING_QUERIES = frozenset(
    (
        "operations",
        "contributions",
        "sweeps",
        "fd-evals",
        "swell",
        "family-size",
        "iterations",
        "memory",
        "checkpoint",
        "binomial",
        "codegen-line",
        "codegen-count",
        "train-sweeps",
        "train-cost",
        "vector-cost",
        "nested-sweeps",
        "fd-gradients",
        "hessian-cost",
    )
)


def precision_note(exercise: Exercise) -> str:
    """How precisely to answer, for the player to show under the question ("" if it
    does not apply)."""
    if exercise.kind == "number":
        if exercise.query.split()[:1] and exercise.query.split()[0] in COUNTING_QUERIES:
            return "a whole number"
        n = exercise.digits
        return f"to at least {n} significant digit{'s' if n != 1 else ''}"
    if exercise.kind == "order":
        return "an order of magnitude, such as 1e-8"
    if exercise.kind == "vector":
        n = exercise.digits
        return f"each entry to at least {n} significant digit{'s' if n != 1 else ''}"
    return ""


def reveal_text(exercise: Exercise, explore: Explore | None) -> str:
    """The answer as the student should see it once revealed: a number at the 6
    significant digits the screen shows, the letter and text of a choice, a formula.

    Raises AdxError if the answer cannot be computed (``adx lesson check`` catches that)."""
    from adexplorer.lessons import kinds  # kinds imports this module: import late

    if exercise.kind in kinds.CHECKERS:
        return kinds.reveal(exercise, explore)
    if exercise.kind == "choice":
        k = correct_choice(exercise, explore)
        return f"{'abcdefghij'[k]}) {exercise.choices[k]}"
    if exercise.kind == "number":
        return format_scalar(expected_number(exercise, explore), grading.SHOWN_DIGITS)
    if exercise.kind == "order":
        want = expected_number(exercise, explore)
        decade = f"1e{math.floor(math.log10(want) + 0.5)}"
        shown = format_scalar(want)
        return decade if read_number(shown) == read_number(decade) else f"{decade} ({shown})"
    if exercise.kind == "formula":
        if exercise.answer:
            return exercise.answer
        if explore is None:
            raise AdxError("lesson", "a formula exercise needs an adx-explore block")
        formula = _symbolic_formula(exercise, explore)
        if formula is not None:
            return formula
        value = format_scalar(formula_target(exercise, explore))
        return f"{_what(exercise.query)} (its value here is {value})"
    other = expected(exercise, explore)
    return format_scalar(other) if isinstance(other, float) else str(other)


def _symbolic_formula(exercise: Exercise, explore: Explore) -> str | None:
    """The formula a ``from:`` formula exercise asks for, by symbolic differentiation
    (simplified lightly), if it is short and the grader accepts it; else None."""
    words = exercise.query.split()
    try:
        graph = prepare(explore).graph
        table = symbolic.ExprTable()
        roots = symbolic.from_graph(table, graph)
        if len(graph.outputs) != 1:
            return None
        root = roots[graph.outputs[0]]
        if words[:1] == ["gradient"] and len(words) == 2:
            root = symbolic.differentiate(table, root, words[1])
        elif words != ["value"]:
            return None
        text, elided = symbolic.elided_text(table, symbolic.simplify(table, root), 200)
    except AdxError:
        return None
    if elided or not _check_formula(exercise, explore, text).correct:
        return None
    return text


#: What each query's number is, for the advice a sign slip gets (grading.SIGN_ADVICE).
_NATURES = {
    **dict.fromkeys(
        (
            "gradient",
            "true-gradient",
            "tangent",
            "adjoint",
            "directional",
            "adjoint-after",
            "adjoint-term",
            "local-partial",
            "fd-estimate",
            "jvp",
            "vjp",
            "vector-tangent",
            "hvp",
            "hessian",
            "adjoint-dot",
            "adjoint-dot-after",
            "adjoint-dot-term",
        ),
        "derivative",
    ),
    **dict.fromkeys(("value", "primal"), "value"),
    **dict.fromkeys(COUNTING_QUERIES, "count"),
    **dict.fromkeys(("descent", "descent-value", "descent-accumulate"), "descent"),
}


def _nature(query: str) -> str:
    """What the query's number is: a derivative, a value, a count, after descent …"""
    words = query.split()
    return _NATURES.get(words[0], "other") if words else "other"


def _what(query: str) -> str:
    """The query's answer in words, for a message: ∂f/∂x, v̄3, v̇3, f …"""
    words = query.split()
    if not words:
        return "the answer"
    name, args = words[0], words[1:]
    if name == "gradient" and args:
        return f"∂f/∂{args[0]}"
    if name == "adjoint" and args:
        return f"the adjoint of {args[0]}"
    if name == "tangent" and args:
        return f"the tangent of {args[0]}"
    if name == "primal" and args:
        return f"the value of {args[0]}"
    if name == "value":
        return "f"
    if name == "vjp" and args:
        return f"(ȳᵀJ) for {args[0]}"
    if name == "jvp" and args:
        return f"(J·u) for output {args[0]}"
    if name == "hvp" and args:
        return f"(H·u) for {args[0]}"
    if name == "hessian" and len(args) == 2:
        return f"H[{args[0]},{args[1]}]"
    if name == "adjoint-dot" and args:
        return f"the tangent v̄̇ of {args[0]}'s adjoint"
    return "the answer"


# ------------------------------------------------------------------ slips


def slips(exercise: Exercise, explore: Explore | None, target: float) -> list[grading.Slip]:
    """The answers common slips give for this exercise, computed by the engines
    (only when an answer is wrong: this runs extra sweeps)."""
    what = _what(exercise.query)
    generic = grading.generic_slips(target, what, _nature(exercise.query))
    if not exercise.query or explore is None:
        return generic
    query, args = read_query(exercise.query)
    setup = prepared(explore)
    specific: list[grading.Slip] = []
    if query.name in ("gradient", "adjoint") and "[" not in args[0]:
        index = (
            setup.graph.input_index(args[0])
            if query.name == "gradient"
            else _label_index(setup, args[0])
        )
        if index is not None:
            specific = _reverse_slips(setup, index, what, query.name)
            generic[0] = _sign_slip(setup, index, target, what)
    elif query.name == "tangent":
        specific = _tangent_slips(setup, _label_index(setup, args[0]), what)
    elif query.name == "descent":
        for other in (int(args[0]) - 1, int(args[0]) + 1):
            if other >= 0:
                value = compute(f"descent {other}", explore)
                specific.append(
                    grading.Slip(
                        float(value),
                        "descent-steps",
                        f"that is f after {other} steps, not {args[0]}: count the steps again",
                    )
                )
    elif query.name == "fd-estimate":
        specific = _scheme_slips(explore, args)
    elif query.name in ("memory", "checkpoint", "binomial"):
        specific = memory_queries.slips(setup, query.name, args, target)
    elif query.name == "iterations":
        specific = _iteration_slips(target)
    elif query.name == "operations":
        specific = _unrolled_slips(setup) if setup.graph.dynamic else []
        specific.extend(_inputs_counted_slips(setup))
    if query.name in ("primal", "tangent", "adjoint"):
        specific.extend(_wrong_node_slips(setup, query.name, args[0]))
    elif query.name == "vjp":
        specific = vector_queries.vjp_slips(setup, args)
    elif query.name in ("jvp", "vector-tangent", "vector-cost"):
        specific = vector_queries.vector_slips(setup, query.name, args)
    else:
        specific.extend(second_order_queries.slips(setup, query.name, args, target))
    # tensors: a bias's entry, a summed loss, sweeps per parameter, gradients not zeroed
    specific.extend(tensor_queries.slips(setup, query.name, args, target))
    # the sign first (the commonest), then what the query knows, then factors
    if _nature(exercise.query) == "derivative":
        specific.extend(_value_slips(setup, query.name, args))
    return grading.finite([generic[0], *specific, *generic[1:]])


def _scheme_slips(explore: Explore, args: tuple[str, ...]) -> list[grading.Slip]:
    """The estimate of another scheme, and the derivative AD gives, where they differ."""
    found = []
    for other in SCHEMES:
        if other not in (args[0], "complex"):
            value = compute(f"fd-estimate {other} {args[1]}", explore)
            if isinstance(value, float):
                found.append(
                    grading.Slip(
                        value,
                        "scheme",
                        f"that is the {other} difference, not the {args[0]} one",
                    )
                )
    derivative = compute("directional", explore)
    if isinstance(derivative, float):
        found.append(
            grading.Slip(
                derivative,
                "ad",
                "that is the derivative AD gives (the slope of the branch taken), not the "
                "difference quotient",
            )
        )
    return found


def _iteration_slips(target: float) -> list[grading.Slip]:
    """A loop's count off by one: range(N) runs for i = 0, 1, …, N−1, which is N times."""
    return [
        grading.Slip(
            target - 1,
            "off-by-one",
            "one too few: range(N) runs the body for i = 0, 1, …, N−1, and i = 0 counts too",
        ),
        grading.Slip(
            target + 1,
            "off-by-one",
            "one too many: range(N) stops before N, so the last iteration has i = N−1",
        ),
    ]


def _unrolled_slips(setup: Setup) -> list[grading.Slip]:
    """The operations of a loop's body counted once: the tape holds every iteration."""
    once = sum(
        1
        for index in setup.graph.op_nodes
        if all(k == 0 for _, k in setup.graph.nodes[index].context)
    )
    if once == len(setup.graph.op_nodes):
        return []
    return [
        grading.Slip(
            float(once),
            "unrolled",
            "that counts each loop body once, as the source shows it: the tape records every "
            "iteration's operations again",
        )
    ]


def _inputs_counted_slips(setup: Setup) -> list[grading.Slip]:
    """The inputs counted as operations: they are rows of the trace, but nothing is computed."""
    graph = setup.graph
    inputs = sum(1 for node in graph.nodes if node.is_input)
    if not inputs:
        return []
    return [
        grading.Slip(
            float(len(graph.op_nodes) + inputs),
            "inputs-counted",
            f"that counts the {inputs} input{'s' if inputs != 1 else ''} too: they are rows "
            "of the trace (numbered up to v0), but no operation computes them",
        )
    ]


def _value_slips(setup: Setup, query: str, args: tuple[str, ...]) -> list[grading.Slip]:
    """A derivative answered with a value: f itself, or the node's own value."""
    found = []
    if setup.graph.outputs and setup.graph.nodes[setup.graph.outputs[0]].shape == ():
        value = float(_evaluate(setup).output_value())
        found.append(grading.Slip(value, "value", "that is f's value, not a derivative of it"))
    if query in ("tangent", "adjoint", "adjoint-after", "adjoint-term") and args:
        node = _evaluate(setup).values[_label_index(setup, args[0])]
        if np.shape(node) == ():
            found.append(
                grading.Slip(
                    float(node), "value", f"that is the value of {args[0]}, not its derivative"
                )
            )
    return found


def _wrong_node_slips(setup: Setup, query: str, label: str) -> list[grading.Slip]:
    """The same quantity read off a neighbouring row of the trace (v2 for v3): counting
    the nodes from v-1 or v1 instead of the inputs' numbering is a common slip."""
    labels = setup.graph.labels("griewank")
    index = _label_index(setup, label)
    found: list[grading.Slip] = []
    what = {"primal": "value", "tangent": "tangent", "adjoint": "adjoint"}[query]
    for other in (index - 1, index + 1, index - 2, index + 2):
        if not 0 <= other < len(labels):
            continue
        try:
            value = QUERIES[query].compute(setup, (labels[other],))
        except AdxError:
            continue  # a vector node, or no sweep: nothing to compare
        if isinstance(value, float):
            found.append(
                grading.Slip(
                    value,
                    "wrong-node",
                    f"that is the {what} of {labels[other]}, not of {label}: find {label} in "
                    "the trace's id column (inputs count up to v0, operations from v1)",
                )
            )
    return found


def _descendants(graph: Graph, index: int) -> set[int]:
    """The nodes that use ``index``'s value, directly or not (the paths to the output)."""
    found = {index}
    for node in graph.nodes[index + 1 :]:
        if any(a in found for a in node.args):
            found.add(node.index)
    return found - {index}


def _sign_slip(setup: Setup, index: int, target: float, what: str) -> grading.Slip:
    """The sign flipped, naming the negative local partials on the way to the output."""
    labels = setup.graph.labels("griewank")
    sweep = _reverse(setup).adjoint_sweeps[0]
    below = _descendants(setup.graph, index) | {index}
    negative: list[str] = []
    unknown = False  # a partial whose sign could not be read (a vector, a zero adjoint)
    for step in sweep.steps:
        if step.source is None or step.node not in below or step.source not in below:
            continue
        incoming = sweep.adjoints[step.source]
        if incoming is None or np.shape(step.contribution) != () or float(incoming) == 0:
            unknown = True
            continue
        partial = float(step.contribution) / float(incoming)
        op = setup.graph.nodes[step.source].op
        name = f"∂{labels[step.source]}/∂{labels[step.node]} = {format_scalar(partial)} ({op})"
        if partial < 0 and name not in negative:
            negative.append(name)
    if negative:
        where = "check the sign of " + ", ".join(negative[:3])
    elif not unknown:
        where = (
            f"every local partial from the output down to {labels[index]} is positive here, "
            "so its sign is the seed's (ȳ = 1)"
        )
    else:
        where = "check the sign of each local partial on the way"
    return grading.Slip(-target, "sign", f"that is {what} with its sign flipped: {where}")


def _reverse_slips(setup: Setup, index: int, what: str, query: str) -> list[grading.Slip]:
    labels = setup.graph.labels("griewank")
    label = setup.graph.nodes[index].name or labels[index] if query == "gradient" else labels[index]
    found: list[grading.Slip] = []
    # forward and reverse swapped: the node's tangent for the step's seed
    forward = _forward(setup).tangent_sweeps[0].tangents[index]
    if forward is not None and np.shape(forward) == ():
        found.append(
            grading.Slip(
                float(forward),
                "swapped",
                f"that is {label}'s tangent v̇ (forward mode, seeded at "
                f"{setup.seed_name or 'the seed direction'}), not its adjoint v̄ = ∂f/∂{label}",
            )
        )
    sweep = _reverse(setup).adjoint_sweeps[0]
    if query == "gradient":  # ∂f/∂ another input
        for name in setup.graph.input_names:
            other = setup.graph.input_index(name)
            adjoint = sweep.adjoints[other] if other is not None else None
            if other != index and adjoint is not None and np.shape(adjoint) == ():
                found.append(
                    grading.Slip(float(adjoint), "swapped", f"that is ∂f/∂{name}, not ∂f/∂{label}")
                )
    steps = [s for s in sweep.steps if s.node == index and s.source is not None]
    for step in steps:
        if np.shape(step.contribution) != ():
            continue
        source = labels[step.source or 0]
        if len(steps) > 1:
            found.append(
                grading.Slip(
                    float(step.contribution),
                    "one-contribution",
                    f"that is one contribution to {label}'s adjoint (the one from {source}); "
                    f"{label} is used {len(steps)} times, so its adjoint is the sum of "
                    f"{len(steps)} contributions",
                )
            )
        incoming = sweep.adjoints[step.source or 0]
        if incoming is not None and np.shape(incoming) == ():
            found.append(
                grading.Slip(
                    float(incoming),
                    "missing-factor",
                    f"that is {source}'s adjoint, flowing back to {label} before it is "
                    f"multiplied by the local partial ∂{source}/∂{label}",
                )
            )
    return found


def _tangent_slips(setup: Setup, index: int, what: str) -> list[grading.Slip]:
    labels = setup.graph.labels("griewank")
    label = labels[index]
    found: list[grading.Slip] = []
    out = setup.graph.outputs
    if len(out) == 1 and setup.graph.nodes[out[0]].shape == ():
        adjoint = _reverse(setup).adjoint_sweeps[0].adjoints[index]
        if adjoint is not None and np.shape(adjoint) == ():
            found.append(
                grading.Slip(
                    float(adjoint),
                    "swapped",
                    f"that is {label}'s adjoint v̄ (reverse mode), not its tangent v̇",
                )
            )
    tangents = _forward(setup).tangent_sweeps[0].tangents
    for arg in setup.graph.nodes[index].args:
        tangent = tangents[arg]
        if tangent is not None and np.shape(tangent) == () and not setup.graph.nodes[arg].is_const:
            found.append(
                grading.Slip(
                    float(tangent),
                    "one-term",
                    f"that is the tangent of {labels[arg]} alone: {label}'s tangent combines "
                    f"the tangents of its arguments, each times its local partial "
                    f"(∂{label}/∂{labels[arg]} for {labels[arg]})",
                )
            )
    return found


def _check_choice(exercise: Exercise, explore: Explore | None, response: str) -> Feedback:
    letters = "abcdefghij"[: len(exercise.choices)]
    want = correct_choice(exercise, explore)
    given = response.lower().rstrip(").")
    labelled = re.fullmatch(r"\(?([a-j])\)\s+(.*)", response.strip(), flags=re.IGNORECASE | re.S)
    if len(given) == 1 and given in letters:  # one letter ("" and "ab" are in "abc" too)
        index = letters.index(given)
    elif (
        labelled is not None  # "b) reverse", as the choice is shown: letter and text agree
        and labelled.group(1).lower() in letters
        and exercise.choices[letters.index(labelled.group(1).lower())].lower()
        == labelled.group(2).strip().lower()
    ):
        index = letters.index(labelled.group(1).lower())
    else:
        matches = [k for k, c in enumerate(exercise.choices) if c.lower() == response.lower()]
        if not matches:
            return Feedback(False, f"answer with a letter: {', '.join(letters)}", attempt=False)
        index = matches[0]
    if index == want:
        return Feedback(True, "correct")
    why = exercise.why[index] if index < len(exercise.why) else ""
    return Feedback(
        False, f"not that one: {why}" if why else "not that one", slip="choice" if why else ""
    )


def correct_choice(exercise: Exercise, explore: Explore | None) -> int:
    letters = "abcdefghij"[: len(exercise.choices)]
    if len(exercise.choices) > len(letters) or len(letters) < 2:
        raise AdxError("lesson", "a choice exercise has from two to ten choices, (a) to (j)")
    if exercise.query:
        if explore is None:
            raise AdxError("lesson", "a computed answer needs an adx-explore block")
        computed = str(compute(exercise.query, explore)).lower()
        matches = [k for k, c in enumerate(exercise.choices) if c.lower().startswith(computed)]
        if len(matches) != 1:
            raise AdxError(
                "lesson",
                f"the engine's answer {computed!r} matches {len(matches)} choices, not one",
            )
        if exercise.answer and exercise.answer.lower() != letters[matches[0]]:
            raise AdxError(
                "lesson",
                f"the literal answer {exercise.answer!r} disagrees with the engine, which picks "
                f"({letters[matches[0]]}) {exercise.choices[matches[0]]}",
            )
        return matches[0]
    if len(exercise.answer) != 1 or exercise.answer.lower() not in letters:
        raise AdxError("lesson", f"the answer of a choice exercise is a letter from {letters}")
    return letters.index(exercise.answer.lower())


def _check_formula(exercise: Exercise, explore: Explore | None, response: str) -> Feedback:
    """Compare the student's expression with the engine at the point and nearby points."""
    if explore is None:
        raise AdxError("lesson", "a formula exercise needs an adx-explore block")
    setup = prepare(explore)
    names = list(setup.graph.input_names)
    student = compile_source(response, origin="your answer", extra_inputs=names).graph
    unknown = set(student.input_names) - set(names)
    if unknown:
        return Feedback(
            False,
            f"use only the inputs {', '.join(names)} (not {', '.join(sorted(unknown))})",
            attempt=False,
        )
    problem = _not_a_formula(student, setup.graph)
    if problem:
        return Feedback(False, problem, attempt=False)
    rng = np.random.default_rng(0)
    pairs: list[tuple[dict[str, Array], float, float]] = []  # (point, theirs, the target)
    for k in range(4):
        point = {
            n: np.asarray(v) * (1 + (0.1 * rng.standard_normal() if k else 0))
            for n, v in setup.values.items()
        }
        target = _formula_target(exercise, replace(setup, values=point))
        if not math.isfinite(target):
            if k == 0:
                raise AdxError(
                    "lesson",
                    f"the formula's value at the step's point is {target}, so nothing can match it",
                )
            continue  # a nearby point outside the domain: the others decide
        mine = float(
            run(student, {n: point[n] for n in student.input_names}, "evaluate").output_value()
        )
        pairs.append((point, mine, target))

    def everywhere(factor: float) -> bool:
        return all(
            math.isfinite(mine) and abs(mine - factor * target) <= 1e-6 * max(1.0, abs(target))
            for _, mine, target in pairs
        )

    if everywhere(1.0):
        return Feedback(True, "correct: it agrees with AD at the point and nearby")
    if any(target != 0 for _, _, target in pairs):
        for factor, name, message in _FORMULA_SLIPS:
            if everywhere(factor):
                return Feedback(False, message, slip=name)
    point, mine, target = next(
        (p, m, t)
        for p, m, t in pairs
        if not math.isfinite(m) or abs(m - t) > 1e-6 * max(1.0, abs(t))
    )
    where = ", ".join(f"{n}={format_scalar(float(v), 6)}" for n, v in point.items())
    return Feedback(
        False,
        f"not the same function: at {where} yours gives {format_scalar(mine, 6)}, "
        f"the answer is {format_scalar(target, 6)} (checked numerically against AD)",
    )


#: Formulas that are the answer times a constant everywhere: what the slip probably was.
_FORMULA_SLIPS = (
    (-1.0, "sign", "that is minus the answer everywhere: a sign slip (a minus, or a cos)"),
    (2.0, "factor-2", "that is twice the answer everywhere: a factor 2 too many"),
    (0.5, "factor-2", "that is half the answer everywhere: a factor 2 is missing"),
)


def _not_a_formula(formula: Graph, program: Graph) -> str | None:
    """Why ``formula`` cannot stand for a number-valued function of ``program``'s inputs
    (several outputs, a vector output, an input declared with another shape), or None."""
    outputs = formula.outputs
    if len(outputs) != 1 or formula.nodes[outputs[0]].shape != ():
        shapes = ", ".join(type_name(formula.nodes[o].shape) for o in outputs)
        return f"a formula here is one expression whose value is a number (not {shapes})"
    for name in formula.input_names:
        mine = formula.nodes[formula.input_index(name) or 0].shape
        theirs = program.nodes[program.input_index(name) or 0].shape
        if mine != theirs:
            return f"{name} is {type_name(theirs)} in this program, not {type_name(mine)}"
    return None


FORMULA_QUERIES = tuple(name for name, q in QUERIES.items() if q.formula)


def formula_target(exercise: Exercise, explore: Explore) -> float:
    """The value a formula exercise's answer must have at the step's point (for the checker)."""
    return _formula_target(exercise, prepare(explore))


def _formula_target(exercise: Exercise, setup: Setup) -> float:
    """What the student's formula must equal at ``setup``'s point."""
    if exercise.query:
        query, args = read_query(exercise.query)
        if not query.formula:
            raise AdxError(
                "lesson",
                "a formula exercise takes "
                + _or(tuple(f"'from: {QUERIES[n].usage}'" for n in FORMULA_QUERIES)),
            )
        return float(query.compute(setup, args))
    names = list(setup.graph.input_names)
    reference = compile_source(exercise.answer, origin="answer", extra_inputs=names).graph
    unknown = set(reference.input_names) - set(names)
    if unknown:
        raise AdxError(
            "lesson",
            f"the answer {exercise.answer!r} uses {', '.join(sorted(unknown))}, "
            f"which the program does not have (its inputs: {', '.join(names) or 'none'})",
        )
    problem = _not_a_formula(reference, setup.graph)
    if problem:
        raise AdxError("lesson", f"the answer {exercise.answer!r}: {problem}")
    point = setup.values
    return float(
        run(reference, {n: point[n] for n in reference.input_names}, "evaluate").output_value()
    )
