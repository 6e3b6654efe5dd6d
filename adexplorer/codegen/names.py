"""Python identifiers and literals for generated code.

Generated names follow adx's trace.  A Griewank label becomes an identifier by
writing its minus sign as an underscore (``v-1`` → ``v_1``, ``v3`` stays ``v3``);
tangents and adjoints add ``_dot`` and ``_bar`` (``v3_dot``, ``v_1_bar``).

A user's name (an input, a variable, an output) is kept as the grammar accepted
it, with one exception: a name that Python reserves (``lambda``, ``None``), that
the generated code uses itself (``np``, ``range``, ``reversed``, ``stack``), that
looks like a generated name (``v3``, ``v_1``) or ends in ``_dot`` or ``_bar``
gets a trailing underscore, and more underscores until it is unique.  So a
user's name never clashes with a generated one, and ``x`` and ``x_dot`` stay
apart (``x_dot`` becomes ``x_dot_``).
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterable

import numpy as np

from adexplorer.base.shapes import Array, Shape
from adexplorer.core.primitives import numpy_literal

#: Names the generated code itself uses (beside the generated v-names).
RESERVED = frozenset(
    {"np", "numpy", "range", "reversed", "float", "stack", "branch", "f_jvp", "f_vjp"}
)
_GENERATED = re.compile(r"v_?\d+")


def label_name(label: str) -> str:
    """A Griewank label as a Python identifier: ``v-1`` → ``v_1``."""
    return label.replace("-", "_")


def needs_underscore(name: str) -> bool:
    return (
        keyword.iskeyword(name)
        or keyword.issoftkeyword(name)
        or name in RESERVED
        or _GENERATED.fullmatch(name) is not None
        or name.endswith(("_dot", "_bar"))
    )


def python_name(name: str) -> str:
    """``name`` with the trailing underscore it needs (before any made to keep names unique)."""
    return name + "_" if needs_underscore(name) else name


class UserNames:
    """The Python identifier for each user name, unique and never a generated name."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        self._python: dict[str, str] = {}
        self._taken: set[str] = set()
        for name in names:
            self[name]

    def __getitem__(self, name: str) -> str:
        found = self._python.get(name)
        if found is not None:
            return found
        candidate = python_name(name)
        while candidate in self._taken:
            candidate += "_"
        self._taken.add(candidate)
        self._python[name] = candidate
        return candidate

    def reserve(self, name: str) -> None:
        """Keep ``name`` (say a variable's ``y_bar``) from being handed out by :meth:`fresh`."""
        self._taken.add(name)

    def fresh(self, name: str) -> str:
        """A new identifier based on ``name`` that no user name maps to (e.g. for ``f_bar``)."""
        candidate = name
        while candidate in self._taken:
            candidate += "_"
        self._taken.add(candidate)
        return candidate


def literal(value: Array) -> str:
    """A constant as exact Python source: ``2.0``, ``(-0.5)``, ``np.array([1.0, 2.5])``."""
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 0:
        return numpy_literal(float(arr))
    return f"np.array({_nested(arr)})"


def _nested(arr: Array) -> str:
    if arr.ndim == 0:
        text = numpy_literal(float(arr))
        return text[1:-1] if text.startswith("(") else text
    return "[" + ", ".join(_nested(x) for x in arr) + "]"


def zeros(shape: Shape) -> str:
    """Source for a zero of this shape: ``0.0`` for a real, ``np.zeros((2, 3))`` otherwise."""
    return "0.0" if shape == () else f"np.zeros({shape!r})"


def as_value(name: str, shape: Shape) -> str:
    """Source that turns a caller's argument into a float64 value of adx's kind."""
    return f"np.float64({name})" if shape == () else f"np.asarray({name}, dtype=np.float64)"
