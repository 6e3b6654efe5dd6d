"""HessianPanel: second-order mode's Hessian (or H·u) filling in as the nested sweeps run.

Shown above the formula bar in second-order mode only.  Sweep k along the unit
direction eₖ gives H·eₖ, column k of H: the panel fills column k during sweep k
(``▶`` marks its heading), an entry once the sweep has reached its input for
the last time, ``·`` before.  With a direction u (H·u) the one sweep fills the
one column, drawn as a line.  A Hessian wider than fits shows the columns around
the sweep under way and the first rows (``…`` and ``columns 7–12 of 16`` say
so).  On a low screen (under :data:`LOW` lines) a Hessian of more than two
inputs collapses to two lines, the column under way, so the trace keeps its rows.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import Static

from adexplorer.base.numbers import format_scalar
from adexplorer.explorer.session import CONCEALED, CONCEALED_TEXT, Session

#: At most this many rows of H are drawn (the panel stays low at 80×24).
MAX_ROWS = 6
#: Screens lower than this get the compact panel (at most three lines).
LOW = 32
#: Rows of H drawn in full on a low screen (more: the compact form).
LOW_ROWS = 2
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
        self.update(hessian_text(session, width, low=self.screen.size.height < LOW))


def hessian_text(session: Session, width: int, *, low: bool = False) -> Text:
    """The panel's text (see the module docstring): a title line, then the rows;
    ``low``: two lines for a Hessian of more than :data:`LOW_ROWS` inputs."""
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
    if low and n > LOW_ROWS:
        return _compact(labels, columns, max(sweep_now, 1), digits, width)
    room = max(1, (width - LABELS - 2) // CELL)
    if room < n:  # leave room for the note saying which columns show
        room = max(1, (width - LABELS - 2 - len(f"  columns {n}–{n} of {n}, rows 1–{n}")) // CELL)
    shown_cols = min(n, room)
    shown_rows = min(n, LOW_ROWS if low else MAX_ROWS)
    # the columns follow the sweep under way (column k is sweep k's); the first rows show
    first_col = min(max(sweep_now - shown_cols, 0), n - shown_cols)
    cols = range(first_col, first_col + shown_cols)
    text.append(f"H ({n}×{n})"[: LABELS - 1].ljust(LABELS), style="bold")
    header = "".join(
        (("▶" if sweep_now == col + 1 else "") + labels[col])[: CELL - 1].ljust(CELL)
        for col in cols
    )
    header += "…" if first_col + shown_cols < n else ""
    notes = []
    if shown_cols < n:
        notes.append(f"columns {first_col + 1}–{first_col + shown_cols} of {n}")
    if shown_rows < n:
        notes.append(f"rows 1–{shown_rows}")
    if hidden:
        notes.append(HIDDEN_NOTE)
    note = "  " + ", ".join(notes) if notes else ""
    fits = LABELS + len(header.rstrip()) + len(note) <= width
    text.append(header.rstrip() + note if fits else header, style="dim")
    for row in range(shown_rows):
        line = Text(" " + labels[row][: LABELS - 2].ljust(LABELS - 1), style="dim")
        for col in cols:
            cell = _entry(columns[col][row], digits)[: CELL - 1].ljust(CELL)
            line.append(cell, style="bold" if sweep_now == col + 1 else "")
        line.append("…" if first_col + shown_cols < n else "")
        text.append("\n")
        text.append_text(line)
    return text


def _compact(
    labels: tuple[str, ...],
    columns: Sequence[Sequence[object]],
    sweep_now: int,
    digits: int,
    width: int,
) -> Text:
    """Two lines: which column of H the sweep under way fills, then its entries so far."""
    n, k = len(labels), sweep_now - 1
    done = sum(1 for column in columns if all(v is not None for v in column))
    text = Text(f"H ({n}×{n})", style="bold")
    text.append(
        _fit(
            f"  ▶ column {k + 1} of {n} (sweep along e_{labels[k]}); "
            f"{done} {'column' if done == 1 else 'columns'} complete",
            max(width - len(text), 1),
        ),
        style="dim",
    )
    entries = [f"{label}: {_entry(v, digits)}" for label, v in zip(labels, columns[k], strict=True)]
    text.append("\n" + _fit("   ".join(entries), width))
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
