"""The ``adx`` command line (click commands only).

Rich is imported only when a table is printed, and Textual only inside the
commands that open an app, so scripted commands start quickly.

May import: every layer; ``tui`` only inside a function (lazily).
"""
