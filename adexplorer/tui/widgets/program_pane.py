"""ProgramPane: the static program beside the dynamic tape.

The source as the student wrote it, line by line, with what this run did there
(from :func:`adexplorer.explorer.control_flow.program_lines`): how many times a
statement ran (a loop body ×100), which arm of each ``if`` was taken (marked
✓, the arms not taken and the lines that did not run dimmed), and the line of
the current step highlighted (▶, with its loop iteration) as the student steps.
The program is user text: shown plain, control characters as escapes.
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
        self._shown: tuple[int, int | None] | None = None

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

    def show(self, session: Session) -> None:
        trace = session.trace
        if trace is None:
            self._shown = None
            message = "no program runs yet: type one above (e edits)"
            self.query_one("#program-body", Static).update(Text(message, style="italic"))
            return
        graph = trace.graph
        frame = session.current
        node = graph.nodes[frame.node] if frame is not None else None
        current_line = node.line if node is not None else None
        key = (session.revision, frame.node if frame is not None else None)
        if key == self._shown:
            return
        self._shown = key
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
        self.query_one("#program-body", Static).update(text)
        if current_line is not None:
            # the header takes 3 rows; keep the current line in view
            self.scroll_to(y=max(0, current_line + 3 - self.size.height // 2), animate=False)


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
