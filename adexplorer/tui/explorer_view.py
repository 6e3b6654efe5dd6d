"""ExplorerView: the explorer itself, one container both apps compose.

The editor and the inputs on top, the graph beside the panes (trace, finite
differences, swell, cost, descent), the formula bar below; the explorer's keys
and actions.  The explorer app is this view and a footer; the lesson player puts
a lesson beside it.

Thin over :class:`~adexplorer.explorer.session.Session`: keys and messages from
the widgets (``messages.py``) become session calls, then :meth:`refresh_views`
pushes what the session says down into the widgets.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.timer import Timer
from textual.widgets import TabbedContent, TabPane

from adexplorer.base.errors import AdxError
from adexplorer.base.files import reserve_new_file
from adexplorer.base.numbers import format_value
from adexplorer.base.text import excerpt, visible
from adexplorer.core.formulas import BAR, DOT, FormulaRenderer
from adexplorer.explorer.session import Session
from adexplorer.tui.messages import FamilySubmitted, SeedSubmitted, SourceEdited, ValueSubmitted
from adexplorer.tui.widgets.cost_pane import CostPane
from adexplorer.tui.widgets.descent_pane import DescentPane
from adexplorer.tui.widgets.editor import SourceEditor
from adexplorer.tui.widgets.fd_pane import FdPane
from adexplorer.tui.widgets.formula_bar import FormulaBar
from adexplorer.tui.widgets.graph_view import GraphPicture, GraphView, value_text
from adexplorer.tui.widgets.inputs_panel import InputsPanel
from adexplorer.tui.widgets.swell_pane import SwellPane
from adexplorer.tui.widgets.trace_table import TraceTable

#: Narrower than this, the graph sits above the panes instead of beside them.
NARROW = 110


class ExplorerView(Vertical):
    """Type a function, then step or play its primal, tangent and adjoint traces."""

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
    ]

    DEFAULT_CSS = """
    ExplorerView { height: 1fr; }
    ExplorerView > #top { height: auto; max-height: 12; }
    ExplorerView > #top > SourceEditor { width: 1fr; }
    ExplorerView > #top > InputsPanel { width: 40; }
    ExplorerView > #main { height: 1fr; layout: horizontal; }
    ExplorerView > #main > GraphView { width: 3fr; }
    ExplorerView > #main > TabbedContent { width: 2fr; }
    ExplorerView TabPane { padding: 0; }
    /* Narrower than 110 columns, the graph sits above the panes. */
    ExplorerView.-narrow > #main { layout: vertical; }
    ExplorerView.-narrow > #top > InputsPanel { width: 30; }
    ExplorerView.-narrow > #main > GraphView { height: 3fr; width: 100%; }
    ExplorerView.-narrow > #main > TabbedContent { height: 2fr; width: 100%; }
    """

    def __init__(
        self, session: Session, *, export_dir: Path | None = None, id: str | None = None
    ) -> None:
        super().__init__(id=id)
        self.session = session
        self.export_dir = export_dir or Path.cwd()
        self.playing = False
        self._timer: Timer | None = None
        self._static: dict[int, tuple[str, str]] = {}
        self._static_key: tuple[int, str, int] | None = None

    # -- building -----------------------------------------------------------------

    def compose(self) -> ComposeResult:
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
        self._start_timer()
        self.refresh_views()
        self.focus_graph()

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.width < NARROW, "-narrow")

    def _start_timer(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_interval(
            self.session.seconds_per_step, self._tick, pause=not self.playing
        )

    # -- what the app (or the lesson player) asks of the view ------------------------

    def load(self, session: Session) -> None:
        """Explore ``session`` from now on (a lesson step's); the editor shows its program."""
        self.session = session
        self.query_one(SourceEditor).set_text(session.source)
        self._start_timer()  # at the new session's speed
        self.refresh_views()

    def show_pane(self, pane: str) -> None:
        """Bring a pane to the front: trace, fd, swell, cost or descent."""
        self.query_one(TabbedContent).active = pane
        self._refresh_pane()

    def set_family(self, template: str) -> None:
        """The swell pane's growth family, e.g. ``4*#*(1-#)`` (``#`` = the previous level)."""
        self.query_one(SwellPane).set_template(template)
        self._refresh_pane()

    def focus_graph(self) -> None:
        self.query_one(GraphView).focus()

    # -- pushing the session into the widgets -----------------------------------------

    def refresh_views(self) -> None:
        session = self.session
        self.query_one(SourceEditor).show_error(session.error)
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
        graph_view = self.query_one(GraphView)
        graph_view.show(
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
        graph_view.scroll_to_current()
        self._refresh_trace_table(labels, state)
        self._refresh_formula()
        self._refresh_pane()

    def _static_cells(self) -> dict[int, tuple[str, str]]:
        """Each node's operation and value text: fixed for a trace, so made once per revision
        (re-rendering them at every step made stepping a large graph sluggish)."""
        session = self.session
        key = (session.revision, session.numbering, session.digits)
        if self._static_key != key:
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
                        visible(excerpt(graph.source_text(i) or ""), keep=""),
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
        width = self.screen.size.width
        return width if width < NARROW else width * 2 // 5

    @on(TabbedContent.TabActivated)
    def _tab_changed(self) -> None:
        self._refresh_pane()

    # -- messages from the widgets ------------------------------------------------

    @on(SourceEdited)
    def _source_edited(self, message: SourceEdited) -> None:
        message.stop()
        if message.text == self.session.source:
            return  # the program was loaded, not typed (see load)
        self.session.set_source(message.text)
        self.refresh_views()

    @on(ValueSubmitted)
    def _value_submitted(self, message: ValueSubmitted) -> None:
        message.stop()
        self._guarded(lambda: self.session.set_value(message.name, message.text))

    @on(SeedSubmitted)
    def _seed_submitted(self, message: SeedSubmitted) -> None:
        message.stop()
        self._guarded(lambda: self.session.set_seed(message.text))

    @on(FamilySubmitted)
    def _family_submitted(self, message: FamilySubmitted) -> None:
        message.stop()
        self.set_family(message.template)

    def _guarded(self, change: Callable[[], object]) -> None:
        """Run a session change; a user error becomes a notification, never a crash."""
        try:
            change()
        except AdxError as error:
            self.notify(
                visible(error.message + (f" ({error.hint})" if error.hint else "")),
                severity="error",
                timeout=6,
                markup=False,
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
        self._start_timer()
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
        self.show_pane("descent")

    def action_eta(self, factor: float) -> None:
        self.session.scale_eta(factor)
        self.refresh_views()

    def action_pane(self, pane: str) -> None:
        self.show_pane(pane)

    def action_edit(self) -> None:
        self.query_one(SourceEditor).focus_text()

    def action_leave_editor(self) -> None:
        self.focus_graph()

    def action_export(self) -> None:
        if self.session.trace is None:
            self.notify("nothing to export yet", severity="warning")
            return
        path = self.export_dir / "adx-trace.json"
        try:
            # A fresh name each time (never an earlier export overwritten)
            path = reserve_new_file(self.export_dir, "adx-trace", ".json")
            self.session.export_json(path)
        except OSError as error:
            self.notify(
                visible(f"could not save {path}: {error.strerror}"), severity="error", markup=False
            )
            return
        self.notify(visible(f"saved {path}"), markup=False)

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.session.trace_text())
        self.notify("trace copied to the clipboard (as text)")
