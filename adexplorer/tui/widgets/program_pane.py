"""ProgramPane: the static program beside the dynamic tape, or the generated code.

The source as the student wrote it, line by line, with what this run did there
(from :func:`adexplorer.explorer.control_flow.program_lines`): how many times a
statement ran (a loop body ×100), which arm of each ``if`` was taken (marked
✓, the arms not taken and the lines that did not run dimmed), and the line of
the current step highlighted (▶, with its loop iteration) as the student steps.
The program is user text: shown plain, control characters as escapes.

Pressed again (``7`` while the pane shows), it shows the derivative code that
source transformation generates instead (``adx codegen``, see
:mod:`adexplorer.explorer.generated`): forward code in forward and dual mode,
reverse code in reverse mode, the line that performs the current step marked ▶.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from adexplorer.base.errors import AdxError
from adexplorer.base.text import visible
from adexplorer.explorer.control_flow import (
    SourceLine,
    iteration_text,
    path_summary,
    program_lines,
)
from adexplorer.explorer.generated import CodeForTrace, code_for, current_line
from adexplorer.explorer.session import Session
from adexplorer.lang.structure import Structure, program_structure

#: Width of the "what ran" column (``taken 12 of 100``).
NOTE_WIDTH = 15


class ProgramPane(VerticalScroll):
    """The program's lines with this run's counts and branches; the current line marked."""

    DEFAULT_CSS = """
    ProgramPane { height: 1fr; }
    ProgramPane > #program-body { width: auto; min-width: 100%; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._structure: tuple[str, Structure | None] | None = None
        self._lines_key: int | None = None
        self._lines: list[SourceLine] = []
        self._shown: tuple[int, int | None, bool] | None = None
        self.showing_code = False
        self._code: tuple[int, CodeForTrace] | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="program-body")

    def structure(self, source: str) -> Structure | None:
        """The program's structure (parsed once per text); None if it does not parse."""
        if self._structure is None or self._structure[0] != source:
            try:
                found: Structure | None = program_structure(source)
            except AdxError:
                found = None
            self._structure = (source, found)
        return self._structure[1]

    def toggle(self) -> None:
        """Between the program with this run's counts and the generated code."""
        self.showing_code = not self.showing_code
        self._shown = None

    def show(self, session: Session) -> None:
        trace = session.trace
        if trace is None:
            self._shown = None
            message = "no program runs yet: type one above (e edits)"
            self.query_one("#program-body", Static).update(Text(message, style="italic"))
            return
        frame = session.current
        key = (session.revision, session.position, self.showing_code)
        if key == self._shown:
            return
        self._shown = key
        if self.showing_code:
            self._show_code(session)
            return
        graph = trace.graph
        node = graph.nodes[frame.node] if frame is not None else None
        current_line = node.line if node is not None else None
        if self._lines_key != session.revision:
            # The tape's own source: while the editor holds an error, the last good program.
            structure = self.structure(graph.source)
            self._lines = program_lines(structure, graph) if structure is not None else []
            self._lines_key = session.revision
        text = Text()
        summary = path_summary(graph) if graph.dynamic else "no if or for: one straight line"
        text.append("this run: ", style="bold")
        text.append(visible(summary) or "no decisions", style="bold")
        text.append("\n")
        if node is None or frame is None:
            text.append("step 0: nothing run yet (→ steps)", style="italic")
        elif current_line is None:
            label = graph.labels(session.numbering)[frame.node]
            text.append(f"step {session.position}: {label}, an input (no line)", style="italic")
        else:
            where = iteration_text(node.context)
            text.append(
                f"step {session.position}: line {current_line}" + (f", {where}" if where else ""),
                style="italic",
            )
        text.append("\n")
        if not self._lines:
            text.append("(the program's structure is not available)", style="dim")
        width = len(str(len(self._lines)))
        for line in self._lines:
            text.append("\n")
            text.append_text(_line_text(line, width, line.number == current_line))
        text.append("\n\n(7 again: the generated derivative code)", style="dim")
        self.query_one("#program-body", Static).update(text)
        if current_line is not None:
            # the header takes 3 rows; keep the current line in view
            self.scroll_to(y=max(0, current_line + 3 - self.size.height // 2), animate=False)

    def _show_code(self, session: Session) -> None:
        trace = session.trace
        assert trace is not None
        if self._code is None or self._code[0] != session.revision:
            self._code = (session.revision, code_for(trace))
        found = self._code[1]
        text = Text()
        text.append(f"generated {found.mode} code (adx codegen --mode {found.mode})", style="bold")
        text.append("\n(7 again: the program)\n", style="dim")
        if found.code is None:
            assert found.error is not None
            text.append("\n" + visible(found.error.render()), style="italic")
            self.query_one("#program-body", Static).update(text)
            return
        marked = current_line(found.code, trace, session.current)
        if session.current is None:
            text.append("step 0: nothing run yet (→ steps)", style="italic")
        elif marked is None:
            text.append(f"step {session.position}: no line of the code does it", style="italic")
        else:
            text.append(f"step {session.position}: line {marked} of the code", style="italic")
        text.append("\n")
        lines = found.code.lines
        width = len(str(len(lines)))
        for line in lines:
            current = line.number == marked
            text.append("\n")
            text.append(
                f"{'▶' if current else ' '}{line.number:>{width}} ",
                style="bold reverse" if current else "dim",
            )
            text.append(visible(line.text, keep=""), style="bold" if current else "")
        self.query_one("#program-body", Static).update(text)
        if marked is not None:
            self.scroll_to(y=max(0, marked + 3 - self.size.height // 2), animate=False)


def _line_text(line: SourceLine, width: int, current: bool) -> Text:
    ran = bool(line.runs)
    dim = line.kind != "other" and not ran
    mark = "▶" if current else " "
    if line.kind == "if":
        badge = "✓" if ran else "✗" if line.note != "not reached" else " "
    else:
        badge = " "
    row = Text()
    row.append(f"{mark}{line.number:>{width}} ", style="bold reverse" if current else "dim")
    style = "green bold" if badge == "✓" else "dim"
    row.append(f"{badge} {line.note:<{NOTE_WIDTH}} ", style=style)
    source_style = "bold" if current else ("dim" if dim or line.kind == "other" else "")
    # tabs count as 8 spaces in the language; other control characters show as escapes
    row.append(visible(line.text.expandtabs(8), keep=""), style=source_style)
    return row
