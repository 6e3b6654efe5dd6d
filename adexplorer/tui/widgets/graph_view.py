"""GraphView: the computation graph as a layered DAG, with the current step highlighted.

A Line-API widget: only the rows on screen are rendered, so a 500-node graph
scrolls as smoothly as a small one.  The layout (adexplorer.explorer.layout) is computed
once per graph; each step only changes which box and edges are highlighted and
what the boxes say.  Without colour the current node is still marked (▶) and
the edges carrying the step's value are drawn heavy (━┃).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from adexplorer.base.numbers import display_value, is_summarized, source_literal
from adexplorer.core.formulas import BAR, DOT
from adexplorer.core.ir import Graph
from adexplorer.core.operators import LABELS
from adexplorer.explorer.control_flow import GROUP_OP
from adexplorer.explorer.layout import Box, Edge, GraphLayout, layout


@dataclass
class GraphPicture:
    """What the boxes say and what is highlighted, set by the app at every step."""

    graph: Graph
    labels: tuple[str, ...]
    values: list[str | None]  # per node: value text, or None if not computed yet
    derivatives: list[str | None]  # per node: tangent / adjoint / ε text, or None
    derivative_mark: str = DOT  # DOT (tangent), BAR (adjoint) or "ε" (dual)
    current: int | None = None
    lit_edges: frozenset[Edge] = field(default_factory=frozenset)
    #: Boxes that stand for several operations (loop iterations): what they say
    #: before any of them is computed (``300 ops``).
    placeholders: Mapping[int, str] = field(default_factory=dict)


def short_op(graph: Graph, index: int) -> str:
    """A compact operation label: ``log``, ``+``, ``^2``, ``·-0.5``, ``x1`` for inputs."""
    node = graph.nodes[index]
    if node.is_input:
        return node.name or ""
    symbols = LABELS
    consts = [graph.nodes[a] for a in node.args if graph.nodes[a].is_const]
    if not consts:
        return symbols.get(node.op, node.op)
    parts = []
    for a in node.args:
        arg = graph.nodes[a]
        parts.append(source_literal(arg.value).strip("()") if arg.is_const else "•")
    if node.op in symbols and len(parts) == 2:
        return f"{parts[0]}{symbols[node.op]}{parts[1]}".replace("•", "")
    return f"{node.op}({','.join(parts)})"


def fit(text: str, width: int, fill: str = " ") -> str:
    """``text`` cut or padded to ``width`` cells (combining marks take no cell)."""
    cells = 0
    out = []
    for ch in text:
        wide = 0 if ch in (DOT, BAR) else 1
        if cells + wide > width:
            break
        out.append(ch)
        cells += wide
    return "".join(out) + fill * (width - cells)


def value_text(value: object, width: int) -> str:
    """A box's number in ``width`` characters (a tensor: as much of its summary as fits)."""
    if is_summarized(value):
        return display_value(value, 6, width)
    for digits in (6, 5, 4, 3, 2):
        text = display_value(value, digits)
        if len(text) <= width:
            return text
    if getattr(value, "ndim", 0) > 0:  # a short list: its summary, never a number cut in half
        return display_value(value, 6, width)
    return text[: width - 1] + "…"


class GraphView(ScrollView, can_focus=True, inherit_bindings=False):
    """The layered drawing of the graph.

    ← and → belong to the app (they step the trace), so the view scrolls with
    ↑ ↓, PgUp PgDn, shift+← shift+→ and the mouse; it also follows the current step.
    """

    BINDINGS = [
        Binding("up", "scroll_up", "Scroll up", show=False),
        Binding("down", "scroll_down", "Scroll down", show=False),
        Binding("shift+left", "scroll_left", "Scroll left", show=False),
        Binding("shift+right", "scroll_right", "Scroll right", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
    ]

    COMPONENT_CLASSES = {
        "graph--box",
        "graph--pending",
        "graph--current",
        "graph--input",
        "graph--output",
        "graph--edge",
        "graph--edge-lit",
    }

    DEFAULT_CSS = """
    GraphView {
        background: $surface;
        border: round $primary 50%;
        border-title-color: $text-muted;
        padding: 0 1;
    }
    GraphView:focus { border: round $accent; }
    GraphView > .graph--box { color: $foreground; }
    GraphView > .graph--pending { color: $text-disabled; }
    GraphView > .graph--current { color: $text; background: $accent 40%; text-style: bold; }
    GraphView > .graph--input { color: $secondary; }
    GraphView > .graph--output { color: $success; text-style: bold; }
    GraphView > .graph--edge { color: $text-muted; }
    GraphView > .graph--edge-lit { color: $warning; text-style: bold; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.border_title = "computation graph"
        self._layout: GraphLayout | None = None
        self._graph: Graph | None = None
        self._picture: GraphPicture | None = None
        self._styles: dict[str, Style] = {}

    def preload(self, graph: Graph, drawing: GraphLayout) -> None:
        """The layout of ``graph``, computed elsewhere (in the thread that compiled it)."""
        if graph is not self._graph:
            self._graph, self._layout = graph, drawing
            self.virtual_size = Size(drawing.width, drawing.height)

    def show(self, picture: GraphPicture) -> None:
        if picture.graph is not self._graph:
            self._graph = picture.graph
            self._layout = layout(picture.graph)
            self.virtual_size = Size(self._layout.width, self._layout.height)
        self._picture = picture
        self.refresh()

    def scroll_to_current(self) -> None:
        if self._layout is None or self._picture is None or self._picture.current is None:
            return
        box = self._layout.boxes.get(self._picture.current)
        if box is not None:
            self.scroll_to_region_if_needed(box)

    def scroll_to_region_if_needed(self, box: Box) -> None:
        """Scroll as little as needed to show ``box``; not at all if it is in view."""
        x0, y0 = self.scroll_offset
        width, height = self.scrollable_content_region.size
        x, y = x0, y0
        if box.x < x0:
            x = box.x
        elif box.x + box.width > x0 + width:
            x = box.x + box.width - width
        if box.y < y0:
            y = box.y
        elif box.y + box.height > y0 + height:
            y = box.y + box.height - height
        if (x, y) != (x0, y0):
            self.scroll_to(x, y, animate=False)

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        row = scroll_y + y
        if self._layout is None or self._picture is None or row >= self._layout.height:
            return Strip.blank(width, self.rich_style)
        self._styles = {
            name: self.get_component_rich_style(name) for name in self.COMPONENT_CLASSES
        }
        segments = self._row_segments(row, scroll_x, scroll_x + width)
        return Strip(segments).extend_cell_length(width, self.rich_style)

    def _style(self, name: str) -> Style:
        return self._styles[name]

    def _row_segments(self, y: int, start: int, end: int) -> list[Segment]:
        """The cells of row ``y`` from ``start`` to ``end`` (only what is on screen)."""
        assert self._layout is not None and self._picture is not None
        lay, pic = self._layout, self._picture
        end = min(end, lay.width)
        edge_style, lit_style = self._style("graph--edge"), self._style("graph--edge-lit")
        cells: list[tuple[str, Style]] = []
        for x in range(start, end):
            ch, lit = lay.char(x, y, pic.lit_edges)
            cells.append((ch, lit_style if lit else edge_style))
        for box in lay.boxes_on_row(y):
            if box.x + box.width <= start or box.x >= end:
                continue
            text, style = self._box_row(box, y - box.y)
            for dx, ch in enumerate(_cells(text)):
                if start <= box.x + dx < end:
                    cells[box.x + dx - start] = (ch, style)
        segments: list[Segment] = []
        for ch, style in cells:
            if segments and segments[-1].style is style:
                segments[-1] = Segment(segments[-1].text + ch, style)
            else:
                segments.append(Segment(ch, style))
        return segments

    def _box_row(self, box: Box, dy: int) -> tuple[str, Style]:
        assert self._picture is not None
        pic = self._picture
        node = pic.graph.nodes[box.node]
        inner = box.width - 2
        current = pic.current == box.node
        value = pic.values[box.node]
        if current:
            style = self._style("graph--current")
        elif value is None:
            style = self._style("graph--pending")
        elif box.node in pic.graph.outputs:
            style = self._style("graph--output")
        elif node.is_input:
            style = self._style("graph--input")
        else:
            style = self._style("graph--box")
        group = node.op == GROUP_OP
        if dy == 0:
            marker = "▶" if current else ""
            title = f"{marker}{pic.labels[box.node]}"
            if not group:
                title += f" {short_op(pic.graph, box.node)}"
            assert self._layout is not None
            far = self._layout.references.get(box.node)
            if far:  # arguments too far away to draw a line to
                title += "←" + ",".join(
                    pic.labels[a]
                    if not pic.graph.nodes[a].is_input
                    else pic.graph.nodes[a].name or ""
                    for a in far
                )
            return "╭" + fit(title, inner, "─") + "╮", style
        if dy == 1:
            shown = value if value is not None else pic.placeholders.get(box.node, "·")
            return "│" + fit(shown, inner) + "│", style
        derivative = pic.derivatives[box.node]
        if derivative is None:
            return "╰" + "─" * inner + "╯", style
        label = pic.labels[box.node]
        first = "v" if group else label[0]
        prefix = "ε " if pic.derivative_mark == "ε" else first + pic.derivative_mark + " "
        return "╰" + fit(prefix + derivative, inner, "─") + "╯", style


def _cells(text: str) -> list[str]:
    """Split text into terminal cells, keeping combining marks with their letter."""
    cells: list[str] = []
    for ch in text:
        if ch in (DOT, BAR) and cells:
            cells[-1] += ch
        else:
            cells.append(ch)
    return cells
