"""Exports for slides and notes (``adexplorer.exports``, ``adx export``).

Numbers are checked against the engine's trace and against the survey example's
derivatives worked by hand (∂f/∂x1 = 1/x1 + x2, ∂f/∂x2 = x1 − cos x2); LaTeX is
compiled with pdflatex, DOT parsed by pydot and drawn by Graphviz, Mermaid held to
a strict line grammar, where those tools are installed (tests/system_tools.py).
"""

from __future__ import annotations

import json
import math
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pydot
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adexplorer.base.numbers import display_value
from adexplorer.cli.common import load
from adexplorer.core.trace import Trace, run
from adexplorer.exports import FORMATS
from adexplorer.exports.escape import latex_math, latex_text, markdown_code, markdown_text
from adexplorer.exports.graphs import graph_dot, graph_mermaid
from adexplorer.exports.tables import trace_latex, trace_markdown
from adexplorer.exports.text import trace_plain
from tests.json_contract import assert_valid
from tests.system_tools import require_tool

SURVEY = "ln(x1) + x1*x2 - sin(x2)"
ADX = shutil.which("adx", path=str(Path(sys.executable).parent))
COMMAND = [ADX] if ADX else [sys.executable, "-m", "adexplorer"]


def trace_of(
    source: str, at: str, mode: str = "reverse", seed: dict[str, float] | None = None
) -> Trace:
    loaded, bindings = load(source, [at] if at else [])
    return run(loaded.graph, bindings, mode, seed)


def adx(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*COMMAND, *args], capture_output=True, text=True, timeout=120, cwd=cwd, check=False
    )


# -- golden checks on the survey example -------------------------------------------------


def test_markdown_reverse_survey_rows_are_the_engines() -> None:
    trace = trace_of(SURVEY, "x1=2,x2=5")
    text = trace_markdown(trace)
    labels = trace.graph.labels("griewank")
    for step in trace.primal_steps:  # every primal row: its label and the engine's value
        value = display_value(step.value)
        assert re.search(rf"^\| `{re.escape(labels[step.node])}` \|.*\| `{value}` \|", text, re.M)
    # the rows the survey prints (Baydin et al. 2018, table 3), as adx writes them
    assert "| `v1` | `log(v-1) = log(2)` | `0.693147` | ln(x1) |" in text
    assert "| `v2` | `v-1 · v0 = 2 · 5` | `10` | x1\\*x2 |" in text
    assert "| 9 | `v̄-1` | `+= v̄1/v-1 = 1/2` | `0.5` | `5.5` | 2 of 2 |" in text
    assert "| 8 | `v̄0` | `+= v̄2·v-1 = 1·2` | `2` | `1.71634` | 2 of 2 |" in text
    gradient = trace.gradient()
    assert float(gradient["x1"]) == pytest.approx(1 / 2 + 5, rel=1e-15)
    assert float(gradient["x2"]) == pytest.approx(2 - math.cos(5), rel=1e-15)
    assert f"- `∂f/∂x1 = {display_value(gradient['x1'])}`" in text
    assert "- `∂f/∂x2 = 1.71634`" in text
    assert f"- `f = {display_value(trace.output_value())}`" in text


def test_markdown_forward_tangent_table() -> None:
    trace = trace_of(SURVEY, "x1=2,x2=5", "forward", {"x1": 1.0, "x2": 0.0})
    text = trace_markdown(trace)
    assert "**Forward tangent trace** (seed `v̇-1 = 1, v̇0 = 0`; other inputs 0)" in text
    assert "| `v̇2` | `v̇-1·v0 + v-1·v̇0 = 1·5 + 2·0` | `5` |" in text
    assert "| `v̇5` | `v̇4 - v̇3 = 5.5 - 0` | `5.5` |" in text
    tangent = float(trace.output_tangents()[0])
    assert tangent == pytest.approx(1 / 2 + 5)
    assert f"`f\u0307 = J·u = {display_value(tangent)}`" in text


def test_latex_survey_layout() -> None:
    trace = trace_of(SURVEY, "x1=2,x2=5")
    text = trace_latex(trace)
    assert text.startswith("% adx export: needs \\usepackage{booktabs}")
    assert "\\documentclass" not in text
    for rule in ("\\toprule", "\\midrule", "\\bottomrule", "\\cmidrule(lr){1-3}"):
        assert rule in text
    assert "Forward primal trace $\\downarrow$" in text
    assert "Reverse adjoint trace (seed $\\bar{v}_{5}=1$) $\\uparrow$" in text
    # listed upwards as in the paper: the first body row pairs v-1 with v̄-1's last
    # contribution, the last row is the seed
    body = text.split("\\midrule\n")[1].split("\\bottomrule")[0].strip().splitlines()
    assert body[0].startswith("$v_{-1}$ & $= x_{1}$ & $2$ & $\\bar{v}_{-1}$ & ")
    assert body[0].endswith("& $0.5$ & $5.5$ \\\\")
    assert body[-1] == " &  &  & $\\bar{v}_{5}$ & seed & $1$ & $1$ \\\\"
    assert "$= \\log (v_{-1})=\\log (2)$ & $0.693147$" in text
    assert all(line.count("&") == 6 for line in body)  # 3 + 4 columns, every row


def test_latex_forward_and_dual_blocks() -> None:
    trace = trace_of(SURVEY, "x1=2,x2=5", "forward", {"x1": 1.0, "x2": 0.0})
    text = trace_latex(trace)
    assert "$\\dot{v}_{2}$ & $= \\dot{v}_{-1}\\cdot v_{0}+v_{-1}\\cdot \\dot{v}_{0}" in text
    dual = trace_latex(trace, dual=True)
    assert (
        "Dual numbers (seed $\\dot{v}_{-1}=1,\\allowbreak \\dot{v}_{0}=0$; other inputs 0)" in dual
    )
    assert "10+5\\varepsilon" in dual.replace(" ", "")


@pytest.mark.parametrize("mode", ["reverse", "forward", "dual", "evaluate"])
def test_standalone_latex_compiles_with_pdflatex(tmp_path: Path, mode: str) -> None:
    pdflatex = require_tool("pdflatex")
    engine_mode = "forward" if mode == "dual" else mode
    trace = trace_of(SURVEY, "x1=2,x2=5", engine_mode)
    tex = trace_latex(trace, standalone=True, dual=mode == "dual")
    assert tex.startswith("\\documentclass{article}\n\\usepackage{booktabs}")
    compile_latex(pdflatex, tmp_path, tex)


def compile_latex(pdflatex: str, folder: Path, tex: str) -> None:
    (folder / "trace.tex").write_text(tex)
    done = subprocess.run(
        [pdflatex, "-interaction=nonstopmode", "-halt-on-error", "trace.tex"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:]
    assert (folder / "trace.pdf").stat().st_size > 1000


def test_latex_source_is_balanced_without_tex() -> None:
    """Where no TeX is installed the source is still checked: braces balance, every
    environment closes, every row has the columns its table declares."""
    for mode in ("reverse", "forward"):
        tex = trace_latex(trace_of(SURVEY, "x1=2,x2=5", mode), standalone=True)
        unescaped = re.sub(r"\\[{}]", "", tex)
        assert unescaped.count("{") == unescaped.count("}")
        begins = re.findall(r"\\begin\{(\w+)\}", tex)
        ends = re.findall(r"\\end\{(\w+)\}", tex)
        assert sorted(begins) == sorted(ends)
        assert tex.rstrip().endswith("\\end{document}")


# -- graphs ------------------------------------------------------------------------------


def test_dot_parses_with_pydot_and_has_every_node_and_edge() -> None:
    trace = trace_of("x*x + sin(x)*2", "x=3")
    graphs = pydot.graph_from_dot_data(graph_dot(trace))
    assert graphs is not None and len(graphs) == 1
    graph = graphs[0]
    nodes = [n for n in graph.get_nodes() if re.fullmatch(r"n\d+", n.get_name())]
    assert len(nodes) == len(trace.graph.nodes)
    edges = graph.get_edges()
    assert len(edges) == sum(len(n.args) for n in trace.graph.nodes)  # x*x: two edges
    doubled = [e for e in edges if (e.get_source(), e.get_destination()) == ("n0", "n2")]
    assert sorted(e.get("label") for e in doubled) == ['"1"', '"2"']
    labels = {n.get_name(): n.get("label") for n in nodes}
    assert labels["n2"] == '"v1\\nmul\\n= 9\\nv̄1 = 1"'
    adjoint = float(trace.gradient()["x"])
    assert adjoint == pytest.approx(2 * 3 + 2 * math.cos(3))
    assert f"v̄0 = {display_value(adjoint)}" in labels["n0"]


def test_dot_renders_with_graphviz(tmp_path: Path) -> None:
    dot = require_tool("dot")
    source = graph_dot(trace_of(SURVEY, "x1=2,x2=5", "forward", {"x1": 1.0, "x2": 0.0}))
    done = subprocess.run(
        [dot, "-Tsvg"], input=source, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "<svg" in done.stdout and "v̇5 = 5.5" in done.stdout


MERMAID_NODE = re.compile(r'^  n\d+(\(\[|\[/|\[)"[^"\n]*"(\]\)|/\]|\])$')
MERMAID_EDGE = re.compile(r'^  n(\d+) -->(\|"\d+"\|)? n(\d+)$')
MERMAID_COMMENT = re.compile(r"^  %% adx: [^\n]*$")


def check_mermaid(text: str) -> tuple[set[str], int]:
    """The flowchart's shape, line by line: header, comment, nodes, then edges whose
    ends are declared nodes.  Returns the node ids and the edge count."""
    lines = text.splitlines()
    assert lines[0] == "flowchart LR"
    assert MERMAID_COMMENT.match(lines[1]), lines[1]
    declared: set[str] = set()
    edges = 0
    for line in lines[2:]:
        if MERMAID_NODE.match(line):
            assert edges == 0, "nodes come before edges"
            declared.add(line.split("(")[0].split("[")[0].strip())
            continue
        match = MERMAID_EDGE.match(line)
        assert match, f"not a node or an edge: {line!r}"
        assert {f"n{match.group(1)}", f"n{match.group(3)}"} <= declared
        edges += 1
    return declared, edges


def test_mermaid_shape() -> None:
    trace = trace_of("x*x + sin(x)*2", "x=3")
    text = graph_mermaid(trace)
    declared, edges = check_mermaid(text)
    assert len(declared) == len(trace.graph.nodes)
    assert edges == sum(len(n.args) for n in trace.graph.nodes)
    assert '  n0(["v0<br/>input x: real<br/>= 3<br/>v̄0 = 4.02002"])' in text
    assert text.count('  n0 -->|"') == 2  # x*x uses x twice


# -- user text is data -----------------------------------------------------------------

EVIL = (
    "x_1: real = 3 # $ & {a} \\end{document} ^ _ % ~ | ` <b> #quot; \x1b[31m red\nreturn x_1*x_1\n"
)


def test_markup_and_controls_in_user_text_are_escaped(tmp_path: Path) -> None:
    trace = trace_of(EVIL, "")
    markdown = trace_markdown(trace)
    assert "\x1b" not in markdown and "\\x1b[31m" in markdown
    assert "x_1\\*x_1" not in markdown  # source cells escape markdown: x\_1\*x\_1
    assert "x\\_1\\*x\\_1" in markdown
    latex = trace_latex(trace, standalone=True)
    assert "\x1b" not in latex and "\\end{document}" in latex
    assert latex.count("\\end{document}") == 1  # the comment's one is escaped text
    dot = graph_dot(trace)
    assert "\x1b" not in dot
    parsed = pydot.graph_from_dot_data(dot)
    assert parsed is not None and len(parsed[0].get_nodes()) >= len(trace.graph.nodes)
    mermaid = graph_mermaid(trace)
    check_mermaid(mermaid)
    assert "\x1b" not in mermaid and "<b>" not in mermaid
    if shutil.which("pdflatex"):
        compile_latex(shutil.which("pdflatex") or "", tmp_path, latex)


def test_escape_functions() -> None:
    assert latex_text("a_b $x$ {y} 50% #1 & ~ ^ \\") == (
        "a\\_b \\$x\\$ \\{y\\} 50\\% \\#1 \\& \\textasciitilde{} "
        "\\textasciicircum{} \\textbackslash{}"
    )
    assert latex_text("\x1b[0m") == "\\textbackslash{}x1b[0m"
    assert latex_text("π") == "\\textbackslash{}u03c0"  # pdflatex has no font for it
    assert latex_math("v̄-1·v0^(2 - 1)") == "\\bar{v}_{-1}\\cdot v_{0}^{(2-1)}"
    assert latex_math("sigmoid(v1)") == "\\mathop{\\mathrm{sigmoid}}\\nolimits (v_{1})"
    assert latex_math("1e-05") == "1\\times 10^{-5}"
    assert latex_math("my_name") == "\\mathit{my\\_name}"
    assert markdown_text("a|b `c` *d* [e](f) <g> &amp; $h$") == (
        "a\\|b \\`c\\` \\*d\\* \\[e\\](f) \\<g\\> \\&amp; \\$h\\$"
    )
    assert markdown_code("a|b") == "`a\\|b`"
    assert markdown_code("a`b") == "``a`b``"


# -- every format, random programs, and sizes ------------------------------------------

UNARY = ["sin", "cos", "exp", "tanh", "sigmoid", "softplus", "abs", "sqrt", "log"]
BINARY = ["+", "-", "*", "/"]


@st.composite
def expressions(draw: st.DrawFn, depth: int = 3) -> str:
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        return draw(st.sampled_from(["x", "y", "x", "y", "2", "0.5"]))
    if draw(st.booleans()):
        f = draw(st.sampled_from(UNARY))
        inner = draw(expressions(depth - 1))
        return f"{f}(1 + {inner}*{inner})" if f in ("sqrt", "log") else f"{f}({inner})"
    op = draw(st.sampled_from(BINARY))
    left, right = draw(expressions(depth - 1)), draw(expressions(depth - 1))
    return f"({left} {op} (2 + {right}*{right}))" if op == "/" else f"({left} {op} {right})"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    expressions(),
    st.sampled_from(["reverse", "forward", "evaluate", "dual", "vector", "dual vector"]),
)
def test_random_expressions_export_in_every_text_format(source: str, mode: str) -> None:
    loaded, bindings = load(f"x + y*0 + {source}", ["x=0.7,y=-1.3"])
    engine_mode = "forward" if "dual" in mode or "vector" in mode else mode
    trace = run(loaded.graph, bindings, engine_mode, vector="vector" in mode)
    dual = "dual" in mode
    for numbering in ("griewank", "wengert"):
        markdown = trace_markdown(trace, numbering=numbering, dual=dual)
        assert markdown.count("\n| ") >= len(trace.primal_steps)
        latex = trace_latex(trace, numbering=numbering, dual=dual, standalone=True)
        assert latex.count("\\begin{table}") == max(
            1, len(trace.tangent_sweeps) + len(trace.adjoint_sweeps)
        )
        check_mermaid(graph_mermaid(trace, numbering=numbering))
        assert pydot.graph_from_dot_data(graph_dot(trace, numbering=numbering))
        assert trace_plain(trace, numbering=numbering, dual=dual).startswith("# ")


def chain(n: int) -> str:
    return "x: real = 0.5\ny = x\n" + "y = sin(y) + x*y\n" * n + "return y\n"


@pytest.mark.parametrize(
    "export",
    [
        lambda t: trace_markdown(t),
        lambda t: trace_latex(t, standalone=True),
        lambda t: graph_dot(t),
        lambda t: graph_mermaid(t),
        lambda t: trace_plain(t),
    ],
    ids=["markdown", "latex", "dot", "mermaid", "text"],
)
def test_output_grows_linearly_with_the_graph(export: object) -> None:
    assert callable(export)
    small = len(export(trace_of(chain(100), "")))
    large = len(export(trace_of(chain(400), "")))
    assert 3.0 < large / small < 4.6  # four times the graph, about four times the text


def test_tensor_program_cells_are_compact() -> None:
    source = "W: mat[20,30]\nv: vec[30]\nreturn sum(sigmoid(W@v))\n"
    loaded, bindings = load(source, ["W=normal(seed=1)", "v=normal(seed=2)"])
    trace = run(loaded.graph, bindings, "reverse")
    markdown = trace_markdown(trace)
    assert "mat[20,30]" in markdown and "norm" in markdown  # display_value's summary
    assert max(len(line) for line in markdown.splitlines()) < 400
    dot = graph_dot(trace)
    assert max(len(line) for line in dot.splitlines()) < 300


def test_program_with_control_flow_exports_its_tape() -> None:
    source = (
        "x: real = 2\ns = 0\nfor i in range(3):\n    if x > 1:\n        s = s + x*x\nreturn s\n"
    )
    trace = trace_of(source, "x=2")
    markdown = trace_markdown(trace)
    assert "the tape of this run" in markdown and "the loop ran 3 times" in markdown
    assert float(trace.gradient()["x"]) == pytest.approx(3 * 2 * 2)
    assert "- `∂s/∂x = 12`" in markdown  # the output is named after the variable returned


def test_formats_table() -> None:
    assert list(FORMATS) == ["latex", "markdown", "dot", "mermaid", "svg", "json", "text"]
    assert all(suffix.startswith(".") and words for suffix, words in FORMATS.values())


# -- the command -----------------------------------------------------------------------


def test_cli_markdown_to_stdout() -> None:
    done = adx("export", SURVEY, "--at", "x1=2,x2=5", "--format", "markdown")
    assert done.returncode == 0, done.stderr
    assert done.stdout == trace_markdown(trace_of(SURVEY, "x1=2,x2=5"))


def test_cli_writes_a_file_and_keeps_an_existing_one(tmp_path: Path) -> None:
    done = adx("export", SURVEY, "--at", "x1=2,x2=5", "-o", "t.tex", "--standalone", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "wrote t.tex (latex)" in done.stderr
    first = (tmp_path / "t.tex").read_text()
    assert first.startswith("\\documentclass{article}")
    again = adx("export", SURVEY, "--at", "x1=3,x2=5", "-o", "t.tex", cwd=tmp_path)
    assert again.returncode == 1
    assert "t.tex exists; adx does not overwrite it" in again.stderr
    assert "--force" in again.stderr and "Traceback" not in again.stderr
    assert (tmp_path / "t.tex").read_text() == first
    forced = adx("export", SURVEY, "--at", "x1=3,x2=5", "-o", "t.tex", "--force", cwd=tmp_path)
    assert forced.returncode == 0 and (tmp_path / "t.tex").read_text() != first
    assert [p.name for p in tmp_path.iterdir()] == ["t.tex"]  # no temporary file left


def test_cli_json_is_the_eval_report(tmp_path: Path) -> None:
    done = adx("export", SURVEY, "--at", "x1=2,x2=5", "--format", "json")
    assert done.returncode == 0
    data = json.loads(done.stdout)
    assert data["schema"] == "adx.eval/1"
    evaluated = adx("eval", SURVEY, "--at", "x1=2,x2=5", "--json")
    assert data == json.loads(evaluated.stdout)
    assert_valid(data)


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--format", "latex", "--at", "x1=2"], 1, "no value for input x2"),
        (["--format", "pdf"], 2, "Invalid value for '--format'"),
        (["-o", "trace.xyz"], 2, "give --format"),
        (["--format", "markdown", "--standalone"], 2, "--standalone makes a whole LaTeX"),
        (["--format", "dot", "--wrt", "z"], 1, "'z' is not an input"),
        (["--format", "svg", "--size", "12by4"], 2, "write COLSxROWS"),
        (["--format", "text", "--mode", "reverse", "--vector"], 2, "--vector"),
        (["--format", "svg", "--mode", "evaluate"], 2, "shows forward, reverse or dual"),
    ],
)
def test_cli_errors_are_messages_with_eval_exit_codes(
    args: list[str], code: int, message: str, tmp_path: Path
) -> None:
    at = [] if "--at" in args else ["--at", "x1=2,x2=5"]
    done = adx("export", SURVEY, *at, *args, cwd=tmp_path)
    assert done.returncode == code, done.stderr
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_cli_dual_text_and_mermaid() -> None:
    done = adx(
        "export", SURVEY, "--at", "x1=2,x2=5", "--mode", "dual", "--wrt", "x1", "--format", "text"
    )
    assert done.returncode == 0, done.stderr
    assert "v2 = (v-1 + v̇-1ε) · (v0 + v̇0ε) = v-1 · v0 + (v̇-1·v0 + v-1·v̇0)ε" in done.stdout
    assert "= (2 + 1ε) · (5 + 0ε) = 10 + (1·5 + 2·0)ε = 10 + 5ε\n" in done.stdout
    mermaid = adx("export", SURVEY, "--at", "x1=2,x2=5", "--format", "mermaid")
    check_mermaid(mermaid.stdout)


def test_cli_svg_is_textuals_screenshot(tmp_path: Path) -> None:
    done = adx(
        "export", SURVEY, "--at", "x1=2,x2=5", "--format", "svg", "--size", "100x30",
        "-o", "screen.svg", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    svg = (tmp_path / "screen.svg").read_text()
    assert svg.lstrip().startswith("<svg") and "AD&#160;Explorer" in svg  # its title
    assert "11.6521" in svg  # f's value, shown once every step has run


def test_cli_help_lists_export() -> None:
    done = adx("--help")
    assert "export" in done.stdout
    help_text = adx("export", "--help").stdout
    for name in FORMATS:
        assert name in help_text
    assert os.path.basename("docs/exports.md") in help_text


def test_docs_examples_are_what_adx_export_prints() -> None:
    """docs/exports.md shows each format's output under its command: it must be current."""
    doc = (Path(__file__).resolve().parent.parent / "docs" / "exports.md").read_text()
    pattern = r"```sh\n(adx export [^\n]+)\n```\n\n(`{3,4})\w*\n(.*?)\n\2\n"
    shown = re.findall(pattern, doc, re.S)
    assert len(shown) == 4  # latex, markdown, mermaid, text
    for command, _, output in shown:
        done = adx(*shlex.split(command)[1:])
        assert done.returncode == 0, done.stderr
        assert done.stdout.rstrip("\n") == output, command
    dot = re.search(r"```dot\n(.*?)\n```\n", doc, re.S)  # under `-o graph.dot`, then dot -Tsvg
    assert dot is not None
    done = adx("export", SURVEY, "--at", "x1=2,x2=5", "--format", "dot")
    assert done.stdout.rstrip("\n") == dot.group(1)
