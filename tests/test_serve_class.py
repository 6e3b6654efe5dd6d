"""``adx serve`` as a class meets it: each browser its own progress, paths read from
--dir, no progress written through a link, the program from standard input, exports
sent to the browser, startup messages in the right order, lesson files checked."""

from __future__ import annotations

import asyncio
import io
import os
import shutil
import socket
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from adexplorer.base.errors import AdxError
from adexplorer.base.resources import lessons_dir
from tests.serve_helpers import serving
from tests.test_serve import no_serving, run, served_env  # noqa: F401  (fixtures)

pytest.importorskip("textual_serve")


def _class(tmp_path: Path) -> Path:
    folder = tmp_path / "class"
    folder.mkdir()
    shutil.copy(lessons_dir() / "01-why-derivatives.md", folder / "week3.md")
    return folder


# --- 1. each browser (student) its own progress ----------------------------------------


def test_two_browsers_get_two_progress_folders(tmp_path: Path) -> None:
    aiohttp = pytest.importorskip("aiohttp")
    from adexplorer.serve.server import STUDENT_COOKIE

    first, second = "a" * 32, "b" * 32

    async def session(url: str, cookie: str | None) -> None:
        cookies = {STUDENT_COOKIE: cookie} if cookie else None
        ws_url = url.replace("http", "ws") + "ws"
        async with (
            aiohttp.ClientSession(cookies=cookies) as client,
            client.ws_connect(ws_url) as websocket,
        ):
            message = await asyncio.wait_for(websocket.receive(), 60)
            assert message.type == aiohttp.WSMsgType.BINARY  # the lesson draws

    async def scenario(url: str) -> None:
        async with aiohttp.ClientSession() as client, client.get(url) as page:
            header = page.headers["Set-Cookie"]
            assert header.startswith(f"{STUDENT_COOKIE}=")
            assert "HttpOnly" in header and "SameSite=Strict" in header
        await session(url, first)
        await session(url, second)
        await session(url, "../../etc")  # not an id: a fresh one, not that path

    folder = tmp_path / "class"
    folder.mkdir()
    with serving(folder, "--lesson", "1") as served:
        asyncio.run(scenario(served.url))
    students = sorted(p.name for p in (folder / ".adx-progress").iterdir())
    assert first in students and second in students and len(students) == 3
    assert not (tmp_path / "etc").exists()


def test_a_session_environment_is_its_students(tmp_path: Path) -> None:
    from aiohttp.test_utils import make_mocked_request

    from adexplorer.serve.server import ClassroomServer, child_environment, student_of

    folder = Path(os.path.realpath(tmp_path))
    server = ClassroomServer(
        ["adx"],
        environment=child_environment(folder),
        folder=folder,
        host="127.0.0.1",
        port=1,
        title="t",
        lesson=True,
    )
    one, two = server.session_environment("1" * 32), server.session_environment("2" * 32)
    assert one["ADX_DATA_DIR"] == str(folder / ".adx-progress" / ("1" * 32))
    assert two["ADX_DATA_DIR"] == str(folder / ".adx-progress" / ("2" * 32))
    assert (folder / ".adx-progress" / ("1" * 32)).is_dir()
    request = make_mocked_request("GET", "/ws", headers={"Cookie": f"adx-student={'c' * 32}"})
    assert student_of(request) == "c" * 32
    bad = make_mocked_request("GET", "/ws", headers={"Cookie": "adx-student=../x"})
    assert student_of(bad) is None


# --- 2. relative SOURCE and --lesson are read from --dir ----------------------------------


def test_the_docs_example_lesson_inside_dir(
    tmp_path: Path,
    no_serving: list[object],  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = _class(tmp_path)
    (folder / "prog.adx").write_text("x^2\n")
    monkeypatch.chdir(tmp_path)  # the current folder holds class/, not week3.md
    code, _, err = run(["serve", "--lesson", "week3.md", "--dir", "class"], capsys)
    assert code == 0, err
    real = Path(os.path.realpath(folder))
    assert no_serving[-1].argv[-1] == str(real / "week3.md")  # type: ignore[attr-defined]
    code, _, err = run(["serve", "prog.adx", "--dir", "class"], capsys)
    assert code == 0, err
    assert no_serving[-1].argv[-1] == str(real / "prog.adx")  # type: ignore[attr-defined]
    code, _, err = run(["serve", "--lesson", "nothere.md", "--dir", "class"], capsys)
    assert code == 1 and f"no such file: {real / 'nothere.md'}" in err
    code, _, err = run(["serve", "nothere.adx", "--dir", "class"], capsys)
    assert code == 1 and f"no such file: {real / 'nothere.adx'}" in err
    code, _, err = run(["serve", "--lesson", "../class/week3.md", "--dir", "class"], capsys)
    assert code == 0, err  # .. that stays inside is fine
    (tmp_path / "out.md").write_text("x")
    code, _, err = run(["serve", "--lesson", "../out.md", "--dir", "class"], capsys)
    assert code == 1 and "outside" in err


# --- 3. no progress written through a symbolic link ----------------------------------------


def test_progress_through_a_link_is_refused(
    tmp_path: Path,
    no_serving: list[object],  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from adexplorer.lessons.progress import data_dir
    from adexplorer.serve.server import ClassroomServer, child_environment

    folder = _class(tmp_path)
    (tmp_path / "evilprog").mkdir()
    (folder / ".adx-progress").symlink_to("../evilprog")
    code, _, err = run(["serve", "--lesson", "1", "--dir", str(folder)], capsys)
    assert code == 1 and "symbolic link" in err and not no_serving
    # in the child: adx lesson open under adx serve's variables refuses it too
    real = Path(os.path.realpath(folder))
    monkeypatch.setenv("ADX_DATA_DIR", str(real / ".adx-progress" / ("d" * 32)))
    with pytest.raises(AdxError, match="symbolic link"):
        data_dir()
    code, _, err = run(["lesson", "open", "1"], capsys)
    assert code == 1 and "symbolic link" in err
    # and the server makes no student's folder through it
    server = ClassroomServer(
        ["adx"],
        environment=child_environment(real),
        folder=real,
        host="127.0.0.1",
        port=1,
        title="t",
        lesson=True,
    )
    from adexplorer.base.files import RefusedFile

    with pytest.raises(RefusedFile, match="symbolic link"):
        server.session_environment("d" * 32)
    assert not list((tmp_path / "evilprog").iterdir())
    # a link further down, or a data folder outside DIR, is refused the same way
    (folder / ".adx-progress").unlink()
    (folder / ".adx-progress").mkdir()
    (folder / ".adx-progress" / ("d" * 32)).symlink_to(tmp_path / "evilprog")
    with pytest.raises(AdxError, match="symbolic link"):
        data_dir()
    monkeypatch.setenv("ADX_DATA_DIR", str(tmp_path / "evilprog"))
    with pytest.raises(AdxError, match="outside"):
        data_dir()


def test_a_link_planted_while_serving_is_refused_by_the_server(tmp_path: Path) -> None:
    aiohttp = pytest.importorskip("aiohttp")
    from adexplorer.serve.server import STUDENT_COOKIE

    folder = tmp_path / "class"
    folder.mkdir()
    (tmp_path / "evilprog").mkdir()
    student = "e" * 32

    async def scenario(url: str) -> bytes:
        async with (
            aiohttp.ClientSession(cookies={STUDENT_COOKIE: student}) as client,
            client.ws_connect(url.replace("http", "ws") + "ws") as websocket,
        ):
            message = await asyncio.wait_for(websocket.receive(), 30)
            return bytes(message.data)

    with serving(folder, "--lesson", "1") as served:
        (folder / ".adx-progress").mkdir()
        (folder / ".adx-progress" / student).symlink_to(tmp_path / "evilprog")
        said = asyncio.run(scenario(served.url))
    assert b"cannot keep this student's progress" in said and b"symbolic link" in said
    assert not list((tmp_path / "evilprog").iterdir())


# --- 4. the program from standard input ------------------------------------------------


def test_the_program_from_standard_input(
    tmp_path: Path,
    no_serving: list[object],  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    program = "a: real\nreturn a*sin(a)\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(program.encode())))
    code, _, err = run(["serve", "-", "--at", "a=2", "--dir", str(tmp_path)], capsys)
    assert code == 0, err
    assert no_serving[-1].argv[-2:] == ["--", program]  # type: ignore[attr-defined]
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"x +\n")))
    code, _, err = run(["serve", "-", "--dir", str(tmp_path)], capsys)
    assert code == 1 and "error" in err and len(no_serving) == 1


# --- 5. exports sent to the browser -------------------------------------------------------


def test_a_served_export_is_sent_to_the_browser(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from adexplorer.tui.served_export import export_notice

    path = tmp_path / "adx-trace-1.tex"
    path.write_text("x")
    sent: list[tuple[object, dict[str, object]]] = []

    def deliver(target: object, **options: object) -> str:
        sent.append((target, options))
        return "key"

    web = SimpleNamespace(is_web=True, deliver_binary=deliver)
    monkeypatch.delenv("ADX_SERVE_DIR", raising=False)
    assert export_notice(web, path) == f"saved {path}"  # type: ignore[arg-type]
    assert not sent  # adx explore in a terminal: nothing delivered
    monkeypatch.setenv("ADX_SERVE_DIR", str(tmp_path))
    notice = export_notice(web, path)  # type: ignore[arg-type]
    assert notice == "saved adx-trace-1.tex in the class folder and sent to your browser"
    assert sent == [(path, {"save_filename": "adx-trace-1.tex"})]


async def test_the_served_explorer_delivers_its_export(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from textual.app import App

    from adexplorer.explorer.session import Session
    from adexplorer.tui.app import ExplorerApp

    monkeypatch.setenv("ADX_SERVE_DIR", str(tmp_path))
    monkeypatch.setattr(App, "is_web", property(lambda self: True))
    delivered: list[Path] = []
    monkeypatch.setattr(
        App, "deliver_binary", lambda self, path, **options: delivered.append(Path(path))
    )
    app = ExplorerApp(Session.start("x^2", {"x": 1.0}), export_dir=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("x", "j")
        await pilot.pause()
        await pilot.pause()
        messages = " ".join(str(n.message) for n in app._notifications)
    (exported,) = [p for p in tmp_path.iterdir() if p.name.startswith("adx-")]
    assert delivered == [exported]
    assert "sent to your browser" in messages and str(tmp_path) not in messages


# --- 6. startup: bind first, then announce; the hint that fits --------------------------


@pytest.mark.usefixtures("served_env")
def test_a_port_in_use_is_said_before_any_announcement(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, out, err = run(["serve", "--port", str(port), "--dir", str(tmp_path)], capsys)
    assert code == 1 and "on http://" not in out
    assert "Address already in use" in err and "choose another with --port" in err


@pytest.mark.usefixtures("served_env")
def test_a_bad_host_gets_a_host_hint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["serve", "--host", "999.1.1.1", "--dir", str(tmp_path)], capsys)
    assert code == 1 and "on http://" not in out
    assert "warning" not in err and "another program" not in err
    assert "hint: --host takes an address of this machine" in err


# --- 7. a lesson file that fails adx lesson check is not served ----------------------------


def test_a_lesson_that_fails_the_checker_is_refused(
    tmp_path: Path,
    no_serving: list[object],  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = _class(tmp_path)
    text = (folder / "week3.md").read_text()
    assert "at: x=0, y=0" in text
    evil = text.replace("at: x=0, y=0", "at: x=@../outside.npy, y=0", 1)
    (folder / "evil.md").write_text(evil)
    evil_path = str(folder / "evil.md")  # absolute: this test is about the checker only
    code, _, err = run(["serve", "--lesson", evil_path, "--dir", str(folder)], capsys)
    assert code == 1 and not no_serving
    assert "does not pass adx lesson check" in err and "outside the lesson's folder" in err
    code, _, err = run(["serve", "--lesson", "week3.md", "--dir", str(folder)], capsys)
    assert code == 0, err
