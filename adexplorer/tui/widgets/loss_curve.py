"""LossCurve: the losses of a descent or training run, drawn to the widget's size as they come."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widget import Widget

from adexplorer.explorer.loss_curve import curve_lines


class LossCurve(Widget):
    """Braille dots of the losses so far (explorer.loss_curve), redrawn when they change."""

    DEFAULT_CSS = """
    LossCurve { height: 8; min-height: 4; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.losses: tuple[float, ...] = ()

    def plot(self, losses: Sequence[float]) -> None:
        if tuple(losses) != self.losses:
            self.losses = tuple(losses)
            self.refresh()

    def render(self) -> Text:
        width, height = self.size.width, self.size.height
        return Text("\n".join(curve_lines(self.losses, width, height)), no_wrap=True)
