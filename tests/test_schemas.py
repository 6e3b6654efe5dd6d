"""The JSON Schema files (adexplorer/schemas), ``adx schema``, and the validation every
test's JSON goes through (tests/conftest.py, tests/json_contract.py)."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from adexplorer import schemas
from adexplorer.base.errors import AdxError
from adexplorer.cli.main import cli
from adexplorer.core.second_order import run_second_order
from adexplorer.core.trace import run
from adexplorer.lang.lower import compile_source
from adexplorer.reports.eval import eval_report
from adexplorer.reports.second_order import second_order_eval_report
from tests.conftest import json_failures
from tests.json_contract import assert_valid, assert_valid_text
from tests.test_properties import expressions, points

ROOT = Path(__file__).resolve().parents[1]
FOLDER = ROOT / "adexplorer" / "schemas"
CONTRACTS = ["check-1", "error-1", "eval-1", "fd-1", "swell-1", "train-1", "values-1"]


def adx(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


# ------------------------------------------------------------------ the files


def test_names_lists_every_file_and_load_accepts_three_spellings() -> None:
    assert set(CONTRACTS) <= set(schemas.names())
    assert schemas.names() == sorted(
        p.name.removesuffix(".schema.json") for p in FOLDER.glob("*-*.schema.json")
    )
    for spelling in ("eval", "eval-1", "adx.eval/1"):
        assert schemas.load(spelling)["$id"] == "urn:adx:schema:eval-1"
    assert schemas.schema_id("fd") == "adx.fd/1"


def test_an_unknown_name_is_a_usage_error_listing_the_valid_ones() -> None:
    with pytest.raises(AdxError) as caught:
        schemas.load("evl")
    assert caught.value.kind == "usage"
    assert caught.value.hint is not None and "eval-1" in caught.value.hint


def _walk(node: Any, where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every (path, schema) under ``properties`` and ``$defs`` of a schema."""
    if not isinstance(node, dict):
        return
    # a condition ({"properties": {"kind": {"const": …}}, "required": …} inside oneOf or
    # if/then) restates fields; only typed objects and $defs declare them
    for key in ("properties", "$defs") if "type" in node or "$defs" in node else ("$defs",):
        for name, sub in node.get(key, {}).items():
            yield f"{where}/{key}/{name}", sub
            yield from _walk(sub, f"{where}/{key}/{name}")
    for key in ("items", "additionalProperties"):
        if isinstance(node.get(key), dict):
            yield from _walk(node[key], f"{where}/{key}")
    for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
        for k, sub in enumerate(node.get(key, [])):
            yield from _walk(sub, f"{where}/{key}/{k}")


@pytest.mark.parametrize("name", CONTRACTS)
def test_each_file_is_a_draft_2020_12_schema_that_describes_every_field(name: str) -> None:
    schema = schemas.load(name)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"urn:adx:schema:{name}" and schema["title"] and schema["description"]
    undescribed = [
        path for path, sub in _walk(schema, "") if "description" not in sub and "$ref" not in sub
    ]
    assert undescribed == []
    # closed objects: every object with properties says whether more may come
    open_objects = [
        path
        for path, sub in _walk(schema, "")
        if sub.get("type") == "object" and "properties" in sub and "additionalProperties" not in sub
    ]
    assert open_objects == []


def test_the_files_ship_in_the_package_data() -> None:
    # importlib.resources, not the source tree: what an installed wheel reads
    from importlib import resources

    shipped = {e.name for e in resources.files("adexplorer.schemas").iterdir()}
    assert {f"{n}.schema.json" for n in CONTRACTS} <= shipped


# ------------------------------------------------------------------ adx schema


def test_adx_schema_lists_one_line_per_schema() -> None:
    code, out = adx("schema")
    assert code == 0
    lines = out.strip().splitlines()
    assert [line.split()[0] for line in lines] == schemas.names()
    assert any("adx.eval/1" in line and "adx eval --json" in line for line in lines)


def test_adx_schema_prints_the_schema_json() -> None:
    code, out = adx("schema", "adx.train/1")
    assert code == 0 and json.loads(out) == schemas.load("train")


def test_adx_schema_unknown_name_exits_1_with_the_valid_names() -> None:
    code, out = adx("schema", "nope")
    assert code == 1 and "no schema named 'nope'" in out and "eval-1" in out
    code, out = adx("schema", "nope", "--json")
    assert code == 1
    error = assert_valid_text(out.splitlines()[0])["error"]
    assert error["kind"] == "usage" and "eval-1" in error["hint"]


# ------------------------------------------------------------------ assert_valid


def _report(*args: str) -> dict[str, Any]:
    code, out = adx(*args)
    assert code in (0, 1), out
    data: dict[str, Any] = json.loads(out.splitlines()[0])
    return data


def test_assert_valid_names_the_place_and_the_rule() -> None:
    report = _report("eval", "x*x", "--at", "x=3", "--json")
    assert_valid(report)
    broken = copy.deepcopy(report)
    broken["trace"][1]["primal"] = "nine"
    with pytest.raises(AssertionError, match=r"\['trace'\]\[1\]\['primal'\]") as caught:
        assert_valid(broken)
    assert "anyOf" in str(caught.value) and "adx.eval/1" in str(caught.value)


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda r: r.pop("memory"), "'memory' is a required property"),
        (lambda r: r.update(grad={"x": 6.0}), "'grad' was unexpected"),
        (lambda r: r["outputs"][0].update(type="real[2]"), "does not match"),
        (lambda r: r["cost"].update(sweep_kind="sideways"), "is not one of"),
        (lambda r: r.update(mode="evaluate"), "should not be valid"),
        (lambda r: r.update(jacobian={"f": {"x": 6.0}}), "should not be valid"),
        (lambda r: r["trace"][0].update(id="x"), "does not match"),
    ],
)
def test_eval_schema_rejects_what_the_contract_rules_out(change: Any, where: str) -> None:
    report = _report("eval", "x*x", "--at", "x=3", "--json")
    change(report)
    with pytest.raises(AssertionError, match=where):
        assert_valid(report)


@pytest.mark.parametrize(
    ("args", "change"),
    [
        (("fd", "sin(x)", "--at", "x=1", "--json"), lambda r: r["schemes"].update(sideways={})),
        (("fd", "sin(x)", "--at", "x=1", "--json"), lambda r: r["schemes"]["central"].pop("rows")),
        (
            ("check", "x*y", "--at", "x=1,y=2", "--json"),
            lambda r: r["nodes"][0].update(status="fine"),
        ),
        (
            ("swell", "sin(x)*x", "--json"),
            lambda r: r["derivatives"][0]["sizes"].update(f_tree=1.5),
        ),
        (("swell", "--family", "exp(#)", "--n", "1:3", "--json"), lambda r: r.pop("levels")),
        (
            ("values", "x", "--at", "x=2", "--json"),
            lambda r: r["inputs"][0].update(**{"from": "elsewhere"}),
        ),
        (("eval", "log(", "--json"), lambda r: r["error"].update(kind="oops")),
        (("eval", "log(", "--json"), lambda r: r["error"].pop("hint")),
    ],
)
def test_every_schema_rejects_a_broken_report(args: tuple[str, ...], change: Any) -> None:
    report = _report(*args)
    assert_valid(report)
    change(report)
    with pytest.raises(AssertionError):
        assert_valid(report)


def test_train_lines_each_follow_the_train_schema(tmp_path: Path) -> None:
    code, out = adx("train", "(w - 3)^2", "--at", "w=0", "--lr", "0.1", "--steps", "3", "--json")
    assert code == 0
    lines = assert_valid_text(out)
    assert [line["kind"] for line in lines] == ["step"] * 3 + ["summary"]
    step = dict(lines[0], loss="big")
    with pytest.raises(AssertionError, match="loss"):
        assert_valid(step)
    summary = dict(lines[-1], status="tired")
    with pytest.raises(AssertionError):
        assert_valid(summary)


# ------------------------------------------------------------------ the fixture catches


def test_the_fixture_catches_a_report_broken_on_purpose(monkeypatch: pytest.MonkeyPatch) -> None:
    import adexplorer.reports.eval as reports_eval

    real = reports_eval.eval_report

    def broken(*args: Any, **kwargs: Any) -> dict[str, Any]:
        report = real(*args, **kwargs)
        del report["cost"]
        return report

    monkeypatch.setattr(reports_eval, "eval_report", broken)
    result = CliRunner().invoke(cli, ["eval", "x*x", "--at", "x=3", "--json"])
    failures = json_failures()
    assert len(failures) == 1 and "'cost' is a required property" in failures[0]
    # the command met the AssertionError as a bug in adx: exit status 3, nothing printed
    assert result.exit_code != 0


def test_the_fixture_catches_a_broken_error_object() -> None:
    from adexplorer.cli import common

    with pytest.raises(AssertionError):
        common.report_json_error("oops", "a kind no contract has")
    assert len(json_failures()) == 1


def test_the_fixture_checks_the_explorers_export(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from adexplorer.explorer import export

    graph = compile_source("x*x").graph
    trace = run(graph, {"x": 3.0}, "reverse")
    path = export.export_json(
        trace, tmp_path / "good.json", numbering="griewank", digits=6, seed=None
    )
    assert json_failures() == [] and json.loads(path.read_text())["schema"] == "adx.eval/1"
    import adexplorer.reports.eval as reports_eval

    real = reports_eval.eval_report
    monkeypatch.setattr(reports_eval, "eval_report", lambda *a, **k: {**real(*a, **k), "extra": 1})
    with pytest.raises(AssertionError, match="'extra' was unexpected"):
        export.export_json(trace, tmp_path / "bad.json", numbering="griewank", digits=6, seed=None)
    assert len(json_failures()) == 1


# ------------------------------------------------------------------ reports from random programs

MODES = ["evaluate", "forward", "reverse"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    expr=expressions,
    point=points,
    mode=st.sampled_from(MODES),
    numbering=st.sampled_from(["griewank", "wengert"]),
    variant=st.sampled_from(["plain", "wrt", "seed", "vector", "checkpoint"]),
)
def test_eval_reports_of_random_expressions_follow_the_schema(
    expr: str, point: dict[str, float], mode: str, numbering: str, variant: str
) -> None:
    graph = compile_source(expr).graph
    at = {name: point[name] for name in graph.input_names}
    first = graph.input_names[0]
    wrt = None
    seed = None
    options: dict[str, Any] = {}
    if variant == "wrt" and mode != "evaluate":
        wrt = first
        if mode == "forward":
            seed = {first: np.ones(())}
        else:
            options["wrt"] = [first]
    elif variant == "seed" and mode == "forward":
        seed = {name: np.asarray(0.5) for name in graph.input_names}
    elif variant == "seed" and mode == "reverse":
        seed = {graph.output_names[0]: np.asarray(2.0)}
    elif variant == "vector" and mode == "forward":
        options["vector"] = True
    elif variant == "checkpoint" and mode == "reverse":
        options["checkpoint"] = "every=2"
    trace = run(graph, at, mode, seed, **options)
    report = eval_report(
        trace, numbering=numbering, wrt=wrt, seed=seed if mode == "forward" else None
    )
    assert_valid(report)
    assert json.loads(json.dumps(report, allow_nan=False)) == report


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expr=expressions, point=points, kind=st.sampled_from(["hvp", "hessian"]))
def test_second_order_reports_of_random_expressions_follow_the_schema(
    expr: str, point: dict[str, float], kind: str
) -> None:
    graph = compile_source(expr).graph
    at = {name: point[name] for name in graph.input_names}
    direction = {graph.input_names[0]: np.asarray(1.0)} if kind == "hvp" else None
    trace = run_second_order(graph, at, direction=direction)
    assert_valid(second_order_eval_report(trace))


@pytest.mark.parametrize(
    "args",
    [
        ("eval", "sum(sigmoid(W@v))", "--at", "W=[[1,2],[3,4]]", "--at", "v=[0.5,-1]", "--json"),
        (
            "eval",
            "W@v",
            "--at",
            "W=[[1,2],[3,4]]",
            "--at",
            "v=[0.5,-1]",
            "--mode",
            "forward",
            "--json",
        ),
        (
            "eval",
            "W@v",
            "--at",
            "W=[[1,2],[3,4]]",
            "--at",
            "v=[0.5,-1]",
            "--vector",
            "--mode",
            "forward",
            "--json",
        ),
        (
            "eval",
            "return x*y, x + sin(y)",
            "--at",
            "x=2,y=1",
            "--mode",
            "reverse",
            "--seed",
            "f1=1,f2=-2",
            "--json",
        ),
        ("eval", "sum(W*W)", "--at", "W=[[1,2],[3,4]]", "--hessian", "--json"),
        ("eval", "x^2*y", "--at", "x=1,y=2", "--hvp", "x=1,y=-1", "--json"),
        ("eval", "sin(sin(sin(x)))", "--at", "x=1", "--checkpoint", "snapshots=1", "--json"),
        ("eval", "log(x)", "--at", "x=-1", "--json"),
        ("fd", "exp(x)*y^2", "--at", "x=0.5,y=2", "--second", "x,x", "--json"),
        ("fd", "abs(x) + x^2", "--at", "x=0.3", "--scheme", "complex", "--json"),
        ("check", "x*y/(1 + y^2)", "--at", "x=1,y=2", "--break", "div b: a/b^2", "--json"),
        ("values", "examples/network.adx", "--json"),
    ],
)
def test_reports_of_each_variant_follow_their_schemas(args: tuple[str, ...]) -> None:
    code, out = adx(*args)
    assert code in (0, 1), out
    assert "error" not in assert_valid_text(out.splitlines()[0])


def test_a_program_with_control_flow_follows_the_schema(tmp_path: Path) -> None:
    program = tmp_path / "flow.adx"
    lines = ["s = 0", "for i in range(3):", "    if x > i:", "        s = s + x*i"]
    program.write_text("\n".join([*lines, "    else:", "        s = s - 1", "return s", ""]))
    code, out = adx("eval", str(program), "--at", "x=1", "--json")
    assert code == 0, out
    report = assert_valid_text(out)
    assert report["control_flow"]["decisions"]
