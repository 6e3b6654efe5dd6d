"""Comparison benchmarks: swell counting and finite-difference sweeps.  Ratios in one run.

    python benchmarks/bench_compare.py

1. ``adx swell --family '4*#*(1-#)' --n 1:40`` in process and as a whole
   command: the exact tree size at n = 40 and the time (target: about a second).
2. ``adx fd`` with 16 step sizes and all four schemes on a 1,000-operation
   program: time beyond start-up, i.e. minus ``adx eval`` on the same program
   (target: well under a second).
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adexplorer.compare.fd_study import study
from adexplorer.compare.swell import family_study
from adexplorer.lang.lower import compile_source


def median(samples: list[float]) -> float:
    return statistics.median(samples)


def timed(command: list[str], repeat: int = 5) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        samples.append(time.perf_counter() - start)
    return median(samples)


def program(operations: int) -> str:
    lines = ["x: real = 0.4", "y: real = 1.3", "a0 = x * y"]
    count, k = 1, 1
    while count < operations:
        lines.append(f"a{k} = sin(a{k - 1}) * y + x")
        count += 3
        k += 1
    lines.append(f"return a{k - 1}")
    return "\n".join(lines)


def main() -> None:
    adx = shutil.which("adx", path=str(Path(sys.executable).parent)) or shutil.which("adx")
    base = [adx] if adx else [sys.executable, "-m", "adexplorer"]

    start = time.perf_counter()
    rows = family_study("4*#*(1-#)", "1:40")
    in_process = time.perf_counter() - start
    command = timed([*base, "swell", "--family", "4*#*(1-#)", "--n", "1:40", "--json"])
    print("swell      logistic map, levels 1..40")
    tree = rows[-1].sizes.df_tree
    print(f"           tree size of the naive derivative at n = 40: {tree:,} (exact)")
    print(f"           in process {in_process:.3f} s; whole command {command:.3f} s", end="")
    print("  (target: about 1 s)")

    timings = {}
    for levels in (100, 500):
        start = time.perf_counter()
        family_study("#*#*#*#*#", f"1:{levels}")
        timings[levels] = time.perf_counter() - start
    ratio = timings[500] / timings[100]
    print("swell      #*#*#*#*#, levels 1..100 against 1..500 (5x the levels)")
    print(
        f"           {timings[100]:.3f} s and {timings[500]:.3f} s: ratio {ratio:.1f}"
        "  (linear work: about 5; quadratic: about 25)"
    )

    source = program(1000)
    graph = compile_source(source).graph
    steps = tuple(10.0**-k for k in range(1, 17))
    start = time.perf_counter()
    study(graph, {}, "x", steps)
    in_process = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "p.adx"
        path.write_text(source)
        t_fd = timed([*base, "fd", str(path), "--json"])
        t_eval = timed([*base, "eval", str(path), "--mode", "evaluate", "--json"])
    print(f"fd         {len(graph.op_nodes):,}-operation program, 16 step sizes x 4 schemes")
    print(
        f"           in process {in_process:.3f} s; command {t_fd:.3f} s - adx eval {t_eval:.3f} s"
    )
    print(
        f"           = {t_fd - t_eval:.3f} s beyond start-up and parsing  (target: well under 1 s)"
    )


if __name__ == "__main__":
    main()
