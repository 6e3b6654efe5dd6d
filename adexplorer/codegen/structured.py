"""Derivative code for a program with ``if`` and ``for``: the control flow is kept.

A tape unrolls loops and records the branch taken; source transformation keeps
the program's structure.  Variables keep the user's names (see :mod:`.names`);
the operations of each expression are numbered in program order (``v1``,
``v2``, …, the same names in every sweep), with ``_dot`` and ``_bar`` for their
tangents and adjoints.

Forward mode interleaves each operation's tangent statement after its primal
one, inside the same ``if``/``for`` structure.

Reverse mode is a forward sweep, then a reverse sweep, as Tapenade writes them:

* before an assignment overwrites a variable, the forward sweep pushes the old
  value on ``stack``; at the end of each branch it pushes the branch's number
  (an ``if`` without ``else`` pushes one more number when no branch runs);
* the reverse sweep takes the statements in reverse order and loops in
  reverse (``for i in reversed(range(N))``).  For an assignment ``y = e`` it
  pops ``y``'s old value (so every variable again holds what ``e`` read),
  recomputes ``e``'s operations, moves ``y``'s adjoint onto ``e``'s value and
  resets it to 0, then adds each contribution on its own ``+=`` line.  For an
  ``if`` it pops the branch number and reverses that branch.

A variable must keep one shape throughout (the static code has one adjoint of
one shape per variable); a program that changes it gets a clear error.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Sequence
from typing import Any

import adexplorer.codegen.emit as emit
from adexplorer.base.errors import AdxError
from adexplorer.base.shapes import Shape, type_name
from adexplorer.codegen.code import GeneratedCode, Writer, write_docstring, write_module_header
from adexplorer.codegen.names import UserNames, as_value, literal, python_name, zeros
from adexplorer.codegen.returns import all_returns, without_early_returns
from adexplorer.core.ir import Graph
from adexplorer.lang.lower import compile_source
from adexplorer.lang.structure import (
    Assign,
    Declare,
    Expression,
    For,
    If,
    Return,
    Statement,
    Structure,
)


@dataclasses.dataclass
class _Compiled:
    """One expression as a small Wengert list, with the Python name of each of its nodes."""

    graph: Graph
    temps: dict[int, str]  # op node -> v-name


def _assigned(statements: Iterable[Statement]) -> set[str]:
    found: set[str] = set()
    for s in statements:
        if isinstance(s, Assign):
            found.add(s.name)
        elif isinstance(s, If):
            for branch in s.branches:
                found |= _assigned(branch.body)
        elif isinstance(s, For):
            found |= _assigned(s.body)
    return found


class _Generator:
    def __init__(self, structure: Structure, mode: str) -> None:
        self.forward = mode == "forward"
        if not self.forward:  # a reverse sweep starts at the end: no early return
            structure = without_early_returns(structure)
        self.structure = structure
        self.mode = mode
        self.out = Writer()
        self.shapes: dict[str, Shape] = {name: shape for name, shape in structure.inputs}
        self.loop_vars: set[str] = set()
        self.compiled: dict[int, _Compiled] = {}
        self.next_temp = 1
        self.pushed: set[int] = set()  # assignments (by id) whose old value is pushed
        self.maybe_unset: set[str] = set()  # pushed while possibly never assigned yet
        names = [name for name, _ in structure.inputs]
        self._collect_names(structure.statements, names)
        self.users = UserNames(names)
        for name in names:  # each variable's tangent and adjoint
            self.users.reserve(self.users[name] + "_dot")
            self.users.reserve(self.users[name] + "_bar")
        self.returns = all_returns(structure.statements)
        self.assignments: list[tuple[str, _Compiled]] = []
        self._analyse(structure.statements, set(self.shapes), set(self.shapes))
        self.active = self._activity({name for name, _ in structure.inputs})

    # -- analysis ---------------------------------------------------------------

    def _collect_names(self, statements: Sequence[Statement], names: list[str]) -> None:
        for s in statements:
            if isinstance(s, Assign | Declare):
                names.append(s.name)
            elif isinstance(s, For):
                names.append(s.var)
                self._collect_names(s.body, names)
            elif isinstance(s, If):
                for branch in s.branches:
                    self._collect_names(branch.body, names)

    def _analyse(self, statements: Sequence[Statement], maybe: set[str], sure: set[str]) -> None:
        """Which assignments overwrite a value (and so push it), and compile every expression,
        tracking each variable's shape in program order."""
        for s in statements:
            if isinstance(s, Declare):
                self._shape(s.name, s.shape, s.line)
                maybe.add(s.name)
                sure.add(s.name)
            elif isinstance(s, Assign):
                self.assignments.append((s.name, self._compile(s.value)))
                self._shape(s.name, s.shape, s.line)
                if s.name in maybe:
                    self.pushed.add(id(s))
                    if s.name not in sure:
                        self.maybe_unset.add(s.name)
                maybe.add(s.name)
                sure.add(s.name)
            elif isinstance(s, If):
                after_maybe, after_sure = set(maybe), None
                for branch in s.branches:
                    if branch.condition is not None:
                        self._compile(branch.condition, numbered=False)
                    b_maybe, b_sure = set(maybe), set(sure)
                    self._analyse(branch.body, b_maybe, b_sure)
                    after_maybe |= b_maybe
                    after_sure = b_sure if after_sure is None else after_sure & b_sure
                if s.branches[-1].keyword != "else":
                    after_sure = set(sure) if after_sure is None else after_sure & sure
                maybe |= after_maybe
                sure |= after_sure or set()
            elif isinstance(s, For):
                self._shape(s.var, (), s.line)
                self.loop_vars.add(s.var)
                body_maybe = maybe | _assigned(s.body) | {s.var}
                body_sure = sure | {s.var}
                self._analyse(s.body, body_maybe, body_sure)
                maybe |= body_maybe
                if s.count > 0:
                    sure |= body_sure
            elif isinstance(s, Return):
                for value in s.values:
                    self._compile(value)

    def _activity(self, inputs: set[str]) -> set[str]:
        """The variables that may depend on an input (the others carry no derivative: a
        loop counter, a flag, a constant), by a fixpoint over the assignments."""
        active = set(inputs)
        changed = True
        while changed:
            changed = False
            for name, c in self.assignments:
                if name not in active and any(
                    node.is_input and node.name in active for node in c.graph.nodes
                ):
                    active.add(name)
                    changed = True
        return active

    def _shape(self, name: str, shape: Shape, line: int) -> None:
        known = self.shapes.setdefault(name, shape)
        if known != shape:
            raise AdxError(
                "usage",
                f"line {line}: '{name}' was {type_name(known)} and becomes {type_name(shape)}; "
                "adx codegen needs each variable to keep one type",
                hint="use a new name for the new value",
            )

    def _compile(self, expr: Expression, numbered: bool = True) -> _Compiled:
        """The expression's Wengert list; its operations get the next v-numbers unless it is
        a condition (written inline, its operations need no names)."""
        found = self.compiled.get(id(expr))
        if found is None:
            graph = compile_source(expr.text, input_shapes=dict(self.shapes)).graph
            temps = {}
            for node in graph.nodes:
                if node.is_op and numbered:
                    temps[node.index] = f"v{self.next_temp}"
                    self.next_temp += 1
            found = self.compiled[id(expr)] = _Compiled(graph, temps)
        return found

    # -- names ------------------------------------------------------------------

    def _var(self, name: str) -> str:
        return self.users[name]

    def _namers(self, c: _Compiled) -> tuple[emit.Namer, emit.MaybeNamer, emit.MaybeNamer]:
        graph = c.graph

        def name(i: int) -> str:
            node = graph.nodes[i]
            if node.is_const:
                return literal(node.value)
            if node.is_input:
                assert node.name is not None
                var = self._var(node.name)
                return f"np.float64({var})" if node.name in self.loop_vars else var
            return c.temps[i]

        live: set[int] = set()  # the nodes that depend on an active variable
        for node in graph.nodes:
            if (node.is_input and node.name in self.active) or (
                node.is_op and any(a in live for a in node.args)
            ):
                live.add(node.index)

        def active(i: int) -> str | None:
            node = graph.nodes[i]
            if i not in live:
                return None
            return self._var(node.name) if node.is_input and node.name else c.temps[i]

        def dot(i: int) -> str | None:
            base = active(i)
            return None if base is None else base + "_dot"

        def bar(i: int) -> str | None:
            base = active(i)
            return None if base is None else base + "_bar"

        return name, dot, bar

    # -- writing ----------------------------------------------------------------

    def add(self, text: str, role: str, line: int | None) -> None:
        self.out.add(text, role, source_line=line)

    def primal_ops(
        self, c: _Compiled, line: int, tangents: bool, only: set[int] | None = None
    ) -> None:
        name, dot, _ = self._namers(c)
        for node in c.graph.nodes:
            if node.is_op and (only is None or node.index in only):
                self.add(
                    f"{c.temps[node.index]} = {emit.primal(c.graph, node, name)}", "primal", line
                )
                if tangents and dot(node.index) is not None:
                    text = emit.tangent(c.graph, node, name, dot)
                    self.add(f"{c.temps[node.index]}_dot = {text}", "tangent", line)

    def condition(self, expr: Expression) -> str:
        """The condition as one Python expression: comparisons as Python comparisons."""
        c = self._compile(expr, numbered=False)
        graph = c.graph
        base_name, _, _ = self._namers(c)

        def inline(i: int, as_condition: bool, top: bool = False) -> str:
            node = graph.nodes[i]
            if not node.is_op:
                return base_name(i)
            prim = node.primitive
            if as_condition and prim.numpy_condition is not None:
                args = [inline(a, prim.condition_args) for a in node.args]
                text = prim.numpy_condition.format(*args)
            else:
                text = emit.primal(graph, node, lambda a: inline(a, False))
            return text if top else f"({text})"

        return inline(graph.outputs[0], True, top=True)

    def generate(self) -> GeneratedCode:
        inputs = [name for name, _ in self.structure.inputs]
        params = [self._var(n) for n in inputs]
        out = self.out
        if not self.returns:
            raise AdxError("usage", "the program has no output", hint="end it with return NAME")
        ret = self.returns[0]
        out_names = list(ret.names)
        seeded: list[str | None] = []  # per output: the variable it returns as it is, if any
        if self.forward:
            function = "f_jvp"
            extra = [p + "_dot" for p in params]  # the inputs' own tangents
            signature = params + extra
        else:
            function = "f_vjp"
            extra = []
            for out_name, value in zip(out_names, ret.values, strict=True):
                var = self._returned_variable(value)
                if var is not None and var not in seeded:
                    # `return y`: the caller's cotangent is y's adjoint to start with
                    seeded.append(var)
                    extra.append(self._var(var) + "_bar")
                else:
                    seeded.append(None)
                    extra.append(self.users.fresh(python_name(out_name) + "_bar"))
            signature = params + [f"{b}=1.0" for b in extra]
        value_names = [self.users.fresh(python_name(n) + "_value") for n in out_names]
        what = "forward mode (tangents)" if self.forward else "reverse mode (adjoints)"
        write_module_header(
            out,
            f"{', '.join(out_names)}: value and derivative by {what}, generated by adx codegen.",
            "A standalone module (numpy only), written from the program's structure: its if "
            "and for are kept"
            + (
                "."
                if self.forward
                else ", and the forward sweep pushes on a stack what the reverse sweep "
                "needs (values about to be overwritten, the branch taken)."
            )
            + "  Variables keep their names; the operations of each expression are "
            "v1, v2, … in program order, their tangents v1_dot, their adjoints v1_bar.  "
            "Regenerate it with adx codegen rather than editing it.",
        )
        out.add(f"def {function}({', '.join(signature)}):", "text")
        out.depth = 1
        described = ", ".join(
            f"{p} ({type_name(self.shapes[n])})" for p, n in zip(params, inputs, strict=True)
        )
        outs = ", ".join(out_names) if len(out_names) == 1 else f"({', '.join(out_names)})"
        if self.forward:
            write_docstring(
                out,
                f"Return {outs} and its tangent in the direction of the _dot arguments.",
                f"Inputs: {described}; each _dot argument has its input's shape.",
            )
        else:
            write_docstring(
                out,
                f"Return {outs} and the adjoints ({', '.join(p + '_bar' for p in params)}) "
                "of the inputs.",
                f"Inputs: {described}.  The _bar arguments weight the outputs (1.0: the "
                "gradient of their sum).",
            )
        for p, n in zip(params, inputs, strict=True):
            self.add(f"{p} = {as_value(p, self.shapes[n])}", "input", None)
        if self.forward:
            for p, d, n in zip(params, extra, inputs, strict=True):
                self.add(f"{p}_dot = {as_value(d, self.shapes[n])}", "tangent", None)
            self.sweep_forward(self.structure.statements, tangents=True)
        else:
            for var in sorted(self.maybe_unset, key=self._var):
                self.add(f"{self._var(var)} = None  # no value yet", "text", None)
            self.add("stack = []", "text", None)
            self.sweep_forward(self.structure.statements, tangents=False)
            for value_name, value in zip(value_names, ret.values, strict=True):
                c = self._compile(value)
                self.primal_ops(c, ret.line, tangents=False)
                name, _, _ = self._namers(c)
                self.add(f"{value_name} = {name(c.graph.outputs[0])}", "primal", ret.line)
            self.out.add("")
            self.add("# reverse sweep: statements in reverse order, loops reversed", "text", None)
            for var, shape in self.shapes.items():
                if var in self.active and var not in seeded:
                    self.add(f"{self._var(var)}_bar = {zeros(shape)}", "init", None)
            self.reverse_return(ret, extra, seeded)
            self.sweep_reverse(self.structure.statements[:-1])
            grads = ", ".join(f"{p}_bar" for p in params)
            comma = "," if len(params) == 1 else ""
            self.add(f"return {_tuple(value_names)}, ({grads}{comma})", "return", ret.line)
        return out.finish(self.mode, function, tuple(inputs))

    def block(self, body: Sequence[Statement], write: Any) -> None:
        self.out.depth += 1
        before = len(self.out.lines)
        write(body)
        if len(self.out.lines) == before:
            self.out.add("pass")
        self.out.depth -= 1

    def sweep_forward(self, statements: Sequence[Statement], tangents: bool) -> None:
        for s in statements:
            if isinstance(s, Assign):
                c = self._compile(s.value)
                self.primal_ops(c, s.line, tangents)
                name, dot, _ = self._namers(c)
                o = c.graph.outputs[0]
                var = self._var(s.name)
                if id(s) in self.pushed and not tangents:
                    self.add(f"stack.append({var})", "push", s.line)
                value = name(o)
                if c.graph.nodes[o].is_const and s.shape == ():
                    value = f"np.float64({value})"
                self.add(f"{var} = {value}", "primal", s.line)
                if tangents and s.name in self.active:
                    self.add(f"{var}_dot = {dot(o) or zeros(s.shape)}", "tangent", s.line)
            elif isinstance(s, If):
                for k, branch in enumerate(s.branches):
                    if branch.condition is None:
                        self.add("else:", "control", branch.line)
                    else:
                        keyword = "if" if k == 0 else "elif"
                        test = self.condition(branch.condition)
                        self.add(f"{keyword} {test}:", "control", branch.line)

                    def body(
                        statements: Sequence[Statement], k: int = k, line: int = s.line
                    ) -> None:
                        self.sweep_forward(statements, tangents)
                        if not tangents:
                            self.add(f"stack.append({k})  # branch {k} taken", "push", line)

                    self.block(branch.body, body)
                if s.branches[-1].keyword != "else" and not tangents:
                    n = len(s.branches)
                    self.add("else:", "control", s.line)
                    self.out.depth += 1
                    self.add(f"stack.append({n})  # no branch taken", "push", s.line)
                    self.out.depth -= 1
            elif isinstance(s, For):
                self.add(f"for {self._var(s.var)} in {_range_text(s)}:", "control", s.line)
                self.block(s.body, lambda body: self.sweep_forward(body, tangents))
            elif isinstance(s, Return) and tangents:  # forward mode returns where the program does
                results = []
                dots = []
                for returned in s.values:
                    c = self._compile(returned)
                    self.primal_ops(c, s.line, tangents=True)
                    name, dot, _ = self._namers(c)
                    o = c.graph.outputs[0]
                    results.append(name(o))
                    dots.append(dot(o) or zeros(c.graph.nodes[o].shape))
                self.add(f"return {_tuple(results)}, {_tuple(dots)}", "return", s.line)

    def sweep_reverse(self, statements: Sequence[Statement]) -> None:
        for s in reversed(statements):
            if isinstance(s, Assign):
                self.reverse_assign(s)
            elif isinstance(s, If):
                self.add("branch = stack.pop()", "pop", s.line)
                for k, branch in enumerate(s.branches):
                    keyword = "if" if k == 0 else "elif"
                    self.add(f"{keyword} branch == {k}:", "control", branch.line)
                    self.block(branch.body, self.sweep_reverse)
            elif isinstance(s, For):
                self.add(
                    f"for {self._var(s.var)} in reversed({_range_text(s)}):", "control", s.line
                )
                self.block(s.body, self.sweep_reverse)

    def reverse_assign(self, s: Assign) -> None:
        c = self._compile(s.value)
        var = self._var(s.name)
        if id(s) in self.pushed:
            self.add(f"{var} = stack.pop()", "pop", s.line)
        if s.name not in self.active:
            return  # no derivative flows through it
        _, _, bar = self._namers(c)
        o = c.graph.outputs[0]
        out_bar = bar(o)
        if c.graph.nodes[o].is_op:
            lines = self.adjoints(c)
            # recompute only the values the adjoint statements read (and what those need)
            self.primal_ops(c, s.line, tangents=False, only=self._needed(c, lines))
            self.add(f"{out_bar} = {var}_bar", "seed", s.line)
            self.add(f"{var}_bar = {zeros(s.shape)}", "init", s.line)
            for text, role in lines:
                self.add(text, role, s.line)
        elif out_bar is not None and out_bar != f"{var}_bar":  # y = x: x's adjoint gets y's
            self.add(f"{out_bar} += {var}_bar", "adjoint", s.line)
            self.add(f"{var}_bar = {zeros(s.shape)}", "init", s.line)
        elif out_bar is None:  # y = a constant or the loop counter
            self.add(f"{var}_bar = {zeros(s.shape)}", "init", s.line)

    def _returned_variable(self, value: Expression) -> str | None:
        """The variable an output is, when it is one as it stands (``return y``)."""
        graph = self._compile(value).graph
        node = graph.nodes[graph.outputs[0]]
        if node.is_input and node.name is not None and node.name in self.active:
            return node.name
        return None

    def reverse_return(self, ret: Return, seeds: list[str], seeded: list[str | None]) -> None:
        """Seed the outputs' adjoints: returned variables first (their adjoint starts as the
        caller's cotangent), then the outputs that are operations, with their contributions."""
        later = []
        for value, seed, var in zip(ret.values, seeds, seeded, strict=True):
            c = self._compile(value)
            _, _, bar = self._namers(c)
            o = c.graph.outputs[0]
            node = c.graph.nodes[o]
            target = bar(o)
            if target is None:  # a constant or the loop counter: no derivative
                continue
            cotangent = (
                f"np.float64({seed})"
                if node.shape == ()
                else f"np.full({node.shape!r}, {seed}, dtype=np.float64)"
            )
            if var is not None:
                self.add(f"{target} = {cotangent}", "seed", ret.line)
            elif node.is_op:
                later.append((c, target, cotangent))
            else:  # a variable returned twice
                self.add(f"{target} += {cotangent}", "seed", ret.line)
        for c, target, cotangent in later:
            self.add(f"{target} = {cotangent}", "seed", ret.line)
            for text, role in self.adjoints(c):
                self.add(text, role, ret.line)

    def adjoints(self, c: _Compiled) -> list[tuple[str, str]]:
        """(text, role) of the contributions of one expression, its value's adjoint set."""
        graph = c.graph
        name, _, bar = self._namers(c)
        ready = {graph.outputs[0]}
        lines = []
        for node in reversed(graph.nodes):
            if not node.is_op or node.index not in ready:
                continue
            for _slot, a, text in emit.adjoints(graph, node, name, bar):
                target = bar(a)
                arg = graph.nodes[a]
                if arg.is_op and a not in ready:
                    lines.append((f"{target} = {zeros(arg.shape)}", "init"))
                ready.add(a)
                lines.append((f"{target} += {text}", "adjoint"))
        return lines

    def _needed(self, c: _Compiled, lines: list[tuple[str, str]]) -> set[int]:
        """The operations whose values these adjoint statements read, with their arguments'."""
        by_name = {temp: i for i, temp in c.temps.items()}
        needed: set[int] = set()
        for text, _ in lines:
            right = text.split(" += ", 1)[-1]
            needed |= {by_name[t] for t in re.findall(r"\bv\d+\b", right) if t in by_name}
        stack = list(needed)
        while stack:
            for a in c.graph.nodes[stack.pop()].args:
                if c.graph.nodes[a].is_op and a not in needed:
                    needed.add(a)
                    stack.append(a)
        return needed


def _tuple(items: list[str]) -> str:
    return items[0] if len(items) == 1 else "(" + ", ".join(items) + ")"


def generate_structured(structure: Structure, mode: str) -> GeneratedCode:
    return _Generator(structure, mode).generate()


def _range_text(loop: For) -> str:
    """The loop's ``range(...)`` as the program wrote it: ``range(4)`` or ``range(1, 7, 2)``."""
    if loop.start == 0 and loop.step == 1:
        return f"range({loop.count})"
    stop = loop.start + loop.count * loop.step
    if loop.step == 1:
        return f"range({loop.start}, {stop})"
    return f"range({loop.start}, {stop}, {loop.step})"
