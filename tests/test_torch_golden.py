"""adx trains the texts' network step for step as PyTorch does: 500 losses to 1e-10 relative.

tests/data/torch_losses.json was recorded by tools/torch_reference.py (PyTorch
float64, the text's loop); re-record it with ``python tools/torch_reference.py``.
Where torch is importable, a second test runs PyTorch live.
"""

from __future__ import annotations

import importlib.util
import json
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from adexplorer.core.training import Training
from adexplorer.lang.lower import compile_source
from tests.train_helpers import LR, NETWORK, PARAMETERS, ROOT, network_graph, network_values

GOLDEN: dict[str, Any] = json.loads((ROOT / "tests" / "data" / "torch_losses.json").read_text())
TOLERANCE = 1e-10


def relative_differences(ours: list[float], theirs: list[float]) -> np.ndarray:
    a, b = np.array(ours), np.array(theirs)
    return np.abs(a - b) / np.abs(b)


def adx_losses(steps: int, *, accumulate: bool = False) -> list[float]:
    training = Training(
        network_graph(),
        network_values(),
        lr=LR,
        steps=steps,
        wrt=PARAMETERS,
        accumulate=accumulate,
    )
    losses = [record.loss for record in training.run()]
    assert training.diverged is None and training.updates == steps
    return losses


@pytest.fixture(scope="module")
def adx_500() -> list[float]:
    return adx_losses(GOLDEN["steps"])


def reference_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "torch_reference", ROOT / "tools/torch_reference.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_golden_file_says_how_it_was_made() -> None:
    assert GOLDEN["seeds"] == {"X": 1, "Y": 2, "W1": 3, "b1": 4, "W2": 5, "b2": 6}
    assert GOLDEN["lr"] == LR and GOLDEN["steps"] == 500 and GOLDEN["dtype"] == "float64"
    assert len(GOLDEN["losses"]) == 500
    assert len(GOLDEN["accumulate_losses"]) == GOLDEN["accumulate_steps"] == 50
    assert GOLDEN["torch_version"] and GOLDEN["numpy_version"]
    # the text's run: the loss falls by more than eight decades
    assert GOLDEN["losses"][0] > 600 and GOLDEN["losses"][-1] < 1e-5


def test_the_tool_builds_the_same_data_and_weights_as_the_tests() -> None:
    ours, tools = network_values(), reference_tool().network_values()
    assert ours.keys() == tools.keys()
    for name in ours:
        np.testing.assert_array_equal(tools[name], ours[name])


def test_the_first_step_agrees_with_hand_written_numpy_backprop() -> None:
    """Independent of both engines: the text's numpy version of the same network."""
    v = network_values()
    x, y, w1, b1, w2, b2 = (v[k] for k in ("X", "Y", "W1", "b1", "W2", "b2"))
    z = x @ w1 + b1
    h = np.maximum(z, 0)
    p = h @ w2 + b2
    loss = float(np.sum((p - y) ** 2))
    p_bar = 2 * (p - y)
    w2_bar, b2_bar = h.T @ p_bar, p_bar.sum(axis=0)
    z_bar = (p_bar @ w2.T) * (z > 0)
    w1_bar, b1_bar = x.T @ z_bar, z_bar.sum(axis=0)
    norm = np.sqrt(sum(np.sum(g**2) for g in (w1_bar, b1_bar, w2_bar, b2_bar)))

    training = Training(network_graph(), v, lr=LR, steps=2, wrt=PARAMETERS)
    first, second = list(training.run())
    assert first.loss == pytest.approx(loss, rel=1e-12)
    assert first.gradient_norm == pytest.approx(float(norm), rel=1e-12)
    moved = {"W1": w1 - LR * w1_bar, "b1": b1 - LR * b1_bar, "W2": w2 - LR * w2_bar}
    z = x @ moved["W1"] + moved["b1"]
    p = np.maximum(z, 0) @ moved["W2"] + (b2 - LR * b2_bar)
    assert second.loss == pytest.approx(float(np.sum((p - y) ** 2)), rel=1e-12)
    np.testing.assert_array_equal(training.values["X"], x)  # the data never moves


def test_adx_matches_pytorchs_500_losses(adx_500: list[float]) -> None:
    differences = relative_differences(adx_500, GOLDEN["losses"])
    worst = int(np.argmax(differences))
    print(f"largest relative difference from PyTorch: {differences[worst]:.3g} at step {worst}")
    assert differences[worst] <= TOLERANCE, (worst, adx_500[worst], GOLDEN["losses"][worst])


def test_adx_matches_pytorch_without_zero_grad() -> None:
    ours = adx_losses(GOLDEN["accumulate_steps"], accumulate=True)
    differences = relative_differences(ours, GOLDEN["accumulate_losses"])
    print(f"largest relative difference (no zero_grad): {differences.max():.3g}")
    assert differences.max() <= TOLERANCE
    # and forgetting zero_grad() does change the run, from the third loss on
    assert ours[:2] == pytest.approx(GOLDEN["losses"][:2], rel=TOLERANCE)
    assert abs(ours[2] - GOLDEN["losses"][2]) > 1


def test_live_pytorch_agrees(adx_500: list[float]) -> None:
    pytest.importorskip("torch")
    tool = reference_tool()
    differences = relative_differences(adx_500, tool.torch_losses(500))
    print(f"largest relative difference from live PyTorch: {differences.max():.3g}")
    assert differences.max() <= TOLERANCE
    accumulated = relative_differences(
        adx_losses(50, accumulate=True), tool.torch_losses(50, zero_grad=False)
    )
    assert accumulated.max() <= TOLERANCE


def test_the_file_defaults_are_these_values() -> None:
    """The seeded defaults of examples/network.adx are numpy's numbers, bit for bit."""
    graph = compile_source(NETWORK.read_text(), str(NETWORK)).graph
    values = network_values()
    assert set(graph.defaults) == set(values)
    for name, value in values.items():
        np.testing.assert_array_equal(graph.defaults[name], value)
