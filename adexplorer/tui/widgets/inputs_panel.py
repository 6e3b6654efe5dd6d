"""InputsPanel: the inputs' values (editable, nudged with + and -), the seed and the run state.

A tensor input (more than a dozen entries), or a short list too long for its
field (a field never shows a list cut, nor its tail), shows its summary as the
field's placeholder and an empty field: typing a value (``0.5`` fills it, or ``@x.npy``
where files are read) replaces it, and Enter on the empty field changes nothing.

A value refused (a bad number, an ``@file`` that cannot be read) changes nothing:
the input keeps its last good value, and its field keeps the text as typed, marked
as refused, so that it can be corrected (nothing a user wrote is lost), until it is
edited or the input gets another value.
"""

from __future__ import annotations

from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Input, Label

from adexplorer.base.numbers import format_value, is_summarized, summarize_value
from adexplorer.explorer.session import SEED_PLACEHOLDER
from adexplorer.tui.messages import SeedSubmitted, ValueSubmitted
from adexplorer.tui.text import PlainInput

#: The characters a field holds before it is laid out (then its own width counts).
FALLBACK_ROOM = 30
#: The seed field's placeholder in forward mode.


class InputsPanel(VerticalScroll):
    """One field per input (Enter applies); the selected input is marked ▶ for + and -."""

    DEFAULT_CSS = """
    InputsPanel {
        height: auto; max-height: 12;
        border: round $primary 50%; border-title-color: $text-muted;
    }
    InputsPanel:focus-within { border: round $accent; }
    InputsPanel > .input-row { height: 1; layout: horizontal; }
    InputsPanel Label { width: 8; }
    InputsPanel Input { width: 1fr; height: 1; border: none; padding: 0 1; }
    InputsPanel Input.-refused { color: $error; text-style: italic; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.border_title = "inputs (Enter sets)"
        self.border_subtitle = "+/- nudge ▶ · i next"
        self._names: tuple[str, ...] = ()
        self._labels: dict[str, Label] = {}
        self._shown: dict[str, str] = {}  # what each label says
        self._fields: dict[str, Input] = {}
        self._seed_field: Input | None = None
        self._seed_placeholder = SEED_PLACEHOLDER  # before it is fitted to the field
        self._seed_label: Label | None = None
        # name → (its array, the room it was made for, its summary)
        self._summaries: dict[str, tuple[object, int, str]] = {}
        # name → (the text typed and refused, the value it left in place)
        self._refused: dict[str, tuple[str, object]] = {}

    def show(
        self,
        values: dict[str, object],
        selected: str | None,
        seed: str,
        seed_placeholder: str = SEED_PLACEHOLDER,
        seed_label: str = "seed",
    ) -> None:
        """Show the values, the selected input and the seed row: ``seed`` under
        ``seed_label`` (reverse mode shows its cotangent there as ``ȳ``), with
        ``seed_placeholder`` (vector mode: an empty field whose placeholder names every
        direction, see ``Session.seed_field``)."""
        names = tuple(values)
        if names != self._names:
            self._names = names
            for row in self.query(".input-row"):
                row.remove()
            self._labels = {name: Label("") for name in names}
            self._shown = {}
            self._fields = {name: PlainInput(id=f"value-{name}") for name in names}
            self._refused = {}
            self._seed_field = PlainInput(id="seed-field", placeholder=seed_placeholder)
            rows = [
                Horizontal(self._labels[n], self._fields[n], classes="input-row") for n in names
            ]
            self._seed_label = Label(f" {seed_label}")
            rows.append(Horizontal(self._seed_label, self._seed_field, classes="input-row"))
            self.mount_all(rows)
        for name in names:
            marker = "▶" if name == selected else " "
            label = f"{marker}{name} ="
            if self._shown.get(name) != label:  # an update lays the screen out again
                self._shown[name] = label
                self._labels[name].update(label)
            field = self._fields[name]
            value = values[name]
            if self._keeps_refused(name, field, value):
                continue
            room = field.content_size.width or FALLBACK_ROOM
            text = None if is_summarized(value) else format_value(value, 12)
            if text is None or len(text) > room:
                kept = self._summaries.get(name)
                if kept is None or kept[0] is not value or kept[1] != room:  # once per array
                    kept = (value, room, summarize_value(value, width=room))
                    self._summaries[name] = kept
                if field.placeholder != kept[2]:
                    field.placeholder = kept[2]
                if not field.has_focus and field.value:
                    field.value = ""
                continue
            self._summaries.pop(name, None)
            field.placeholder = ""
            if not field.has_focus and field.value != text:
                field.value = text
        if self._seed_label is not None and str(self._seed_label.content) != f" {seed_label}":
            self._seed_label.update(f" {seed_label}")
        seed_field = self._seed_field
        if seed_field is None:
            return
        self._seed_placeholder = seed_placeholder
        self._fit_seed_placeholder()
        if not seed_field.has_focus and seed_field.value != seed:
            seed_field.value = seed

    def keep_refused(self, name: str, text: str, value: object) -> None:
        """``text`` was refused for input ``name``, whose value stays ``value``: its field
        keeps the text (marked) until it is edited or the input gets another value."""
        field = self._fields.get(name)
        if field is None:
            return
        self._refused[name] = (text, value)
        field.value = text
        field.add_class("-refused")

    def _keeps_refused(self, name: str, field: Input, value: object) -> bool:
        """Whether the field still shows a refused text to keep (the value it left in
        place unchanged, the text not edited since); else forget it."""
        refused = self._refused.get(name)
        if refused is not None and refused[1] is value and field.value == refused[0]:
            return True
        if refused is not None:
            del self._refused[name]
            field.remove_class("-refused")
        return False

    def _fit_seed_placeholder(self) -> None:
        """The seed field's placeholder, cut at its colon if the field is too narrow
        ("all 12 directions: x1, …" → "all 12 directions")."""
        field = self._seed_field
        if field is None:
            return
        text = self._seed_placeholder
        if len(text) > (field.content_size.width or FALLBACK_ROOM):
            text = text.partition(":")[0]
        if field.placeholder != text:
            field.placeholder = text

    def on_resize(self) -> None:
        self.call_after_refresh(self._fit_seed_placeholder)  # once the field has its width

    def on_input_changed(self, event: Input.Changed) -> None:
        """Once a refused text is edited it is no longer the refused one."""
        name = (event.input.id or "").removeprefix("value-")
        refused = self._refused.get(name)
        if refused is not None and event.value != refused[0]:
            del self._refused[name]
            event.input.remove_class("-refused")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        field_id = event.input.id or ""
        if field_id == "seed-field":
            self.post_message(SeedSubmitted(event.value))
        elif field_id.startswith("value-"):
            name = field_id.removeprefix("value-")
            if not event.value.strip() and name in self._summaries:
                return  # a tensor's field left empty: its value stays
            self.post_message(ValueSubmitted(field_id.removeprefix("value-"), event.value))
