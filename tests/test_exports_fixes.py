"""Exports after the fresh-eyes test: every printable ASCII character in plain pdflatex,
listings that keep their indentation, output that stays linear in the graph, plain
text that shows controls and keeps tensors short, readable LaTeX summaries, and the
smaller wording and layout points (the picker shows every format)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from adexplorer.cli.common import load
from adexplorer.core.trace import Trace, run
from adexplorer.exports.formats import export_text
from adexplorer.exports.tables import trace_latex, trace_markdown
from adexplorer.exports.text import trace_plain
from tests.system_tools import require_tool
from tests.test_exports import adx

PRINTABLE = "".join(map(chr, range(32, 127)))  # space to tilde, 95 characters
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def trace_of(source: str, at: list[str], mode: str = "reverse") -> Trace:
    loaded, bindings = load(source, at)
    return run(loaded.graph, bindings, mode)


def pdf_text(pdflatex: str, folder: Path, tex: str) -> tuple[str, str]:
    """Compile ``tex`` with plain pdflatex; the PDF's text (pdftotext -layout) and the log."""
    (folder / "t.tex").write_text(tex)
    done = subprocess.run(
        [pdflatex, "-interaction=nonstopmode", "-halt-on-error", "t.tex"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:]
    log = (folder / "t.log").read_text(errors="replace")
    pdftotext = require_tool("pdftotext")  # poppler-utils: what the page shows
    done = subprocess.run(
        [pdftotext, "-layout", "t.pdf", "-"], cwd=folder, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout, log


# -- 1. every printable ASCII character compiles, and shows ----------------------------


def test_every_printable_ascii_character_compiles_in_plain_pdflatex(tmp_path: Path) -> None:
    pdflatex = require_tool("pdflatex")
    name = PRINTABLE.replace("/", "") + ".adx"  # a file name holds all but the slash
    program = f"# {PRINTABLE}\na_Z9: real\nreturn sin(a_Z9)\n"
    path = tmp_path / name
    path.write_text(program)
    trace = trace_of(program, ["a_Z9=1"])
    tex = trace_latex(trace, standalone=True)
    text, _ = pdf_text(pdflatex, tmp_path, tex)
    flat = text.replace("’", "'").replace("‘", "`")
    assert PRINTABLE in flat  # the comment, character for character, in the listing
    # the command line: the file's name in the caption, and a one-line program inline
    done = adx("export", name, "--at", "a_Z9=1", "--format", "latex", "--standalone", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    text, _ = pdf_text(pdflatex, tmp_path, done.stdout)
    assert name in text.replace("’", "'").replace("‘", "`")
    for half in (PRINTABLE[:47], PRINTABLE[47:]):
        inline = trace_latex(trace_of(f"a_Z9 # {half}", ["a_Z9=1"]), standalone=True)
        text, _ = pdf_text(pdflatex, tmp_path, inline)
        assert half in text.replace("’", "'").replace("‘", "`").replace("\n", "")


def test_quotes_in_a_comment_compile_as_the_tester_wrote_them(tmp_path: Path) -> None:
    pdflatex = require_tool("pdflatex")
    (tmp_path / "q.adx").write_text('# the "chain rule"\nx: real\nreturn sin(x)\n')
    done = adx(
        "export", "./q.adx", "--at", "x=1", "--format", "latex", "--standalone", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    text, _ = pdf_text(pdflatex, tmp_path, done.stdout)
    assert '# the "chain rule"' in text


# -- 2. the listing keeps its indentation ------------------------------------------------

LOOP = "x: real = 2\ns = 0\nfor i in range(3):\n    if x > 1:\n        s = s + x*x\nreturn s\n"


def test_standalone_listing_keeps_indentation(tmp_path: Path) -> None:
    pdflatex = require_tool("pdflatex")
    text, _ = pdf_text(pdflatex, tmp_path, trace_latex(trace_of(LOOP, []), standalone=True))
    lines = [line.rstrip() for line in text.splitlines()]
    start = next(k for k, line in enumerate(lines) if line.strip() == "x: real = 2")
    listing = lines[start : start + 6]
    margin = len(listing[0]) - len(listing[0].lstrip())
    shown = [line[margin:] for line in listing]
    assert shown[2:5] == ["for i in range(3):", "    if x > 1:", "        s = s + x*x"]


# -- 3. sizes grow linearly: the source column is an excerpt -----------------------------


@pytest.mark.parametrize("name", ["latex", "markdown", "dot", "mermaid", "json", "text"])
def test_size_per_node_stays_bounded_for_long_sums(name: str) -> None:
    per_node = []
    for n in (50, 100, 200, 400):
        source = "+".join(f"sin(x*{i})" for i in range(n))
        trace = trace_of(source, ["x=1"])
        text = export_text(name, trace, standalone=name == "latex")
        per_node.append(len(text) / len(trace.graph.nodes))
    assert max(per_node) < 1.3 * min(per_node), per_node
    assert max(per_node) < 600, per_node


# -- 4, 5, 7. plain text: controls visible, every program line a comment, short tensors --


def test_text_shows_control_characters() -> None:
    text = trace_plain(trace_of("x: real # \x1b[31mred\x07\nreturn x*x\n", ["x=2"]))
    assert "\x1b" not in text and "\x07" not in text
    assert "\\x1b[31mred\\x07" in text


def test_text_header_comments_every_program_line() -> None:
    text = trace_plain(trace_of(LOOP, []))
    header = text.split("# primal sweep")[0].splitlines()
    assert all(line.startswith("#") for line in header)
    assert "# mode: reverse" in header
    assert "#     if x > 1:" in header  # the indentation kept after "# "
    assert not any("mode:" in line and "return" in line for line in header)


def test_explorer_clipboard_text_has_the_same_header() -> None:
    from adexplorer.explorer.session import Session

    session = Session.start(LOOP, {"x": 2})
    text = session.trace_text()
    assert text.startswith("# x: real = 2\n")
    assert "\n# mode: " in text and "\nreturn s" not in text


def test_text_summarizes_large_tensors() -> None:
    trace = trace_of(
        "W: mat[20,30]\nv: vec[30]\nreturn sum(sigmoid(W@v))\n",
        ["W=normal(seed=1)", "v=normal(seed=2)"],
    )
    text = trace_plain(trace)
    assert "mat[20,30]" in text and "norm" in text
    assert max(len(line) for line in text.splitlines()) < 400


def test_network_example_text_is_short() -> None:
    done = adx("export", str(EXAMPLES / "network.adx"), "--format", "text")
    assert done.returncode == 0, done.stderr
    assert len(done.stdout) < 20_000
    assert max(len(line) for line in done.stdout.splitlines()) < 400


# -- 6. LaTeX summaries read as words, and the caption wraps ----------------------------


def test_network_latex_summaries_are_words_and_the_page_fits(tmp_path: Path) -> None:
    pdflatex = require_tool("pdflatex")
    done = adx("export", str(EXAMPLES / "network.adx"), "--format", "latex", "--standalone")
    assert done.returncode == 0, done.stderr
    tex = done.stdout
    assert "\\mathit{min}" not in tex and "\\mathit{max}" not in tex
    assert "min~$-4.03$ max~$4.406$ norm~$251.8$" in tex
    text, log = pdf_text(pdflatex, tmp_path, tex)
    assert "min −4.03 max 4.406 norm 251.8" in text.replace("\n", " ")
    overfull = [float(w) for w in re.findall(r"Overfull \\hbox \((\d+\.?\d*)pt too wide", log)]
    assert not overfull or max(overfull) < 5, overfull


# -- 8. smaller points ------------------------------------------------------------------------


def test_evaluate_mode_refuses_wrt() -> None:
    done = adx(
        "export", "x^2", "--at", "x=1", "--mode", "evaluate", "--wrt", "x", "--format", "text"
    )
    assert done.returncode == 2
    assert "--wrt" in done.stderr and "evaluate" in done.stderr


def test_latex_notes_are_sentences() -> None:
    tex = trace_latex(trace_of(LOOP, []))
    assert ". The tape of this run:" in tex
    assert ". the tape" not in tex


def test_markdown_adjoint_column_is_named_as_adx_eval_names_it() -> None:
    markdown = trace_markdown(trace_of("x*x + x", ["x=3"]))
    assert "| fan-out |" in markdown and "fan-in" not in markdown
    assert "| `1 of 3` |" in markdown or "| 1 of 3 |" in markdown


def test_dual_numbers_bracket_a_compound_epsilon_part() -> None:
    trace = trace_of("log(x)", ["x=2"], "forward")
    for text in (
        trace_plain(trace, dual=True),
        trace_markdown(trace, dual=True),
        trace_latex(trace, dual=True),
    ):
        assert "v̇0/v0ε" not in text and "1/2 ε" not in text
    assert "log(v0) + (v̇0/v0)ε" in trace_plain(trace, dual=True)
    assert "(1/2)ε" in trace_markdown(trace, dual=True)
