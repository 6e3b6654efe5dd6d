"""The ``adx`` console script: the command line, loaded so that Ctrl-C is never a traceback.

Loading the command line (click, numpy, the commands) takes a few tenths of a
second; an interrupt then would otherwise end in a Python traceback, before
:func:`adexplorer.cli.main.main` and its exit-status contract are in place.
"""

from __future__ import annotations

import sys


def run() -> None:
    """Load the command line and run it; an interrupt while loading exits 130 too."""
    try:
        from adexplorer.cli.main import main
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)
    main()
