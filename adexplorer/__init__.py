"""AD Explorer (adx): watch automatic differentiation work, step by step.

The package is layered (see docs/architecture.md):

    parse -> lower (typed Wengert list, ``ir``) -> engines -> trace -> views

Only the views (``adexplorer.cli.render`` and the Textual app) import rich or
textual; everything below them is plain Python and numpy.
"""

__version__ = "0.1.0"
