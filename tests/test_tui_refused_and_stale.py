"""The explorer after the fresh-eyes test: an export says when the editor holds a program
that does not parse, and a refused value keeps both the old value and the text typed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from textual.widgets import Input, TextArea

from adexplorer.explorer.session import Session
from adexplorer.exports.tables import trace_markdown
from adexplorer.tui.app import ExplorerApp
from adexplorer.tui.explorer_view import ExplorerView
from tests.tui_helpers import settle

SURVEY = "ln(x1) + x1*x2 - sin(x2)"


def messages(app: Any) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_exporting_while_the_editor_does_not_parse_says_what_was_exported(
    tmp_path: Path,
) -> None:
    app = ExplorerApp(Session.start(SURVEY, {"x1": 2, "x2": 5}), export_dir=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("end")
        trace = app.session.trace  # the program that runs, before the edit
        await pilot.press("e")
        area = app.query_one("#source", TextArea)
        area.text = "ln(x1) + * x2"
        await settle(pilot)
        assert app.session.error is not None and app.session.error.kind == "parse"
        await pilot.press("escape", "x", "m")
        await settle(pilot)
        (path,) = tmp_path.glob("adx-trace-*.md")
        said = messages(app)[-1]
        assert said.startswith(f"saved {path}; the text being edited does not parse (")
        assert said.endswith(f": exported the last valid program, f = {SURVEY}")
        assert trace is not None and path.read_text() == trace_markdown(trace)
        # once the text is valid again the export is of it, and says nothing more
        area.text = "x1*x2"
        await settle(pilot)
        await pilot.press("escape", "x", "m")
        await settle(pilot)
        newest = max(tmp_path.glob("adx-trace-*.md"), key=lambda p: p.stat().st_mtime_ns)
        assert newest != path and messages(app)[-1] == f"saved {newest}"


@pytest.mark.parametrize(
    ("program", "values"),
    [(SURVEY, {"x1": 2.0, "x2": 5.0}), ("v: vec[20]; return sum(v*v)", {})],
    ids=["scalar", "tensor"],
)
async def test_a_refused_file_value_keeps_the_value_and_the_text_typed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, program: str, values: dict[str, float]
) -> None:
    monkeypatch.setenv("ADX_SERVE_DIR", str(tmp_path))  # a served session reads only here
    app = ExplorerApp(Session.start(program, values), export_dir=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        before = {name: np.array(value) for name, value in app.session.values.items()}
        name = next(iter(before))
        field = app.query_one(f"#value-{name}", Input)
        others = {
            other: app.query_one(f"#value-{other}", Input).value
            for other in before
            if other != name
        }
        field.focus()
        field.value = "@../outside.npy"
        await pilot.press("enter")
        await settle(pilot)
        assert "leads outside" in messages(app)[-1]  # the error is shown
        app.query_one(ExplorerView).focus_graph()  # away from the field …
        await pilot.press("end", "home")  # … and the view redrawn
        await settle(pilot)
        assert field.value == "@../outside.npy"  # the text typed is kept, to be corrected
        assert field.has_class("-refused")
        for other, text in others.items():
            assert app.query_one(f"#value-{other}", Input).value == text
        now = app.session.values
        assert set(now) == set(before)
        for key, value in before.items():
            np.testing.assert_array_equal(now[key], value)  # every value as it was
        # corrected: applied, and no longer marked
        field.focus()
        field.value = "3"
        await pilot.press("enter")
        await settle(pilot)
        assert not field.has_class("-refused")
        np.testing.assert_array_equal(app.session.values[name], np.full(before[name].shape, 3.0))
