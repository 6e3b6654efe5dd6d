"""The texts' network for the training tests: examples/network.adx and its values, built in numpy.

The file's defaults are seeded random values (``normal(seed=1)`` …).  The tests
build the same numbers here, straight from numpy's documented generators, and
pass them as bindings, so they do not depend on how adx reads the defaults;
``test_the_file_defaults_are_these_values`` checks that the two agree.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np

from adexplorer.core.ir import Graph
from adexplorer.lang.lower import compile_source

ROOT = Path(__file__).resolve().parent.parent
NETWORK = ROOT / "examples" / "network.adx"
PARAMETERS = ("W1", "b1", "W2", "b2")
LR = 1e-4


def network_values() -> dict[str, np.ndarray]:
    """X, Y ~ standard normal (seeds 1, 2); the layers ±1/√fan_in uniform (seeds 3–6)."""

    def uniform(seed: int, fan_in: int, shape: tuple[int, ...]) -> np.ndarray:
        bound = 1 / math.sqrt(fan_in)
        return np.random.default_rng(seed).uniform(-bound, bound, shape)

    return {
        "X": np.random.default_rng(1).standard_normal((64, 1000)),
        "Y": np.random.default_rng(2).standard_normal((64, 10)),
        "W1": uniform(3, 1000, (1000, 100)),
        "b1": uniform(4, 1000, (100,)),
        "W2": uniform(5, 100, (100, 10)),
        "b2": uniform(6, 100, (10,)),
    }


def declarations_only(text: str) -> str:
    """The program with each input's default left out (``X: mat[64,1000]``)."""
    return re.sub(r"^(\w+:\s*(?:real|vec\[\d+\]|mat\[\d+,\d+\]))\s*=.*$", r"\1", text, flags=re.M)


def network_graph() -> Graph:
    """examples/network.adx without its defaults: every value comes from the bindings."""
    return compile_source(declarations_only(NETWORK.read_text()), str(NETWORK)).graph
