"""ValueScreen: a node's whole value (and its tangent or adjoint), one key from the explorer.

The trace table and the graph show a tensor as a summary; ``v`` opens this
screen on the current step's node: its type, statistics (min, max, mean, norm,
zeros, NaN and inf counted) and every entry in a scrolling grid that formats
only what is on screen (:class:`~adexplorer.tui.widgets.array_view.ArrayView`).
``w`` (or ``v``) again shows the next of the node's numbers (value, then tangent or
adjoint); Esc closes.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Static

from adexplorer.base.numbers import format_scalar, value_statistics
from adexplorer.tui.widgets.array_view import ArrayView

#: (what it is, e.g. "value of v3 = relu(v2)"; the array)
Shown = tuple[str, object]


def statistics_text(value: object, digits: int) -> str:
    """``mat[64,100] · 6,400 entries · min … max … mean … norm …`` (and NaN/inf/zero counts)."""
    s = value_statistics(value)

    def num(x: float) -> str:
        return format_scalar(x, digits)

    parts = [f"{s.type}", f"{s.size:,} entries"]
    if s.nans + s.infinities < s.size:
        parts += [f"min {num(s.low)}", f"max {num(s.high)}", f"mean {num(s.mean)}"]
    parts.append(f"norm {num(s.norm)}")
    counts = [(s.zeros, "zero"), (s.nans, "NaN"), (s.infinities, "±inf")]
    parts += [f"{n:,} {word}" for n, word in counts if n]
    return " · ".join(parts)


class ValueScreen(Screen[None]):
    """Every entry of one or more arrays of a node (see the module docstring).

    A whole screen rather than a modal one: a modal screen draws the explorer dimmed
    behind it, which took Textual seconds for the network's screen on a busy machine."""

    BINDINGS = [
        Binding("escape,q", "dismiss", "Close", tooltip="back to the explorer"),
        Binding("w,v", "next", "Next", tooltip="the node's next number (value, tangent/adjoint)"),
    ]

    DEFAULT_CSS = """
    ValueScreen > Vertical {
        width: 100%; height: 100%;
        border: thick $accent; background: $panel; padding: 0 1;
    }
    ValueScreen #value-title { text-style: bold; }
    ValueScreen #value-stats, ValueScreen #value-hint { color: $text-muted; }
    """

    def __init__(self, shown: Sequence[Shown], digits: int = 6) -> None:
        super().__init__()
        self.shown = list(shown)
        self.digits = digits
        self.index = 0

    def compose(self) -> ComposeResult:
        value = self.shown[0][1]
        with Vertical():
            yield Static(id="value-title")
            yield Static(id="value-stats")
            yield Static(id="value-hint")
            yield ArrayView(value, self.digits, id="value-grid")

    def on_mount(self) -> None:
        self._describe()
        self.query_one(ArrayView).focus()

    @property
    def grid(self) -> ArrayView:
        return self.query_one(ArrayView)

    def _describe(self) -> None:
        title, value = self.shown[self.index]
        self.query_one("#value-title", Static).update(Text(title))
        self.query_one("#value-stats", Static).update(Text(statistics_text(value, self.digits)))
        more = f" · w: {self.shown[(self.index + 1) % len(self.shown)][0].split(' ')[0]}"
        hint = "↑ ↓ PgUp PgDn rows · ← → a column · [ ] a page · Home End first/last column" + (
            more if len(self.shown) > 1 else ""
        )
        self.query_one("#value-hint", Static).update(Text(hint + " · Esc closes"))

    def action_next(self) -> None:
        if len(self.shown) < 2:
            return
        self.index = (self.index + 1) % len(self.shown)
        self.grid.show(self.shown[self.index][1])
        self._describe()
