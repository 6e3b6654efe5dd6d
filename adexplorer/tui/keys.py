"""The keys an app offers, gathered for its help screen and its command palette.

An app lists its keys as (owner, bindings) pairs: the explorer view's and its
own.  Help shows them all; the palette runs each action on its owner, so an
explorer command works wherever the focus is.  Both name keys the way a person
types them (``>``, ``←``, ``ctrl+p``), never by Textual's internal names
(``greater_than_sign``, ``left``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from functools import partial
from typing import Any

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.dom import DOMNode

KeyGroup = tuple[DOMNode, Sequence[BindingType]]

#: Textual's key names that are not what is printed on the key.
KEY_NAMES = {
    "plus": "+",
    "minus": "-",
    "equals_sign": "=",
    "left_square_bracket": "[",
    "right_square_bracket": "]",
    "less_than_sign": "<",
    "greater_than_sign": ">",
    "question_mark": "?",
    "right": "→",
    "left": "←",
    "up": "↑",
    "down": "↓",
    "escape": "Esc",
    "enter": "Enter",
    "space": "space",
    "tab": "Tab",
    "home": "Home",
    "end": "End",
    "pageup": "PgUp",
    "pagedown": "PgDn",
}


def key_name(key: str) -> str:
    """One key as a person types it: ``greater_than_sign`` → ``>``, ``f1`` → ``F1``,
    ``ctrl+p`` stays ``ctrl+p``."""
    *modifiers, last = key.split("+") if key != "plus" else ["plus"]
    name = KEY_NAMES.get(last, last)
    if len(name) > 1 and name[0] == "f" and name[1:].isdigit():
        name = name.upper()
    return "+".join([*modifiers, name])


def keys_text(binding: Binding) -> str:
    """All of a binding's keys, e.g. ``→, l`` or ``?, F1``."""
    return ", ".join(key_name(k.strip()) for k in binding.key.split(","))


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
                f"key: {keys_text(binding)}",
                partial(app.run_action, binding.action, owner),
            )
