"""Core benchmarks: start-up, reverse-mode overhead, parsing.  Ratios measured in one run.

    python benchmarks/bench_core.py            # all three
    python benchmarks/bench_core.py --quick    # fewer repetitions

1. Whole-process ``adx eval 'ln(x1)+x1*x2-sin(x2)' --at x1=2,x2=5 --json`` against
   ``python -c "import numpy"`` (target: median ratio <= 2).
2. A generated 100,000-operation scalar program: T(value and gradient) / T(value)
   for reverse mode (target: <= 4), and the time per operation.
3. Parsing a 10,000-term expression (target: well under a second).

Timings are wall-clock medians on this machine; tests never assert them.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adexplorer.core.trace import run
from adexplorer.lang.lower import compile_source
from adexplorer.lang.parse import get_parser, parse_program
from tests.test_scale import hundred_thousand_operation_program  # the program the test checks


def median_time(action: Callable[[], object], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def startup(repeat: int) -> None:
    adx = shutil.which("adx", path=str(Path(sys.executable).parent)) or shutil.which("adx")
    command = [adx] if adx else [sys.executable, "-m", "adexplorer"]
    eval_cmd = [*command, "eval", "ln(x1)+x1*x2-sin(x2)", "--at", "x1=2,x2=5", "--json"]
    numpy_cmd = [sys.executable, "-c", "import numpy"]
    # As after `pip install`: bytecode may be cached (some shells forbid it, which
    # would charge every run for compiling adx's sources).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    for _ in range(2):  # warm the grammar and bytecode caches
        subprocess.run(eval_cmd, check=True, capture_output=True, env=env)
    numpy_times, eval_times = [], []
    for _ in range(repeat):  # alternate, so both see the same machine load
        numpy_times.append(median_time(lambda: subprocess.run(numpy_cmd, check=True, env=env), 1))
        eval_times.append(
            median_time(
                lambda: subprocess.run(eval_cmd, check=True, capture_output=True, env=env), 1
            )
        )
    t_numpy, t_eval = statistics.median(numpy_times), statistics.median(eval_times)
    print(f"start-up   python -c 'import numpy': {t_numpy * 1000:7.1f} ms (median of {repeat})")
    print(f"           adx eval ... --json:       {t_eval * 1000:7.1f} ms")
    print(f"           ratio: {t_eval / t_numpy:.2f}  (target <= 2)")


def reverse_overhead(repeat: int) -> None:
    start = time.perf_counter()
    graph = compile_source(hundred_thousand_operation_program()).graph
    t_compile = time.perf_counter() - start
    n_ops = len(graph.op_nodes)
    t_value = median_time(lambda: run(graph, {}, "evaluate"), repeat)
    t_grad = median_time(lambda: run(graph, {}, "reverse"), repeat)
    print(f"reverse    program of {n_ops:,} operations (compiled in {t_compile:.1f} s)")
    print(f"           T(value)              {t_value:7.3f} s  ({t_value / n_ops * 1e6:.2f} µs/op)")
    print(f"           T(value and gradient) {t_grad:7.3f} s  ({t_grad / n_ops * 1e6:.2f} µs/op)")
    print(f"           ratio: {t_grad / t_value:.2f}  (target <= 4; cost-model bound 4)")


def parsing(repeat: int) -> None:
    get_parser()
    expr = " + ".join(f"{k % 7 + 1}*x{k % 10}" for k in range(10_000))
    t_parse = median_time(lambda: parse_program(expr), repeat)
    t_compile = median_time(lambda: compile_source(expr), repeat)
    print(f"parsing    10,000-term expression ({len(expr):,} characters)")
    print(
        f"           parse {t_parse:.3f} s; parse + lower to a graph {t_compile:.3f} s"
        "  (target: parse well under 1 s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args()
    repeat = 5 if args.quick else 21
    startup(repeat)
    reverse_overhead(3 if args.quick else 5)
    parsing(3 if args.quick else 5)


if __name__ == "__main__":
    main()
