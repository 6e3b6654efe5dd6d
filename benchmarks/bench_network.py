"""The text's toy network: loss and gradient by adx, hand-written numpy and PyTorch, in one run.

    python benchmarks/bench_network.py            # 200 interleaved repetitions
    python benchmarks/bench_network.py --quick    # 40
    /path/to/venv-with-torch/bin/python benchmarks/bench_network.py   # adds PyTorch
    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 python benchmarks/bench_network.py  # one thread

The network of issue 14 (N, D_in, H, D_out = 64, 1000, 100, 10), in adx's ``X @ W``
form, with the values of ``examples/network.adx`` rebuilt here with numpy's
``default_rng`` (X: seed 1, Y: 2, W1: 3, b1: 4, W2: 5, b2: 6; weights uniform in
±1/√fan_in as ``torch.nn.Linear`` draws them).  Timed, one repetition of each
in turn (so all see the same machine load), many times:

* numpy, loss only, and numpy backprop: the loss and the gradients of W1, b1, W2,
  b2, written by hand;
* adx ``trace.run(graph, values, "evaluate")`` (the loss alone, every step
  recorded), ``trace.run(..., "reverse", wrt=["W1", "b1", "W2", "b2"])`` (loss and
  those four gradients) and ``"reverse"`` without ``wrt`` (every input's gradient,
  the data's 64×1000 X̄ included);
* PyTorch eager in float64, when ``import torch`` works: the forward pass alone,
  and ``zero_grad()``, forward, ``loss.backward()``.

It prints the best (minimum) and the median time of each, and the ratios
adx/numpy, adx/PyTorch and T(loss+grad)/T(loss), from the medians and from the
best times.  Before timing, it checks that adx's gradients equal numpy's (and
PyTorch's) to rounding.  Timings are wall-clock on this machine; tests never
assert them.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adexplorer.core.trace import run
from adexplorer.lang.lower import compile_source

N, D_IN, H, D_OUT = 64, 1000, 100, 10
PARAMETERS = ("W1", "b1", "W2", "b2")
PROGRAM = f"""\
X: mat[{N},{D_IN}]
Y: mat[{N},{D_OUT}]
W1: mat[{D_IN},{H}]
b1: vec[{H}]
W2: mat[{H},{D_OUT}]
b2: vec[{D_OUT}]
h = relu(X @ W1 + b1)
p = h @ W2 + b2
return sum((p - Y)^2)
"""


def network_values() -> dict[str, np.ndarray]:
    """The values of examples/network.adx: ``normal(seed=S)`` and ``uniform(LO, HI, seed=S)``."""

    def uniform(fan_in: int, seed: int, shape: tuple[int, ...]) -> np.ndarray:
        bound = 1 / math.sqrt(fan_in)
        return np.random.default_rng(seed).uniform(-bound, bound, shape)

    return {
        "X": np.random.default_rng(1).standard_normal((N, D_IN)),
        "Y": np.random.default_rng(2).standard_normal((N, D_OUT)),
        "W1": uniform(D_IN, 3, (D_IN, H)),
        "b1": uniform(D_IN, 4, (H,)),
        "W2": uniform(H, 5, (H, D_OUT)),
        "b2": uniform(H, 6, (D_OUT,)),
    }


def numpy_loss(v: dict[str, np.ndarray]) -> float:
    h = np.maximum(v["X"] @ v["W1"] + v["b1"], 0.0)
    d = h @ v["W2"] + v["b2"] - v["Y"]
    return float((d * d).sum())


def numpy_backprop(v: dict[str, np.ndarray]) -> tuple[float, dict[str, np.ndarray]]:
    """Loss and the parameters' gradients, written by hand as a student would."""
    x, w1, w2 = v["X"], v["W1"], v["W2"]
    z = x @ w1 + v["b1"]
    h = np.maximum(z, 0.0)
    d = h @ w2 + v["b2"] - v["Y"]
    loss = float((d * d).sum())
    p_bar = 2.0 * d
    h_bar = p_bar @ w2.T
    z_bar = h_bar * (z > 0)
    grads = {"W1": x.T @ z_bar, "b1": z_bar.sum(0), "W2": h.T @ p_bar, "b2": p_bar.sum(0)}
    return loss, grads


def torch_contenders(
    values: dict[str, np.ndarray],
) -> tuple[dict[str, Callable[[], object]], dict[str, np.ndarray], str] | None:
    """PyTorch eager (float64) loss and loss+backward, its gradients, and its version."""
    try:
        import torch
    except ImportError:
        return None
    threads = os.environ.get("OMP_NUM_THREADS") or os.environ.get("OPENBLAS_NUM_THREADS")
    if threads:  # as many threads as numpy's BLAS was given
        torch.set_num_threads(int(threads))
    t = {k: torch.from_numpy(v.copy()) for k, v in values.items()}
    params = [t[name].requires_grad_(True) for name in PARAMETERS]

    def loss() -> object:
        h = torch.relu(t["X"] @ t["W1"] + t["b1"])
        return ((h @ t["W2"] + t["b2"] - t["Y"]) ** 2).sum()

    def loss_only() -> object:
        with torch.no_grad():
            return loss()

    def loss_and_grad() -> object:
        for p in params:  # zero_grad(): the gradients of the last backward() are dropped
            p.grad = None
        value = loss()
        value.backward()  # type: ignore[attr-defined]
        return value

    loss_and_grad()
    grads = {name: p.grad.numpy().copy() for name, p in zip(PARAMETERS, params, strict=True)}
    version = f"torch {torch.__version__}, {torch.get_num_threads()} threads"
    return {"torch loss": loss_only, "torch loss+grad": loss_and_grad}, grads, version


def largest_relative_difference(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> float:
    return max(
        float(np.max(np.abs(a[k] - b[k])) / max(float(np.max(np.abs(b[k]))), 1e-300))
        for k in PARAMETERS
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--repeat", type=int, default=None, help="repetitions of each")
    args = parser.parse_args()
    repeat = args.repeat or (40 if args.quick else 200)

    graph = compile_source(PROGRAM, "network.adx").graph
    values = network_values()
    contenders: dict[str, Callable[[], object]] = {
        "numpy loss": lambda: numpy_loss(values),
        "numpy loss+grad": lambda: numpy_backprop(values),
        "adx evaluate": lambda: run(graph, values, "evaluate"),
        "adx reverse wrt": lambda: run(graph, values, "reverse", wrt=PARAMETERS),
        "adx reverse all": lambda: run(graph, values, "reverse"),
    }

    # the same numbers first: a fast wrong answer is no answer
    reference_loss, reference = numpy_backprop(values)
    adx = run(graph, values, "reverse", wrt=PARAMETERS)
    adx_grads = {k: np.asarray(v) for k, v in adx.gradient().items()}
    loss_difference = abs(float(adx.output_value()) - reference_loss) / reference_loss
    gradient_difference = largest_relative_difference(adx_grads, reference)
    print(f"loss {reference_loss:.10g}; adx against numpy: loss {loss_difference:.1e} relative,")
    print(f"  gradients {gradient_difference:.1e} (largest relative difference)")
    torch_side = torch_contenders(values)
    if torch_side is not None:
        torch_runs, torch_grads, version = torch_side
        contenders.update(torch_runs)
        difference = largest_relative_difference(adx_grads, torch_grads)
        print(f"  adx against PyTorch ({version}): gradients {difference:.1e}")
    else:
        print("  (PyTorch not importable here: run with a Python that has torch to add it)")
    threads = os.environ.get("OPENBLAS_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS")
    print(f"numpy {np.__version__}, BLAS threads: {threads or 'default'}, {repeat} repetitions")

    samples: dict[str, list[float]] = {name: [] for name in contenders}
    for action in contenders.values():  # warm caches and lazy imports
        action()
    for _ in range(repeat):
        for name, action in contenders.items():
            start = time.perf_counter()
            action()
            samples[name].append(time.perf_counter() - start)

    best = {name: min(times) for name, times in samples.items()}
    median = {name: statistics.median(times) for name, times in samples.items()}
    print()
    print(f"{'':18} {'best ms':>9} {'median ms':>10} {'/ numpy (best)':>15} {'(median)':>9}")
    for name in contenders:
        reference_name = "numpy loss" if name.endswith("loss") else "numpy loss+grad"
        if name.endswith("evaluate"):
            reference_name = "numpy loss"
        print(
            f"{name:18} {best[name] * 1e3:9.3f} {median[name] * 1e3:10.3f} "
            f"{best[name] / best[reference_name]:15.2f} "
            f"{median[name] / median[reference_name]:9.2f}"
        )

    print()
    print("ratios (best / median); goals: adx/numpy <= 1.3, T(loss+grad)/T(loss) <= 2.5,")
    print("adx no slower than PyTorch eager")

    def ratio(a: str, b: str) -> str:
        return f"{best[a] / best[b]:.2f} / {median[a] / median[b]:.2f}"

    print(f"  adx reverse wrt / numpy loss+grad:   {ratio('adx reverse wrt', 'numpy loss+grad')}")
    print(f"  adx T(loss+grad) / T(loss):          {ratio('adx reverse wrt', 'adx evaluate')}")
    print(f"  numpy T(loss+grad) / T(loss):        {ratio('numpy loss+grad', 'numpy loss')}")
    if "torch loss+grad" in contenders:
        print(
            f"  adx reverse wrt / torch loss+grad:   {ratio('adx reverse wrt', 'torch loss+grad')}"
        )
        print(
            f"  torch loss+grad / numpy loss+grad:   {ratio('torch loss+grad', 'numpy loss+grad')}"
        )
        print(f"  torch T(loss+grad) / T(loss):        {ratio('torch loss+grad', 'torch loss')}")


if __name__ == "__main__":
    main()
