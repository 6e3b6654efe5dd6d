"""``adx check`` through the real entry point: tables, JSON, exit statuses and errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.test_cli_eval import adx

SURVEY = "ln(x1) + x1*x2 - sin(x2)"


def test_every_rule_agrees_exit_0() -> None:
    result = adx("check", SURVEY, "--at", "x1=2,x2=5", columns=200)
    assert result.returncode == 0, result.stderr
    assert "every local rule agrees with finite differences" in result.stdout
    assert " ✗ │" not in result.stdout  # no row marked wrong
    assert result.stdout.count(" ok │") == 2 + 8  # two inputs, eight partials


def test_a_broken_rule_is_pointed_at_exit_1() -> None:
    result = adx("check", SURVEY, "--at", "x1=2,x2=5", "--break", "sin: -cos(u)", columns=200)
    assert result.returncode == 1
    out = result.stdout
    assert "broken on purpose: ∂sin/∂u is taken as -cos(u)" in out
    assert "✗ v3 = sin(v0) (from `sin(x2)`): its rule gives ∂v3/∂v0 = -0.283662" in out
    assert "finite differences 0.283662" in out
    assert "the whole gradient disagrees with central differences for x2" in out


def test_json_report() -> None:
    result = adx("check", SURVEY, "--at", "x1=2,x2=5", "--break", "sin: -cos(u)", "--json")
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert data["schema"] == "adx.check/1" and data["ok"] is False
    assert data["wrong_nodes"] == ["v3"] and data["broken_rule"] == "sin: -cos(u)"
    (row,) = [r for r in data["nodes"] if r["status"] == "wrong"]
    assert row["source"] == "sin(x2)" and row["partial"] == "∂v3/∂v0"
    assert row["rule"] == pytest.approx(-np.cos(5.0), rel=1e-12)
    assert row["estimate"] == pytest.approx(np.cos(5.0), rel=1e-8)
    gradient = data["gradient"]["inputs"]["x2"]
    assert gradient["ad"] == pytest.approx(2 + np.cos(5.0)) and gradient["ok"] is False
    assert gradient["central_difference"] == pytest.approx(2 - np.cos(5.0), rel=1e-8)


@pytest.mark.parametrize(
    ("spec", "words", "caret"),
    [
        ("sn: -cos(u)", "did you mean 'sin'?", "^^"),
        ("sin: cos(x)", "not 'x'", "         ^"),
        ("sin: cos(u", "never closed", "^"),
    ],
)
def test_a_bad_break_is_a_user_error_with_a_caret(spec: str, words: str, caret: str) -> None:
    result = adx("check", SURVEY, "--at", "x1=2,x2=5", "--break", spec)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert words in result.stderr and caret in result.stderr
    assert result.stderr.startswith("error: --break:1:")


def test_a_bad_break_in_json_mode_is_an_error_object() -> None:
    result = adx("check", SURVEY, "--at", "x1=2,x2=5", "--break", "exp: y", "--json")
    assert result.returncode == 1
    assert "no exp to break" in json.loads(result.stdout)["error"]["message"]


def test_command_line_misuse_is_exit_2() -> None:
    result = adx("check", SURVEY, "--brake", "sin: 1")
    assert result.returncode == 2
    assert "No such option" in result.stderr


def test_it_is_found_in_the_help() -> None:
    assert "adx check" in adx("--help").stdout
    help_text = adx("check", "--help").stdout
    assert "--break" in help_text and "Exit status" in help_text
