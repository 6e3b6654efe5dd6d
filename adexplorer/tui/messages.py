"""App-wide messages: widgets post these up; the explorer view turns them into session
calls, the lesson player checks answers."""

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


@dataclass
class AnswerSubmitted(Message):
    """An answer was typed into an exercise's box (the lesson player checks it)."""

    exercise_id: str
    text: str


@dataclass
class TrainingSettingSubmitted(Message):
    """A training setting was typed in the descent pane: ``setting`` is ``train`` (the
    inputs it moves, ``W1,b1``), ``eta`` (the learning rate) or ``steps``."""

    setting: str
    text: str
