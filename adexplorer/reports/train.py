"""``adx train --json``: the ``adx.train/1`` JSON lines, one object per step and a summary.

Each step is ``{"kind": "step", "step", "loss", "gradient_norm", "update_norm"}``;
the last line is ``{"kind": "summary", "schema": "adx.train/1", …}`` (docs/json-schema.md).
Losses keep every digit (Python's shortest round-trip form); a number that is
not finite is ``null``.
"""

from __future__ import annotations

import math
from typing import Any

from adexplorer.base.errors import AdxError
from adexplorer.core.training import Training, TrainingRecord

SCHEMA = "adx.train/1"
STATUSES = ("done", "interrupted", "diverged")


def _number(x: float | None) -> float | None:
    return x if x is not None and math.isfinite(x) else None


def step_json(record: TrainingRecord) -> dict[str, Any]:
    """One step's line."""
    return {
        "kind": "step",
        "step": record.step,
        "loss": _number(record.loss),
        "gradient_norm": _number(record.gradient_norm),
        "update_norm": _number(record.update_norm),
    }


def summary_json(
    training: Training,
    *,
    status: str,
    final_loss: float | None,
    saved: str | None,
    error: AdxError | None = None,
    source: str | None = None,
) -> dict[str, Any]:
    """The closing line: what was trained, how far it got, and where it was saved."""
    assert status in STATUSES, status
    records = training.records
    return {
        "kind": "summary",
        "schema": SCHEMA,
        "status": status,
        "source": source if source is not None else training.graph.source,
        "wrt": list(training.trained),
        "fixed": list(training.fixed),
        "lr": training.lr,
        "accumulate": training.accumulate,
        "steps": training.steps,
        "steps_done": len(records),
        "updates": training.updates,
        "first_loss": _number(records[0].loss) if records else None,
        "last_loss": _number(records[-1].loss) if records else None,
        "final_loss": _number(final_loss),
        "saved": saved,
        "error": error.to_json() if error is not None else None,
        "warnings": list(training.warnings),
    }
