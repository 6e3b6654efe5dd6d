"""Record PyTorch's losses for the texts' toy network: the golden file adx is tested against.

Builds the data and initial weights of examples/network.adx with numpy exactly as
adx's seeded values define them (``normal(seed=S)`` is
``default_rng(S).standard_normal(shape)``, ``uniform(LO, HI, seed=S)`` is
``default_rng(S).uniform(LO, HI, shape)``), hands them to PyTorch (a Linear layer's
weight is adx's W transposed: Linear computes x Wᵀ + b, adx X @ W + b), and runs the
texts' loop in float64:

    model = nn.Sequential(nn.Linear(1000, 100), nn.ReLU(), nn.Linear(100, 10))
    loss_fn = nn.MSELoss(reduction="sum"); optimizer = SGD(model.parameters(), lr=1e-4)
    for t in range(500): loss = loss_fn(model(x), y); record loss;
                         optimizer.zero_grad(); loss.backward(); optimizer.step()

and once more without ``zero_grad()`` (gradients pile up: ``adx train --accumulate``).

Run it with a Python that has torch and numpy (adx itself is not needed)::

    python tools/torch_reference.py            # writes tests/data/torch_losses.json
    python tools/torch_reference.py --check    # compares with the file instead

tests/test_torch_golden.py imports :func:`torch_losses` for its live comparison.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np

GOLDEN = Path(__file__).resolve().parent.parent / "tests" / "data" / "torch_losses.json"

N, D_IN, H, D_OUT = 64, 1000, 100, 10
SEEDS = {"X": 1, "Y": 2, "W1": 3, "b1": 4, "W2": 5, "b2": 6}
LR = 1e-4
STEPS = 500
ACCUMULATE_STEPS = 50


def network_values() -> dict[str, np.ndarray]:
    """The inputs of examples/network.adx, in adx's layout (W1 is mat[1000,100])."""

    def normal(name: str, shape: tuple[int, ...]) -> np.ndarray:
        return np.random.default_rng(SEEDS[name]).standard_normal(shape)

    def uniform(name: str, fan_in: int, shape: tuple[int, ...]) -> np.ndarray:
        bound = 1 / math.sqrt(fan_in)  # torch.nn.Linear's ±1/√fan_in
        return np.random.default_rng(SEEDS[name]).uniform(-bound, bound, shape)

    return {
        "X": normal("X", (N, D_IN)),
        "Y": normal("Y", (N, D_OUT)),
        "W1": uniform("W1", D_IN, (D_IN, H)),
        "b1": uniform("b1", D_IN, (H,)),
        "W2": uniform("W2", H, (H, D_OUT)),
        "b2": uniform("b2", H, (D_OUT,)),
    }


def torch_losses(steps: int = STEPS, *, zero_grad: bool = True) -> list[float]:
    """The loss PyTorch prints at each step t (before that step's update)."""
    import torch
    from torch import nn

    values = network_values()
    first, second = nn.Linear(D_IN, H), nn.Linear(H, D_OUT)
    model = nn.Sequential(first, nn.ReLU(), second).double()
    with torch.no_grad():
        # torch stores a layer's weight as [out, in]: adx's W transposed
        first.weight.copy_(torch.from_numpy(values["W1"].T.copy()))
        first.bias.copy_(torch.from_numpy(values["b1"]))
        second.weight.copy_(torch.from_numpy(values["W2"].T.copy()))
        second.bias.copy_(torch.from_numpy(values["b2"]))
    x, y = torch.from_numpy(values["X"]), torch.from_numpy(values["Y"])
    loss_fn = nn.MSELoss(reduction="sum")
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)
    losses = []
    for _ in range(steps):
        loss = loss_fn(model(x), y)
        losses.append(loss.item())
        if zero_grad:
            optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return losses


def record() -> dict[str, Any]:
    import torch

    return {
        "what": "PyTorch's losses for examples/network.adx (tools/torch_reference.py)",
        "torch_version": torch.__version__,
        "numpy_version": np.__version__,
        "dtype": "float64",
        "seeds": SEEDS,
        "generators": {
            "X, Y": "numpy.random.default_rng(seed).standard_normal(shape)",
            "W1, b1, W2, b2": "numpy.random.default_rng(seed).uniform(-1/sqrt(fan_in), "
            "1/sqrt(fan_in), shape), adx's layout (torch weight = W.T)",
        },
        "lr": LR,
        "steps": STEPS,
        "losses": torch_losses(STEPS),
        "accumulate_steps": ACCUMULATE_STEPS,
        "accumulate_losses": torch_losses(ACCUMULATE_STEPS, zero_grad=False),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare with the golden file")
    parser.add_argument("--out", type=Path, default=GOLDEN, help="where to write")
    args = parser.parse_args(argv)
    data = record()
    if args.check:
        golden = json.loads(args.out.read_text())
        worst = max(
            abs(a - b) / abs(b)
            for key in ("losses", "accumulate_losses")
            for a, b in zip(data[key], golden[key], strict=True)
        )
        print(f"largest relative difference from {args.out.name}: {worst:.3g}")
        return 0 if worst <= 1e-10 else 1
    args.out.write_text(json.dumps(data, indent=1) + "\n")
    print(f"wrote {args.out}: {STEPS} losses, {data['losses'][0]!r} … {data['losses'][-1]!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
