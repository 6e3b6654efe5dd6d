"""Every limit adx puts on work and input, in one table.

adx runs what students and lesson files type, so a few characters must never
make it allocate gigabytes or run for minutes.  Each limit has a name, a
default, and an environment variable that raises (or lowers) it; going over
one is an :class:`~adexplorer.base.errors.AdxError` that names the limit, the
amount asked for and how to raise it.  docs/limits.md is checked against this
table by the tests.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from adexplorer.base.errors import AdxError


@dataclass(frozen=True)
class Limit:
    key: str
    default: int
    unit: str  # what is counted, e.g. "bytes", "nodes"
    what: str  # what the limit bounds, in words, for docs and messages

    @property
    def variable(self) -> str:
        return f"ADX_MAX_{self.key.upper()}"


LIMITS: dict[str, Limit] = {
    limit.key: limit
    for limit in (
        Limit("program_bytes", 10 * 1024 * 1024, "bytes", "size of a program file or stdin"),
        Limit("lesson_bytes", 1024 * 1024, "bytes", "size of a lesson file"),
        Limit("nodes", 200_000, "nodes", "operations and inputs in one program"),
        Limit("loop_iterations", 100_000, "iterations", "iterations of one for loop"),
        Limit("tensor_entries", 10_000_000, "entries", "entries of one vector or matrix"),
        Limit(
            "trace_entries",
            20_000_000,
            "numbers",
            "numbers a trace stores: sweeps × the entries of every node",
        ),
        Limit("fd_steps", 64, "step sizes", "step sizes in one adx fd sweep"),
        Limit("family_levels", 500, "levels", "levels of an adx swell --family"),
        Limit(
            "family_work",
            1_500_000,
            "node-levels",
            "work of one adx swell --family: levels measured × nodes of its expressions",
        ),
        Limit("descent_steps", 10_000, "steps", "gradient-descent steps asked for at once"),
    )
}


#: The largest value a limit takes: 2**62, "no limit" in practice.
UNLIMITED = 2**62


def limit(key: str) -> int:
    """The limit in force: the default, or the value of its environment variable."""
    spec = LIMITS[key]
    raw = os.environ.get(spec.variable)
    if raw is None or not raw.strip():
        return spec.default
    try:
        value = int(raw.replace("_", ""))
    except ValueError:
        raise AdxError(
            "usage", f"{spec.variable}={raw!r} is not a whole number", hint="e.g. 1000000"
        ) from None
    if value < 1:
        raise AdxError("usage", f"{spec.variable} must be at least 1 (got {value})")
    # More than any machine holds, and small enough for every size an OS call takes
    # (read(limit + 1) of a bigger number raised OverflowError).
    return min(value, UNLIMITED)


def check(key: str, amount: int, *, hint: str | None = None) -> None:
    """Raise a clear error if ``amount`` is over the limit ``key``."""
    allowed = limit(key)
    if amount <= allowed:
        return
    spec = LIMITS[key]
    how = f"raise the limit with {spec.variable}={amount}"
    raise AdxError(
        "usage",
        f"{spec.what}: {amount:,} {spec.unit}, over adx's limit of {allowed:,}",
        hint=f"{hint}; or {how}" if hint else how,
    )


def limits_markdown() -> str:
    """The table of limits as Markdown (docs/limits.md holds exactly this)."""
    rows = [
        "| limit | default | environment variable |",
        "|---|---|---|",
        *(
            f"| {spec.what} | {spec.default:,} {spec.unit} | `{spec.variable}` |"
            for spec in LIMITS.values()
        ),
    ]
    return "\n".join(rows) + "\n"
