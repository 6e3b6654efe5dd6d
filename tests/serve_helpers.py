"""Starting and stopping ``adx serve`` in tests: a free port, a wait, a sure kill."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Served:
    url: str
    port: int
    process: subprocess.Popen[bytes]
    folder: Path


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except urllib.error.HTTPError:
        return True  # it answered (a 503 is an answer)
    except OSError:
        return False


@contextmanager
def serving(folder: Path, *args: str, wait: float = 60.0) -> Iterator[Served]:
    """``adx serve --dir folder --port P *args`` in its own process group; killed (with
    every session it started) when the block ends, however it ends."""
    port = free_port()
    command = [sys.executable, "-m", "adexplorer", "serve", "--dir", str(folder)]
    process = subprocess.Popen(
        [*command, "--port", str(port), *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its sessions share its group: one killpg ends all
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + wait
        while not _answers(url):
            if process.poll() is not None:
                raise AssertionError(f"adx serve exited with status {process.returncode}")
            if time.monotonic() > deadline:
                raise AssertionError(f"adx serve did not answer on {url} in {wait} s")
            time.sleep(0.1)
        yield Served(url, port, process, folder)
    finally:
        _kill_group(process)


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    for signum, grace in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, signum)
        except ProcessLookupError:
            return
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            continue
        # the server is gone; its sessions may not be
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        return
