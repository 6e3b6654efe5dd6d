"""The keys an app offers, gathered for its help screen and its command palette.

An app lists its keys as (owner, bindings) pairs: the explorer view's and its
own.  Help shows them all; the palette runs each action on its owner, so an
explorer command works wherever the focus is.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from functools import partial
from typing import Any

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.dom import DOMNode

KeyGroup = tuple[DOMNode, Sequence[BindingType]]


def bindings_of(groups: Iterable[KeyGroup]) -> list[Binding]:
    """Every binding of the groups, in order (what the help screen lists)."""
    return [b for _, bindings in groups for b in bindings if isinstance(b, Binding)]


def palette_commands(app: App[Any], groups: Iterable[KeyGroup]) -> Iterator[SystemCommand]:
    """One palette command per binding (quit is already there), run on its owner."""
    for owner, bindings in groups:
        for binding in bindings:
            if not isinstance(binding, Binding) or binding.action == "quit":
                continue
            title = binding.tooltip or binding.description
            yield SystemCommand(
                title[:1].upper() + title[1:],
                f"key: {binding.key.split(',')[0]}",
                partial(app.run_action, binding.action, owner),
            )
