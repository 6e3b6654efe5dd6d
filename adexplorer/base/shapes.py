"""Types of adx values: ``real``, ``vec[n]`` and ``mat[m,n]`` as numpy shapes.

A type is just a shape tuple: ``()`` is ``real``, ``(n,)`` is ``vec[n]`` and
``(m, n)`` is ``mat[m,n]``.  This module names them and implements the shape
arithmetic the primitive table needs (broadcasting and its reverse,
``unbroadcast``, which sums an adjoint back down to an argument's shape).
"""

from __future__ import annotations

from typing import Any, TypeAlias

import numpy as np

Shape = tuple[int, ...]
#: A value: a float64 ndarray, or a numpy float64 scalar for ``real`` (numpy
#: returns scalars from 0-d operations, and they are faster).  numpy's type
#: stubs cannot say "either, with the same operators", hence Any.
Array: TypeAlias = Any


class ShapeMismatch(ValueError):
    """Raised by shape rules; lowering turns it into an AdxError with a span."""


def type_name(shape: Shape) -> str:
    """``()`` → ``real``, ``(3,)`` → ``vec[3]``, ``(2, 3)`` → ``mat[2,3]``."""
    if len(shape) == 0:
        return "real"
    if len(shape) == 1:
        return f"vec[{shape[0]}]"
    if len(shape) == 2:
        return f"mat[{shape[0]},{shape[1]}]"
    return "tensor[" + ",".join(str(n) for n in shape) + "]"


def fill(value: Array, shape: Shape) -> Array | None:
    """``value`` as a value of type ``shape``: itself if it has that shape, a scalar
    repeated to fill it (``b: vec[4] = 0``, ``--at b=0``), or None if it is neither."""
    arr = np.asarray(value, dtype=np.float64)
    if arr.shape == shape:
        return arr
    if arr.shape == ():
        return np.full(shape, float(arr))
    return None


def size(shape: Shape) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def broadcast(*shapes: Shape) -> Shape:
    first = shapes[0]
    if all(s == first or s == () for s in shapes):  # the common cases, without numpy
        return first if first != () else max(shapes, key=len)
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        names = " and ".join(type_name(s) for s in shapes)
        raise ShapeMismatch(
            f"shapes {names} do not broadcast together (sizes must match or be 1, "
            "counting from the right)"
        ) from None


def unbroadcast(value: Array, shape: Shape) -> Array:
    """Sum ``value`` over the axes that broadcasting added or stretched to reach its shape.

    This is the adjoint of broadcasting: if ``x`` of shape ``(3,)`` was added to a
    ``(2, 3)`` matrix, its adjoint is the column sum of the matrix's adjoint.
    """
    if np.shape(value) == shape:
        return value
    extra = value.ndim - len(shape)
    if extra > 0:
        # np.add.reduce is what .sum() calls, without its Python wrapper (same numbers)
        value = np.add.reduce(value, axis=0 if extra == 1 else tuple(range(extra)))
        if value.shape == shape and shape:  # only leading axes added, as for a bias X + b
            return value
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and value.shape[i] != 1)
    if stretched:
        value = value.sum(axis=stretched, keepdims=True)
    return np.asarray(value, dtype=np.float64).reshape(shape)
