"""The documentation is true to the code: its commands run and its programs compile."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from adexplorer.cli.main import cli
from adexplorer.core.trace import run
from adexplorer.lang.lower import compile_source

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
LANGUAGE = (ROOT / "docs" / "language.md").read_text()


def readme_commands() -> list[str]:
    inline = re.findall(r"`(adx (?:eval|fd|swell) [^`]+)`", README)
    prompts = re.findall(r"^\$ (adx eval .+)$", README, flags=re.MULTILINE)
    prompts += re.findall(r"^(adx (?:fd|swell) .+)$", README, flags=re.MULTILINE)
    commands = [c for c in inline + prompts if ".adx" not in c]
    # skip mentions like `adx eval --json` that name a flag, not a command to run
    return [c for c in commands if not all(a.startswith("-") for a in shlex.split(c)[2:])]


def code_blocks(text: str) -> list[str]:
    """The contents of untagged ``` fences (tagged ones, like ```sh, are shell)."""
    blocks: list[str] = []
    current: list[str] | None = None
    for line in text.splitlines():
        if line.startswith("```"):
            if current is None:
                current = [] if line == "```" else ["<tagged>"]
            else:
                if current[:1] != ["<tagged>"]:
                    blocks.append("\n".join(current) + "\n")
                current = None
        elif current is not None:
            current.append(line)
    return blocks


@pytest.mark.parametrize("command", readme_commands())
def test_readme_commands_run(command: str) -> None:
    args = shlex.split(command)[1:]
    result = CliRunner().invoke(cli, args)
    expected = 1 if "* x2" in command else 0  # the README's error example
    assert result.exit_code == expected, result.output


def test_readme_program_file_example(tmp_path: Path) -> None:
    block = next(b for b in code_blocks(README) if b.startswith("# survey.adx"))
    path = tmp_path / "survey.adx"
    path.write_text(block)
    result = CliRunner().invoke(cli, ["eval", str(path), "--json"])
    assert result.exit_code == 0, result.output
    assert '"value": 11.652071455223084' in result.output


def test_readme_control_flow_example(tmp_path: Path) -> None:
    block = next(b for b in code_blocks(README) if b.startswith("# horner.adx"))
    path = tmp_path / "horner.adx"
    path.write_text(block)
    result = CliRunner().invoke(cli, ["eval", str(path)])
    assert result.exit_code == 0, result.output
    assert "line 6: p > 3 is true, so the if branch runs" in result.output
    assert "i=3" in result.output
    # at x = 0, p = 1: the else branch, whose value 3 does not depend on x
    result = CliRunner().invoke(cli, ["eval", str(path), "--at", "x=0", "--json"])
    assert result.exit_code == 0, result.output
    assert '"taken": "else"' in result.output
    assert '"gradient": {"x": 0.0}' in result.output


@pytest.mark.parametrize("block", [b for b in code_blocks(LANGUAGE) if ":" in b or "return" in b])
def test_language_reference_programs_compile(block: str) -> None:
    graph = compile_source(block).graph
    bindings = {
        graph.nodes[i].name: 0.1 for i in graph.inputs if graph.nodes[i].name not in graph.defaults
    }
    trace = run(graph, bindings, "reverse")
    assert trace.gradient()


def test_readme_quick_start_commands_match_ci() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    assert "pip install --quiet '.[test,dev]'" in ci
    assert "pip install '.[test,dev]'" in README
    assert "python -m pytest" in README and "python -m pytest" in ci


def test_the_lesson_format_example_is_a_valid_lesson(tmp_path: Path) -> None:
    from adexplorer.lessons.checker import check_paths

    text = (ROOT / "docs" / "lesson-format.md").read_text()
    example = text.split("`````markdown\n", 1)[1].split("`````", 1)[0]
    path = tmp_path / "example.md"
    path.write_text(example)
    lessons, problems = check_paths([path])
    assert problems == [] and len(lessons) == 1
    assert len(lessons[0].exercises()) == 2


def test_the_limits_page_lists_every_limit() -> None:
    from adexplorer.base.limits import limits_markdown

    page = (ROOT / "docs" / "limits.md").read_text()
    assert limits_markdown() in page


def test_the_security_page_names_tests_that_exist() -> None:
    import re

    page = (ROOT / "docs" / "security.md").read_text()
    for name in re.findall(r"`(test_\w+\.py)(?:::(\w+))?`", page):
        module, function = name
        path = ROOT / "tests" / module
        assert path.exists(), module
        if function:
            assert f"def {function}(" in path.read_text(), f"{module}::{function}"
