"""Pieces every ``adx`` command shares: reading the program, ``--at`` values, errors.

Exit codes (the ``adx eval`` contract): 0 success; 1 anything wrong in what the
user wrote (parse, names, shapes, input values, an empty expression); 2 misuse
of the command line itself (click's usage errors).
"""

from __future__ import annotations

import codecs
import dataclasses
import io
import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click
import numpy as np

from adexplorer.base.errors import AdxError, did_you_mean
from adexplorer.base.files import RefusedFile, expand_home, read_regular_text
from adexplorer.base.limits import check, limit
from adexplorer.base.shapes import Array
from adexplorer.base.text import json_dumps, to_ascii
from adexplorer.core.ir import Graph
from adexplorer.lang.lower import compile_source, parse_at

if TYPE_CHECKING:
    from adexplorer.core.checkpoint import CheckpointSpec
    from adexplorer.core.trace import Trace


class ExpressionFriendlyCommand(click.Command):
    """Lets an expression that starts with '-' stand where the expression goes.

    ``adx eval -x^2 --at x=3`` would otherwise be read as an unknown option
    ``-x``.  Before any positional argument is seen, an argument that starts with
    '-' but is not one of this command's options is taken as the expression.
    ``--`` works as usual too.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        takes_value: dict[str, bool] = {}
        for param in self.get_params(ctx):
            if isinstance(param, click.Option):
                for opt in [*param.opts, *param.secondary_opts]:
                    takes_value[opt] = not (param.is_flag or param.count)
        skip_next = False
        for i, arg in enumerate(args):
            if skip_next:
                skip_next = False
                continue
            if arg == "--" or not arg.startswith("-") or len(arg) == 1:
                break  # the expression is already in a normal position
            name = arg.split("=", 1)[0]
            if name in takes_value:
                skip_next = takes_value[name] and "=" not in arg
                continue
            if not arg.startswith("--"):
                # Not an option of ours: it is the expression (adx has no short options).
                return super().parse_args(ctx, [*args[:i], *args[i + 1 :], "--", arg])
            break
        return super().parse_args(ctx, args)


@dataclass
class Loaded:
    graph: Graph
    warnings: list[str]


SOURCE_RULE = """\b
EXPR_OR_FILE is read by one rule:
  -                               the program is read from standard input
  ends in .adx, or starts with    a program file (it must exist)
    / ./ ../ or ~/
  anything else                   an expression; a file named like it is not
                                  read (write ./name to read it)"""

#: Starts that no expression can have (``/`` alone is division, so it is not enough).
_PATH_STARTS = ("/", "./", "../", "~/")


def is_file_argument(expr_or_file: str) -> bool:
    """True if the argument names a program file by the rule in :data:`SOURCE_RULE`."""
    return expr_or_file.endswith(".adx") or expr_or_file.startswith(_PATH_STARTS)


def read_source(expr_or_file: str) -> tuple[str, str | None]:
    """The text to compile and where it came from (a file name, ``<stdin>``, or None).

    The argument is never probed as a file first: an expression of any length
    stays an expression, and a file called ``x`` never replaces the expression ``x``.
    """
    if expr_or_file == "-":
        data = sys.stdin.buffer.read(limit("program_bytes") + 1)
        return _decode(data, "<stdin>"), "<stdin>"
    if not is_file_argument(expr_or_file):
        return expr_or_file, None
    path = expand_home(Path(expr_or_file))
    try:
        return read_regular_text(path, limit("program_bytes"), "program"), str(path)
    except FileNotFoundError:
        raise AdxError(
            "file",
            f"no such file: {expr_or_file}",
            hint="an argument that ends in .adx or starts with / ./ ../ ~/ is read as a file",
        ) from None
    except RefusedFile as refused:
        raise AdxError("file", f"cannot read {expr_or_file}: {refused}") from None
    except OSError as exc:
        raise AdxError("file", f"cannot read {expr_or_file}: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise AdxError(
            "file", f"{expr_or_file} is not UTF-8 text (byte {exc.start} cannot be read)"
        ) from None


def _names_a_file(text: str) -> bool:
    try:
        return len(text) < 4096 and "\0" not in text and os.path.isfile(text)
    except (OSError, ValueError):
        return False


def _decode(data: bytes, origin: str) -> str:
    check("program_bytes", len(data))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise AdxError(
            "file", f"{origin} is not UTF-8 text (byte {exc.start} cannot be read)"
        ) from None


def parse_values(texts: Iterable[str], origin: str, program: str | None = None) -> dict[str, Array]:
    """The values of every ``--at`` option, later ones overriding earlier ones.

    File paths (``X=@x.npy``) start from the current directory; ``program``'s
    declarations give random values (``W=normal(seed=1)``) their shapes and
    check the shapes of file values.
    """
    values: dict[str, Array] = {}
    for text in texts:
        try:
            parsed = parse_at(text, origin, program=program)
        except AdxError as exc:
            raise exc.with_source(text, origin) from None
        values.update({name: value for name, (value, _) in parsed.items()})
    what = _MUST_BE_FINITE.get(origin)
    for name, value in values.items():
        if what is not None and not np.all(np.isfinite(value)):
            raise AdxError(
                "input",
                f"the {what} for {name} is not a finite number",
                hint=f"give {origin} finite values, e.g. {origin} {name}=1",
            )
    return values


#: Options whose values are derivative seeds or directions: a NaN or an infinity there
#: would only fill every derivative with NaN, so it is refused (--at only warns: f at a
#: non-finite point is itself worth seeing).
_MUST_BE_FINITE = {"--seed": "seed", "--hvp": "direction"}


def load(expr_or_file: str, at: Sequence[str]) -> tuple[Loaded, dict[str, Array]]:
    """Compile the program and parse ``--at``; check every bound name is an input."""
    source, origin = read_source(expr_or_file)
    bindings = parse_values(at, "--at", program=source)
    try:
        lowered = compile_source(
            source,
            origin,
            extra_inputs=list(bindings),
            input_shapes={name: np.shape(value) for name, value in bindings.items()},
            at=bindings,
        )
    except AdxError as error:
        if origin is None and _names_a_file(expr_or_file):
            note = f"to read the file {expr_or_file}, write ./{expr_or_file}"
            error.hint = f"{error.hint}; or {note}" if error.hint else note
        raise
    graph = lowered.graph
    names = set(graph.input_names)
    for name in bindings:
        if name not in names:
            raise AdxError(
                "input",
                f"--at gives a value for '{name}', which is not an input of this program",
                hint=did_you_mean(name, names) or f"the inputs are {', '.join(graph.input_names)}",
            )
    return Loaded(graph, list(lowered.warnings)), bindings


def fail(error: AdxError, as_json: bool) -> NoReturn:
    """Report a user error (stderr, and the JSON error object on stdout) and exit 1."""
    if as_json:
        click.echo(json_dumps({"error": error.to_json()}))
    click.echo(error.render(), err=True)
    sys.exit(1)


def require_terminal(what: str) -> None:
    """Refuse to draw a full-screen app into a file, a pipe or a cron log (exit 2)."""
    if not (sys.stdout.isatty() and sys.stdin.isatty()):
        click.echo(
            f"adx: {what} is a terminal app, and standard "
            f"{'output' if not sys.stdout.isatty() else 'input'} is not a terminal.\n"
            "For scripts use adx eval, adx fd or adx swell (add --json for machines).",
            err=True,
        )
        sys.exit(2)


def report_json_error(kind: str, message: str) -> None:
    """One JSON error object on stdout, in the same shape as :meth:`AdxError.to_json`."""
    error = {"kind": kind, "message": message, "line": None, "column": None, "hint": None}
    click.echo(json_dumps({"error": error}))


def _ascii_fallback(error: UnicodeError) -> tuple[str, int]:
    assert isinstance(error, UnicodeEncodeError)
    bad = error.object[error.start : error.end]
    return to_ascii(bad), error.end


def prepare_streams() -> None:
    """On a terminal or pipe that cannot encode Unicode (PYTHONIOENCODING=ascii, cp1252),
    print ASCII stand-ins (v_bar, d/dx) instead of failing on the first v̄."""
    codecs.register_error("adx_ascii", _ascii_fallback)
    for stream in (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
        if encoding not in ("utf8", "utf16", "utf32") and isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="adx_ascii")


def dump_json(data: Any) -> None:
    click.echo(json_dumps(data))


# -- the first-order trace of adx eval and adx export (one reading of their options) ----


def first_order_trace(
    expr_or_file: str,
    at: Sequence[str],
    *,
    mode: str | None,
    wrt: str | None,
    seed_text: str | None,
    vector: bool,
    checkpoint_text: str | None,
) -> tuple[Trace, dict[str, Array] | None]:
    """The trace ``adx eval`` shows for these options, and the seed it ran with.

    ``mode`` None: forward with ``--wrt``/``--seed``/``--vector``, else reverse; but a
    ``--seed`` that names only outputs is a cotangent, so it runs reverse mode.
    Misused options are a ``click.UsageError`` (exit 2); what the user wrote wrong
    (the program, a value, an unknown ``--wrt`` name) an :class:`AdxError`."""
    seed_decides = mode is None and seed_text is not None and not wrt and not vector
    if mode is None:
        mode = "forward" if (wrt or seed_text or vector) else "reverse"
    check_seed_options(mode, wrt, seed_text, vector)
    checkpoint = checkpoint_option(checkpoint_text, mode)
    from adexplorer.core.trace import run

    loaded, bindings = load(expr_or_file, at)
    graph = loaded.graph
    if seed_decides and _names_only_outputs(seed_text or "", graph):
        mode = "reverse"  # `--seed f=1` with no --mode: the cotangent of output f
        checkpoint = checkpoint_option(checkpoint_text, mode)
    if wrt is not None and graph.input_index(wrt) is None:
        raise AdxError(
            "usage",
            f"--wrt {wrt}: '{wrt}' is not an input of this function",
            hint=did_you_mean(wrt, graph.input_names)
            or f"the inputs are {', '.join(graph.input_names)}",
        )
    seed = None
    if mode == "reverse" and seed_text:
        seed = parse_values([seed_text], "--seed")
    elif mode == "forward" and not vector:
        if seed_text:
            seed = parse_values([seed_text], "--seed")
        elif wrt:
            from adexplorer.base.shapes import size

            shape = graph.nodes[graph.input_index(wrt) or 0].shape
            check("tensor_entries", size(shape), hint=f"{wrt} has {size(shape):,} entries")
            seed = {wrt: np.ones(shape)}
    # reverse mode with --wrt forms only the adjoints that lead to that input;
    # vector forward mode carries that input's directions only
    only = [wrt] if wrt is not None and (mode == "reverse" or vector) else None
    trace = run(graph, bindings, mode, seed, checkpoint=checkpoint, wrt=only, vector=vector)
    return with_warnings(trace, loaded.warnings), seed


def _names_only_outputs(seed_text: str, graph: Graph) -> bool:
    """True when every name ``--seed`` gives is an output of ``graph`` and none an input."""
    named = parse_values([seed_text], "--seed")
    outputs = set(graph.output_names) - set(graph.input_names)
    return bool(named) and set(named) <= outputs


def check_seed_options(mode: str, wrt: str | None, seed_text: str | None, vector: bool) -> None:
    """--seed means a direction in forward mode and a cotangent in reverse mode; --vector
    is forward mode with every direction.  Misuse is a usage error (exit 2)."""
    if vector and mode != "forward":
        raise click.UsageError(
            f"--vector carries every tangent direction in one forward sweep; it does not "
            f"apply to {mode} mode.  Use --mode forward --vector."
        )
    if vector and seed_text:
        raise click.UsageError(
            "give either --vector (every unit direction, one vector sweep) or --seed "
            "(one direction u: J·u), not both"
        )
    if seed_text and mode == "evaluate":
        raise click.UsageError(
            "--seed is a direction for --mode forward (it names inputs) or a cotangent for "
            "--mode reverse (it names outputs); evaluate mode differentiates nothing"
        )
    if wrt and seed_text and mode == "forward":
        raise click.UsageError("give either --wrt or --seed, not both")


def checkpoint_option(text: str | None, mode: str) -> CheckpointSpec | None:
    """``--checkpoint every=K|snapshots=S``, or a usage error (exit 2) saying what is valid."""
    if text is None:
        return None
    from adexplorer.core.checkpoint import parse_checkpoint

    try:
        spec = parse_checkpoint(text)
    except AdxError as error:
        raise click.BadParameter(
            f"{error.message}; {error.hint}" if error.hint else error.message,
            param_hint="--checkpoint",
        ) from None
    if mode != "reverse":
        raise click.UsageError(
            f"--checkpoint schedules the reverse sweep; it does not apply to {mode} mode "
            "(which keeps only live values).  Use --mode reverse (a --seed there is a cotangent)."
        )
    return spec


def with_warnings(trace: Trace, extra: list[str]) -> Trace:
    """The trace with the compiler's warnings (e.g. an unused input) in front of its own."""
    if not extra:
        return trace
    # a taped program's warnings (a tie) come from its lowering and from the run: once
    return dataclasses.replace(trace, warnings=tuple(dict.fromkeys((*extra, *trace.warnings))))
