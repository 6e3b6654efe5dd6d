"""``adx serve`` without a browser: checks before serving, the warning, the missing
extra, the session cap and same-origin websockets, and served-mode confinement."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path

import numpy as np
import pytest

from adexplorer.base.errors import AdxError
from adexplorer.base.files import RefusedFile, inside_serve_dir, serve_dir
from adexplorer.base.value_files import ValueContext, in_served_session, read_values
from adexplorer.cli.main import main
from adexplorer.explorer.session import Session
from tests.serve_helpers import serving

pytest.importorskip("textual_serve")


@pytest.fixture
def served_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """adx serve sets ADX_SERVE_DIR and ADX_DATA_DIR in its own process: put them back."""
    for name in ("ADX_SERVE_DIR", "ADX_DATA_DIR"):
        monkeypatch.setenv(name, "placeholder")  # recorded as absent: removed after
        monkeypatch.delenv(name)


@pytest.fixture
def no_serving(monkeypatch: pytest.MonkeyPatch, served_env: None) -> list[object]:
    """Run the command up to the point of serving; record the server instead."""
    from adexplorer.serve.server import ClassroomServer

    started: list[object] = []
    monkeypatch.setattr(ClassroomServer, "serve", lambda self, debug=False: started.append(self))
    monkeypatch.setattr(ClassroomServer, "bind", lambda self: None)  # port 8000 may be taken
    return started


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        main(args)
        code = 0
    except SystemExit as done:
        code = int(done.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


# --- checks before serving --------------------------------------------------------


def test_loopback_by_default_and_the_child_gets_an_argument_list(
    tmp_path: Path, no_serving: list[object], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["serve", "x +", "--at", "x=2", "--dir", str(tmp_path)], capsys)
    # a program that does not parse is refused before anything is served
    assert code == 1 and not no_serving and "error" in err
    code, out, err = run(["serve", "x*y", "--at", "x=2,y=3", "--dir", str(tmp_path)], capsys)
    assert code == 0, err
    (server,) = no_serving
    assert server.host == "127.0.0.1" and server.port == 8000  # type: ignore[attr-defined]
    assert server.max_sessions == 8  # type: ignore[attr-defined]
    assert server.argv[-5:] == ["explore", "--at", "x=2,y=3", "--", "x*y"]  # type: ignore[attr-defined]
    assert server.argv[:3] == [sys.executable, "-m", "adexplorer"]  # type: ignore[attr-defined]
    folder = Path(os.path.realpath(tmp_path))
    assert server.environment == {  # type: ignore[attr-defined]
        "ADX_SERVE_DIR": str(folder),
        "ADX_DATA_DIR": str(folder / ".adx-progress"),
    }
    assert f"only in {folder}" in out and "warning" not in err


def test_another_host_only_with_a_warning(
    tmp_path: Path, no_serving: list[object], capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(["serve", "--host", "0.0.0.0", "--dir", str(tmp_path)], capsys)
    assert code == 0
    assert "warning" in err and "everyone who can reach port 8000" in err
    assert "no password" in err
    for host in ("localhost", "::1", "127.0.0.2"):
        code, _out, err = run(["serve", "--host", host, "--dir", str(tmp_path)], capsys)
        assert code == 0 and "warning" not in err


def test_the_same_errors_as_adx_explore(
    tmp_path: Path,
    no_serving: list[object],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    missing = str(tmp_path / "missing.adx")
    for args in ([missing], ["x", "--at", "x=[1,"], ["x", "--at", "x=@missing.npy"]):
        monkeypatch.delenv("ADX_SERVE_DIR", raising=False)  # set by the serve before
        explore_code, _, explore_err = run(["explore", *args], capsys)
        assert explore_code == 1
        code, _, err = run(["serve", *args, "--dir", str(tmp_path)], capsys)
        assert code == 1 and err == explore_err and err.startswith("error")
    assert not no_serving


def test_files_must_lie_inside_the_served_folder(
    tmp_path: Path, no_serving: list[object], capsys: pytest.CaptureFixture[str]
) -> None:
    inside = tmp_path / "class"
    inside.mkdir()
    (tmp_path / "outside.adx").write_text("x^2\n")
    (inside / "inside.adx").write_text("x^3\n")
    code, _, err = run(["serve", str(tmp_path / "outside.adx"), "--dir", str(inside)], capsys)
    assert code == 1 and "outside" in err and "only folder" in err
    code, _, err = run(["serve", str(inside / ".." / "outside.adx"), "--dir", str(inside)], capsys)
    assert code == 1 and "only folder" in err
    code, _, err = run(["serve", "--lesson", "/etc/passwd", "--dir", str(inside)], capsys)
    assert code == 1 and "lesson file" in err and "only folder" in err
    code, _, err = run(["serve", "x", "--at", "x=@/etc/passwd", "--dir", str(inside)], capsys)
    assert code == 1 and "only folder this served session may read" in err
    assert not no_serving
    code, _, err = run(["serve", str(inside / "inside.adx"), "--dir", str(inside)], capsys)
    assert code == 0, err
    assert no_serving[-1].argv[-1] == str(Path(os.path.realpath(inside / "inside.adx")))  # type: ignore[attr-defined]
    # a built-in lesson is part of the package: by id or by number
    code, _, err = run(["serve", "--lesson", "reverse-mode", "--dir", str(inside)], capsys)
    assert code == 0, err
    assert no_serving[-1].argv[-4:] == ["lesson", "open", "--", "reverse-mode"]  # type: ignore[attr-defined]


def test_usage_errors(
    tmp_path: Path, no_serving: list[object], capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(["serve", "--dir", str(tmp_path / "nothing")], capsys)
    assert code == 1 and "no such folder" in err
    code, _, err = run(["serve", "x", "--lesson", "1", "--dir", str(tmp_path)], capsys)
    assert code == 2 and "--lesson" in err
    code, _, err = run(["serve", "--max-sessions", "65", "--dir", str(tmp_path)], capsys)
    assert code == 2 and "--max-sessions" in err
    code, _, err = run(["serve", "--max-sessions", "0", "--dir", str(tmp_path)], capsys)
    assert code == 2
    assert not no_serving


def test_a_clear_message_when_the_extra_is_missing(
    monkeypatch: pytest.MonkeyPatch, served_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "textual_serve", None)  # import fails as if absent
    monkeypatch.setitem(sys.modules, "textual_serve.server", None)
    monkeypatch.delitem(sys.modules, "adexplorer.serve.server", raising=False)
    code, out, err = run(["serve"], capsys)
    assert code == 1
    assert "pip install 'adexplorer[serve]'" in err
    assert "Traceback" not in err + out


def test_help_has_examples(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["serve", "--help"], capsys)
    assert code == 0 and "Examples:" in out and "--max-sessions" in out
    code, out, _ = run(["--help"], capsys)
    assert "adx serve" in out


# --- the running server: the cap, the origin ----------------------------------------


def test_over_the_cap_a_tab_is_told_the_server_is_full(tmp_path: Path) -> None:
    aiohttp = pytest.importorskip("aiohttp")

    async def scenario(url: str) -> None:
        ws_url = url.replace("http", "ws") + "ws?width=100&height=30"
        async with aiohttp.ClientSession() as client:
            async with client.ws_connect(ws_url) as first:
                # the first session's explorer draws: bytes arrive from its child
                message = await asyncio.wait_for(first.receive(), 60)
                assert message.type == aiohttp.WSMsgType.BINARY
                async with client.get(url) as page:
                    text = await page.text()
                    assert page.status == 503 and "this server is full" in text
                    assert "--max-sessions 1" in text
                async with client.ws_connect(ws_url) as second:
                    refusal = await asyncio.wait_for(second.receive(), 10)
                    assert b"this server is full" in refusal.data
                # a websocket from another site's page is refused outright
                with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                    await client.ws_connect(ws_url, origin="http://evil.example")
                assert refused.value.status == 403
            # the first tab closed: its place is free again
            for _ in range(200):
                async with client.get(url) as page:
                    if page.status == 200:
                        return
                await asyncio.sleep(0.1)
            raise AssertionError("the session's place was never freed")

    with serving(tmp_path, "--max-sessions", "1") as served:
        asyncio.run(scenario(served.url))


def test_a_rebound_name_is_refused_on_loopback(tmp_path: Path) -> None:
    import urllib.error
    import urllib.request

    with serving(tmp_path) as served:
        request = urllib.request.Request(
            served.url, headers={"Host": f"evil.example:{served.port}"}
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        assert refused.value.code == 403
        with urllib.request.urlopen(served.url.replace("127.0.0.1", "localhost"), timeout=10) as ok:
            page = ok.read().decode()
            assert f"ws://localhost:{served.port}/ws" in page


# --- confinement: the rules of ADX_SERVE_DIR -----------------------------------------


def test_serve_dir_rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ADX_SERVE_DIR", raising=False)
    assert serve_dir() is None
    assert in_served_session(ValueContext()) == ValueContext()
    assert inside_serve_dir(Path("/etc/passwd")) == Path("/etc/passwd")  # not served
    folder = tmp_path / "class"
    folder.mkdir()
    (tmp_path / "secret.npy").write_bytes(b"")
    (folder / "link.npy").symlink_to(tmp_path / "secret.npy")
    monkeypatch.setenv("ADX_SERVE_DIR", str(folder))
    real = Path(os.path.realpath(folder))
    assert serve_dir() == real
    assert in_served_session(ValueContext()) == ValueContext(real, confined=True, served=True)
    lesson_outside = ValueContext.lesson(tmp_path)
    assert in_served_session(lesson_outside).folder == real
    lesson_inside = ValueContext.lesson(folder / "week1")
    assert in_served_session(lesson_inside) == lesson_inside
    with pytest.raises(RefusedFile, match="outside"):
        inside_serve_dir(Path("/etc/passwd"))
    with pytest.raises(RefusedFile):
        inside_serve_dir(folder / "link.npy")  # a link that leads out
    assert inside_serve_dir(folder / "x.npy") == real / "x.npy"
    np.save(folder / "x.npy", np.array([1.0, 2.0]))
    os.chmod(folder, 0o700)
    assert read_values("x.npy")[""].tolist() == [1.0, 2.0]  # relative to the folder
    for text in ("/etc/passwd", "../secret.npy", "link.npy", "~/x.npy"):
        with pytest.raises(AdxError, match="served session"):
            read_values(text)
    # a built-in lesson's data files are the package's: still readable
    from adexplorer.base.resources import lessons_dir

    builtin = ValueContext.lesson(lessons_dir())
    assert in_served_session(builtin) == builtin


def test_an_answer_typed_in_a_lesson_is_confined_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from adexplorer.lang.lower import parse_at

    monkeypatch.setenv("ADX_SERVE_DIR", str(tmp_path))
    with pytest.raises(AdxError, match="served session"):
        parse_at("answer=@/etc/passwd", "your answer")


async def test_the_served_explorer_refuses_files_outside_and_exports_inside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The explorer as a served session builds it (adx explore under ADX_SERVE_DIR)."""
    from adexplorer.tui import bugs
    from adexplorer.tui.app import ExplorerApp
    from adexplorer.tui.widgets.inputs_panel import InputsPanel

    folder = tmp_path / "class"
    folder.mkdir()
    os.chmod(folder, 0o700)
    np.save(folder / "two.npy", np.array(2.5))
    np.save(tmp_path / "x.npy", np.array(9.0))
    monkeypatch.setenv("ADX_SERVE_DIR", str(folder))
    monkeypatch.chdir(tmp_path)  # the current folder is not the served one
    apps: list[ExplorerApp] = []
    monkeypatch.setattr(bugs, "run_app", apps.append)
    code, _, err = run(["explore", "x^2", "--at", "x=1"], capsys)
    assert code == 0, err
    (app,) = apps
    async with app.run_test(size=(120, 40)) as pilot:
        assert app.view.export_dir == Path(os.path.realpath(folder))
        field = app.query_one(InputsPanel).query_one("#value-x")
        for text in ("@/etc/passwd", "@../x.npy"):
            field.focus()
            field.value = text  # type: ignore[attr-defined]
            await pilot.press("enter")
            await pilot.pause()
            assert float(app.session.values["x"]) == 1.0  # refused: unchanged
        messages = " ".join(str(n.message) for n in app._notifications)
        assert "only folder this served session may read" in messages
        field.value = "@two.npy"  # type: ignore[attr-defined]
        await pilot.press("enter")
        await pilot.pause()
        assert float(app.session.values["x"]) == 2.5  # inside: read, relative to the folder
        await pilot.press("escape", "x", "j")  # x opens the export picker; j: JSON
        await pilot.pause()
        await pilot.pause()
    exported = [p for p in folder.iterdir() if p.name.startswith("adx-")]
    assert exported and not [p for p in tmp_path.iterdir() if p.name.startswith("adx-")]


def test_a_served_session_leaves_the_user_data_folder_alone(tmp_path: Path) -> None:
    """The child's environment: progress kept in DIR/.adx-progress (never in ~)."""
    from adexplorer.serve.server import child_environment

    env = child_environment(tmp_path)
    assert env["ADX_DATA_DIR"] == str(tmp_path / ".adx-progress")
    assert Session  # the explorer's model imports without Textual


def test_every_example_in_the_help_passes_the_checks(
    tmp_path: Path,
    no_serving: list[object],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each `adx serve --help` example, with the files it names, gets as far as serving."""
    import shlex
    import shutil

    from adexplorer.base.resources import lessons_dir
    from adexplorer.base.value_files import write_npz

    (tmp_path / "class").mkdir()
    shutil.copy(lessons_dir() / "01-why-derivatives.md", tmp_path / "class" / "week3.md")
    (tmp_path / "program.adx").write_text("W: mat[2,2]\nreturn sum(W)\n")
    os.chmod(tmp_path, 0o700)
    write_npz(tmp_path / "start.npz", {"W": np.eye(2)})
    monkeypatch.chdir(tmp_path)
    _, out, _ = run(["serve", "--help"], capsys)
    block = out.split("Examples:", 1)[1].split("\n\n", 1)[0]
    # each line: the command, then (after two spaces or more) what it does
    lines = [line.strip() for line in block.splitlines() if line.strip()]
    examples = [re.split(r"\s{2,}", line)[0] for line in lines]
    assert all(example.startswith("adx serve") for example in examples)
    assert len(examples) == 6
    for example in examples:
        monkeypatch.delenv("ADX_SERVE_DIR", raising=False)
        before = len(no_serving)
        code, _, err = run(shlex.split(example)[1:], capsys)
        assert code == 0 and len(no_serving) == before + 1, f"{example}: {err}"
