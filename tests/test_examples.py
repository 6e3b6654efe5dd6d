"""Every example a user can copy, from every ``--help`` and from the README, runs as promised.

Examples come from the help epilogs ("Examples:" blocks) and from the README's
command lines and tables.  Each runs through the real entry point; the ones
that open a terminal app are left to the TUI tests, and the ones the README
shows failing on purpose must fail with exit status 1, not crash.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest

from tests.json_contract import assert_valid_text
from tests.test_cli_eval import COMMAND

ROOT = Path(__file__).resolve().parent.parent
#: Shown failing on purpose, to demonstrate an error message.
FAILS_ON_PURPOSE = {"adx eval 'ln(x1) + * x2' --at x1=1,x2=2"}


def _help_examples() -> list[str]:
    found = []
    for command in (["eval"], ["fd"], ["swell"], ["check"]):
        text = subprocess.run(
            [*COMMAND, *command, "--help"], capture_output=True, text=True, check=True
        ).stdout
        block = text.split("Examples:", 1)[1].split("\n\n", 1)[0]
        found += [line.strip() for line in block.splitlines() if line.strip().startswith("adx ")]
    return found


def _readme_examples() -> list[str]:
    text = (ROOT / "README.md").read_text()
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("$ adx "):
            found.append(line[2:])
        elif line.startswith("adx ") and "EXPR_OR_FILE [" not in line:
            found.append(line)
        # inline examples in the prose and tables, not bare mentions of a command
        found += [m for m in re.findall(r"`(adx [^`]+)`", line) if len(m.split()) >= 3]
    return found


def _clean(example: str) -> str:
    """The command alone: no shell comment, no explanation in parentheses."""
    example = re.sub(r"\s+\((explains|the logistic|with if/for)[^)]*\)$", "", example)
    return shlex.join(shlex.split(example, comments=True))


EXAMPLES = sorted({_clean(e) for e in _help_examples() + _readme_examples()})


def test_examples_were_found() -> None:
    assert len(EXAMPLES) >= 25, EXAMPLES


@pytest.mark.parametrize("example", EXAMPLES)
def test_example_runs(example: str, tmp_path: Path) -> None:
    if example.startswith("echo "):
        pytest.skip("a pipeline; stdin is covered by test_cli_source_rule")
    words = shlex.split(example)[1:]
    if not words or words[0] == "explore" or words[:2] == ["lesson", "open"]:
        return  # a terminal app: the Pilot tests drive it
    if "program.adx" in words or "survey.adx" in words:
        name = "program.adx" if "program.adx" in words else "survey.adx"
        (tmp_path / name).write_text(
            "x1: real = 2\nx2: real = 5\nx: real = 1\nreturn x1*x2 + sin(x)\n"
        )
    if "horner.adx" in words:  # the README's control-flow program
        readme = (ROOT / "README.md").read_text()
        block = readme.split("# horner.adx", 1)[1].split("```", 1)[0]
        (tmp_path / "horner.adx").write_text("# horner.adx" + block)
    words = [str(ROOT / w) if w.startswith("examples/") else w for w in words]
    if "@start.npz" in words:  # the README's second training command needs the first's file
        made = subprocess.run(
            [*COMMAND, "values", str(ROOT / "examples/network.adx"), "--save", "start.npz"],
            cwd=tmp_path,
            capture_output=True,
            check=False,
        )
        assert made.returncode == 0, made.stderr
    if "lessons/" in words:
        words = [str(ROOT / "lessons") if w == "lessons/" else w for w in words]
    result = subprocess.run(
        [*COMMAND, *words],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=False,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "ADX_DATA_DIR": str(tmp_path / "data")},
    )
    # adx check exits 1 when it finds the rule an example broke on purpose with --break
    expected = (
        1 if example in FAILS_ON_PURPOSE or (words[0] == "check" and "--break" in words) else 0
    )
    assert result.returncode == expected, f"{example}\n{result.stdout[-2000:]}\n{result.stderr}"
    assert "Traceback" not in result.stderr
    if "--json" in words:  # what a script reads follows its schema
        assert_valid_text(result.stdout)
