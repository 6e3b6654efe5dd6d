"""Files as data: reading only regular files of bounded size, writing atomically, new names.

* ``read_regular_text`` opens a path without blocking, checks on the open file
  (not on the name, so nothing can be swapped in between) that it is a regular
  file no larger than a limit, and only then reads it: a named pipe, a device
  such as ``/dev/zero`` (or a symlink to one) or a huge file is refused with a
  clear message instead of hanging adx or filling its memory.
* ``write_atomically`` never lets a reader see half a file.
* ``reserve_new_file`` creates a file under a name no earlier file has, so a
  file set aside or exported never overwrites another one.
"""

from __future__ import annotations

import datetime as _dt
import os
import stat
import tempfile
from pathlib import Path

MIB = 1024 * 1024


class RefusedFile(OSError):
    """A path that is not read: not a regular file, or larger than the limit."""


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _limit(count: int) -> str:
    if count % MIB == 0:
        return f"{count // MIB} MiB"
    return f"{count:,} bytes"


def probe(path: Path) -> str | None:
    """What is at ``path`` (following symlinks): ``"file"`` (a regular file),
    ``"directory"``, ``"other"`` (a FIFO, a device …), or None when nothing can be
    found there: no such file, or a name no file can have (too long, a NUL byte).

    Never raises, unlike ``Path.exists()``, which raises for a name that is too long.
    """
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return None
    if stat.S_ISREG(mode):
        return "file"
    return "directory" if stat.S_ISDIR(mode) else "other"


def read_regular_text(path: Path, limit: int, what: str = "file") -> str:
    """The UTF-8 text of ``path`` if it is a regular file of at most ``limit`` bytes.

    Raises ``RefusedFile`` (its message starts "it is …") for anything else (a
    FIFO, a device, a directory, a symlink to one of those, a file over the
    limit), other ``OSError``s as the system reports them (``FileNotFoundError``
    …), and ``UnicodeDecodeError``.
    The open is non-blocking, so a FIFO with no writer cannot hang it.
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    if "\0" in os.fspath(path):  # os.open would raise ValueError
        raise RefusedFile("its name holds a NUL byte, which no file name can")
    fd = os.open(path, flags)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise RefusedFile(f"it is {_kind(info.st_mode)}, not a regular file")
        if info.st_size > limit:
            raise RefusedFile(
                f"it is {info.st_size:,} bytes; a {what} may be at most {_limit(limit)}"
            )
        chunks: list[bytes] = []
        total = 0
        while total <= limit:  # the file may grow after fstat: never read past the limit
            chunk = os.read(fd, min(limit + 1 - total, MIB))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > limit:
            raise RefusedFile(f"it is larger than {_limit(limit)}, the most a {what} may be")
    finally:
        os.close(fd)
    return b"".join(chunks).decode("utf-8")


def write_atomically(path: Path, text: str) -> None:
    """Write to a temporary file beside ``path`` and rename it over, so readers never
    see a half-written file, even if adx is killed mid-write."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def reserve_new_file(directory: Path, stem: str, suffix: str = "") -> Path:
    """Create an empty file ``stem-<time>suffix`` (then ``…-2``, ``…-3``) that did not exist.

    The name is taken with an exclusive create (``O_EXCL``), so two processes, or
    two calls in the same second, never get the same name and no earlier file is
    overwritten.  Rename or write over the returned path to fill it.
    """
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    for count in range(1, 10_000):
        name = f"{stem}-{stamp}{'' if count == 1 else f'-{count}'}{suffix}"
        candidate = Path(directory) / name
        try:
            os.close(os.open(candidate, flags, 0o600))
        except FileExistsError:
            continue
        return candidate
    raise FileExistsError(f"no free name for {stem}-{stamp}{suffix} in {directory}")
