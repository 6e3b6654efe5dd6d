"""AD Explorer (adx): watch automatic differentiation work, step by step.

The package is layered, one folder per layer (see docs/architecture.md)::

    base -> core -> lang -> compare -> reports -> render / explorer / lessons -> cli / tui

Each folder's ``__init__`` says what lives there and what it may import;
tests/test_architecture.py enforces it.  Only ``render`` and ``tui`` import rich
or textual; everything below them is plain Python and numpy.
"""

__version__ = "0.1.0"
