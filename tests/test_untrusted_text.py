"""Text from users and lesson files is shown literally on every CLI surface.

Markup (``[bold]``, ``[@click=…]``, ``[link=…]``, an unbalanced ``[/]``) stays as
typed, and control characters (ESC, OSC, CSI, C1, bidi overrides) reach the
terminal only as visible escapes.  Output is checked byte by byte.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from adexplorer.base.text import has_unsafe, json_dumps, visible
from adexplorer.cli.main import cli
from tests.json_contract import assert_valid_text
from tests.test_cli_eval import COMMAND

MARKUP = ["[bold]x[/]", "[@click=app.quit]q", "[link=https://example.org]l[/link]", "[/]", "[e,pi]"]
CONTROLS = {
    "ESC": "\x1b",
    "OSC title": "\x1b]0;PWNED\x07",
    "OSC 52 clipboard": "\x1b]52;c;SGVsbG8=\x07",
    "CSI clear": "\x1b[2J",
    "C1 CSI": "\x9b31m",
    "bell and backspace": "\x07\x08",
    "carriage return": "\r",
    "RLO": "\u202e",
    "LRI": "\u2066",
}
#: Bytes that must never reach a terminal from adx's own output when it is piped.
RAW_CONTROL = re.compile(
    rb"[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]|\xe2\x80[\xaa-\xae]|\xe2\x81[\xa6-\xa9]"
)


def _run(*args: str) -> tuple[int, bytes, bytes]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout_bytes, result.stderr_bytes or b""


def _assert_clean(*outputs: bytes) -> None:
    for out in outputs:
        match = RAW_CONTROL.search(out)
        assert match is None, f"raw control byte {match.group()!r} in {out[:400]!r}"


def test_visible_escapes_each_control_and_keeps_text() -> None:
    assert visible("a\x1b[31mb") == "a\\x1b[31mb"
    assert visible("x\u202ey") == "x\\u202ey"
    assert visible("line\nnext") == "line\nnext"
    assert visible("tab\there", keep="") == "tab\\x09here"
    assert visible("\udc9b") == "\\x9b"  # a byte that was not UTF-8
    assert visible("αβγ ∂ ·") == "αβγ ∂ ·"
    for text in CONTROLS.values():
        assert not has_unsafe(visible(text))


def test_json_keeps_exact_characters_escaped() -> None:
    data = {k: v for k, v in CONTROLS.items()}
    text = json_dumps(data, indent=1)
    assert json.loads(text) == data
    assert not has_unsafe(text)


@pytest.mark.parametrize("payload", MARKUP + list(CONTROLS.values()), ids=repr)
def test_eval_program_comment_and_title(tmp_path: Path, payload: str) -> None:
    program = tmp_path / "p.adx"
    program.write_text(f"# {payload}\nx: real = 2\nreturn x*x  # {payload}\n")
    code, out, err = _run("eval", str(program))
    assert code == 0, err
    _assert_clean(out, err)
    code, out, err = _run("eval", f"x*x # {payload}", "--at", "x=2")
    assert code == 0, err
    _assert_clean(out, err)
    if payload in MARKUP:
        assert payload.encode() in out  # shown exactly as typed, not styled


@pytest.mark.parametrize("name", list(CONTROLS))
def test_errors_show_controls_visibly_with_the_caret_in_place(name: str) -> None:
    payload = CONTROLS[name]
    code, out, err = _run("eval", f"x + {payload} y", "--at", "x=1")
    assert code == 1
    _assert_clean(out, err)
    lines = err.decode().splitlines()
    excerpt, caret = lines[1], lines[2]
    column = caret.index("^")
    assert excerpt[column] == "\\", (excerpt, caret)  # the caret is under the escape
    code, out, err = _run("eval", "x", "--at", f"x={payload}")
    assert code == 1
    _assert_clean(out, err)


@pytest.mark.parametrize("payload", MARKUP + list(CONTROLS.values()), ids=repr)
def test_json_errors_and_reports(payload: str) -> None:
    code, out, err = _run("eval", f"x + {payload}", "--json")
    assert code == 1
    _assert_clean(out, err)
    error = assert_valid_text(out)["error"]
    assert error["kind"] in ("parse", "input") and error["message"]
    code, out, _ = _run("eval", f"x # {payload}", "--at", "x=1", "--json")
    assert code == 0
    _assert_clean(out)
    assert assert_valid_text(out)["source"].endswith(payload) or payload in json.dumps(
        json.loads(out)
    )


@pytest.mark.parametrize("payload", ["[bold]x[/]", "[/]", "\x1b]0;PWNED\x07", "\u202e"], ids=repr)
def test_fd_and_swell(payload: str) -> None:
    for args in (
        ["fd", f"sin(x) # {payload}", "--at", "x=1", "--plot"],
        ["swell", f"sin(x)*x # {payload}"],
        ["swell", "--family", f"sin(#) # {payload}", "--n", "1:3"],
        ["fd", f"sin(x) + {payload}", "--at", "x=1"],
    ):
        code, out, err = _run(*args)
        assert code in (0, 1), (args, err)
        _assert_clean(out, err)


LESSON = """---
id: hostile
title: "Title {p}"
summary: "Summary {p}"
order: 1
---

Intro {p} with a [link](https://example.org).

## Step {p}

Prose {p}.

```adx-explore
program: x*x  # {p}
at: x=3
```

```adx-exercise
id: q1
kind: choice
question: Question {p}?
choices:
  - "choice {p}"
  - other
answer: b
```
"""


@pytest.mark.parametrize("payload", ["[bold]x[/]", "[/]", "[@click=app.quit]q", "\\x1b]0;T\\x07"])
def test_lesson_show_check_and_list(
    tmp_path: Path, payload: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The payload is written with YAML/Markdown escapes where needed; the raw ESC
    # reaches the text through the double-quoted YAML strings' \\x1b.
    monkeypatch.setenv("ADX_DATA_DIR", str(tmp_path / "data"))
    path = tmp_path / "course" / "hostile.md"
    path.parent.mkdir()
    path.write_text(LESSON.replace("{p}", payload))
    for args in (
        ["lesson", "show", str(path), "--answers"],
        ["lesson", "check", str(path)],
        ["lesson", "list", "--dir", str(path.parent)],
    ):
        code, out, err = _run(*args)
        assert code in (0, 1), (args, out, err)
        _assert_clean(out, err)
        if payload.startswith("[") and args[1] == "show":
            assert payload.encode() in out  # as written, in the title, prose and choices


def test_styled_output_holds_only_adx_own_sgr_codes(tmp_path: Path) -> None:
    """With colour forced on, every escape in the output is a plain SGR (colour) code."""
    env = {**os.environ, "FORCE_COLOR": "1", "TERM": "xterm-256color", "COLUMNS": "120"}
    env.pop("NO_COLOR", None)
    payload = "\x1b]0;PWNED\x07\x1b[2J\u202e"
    result = subprocess.run(
        [*COMMAND, "eval", f"x*x # {payload}", "--at", "x=2"],
        capture_output=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0
    assert b"\x1b[" in result.stdout  # colour is on
    leftover = re.sub(rb"\x1b\[[0-9;]*m", b"", result.stdout + result.stderr)
    _assert_clean(leftover)
    no_color = subprocess.run(
        [*COMMAND, "eval", f"x*x # {payload}", "--at", "x=2"],
        capture_output=True,
        env={**env, "NO_COLOR": "1"},
        timeout=60,
        check=False,
    )
    assert b"\x1b" not in no_color.stdout + no_color.stderr
