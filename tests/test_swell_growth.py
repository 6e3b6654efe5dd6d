"""Growth families are measured incrementally: the same numbers as counting each level afresh."""

from __future__ import annotations

import pytest

from adexplorer.compare.swell import family_levels, family_study
from adexplorer.compare.symbolic import CONST, VAR, differentiate, simplify


def _fresh(template: str, high: int) -> list[tuple[int, ...]]:
    """Every size of every level, counted from scratch with plain DAG walks."""
    table, exprs = family_levels(template, high)
    rows = []
    for f in exprs:
        df = differentiate(table, f, "x")
        simple = simplify(table, df)
        reach = table.reachable([f])
        ops = [e for e in reach if table.ops[e] not in (CONST, VAR)]
        contributions = sum(1 for e in ops for a in table.args[e] if table.ops[a] != CONST)
        rows.append(
            (
                table.tree_size(f),
                len(reach),
                table.tree_size(df),
                table.dag_size([df]),
                table.tree_size(simple),
                table.dag_size([simple]),
                2 * len(ops),
                len(ops) + contributions,
            )
        )
    return rows


@pytest.mark.parametrize(
    "template", ["4*#*(1-#)", "sin(#)*cos(#)", "exp(#) + #^2", "#-#", "0*# + x", "sqrt(#*#)"]
)
def test_incremental_counts_equal_fresh_counts(template: str) -> None:
    expected = _fresh(template, 12)
    rows = family_study(template, "1:12")
    assert [tuple(r.sizes.as_dict().values()) for r in rows] == expected
    later = family_study(template, "5:12")  # starting later still counts levels 1-4
    assert [tuple(r.sizes.as_dict().values()) for r in later] == expected[4:]


def test_five_hundred_levels_are_linear_work() -> None:
    rows = family_study("#*#*#*#*#", "1:500")
    assert rows[-1].sizes.f_dag == rows[-2].sizes.f_dag + 4  # a constant per level
    assert len(str(rows[-1].sizes.df_tree)) > 340  # exact, over 10^340 nodes
