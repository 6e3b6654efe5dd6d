"""``adx eval … --hvp u`` and ``adx eval … --hessian``: second order on the command line.

Both run forward-over-reverse (:mod:`adexplorer.core.second_order`): the adjoint sweep
on dual numbers, so every adjoint v̄ carries a tangent v̄̇.  ``--hvp`` is one nested
sweep along u (H·u); ``--hessian`` one per input entry (of the ``--wrt`` inputs, if
given).  The eval command checks nothing of these options itself: it calls
:func:`second_order_eval`, which refuses the combinations that have no meaning here
(usage errors, exit 2) and prints the tables or the ``adx.eval/1`` report.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import click

from adexplorer.base.errors import AdxError, did_you_mean
from adexplorer.base.shapes import Array
from adexplorer.cli.common import dump_json, fail, load, parse_values
from adexplorer.core.ir import Graph


def check_options(
    *,
    hvp_text: str | None,
    hessian: bool,
    mode: str | None,
    wrt: str | None,
    seed_text: str | None,
    checkpoint_text: str | None,
    vector: bool = False,
) -> None:
    """Usage errors (exit 2) for what second order cannot be combined with, each saying
    what to do instead."""
    option = "--hvp" if hvp_text is not None else "--hessian"
    if hvp_text is not None and hessian:
        raise click.UsageError(
            "give either --hvp U (H·u: one nested sweep) or --hessian (all of H: one nested "
            "sweep per input entry), not both"
        )
    if mode is not None and mode != "reverse":
        raise click.UsageError(
            f"{option} runs forward-over-reverse (an adjoint sweep on dual numbers); it does "
            f"not combine with --mode {mode}.  Leave --mode out (or write --mode reverse)."
        )
    if seed_text is not None:
        raise click.UsageError(
            f"--seed sets a first-order seed (a tangent direction, or a cotangent in reverse "
            f"mode); {option} seeds its own sweeps (ȳ = 1 on the scalar output).  "
            + (
                "--hvp takes the direction u itself: --hvp x=1,y=0."
                if hvp_text is not None
                else "For H·u along a direction, use --hvp x=1,y=0 instead of --hessian."
            )
        )
    if vector:
        raise click.UsageError(
            f"--vector carries first-order tangents in one forward sweep; {option} runs its "
            "own tangent sweeps inside the nested ones.  Leave --vector out."
        )
    if checkpoint_text is not None:
        raise click.UsageError(
            f"--checkpoint schedules a first-order reverse sweep; {option} does not "
            "checkpoint its nested sweeps.  Leave --checkpoint out."
        )
    if hvp_text is not None and wrt is not None:
        raise click.UsageError(
            "--wrt restricts the inputs of --hessian; --hvp has its direction already "
            "(inputs left out of it move by 0).  Leave --wrt out, or use --hessian --wrt."
        )


def wrt_names(wrt: str | None) -> list[str] | None:
    """``--wrt x1`` or ``--wrt x1,W`` with --hessian: the inputs whose entries H covers."""
    if wrt is None:
        return None
    names = [name.strip() for name in wrt.split(",")]
    if not all(names):
        raise AdxError(
            "usage",
            f"--wrt {wrt}: an input name is missing",
            hint="name the inputs, separated by commas: --wrt x1,x2",
        )
    return list(dict.fromkeys(names))


def check_names(
    graph: Graph,
    direction: Mapping[str, Array] | None,
    hvp_text: str | None,
    names: Sequence[str] | None,
    wrt: str | None,
) -> None:
    """The inputs ``--hvp`` and ``--wrt`` name, and the direction's shapes, checked
    before any sweep runs; each error names the option and what it was given."""
    from adexplorer.core.second_order import direction_map

    listed = f"the inputs are {', '.join(graph.input_names)}"
    for name in names or ():
        if graph.input_index(name) is None:
            close = did_you_mean(name, graph.input_names)
            raise AdxError(
                "usage",
                f"--wrt {wrt}: '{name}' is not an input of this function",
                hint=(close + " " if close else "") + listed,
            )
    if direction is None:
        return
    try:
        direction_map(graph, direction)
    except AdxError as error:
        hint = error.hint
        if error.kind == "usage":  # a name that is not an input
            hint = f"{hint}; --hvp gives the direction u by input (inputs left out move by 0)"
        raise AdxError(error.kind, f"--hvp {hvp_text}: {error.message}", hint=hint) from None


def in_option_terms(error: AdxError) -> AdxError:
    """An error of the second-order core, with its advice said in the options the user
    types (``--hvp``, ``--wrt``) rather than in the API's words."""
    from adexplorer.core.second_order import FEWER_SWEEPS

    if error.hint and FEWER_SWEEPS in error.hint:
        error.hint = error.hint.replace(
            FEWER_SWEEPS,
            "give one direction with --hvp NAME=VALUE,... (H·u, one nested sweep), or "
            "differentiate fewer inputs with --hessian --wrt NAME,...",
        )
    return error


def second_order_eval(
    expr_or_file: str,
    at: Sequence[str],
    *,
    hvp_text: str | None,
    hessian: bool,
    mode: str | None,
    wrt: str | None,
    seed_text: str | None,
    checkpoint_text: str | None,
    as_json: bool,
    digits: int,
    numbering: str,
    vector: bool = False,
) -> None:
    """The second-order branch of ``adx eval``: check, run, print (tables or JSON)."""
    check_options(
        hvp_text=hvp_text,
        hessian=hessian,
        mode=mode,
        wrt=wrt,
        seed_text=seed_text,
        checkpoint_text=checkpoint_text,
        vector=vector,
    )
    try:
        from adexplorer.core.second_order import run_second_order

        loaded, bindings = load(expr_or_file, at)
        if not loaded.graph.input_names:
            raise AdxError(
                "usage",
                "this function has no inputs, so it has no second derivatives to show",
                hint="use a name such as x in the expression and give its value with --at x=…",
            )
        direction = parse_values([hvp_text], "--hvp") if hvp_text is not None else None
        names = wrt_names(wrt)
        check_names(loaded.graph, direction, hvp_text, names, wrt)
        try:
            trace = run_second_order(loaded.graph, bindings, direction=direction, wrt=names)
        except AdxError as error:
            raise in_option_terms(error) from None
    except AdxError as error:
        fail(error, as_json)
    warnings = list(dict.fromkeys([*loaded.warnings, *trace.warnings]))
    if as_json:
        from adexplorer.reports.second_order import second_order_eval_report

        report = second_order_eval_report(
            trace, numbering=numbering, digits=digits, warnings=warnings
        )
        dump_json(report)
        return
    from adexplorer.render.second_order import print_second_order

    print_second_order(trace, numbering=numbering, digits=digits, warnings=warnings)
