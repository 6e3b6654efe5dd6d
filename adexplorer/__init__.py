"""AD Explorer (adx): watch automatic differentiation work, step by step.

The package is layered, one folder per layer (see docs/architecture.md)::

    base -> core -> lang -> compare -> reports -> render / explorer / lessons -> cli / tui

Each folder's ``__init__`` says what lives there and what it may import;
tests/test_architecture.py enforces it.  Only the views (``render``, ``tui``, ``cli``
and the display methods of ``api``) import rich, only ``tui`` textual; everything
below them is plain Python and numpy.

The Python API (``api.py``, documented in docs/api.md) is re-exported here and loaded
on first use, so ``import adexplorer`` (and ``adx eval``) costs nothing for it::

    >>> import adexplorer
    >>> adexplorer.trace("x^2", x=3).gradient
    {'x': 6.0}
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from adexplorer.api import (
        AdxError,
        HessianResult,
        Program,
        Step,
        TraceResult,
        hessian,
        hvp,
        program,
        trace,
    )

#: The stable names of the Python API (docs/api.md), all from ``adexplorer.api``.
__all__ = [
    "AdxError",
    "HessianResult",
    "Program",
    "Step",
    "TraceResult",
    "__version__",
    "hessian",
    "hvp",
    "program",
    "trace",
]


def __getattr__(name: str) -> Any:
    """Load ``adexplorer.api`` when one of its names is first asked for (PEP 562)."""
    if name in __all__ and name != "__version__":
        from adexplorer import api

        value = getattr(api, name)
        globals()[name] = value  # later lookups skip this function
        return value
    raise AttributeError(f"module 'adexplorer' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
