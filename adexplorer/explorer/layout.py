"""A layered drawing of the computation graph on a character grid.

Inputs sit in the leftmost column, each operation one column right of its
furthest argument (its level), so edges run left to right and the output ends
up on the right.  The method is the classic Sugiyama scheme, kept small:

1. layers by longest path from the inputs;
2. a dummy point in each layer a long edge passes through;
3. a few barycentre sweeps to order each layer (fewer crossings);
4. rows aligned with the average row of each item's predecessors;
5. orthogonal routing in the channel between two layers, one vertical track
   per edge that changes row, drawn with box characters.

An edge that would cross more than ``MAX_SPAN`` layers (an input used all
through a long program) is not drawn as a line: it becomes a *reference*,
shown in its user's label (``+←x``).  Hundreds of parallel lines help no one,
and routing them costs time quadratic in the length of the program.

Every drawn cell remembers which edges pass through it, so a view can
highlight exactly the edges carrying a value or a derivative at a step.
Boxes are positioned here but filled by the view (their text changes with
every step).  Constants are not drawn; they appear in their user's label.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass, field

from adexplorer.core.ir import Graph

BOX_WIDTH = 13
BOX_HEIGHT = 3
GAP = 1
MAX_TRACKS = 16
MAX_SPAN = 4

UP, DOWN, LEFT, RIGHT = 1, 2, 4, 8
LIGHT = {
    UP | DOWN: "│",
    LEFT | RIGHT: "─",
    DOWN | RIGHT: "╭",
    DOWN | LEFT: "╮",
    UP | RIGHT: "╰",
    UP | LEFT: "╯",
    UP | DOWN | RIGHT: "├",
    UP | DOWN | LEFT: "┤",
    LEFT | RIGHT | DOWN: "┬",
    LEFT | RIGHT | UP: "┴",
    UP | DOWN | LEFT | RIGHT: "┼",
    UP: "│",
    DOWN: "│",
    LEFT: "─",
    RIGHT: "─",
}
# The same shapes drawn heavy, for the edges a step highlights.
HEAVY = {
    mask: ch.translate(str.maketrans("│─╭╮╰╯├┤┬┴┼", "┃━┏┓┗┛┣┫┳┻╋")) for mask, ch in LIGHT.items()
}
ARROW, HEAVY_ARROW = "▶", "▶"

Edge = tuple[int, int]  # (argument node, user node)
#: Where the n-th use of one argument by one node arrives, relative to the box's port row.
_ARRIVAL = (0, 1, -1)


@dataclass(frozen=True)
class Box:
    node: int
    x: int
    y: int
    width: int = BOX_WIDTH
    height: int = BOX_HEIGHT


@dataclass
class GraphLayout:
    width: int
    height: int
    boxes: dict[int, Box]
    masks: dict[tuple[int, int], int] = field(default_factory=dict)
    cell_edges: dict[tuple[int, int], set[Edge]] = field(default_factory=dict)
    arrows: set[tuple[int, int]] = field(default_factory=set)
    references: dict[int, list[int]] = field(default_factory=dict)  # user → far arguments

    def boxes_on_row(self, y: int) -> list[Box]:
        return self._boxes_by_row.get(y, [])

    def __post_init__(self) -> None:
        self._boxes_by_row: dict[int, list[Box]] = defaultdict(list)
        for box in self.boxes.values():
            for dy in range(box.height):
                self._boxes_by_row[box.y + dy].append(box)
        for row in self._boxes_by_row.values():
            row.sort(key=lambda b: b.x)

    def char(
        self, x: int, y: int, heavy_edges: frozenset[Edge] | set[Edge] = frozenset()
    ) -> tuple[str, bool]:
        """The line character at (x, y) and whether a highlighted edge passes there."""
        mask = self.masks.get((x, y), 0)
        if not mask:
            return " ", False
        edges = self.cell_edges.get((x, y), set())
        lit = bool(edges & heavy_edges)
        if (x, y) in self.arrows:
            return (HEAVY_ARROW if lit else ARROW), lit
        if lit:
            # draw only the highlighted edges' directions heavily
            return HEAVY.get(mask, "━"), True
        return LIGHT.get(mask, "·"), False


def layout(graph: Graph) -> GraphLayout:
    drawn = [n.index for n in graph.nodes if not n.is_const]
    layer: dict[int, int] = {}
    for i in drawn:
        node = graph.nodes[i]
        args = [a for a in node.args if not graph.nodes[a].is_const]
        layer[i] = 0 if node.is_input or not args else 1 + max(layer[a] for a in args)
    edges: list[Edge] = []
    # x*x draws two edges from x: the second use of an argument by the same node
    # arrives at its box's bottom row (a third at the top), not on top of the first.
    arrival: list[int] = []
    uses: dict[Edge, int] = defaultdict(int)
    references: dict[int, list[int]] = {}
    for a, i in graph.edges():  # one per argument slot
        if graph.nodes[a].is_const:
            continue
        if layer[i] - layer[a] > MAX_SPAN:
            if a not in references.get(i, []):
                references.setdefault(i, []).append(a)
            continue
        arrival.append(_ARRIVAL[min(uses[(a, i)], len(_ARRIVAL) - 1)])
        uses[(a, i)] += 1
        edges.append((a, i))

    # items per layer: ("n", node) or ("d", edge index, layer)
    n_layers = max(layer.values(), default=0) + 1
    layers: list[list[tuple[str, int, int]]] = [[] for _ in range(n_layers)]
    for i in drawn:
        layers[layer[i]].append(("n", i, layer[i]))
    chains: list[list[tuple[str, int, int]]] = []
    for k, (a, b) in enumerate(edges):
        chain = [("n", a, layer[a])]
        for level in range(layer[a] + 1, layer[b]):
            dummy = ("d", k, level)
            layers[level].append(dummy)
            chain.append(dummy)
        chain.append(("n", b, layer[b]))
        chains.append(chain)
    predecessors: dict[tuple[str, int, int], list[tuple[str, int, int]]] = defaultdict(list)
    successors: dict[tuple[str, int, int], list[tuple[str, int, int]]] = defaultdict(list)
    for chain in chains:
        for first, second in itertools.pairwise(chain):
            predecessors[second].append(first)
            successors[first].append(second)

    # order within layers: barycentre sweeps
    position = {item: k for items in layers for k, item in enumerate(items)}
    for _ in range(4):
        for level in range(1, n_layers):
            _reorder(layers[level], predecessors, position)
        for level in range(n_layers - 2, -1, -1):
            _reorder(layers[level], successors, position)

    # rows: stack each layer, nudging items toward their predecessors' rows
    port: dict[tuple[str, int, int], int] = {}
    top: dict[tuple[str, int, int], int] = {}
    for items in layers:
        cursor = 0
        for item in items:
            height = BOX_HEIGHT if item[0] == "n" else 1
            offset = 1 if item[0] == "n" else 0
            preds = [port[p] for p in predecessors[item] if p in port]
            desired = round(sum(preds) / len(preds)) - offset if preds else cursor
            y = max(cursor, desired)
            top[item], port[item] = y, y + offset
            cursor = y + height + GAP

    # columns: a channel between layers wide enough for one track per turning edge
    def end_row(k: int, item: tuple[str, int, int]) -> int:
        """The row where edge k reaches ``item``: its box's port, shifted for a repeated use."""
        return port[item] + (arrival[k] if item[0] == "n" else 0)

    turning: list[list[tuple[int, int, int]]] = [[] for _ in range(n_layers)]
    for k, chain in enumerate(chains):
        for first, second in itertools.pairwise(chain):
            if port[first] != end_row(k, second):
                turning[first[2]].append((k, port[first], end_row(k, second)))
    x_of_layer = []
    x = 0
    for level in range(n_layers):
        x_of_layer.append(x)
        tracks = min(len(turning[level]), MAX_TRACKS)
        x += BOX_WIDTH + max(3, tracks + 2)

    boxes = {
        item[1]: Box(item[1], x_of_layer[item[2]], top[item])
        for items in layers
        for item in items
        if item[0] == "n"
    }
    result = GraphLayout(
        width=x_of_layer[-1] + BOX_WIDTH if x_of_layer else 0,
        height=max((top[i] + (BOX_HEIGHT if i[0] == "n" else 1) for i in top), default=0),
        boxes=boxes,
        references=references,
    )
    track_index: dict[tuple[int, int], int] = {}
    for level, segments in enumerate(turning):
        # tracks ordered so that edges going up and down cross as little as possible
        for t, (k, _, _) in enumerate(sorted(segments, key=lambda s: (s[2] - s[1], s[1]))):
            track_index[(k, level)] = t % MAX_TRACKS
    for k, chain in enumerate(chains):
        edge = edges[k]
        for first, second in itertools.pairwise(chain):
            level = first[2]
            x0 = x_of_layer[level] + BOX_WIDTH
            x1 = x_of_layer[level + 1] - 1
            r1, r2 = port[first], end_row(k, second)
            if r1 == r2:
                path = [(x, r1) for x in range(x0, x1 + 1)]
            else:
                xt = x0 + 1 + track_index[(k, level)]
                path = [(x, r1) for x in range(x0, xt)]
                step = 1 if r2 > r1 else -1
                path += [(xt, y) for y in range(r1, r2, step)]
                path += [(x, r2) for x in range(xt, x1 + 1)]
            _draw(result, path, edge)
            if second[0] == "n":
                result.arrows.add(path[-1])
            else:  # a dummy: the edge runs straight through the layer
                xs = x_of_layer[second[2]]
                _draw(result, [(x, r2) for x in range(xs - 1, xs + BOX_WIDTH + 1)], edge)
    return result


def _reorder(
    items: list[tuple[str, int, int]],
    neighbours: dict[tuple[str, int, int], list[tuple[str, int, int]]],
    position: dict[tuple[str, int, int], int],
) -> None:
    def key(item: tuple[str, int, int]) -> float:
        near = [position[n] for n in neighbours.get(item, []) if n in position]
        return sum(near) / len(near) if near else position[item]

    items.sort(key=lambda item: (key(item), position[item]))
    for k, item in enumerate(items):
        position[item] = k


def _draw(result: GraphLayout, path: list[tuple[int, int]], edge: Edge) -> None:
    """Add a polyline: each cell connects to its neighbours on the path (and the ends outward)."""
    for k, (x, y) in enumerate(path):
        mask = 0
        for other in (
            path[k - 1] if k > 0 else (x - 1, y),
            path[k + 1] if k + 1 < len(path) else (x + 1, y),
        ):
            ox, oy = other
            mask |= RIGHT if ox > x else LEFT if ox < x else DOWN if oy > y else UP if oy < y else 0
        result.masks[(x, y)] = result.masks.get((x, y), 0) | mask
        result.cell_edges.setdefault((x, y), set()).add(edge)
