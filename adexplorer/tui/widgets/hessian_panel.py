"""HessianPanel: second-order mode's Hessian (or H·u) filling in as the nested sweeps run.

Shown above the formula bar in second-order mode only.  Sweep k along the unit
direction eₖ gives row k of H (H is symmetric, so its column too); an entry
shows once the sweep has reached its input for the last time, ``·`` before.
Sweep k is row k: ``▶`` marks the sweep under way.  With a direction u (H·u)
the one sweep fills one row.  A Hessian larger than
fits shows the rows around the sweep under way and the first columns (``…`` and
``rows 7–12 of 16`` say so).
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from adexplorer.base.numbers import format_scalar
from adexplorer.explorer.session import CONCEALED, CONCEALED_TEXT, Session

#: At most this many rows of H are drawn (the panel stays low at 80×24).
MAX_ROWS = 6
#: Characters of each entry's column, and of the row labels' column.
CELL = 11
LABELS = 14
NOT_YET = "·"
#: What the panel says while a lesson's open exercise hides some of its entries.
HIDDEN_NOTE = "? hidden until answered"


class HessianPanel(Static):
    """The Hessian's rows (or H·u) known after the steps run so far."""

    DEFAULT_CSS = """
    HessianPanel {
        height: auto; max-height: 9; padding: 0 1;
        background: $boost; display: none;
    }
    HessianPanel.-shown { display: block; }
    """

    def show(self, session: Session, width: int) -> None:
        second = session.second
        self.set_class(second is not None, "-shown")
        if second is None:
            return
        self.update(hessian_text(session, width))


def hessian_text(session: Session, width: int) -> Text:
    """The panel's text (see the module docstring): a title line, then the rows."""
    second = session.second
    assert second is not None
    columns = session.hessian_known()  # column k: sweep k's v̄̇ of every input entry
    labels = second.entry_labels
    digits = min(session.digits, 6)
    frame = session.current
    sweep_now = frame.sweep + 1 if frame is not None else 0
    text = Text()
    hidden = any(v is CONCEALED for column in columns for v in column)
    if second.kind == "hvp":
        text.append(f"H·u along u: {session.direction_text}", style="bold")
        entries_word = "entry" if len(labels) == 1 else "entries"
        text.append(f"   (one nested sweep; {len(labels)} {entries_word})", style="dim")
        text.append(f"   {HIDDEN_NOTE}" if hidden else "", style="italic")
        text.append("\n")
        entries = [
            f"{label}: {_entry(v, digits)}" for label, v in zip(labels, columns[0], strict=True)
        ]
        text.append(_fit("   ".join(entries), width))
        return text
    n = len(labels)
    room = max(1, (width - LABELS - 2) // CELL)
    shown_cols = min(n, room)
    shown_rows = min(n, MAX_ROWS)
    # the rows follow the sweep under way (row k is sweep k's); the first columns show
    first_row = min(max(sweep_now - shown_rows, 0), n - shown_rows)
    text.append(f"H ({n}×{n})"[: LABELS - 1].ljust(LABELS), style="bold")
    header = "".join(label[: CELL - 1].ljust(CELL) for label in labels[:shown_cols])
    header += "…" if shown_cols < n else ""
    note = f"  rows {first_row + 1}–{first_row + shown_rows} of {n}" if shown_rows < n else ""
    note += f"  {HIDDEN_NOTE}" if hidden else ""
    fits = LABELS + len(header.rstrip()) + len(note) <= width
    text.append(header.rstrip() + note if fits else header, style="dim")
    for row in range(first_row, first_row + shown_rows):
        current = sweep_now == row + 1
        line = Text(("▶" if current else " ") + labels[row][: LABELS - 2].ljust(LABELS - 1))
        line.stylize("dim")
        cells = "".join(
            _entry(columns[row][col], digits)[: CELL - 1].ljust(CELL) for col in range(shown_cols)
        )
        line.append(cells + ("…" if shown_cols < n else ""), style="bold" if current else "")
        text.append("\n")
        text.append_text(line)
    return text


def _entry(value: object, digits: int) -> str:
    """An entry: ``·`` before its sweep reached it, ``?`` while an exercise asks for it."""
    if value is None:
        return NOT_YET
    if value is CONCEALED or not isinstance(value, float):
        return CONCEALED_TEXT
    return format_scalar(value, digits)


def _fit(line: str, width: int) -> str:
    return line if len(line) <= width else line[: max(width - 1, 0)] + "…"
