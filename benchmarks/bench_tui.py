"""Explorer benchmarks: time to the first screen, and time per step on big graphs.

    python benchmarks/bench_tui.py

Headless (App.run_test), so it measures the app's own work, not a terminal's.
The 7-node survey example is the baseline: what a step costs Textual and the
test harness whatever the graph.
Targets: first screen in about a second; a step without visible lag on graphs
up to 200 nodes, and usable at 500; typing into a big program never waits for
it to compile (the editor compiles in the background after the last key).

The texts' network (64×1000 data, 100,000 weights, 9 operations) measures the
explorer at tensor size: a step through its primal and adjoint sweeps (tensors
are summaries, each made once per array), opening the whole value of W1's
adjoint (100,000 entries, ``v``), and training it (``G``, 50 steps).
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adexplorer.explorer.session import Session
from adexplorer.tui.app import ExplorerApp


def chain_program(operations: int) -> str:
    """A program whose graph has ``operations`` operations plus one input."""
    lines = ["x: real = 0.5", "a0 = sin(x) * 2"]
    count, k = 2, 1
    while count < operations:
        lines.append(f"a{k} = a{k - 1} * 0.9 + x")
        count += 2
        k += 1
    return "\n".join([*lines, f"return a{k - 1}"])


async def first_screen() -> float:
    start = time.perf_counter()
    app = ExplorerApp(Session.start())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        return time.perf_counter() - start


async def step_times(operations: int, steps: int = 30) -> tuple[int, float, float, float]:
    source = chain_program(operations) if operations else "ln(x1) + x1*x2 - sin(x2)"
    app = ExplorerApp(Session.start(source, {} if operations else None))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("end")
        samples = []
        for key in ["left"] * steps:
            start = time.perf_counter()
            await pilot.press(key)
            await pilot.pause()
            samples.append(time.perf_counter() - start)
        own = []
        for _ in range(steps):  # the app's own work: the action and every widget update
            start = time.perf_counter()
            app.view.action_step(1)
            own.append(time.perf_counter() - start)
        nodes = len(app.session.graph.nodes)  # type: ignore[union-attr]
        return nodes, statistics.median(samples), max(samples), statistics.median(own)


async def typing_times(operations: int, keys: int = 20) -> tuple[float, float, float]:
    """Typing into the editor of a big program: the longest any key took (the interface
    must not wait for compiling), then how long until the graph of the new text shows."""
    from tests.tui_helpers import settle

    app = ExplorerApp(Session.start(chain_program(operations), {}))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("e", "ctrl+end")
        samples = []
        for _ in range(keys):
            start = time.perf_counter()
            app.view.query_one("#source").insert(" ")  # type: ignore[attr-defined]
            await pilot.pause()
            samples.append(time.perf_counter() - start)
        start = time.perf_counter()
        await settle(pilot)
        compiled = time.perf_counter() - start
        return statistics.median(samples), max(samples), compiled


def network_session() -> Session:
    """The shared decision's network with its seeded data and weights (built with numpy)."""
    from tests.test_tui_tensors import NETWORK, network_values

    return Session.start(NETWORK, network_values())


async def network_times(steps: int = 27) -> tuple[float, float, float, float, float]:
    """(first step through the sweeps, ms; a step again, ms; v opening W1's adjoint, ms;
    50 training steps, s; one plain reverse run, ms)."""
    from adexplorer.core.trace import run
    from tests.tui_helpers import settle

    app = ExplorerApp(network_session())
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        view = app.view

        def walk() -> float:
            start = time.perf_counter()
            for _ in range(steps):
                view.action_step(1)
            return (time.perf_counter() - start) / steps

        first = walk()  # each summary made on the way
        view.action_to_start()
        again = walk()
        start = time.perf_counter()
        await pilot.press("v", "v")
        await pilot.pause()
        opened = time.perf_counter() - start
        await pilot.press("escape")
        session = app.session
        session.set_trained(["W1", "b1", "W2", "b2"])
        session.eta, session.train_steps = 1e-4, 50
        start = time.perf_counter()
        await pilot.press("G")
        await settle(pilot)
        trained = time.perf_counter() - start
        assert session.graph is not None
        start = time.perf_counter()
        for _ in range(20):
            run(session.graph, session.values, "reverse")
        reverse = (time.perf_counter() - start) / 20
        return first * 1000, again * 1000, opened * 1000, trained, reverse * 1000


def whole_process_import() -> float:
    """Python start-up plus importing everything the explorer needs."""
    command = [sys.executable, "-c", "import adexplorer.tui.app"]
    samples = []
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run(command, check=True)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    imports = whole_process_import()
    first = asyncio.run(first_screen())
    print(f"start-up   importing the explorer {imports:.2f} s; ", end="")
    print(f"first screen drawn (headless) {first:.2f} s")
    print(f"           together about {imports + first:.2f} s  (target: about 1 s)")
    for operations in (0, 200, 500):
        nodes, median, worst, own = asyncio.run(step_times(operations))
        print(
            f"stepping   {nodes:3d} nodes: app work {own * 1000:.1f} ms per step; through the "
            f"test harness {median * 1000:.0f} ms (worst {worst * 1000:.0f} ms)"
        )
    first, again, opened, trained, reverse = asyncio.run(network_times())
    print(
        f"network    a step (app work) {first:.1f} ms the first time, {again:.1f} ms again; "
        f"v on W1's adjoint {opened:.0f} ms;"
    )
    print(
        f"           G: 50 training steps {trained:.2f} s with the curve drawn live "
        f"(one reverse run alone {reverse:.1f} ms)"
    )
    for operations in (500, 5000):
        median, worst, compiled = asyncio.run(typing_times(operations))
        print(
            f"typing     {operations:4d} operations: a key {median * 1000:.0f} ms "
            f"(worst {worst * 1000:.0f} ms); then compiled and shown in {compiled:.2f} s"
        )


if __name__ == "__main__":
    main()
