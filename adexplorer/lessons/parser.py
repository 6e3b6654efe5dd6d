"""Reading lesson files: front matter, ``##`` steps, and ``adx-explore``/``adx-exercise`` blocks.

The front matter is YAML, read with ``yaml.safe_load`` (so course sites can read
it too) and checked key by key.  The body is parsed by markdown-it (CommonMark):
top-level ``## `` headings start steps and ``adx-`` fences are blocks, with their
line numbers, so a ``## `` line inside a code block stays code.  Blocks are
``key: value`` lines read by a small parser; a value that starts with a quote is
read as YAML reads a quoted string (``_scalar``).  Every problem is reported with its
file and line, and a lesson is plain data: keys are checked against fixed lists,
values are strings, numbers and lists, and nothing is ever evaluated as code.
"""

from __future__ import annotations

import json
import math
import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from markdown_it import MarkdownIt

from adexplorer.base.errors import AdxError, closest, did_you_mean
from adexplorer.base.files import RefusedFile, read_regular_text
from adexplorer.base.limits import limit
from adexplorer.core.checkpoint import parse_checkpoint
from adexplorer.lessons.model import (
    EXERCISE_KEYS,
    EXERCISE_KINDS,
    EXPLORE_KEYS,
    EXPLORE_MODES,
    FRONT_KEYS,
    Exercise,
    Explore,
    Lesson,
    Step,
)

FENCE = "```"
_MARKDOWN = MarkdownIt("commonmark")

#: The keys whose value is a list (``- item`` lines, or ``[a, b]``).
LIST_KEYS = ("hints", "choices", "why")
#: The keys that may take a block of lines (``program: |`` and the indented lines under it).
BLOCK_KEYS = ("program",)


#: How much a problem weighs: an error fails ``adx lesson check``; a warning or a
#: notice is shown and does not.
SEVERITIES = ("error", "warning", "notice")


@dataclass
class Problem:
    """Something wrong (or worth a look) in a lesson file, at its line (1-based) and,
    when known, its column (1-based)."""

    path: Path
    line: int
    message: str
    column: int | None = None
    severity: str = "error"  # one of SEVERITIES

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" + (f":{self.column}" if self.column else "")
        label = {"warning": "warning: ", "notice": "note: "}.get(self.severity, "")
        return f"{where}: {label}{self.message}"


@dataclass
class ParsedLesson:
    """What a lesson file reads as, problems included: ``lesson`` is None only when
    nothing of it could be read (no file, front matter never closed).  ``faulty``
    holds the lines of the parts with format problems, which a checker must not
    check further (their problems would only repeat these): an exercise's line, or
    the heading line of a step whose ``adx-explore`` block is faulty."""

    lesson: Lesson | None
    problems: list[Problem]
    faulty: frozenset[int] = frozenset()
    #: The line of each front-matter key (``id``, ``prerequisites``…) and of each
    #: prerequisite (``prerequisite:ID``, from the YAML parser's node marks), so that
    #: what the checker finds there points at it (a missing key: no entry).
    front_lines: dict[str, int] = field(default_factory=dict)

    def line_of(self, key: str, *fallbacks: str) -> int:
        """The line of front-matter ``key`` (or of the first fallback given), else 1."""
        for name in (key, *fallbacks):
            if name in self.front_lines:
                return self.front_lines[name]
        return 1


class LessonFormatError(Exception):
    """One or more problems in a lesson file (all of them, not just the first)."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems

    def as_adx_error(self) -> AdxError:
        # Each problem already starts with its FILE:LINE: no span or origin, which
        # would print the first one's place twice ("error: f.md:2:1: f.md:2: …").
        return AdxError("lesson", "\n".join(str(p) for p in self.problems))


@dataclass
class _Block:
    kind: str
    line: int
    values: dict[str, str] = field(default_factory=dict)
    lists: dict[str, list[str]] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    blocks: set[str] = field(default_factory=set)  # keys given as ``key: |`` blocks


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _literal_block(lines: list[str], start: int, key_line: str) -> tuple[str, int]:
    """The lines of a ``key: |`` block starting at ``lines[start]``: those indented deeper
    than the key (blank lines included), dedented by their common margin, as YAML's
    literal block reads them.  Returns the text and the index of the first line after it."""
    margin = _indent(key_line)
    end = start
    while end < len(lines) and (not lines[end].strip() or _indent(lines[end]) > margin):
        end += 1
    while end > start and not lines[end - 1].strip():  # trailing blank lines are not part of it
        end -= 1
    body = [line.rstrip() for line in lines[start:end]]
    return textwrap.dedent("\n".join(body)), end


def _parse_pairs(
    lines: list[str],
    first_line: int,
    allowed: tuple[str, ...],
    what: str,
    path: Path,
    problems: list[Problem],
) -> _Block:
    """``key: value`` lines, lists written as ``key:`` then ``  - item`` lines, and
    blocks written as ``key: |`` then indented lines (for a program with ``if`` and ``for``)."""
    block = _Block(what, first_line)
    current_list: str | None = None
    skip_to = 0  # the lines of a ``key: |`` block are its value, not pairs
    for offset, raw in enumerate(lines):
        if offset < skip_to:
            continue
        number = first_line + offset
        line = raw.rstrip()
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        stripped = line.strip()
        if stripped.startswith("- ") and current_list is not None:
            item = _scalar(stripped[2:].strip(), number, what, path, problems)
            block.lists[current_list].append(item)
            continue
        if ":" not in line:
            problems.append(
                Problem(
                    path, number, f"expected 'key: value' in the {what} block, not {stripped!r}"
                )
            )
            continue
        key, _, value = line.partition(":")
        key = key.strip()
        value = value.strip()
        if key not in allowed:
            hint = did_you_mean(key, allowed)
            problems.append(
                Problem(
                    path,
                    number,
                    f"unknown key '{key}' in the {what} block"
                    + (f" ({hint})" if hint else f"; the keys are {', '.join(allowed)}"),
                )
            )
            continue
        if key in block.values or key in block.lists:
            problems.append(Problem(path, number, f"'{key}' is given twice in the {what} block"))
        block.lines[key] = number
        if value == "|" and key in BLOCK_KEYS:
            text, skip_to = _literal_block(lines, offset + 1, line)
            if not text.strip():
                problems.append(
                    Problem(
                        path,
                        number,
                        f"'{key}: |' must be followed by the {key}'s lines, each indented "
                        f"deeper than '{key}:'",
                    )
                )
            block.values[key] = text
            block.blocks.add(key)
            current_list = None
        elif value == "" and key in LIST_KEYS:
            block.lists[key] = []
            current_list = key
        elif value.startswith("[") and value.endswith("]") and key in LIST_KEYS:
            block.lists[key] = _flow_list(value, number, what, path, problems)
            current_list = None
        else:
            block.values[key] = _scalar(value, number, what, path, problems)
            current_list = None
    return block


def _scalar(value: str, line: int, what: str, path: Path, problems: list[Problem]) -> str:
    """A value as YAML reads a quoted string: ``"…"`` (with escapes such as ``\\"``) or
    ``'…'`` (``''`` for a quote) is the text inside; anything else is the text as written
    (so a question may contain ``: `` and ``#`` without quotes)."""
    if not value or value[0] not in "\"'":
        return value
    try:
        data = yaml.safe_load(value)
    except yaml.YAMLError as error:
        what_went_wrong = getattr(error, "problem", None) or "it cannot be read"
        problems.append(
            Problem(
                path,
                line,
                f"a quoted value in the {what} block is not a YAML string "
                f"({what_went_wrong}): close the quote at the end of the value, and write a "
                'quote inside "…" as \\" (or leave the value unquoted)',
            )
        )
        return value
    if not isinstance(data, str):  # '"a" b' reads as a mapping or fails above
        problems.append(
            Problem(
                path,
                line,
                f"a value in the {what} block starts with a quote but goes on after the "
                "closing quote; quote all of it, or none",
            )
        )
        return value
    return data


def _flow_list(value: str, line: int, what: str, path: Path, problems: list[Problem]) -> list[str]:
    """``[a, b, "c, d"]``: items split at commas outside quotes, each read by ``_scalar``."""
    items: list[str] = []
    current: list[str] = []
    quote: str | None = None
    for char in value[1:-1]:
        if quote is None and char == ",":
            items.append("".join(current).strip())
            current = []
            continue
        if quote is None and char in "\"'" and not "".join(current).strip():
            quote = char
        elif char == quote:
            quote = None
        current.append(char)
    items.append("".join(current).strip())
    return [_scalar(item, line, what, path, problems) for item in items if item]


_KEY_LINE = re.compile(r"([^\s#:'\"-][^:]*?)\s*:(?:\s|$)")


def _front_matter(
    lines: list[str],
    path: Path,
    problems: list[Problem],
    key_lines: dict[str, int] | None = None,
) -> dict[str, Any]:
    """The front matter (the lines between the ``---`` lines, which start at line 2) as YAML.

    Read with ``yaml.safe_load`` (plain data: strings, numbers, lists), then
    checked key by key; each problem names the line of its key.  ``key_lines`` is
    filled with each key's line and each prerequisite's (``prerequisite:ID``).
    """
    if key_lines is None:
        key_lines = {}
    raw: dict[str, str] = {}  # the value as written (for the quoting a message suggests)
    for offset, text in enumerate(lines):
        match = _KEY_LINE.match(text)
        if match:
            key = match.group(1)
            if key in key_lines:
                problems.append(
                    Problem(path, offset + 2, f"'{key}' is given twice in the front matter")
                )
            else:
                key_lines[key] = offset + 2
                raw[key] = text[match.end() :].strip()
    try:
        data = yaml.safe_load("\n".join(lines))
    except yaml.YAMLError as error:
        problems.append(_yaml_problem(error, lines, path))
        return {}
    except RecursionError:  # PyYAML composes nested lists and mappings recursively
        problems.append(
            Problem(path, 2, "the front matter nests lists or mappings too deeply to be read")
        )
        return {}
    if data is None:
        data = {}
    if not isinstance(data, dict):
        problems.append(Problem(path, 2, "the front matter must be 'key: value' lines"))
        return {}
    front: dict[str, Any] = {}
    for key, value in data.items():
        line = key_lines.get(str(key), 2)
        if key not in FRONT_KEYS:
            hint = did_you_mean(str(key), FRONT_KEYS)
            problems.append(
                Problem(
                    path,
                    line,
                    f"unknown key '{key}' in the front matter"
                    + (f" ({hint})" if hint else f"; the keys are {', '.join(FRONT_KEYS)}"),
                )
            )
        elif value is None:
            continue  # 'summary:' with nothing after it: as if it were not given
        elif key == "order":
            if isinstance(value, bool) or not isinstance(value, int):
                problems.append(Problem(path, line, "'order' must be a whole number"))
            else:
                front[key] = value
        elif key == "prerequisites":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                problems.append(
                    Problem(
                        path,
                        line,
                        "'prerequisites' must be a list of lesson ids, e.g. [forward-mode]",
                    )
                )
            else:
                front[key] = value
                key_lines.update(_item_lines(lines, key))
        elif not isinstance(value, str):
            problems.append(
                Problem(
                    path,
                    line,
                    f"'{key}' must be text, not {_yaml_kind(value)}; put it in double quotes"
                    + _quoted(str(key), raw),
                )
            )
        else:
            front[key] = value
    for key in ("id", "title"):
        if not front.get(key) and not any(p.line == key_lines.get(key) for p in problems):
            problems.append(Problem(path, 1, f"the front matter needs '{key}:'"))
    return front


def _item_lines(lines: list[str], key: str) -> dict[str, int]:
    """``prerequisite:ID`` → the line of that item of list ``key``, from the marks of
    the YAML parser's nodes (an item may sit on its own ``- id`` line)."""
    try:
        root = yaml.compose("\n".join(lines), Loader=yaml.SafeLoader)
    except (yaml.YAMLError, RecursionError):  # safe_load read it: cannot happen, but be safe
        return {}
    found: dict[str, int] = {}
    if isinstance(root, yaml.MappingNode):
        for key_node, value_node in root.value:
            if key_node.value == key and isinstance(value_node, yaml.SequenceNode):
                for item in value_node.value:
                    if isinstance(item, yaml.ScalarNode):
                        found.setdefault(f"prerequisite:{item.value}", item.start_mark.line + 2)
    return found


def _quoted(key: str, raw: dict[str, str]) -> str:
    """``: key: "value"`` with the value as written, to paste; never ``str(value)``:
    YAML aliases can make a few lines stand for a value of billions of items."""
    if key not in raw:
        return ""
    return f": {key}: {json.dumps(raw[key], ensure_ascii=False)}"


def _yaml_kind(value: object) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return "a date" if hasattr(value, "isoformat") else type(value).__name__


def _yaml_problem(error: yaml.YAMLError, lines: list[str], path: Path) -> Problem:
    """A YAML syntax error at its line, with the quoting that usually fixes it."""
    mark = getattr(error, "context_mark", None) or getattr(error, "problem_mark", None)
    offset = mark.line if mark is not None else 0
    what = getattr(error, "problem", None) or str(error).splitlines()[0]
    message = f"the front matter is not valid YAML: {what}"
    match = _KEY_LINE.match(lines[offset]) if offset < len(lines) else None
    if match:
        key, value = match.group(1), lines[offset][match.end() :].strip()
        if value and value[0] not in "\"'":
            quoted = json.dumps(value, ensure_ascii=False)
            message += f"; put the value in double quotes: {key}: {quoted}"
    column = mark.column + 1 if mark is not None else None
    return Problem(path, offset + 2, message, column)


def read_lesson_text(path: Path) -> str:
    """The text of the one file the student opened: a regular file of at most 1 MiB.

    Nothing else is ever read on a lesson's behalf (there are no includes), and a
    FIFO, a device such as /dev/zero or a symlink to one is refused, not read.
    """
    try:
        return read_regular_text(path, limit("lesson_bytes"), what="lesson")
    except RefusedFile as exc:
        raise LessonFormatError([Problem(path, 1, f"not read as a lesson: {exc}")]) from None
    except FileNotFoundError:
        raise LessonFormatError([Problem(path, 1, "no such file")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise LessonFormatError([Problem(path, 1, f"cannot read the file: {exc}")]) from None


def parse_lesson(path: Path, text: str | None = None) -> Lesson:
    """Read a lesson; raise LessonFormatError listing every problem found."""
    parsed = read_lesson(path, text)
    if parsed.problems or parsed.lesson is None:
        raise LessonFormatError(parsed.problems)
    return parsed.lesson


def read_lesson(path: Path, text: str | None = None) -> ParsedLesson:
    """Read a lesson as far as it can be read: the lesson made of its sound parts,
    every format problem, and which parts are faulty (``adx lesson check`` goes on
    to check the rest, so a file's problems are all reported in one run)."""
    path = Path(path)
    problems: list[Problem] = []
    if text is None:
        try:
            text = read_lesson_text(path)
        except LessonFormatError as error:
            return ParsedLesson(None, error.problems)
    # markdown-it splits lines only at \n (after \r\n and \r): so must we, for line numbers
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")

    # front matter
    front_lines: dict[str, int] = {}
    if not lines or lines[0].strip() != "---":
        problems.append(
            Problem(path, 1, "a lesson starts with front matter: a '---' line, keys, '---'")
        )
        front: dict[str, Any] = {}
        end = -1  # the body is the whole file: its steps can still be checked
    else:
        try:
            end = next(k for k in range(1, len(lines)) if lines[k].strip() == "---")
        except StopIteration:
            # where the body starts is unknown: nothing more can be read reliably
            problems.append(Problem(path, 1, "the front matter is never closed with '---'"))
            return ParsedLesson(None, problems)
        front = _front_matter(lines[1:end], path, problems, front_lines)
    order = front.get("order", 0)

    faulty: set[int] = set()
    intro, steps = _body(lines, end + 1, path, problems, faulty)
    if not steps:
        problems.append(
            Problem(path, max(end + 1, 1), "a lesson needs at least one step (a '## ' heading)")
        )
    seen: dict[str, int] = {}
    for step in steps:
        for ex in step.exercises:
            if ex.id in seen:
                problems.append(
                    Problem(
                        path,
                        ex.line,
                        f"exercise id '{ex.id}' is used twice (first on line {seen[ex.id]})",
                    )
                )
            seen[ex.id] = ex.line
    lesson = Lesson(
        path=path,
        id=front.get("id", ""),
        title=front.get("title", ""),
        summary=front.get("summary", ""),
        order=order,
        prerequisites=tuple(front.get("prerequisites", ())),
        intro=intro,
        steps=tuple(steps),
    )
    return ParsedLesson(lesson, problems, frozenset(faulty), front_lines)


@dataclass
class _StepDraft:
    """A step while its blocks are being read."""

    line: int  # the heading's line (1-based)
    title: str
    end: int  # the index (0-based) of the line after its last one
    explore: Explore | None = None
    exercises: list[Exercise] = field(default_factory=list)


def _body(
    lines: list[str], first: int, path: Path, problems: list[Problem], faulty: set[int]
) -> tuple[str, list[Step]]:
    """The intro and the steps: each top-level ``## `` heading starts a step.

    ``faulty`` receives the lines of the blocks with problems (see ``ParsedLesson``).

    markdown-it finds the headings and fences, so a ``## `` line inside a code
    block is code, and an ``adx-`` fence inside a longer fence is text.  ``first``
    is the index of the body's first line in ``lines`` (line numbers are 1-based).
    """
    tokens = _MARKDOWN.parse("\n".join(lines[first:]))
    intro_end = len(lines)
    drafts: list[_StepDraft] = []
    hidden: set[int] = set()  # lines of adx blocks: not prose
    for index, token in enumerate(tokens):
        if token.map is None:
            continue
        top, bottom = token.map[0] + first, token.map[1] + first  # indexes into lines
        if token.type == "heading_open" and token.markup == "##" and token.level == 0:
            if not drafts:
                intro_end = top
            drafts.append(_StepDraft(top + 1, tokens[index + 1].content.strip(), end=len(lines)))
            if len(drafts) > 1:
                drafts[-2].end = top
            hidden.add(top)
            continue
        if token.type != "fence" or not token.info.strip().startswith("adx-"):
            continue
        kind = token.info.strip()
        hidden.update(range(top, bottom))
        body = token.content.splitlines()
        if len(body) != bottom - top - 2:  # the fence ran to the end of its container
            problems.append(
                Problem(path, top + 1, f"the {kind} block is never closed with {FENCE}")
            )
            if kind == "adx-explore" and drafts:  # its step's exercises have no exploration
                faulty.add(drafts[-1].line)
            continue
        current = drafts[-1] if drafts else None
        if current is None:
            problems.append(
                Problem(
                    path,
                    top + 1,
                    f"an {kind} block must be inside a step (after a '## ' heading)",
                )
            )
            continue
        before = len(problems)
        if kind == "adx-explore":
            if current.explore is not None:
                problems.append(Problem(path, top + 1, "a step has at most one adx-explore block"))
            current.explore = _explore(
                _parse_pairs(body, top + 2, EXPLORE_KEYS, "adx-explore", path, problems),
                path,
                problems,
            )
            if len(problems) > before:
                faulty.add(current.line)
        elif kind == "adx-exercise":
            exercise = _exercise(
                _parse_pairs(body, top + 2, EXERCISE_KEYS, "adx-exercise", path, problems),
                path,
                problems,
            )
            if exercise is not None:
                current.exercises.append(exercise)
                if len(problems) > before:
                    faulty.add(exercise.line)
        else:
            problems.append(
                Problem(path, top + 1, f"unknown block '{kind}'; use adx-explore or adx-exercise")
            )

    def prose(start: int, stop: int) -> str:
        return "\n".join(lines[k] for k in range(start, stop) if k not in hidden).strip()

    steps = [
        Step(
            line=draft.line,
            title=draft.title,
            prose=prose(draft.line, draft.end),
            explore=draft.explore,
            exercises=tuple(draft.exercises),
        )
        for draft in drafts
    ]
    return prose(first, intro_end), steps


def _statements(program: str) -> str:
    """The one-line ``program:`` value with its statements on lines of their own.

    ``;`` separates statements, but a ``#`` comment runs to the end of the line
    and a ``;`` in it is part of the comment: ``x^2  # f(x) = x²; a parabola``
    is one statement, not ``x^2`` and a statement ``a parabola``.
    """
    code, hash_mark, comment = program.partition("#")
    return code.replace(";", "\n") + hash_mark + comment


def _explore(block: _Block, path: Path, problems: list[Problem]) -> Explore | None:
    v = block.values
    if "program" not in v:
        problems.append(Problem(path, block.line, "an adx-explore block needs 'program:'"))
        return None
    mode = v.get("mode", "reverse")
    if mode not in EXPLORE_MODES:
        match = closest(mode, EXPLORE_MODES)
        problems.append(
            Problem(
                path,
                block.lines.get("mode", block.line),
                f"mode must be {', '.join(EXPLORE_MODES[:-1])} or {EXPLORE_MODES[-1]}, "
                f"not {mode!r}" + (f" (did you mean '{match}'?)" if match else ""),
            )
        )
    elif mode in ("vector", "hessian") and v.get("seed", "").strip():
        problems.append(
            Problem(
                path,
                block.lines.get("seed", block.line),
                f"mode: {mode} takes no seed: it runs every unit direction "
                + ("at once" if mode == "vector" else "(one nested sweep each)")
                + "; for one direction u write mode: "
                + ("forward" if mode == "vector" else "hvp")
                + " with seed: u",
            )
        )
    pane = v.get("pane", "trace")
    if pane not in ("trace", "fd", "swell", "cost", "descent"):
        problems.append(
            Problem(
                path,
                block.lines.get("pane", block.line),
                f"pane must be trace, fd, swell, cost or descent, not {pane!r}",
            )
        )
    step = v.get("step", "0")
    if step != "end" and not (step.isascii() and step.isdigit()):  # int('²') fails
        problems.append(
            Problem(
                path,
                block.lines.get("step", block.line),
                f"step must be a number or 'end', not {step!r}",
            )
        )
    checkpoint = v.get("checkpoint", "").strip()
    if checkpoint:
        try:
            checkpoint = str(parse_checkpoint(checkpoint))
        except AdxError as error:
            problems.append(
                Problem(
                    path,
                    block.lines["checkpoint"],
                    f"checkpoint: {error.message}" + (f"; {error.hint}" if error.hint else ""),
                )
            )
    eta = 0.1
    if "eta" in v:
        eta = _number(v["eta"], "eta", block.lines["eta"], path, problems, positive=True) or eta
    return Explore(
        line=block.line,
        # a block is the program's lines as written; one line may use ';' between statements
        program=v["program"] if "program" in block.blocks else _statements(v["program"]),
        at=v.get("at", ""),
        mode=mode,
        seed=v.get("seed", ""),
        pane=pane,
        step=step,
        family=v.get("family", "4*#*(1-#)"),
        eta=eta,
        train=_names(
            v.get("train", ""), "train", block.lines.get("train", block.line), path, problems
        ),
        broken_rule=v.get("break", "").strip(),
        checkpoint=checkpoint,
        folder=path.parent,
    )


def _names(text: str, key: str, line: int, path: Path, problems: list[Problem]) -> tuple[str, ...]:
    """A comma-separated list of input names (checked against the program when it runs)."""
    names = tuple(part.strip() for part in text.split(",")) if text.strip() else ()
    for name in names:
        if not name.isidentifier():
            problems.append(
                Problem(path, line, f"{key} takes input names separated by commas, not {name!r}")
            )
            return ()
    return names


def _number(
    text: str, key: str, line: int, path: Path, problems: list[Problem], positive: bool = False
) -> float | None:
    """A finite number ≥ 0 (> 0 if ``positive``), or None with a problem: a tolerance
    of nan or -1 would make an exercise impossible to answer, one of inf trivial."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0 or (positive and value == 0):
        least = "greater than 0" if positive else "0 or more"
        problems.append(Problem(path, line, f"{key} must be a number {least}, not {text!r}"))
        return None
    return value


def _exercise(block: _Block, path: Path, problems: list[Problem]) -> Exercise | None:
    v = block.values
    missing = [k for k in ("id", "kind", "question") if k not in v]
    if missing:
        problems.append(
            Problem(path, block.line, f"an adx-exercise block needs {', '.join(missing)}")
        )
        return None
    kind = v["kind"]
    if kind not in EXERCISE_KINDS:
        problems.append(
            Problem(
                path,
                block.lines["kind"],
                f"kind must be one of {', '.join(EXERCISE_KINDS)}, not {kind!r}",
            )
        )
    if "answer" not in v and "from" not in v:
        problems.append(
            Problem(
                path,
                block.line,
                "an exercise needs 'answer:' (a literal) or 'from:' (computed), or both",
            )
        )
    choices = tuple(block.lists.get("choices", []))
    if kind == "choice" and len(choices) < 2:
        problems.append(
            Problem(path, block.line, "a choice exercise needs at least two 'choices:'")
        )
    if len(choices) > 10:
        problems.append(
            Problem(
                path, block.line, f"at most ten choices, (a) to (j); this one has {len(choices)}"
            )
        )
    why = tuple(block.lists.get("why", []))
    if why and len(why) != len(choices):
        problems.append(
            Problem(
                path,
                block.lines["why"],
                f"'why:' gives one line per choice, in the same order: {len(choices)} "
                f"choices, {len(why)} line(s)",
            )
        )
    if "answer" in v and not v["answer"]:
        problems.append(Problem(path, block.lines["answer"], "'answer:' is empty"))
    tolerance = 1e-6 if kind != "order" else 1.0
    if "tolerance" in v:
        given = _number(v["tolerance"], "tolerance", block.lines["tolerance"], path, problems)
        tolerance = tolerance if given is None else given
    digits = 3
    if "digits" in v:
        text = v["digits"]
        if text.isascii() and text.isdigit() and 1 <= int(text) <= 17:
            digits = int(text)
        else:
            problems.append(
                Problem(
                    path,
                    block.lines["digits"],
                    f"digits must be a whole number from 1 to 17 (significant digits), "
                    f"not {text!r}",
                )
            )
    return Exercise(
        line=block.line,
        id=v["id"],
        kind=kind,
        question=v["question"],
        answer=v.get("answer", ""),
        query=v.get("from", ""),
        tolerance=tolerance,
        hints=tuple(block.lists.get("hints", [])),
        choices=choices,
        why=why if len(why) == len(choices) else (),
        explain=v.get("explain", ""),
        digits=digits,
        tolerance_given="tolerance" in v,
    )
