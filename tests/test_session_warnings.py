"""The explorer's warnings are those of the values it shows, not of the program's defaults."""

from __future__ import annotations

import pytest

from adexplorer.explorer.session import Session

LOOP = """\
x: real = 1
y: real = 1
s = 0
for i in range(5):
    if x > i:
        s = s + x*y
    else:
        s = s - y
return s
"""


def shown(session: Session) -> list[str]:
    """What the status bar draws from: the program's warnings and the run's."""
    assert session.trace is not None
    return [*session.warnings, *session.trace.warnings]


def test_a_tie_at_the_defaults_is_not_reported_for_other_values() -> None:
    # x = 1 (the default) ties with i = 1; x = 2.5 ties with nothing
    session = Session.start(LOOP, {"x": 2.5, "y": 3})
    assert not [w for w in shown(session) if "boundary" in w]


@pytest.mark.parametrize("x", [1.0, 3.0])
def test_a_tie_at_the_values_shown_is_reported_once(x: float) -> None:
    session = Session.start(LOOP, {"x": x, "y": 3})
    ties = [w for w in shown(session) if "boundary" in w]
    assert len(ties) == 1 and f"i={int(x)}" in ties[0]


def test_moving_off_the_tie_clears_the_warning() -> None:
    session = Session.start(LOOP, {"x": 1.0, "y": 3})
    session.set_value("x", "2.5")
    assert not [w for w in shown(session) if "boundary" in w]
