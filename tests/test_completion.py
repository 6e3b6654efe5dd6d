"""Shell completion through the ``adx`` console script (click's ``_ADX_COMPLETE``
protocol; the README shows one line per shell)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ADX = shutil.which("adx", path=str(Path(sys.executable).parent))
# The console script (adexplorer.cli.entry:run) when installed; else the same entry.
COMMAND = [ADX] if ADX else [sys.executable, "-c", "from adexplorer.cli.entry import run; run()"]


def complete(instruction: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        COMMAND,
        capture_output=True,
        text=True,
        env={**os.environ, "_ADX_COMPLETE": instruction, **env},
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("shell", "marks"),
    [
        ("bash", ["_adx_completion()", "complete -o nosort -F _adx_completion adx"]),
        ("zsh", ["#compdef adx", "_adx_completion"]),
        ("fish", ["function _adx_completion", "complete --no-files --command adx"]),
    ],
)
def test_the_completion_script_is_produced_for_each_shell(shell: str, marks: list[str]) -> None:
    result = complete(f"{shell}_source")
    assert result.returncode == 0, result.stderr
    for mark in marks:
        assert mark in result.stdout
    assert "_ADX_COMPLETE" in result.stdout  # the script calls adx back with the protocol
    readme = (ROOT / "README.md").read_text()
    assert f"_ADX_COMPLETE={shell}_source adx" in readme


def bash_words(line: str, cword: int) -> list[str]:
    result = complete("bash_complete", COMP_WORDS=line, COMP_CWORD=str(cword))
    assert result.returncode == 0, result.stderr
    return [entry.partition(",")[2] for entry in result.stdout.splitlines()]


def test_completing_a_command_name() -> None:
    assert bash_words("adx ev", 1) == ["eval"]
    everything = bash_words("adx ", 1)
    assert {"eval", "explore", "fd", "swell", "lesson", "functions"} <= set(everything)


def test_completing_options_and_their_choices() -> None:
    assert "--mode" in bash_words("adx eval x --mo", 3)
    assert bash_words("adx eval x --mode ", 4) == ["reverse", "forward", "evaluate"]
    assert bash_words("adx eval x --numbering w", 4) == ["wengert"]


def test_zsh_and_fish_requests_are_answered() -> None:
    zsh = complete("zsh_complete", COMP_WORDS="adx ev", COMP_CWORD="1")
    assert zsh.returncode == 0 and "eval" in zsh.stdout.split("\n")
    fish = complete("fish_complete", COMP_WORDS="adx ev", COMP_CWORD="ev")
    assert fish.returncode == 0
    assert any(line.startswith("plain,eval\t") for line in fish.stdout.split("\n"))


def test_an_unknown_instruction_says_what_works() -> None:
    result = complete("tcsh_source")
    assert result.returncode == 2 and result.stdout == ""
    assert "bash_source, zsh_source or fish_source" in result.stderr
    assert "Traceback" not in result.stderr
