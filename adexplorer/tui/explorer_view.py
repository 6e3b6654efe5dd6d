"""ExplorerView: the explorer itself, one container both apps compose.

The editor and the inputs on top, the graph beside the panes (trace, finite
differences, swell, cost, descent), the formula bar below; the explorer's keys
and actions.  The explorer app is this view and a footer; the lesson player puts
a lesson beside it.

Thin over :class:`~adexplorer.explorer.session.Session`: keys and messages from
the widgets (``messages.py``) become session calls, then :meth:`refresh_views`
pushes what the session says down into the widgets.

Never a traceback, never a freeze:

* every key and message runs through :meth:`_guarded`: an AdxError becomes a
  notification, any other exception a one-line bug report (``bugs.py``), and
  the explorer keeps running;
* what is typed is compiled :data:`DEBOUNCE` seconds after the last key, in a
  background thread (``jobs.py``), against a copy of the session's inputs
  (:class:`~adexplorer.explorer.session.Basis`); the result is installed on
  the event loop only if it is still wanted.  The editor's text is never
  touched.  Esc compiles at once (and leaves the editor);
* the finite-difference and swell panes compute in background threads too;
  Esc cancels them while they say "computing…";
* a training run (G) steps in a background thread while the descent pane draws
  its loss curve; G again or Esc stops it after the step under way.

Tensors are shown as summaries (type, first entries, min, max, norm), made once
per array (``explorer/value_texts.py``); ``v`` opens the current node's whole
value, tangent or adjoint (``screens/value_screen.py``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from pathlib import Path

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.timer import Timer
from textual.widgets import Footer, TabbedContent, TabPane

from adexplorer.base.errors import AdxError
from adexplorer.base.files import reserve_new_file, write_atomically
from adexplorer.base.numbers import display_value, is_summarized
from adexplorer.base.text import excerpt, visible
from adexplorer.core.formulas import (
    BAR,
    DOT,
    FormulaRenderer,
    accumulation,
    barred,
    dotted,
    dual_text,
    number_text,
    vector_dual_text,
)
from adexplorer.core.ir import Graph
from adexplorer.core.nested_formulas import barred_dotted
from adexplorer.explorer.control_flow import (
    Condensed,
    IterationGroup,
    condense,
    iteration_groups,
    iteration_text,
    loop_groups,
    path_summary,
    should_condense,
)
from adexplorer.explorer.frames import Frame
from adexplorer.explorer.session import CONCEALED, CONCEALED_TEXT, Compiled, Session, compile_for
from adexplorer.explorer.training import Training
from adexplorer.explorer.value_texts import ValueTexts
from adexplorer.exports import FORMATS
from adexplorer.exports.formats import export_text
from adexplorer.tui.bugs import handle, report_bug
from adexplorer.tui.jobs import Job, in_thread
from adexplorer.tui.messages import (
    FamilySubmitted,
    SeedSubmitted,
    SourceEdited,
    TrainingSettingSubmitted,
    ValueSubmitted,
)
from adexplorer.tui.screens.export_screen import ExportScreen
from adexplorer.tui.screens.seed_screen import SeedScreen
from adexplorer.tui.screens.value_screen import ValueScreen
from adexplorer.tui.screenshot import screen_svg
from adexplorer.tui.widgets.cost_pane import CostPane
from adexplorer.tui.widgets.descent_pane import DescentPane
from adexplorer.tui.widgets.editor import SourceEditor
from adexplorer.tui.widgets.fd_pane import FdPane
from adexplorer.tui.widgets.formula_bar import FormulaBar
from adexplorer.tui.widgets.graph_view import GraphPicture, GraphView
from adexplorer.tui.widgets.hessian_panel import HessianPanel
from adexplorer.tui.widgets.inputs_panel import InputsPanel
from adexplorer.tui.widgets.program_pane import ProgramPane
from adexplorer.tui.widgets.swell_pane import SwellPane
from adexplorer.tui.widgets.trace_table import TENSOR_CELL as TRACE_TENSOR_CELL
from adexplorer.tui.widgets.trace_table import TraceTable

#: Narrower than this, the graph sits above the panes instead of beside them.
NARROW = 110
#: Lower than this, the graph is a tab beside the panes (it shows when chosen).
COMPACT = 28
#: The footer at under 100 columns: compact, and a space after a group's label all the same.
FOOTER_CSS = """
Footer.-compact FooterLabel { margin: 0 1 0 0; }
Footer.-compact KeyGroup.-compact { padding-left: 0; }
"""
#: Footer groups: one label for several keys, so that the keys that matter fit in 80 columns.
STEP = Binding.Group("Step", compact=True)
MODE = Binding.Group("Mode", compact=True)
SEED = Binding.Group("Seed", compact=True)
#: Seconds after the last key in the editor before what was typed is compiled.
DEBOUNCE = 0.2
#: The export formats that show what the screen shows (an open exercise's answers as ?);
#: the others print every value and derivative, and wait until the exercises are done.
SHOWS_THE_SCREEN = ("svg", "text")
#: Seconds between redraws of the loss curve while a training run goes on.
TRAINING_REFRESH = 0.1
#: Characters of a tensor's summary in the trace table (``mat[64,100] min 0 max 3.2``).
TENSOR_CELL = TRACE_TENSOR_CELL


class ExplorerView(Vertical):
    """Type a function, then step or play its primal, tangent and adjoint traces."""

    BINDINGS = [
        Binding(
            "right,l", "step(1)", "Step", key_display="→", tooltip="run the next step", group=STEP
        ),
        Binding(
            "left,h", "step(-1)", "Back", key_display="←", tooltip="undo the last step", group=STEP
        ),
        Binding("home", "to_start", "Start", show=False, tooltip="back to before the first step"),
        Binding("end", "to_end", "End", show=False, tooltip="run every step"),
        Binding("space", "play", "Play", tooltip="play or pause the animation"),
        Binding(
            "f", "mode('forward')", "Fwd", tooltip="forward mode: values and tangents", group=MODE
        ),
        Binding(
            "r", "mode('reverse')", "Rev", tooltip="reverse mode: the adjoint sweep", group=MODE
        ),
        Binding(
            "d", "mode('dual')", "Dual", tooltip="forward mode as dual numbers a + bε", group=MODE
        ),
        Binding(
            "H",
            "second_order",
            "2nd",
            group=MODE,
            tooltip="second-order mode: the nested (forward-over-reverse) sweeps of the "
            "Hessian, filling in column by column; H again: H·u along the forward seed "
            "(key u types it) "
            "or the whole Hessian",
        ),
        Binding(
            "s", "cycle_seed", "Seed", tooltip="seed the next input (forward, dual)", group=SEED
        ),
        Binding(
            "u",
            "seed_dialog",
            "Seed…",
            group=SEED,
            tooltip="type the seed of this mode: forward u over the inputs (J·u), reverse ȳ "
            "over the outputs (ȳᵀJ), second order u of H·u (empty: the whole Hessian)",
        ),
        Binding(
            "V",
            "vector",
            "Vector",
            show=False,
            tooltip="vector forward mode: one sweep whose tangents carry all n directions "
            "(the dual number with n parts); V again: one seed",
        ),
        Binding(
            "k",
            "cycle_checkpoint",
            "Checkpoint",
            show=False,
            tooltip="reverse mode: plain, then checkpointing every=K, snapshots=2, snapshots=3",
        ),
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
        Binding(
            "G",
            "train",
            "Train",
            show=False,
            tooltip="train: the steps, η and inputs of the descent pane (5), the loss curve "
            "drawn live; G again (or Esc) stops",
        ),
        Binding(
            "A",
            "accumulate",
            "Accumulate",
            show=False,
            tooltip="training: add each step's gradient to the last (no zero_grad), or not",
        ),
        Binding(
            "w,v",
            "show_value",
            "Value",
            show=False,
            tooltip="the current node's whole value, tangent or adjoint (a tensor's every "
            "entry, scrolling); Esc closes",
        ),
        Binding(
            "0",
            "reset_descent",
            "Reset descent",
            show=False,
            tooltip="gradient descent: back to the starting point, history cleared",
        ),
        Binding("less_than_sign", "eta(0.5)", "η÷2", show=False, tooltip="halve the step size η"),
        Binding("greater_than_sign", "eta(2)", "η×2", show=False, tooltip="double the step size η"),
        Binding(
            "6", "pane('graph')", "Graph", show=False, tooltip="the computation graph (its tab)"
        ),
        Binding("1", "pane('trace')", "Trace", show=False, tooltip="pane: the trace table"),
        Binding("2", "pane('fd')", "FD", show=False, tooltip="pane: finite differences"),
        Binding("3", "pane('swell')", "Swell", show=False, tooltip="pane: expression swell"),
        Binding("4", "pane('cost')", "Cost", show=False, tooltip="pane: cost of the sweeps"),
        Binding("5", "pane('descent')", "Descent", show=False, tooltip="pane: gradient descent"),
        Binding(
            "7",
            "pane('program')",
            "Program",
            show=False,
            tooltip="pane: the program's lines with what this run did (branches, loop "
            "counts); again: the generated derivative code, its line of the step marked",
        ),
        Binding(
            "z",
            "fold",
            "Fold",
            show=False,
            tooltip="trace: fold or unfold the loop iteration under the cursor",
        ),
        Binding(
            "Z", "fold_all", "Fold all", show=False, tooltip="trace: fold or unfold every iteration"
        ),
        Binding("e", "edit", "Edit", show=False, tooltip="edit the function"),
        Binding(
            "escape",
            "leave_editor",
            "Leave editor",
            show=False,
            tooltip="stop editing; cancel a computation that says computing…",
        ),
        Binding(
            "x",
            "export",
            "Export",
            show=False,
            tooltip="export: LaTeX or Markdown tables, the graph as DOT or Mermaid, the "
            "screen as SVG, JSON or text (a picker; saved under a new name)",
        ),
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
    /* Narrower than NARROW columns, the graph sits above the panes, only as tall as
       its drawing (at most 45%): the panes get the rest, so their tables show whole. */
    ExplorerView.-narrow > #main { layout: vertical; }
    ExplorerView.-narrow > #top { max-height: 8; }
    ExplorerView.-narrow > #top > InputsPanel { width: 30; }
    ExplorerView.-narrow > #main > GraphView {
        height: auto; max-height: 45%; min-height: 6; width: 100%;
    }
    ExplorerView.-narrow > #main > TabbedContent { height: 1fr; width: 100%; }
    /* Lower than COMPACT rows, the graph is a tab of its own (6 Graph) beside the panes.
       Folded to no height rather than hidden, so that it keeps the focus (and the
       explorer its keys and its Tab order) while another tab is shown. */
    ExplorerView.-compact > #main > GraphView {
        height: 0; min-height: 0; max-height: 0; border: none; padding: 0;
    }
    ExplorerView.-compact.-graph-tab > #main > GraphView {
        height: 1fr; max-height: 100%; border: round $primary 50%; padding: 0 1;
    }
    ExplorerView.-compact.-graph-tab > #main > GraphView:focus { border: round $accent; }
    ExplorerView.-compact.-graph-tab > #main > TabbedContent { dock: top; height: 2; }
    ExplorerView.-compact > #top { max-height: 6; }
    ExplorerView.-compact FormulaBar { max-height: 5; }
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
        self._groups: list[IterationGroup | int] = []
        self._groups_key: int | None = None
        self._condense = False
        self._condense_key: int | None = None
        self._condensed_cache: dict[int | None, Condensed] = {}
        self._loop_group: dict[int, int] = {}
        self._noted: int | None = None  # the revision whose retape note was announced
        self._debounce: Timer | None = None
        self._pending_text: str | None = None  # typed, not yet compiled
        self._source_job: Job[tuple[Session, Compiled]] = Job(
            self, "source", self._source_compiled, self._source_failed
        )
        self._texts = ValueTexts()  # tensors' summaries, made once per array
        self._texts_key: int | None = None
        self.training: Training | None = None  # the run under way
        self._training_timer: Timer | None = None
        # The program the trace is of: the editor's text while it compiles, else the last
        # text that did (an export says so when the editor holds something else).
        self._valid_source = session.source

    # -- building -----------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Horizontal(id="top"):
            yield SourceEditor(self.session.source, id="editor")
            yield InputsPanel(id="inputs")
        with Horizontal(id="main"):
            yield GraphView(id="graph")
            with TabbedContent(id="panes", initial="trace"):
                with TabPane("6 Graph", id="graph-tab"):
                    pass  # only a tab: the graph itself is drawn beside the panes
                with TabPane("1 Trace", id="trace"):
                    yield TraceTable(id="trace-table")
                with TabPane("2 FD", id="fd"):
                    yield FdPane(id="fd-pane")
                with TabPane("3 Swell", id="swell"):
                    yield SwellPane(id="swell-pane")
                with TabPane("4 Cost", id="cost"):
                    yield CostPane(id="cost-pane")
                with TabPane("5 Desc", id="descent"):
                    yield DescentPane(id="descent-pane")
                with TabPane("7 Prog", id="program"):
                    yield ProgramPane(id="program-pane")
        yield HessianPanel(id="hessian")
        yield FormulaBar(id="formula")

    def on_mount(self) -> None:
        self._start_timer()
        self._guarded(self.focus_graph)

    def on_resize(self, event: events.Resize) -> None:
        self._fit(event.size.width, event.size.height)
        self.call_after_refresh(self._leave_a_hidden_editor)

    def _leave_a_hidden_editor(self) -> None:
        """The lesson player hides the editor under 100 columns: keys must not edit f unseen."""
        editor = self.query_one(SourceEditor)
        focused = self.app.focused
        if not editor.shown and (focused is None or editor in focused.ancestors_with_self):
            self._guarded(self.focus_graph, refresh=False)

    def _fit(self, width: int, height: int) -> None:
        """Arrange the graph and the panes for the view's size (see DEFAULT_CSS)."""
        compact = height < COMPACT
        self.set_class(width < NARROW, "-narrow")
        self.set_class(compact, "-compact")
        tabs = self.query_one(TabbedContent)
        if compact:
            tabs.show_tab("graph-tab")
        else:
            if tabs.active == "graph-tab":
                tabs.active = "trace"
            tabs.hide_tab("graph-tab")
        self.set_class(compact and tabs.active == "graph-tab", "-graph-tab")
        self.call_after_refresh(self._fit_footer)

    def _fit_footer(self) -> None:
        """Under 100 columns the footer's keys sit closer together and ctrl+p is left to
        the help, so that the keys that matter all fit."""
        narrow = self.screen.size.width < 100
        for footer in self.screen.query(Footer):
            footer.compact = narrow
            footer.show_command_palette = not narrow

    def _start_timer(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_interval(
            self.session.seconds_per_step, self._tick, pause=not self.playing
        )

    # -- what the app (or the lesson player) asks of the view ------------------------

    def load(self, session: Session) -> None:
        """Explore ``session`` from now on (a lesson step's); the editor shows its program."""
        self._drop_pending()
        self.session = session
        self.query_one(SourceEditor).set_text(session.source)
        # A new program opens at its inputs (the left edge); steps then scroll as needed.
        self.query_one(GraphView).scroll_to(0, 0, animate=False)
        self._start_timer()  # at the new session's speed
        self.refresh_views()

    def show_pane(self, pane: str, *, again: bool = False) -> None:
        """Bring a pane to the front: trace, fd, swell, cost or descent (``again``: restart
        its computation if it was cancelled); ``graph`` shows the graph (its own tab on a
        low screen, else it is always there and takes the focus)."""
        tabs = self.query_one(TabbedContent)
        if pane == "graph":
            if self.has_class("-compact"):
                tabs.active = "graph-tab"
                self.add_class("-graph-tab")
            self.focus_graph()
            return
        tabs.active = pane
        self.remove_class("-graph-tab")
        self._refresh_pane(again=again)

    def set_family(self, template: str) -> None:
        """The swell pane's growth family, e.g. ``4*#*(1-#)`` (``#`` = the previous level)."""
        self.query_one(SwellPane).set_template(template)
        self._refresh_pane()

    @property
    def busy(self) -> bool:
        """Something typed waits to be compiled, a computation runs that was not cancelled,
        or the trace table is still taking a new graph's rows."""
        return (
            self._pending_text is not None
            or self.training is not None
            or self._source_job.busy
            or self.query_one(FdPane).busy
            or self.query_one(SwellPane).busy
            or self.query_one(TraceTable).filling
        )

    def flush_pending(self) -> None:
        """Compile what was typed now, without waiting for the debounce (Esc; tests)."""
        if self._debounce is not None:
            self._debounce.stop()
            self._debounce = None
        if self._pending_text is not None:
            self._compile_pending()

    def cancel_computations(self) -> bool:
        """Cancel the panes' computations and stop a training run; True if one was running."""
        cancelled = [pane.cancel() for pane in (self.query_one(FdPane), self.query_one(SwellPane))]
        return any(cancelled) or self.stop_training()

    def focus_graph(self) -> None:
        """Focus the graph (on a low screen also while another tab folds it away: the
        explorer's keys work from there)."""
        self.query_one(GraphView).focus()

    # -- pushing the session into the widgets -----------------------------------------

    def refresh_views(self) -> None:
        session = self.session
        if session.error is None and session.trace is not None:
            self._valid_source = session.source
        self.query_one(SourceEditor).show_error(session.error)
        self._refresh_inputs()
        if session.graph is None or session.trace is None:
            self.query_one(FormulaBar).update(
                Text("Type a function above, e.g. ln(x1) + x1*x2 - sin(x2)")
            )
            return
        graph = session.trace.graph
        if self._texts_key != session.revision:
            self._texts_key = session.revision
            self._texts.forget()
        labels = graph.labels(session.numbering)
        state = session.node_state()
        frame = session.current
        dual = session.mode == "dual"
        mark = BAR if session.mode == "reverse" else ("ε" if dual else DOT)
        values = [self._cell(v, 11) for v, _ in state]
        derivatives = [self._cell(d, 9) for _, d in state]
        second_cells: list[str] | None = None
        if session.second is not None:
            mark, derivatives, second_cells = self._second_order_cells()
        graph_view = self.query_one(GraphView)
        graph_view.show(self._graph_picture(graph, labels, values, derivatives, mark, frame))
        graph_view.border_subtitle = self._graph_subtitle(graph)
        if session.retape_note and self._noted != session.revision:
            self._noted = session.revision
            self.notify(visible(session.retape_note), title="dynamic tape", markup=False)
        graph_view.scroll_to_current()
        self._refresh_trace_table(labels, state, second_cells)
        self.query_one(HessianPanel).show(session, self.size.width or self.screen.size.width)
        self._refresh_formula()
        self._refresh_pane()

    def _second_order_cells(self) -> tuple[str, list[str | None], list[str]]:
        """Second-order mode: the graph's mark and derivative labels, and the trace
        table's derivative cells.  While the tangents run, each node's v̇; once the
        nested adjoint sweep has started, each reached node's v̄ + v̄̇ε (the adjoint
        sweep runs on dual numbers)."""
        session = self.session
        frame = session.current
        adjoint_part = frame is not None and frame.kind != "nested_forward"
        graph_cells: list[str | None] = []
        table_cells: list[str] = []
        for node in session.nested_state():
            if adjoint_part:
                graph_cells.append(self._dual_cell(node.adjoint, node.adjoint_dot, 11))
                # the rules applied use v̇ (v̇-1 in ln's): it stays beside v̄ and v̄̇
                table_cells.append(
                    ""
                    if node.adjoint is None
                    else f"{dotted('v')} {self._table_cell(node.tangent)}  "
                    f"{barred('v')} {self._table_cell(node.adjoint)}  "
                    f"{barred_dotted('v')} {self._table_cell(node.adjoint_dot)}"
                )
            else:
                graph_cells.append(self._cell(node.tangent, 9))
                table_cells.append(
                    ""
                    if node.tangent is None
                    else f"{dotted('v')} {self._table_cell(node.tangent)}"
                )
        return (BAR if adjoint_part else DOT), graph_cells, table_cells

    def _table_cell(self, value: object) -> str:
        if value is CONCEALED:
            return CONCEALED_TEXT
        return self._texts.text(value, self.session.digits, TENSOR_CELL)

    def _dual_cell(self, real: object, eps: object, width: int) -> str | None:
        """``-1+0.28ε`` in ``width`` characters (fewer digits until it fits)."""
        if real is None:
            return None
        if real is CONCEALED or eps is CONCEALED:
            return CONCEALED_TEXT
        if is_summarized(real):
            return self._cell(real, width)
        for digits in (4, 3, 2, 1):
            a, b = display_value(real, digits), display_value(eps, digits)
            text = f"{a}{'' if b.startswith('-') else '+'}{b}ε"
            if len(text) <= width:
                return text
        return text[: width - 1] + "…"

    def _cell(self, value: object, width: int) -> str | None:
        """A graph node's value or derivative label: None if not computed yet, ? if hidden;
        a tensor as much of its summary as fits."""
        if value is None:
            return None
        if value is CONCEALED:
            return CONCEALED_TEXT
        if is_summarized(value):
            return self._texts.text(value, self.session.digits, width)
        for digits in (6, 5, 4, 3, 2):
            text = display_value(value, digits)
            if len(text) <= width:
                return text
        if getattr(value, "ndim", 0) > 0:  # a short list: its summary, never a number cut in half
            return self._texts.text(value, self.session.digits, width)
        return text[: width - 1] + "…"

    def _graph_picture(
        self,
        graph: Graph,
        labels: tuple[str, ...],
        values: list[str | None],
        derivatives: list[str | None],
        mark: str,
        frame: Frame | None,
    ) -> GraphPicture:
        """What the graph view draws: the tape itself, or for a long loop the tape with
        the iterations away from the current step folded into boxes (control_flow.condense)."""
        current = frame.node if frame else None
        lit = frozenset(frame.edges) if frame else frozenset()
        if not self._condensing(graph):
            return GraphPicture(graph, labels, values, derivatives, mark, current, lit)
        drawn = self._condensed(graph, current)
        index = drawn.index_of
        new_labels: list[str] = []
        new_values: list[str | None] = []
        new_derivatives: list[str | None] = []
        placeholders: dict[int, str] = {}
        for k, members in enumerate(drawn.members):
            if drawn.is_group(k):
                new_labels.append(drawn.titles[k])
                computed = sum(1 for n in members if values[n] is not None)
                done = sum(1 for n in members if derivatives[n] is not None)
                placeholders[k] = f"{len(members)} ops"
                new_values.append(f"{len(members)} ops" if computed else None)
                new_derivatives.append(f"{done}/{len(members)}" if done else None)
            else:
                new_labels.append(labels[members[0]])
                new_values.append(values[members[0]])
                new_derivatives.append(derivatives[members[0]])
        return GraphPicture(
            graph=drawn.graph,
            labels=tuple(new_labels),
            values=new_values,
            derivatives=new_derivatives,
            derivative_mark=mark,
            current=index[current] if current is not None else None,
            lit_edges=frozenset((index[a], index[b]) for a, b in lit if index[a] != index[b]),
            placeholders=placeholders,
        )

    def _condensing(self, graph: Graph) -> bool:
        key = self.session.revision
        if self._condense_key != key:
            self._condense_key = key
            self._condense = should_condense(graph)
            self._condensed_cache = {}
            self._loop_group = (
                {n: g.number for g in loop_groups(graph) for n in g.nodes} if self._condense else {}
            )
        return self._condense

    def _condensed(self, graph: Graph, current: int | None) -> Condensed:
        """The condensed drawing around the current step's iteration (made once per
        iteration and revision, so stepping within an iteration keeps the layout)."""
        focus = self._loop_group.get(current) if current is not None else None
        drawn = self._condensed_cache.get(focus)
        if drawn is None:
            drawn = condense(graph, current)
            self._condensed_cache[focus] = drawn
        return drawn

    def _graph_subtitle(self, graph: Graph) -> Text:
        """Under the graph: this run's path, and whether iterations are folded into boxes."""
        parts = []
        if graph.dynamic:
            parts.append(visible(path_summary(graph, limit=2)))
        if self._condense:
            parts.append("other iterations boxed")
        return Text(" · ".join(p for p in parts if p))

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
                    self._texts.text(step.value, session.digits, TENSOR_CELL),
                )
                for step in session.trace.primal_steps
            }
            self._static_key = key
        return self._static

    def _refresh_inputs(self) -> None:
        session = self.session
        panel = self.query_one(InputsPanel)
        if session.mode == "reverse":  # its seed is ȳ over the outputs, never a forward seed
            outputs = session.graph.output_names if session.graph is not None else ()
            hint = ",".join(f"{n}={v}" for n, v in zip(outputs, ("1", "-2"), strict=False))
            panel.show(
                dict(session.values), session.selected_name, session.cotangent_text, hint, "ȳ"
            )
            return
        seed, placeholder = session.seed_field()
        panel.show(dict(session.values), session.selected_name, seed, placeholder)

    def _refresh_trace_table(
        self, labels: tuple[str, ...], state: list, second_cells: list[str] | None = None
    ) -> None:
        session = self.session
        assert session.trace is not None
        graph = session.trace.graph
        static = self._static_cells()
        frame = session.current
        header = {
            "forward": "tangent v̇",
            "reverse": "adjoint v̄",
            "dual": "a + bε",
            "second": f"v̇ / {barred('v')} {barred_dotted('v')}",
        }[session.mode]
        if session.mode == "forward" and session.vector:
            header = "tangents v̇ (vector)"
        rows = []
        for step in session.trace.primal_steps:
            i = step.node
            value, derivative = state[i]
            operation, final_value = static[i]
            value_cell = final_value if value is not None else ""
            deriv_cell = (
                self._texts.text(derivative, session.digits, TENSOR_CELL)
                if derivative is not None and derivative is not CONCEALED
                else ""
            )
            value_cell = CONCEALED_TEXT if value is CONCEALED else value_cell  # a lesson asks it
            deriv_cell = CONCEALED_TEXT if derivative is CONCEALED else deriv_cell
            if session.mode == "dual" and value is not None and derivative is not None:
                pair = vector_dual_text if session.vector else dual_text
                deriv_cell = pair(value_cell, deriv_cell)
            if second_cells is not None:
                deriv_cell = second_cells[i]
            marker = "▶" if frame is not None and frame.node == i else ""
            node = graph.nodes[i]
            rows.append(
                (
                    i,
                    (
                        marker,
                        labels[i],
                        str(node.line or "") if graph.dynamic else "",
                        iteration_text(node.context),
                        operation,
                        value_cell,
                        deriv_cell,
                        visible(excerpt(graph.source_text(i) or ""), keep=""),
                    ),
                )
            )
        groups = self._table_groups()
        self.query_one(TraceTable).show(graph, rows, header, frame.node if frame else None, groups)

    def _table_groups(self) -> list[IterationGroup | int]:
        """The trace's rows with loop iterations grouped: made once per revision."""
        session = self.session
        assert session.trace is not None
        if self._groups_key != session.revision:
            graph = session.trace.graph
            order = [step.node for step in session.trace.primal_steps]
            self._groups = iteration_groups(graph, order) if graph.dynamic else []
            self._groups_key = session.revision
        return self._groups

    def _refresh_formula(self) -> None:
        session = self.session
        frame = session.current
        lines = Text()
        playing = "▶ playing" if self.playing else "paused"
        seed = (
            "" if session.mode == "reverse" else f", seed {session.seed_name or session.seed_text}"
        )
        if session.mode == "reverse" and session.checkpoint is not None:
            seed = f", checkpoint {session.checkpoint}"
        if session.mode == "reverse" and session.cotangent_text:
            seed += f", ȳ {session.cotangent_text}"
        if session.mode in ("forward", "dual") and session.vector:
            seed = ", vector: every direction"
        if session.second is not None:
            seed = self._second_order_status()
        lines.append(f"step {session.position}/{len(session.frames)} ", style="bold")
        # an open exercise's answer shows as ? wherever it would appear: say so once here
        hidden = " · ? hidden until answered" if session.conceals else ""
        lines.append(
            f"[{session.mode}{seed} · {playing} {session.seconds_per_step:g}s/step{hidden}]  ",
            style="dim",
        )
        if frame is None:
            lines.append("→ press → (or space to play) to run the first step", style="italic")
        elif session.mode == "dual" and frame.kind == "forward":
            lines.append_text(self._dual_formula(frame))
        elif frame.kind in ("nested_seed", "nested_adjoint"):
            lines.append_text(self._nested_adjoint_formula(frame))
        else:
            for k, formula in enumerate(session.formula(frame, summarize=True)):
                if k:
                    lines.append("     ")
                lines.append(("▶ " if k == 0 else "") + formula.text())
            self._append_running_total(lines, frame)
        if session.at_end:
            results = session.result_lines()
            if session.second is not None:
                results = results[:1]  # H or H·u: the Hessian panel shows it
            lines.append("\n" + "   ".join(results), style="bold")
        if session.retape_note:
            lines.append("\n" + visible(session.retape_note), style="bold italic")
        # a taped program's tie is found when it is compiled and again when it runs: once
        run_warnings = session.trace.warnings[:2] if session.trace is not None else ()
        for warning in dict.fromkeys((*session.warnings[:2], *run_warnings)):
            lines.append(f"\nwarning: {visible(warning)}", style="italic")
        self.query_one(FormulaBar).update(lines)

    def _second_order_status(self) -> str:
        """`` order: H·u, u x1`` or `` order: H sweep 2/2 (e_x2, column 2)`` (sweep k gives
        column k of H)
        for the bar's status."""
        session = self.session
        second = session.second
        assert second is not None
        if second.kind == "hvp":
            return f" order: H·u, u {session.direction_text}"
        if not second.sweeps:
            return " order: Hessian of no inputs (nothing to differentiate)"
        frame = session.current
        k = frame.sweep if frame is not None else 0
        label, n = second.sweeps[k].label, len(second.sweeps)
        return f" order: H sweep {k + 1}/{n} (e_{label}, column {k + 1})"  # fits in 80

    def _nested_adjoint_formula(self, frame: Frame) -> Text:
        """A nested adjoint step: its first-order rule on one line, its second-order rule
        (the tangent of the contribution) on the next, each with its running total."""
        session = self.session
        first, second = session.formula(frame, summarize=True)
        text = Text("\n▶ " + first.text())
        totals = session.nested_running_totals(frame)
        labels = session.trace.graph.labels(session.numbering) if session.trace else ()
        label = labels[frame.node] if labels else ""
        digits = session.digits
        if totals is not None and frame.kind == "nested_adjoint":
            (before, contribution, total), (before_dot, contribution_dot, total_dot) = totals
            text.append(
                "   so " + accumulation(barred(label), before, contribution, total, digits),
                style="bold",
            )
            k, n = session.fan_in(frame)
            if n > 1:
                text.append(f"   ({k} of {n} contributions)", style="italic")
            text.append("\n  " + second.text())
            text.append(
                "   so "
                + accumulation(
                    barred_dotted(label), before_dot, contribution_dot, total_dot, digits
                ),
                style="bold",
            )
        else:
            text.append("\n  " + second.text())
            if frame.kind == "nested_seed":  # a hidden adjoint step has no totals either
                text.append(
                    "   (the seed: the output's adjoint is 1, its tangent 0)", style="italic"
                )
        return text

    def _dual_formula(self, frame: Frame) -> Text:
        """A forward step as dual arithmetic: the rule on one line, the numbers below."""
        session = self.session
        formula = session.dual_formula(frame)
        text = Text(f"▶ {formula.target} = {formula.rule}")
        if formula.numbers:
            pad = " " * (len(formula.target) + 3)
            text.append(f"\n{pad}= {formula.numbers} = {formula.result}")
        return text

    def _append_running_total(self, lines: Text, frame: Frame) -> None:
        """After an adjoint contribution, the node's running total (``v̄0 = 0 + 2 = 2``),
        as the CLI's reverse table has it; and which of the node's contributions it is."""
        session = self.session
        assert session.trace is not None
        trace = session.trace
        if frame.kind == "seed" and trace.directional and session.cotangent_text:
            lines.append(
                f"   (the sweep starts from ȳ: {session.cotangent_text}; outputs left out start "
                "at 0: this one sweep gives ȳᵀJ)",
                style="italic",
            )
        elif frame.kind == "seed" and trace.adjoint_sweeps and len(trace.graph.outputs) > 1:
            seeded = trace.adjoint_sweeps[0].label or trace.graph.output_names[0]
            lines.append(
                f"   (the sweep is seeded at output {seeded}; the other outputs' adjoints "
                "start at 0: this sweep gives the row of "
                f"{seeded})",
                style="italic",
            )
        running = session.running_total(frame)
        if running is None or frame.kind != "adjoint":
            return
        label = barred(session.trace.graph.labels(session.numbering)[frame.node])
        before, contribution, total = running
        if is_summarized(total):  # a tensor: its summary, not every entry
            digits = session.digits
            total_text = (
                f"{label} = {number_text(before, digits)} + {number_text(contribution, digits)}"
                f" = {self._texts.text(total, digits)}"
            )
        else:
            total_text = accumulation(label, before, contribution, total, session.digits)
        lines.append("   so " + total_text, style="bold")
        k, n = session.fan_in(frame)
        if n > 1:
            lines.append(f"   (contribution {k} of {n}: fan-out adds up)", style="italic")

    def _refresh_pane(self, *, again: bool = False) -> None:
        active = self.query_one(TabbedContent).active
        width = self._pane_width()
        if active == "fd":
            self.query_one(FdPane).show(self.session, width, again=again)
        elif active == "swell":
            self.query_one(SwellPane).show(self.session, width, again=again)
        elif active == "cost":
            self.query_one(CostPane).show(self.session)
        elif active == "descent":
            self.query_one(DescentPane).show(self.session, self.training)
        elif active == "program":
            self.query_one(ProgramPane).show(self.session)

    def _pane_width(self) -> int:
        """The panes' width from the view's (the layout may not be settled yet)."""
        width = self.size.width or self.screen.size.width
        return width if width < NARROW else width * 2 // 5

    @on(TabbedContent.TabActivated)
    def _tab_changed(self) -> None:
        graph_tab = self.query_one(TabbedContent).active == "graph-tab"
        self.set_class(graph_tab and self.has_class("-compact"), "-graph-tab")
        self._guarded(self._refresh_pane, refresh=False)

    # -- what was typed: debounced, compiled in the background ------------------------

    @on(SourceEdited)
    def _source_edited(self, message: SourceEdited) -> None:
        message.stop()
        if self._debounce is not None:
            self._debounce.stop()
            self._debounce = None
        if message.text == self.session.source:
            # Loaded (see load), or typed back to what is compiled: nothing to do.
            self._drop_pending()
            return
        self._pending_text = message.text
        self._debounce = self.set_timer(DEBOUNCE, self._compile_pending)
        self.query_one(SourceEditor).show_busy(True)

    def _compile_pending(self) -> None:
        self._debounce = None
        text, self._pending_text = self._pending_text, None
        if text is None:
            return
        session = self.session
        basis = session.basis()
        self._source_job.submit(lambda: (session, compile_for(text, basis, with_layout=True)))

    def _drop_pending(self) -> None:
        """Forget what was typed and not compiled (another program is being loaded)."""
        if self._debounce is not None:
            self._debounce.stop()
            self._debounce = None
        self._pending_text = None
        self._source_job.cancel()
        self.query_one(SourceEditor).show_busy(False)

    def _source_compiled(self, result: tuple[Session, Compiled]) -> None:
        session, compiled = result
        if session is not self.session or self._pending_text is not None:
            return  # another program was loaded, or more was typed since
        if not session.fits(compiled.basis):
            # An input, the mode or the seed changed while it compiled: once more.
            self._pending_text = compiled.text
            self._compile_pending()
            return
        self.query_one(SourceEditor).show_busy(False)

        def install() -> None:
            if session.apply(compiled) and compiled.trace and compiled.layout:
                self.query_one(GraphView).preload(compiled.trace.graph, compiled.layout)

        self._guarded(install)

    def _source_failed(self, error: BaseException) -> None:
        self.query_one(SourceEditor).show_busy(False)
        handle(self, error)

    # -- messages from the widgets ------------------------------------------------

    @on(ValueSubmitted)
    def _value_submitted(self, message: ValueSubmitted) -> None:
        message.stop()
        session = self.session

        def set_value() -> None:
            try:
                session.set_value(message.name, message.text)
            except AdxError:
                # the old value stays; the field keeps the text typed, to be corrected
                kept = session.values.get(message.name)
                self.query_one(InputsPanel).keep_refused(message.name, message.text, kept)
                raise

        self._guarded(set_value)

    @on(SeedSubmitted)
    def _seed_submitted(self, message: SeedSubmitted) -> None:
        message.stop()
        session = self.session
        if session.mode == "reverse" and _names_outputs(session, message.text):
            self._guarded(lambda: session.set_cotangent(message.text))  # the field's ȳ
            return
        self._guarded(lambda: session.set_seed(message.text))

    @on(TrainingSettingSubmitted)
    def _training_setting(self, message: TrainingSettingSubmitted) -> None:
        message.stop()
        session = self.session
        text = message.text
        if message.setting == "names":
            names = [n.strip() for n in text.split(",") if n.strip()]
            self._guarded(lambda: session.set_trained(names))
        elif message.setting == "eta":
            self._guarded(lambda: session.set_eta(text))
        elif message.setting == "steps":
            self._guarded(lambda: session.set_train_steps(text))

    @on(FamilySubmitted)
    def _family_submitted(self, message: FamilySubmitted) -> None:
        message.stop()
        self._guarded(lambda: self.set_family(message.template), refresh=False)

    def _guarded(self, change: Callable[[], object], *, refresh: bool = True) -> None:
        """Run a change, then show the session; a user error (AdxError) becomes a
        notification, anything else a one-line bug report; the explorer keeps running."""
        try:
            change()
        except Exception as error:
            handle(self, error)
        if refresh:
            try:
                self.refresh_views()
            except Exception as error:
                report_bug(self, error)

    # -- actions ----------------------------------------------------------------

    def action_step(self, delta: int) -> None:
        self._guarded(lambda: self.session.step(delta))

    def action_to_start(self) -> None:
        self._guarded(self.session.to_start)

    def action_to_end(self) -> None:
        self._guarded(self.session.to_end)

    def action_play(self) -> None:
        def toggle() -> None:
            if self._timer is None:
                return
            self.playing = not self.playing
            if self.playing:
                if self.session.at_end:
                    self.session.to_start()
                self._timer.resume()
            else:
                self._timer.pause()

        self._guarded(toggle)

    def _tick(self) -> None:
        def tick() -> None:
            if self.session.at_end:
                self.playing = False
                if self._timer is not None:
                    self._timer.pause()
            else:
                self.session.step(1)

        self._guarded(tick)

    def action_speed(self, delta: int) -> None:
        def change() -> None:
            self.session.faster(delta)
            self._start_timer()

        self._guarded(change)

    def action_mode(self, mode: str) -> None:
        self._guarded(lambda: self.session.set_mode(mode))

    def action_cycle_checkpoint(self) -> None:
        def cycle() -> None:
            self.session.cycle_checkpoint()
            spec = self.session.checkpoint
            self.notify(
                f"checkpointing {spec}: the cost pane (4) shows the schedule"
                if spec is not None
                else "plain reverse mode: every value taped, none recomputed"
            )
            if spec is not None:
                self.show_pane("cost")

        self._guarded(cycle)

    def action_cycle_seed(self) -> None:
        self._guarded(self.session.cycle_seed)

    def action_seed_dialog(self) -> None:
        """u: a dialog for the seed of the mode shown (see screens/seed_screen.py)."""

        def open_dialog() -> None:
            session = self.session
            if session.graph is None:
                self.notify("no program yet: type one first (e)")
                return
            title, explanation, text = session.seed_prompt()
            self.app.push_screen(
                SeedScreen(title, explanation, text, session.apply_seed_prompt),
                self._seed_dialog_closed,
            )

        self._guarded(open_dialog, refresh=False)

    def _seed_dialog_closed(self, applied: bool | None) -> None:
        self._guarded(lambda: None)  # show what the seed changed

    def action_vector(self) -> None:
        def toggle() -> None:
            on = self.session.toggle_vector()
            self.notify(
                "vector forward mode: one sweep, every tangent carries all "
                f"{self._directions()} directions"
                if on
                else "forward mode with one seed (s picks the input, u types a direction)"
            )

        self._guarded(toggle)

    def _directions(self) -> int:
        graph = self.session.graph
        if graph is None:
            return 0
        return sum(int(math.prod(graph.nodes[i].shape)) for i in graph.inputs)

    def action_second_order(self) -> None:
        def switch() -> None:
            session = self.session
            if session.mode == "second":
                kind = session.toggle_second_kind()
                self.notify(
                    f"H·u along u = {session.direction_text}: one nested sweep "
                    "(key u types another u)"
                    if kind == "hvp"
                    else "the whole Hessian: one nested sweep per input entry"
                )
                return
            session.set_mode("second")
            self.notify(
                "second-order mode: each nested sweep runs the primal with tangents v̇, then the "
                "adjoints v̄ with their tangents v̄̇; → steps"
            )

        self._guarded(switch)

    def action_next_input(self) -> None:
        self._guarded(self.session.select_next_input)

    def action_nudge(self, direction: int) -> None:
        self._guarded(lambda: self.session.nudge(direction))

    def action_descend(self) -> None:
        if self.training is not None:
            self.notify("a training run goes on: G or Esc stops it")
            return

        def step() -> None:
            self.session.descend()
            self.session.to_end()  # show the new values in the graph and the table

        self._guarded(step, refresh=False)
        self._guarded(lambda: self.show_pane("descent"))

    # -- training: the loop of adx train, in a worker thread (see explorer/training.py) --

    def action_train(self) -> None:
        """G: start a training run with the descent pane's settings; while one runs, stop it."""
        if self.stop_training():
            self.notify("training stops after the step under way")
            return

        def start() -> None:
            training = self.session.begin_training()
            self.training = training
            self._training_timer = self.set_interval(TRAINING_REFRESH, self._training_progress)
            self.run_worker(self._run_training(training), name="adx-train", group="adx-train")
            self.show_pane("descent")

        self._guarded(start, refresh=False)

    def stop_training(self) -> bool:
        """Ask the run under way to stop (it ends after its current step); False if none runs."""
        training = self.training
        if training is None or training.stopped:
            return False
        training.stop()
        return True

    async def _run_training(self, training: Training) -> None:
        try:
            await in_thread(training.run)
        except Exception as error:  # an AdxError is the user's; anything else a bug
            handle(self, error)
        finally:
            self._training_done(training)

    def _training_progress(self) -> None:
        training = self.training
        if training is None or self.query_one(TabbedContent).active != "descent":
            return
        try:
            self.query_one(DescentPane).show_progress(self.session, training)
        except Exception as error:
            report_bug(self, error)

    def _training_done(self, training: Training) -> None:
        if self._training_timer is not None:
            self._training_timer.stop()
            self._training_timer = None
        if self.training is training:
            self.training = None

        def install() -> None:
            if not self.session.finish_training(training):
                if training.losses:
                    self.notify("the program or its inputs changed while it trained: not kept")
                return
            losses = training.losses
            how = "stopped" if training.stopped else "done"
            if training.diverged:
                how = "diverged"
            self.notify(
                f"training {how}: {training.moves} steps, loss "
                f"{display_value(losses[0])} → {display_value(self.session.history[-1].value)}"
            )

        self._guarded(install)
        self.query_one(DescentPane).show_curve()

    def action_accumulate(self) -> None:
        def toggle() -> None:
            on = self.session.toggle_accumulate()
            self.notify(
                "training adds each step's gradient to the last (no zero_grad): watch the loss"
                if on
                else "training zeroes the gradient before each step (zero_grad)"
            )
            self.show_pane("descent")

        self._guarded(toggle, refresh=False)

    # -- the whole value of the current node -----------------------------------------

    def action_show_value(self) -> None:
        def show() -> None:
            shown = self._value_screen_items()
            if shown:
                self.app.push_screen(ValueScreen(shown, self.session.digits))

        self._guarded(show, refresh=False)

    def _value_screen_items(self) -> list[tuple[str, object]]:
        """The current node's value and derivative as the explorer knows them now (before
        the first step: the selected input's value)."""
        session = self.session
        if session.trace is None:
            self.notify("no program yet")
            return []
        graph = session.trace.graph
        labels = graph.labels(session.numbering)
        state = session.node_state()
        frame = session.current
        if frame is not None:
            node = frame.node
        else:
            name = session.selected_name
            index = graph.input_index(name) if name is not None else None
            if index is None:
                self.notify("step first (→): no value is computed yet")
                return []
            node = index
            state[node] = (session.values[name], state[node][1])  # type: ignore[index]
        value, derivative = state[node]
        label = labels[node]
        operation = self._static_cells().get(node, ("", ""))[0]
        what = f"{label} = {operation}" if graph.nodes[node].is_op else f"{label}, {operation}"
        items: list[tuple[str, object]] = []
        if value is CONCEALED or derivative is CONCEALED:
            self.notify("hidden while the exercise asks for it", severity="warning")
        if value is not None and value is not CONCEALED:
            items.append((f"value of {what}", value))
        if derivative is not None and derivative is not CONCEALED:
            adjoint = session.mode == "reverse" or (
                frame is not None and frame.kind in ("nested_seed", "nested_adjoint")
            )
            kind = "adjoint" if adjoint else "tangent"
            mark = barred(label) if adjoint else dotted(label)
            items.append((f"{kind} {mark} of {what} (as far as the sweep has got)", derivative))
        if not items and value is not CONCEALED:
            self.notify("nothing computed at this node yet: step (→) first")
        return items

    def action_reset_descent(self) -> None:
        if self.training is not None:
            self.notify("a training run goes on: G or Esc stops it")
            return

        def reset() -> None:
            if not self.session.reset_descent():
                self.notify("no gradient-descent steps to undo yet (g takes one)")

        self._guarded(reset, refresh=False)
        self._guarded(lambda: self.show_pane("descent"))

    def action_fold(self) -> None:
        def fold() -> None:
            self.show_pane("trace")
            if not self.query_one(TraceTable).toggle_group():
                self.notify("no loop iterations to fold here (z folds the one under the cursor)")

        self._guarded(fold, refresh=False)

    def action_fold_all(self) -> None:
        def fold() -> None:
            self.show_pane("trace")
            if not self.query_one(TraceTable).toggle_all():
                self.notify("this trace has no loop iterations to fold")

        self._guarded(fold, refresh=False)

    def action_eta(self, factor: float) -> None:
        self._guarded(lambda: self.session.scale_eta(factor))

    def action_pane(self, pane: str) -> None:
        def show() -> None:
            tabs = self.query_one(TabbedContent)
            if pane == "program" and tabs.active == "program":
                self.query_one(ProgramPane).toggle()  # 7 again: the generated code
            self.show_pane(pane, again=True)

        self._guarded(show, refresh=False)

    def action_edit(self) -> None:
        if not self.query_one(SourceEditor).focus_text():
            self.notify(
                "the editor is hidden at this width: widen the terminal to 100 columns "
                "or more to edit f"
            )

    def action_leave_editor(self) -> None:
        """Esc: cancel a computation that says "computing…", compile what was typed, and
        leave the editor."""

        def leave() -> None:
            if self.cancel_computations():
                self.notify("computation cancelled")
            self.flush_pending()
            self.focus_graph()

        self._guarded(leave, refresh=False)

    def action_export(self) -> None:
        """x: a picker of every export format (a letter, or arrows and Enter; Esc
        cancels), then the export written to a fresh name in ``export_dir``."""

        def ask() -> None:
            if self.session.trace is None:
                self.notify("nothing to export yet", severity="warning")
                return
            self.app.push_screen(ExportScreen(str(self.export_dir)), self._export_chosen)

        self._guarded(ask, refresh=False)

    def _export_chosen(self, name: str | None) -> None:
        if name is not None:
            self._guarded(lambda: self.export_as(name), refresh=False)

    def export_as(self, name: str) -> Path | None:
        """Write the trace (or the screen, for ``svg``) in format ``name`` to a new file
        ``adx-trace-<time>.<suffix>`` in ``export_dir`` and say where; never overwrites.
        Second-order mode exports JSON, text and SVG (the tables and graphs are drawn
        for first-order traces)."""
        session = self.session
        if session.trace is None:
            self.notify("nothing to export yet", severity="warning")
            return None
        if session.second is not None and name not in ("json", "text", "svg"):
            self.notify(
                f"second-order mode exports JSON, text or SVG; {name} shows first-order "
                "traces (press f, r or d, then x)",
                severity="warning",
                markup=False,
            )
            return None
        if session.conceals and name not in SHOWS_THE_SCREEN:
            # they would print every value and derivative, the open exercises' answers too
            self.notify(
                f"an open exercise hides answers that {name} would show: export it once "
                "the exercises are answered (SVG and text export what the screen shows, "
                "hidden values as ?)",
                severity="warning",
                markup=False,
            )
            return None
        suffix = FORMATS[name][0]
        stem = {"svg": "adx-screen", "dot": "adx-graph", "mermaid": "adx-graph"}.get(
            name, "adx-trace"
        )
        path = self.export_dir / f"{stem}{suffix}"
        try:
            # A fresh name each time (never an earlier export overwritten)
            path = reserve_new_file(self.export_dir, stem, suffix)
            if name == "json":
                session.export_json(path)
            else:
                write_atomically(path, self._export_content(name))
        except OSError as error:
            self.notify(
                visible(f"could not save {path}: {error.strerror}"),
                severity="error",
                markup=False,
            )
            return None
        from adexplorer.tui.served_export import export_notice  # adx serve: to the browser too

        self.notify(visible(export_notice(self.app, path) + self._export_note(name)), markup=False)
        return path

    def _export_note(self, name: str) -> str:
        """What the notification adds to "saved …": that the text being edited is not the
        program exported, or that hidden values are written as ?."""
        session = self.session
        if session.error is not None and name != "svg":
            problem = "does not parse" if session.error.kind == "parse" else "has an error"
            program = excerpt(" ".join(self._valid_source.split()), 80)
            return (
                f"; the text being edited {problem} ({session.error.message}): "
                f"exported the last valid program, f = {program}"
            )
        if session.conceals and name in SHOWS_THE_SCREEN:
            return "; an open exercise's hidden values are written as ?"
        return ""

    def _export_content(self, name: str) -> str:
        session = self.session
        assert session.trace is not None
        if name == "svg":
            return screen_svg(self.app, "AD Explorer")
        if name == "text":  # the steps run so far, as the clipboard gets them
            return session.trace_text()
        return export_text(
            name,
            session.trace,
            numbering=session.numbering,
            digits=session.digits,
            dual=session.mode == "dual",
            standalone=True,
            seed=session.seed(),
        )

    def action_copy(self) -> None:
        def copy() -> None:
            # trace_text writes what an open exercise hides as ?, as the screen shows it
            self.app.copy_to_clipboard(self.session.trace_text())
            note = self._export_note("text")
            self.notify(visible(f"trace copied to the clipboard (as text){note}"), markup=False)

        self._guarded(copy, refresh=False)


def _names_outputs(session: Session, text: str) -> bool:
    """Whether a seed typed in reverse mode is a cotangent ȳ: empty (back to the unit
    seed) or naming outputs only (``f=2``, ``f1=1,f2=-2``); else it is a forward seed."""
    if session.graph is None:
        return False
    names = re.findall(r"([A-Za-z_]\w*)\s*=", text)
    if not text.strip():
        return True
    return bool(names) and set(names) <= set(session.graph.output_names)
