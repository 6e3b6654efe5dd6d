"""Playback: which frame the explorer shows, and how fast it plays.

``position`` counts the frames already run (0 = nothing computed yet).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from adexplorer.explorer.frames import Frame

SPEEDS = (4.0, 2.0, 1.0, 0.5, 0.25, 0.1)  # seconds per step


@dataclass
class Playback:
    frames: list[Frame] = field(default_factory=list)
    position: int = 0
    speed_index: int = 2

    def replace_frames(self, frames: list[Frame], *, keep_position: bool = False) -> None:
        """New frames for a new run: keep the position if asked (clamped to the new
        frames: a program with if/for may tape more or fewer steps at new values);
        a run that was finished shows the new run finished; otherwise start again."""
        old_position, old_count = self.position, len(self.frames)
        self.frames = frames
        if old_count and old_position >= old_count:
            self.position = len(frames)
        elif keep_position:
            self.position = min(old_position, len(frames))
        else:
            self.position = 0

    def step(self, delta: int = 1) -> None:
        self.position = max(0, min(len(self.frames), self.position + delta))

    def to_start(self) -> None:
        self.position = 0

    def to_end(self) -> None:
        self.position = len(self.frames)

    @property
    def at_end(self) -> bool:
        return self.position >= len(self.frames)

    @property
    def current(self) -> Frame | None:
        """The frame run last (the one highlighted)."""
        return self.frames[self.position - 1] if self.position > 0 else None

    @property
    def run_so_far(self) -> list[Frame]:
        return self.frames[: self.position]

    @property
    def seconds_per_step(self) -> float:
        return SPEEDS[self.speed_index]

    def faster(self, delta: int = 1) -> None:
        self.speed_index = max(0, min(len(SPEEDS) - 1, self.speed_index + delta))
