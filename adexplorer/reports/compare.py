"""JSON reports for ``adx fd`` (schema ``adx.fd/1``) and ``adx swell`` (``adx.swell/1``).

Documented in docs/json-schema.md.  Plain data, no rich.  Tree sizes can exceed
2⁵³, so they are written as exact JSON integers.
"""

from __future__ import annotations

import math
from typing import Any

from adexplorer.base.numbers import to_json_value
from adexplorer.compare.fd_study import RULE_OF_THUMB, SECOND_RULE_OF_THUMB, FdStudy, MixedStudy
from adexplorer.compare.swell import FamilyRow, SwellResult


def _number(x: float | None) -> float | None:
    return x if x is not None and math.isfinite(x) else None


def fd_report(study: FdStudy, mixed: MixedStudy | None = None) -> dict[str, Any]:
    report: dict[str, Any] = {
        "schema": "adx.fd/1",
        "wrt": study.wrt,
        "inputs": {k: to_json_value(v)[0] for k, v in study.inputs.items()},
        "value": _number(study.value),
        "exact": _number(study.exact),
        "exact_source": "forward-mode AD (one tangent sweep)",
        "second_derivative": _number(study.second),
        "third_derivative": _number(study.third),
        "schemes": {},
        "gradient_cost": {
            "n_inputs": study.n_inputs,
            "reverse_sweeps": 1,
        },
    }
    for scheme in study.schemes:
        entry: dict[str, Any] = {
            "evaluations_per_gradient": study.evaluations(scheme),
            "rule_of_thumb_h": RULE_OF_THUMB.get(scheme),
            "model_optimal_h": _number(study.model_optimum.get(scheme)),
        }
        if scheme in study.not_applicable:
            entry["applicable"] = False
            entry["reason"] = study.not_applicable[scheme]
        else:
            entry["applicable"] = True
            best = study.best.get(scheme)
            entry["best"] = {"h": best[0], "abs_error": best[1]} if best else None
            entry["rows"] = [
                {
                    "h": r.h,
                    "estimate": _number(r.estimate),
                    "abs_error": _number(r.abs_error),
                    "rel_error": _number(r.rel_error),
                    "regime": r.regime,
                }
                for r in study.rows_for(scheme)
            ]
        report["schemes"][scheme] = entry
    if mixed is not None:
        report["mixed_second"] = second_report(mixed)
    return report


def second_report(mixed: MixedStudy) -> dict[str, Any]:
    """``--second X,Y``: the AD Hessian entry and the error curves of both second
    differences (keys documented in docs/json-schema.md, section adx.fd/1)."""

    def rows(found: tuple[tuple[float, float, float], ...]) -> list[dict[str, Any]]:
        return [{"h": h, "estimate": _number(e), "abs_error": _number(err)} for h, e, err in found]

    def best(which: str) -> dict[str, float] | None:
        found = mixed.best(which)
        return {"h": found[0], "abs_error": found[1]} if found else None

    return {
        "x": mixed.x,
        "y": mixed.y,
        "kind": "pure" if mixed.pure else "mixed",
        "exact": _number(mixed.exact),
        "exact_source": f"AD (forward-over-reverse): the {mixed.x} entry of one nested sweep "
        f"along e_{mixed.y}",
        "warnings": list(mixed.warnings),
        "symbolic": _number(mixed.symbolic),
        "formula": mixed.formula,
        "rows": rows(mixed.rows),
        "best": best("points"),
        "rule_of_thumb_h": SECOND_RULE_OF_THUMB["points"],
        "gradient_differences": {
            "formula": mixed.gradient_formula,
            "rows": rows(mixed.gradient_rows),
            "best": best("gradients"),
            "rule_of_thumb_h": SECOND_RULE_OF_THUMB["gradients"],
        },
    }


def swell_report(source: str, results: list[SwellResult]) -> dict[str, Any]:
    return {
        "schema": "adx.swell/1",
        "source": source,
        "derivatives": [
            {
                "wrt": r.wrt,
                "sizes": r.sizes.as_dict(),
                "derivative": r.derivative_text,
                "derivative_elided": r.derivative_elided,
                "simplified": r.simplified_text,
                "simplified_elided": r.simplified_elided,
            }
            for r in results
        ],
    }


def family_report(template: str, variable: str, rows: list[FamilyRow]) -> dict[str, Any]:
    return {
        "schema": "adx.swell/1",
        "family": template,
        "variable": variable,
        "levels": [{"n": row.n, "sizes": row.sizes.as_dict()} for row in rows],
    }
