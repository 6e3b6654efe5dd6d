"""``adx lesson check`` after the fresh-eyes test: one error does not hide another,
front-matter problems point at their line, prerequisites resolve the same however
the checker is invoked, and ``--format json`` answers a usage error in JSON."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from click.testing import CliRunner

from adexplorer.base.resources import lessons_dir
from adexplorer.cli.main import cli
from adexplorer.core.trace import run as run_trace
from adexplorer.lang.lower import compile_source
from adexplorer.lessons.checker import check_files
from tests.json_contract import assert_valid
from tests.test_cli_eval import COMMAND

FORWARD = (lessons_dir() / "05-forward-mode.md").read_text(encoding="utf-8")


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def line_of(text: str, needle: str, nth: int = 1) -> int:
    """The 1-based line of the ``nth`` line of ``text`` that starts with ``needle``."""
    return [k + 1 for k, line in enumerate(text.splitlines()) if line.startswith(needle)][nth - 1]


def copy(tmp_path: Path, text: str, name: str = "05-forward-mode.md") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def messages(path: Path) -> list[tuple[int, str, str]]:
    result = check_files([path])
    return [(p.line, p.severity, p.message) for p in result.problems]


# ------------------------------------------------------------------ 1: no hidden errors


def test_a_bad_seed_says_which_exercises_wait_for_it(tmp_path: Path) -> None:
    # the tester's file: seed x9 in the first exploration, tangent-v2's answer 7
    text = FORWARD.replace("seed: x1\n", "seed: x9\n", 1).replace("answer: 5\n", "answer: 7\n", 1)
    path = copy(tmp_path, text)
    found = messages(path)
    explore = line_of(text, "program:", 1)
    assert (explore, "error") == found[0][:2] and "'x9' is not an input" in found[0][2]
    # tangent v2 needs the seed: not checked, and said so at its line
    exercise = line_of(text, "id: tangent-v2")
    assert (
        exercise,
        "warning",
        f"exercise 'tangent-v2' (line {exercise}) not checked: its exploration at line "
        f"{explore} has an error",
    ) in found
    # the rule of a multiplication does not depend on the seed: checked (and it is right)
    assert not any("rule-mul" in message for _, _, message in found)
    assert [severity for _, severity, _ in found].count("error") == 1
    # once the seed is fixed, the answer the warning announced is reported
    fixed = copy(tmp_path, text.replace("seed: x9\n", "seed: x1\n"))
    after = messages(fixed)
    assert [(line, severity) for line, severity, _ in after] == [(exercise, "error")]
    # the engine's value: v̇2 = ẋ1·x2 + x1·ẋ2 = 1·5 + 2·0 with seed x1 at (2, 5)
    graph = compile_source("ln(x1) + x1*x2 - sin(x2)").graph
    trace = run_trace(graph, {"x1": 2.0, "x2": 5.0}, "forward", {"x1": 1.0, "x2": 0.0})
    v2 = graph.labels("griewank").index("v2")
    assert float(trace.tangent_sweeps[0].tangents[v2]) == 5.0 and "= 5.0" in after[0][2]


def test_a_bad_seed_does_not_hide_a_wrong_answer_that_does_not_need_it(tmp_path: Path) -> None:
    text = FORWARD.replace("seed: x1=1,x2=0.5\n", "seed: x9=1,x2=0.5\n", 1)
    start = text.index("id: sweeps-forward")
    end = text.index("```", start)
    text = text[:start] + text[start:end].replace("from:", "answer: 3\nfrom:") + text[end:]
    path = copy(tmp_path, text)
    found = messages(path)
    explore = line_of(text, "program:", 3)
    errors = [(line, message) for line, severity, message in found if severity == "error"]
    # both errors in one run: the seed, and the literal answer (the survey has 2 inputs,
    # so 2 forward sweeps give its gradient)
    assert [line for line, _ in errors] == [explore, line_of(text, "id: sweeps-forward")]
    assert "'x9' is not an input" in errors[0][1]
    assert "the literal answer 3 disagrees with the engine: sweeps forward = 2" in errors[1][1]
    # the directional derivative needs the seed: announced, not checked
    direction = line_of(text, "id: direction")
    assert (direction, "warning") in [(line, severity) for line, severity, _ in found]


def test_a_reverse_mode_seed_error_keeps_the_seed_free_exercises_checked(tmp_path: Path) -> None:
    text = (
        "---\nid: r\ntitle: R\n---\n\n## S\n\n```adx-explore\nprogram: return x*y, x + y\n"
        "at: x=2, y=3\nmode: reverse\nseed: g1=1\n```\n\n"
        "```adx-exercise\nid: val\nkind: number\nquestion: v1?\nanswer: 7\nfrom: primal v1\n```\n\n"
        "```adx-exercise\nid: adj\nkind: number\nquestion: adjoint?\nfrom: adjoint v-1\n```\n"
    )
    found = messages(copy(tmp_path, text, "r.md"))
    assert [(line, severity) for line, severity, _ in found] == [
        (line_of(text, "program:"), "error"),  # the seed names no output
        (line_of(text, "id: val"), "error"),  # v1 = x·y = 6, not 7: found all the same
        (line_of(text, "id: adj"), "warning"),  # an adjoint depends on ȳ: waits for the seed
    ], found
    assert "primal v1 = 6.0" in found[1][2]


# ------------------------------------------------------------------ 2: lines of the front matter


def test_a_duplicate_id_and_a_bad_prerequisite_point_at_their_lines(tmp_path: Path) -> None:
    body = "\n## S\n\nText.\n"
    copy(tmp_path, "---\nid: same\ntitle: A\n---\n" + body, "a.md")
    copy(
        tmp_path,
        "---\ntitle: B\nsummary: b\nid: same\nprerequisites:\n  - forward-mode\n"
        "  - forwrd-mode\n---\n" + body,
        "b.md",
    )
    result = check_files([tmp_path])
    found = {(p.path.name, p.line): p.message for p in result.problems}
    assert set(found) == {("b.md", 4), ("b.md", 7)}, found
    assert "lesson id 'same' is also used by" in found["b.md", 4]
    assert "prerequisite 'forwrd-mode'" in found["b.md", 7]
    assert "did you mean 'forward-mode'?" in found["b.md", 7]


def test_a_bad_prerequisite_in_a_flow_list_points_at_its_key(tmp_path: Path) -> None:
    path = copy(tmp_path, "---\nid: a\ntitle: A\nprerequisites: [nothing-like-it]\n---\n\n## S\n")
    assert [(line, severity) for line, severity, _ in messages(path)] == [(4, "error")]


# ------------------------------------------------------------------ 3: prerequisites, consistently


def test_prerequisites_resolve_the_same_alone_or_with_the_folder(tmp_path: Path) -> None:
    # lesson 05 needs computational-graphs: a built-in lesson, known either way
    path = copy(tmp_path, FORWARD)
    assert check_files([tmp_path]).ok and check_files([path]).ok
    # a prerequisite in the file's own folder is known when the file is checked alone
    copy(tmp_path, "---\nid: sibling\ntitle: S\n---\n\n## S\n\nText.\n", "01-sibling.md")
    second = copy(
        tmp_path, "---\nid: n\ntitle: N\nprerequisites: [sibling]\n---\n\n## S\n\nT.\n", "n.md"
    )
    assert check_files([second]).ok and check_files([tmp_path]).ok
    # an unknown one is an error however it is checked (before: only with other files)
    unknown = copy(
        tmp_path, "---\nid: u\ntitle: U\nprerequisites: [nowhere]\n---\n\n## S\n\nT.\n", "u.md"
    )
    for paths in ([unknown], [tmp_path]):
        result = check_files(paths)
        assert [(p.path.name, p.line) for p in result.problems] == [("u.md", 4)]
        assert "prerequisite 'nowhere' is not a known lesson id" in result.problems[0].message


# ------------------------------------------------------------------ 4: usage errors in JSON


def test_a_usage_error_with_format_json_is_one_json_error_on_stdout() -> None:
    for args in (["--format", "json"], ["--format=json"], ["--format", "json", "--nope", "x"]):
        done = subprocess.run(
            [*COMMAND, "lesson", "check", *args], capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 2, done
        report = json.loads(done.stdout)
        assert_valid(report)
        assert report["error"]["kind"] == "usage"
        assert "Usage:" in done.stderr  # the usual usage text stays on stderr
    done = subprocess.run(
        [*COMMAND, "lesson", "check", "--format", "text"], capture_output=True, text=True
    )
    assert done.returncode == 2 and done.stdout == "" and "Missing argument" in done.stderr
    # a file named "json" after --: not the format
    done = subprocess.run(
        [*COMMAND, "lesson", "check", "--", "--format", "json"], capture_output=True, text=True
    )
    assert done.stdout == ""


def test_an_exercise_before_any_exploration_is_still_checked(tmp_path: Path) -> None:
    text = (
        "---\nid: e\ntitle: E\n---\n\n## S\n\n"
        "```adx-exercise\nid: early\nkind: number\nquestion: f?\nfrom: value\n```\n"
    )
    found = messages(copy(tmp_path, text, "e.md"))
    assert [(line, severity) for line, severity, _ in found] == [
        (line_of(text, "id: early"), "error")
    ]
