"""The parser is generated from the grammar, committed, and loads nothing from outside adx.

adx used to build its parser with lark's ``cache=True``, which unpickles a file
at a predictable name in the shared temp directory: on a machine with several
accounts, anyone could plant a pickle there that runs as the student.  Now the
parser is lark's standalone parser, generated into
``adexplorer/lang/_parser_standalone.py`` by ``tools/regen_parser.py``.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from lark import Lark

from adexplorer.base.resources import grammar_path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "adexplorer"
#: The options adx built its parser with before the standalone parser.
OLD_OPTIONS = {
    "parser": "lalr",
    "lexer": "basic",
    "start": ["program", "bindings"],
    "propagate_positions": False,
    "maybe_placeholders": False,
}


def test_the_committed_parser_is_generated_from_the_current_grammar() -> None:
    """Fails when grammars/adx.lark changed but the parser was not regenerated."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "regen_parser.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_nothing_in_the_package_asks_lark_for_a_cache() -> None:
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "cache=True" not in text.replace(" ", ""), path


class _Trap:
    """Unpickling this creates ``marker``: what an attacker's code would run instead."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[Path]]:
        return Path.touch, (self.marker,)


def _adx(*args: str, tmpdir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TMPDIR": str(tmpdir), "TEMP": str(tmpdir), "TMP": str(tmpdir)}
    return subprocess.run(
        [sys.executable, "-m", "adexplorer", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env=env,
    )


def test_a_pickle_planted_at_the_old_parser_cache_is_never_loaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = tmp_path / "shared-tmp"
    shared.mkdir()
    marker = tmp_path / "the-trap-was-sprung"
    grammar = grammar_path().read_text(encoding="utf-8")
    # Find the exact file the old adx read: let lark write its cache in `shared`.
    monkeypatch.setattr(tempfile, "tempdir", str(shared))
    Lark(grammar, cache=True, **OLD_OPTIONS)
    cache_files = sorted(shared.glob(".lark_cache_*"))
    assert cache_files

    def plant() -> None:
        for path in cache_files:
            path.write_bytes(b"0" * 64 + b"\n" + pickle.dumps(_Trap(marker)))

    # The trap is real: building the parser the old way springs it.
    plant()
    Lark(grammar, cache=True, **OLD_OPTIONS)
    assert marker.exists()
    marker.unlink()

    plant()
    ok = _adx("eval", "ln(x1) + x1*x2 - sin(x2)", "--at", "x1=2,x2=5", "--json", tmpdir=shared)
    assert ok.returncode == 0, ok.stderr
    broken = _adx("eval", "x +", "--at", "x=1", tmpdir=shared)  # the error classifier parses too
    assert broken.returncode == 1
    assert "missing its right-hand operand" in broken.stdout + broken.stderr
    assert not marker.exists()


def test_adx_eval_does_not_import_lark() -> None:
    probe = (
        "import sys\n"
        "from adexplorer.cli.main import main\n"
        "for args in (['eval', 'x*y', '--at', 'x=1,y=2', '--json'], ['eval', '2 x']):\n"
        "    sys.argv = ['adx', *args]\n"
        "    try:\n"
        "        main()\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print(sorted(m for m in sys.modules if m == 'lark' or m.startswith('lark.')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert result.stdout.strip().splitlines()[-1] == "[]"
