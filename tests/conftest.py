"""Shared fixtures: the worked examples from the reference texts, helpers, and every JSON
output the tests produce validated against its schema (adexplorer/schemas)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

DATA = Path(__file__).parent / "data"


def worked_examples() -> list[dict[str, Any]]:
    return json.loads((DATA / "worked-examples.json").read_text())["cases"]


@pytest.fixture(scope="session")
def examples() -> list[dict[str, Any]]:
    return worked_examples()


# ------------------------------------------------------------------ every JSON output validated
#
# Each command prints its JSON through ``json_dumps`` (adexplorer.base.text), called by
# ``dump_json``/``fail``/``report_json_error`` (adexplorer.cli.common) and the train
# lines writer; the explorer saves its report through ``export_json``.  During the tests
# every module's binding of those functions is wrapped so that each document is checked
# against its schema (tests/json_contract.py).  A bad document is recorded (the command
# may catch the AssertionError and report an internal error instead) and fails the test
# at teardown.  Commands run in a subprocess escape this: their tests call assert_valid.

_JSON_FAILURES: list[str] = []


def _validated(data: Any) -> None:
    from tests.json_contract import assert_valid

    try:
        assert_valid(data)
    except AssertionError as problem:
        _JSON_FAILURES.append(str(problem))
        raise


def _wrap_json_printers() -> pytest.MonkeyPatch:
    import functools
    import importlib
    import pkgutil
    import sys

    import adexplorer.cli
    from adexplorer.base import text
    from adexplorer.explorer import export

    for module in pkgutil.iter_modules(adexplorer.cli.__path__, "adexplorer.cli."):
        importlib.import_module(module.name)  # every command, so that every binding is seen
    original_dumps = text.json_dumps
    original_export = export.export_json

    @functools.wraps(original_dumps)
    def json_dumps(data: Any, **kwargs: Any) -> str:
        _validated(data)
        return original_dumps(data, **kwargs)

    @functools.wraps(original_export)
    def export_json(*args: Any, **kwargs: Any) -> Path:
        path = original_export(*args, **kwargs)
        _validated(json.loads(Path(path).read_text(encoding="utf-8")))
        return path

    patch = pytest.MonkeyPatch()
    for name, module in list(sys.modules.items()):
        if not name.startswith("adexplorer") or module is None:
            continue
        for attribute, original, wrapper in (
            ("json_dumps", original_dumps, json_dumps),
            ("export_json", original_export, export_json),
        ):
            if getattr(module, attribute, None) is original:
                patch.setattr(module, attribute, wrapper)
    return patch


@pytest.fixture(scope="session", autouse=True)
def _json_printers_validated() -> Any:
    patch = _wrap_json_printers()
    yield
    patch.undo()


@pytest.fixture(autouse=True)
def _json_outputs_follow_their_schemas() -> Any:
    """Fails the test if a document it printed broke its schema (a test that breaks one
    on purpose takes the record away with :func:`json_failures`)."""
    _JSON_FAILURES.clear()
    yield
    if _JSON_FAILURES:
        failures = list(_JSON_FAILURES)
        _JSON_FAILURES.clear()
        pytest.fail("a JSON output does not follow its schema:\n" + "\n".join(failures))


def json_failures() -> list[str]:
    """The schema failures recorded in this test so far, taken away (the test judges them)."""
    found = list(_JSON_FAILURES)
    _JSON_FAILURES.clear()
    return found


# ------------------------------------------------------------------ toasts that never expire
#
# A notification disappears after Textual's NOTIFICATION_TIMEOUT (5 s).  A snapshot or a
# Pilot test that takes longer than that on a loaded machine would see a different screen
# than on a quiet one; during the tests a toast stays until it is dismissed or cleared.


@pytest.fixture(scope="session", autouse=True)
def _toasts_stay() -> Any:
    from textual.app import App

    before = App.NOTIFICATION_TIMEOUT
    App.NOTIFICATION_TIMEOUT = 3600
    yield
    App.NOTIFICATION_TIMEOUT = before
