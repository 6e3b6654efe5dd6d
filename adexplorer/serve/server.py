"""ClassroomServer: textual-serve's Server, made fit for a class.

textual-serve starts one child process per browser tab and relays its terminal
over a websocket.  This subclass changes five things:

* each child is started from an argument list (``asyncio.create_subprocess_exec``),
  never through a shell, in the served folder, with the environment adx serve
  gives it (``ADX_SERVE_DIR``, ``ADX_DATA_DIR``) and without Textual's variables
  that would write files elsewhere (``TEXTUAL_SCREENSHOT``, ``TEXTUAL_LOG`` …);
* at most ``max_sessions`` children run at once: a tab over the cap gets a page
  (or, if it raced past the page, a terminal message) saying so, not a hang;
* a websocket must come from a page the server itself served (its ``Origin``
  names the host it asked), and when bound to the loopback interface the
  ``Host`` must be a loopback name: another web site open in the same browser
  cannot drive a session (cross-site websockets, DNS rebinding);
* the page's URLs are built from the address the browser used, so that a server
  bound to ``0.0.0.0`` works from other machines;
* each browser is a student: the page gives it a random id in a cookie
  (``adx-student``, HttpOnly, SameSite=Strict), and its sessions keep lesson
  progress in ``DIR/.adx-progress/<id>`` (plain folders inside DIR, never a link).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import re
import secrets
import signal
import socket
from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp_jinja2
from aiohttp import WSMsgType, web
from aiohttp.web_runner import GracefulExit
from textual_serve.app_service import AppService
from textual_serve.server import Server

from adexplorer.base.files import (
    SERVE_DIR_VARIABLE,
    folder_below,
    make_private_folder,
)

log = logging.getLogger("textual-serve")

#: How many sessions run at once unless --max-sessions says otherwise.
DEFAULT_MAX_SESSIONS = 8
#: The most --max-sessions accepts: each session is a Python process (about 60-100 MB).
MAX_SESSIONS_LIMIT = 64
#: Environment variables the child must not inherit: each makes Textual write a file
#: (a screenshot, a log) or connect to the devtools, outside the served folder.
_DROPPED_VARIABLES = (
    "TEXTUAL",
    "TEXTUAL_LOG",
    "TEXTUAL_SCREENSHOT",
    "TEXTUAL_SCREENSHOT_LOCATION",
    "TEXTUAL_SCREENSHOT_FILENAME",
    "TEXTUAL_DEVTOOLS_HOST",
    "TEXTUAL_DEVTOOLS_PORT",
)
#: Lesson progress, inside the served folder: one folder per student (browser) below it.
PROGRESS_FOLDER = ".adx-progress"
#: The cookie that tells one browser (a student) from another; HttpOnly, SameSite=Strict.
STUDENT_COOKIE = "adx-student"
STUDENT_COOKIE_AGE = 180 * 24 * 3600  # seconds: a term
_STUDENT_ID = re.compile(r"[0-9a-f]{32}")
_LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def is_loopback(host: str) -> bool:
    """True if ``host`` names this machine's loopback interface only."""
    name = host.strip("[]").lower()
    if name in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def full_message(max_sessions: int) -> str:
    """What a visitor over the cap reads."""
    return (
        f"AD Explorer: this server is full. {max_sessions} session(s) are open, the most "
        f"it allows (adx serve --max-sessions {max_sessions}). Reload this page when "
        "someone has quit (q)."
    )


class ChildSession(AppService):
    """One browser tab's child process, started without a shell."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        environment: Mapping[str, str],
        folder: Path,
        **kwargs: Any,
    ) -> None:
        super().__init__(" ".join(argv), **kwargs)
        self.argv = list(argv)
        self.extra_environment = dict(environment)
        self.folder = folder

    def _build_environment(self, width: int = 80, height: int = 24) -> dict[str, str]:
        environment = super()._build_environment(width=width, height=height)
        for name in _DROPPED_VARIABLES:
            environment.pop(name, None)
        environment.update(self.extra_environment)
        # no __pycache__ written next to the installed package by the child
        environment["PYTHONDONTWRITEBYTECODE"] = "1"
        return environment

    async def _open_app_process(self, width: int = 80, height: int = 24) -> Any:
        environment = self._build_environment(width=width, height=height)
        self._process = process = await asyncio.create_subprocess_exec(
            *self.argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=environment,
            cwd=self.folder,
        )
        assert process.stdin is not None
        self._stdin = process.stdin
        return process


class ClassroomServer(Server):
    """textual-serve's server with a session cap and same-origin websockets."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        environment: Mapping[str, str],
        folder: Path,
        host: str,
        port: int,
        title: str,
        max_sessions: int = DEFAULT_MAX_SESSIONS,
        lesson: bool = False,
    ) -> None:
        super().__init__(" ".join(argv), host=host, port=port, title=title)
        self.lesson = lesson  # sessions keep progress: each student's folder is made
        self.argv = list(argv)
        self.environment = dict(environment)
        self.folder = folder
        self.max_sessions = max_sessions
        self.sessions = 0
        self.refused = 0
        self.sockets: list[socket.socket] = []

    # --- who may connect ----------------------------------------------------------

    def _host_allowed(self, request: web.Request) -> bool:
        """Bound to loopback, the browser must have asked for a loopback name: a
        page from another site whose name was rebound to 127.0.0.1 is refused."""
        if not is_loopback(self.host):
            return True
        asked = urlsplit(f"//{request.host}").hostname or ""
        return is_loopback(asked)

    def _origin_allowed(self, request: web.Request) -> bool:
        """A websocket from a browser carries the page's origin: it must be ours."""
        origin = request.headers.get("Origin")
        if origin is None:  # not a browser (a script on this machine): nothing to forge
            return True
        return urlsplit(origin).netloc.lower() == request.host.lower()

    # --- pages ---------------------------------------------------------------------

    async def handle_index(self, request: web.Request) -> web.StreamResponse:
        if not self._host_allowed(request):
            raise web.HTTPForbidden(text="adx serve answers only to this machine's own names")
        if self.sessions >= self.max_sessions:
            self.refused += 1
            page = (
                "<!DOCTYPE html><html><head><title>AD Explorer: full</title></head>"
                '<body style="font-family: sans-serif; margin: 3em">'
                f'<p id="adx-full">{escape(full_message(self.max_sessions))}</p>'
                "</body></html>"
            )
            return web.Response(
                status=503, text=page, content_type="text/html", headers={"Retry-After": "30"}
            )
        # The URLs come from the address the browser used (works behind 0.0.0.0).
        base = f"{request.scheme}://{request.host}"
        websocket = f"{'wss' if request.scheme == 'https' else 'ws'}://{request.host}/ws"
        font_size = request.query.get("fontsize", "16")
        context = {
            "font_size": int(font_size) if font_size.isdigit() else 16,
            "app_websocket_url": websocket,
            "config": {"static": {"url": f"{base}/static/"}},
            "application": {"name": self.title},
        }
        response = aiohttp_jinja2.render_template("app_index.html", request, context)
        if student_of(request) is None:
            # this browser's own progress, kept across reloads (docs/serve.md)
            response.set_cookie(
                STUDENT_COOKIE,
                new_student(),
                max_age=STUDENT_COOKIE_AGE,
                path="/",
                httponly=True,
                samesite="Strict",
            )
        return response

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        if not (self._host_allowed(request) and self._origin_allowed(request)):
            raise web.HTTPForbidden(text="adx serve accepts sessions only from its own page")
        websocket = web.WebSocketResponse(heartbeat=15)
        await websocket.prepare(request)
        if self.sessions >= self.max_sessions:
            self.refused += 1
            await self._refuse(websocket)
            return websocket
        # a browser without the page's cookie (a script): progress for this session only
        student = student_of(request) or new_student()
        try:
            environment = self.session_environment(student)
        except OSError as refused:  # a link planted since (RefusedFile), a folder not writable
            why = f"{refused.strerror}: {refused.filename}" if refused.strerror else refused
            text = f"\r\n  AD Explorer cannot keep this student's progress: {why}\r\n"
            await websocket.send_bytes(text.encode())
            await websocket.close()
            return websocket
        self.sessions += 1
        try:
            await self._run_session(request, websocket, environment)
        finally:
            self.sessions -= 1
        return websocket

    async def _refuse(self, websocket: web.WebSocketResponse) -> None:
        """Say so in the page's terminal, and keep the tab answered until it goes."""
        text = "\r\n  " + full_message(self.max_sessions) + "\r\n"
        await websocket.send_bytes(text.encode("utf-8"))
        async for message in websocket:
            if message.type != WSMsgType.TEXT:
                continue
            try:
                envelope = message.json()
            except ValueError:
                continue
            if isinstance(envelope, list) and len(envelope) == 2 and envelope[0] == "ping":
                await websocket.send_json(["pong", envelope[1]])

    def session_environment(self, student: str) -> dict[str, str]:
        """The child's variables for ``student``: progress in its own folder,
        ``DIR/.adx-progress/<student>``, made now for a lesson (plain folders inside
        DIR only: RefusedFile if a part of it is a symbolic link or not a folder)."""
        progress = self.folder / PROGRESS_FOLDER / student
        if self.lesson:
            make_private_folder(progress, self.folder)
        else:
            folder_below(progress, self.folder)
        return {**self.environment, "ADX_DATA_DIR": str(progress)}

    async def _run_session(
        self,
        request: web.Request,
        websocket: web.WebSocketResponse,
        environment: Mapping[str, str],
    ) -> None:
        width = _int(request.query.get("width", "80"), 80)
        height = _int(request.query.get("height", "24"), 24)
        session: ChildSession | None = None
        try:
            session = ChildSession(
                self.argv,
                environment=environment,
                folder=self.folder,
                write_bytes=websocket.send_bytes,
                write_str=websocket.send_str,
                close=websocket.close,
                download_manager=self.download_manager,
                debug=False,
            )
            await session.start(width, height)
            await self._process_messages(websocket, session)
        except asyncio.CancelledError:
            await websocket.close()
        except Exception as error:  # a session's failure must not end the server
            log.exception(error)
        finally:
            if session is not None:
                await session.stop()

    # --- running ---------------------------------------------------------------------

    async def on_startup(self, app: web.Application) -> None:
        """The banner: where to point the browsers (printed by adx serve itself)."""

    def bind(self) -> None:
        """Take the address now (before adx serve says where it listens): raises
        ``socket.gaierror`` for a host that does not resolve, OSError for an address
        in use or not this machine's."""
        found = socket.getaddrinfo(
            self.host, self.port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
        addresses = list(dict.fromkeys((info[0], info[4]) for info in found))
        sockets: list[socket.socket] = []
        try:
            for family, address in addresses:
                listener = socket.socket(family, socket.SOCK_STREAM)
                sockets.append(listener)
                # as asyncio's own servers do: a restart right after a stop still binds
                listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                if family == socket.AF_INET6:
                    listener.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                listener.bind(address)
                listener.listen(128)
                listener.setblocking(False)
        except OSError:
            for listener in sockets:
                listener.close()
            raise
        self.sockets = sockets

    def serve(self, debug: bool = False) -> None:
        """Serve until Ctrl-C or SIGTERM, on the sockets :meth:`bind` took (it is
        called here if it was not already)."""
        if not self.sockets:
            self.bind()
        self.debug = False
        self.initialize_logging()
        # one line per HTTP request would bury what matters (a session that failed)
        logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(signum, self.request_exit)
        with contextlib.suppress(GracefulExit):
            web.run_app(
                self._make_app(),
                sock=self.sockets,
                handle_signals=False,
                loop=loop,
                print=lambda *args: None,
            )


def _int(text: str, default: int) -> int:
    try:
        return max(1, min(int(text), 1000))
    except ValueError:
        return default


def child_environment(folder: Path) -> dict[str, str]:
    """What a served session runs with: its folder, and lesson progress kept inside it
    (each session's ``ADX_DATA_DIR`` is then its student's folder below this one:
    :meth:`ClassroomServer.session_environment`)."""
    return {
        SERVE_DIR_VARIABLE: str(folder),
        "ADX_DATA_DIR": str(folder / PROGRESS_FOLDER),
    }


def new_student() -> str:
    """A fresh student id: 32 random hex digits (a browser's cookie, a folder's name)."""
    return secrets.token_hex(16)


def student_of(request: web.Request) -> str | None:
    """The student id the browser's cookie carries, if it has a well-formed one."""
    value = request.cookies.get(STUDENT_COOKIE, "")
    return value if _STUDENT_ID.fullmatch(value) else None


__all__ = [
    "DEFAULT_MAX_SESSIONS",
    "MAX_SESSIONS_LIMIT",
    "ChildSession",
    "ClassroomServer",
    "child_environment",
    "full_message",
    "is_loopback",
    "new_student",
    "student_of",
]
