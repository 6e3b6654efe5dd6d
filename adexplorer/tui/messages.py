"""App-wide messages: widgets post these up; the app turns them into Session calls."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message


@dataclass
class SourceEdited(Message):
    """The program text changed (every keystroke)."""

    text: str


@dataclass
class ValueSubmitted(Message):
    """An input's value was typed in (e.g. ``2.5``, ``pi/4``, ``[1, 2]``)."""

    name: str
    text: str


@dataclass
class SeedSubmitted(Message):
    """A seed direction was typed in (e.g. ``x1=1,x2=0.5``)."""

    text: str


@dataclass
class FamilySubmitted(Message):
    """A swell family template was typed in (e.g. ``4*#*(1-#)``)."""

    template: str
