"""Progress through lessons, remembered between runs in the user's data directory.

Written atomically (a temporary file renamed over the old one), so a crash or a
full disk never leaves half a file.  A file that cannot be read is reported and
moved aside (``progress.json.corrupt-<time>``), never silently reset: the user
can recover it.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from adexplorer.base.files import write_atomically

VERSION = 1


def data_dir() -> Path:
    """``$ADX_DATA_DIR``, else ``$XDG_DATA_HOME/adexplorer``, else ``~/.local/share/adexplorer``."""
    override = os.environ.get("ADX_DATA_DIR")
    if override:
        return Path(override)
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "adexplorer"


@dataclass
class Progress:
    path: Path
    lessons: dict[str, dict[str, Any]] = field(default_factory=dict)
    problem: str | None = None  # set when a corrupt file was found and moved aside

    @classmethod
    def load(cls, path: Path | None = None) -> Progress:
        path = path or data_dir() / "progress.json"
        if not path.exists():
            return cls(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if (
                not isinstance(data, dict)
                or data.get("version") != VERSION
                or not isinstance(data.get("lessons"), dict)
            ):
                raise ValueError("not an adx progress file")
            return cls(path, data["lessons"])
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
            aside = path.with_name(f"{path.name}.corrupt-{stamp}")
            try:
                path.replace(aside)
                where = f"it was moved to {aside}"
            except OSError:
                where = "it could not be moved aside"
            return cls(
                path, {}, problem=f"the progress file {path} could not be read ({exc}); {where}"
            )

    def save(self) -> None:
        write_atomically(
            self.path, json.dumps({"version": VERSION, "lessons": self.lessons}, indent=1)
        )

    def lesson(self, lesson_id: str) -> dict[str, Any]:
        return self.lessons.setdefault(lesson_id, {"step": 0, "exercises": {}})

    def record(self, lesson_id: str, exercise_id: str, correct: bool) -> None:
        entry = self.lesson(lesson_id)["exercises"].setdefault(
            exercise_id, {"attempts": 0, "correct": False}
        )
        entry["attempts"] += 1
        entry["correct"] = entry["correct"] or correct
        self.save()

    def set_step(self, lesson_id: str, step: int) -> None:
        self.lesson(lesson_id)["step"] = step
        self.save()

    def solved(self, lesson_id: str) -> set[str]:
        exercises = self.lessons.get(lesson_id, {}).get("exercises", {})
        return {k for k, v in exercises.items() if v.get("correct")}
