"""HelpScreen: every key binding, and what the modes and panes show."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from adexplorer.tui.keys import keys_text

ABOUT = [
    "AD Explorer animates automatic differentiation on the function in the editor.",
    "forward — one frame per node computes its value vᵢ and its tangent "
    "v̇ᵢ = Σ ∂vᵢ/∂u · u̇ together.  The seed (s) picks the input whose tangent "
    "starts at 1, or type a direction such as x1=1,x2=0.5 in the seed field.",
    "reverse — a forward sweep records every value; then the adjoint sweep runs "
    "backwards from v̄out = 1.  Each contribution ū += v̄·∂v/∂u is its own step, "
    "so a value used twice (fan-out) visibly adds up two contributions, and the bar "
    "shows the running total after each (v̄0 = 0 + 2 = 2).",
    "dual — forward mode written with dual numbers: every value is a + b·ε, with ε² = 0; "
    "each step is dual arithmetic, e.g. (2 + 1ε)·(5 + 0ε) = 10 + (1·5 + 2·0)ε = 10 + 5ε.",
    "Seeds: u opens a dialog for the seed of the mode shown, in the syntax of --at: "
    "forward (and dual) mode's direction u over the inputs, x1=1,x2=0.5, for J·u in one "
    "sweep; reverse mode's cotangent ȳ over the outputs, f=2 or f1=1,f2=-2, for ȳᵀJ in "
    "one sweep (outputs left out are 0).  A bad seed is said in the dialog, the text kept.  "
    "V: vector forward mode, one sweep whose tangents carry all n directions at once (the "
    "dual number with n parts, 10 + [5, 2]·ε).",
    "second order (H) — forward-over-reverse: each nested sweep runs the primal with "
    "tangents v̇ along a direction, then the adjoint sweep on dual numbers v̄ + v̄̇ε; each "
    "adjoint step shows its first-order rule and, below, its second-order rule with the "
    "numbers.  The whole Hessian takes one sweep per input entry: sweep k, along eₖ, "
    "gives H·eₖ, filling column k of the panel (▶ on its heading) as it reaches each "
    "input for the last time; a low screen shows the column under way on one line.  "
    "H again (or u with a direction) gives H·u in one sweep, with the forward seed as u; "
    "u types another u.  Once the adjoints run, the trace keeps each node's v̇ beside "
    "its v̄ and v̄̇ (the second-order rules use it).",
    "The highlighted box (▶) is the node the step computes; heavy edges (━┃) carry "
    "its value or derivative.  Panes: 1 trace, 2 finite differences against AD, "
    "3 expression swell, 4 cost of the sweeps, 5 gradient descent, 7 the program "
    "(press 7 again: the generated derivative code).  On a low screen "
    "the graph is a tab of its own (6 Graph, key 6).",
    "Programs with if and for are taped as they run: a new input that takes another "
    "branch re-records the tape (the bar says re-taped and what changed); pane 7 "
    "shows which lines ran and how often; z folds a loop iteration in the trace "
    "(Z: all); k runs reverse mode with checkpointing, the schedule in pane 4.",
    "Tensors of more than 12 entries are shown as summaries: type, first entries, min, "
    "max and norm (mat[64,100] [0.1, -2, 0.3, …] min -3.1 max 2.9 norm 80), as narrow as "
    "a cell needs.  w (or v; in a lesson v reveals, so w) opens the current step's node "
    "whole (before the first step: the selected input): its statistics and every entry "
    "in a grid, ← → a column, [ ] a page of columns, Home End the first and last; w "
    "again shows its tangent or adjoint so far; Esc closes.",
    "Training (pane 5): g takes one step; G runs the loop of adx train, the steps, η and "
    "the inputs it moves (e.g. W1,b1,W2,b2; empty: all) in the pane's fields, the loss "
    "curve drawn while it runs; G again or Esc stops it.  A adds each step's gradient to "
    "the last, as PyTorch does without zero_grad(), to watch what goes wrong; 0 goes back.",
]


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark,f1", "dismiss", "Close")]

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 90%; max-width: 100; height: 90%;
        border: thick $accent; background: $panel; padding: 1 2;
    }
    """

    def __init__(self, bindings: Sequence[Binding]) -> None:
        super().__init__()
        self._keys = list(bindings)

    def compose(self) -> ComposeResult:
        table = Table(title="Keys", title_justify="left", expand=True)
        table.add_column("key", style="bold")
        table.add_column("does")
        for binding in self._keys:
            table.add_row(keys_text(binding), binding.tooltip or binding.description)
        with VerticalScroll():
            for paragraph in ABOUT:
                yield Static(Text(paragraph + "\n"))
            yield Static(table)
            yield Static(
                Text("\nctrl+p opens the command palette; Esc closes this help.", style="italic")
            )
