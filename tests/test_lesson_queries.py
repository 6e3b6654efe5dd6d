"""The table of `from:` queries: the docs list exactly its entries; bad queries are named."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from adexplorer.base.errors import AdxError
from adexplorer.lessons import answers
from adexplorer.lessons.answers import QUERIES, compute, queries_markdown, read_query
from adexplorer.lessons.checker import check_paths
from adexplorer.lessons.model import Explore
from adexplorer.lessons.parser import parse_lesson

DOCS = Path(__file__).resolve().parent.parent / "docs" / "lesson-format.md"
SURVEY = Explore(line=1, program="ln(x1) + x1*x2 - sin(x2)", at="x1=2, x2=5")
NETWORK = Explore(
    line=1,
    program="W: mat[2,2] = [[1, 2], [3, 4]]; x: vec[2] = [0.5, -1]; return sum(tanh(W @ x))",
)

#: A program with an if (line 2) around a for (line 4), for the control-flow queries.
CONTROL = Explore(
    line=1,
    program="x: real = 0.5\nif x < 1:\n    s = x\n    for i in range(3):\n        s = s*s\n"
    "else:\n    s = x\nreturn s",
)


def _docs_query_table() -> str:
    lines = DOCS.read_text().splitlines()
    start = lines.index("| query | the answer | example |")
    end = start
    while end < len(lines) and lines[end].startswith("|"):
        end += 1
    return "\n".join(lines[start:end]) + "\n"


def test_the_docs_list_exactly_the_query_table() -> None:
    """docs/lesson-format.md's table is queries_markdown(): no query missing, none extra."""
    assert _docs_query_table() == queries_markdown(), (
        "regenerate the table in docs/lesson-format.md with "
        "python -c 'from adexplorer.lessons.answers import queries_markdown as q; print(q())'"
    )
    documented = re.findall(r"^\| `([a-z-]+)", _docs_query_table(), flags=re.MULTILINE)
    assert documented == list(QUERIES)


@pytest.mark.parametrize(
    "example", [e for q in QUERIES.values() for e in q.examples], ids=lambda e: e
)
def test_every_example_in_the_table_computes(example: str) -> None:
    query, _ = read_query(example)
    assert example.split()[0] == query.name and len(example.split()) == len(query.args) + 1
    explore = NETWORK if "W[" in example else SURVEY
    if query.name in ("branch", "iterations"):
        explore = CONTROL
    if query.name == "checkpoint":
        explore = dataclasses.replace(SURVEY, checkpoint="snapshots=2")
    if query.name == "descent":
        explore = Explore(line=1, program="(x - 3)^2 + y^2", at="x=0, y=1")
    if query.name in ("vjp", "vjp-vector"):  # reverse mode with a cotangent on the output
        explore = dataclasses.replace(SURVEY, mode="reverse", seed="f=2")
    answer = compute(example, explore)
    assert isinstance(answer, str) or answer == answer  # a number (not NaN) or a word


def test_every_query_has_help_and_an_example() -> None:
    for name, query in QUERIES.items():
        assert query.name == name and query.help and query.examples
        assert all(arg.meta.isupper() for arg in query.args)


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("gradiant x1", ["unknown query 'from: gradiant'", "did you mean 'gradient'?"]),
        ("xyzzy", ["unknown query 'from: xyzzy'", "the queries are value, operations, gradient"]),
        ("gradient", ["'from: gradient' takes 1 word(s) after it, got 0", "gradient NAME"]),
        ("value x1", ["'from: value' takes 0 word(s) after it, got 1"]),
        ("sweeps forwrd", ["MODE = forward or reverse", "did you mean 'forward'?"]),
        ("fd-evals centre", ["SCHEME = forward, backward, central or complex", "'central'"]),
        ("swell df_tre", ["did you mean 'df_tree'?"]),
        ("descent many", ["STEPS as a whole number, not 'many'"]),
        ("family-size x df_tree", ["LEVEL as a whole number"]),
        ("", ["an empty 'from:' query"]),
    ],
)
def test_bad_queries_are_named_with_a_suggestion(query: str, words: list[str]) -> None:
    with pytest.raises(AdxError) as info:
        compute(query, SURVEY)
    for word in words:
        assert word in info.value.message


def test_the_unknown_query_message_lists_every_query() -> None:
    with pytest.raises(AdxError) as info:
        read_query("nonsense")
    assert info.value.message.endswith("the queries are " + ", ".join(QUERIES))


LESSON = """---
id: queries
title: Queries
---

## A step

```adx-explore
program: x*sin(x)
at: x=1
```

```adx-exercise
id: typo
kind: number
question: f?
from: valeu
```

```adx-exercise
id: formula
kind: formula
question: f'(x)?
from: gradiant x
```

```adx-exercise
id: formula-not-a-function
kind: formula
question: f'(x)?
from: operations
```
"""


def test_the_checker_reports_unknown_queries_with_file_line_and_suggestion(
    tmp_path: Path,
) -> None:
    path = tmp_path / "queries.md"
    path.write_text(LESSON)
    _, problems = check_paths([path])
    messages = {p.line: p.message for p in problems}
    assert "did you mean 'value'?" in messages[14] and "the queries are" in messages[14]
    # formula exercises' queries are checked too, though they have no literal answer
    assert "did you mean 'gradient'?" in messages[21]
    assert "takes 'from: value' or 'from: gradient NAME'" in messages[28]
    assert len(problems) == 3


def test_a_formula_query_is_computed_by_the_table(tmp_path: Path) -> None:
    path = tmp_path / "queries.md"
    path.write_text(LESSON.replace("from: valeu", "from: value").replace("gradiant", "gradient"))
    lesson = parse_lesson(path)
    step = lesson.steps[0]
    formula = step.exercises[1]
    assert answers.check(formula, step.explore, "sin(x) + x*cos(x)").correct
    assert not answers.check(formula, step.explore, "x*cos(x)").correct
