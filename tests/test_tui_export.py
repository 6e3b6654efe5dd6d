"""The explorer's export action (key x): a picker of every format, a fresh file each time."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pydot
import pytest

from adexplorer.explorer.session import Session
from adexplorer.exports.graphs import graph_mermaid
from adexplorer.exports.tables import trace_latex, trace_markdown
from adexplorer.lessons.catalog import find
from adexplorer.lessons.progress import Progress
from adexplorer.tui.app import ExplorerApp
from adexplorer.tui.lesson_app import LessonApp
from adexplorer.tui.screens.export_screen import FORMAT_KEYS, ExportScreen
from tests.json_contract import assert_valid
from tests.tui_helpers import settle

SURVEY = "ln(x1) + x1*x2 - sin(x2)"


def messages(app: Any) -> list[str]:
    return [str(n.message) for n in app._notifications]


def survey_app(folder: Path) -> ExplorerApp:
    return ExplorerApp(Session.start(SURVEY, {"x1": 2, "x2": 5}), export_dir=folder)


@pytest.mark.parametrize("name", list(FORMAT_KEYS))
async def test_each_letter_writes_its_format_to_a_new_file(tmp_path: Path, name: str) -> None:
    app = survey_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("end", "x")
        await pilot.pause()
        assert isinstance(app.screen, ExportScreen)
        await pilot.press(FORMAT_KEYS[name])
        await settle(pilot)
        assert not isinstance(app.screen, ExportScreen)
        files = list(tmp_path.iterdir())
        assert len(files) == 1
        path = files[0]
        assert re.fullmatch(r"adx-(trace|graph|screen)-\d{8}-\d{6}\.\w+", path.name)
        assert f"saved {path}" in messages(app)  # the full path
        text = path.read_text()
        trace = app.session.trace
        assert trace is not None
        if name == "latex":
            assert text == trace_latex(trace, standalone=True)
        elif name == "markdown":
            assert text == trace_markdown(trace)
        elif name == "dot":
            assert pydot.graph_from_dot_data(text)
        elif name == "mermaid":
            assert text == graph_mermaid(trace)
        elif name == "svg":
            assert text.lstrip().startswith("<svg") and "11.6521" in text
        elif name == "json":
            assert_valid(json.loads(text))  # adx.eval/1, against its JSON Schema
        else:
            assert text.startswith(f"# {SURVEY}\n# mode: reverse\n")


@pytest.mark.parametrize("size", [(80, 24), (130, 40), (200, 60)])
async def test_the_picker_shows_every_format_at_once(tmp_path: Path, size: tuple[int, int]) -> None:
    from textual.widgets import OptionList

    app = survey_app(tmp_path)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, ExportScreen)
        options = app.screen.query_one(OptionList)
        assert options.option_count == len(FORMAT_KEYS)
        assert options.max_scroll_y == 0  # nothing scrolled off: all seven in view
        region = options.region
        assert region.height >= len(FORMAT_KEYS)
        assert region.y >= 0 and region.bottom <= size[1]
        help_line = app.screen.query_one("#export-help").region
        assert help_line.bottom <= size[1]


async def test_arrows_and_enter_pick_escape_cancels_and_names_never_repeat(
    tmp_path: Path,
) -> None:
    app = survey_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("x")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ExportScreen)
        assert list(tmp_path.iterdir()) == []  # Esc: nothing written
        await pilot.press("x")
        await pilot.pause()
        await pilot.press("down", "enter")  # the second format: Markdown
        await settle(pilot)
        await pilot.press("x", "m")  # again: a second file, never the first overwritten
        await settle(pilot)
        names = sorted(p.name for p in tmp_path.iterdir())
        assert len(names) == 2 and all(n.endswith(".md") for n in names)
        assert names[0] != names[1]


async def test_dual_mode_exports_dual_numbers(tmp_path: Path) -> None:
    app = survey_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        assert app.session.mode == "dual"
        await pilot.press("x", "m")
        await settle(pilot)
        text = next(tmp_path.glob("*.md")).read_text()
        assert "**Forward mode as dual numbers**" in text
        assert "`10 + 5ε`" in text  # v2 = x1·x2 with ẋ1 = 1: 10 + 5ε


async def test_second_order_mode_refuses_tables_and_keeps_json(tmp_path: Path) -> None:
    app = survey_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("H")
        await settle(pilot)
        assert app.session.second is not None
        await pilot.press("x", "l")
        await settle(pilot)
        assert list(tmp_path.iterdir()) == []
        assert any("second-order mode exports JSON, text or SVG" in m for m in messages(app))
        await pilot.press("x", "j")
        await settle(pilot)
        (path,) = tmp_path.iterdir()
        data = json.loads(path.read_text())
        assert "second_order" in data
        assert_valid(data)


async def test_the_lesson_player_exports_too_but_hides_open_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the player's explorer exports to the working folder
    app = LessonApp(find("reverse-mode"), Progress(tmp_path / "p.json"))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("x", "s")
        await settle(pilot)
        assert len(list(tmp_path.glob("adx-screen-*.svg"))) == 1
        assert app.session.mask is not None  # open exercises: tables would give them away
        await pilot.press("x", "m")
        await settle(pilot)
        assert list(tmp_path.glob("*.md")) == []
        assert any("an open exercise hides answers" in m for m in messages(app))
