"""The ``adx`` console script: the command line, loaded so that Ctrl-C is never a traceback.

Loading the command line (click, numpy, the commands) takes a few tenths of a
second; an interrupt then would otherwise end in a Python traceback, before
:func:`adexplorer.cli.main.main` and its exit-status contract are in place.

Shell completion goes through here too: click answers when ``_ADX_COMPLETE`` is
set (``bash_source``, ``zsh_source``, ``fish_source`` print the script a shell
loads; ``*_complete`` answers one completion request), because
:func:`~adexplorer.cli.main.main` runs the group under the program name ``adx``.
An instruction click does not know would end silently with status 1: it gets a
line saying what would work.
"""

from __future__ import annotations

import os
import sys

#: The variable click's completion protocol reads for the program name ``adx``.
COMPLETE_VAR = "_ADX_COMPLETE"
SHELLS = ("bash", "zsh", "fish")


def _completion_instruction_is_known(instruction: str) -> bool:
    shell, _, action = instruction.partition("_")
    return shell in SHELLS and action in ("source", "complete")


def run() -> None:
    """Load the command line and run it; an interrupt while loading exits 130 too."""
    instruction = os.environ.get(COMPLETE_VAR)
    if instruction and not _completion_instruction_is_known(instruction):
        sys.stderr.write(
            f"adx: {COMPLETE_VAR}={instruction!r} is not a completion instruction; "
            f"use {COMPLETE_VAR}=bash_source, zsh_source or fish_source\n"
        )
        sys.exit(2)
    try:
        from adexplorer.cli.main import main
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)
    main()
