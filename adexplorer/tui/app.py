"""ExplorerApp: the Textual explorer.  Thin: keys and messages become Session calls.

Attributes go down (the app pushes what the session says into the widgets in
:meth:`ExplorerApp.refresh_views`), messages come up (``messages.py``).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Iterable
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, TabbedContent, TabPane, TextArea

from adexplorer.base.errors import AdxError
from adexplorer.base.numbers import format_value
from adexplorer.core.formulas import BAR, DOT, FormulaRenderer
from adexplorer.explorer.session import Session
from adexplorer.tui.messages import FamilySubmitted, SeedSubmitted, SourceEdited, ValueSubmitted
from adexplorer.tui.screens.help import HelpScreen
from adexplorer.tui.widgets.cost_pane import CostPane
from adexplorer.tui.widgets.descent_pane import DescentPane
from adexplorer.tui.widgets.editor import SourceEditor
from adexplorer.tui.widgets.fd_pane import FdPane
from adexplorer.tui.widgets.formula_bar import FormulaBar
from adexplorer.tui.widgets.graph_view import GraphPicture, GraphView, value_text
from adexplorer.tui.widgets.inputs_panel import InputsPanel
from adexplorer.tui.widgets.swell_pane import SwellPane
from adexplorer.tui.widgets.trace_table import TraceTable

NARROW = 110


class ExplorerApp(App[None]):
    """Type a function, then step or play its primal, tangent and adjoint traces."""

    TITLE = "AD Explorer"
    CSS_PATH = "explorer.tcss"
    BINDINGS = [
        Binding("right,l", "step(1)", "Step", key_display="→", tooltip="run the next step"),
        Binding("left,h", "step(-1)", "Back", key_display="←", tooltip="undo the last step"),
        Binding("home", "to_start", "Start", show=False, tooltip="back to before the first step"),
        Binding("end", "to_end", "End", show=False, tooltip="run every step"),
        Binding("space", "play", "Play", tooltip="play or pause the animation"),
        Binding("f", "mode('forward')", "Fwd", tooltip="forward mode: values and tangents"),
        Binding("r", "mode('reverse')", "Rev", tooltip="reverse mode: the adjoint sweep"),
        Binding("d", "mode('dual')", "Dual", tooltip="forward mode as dual numbers a + bε"),
        Binding("s", "cycle_seed", "Seed", tooltip="seed the next input (forward, dual)"),
        Binding("i", "next_input", "Input", show=False, tooltip="select the input + and - change"),
        Binding(
            "plus,equals_sign", "nudge(1)", "+", show=False, tooltip="nudge the selected input up"
        ),
        Binding("minus", "nudge(-1)", "-", show=False, tooltip="nudge the selected input down"),
        Binding(
            "left_square_bracket", "speed(-1)", "Slower", show=False, tooltip="play more slowly"
        ),
        Binding("right_square_bracket", "speed(1)", "Faster", show=False, tooltip="play faster"),
        Binding("g", "descend", "Descend", show=False, tooltip="gradient step x ← x − η∇f"),
        Binding("less_than_sign", "eta(0.5)", "η÷2", show=False, tooltip="halve the step size η"),
        Binding("greater_than_sign", "eta(2)", "η×2", show=False, tooltip="double the step size η"),
        Binding("1", "pane('trace')", "Trace", show=False, tooltip="pane: the trace table"),
        Binding("2", "pane('fd')", "FD", show=False, tooltip="pane: finite differences"),
        Binding("3", "pane('swell')", "Swell", show=False, tooltip="pane: expression swell"),
        Binding("4", "pane('cost')", "Cost", show=False, tooltip="pane: cost of the sweeps"),
        Binding("5", "pane('descent')", "Descent", show=False, tooltip="pane: gradient descent"),
        Binding("e", "edit", "Edit", tooltip="edit the function"),
        Binding("escape", "leave_editor", "Leave editor", show=False, tooltip="stop editing"),
        Binding("x", "export", "Export", show=False, tooltip="save the trace as JSON"),
        Binding("c", "copy", "Copy", show=False, tooltip="copy the trace as text"),
        Binding("question_mark,f1", "help", "Help", tooltip="this help"),
        Binding("q", "quit", "Quit", tooltip="quit"),
    ]

    def __init__(self, session: Session | None = None, *, export_dir: Path | None = None) -> None:
        super().__init__()
        self.session = session or Session.start()
        self.export_dir = export_dir or Path.cwd()
        self.playing = False
        self._timer: Timer | None = None
        self._static: dict[int, tuple[str, str]] = {}
        self._static_key: tuple[str, int] | None = None
        self._static_trace: object = None

    # -- building -----------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield from self.compose_explorer()
        yield Footer()

    def compose_explorer(self) -> ComposeResult:
        """Everything but the footer (the lesson player puts this beside a lesson)."""
        with Horizontal(id="top"):
            yield SourceEditor(self.session.source, id="editor")
            yield InputsPanel(id="inputs")
        with Horizontal(id="main"):
            yield GraphView(id="graph")
            with TabbedContent(id="panes", initial="trace"):
                with TabPane("1 Trace", id="trace"):
                    yield TraceTable(id="trace-table")
                with TabPane("2 FD", id="fd"):
                    yield FdPane(id="fd-pane")
                with TabPane("3 Swell", id="swell"):
                    yield SwellPane(id="swell-pane")
                with TabPane("4 Cost", id="cost"):
                    yield CostPane(id="cost-pane")
                with TabPane("5 Descent", id="descent"):
                    yield DescentPane(id="descent-pane")
        yield FormulaBar(id="formula")

    def on_mount(self) -> None:
        self._timer = self.set_interval(self.session.seconds_per_step, self._tick, pause=True)
        self._apply_width(self.size.width)
        self.refresh_views()
        self.query_one(GraphView).focus()

    def on_resize(self, event: object) -> None:
        self._apply_width(self.size.width)

    def _apply_width(self, width: int) -> None:
        self.screen.set_class(width < NARROW, "narrow")

    # -- pushing the session into the widgets -----------------------------------------

    def refresh_views(self) -> None:
        session = self.session
        editor = self.query_one(SourceEditor)
        editor.show_error(session.error)
        self._refresh_inputs()
        if session.graph is None or session.trace is None:
            self.query_one(FormulaBar).update(
                Text("Type a function above, e.g. ln(x1) + x1*x2 - sin(x2)")
            )
            return
        graph = session.trace.graph
        labels = graph.labels(session.numbering)
        state = session.node_state()
        frame = session.current
        dual = session.mode == "dual"
        mark = BAR if session.mode == "reverse" else ("ε" if dual else DOT)
        values = [value_text(v, 11) if v is not None else None for v, _ in state]
        derivatives = [value_text(d, 9) if d is not None else None for _, d in state]
        self.query_one(GraphView).show(
            GraphPicture(
                graph=graph,
                labels=labels,
                values=values,
                derivatives=derivatives,
                derivative_mark=mark,
                current=frame.node if frame else None,
                lit_edges=frozenset(frame.edges) if frame else frozenset(),
            )
        )
        self.query_one(GraphView).scroll_to_current()
        self._refresh_trace_table(labels, state)
        self._refresh_formula()
        self._refresh_pane()

    def _static_cells(self) -> dict[int, tuple[str, str]]:
        """Each node's operation and value text: fixed for a trace, so made once per revision
        (re-rendering them at every step made stepping a large graph sluggish)."""
        session = self.session
        # Keyed on the trace object itself: a new session (a lesson step) starts its
        # revisions again from 1, so a revision number alone could match a stale cache.
        key = (session.numbering, session.digits)
        if self._static_trace is not session.trace or self._static_key != key:
            assert session.trace is not None
            graph = session.trace.graph
            render = FormulaRenderer(
                graph, session.trace.values, numbering=session.numbering, digits=session.digits
            )
            self._static = {
                step.node: (
                    f"input {graph.nodes[step.node].name}"
                    if graph.nodes[step.node].is_input
                    else render.primal(step).rule,
                    format_value(step.value, session.digits),
                )
                for step in session.trace.primal_steps
            }
            self._static_key = key
            self._static_trace = session.trace
        return self._static

    def _refresh_inputs(self) -> None:
        session = self.session
        seed = session.seed_name or session.seed_text
        self.query_one(InputsPanel).show(dict(session.values), session.selected_name, seed)

    def _refresh_trace_table(self, labels: tuple[str, ...], state: list) -> None:
        session = self.session
        assert session.trace is not None
        graph = session.trace.graph
        static = self._static_cells()
        frame = session.current
        header = {"forward": "tangent v̇", "reverse": "adjoint v̄", "dual": "a + bε"}[session.mode]
        rows = []
        for step in session.trace.primal_steps:
            i = step.node
            value, derivative = state[i]
            operation, final_value = static[i]
            value_cell = final_value if value is not None else ""
            deriv_cell = format_value(derivative, session.digits) if derivative is not None else ""
            if session.mode == "dual" and value is not None and derivative is not None:
                deriv_cell = f"{value_cell} + {deriv_cell}ε"
            marker = "▶" if frame is not None and frame.node == i else ""
            rows.append(
                (
                    i,
                    (
                        marker,
                        labels[i],
                        operation,
                        value_cell,
                        deriv_cell,
                        graph.source_text(i) or "",
                    ),
                )
            )
        self.query_one(TraceTable).show(graph, rows, header, frame.node if frame else None)

    def _refresh_formula(self) -> None:
        session = self.session
        frame = session.current
        lines = Text()
        playing = "▶ playing" if self.playing else "paused"
        seed = (
            "" if session.mode == "reverse" else f", seed {session.seed_name or session.seed_text}"
        )
        lines.append(f"step {session.position}/{len(session.frames)} ", style="bold")
        lines.append(
            f"[{session.mode}{seed} · {playing} {session.seconds_per_step:g}s/step]  ", style="dim"
        )
        if frame is None:
            lines.append("→ press → (or space to play) to run the first step", style="italic")
        else:
            for k, formula in enumerate(session.formula(frame)):
                if k:
                    lines.append("     ")
                text = formula.text()
                if session.mode == "dual" and formula.target and formula.target[1:2] == DOT:
                    text += "  (the ε part)"
                lines.append(("▶ " if k == 0 else "") + text)
            if frame.kind == "adjoint":
                k, n = session.fan_in(frame)
                if n > 1:
                    lines.append(f"   (contribution {k} of {n}: fan-out adds up)", style="italic")
        if session.at_end:
            lines.append("\n" + "   ".join(session.result_lines()), style="bold")
        for warning in session.warnings[:2]:
            lines.append(f"\nwarning: {warning}", style="italic")
        if session.trace is not None:
            for warning in session.trace.warnings[:2]:
                lines.append(f"\nwarning: {warning}", style="italic")
        self.query_one(FormulaBar).update(lines)

    def _refresh_pane(self) -> None:
        active = self.query_one(TabbedContent).active
        width = self._pane_width()
        if active == "fd":
            self.query_one(FdPane).show(self.session, width)
        elif active == "swell":
            self.query_one(SwellPane).show(self.session, width)
        elif active == "cost":
            self.query_one(CostPane).show(self.session)
        elif active == "descent":
            self.query_one(DescentPane).show(self.session)

    def _pane_width(self) -> int:
        """The panes' width from the screen's (the layout may not be settled yet)."""
        width = self.size.width
        return width if width < NARROW else width * 2 // 5

    @on(TabbedContent.TabActivated)
    def _tab_changed(self) -> None:
        self._refresh_pane()

    # -- messages from the widgets ------------------------------------------------

    @on(SourceEdited)
    def _source_edited(self, message: SourceEdited) -> None:
        self.session.set_source(message.text)
        self.refresh_views()

    @on(ValueSubmitted)
    def _value_submitted(self, message: ValueSubmitted) -> None:
        self._guarded(lambda: self.session.set_value(message.name, message.text))

    @on(SeedSubmitted)
    def _seed_submitted(self, message: SeedSubmitted) -> None:
        self._guarded(lambda: self.session.set_seed(message.text))

    @on(FamilySubmitted)
    def _family_submitted(self, message: FamilySubmitted) -> None:
        pane = self.query_one(SwellPane)
        pane.template = message.template
        pane.show(self.session, self._pane_width(), force=True)

    def _guarded(self, change: Callable[[], object]) -> None:
        """Run a session change; a user error becomes a notification, never a crash."""
        try:
            change()
        except AdxError as error:
            self.notify(
                error.message + (f" ({error.hint})" if error.hint else ""),
                severity="error",
                timeout=6,
            )
        self.refresh_views()

    # -- actions ----------------------------------------------------------------

    def action_step(self, delta: int) -> None:
        self.session.step(delta)
        self.refresh_views()

    def action_to_start(self) -> None:
        self.session.to_start()
        self.refresh_views()

    def action_to_end(self) -> None:
        self.session.to_end()
        self.refresh_views()

    def action_play(self) -> None:
        if self._timer is None:
            return
        self.playing = not self.playing
        if self.playing:
            if self.session.at_end:
                self.session.to_start()
            self._timer.resume()
        else:
            self._timer.pause()
        self.refresh_views()

    def _tick(self) -> None:
        if self.session.at_end:
            self.playing = False
            if self._timer is not None:
                self._timer.pause()
        else:
            self.session.step(1)
        self.refresh_views()

    def action_speed(self, delta: int) -> None:
        self.session.faster(delta)
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_interval(
            self.session.seconds_per_step, self._tick, pause=not self.playing
        )
        self.refresh_views()

    def action_mode(self, mode: str) -> None:
        self._guarded(lambda: self.session.set_mode(mode))

    def action_cycle_seed(self) -> None:
        self._guarded(self.session.cycle_seed)

    def action_next_input(self) -> None:
        self.session.select_next_input()
        self.refresh_views()

    def action_nudge(self, direction: int) -> None:
        self._guarded(lambda: self.session.nudge(direction))

    def action_descend(self) -> None:
        def step() -> None:
            self.session.descend()
            self.session.to_end()  # show the new values in the graph and the table

        self._guarded(step)
        self.query_one(TabbedContent).active = "descent"
        self._refresh_pane()

    def action_eta(self, factor: float) -> None:
        self.session.scale_eta(factor)
        self.refresh_views()

    def action_pane(self, pane: str) -> None:
        self.query_one(TabbedContent).active = pane
        self._refresh_pane()

    def action_edit(self) -> None:
        self.query_one("#source", TextArea).focus()

    def action_leave_editor(self) -> None:
        self.query_one(GraphView).focus()

    def action_export(self) -> None:
        if self.session.trace is None:
            self.notify("nothing to export yet", severity="warning")
            return
        stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        path = self.export_dir / f"adx-trace-{stamp}.json"
        try:
            self.session.export_json(path)
        except OSError as error:
            self.notify(f"could not save {path}: {error.strerror}", severity="error")
            return
        self.notify(f"saved {path}")

    def action_copy(self) -> None:
        self.copy_to_clipboard(self.session.trace_text())
        self.notify("trace copied to the clipboard (as text)")

    def action_help(self) -> None:
        self.push_screen(HelpScreen([b for b in self.BINDINGS if isinstance(b, Binding)]))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for binding in self.BINDINGS:
            if not isinstance(binding, Binding) or binding.action in ("quit",):
                continue
            title = binding.tooltip or binding.description
            yield SystemCommand(
                title[:1].upper() + title[1:],
                f"key: {binding.key.split(',')[0]}",
                lambda action=binding.action: self.run_action(action),
            )


def run_explorer(session: Session) -> None:
    ExplorerApp(session).run()
