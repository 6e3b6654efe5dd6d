"""Files as data: reading only regular files of bounded size, writing atomically, new names.

* ``read_regular_text`` opens a path without blocking, checks on the open file
  (not on the name, so nothing can be swapped in between) that it is a regular
  file no larger than a limit, and only then reads it: a named pipe, a device
  such as ``/dev/zero`` (or a symlink to one) or a huge file is refused with a
  clear message instead of hanging adx or filling its memory.
* ``read_regular_bytes`` is the same for data files (``--at X=@x.npy``), and
  can also refuse a file another account could write or replace.
* ``write_atomically`` never lets a reader see half a file; ``write_new_file``
  also never replaces a file the user did not ask to replace.
* ``reserve_new_file`` creates a file under a name no earlier file has, so a
  file set aside or exported never overwrites another one.
* ``serve_dir`` and ``inside_serve_dir``: a session served in a browser
  (``adx serve``) runs with ``ADX_SERVE_DIR`` set, and reads or writes no file
  outside that folder; ``folder_below`` and ``make_private_folder`` keep its
  progress folders plain folders inside it (no symbolic link leads out).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import os
import stat
import tempfile
from pathlib import Path

from adexplorer.base.errors import AdxError
from adexplorer.base.text import visible

MIB = 1024 * 1024
#: Set by ``adx serve`` for each session it starts: the only folder it may read or write.
SERVE_DIR_VARIABLE = "ADX_SERVE_DIR"


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


def expand_home(path: Path) -> Path:
    """``path`` with a leading ``~`` or ``~user`` expanded; as written when the home
    folder is unknown (``~nosuchuser``), so the caller reports "no such file" for it
    instead of crashing on the RuntimeError pathlib raises."""
    try:
        return path.expanduser()
    except RuntimeError:
        return path


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
    return read_regular_bytes(path, limit, what).decode("utf-8")


def read_regular_bytes(
    path: Path,
    limit: int,
    what: str = "file",
    *,
    refuse_shared: bool = False,
    no_symlink: bool = False,
) -> bytes:
    """The bytes of ``path`` if it is a regular file of at most ``limit`` bytes
    (refused as :func:`read_regular_text` says).

    With ``refuse_shared`` (data files: ``--at X=@x.npy``), also refuse a file
    that another account could change under adx: one any account may write,
    or one in a folder any account may write that lacks the sticky bit (there
    anyone may replace it; ``/tmp`` has the bit, so files in it stay yours).
    With ``no_symlink`` the last part of the path must not be a symbolic link
    (a path already resolved and checked: nothing may be swapped in after).
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    if no_symlink:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    if "\0" in os.fspath(path):  # os.open would raise ValueError
        raise RefusedFile("its name holds a NUL byte, which no file name can")
    fd = os.open(path, flags)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise RefusedFile(f"it is {_kind(info.st_mode)}, not a regular file")
        if refuse_shared:
            _refuse_shared(Path(path), info)
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
    return b"".join(chunks)


def _refuse_shared(path: Path, info: os.stat_result) -> None:
    """Raise ``RefusedFile`` if another account may write the file or swap it out."""
    if info.st_mode & stat.S_IWOTH:
        raise RefusedFile(
            "it is writable by every account on this machine (chmod o-w it, or copy it)"
        )
    try:
        folder = os.stat(Path(os.path.realpath(path)).parent)
    except OSError:
        return  # the file is open already: its folder's mode only guards a swap
    if folder.st_mode & stat.S_IWOTH and not folder.st_mode & stat.S_ISVTX:
        raise RefusedFile(
            "its folder is writable by every account on this machine, so anyone could "
            "replace the file (move it to a folder of your own)"
        )


def write_atomically(path: Path, text: str | bytes) -> None:
    """Write to a temporary file beside ``path`` and rename it over, so readers never
    see a half-written file, even if adx is killed mid-write."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    data = text.encode("utf-8") if isinstance(text, str) else text
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def check_write_target(path: Path, *, force: bool = False) -> None:
    """Refuse a destination :func:`write_new_file` would not write (an AdxError of kind
    ``file``): anything but a regular file, an existing file without ``force``, a
    missing folder.  Callers check before a long computation as well."""
    shown = visible(str(path))
    found = probe(path)
    if found is not None and found != "file":
        raise AdxError("file", f"{shown} is not a regular file; adx writes files only")
    if (found is not None or path.is_symlink()) and not force:
        raise AdxError(
            "file",
            f"{shown} exists; adx does not overwrite it",
            hint="add --force to replace it, or choose another name",
        )
    if probe(path.parent) != "directory":
        raise AdxError("file", f"cannot write {shown}: no such folder {visible(str(path.parent))}")


def write_new_file(path: Path, data: bytes, *, force: bool = False) -> None:
    """Write ``data`` to ``path`` atomically (a temporary file beside it, then a hard
    link or a rename), with the permissions of any new file.  An existing file is
    kept unless ``force`` (also one that appears while writing), and only regular
    files are ever replaced.  Problems are AdxErrors of kind ``file``."""
    check_write_target(path, force=force)
    shown = visible(str(path))
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as exc:
        raise AdxError("file", f"cannot write {shown}: {exc.strerror or exc}") from None
    try:
        umask = os.umask(0o022)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)  # as any new file (mkstemp makes it private)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if force:
            os.replace(tmp, path)
        else:
            try:  # a hard link takes the name only if nobody took it since the check
                os.link(tmp, path)
            except FileExistsError:
                raise AdxError(
                    "file",
                    f"{shown} appeared meanwhile; nothing was overwritten",
                    hint="add --force to replace it",
                ) from None
            except OSError:  # a file system without hard links
                if probe(path) is not None:
                    raise AdxError("file", f"{shown} appeared meanwhile") from None
                os.replace(tmp, path)
    except OSError as exc:
        raise AdxError("file", f"cannot write {shown}: {exc.strerror or exc}") from None
    finally:
        Path(tmp).unlink(missing_ok=True)


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


def serve_dir() -> Path | None:
    """The folder a served session is confined to (``$ADX_SERVE_DIR``, resolved), or
    None outside ``adx serve``.

    Resolved with symbolic links followed, so that a comparison with another
    resolved path says where a file really is.
    """
    value = os.environ.get(SERVE_DIR_VARIABLE)
    if not value:
        return None
    return Path(os.path.realpath(value))


def is_inside(path: Path, folder: Path) -> bool:
    """True if ``path``, symbolic links and ``..`` resolved, is ``folder`` or lies under it
    (``folder`` resolved already, as :func:`serve_dir` gives it)."""
    try:
        target = Path(os.path.realpath(path))
    except (OSError, ValueError):
        return False
    return target == folder or folder in target.parents


def inside_serve_dir(path: Path) -> Path:
    """``path`` resolved, if no session is served or it lies inside the served folder.

    Raises ``RefusedFile`` (its message says which folder) for a path that leads
    out of ``$ADX_SERVE_DIR``, whether by an absolute name, ``..`` or a symbolic link.
    """
    folder = serve_dir()
    if folder is None:
        return path
    if not is_inside(path, folder):
        raise RefusedFile(
            f"it is outside {folder}, the only folder this served session may use (adx serve --dir)"
        )
    return Path(os.path.realpath(path))


def _lstat(path: Path) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None


def folder_below(path: Path, folder: Path) -> list[Path]:
    """The folders from ``folder`` (resolved, as :func:`serve_dir` gives it) down to
    ``path``, each checked: none may be a symbolic link or anything but a folder (a
    missing one is fine: it will be created as a plain folder).

    Raises RefusedFile if ``path`` is not written under ``folder`` (``..`` counts
    as leaving it) or a part of it is a link: progress must not be written outside
    the served folder through a link someone put there.
    """
    absolute = Path(os.path.abspath(path))
    try:
        parts = absolute.relative_to(folder).parts
    except ValueError:
        raise RefusedFile(
            f"{absolute} is outside {folder}, the only folder this served session may use"
        ) from None
    chain = [folder]
    for part in parts:
        chain.append(chain[-1] / part)
    for step in chain[1:]:
        info = _lstat(step)
        if info is None:
            continue
        if stat.S_ISLNK(info.st_mode):
            raise RefusedFile(
                f"{step} is a symbolic link: a served session writes only in plain folders "
                f"inside {folder}"
            )
        if not stat.S_ISDIR(info.st_mode):
            raise RefusedFile(f"{step} is {_kind(info.st_mode)}, not a folder")
    return chain


def make_private_folder(path: Path, folder: Path) -> Path:
    """Create ``path`` and the folders between it and ``folder`` (mode 0700) if they
    are missing, after the checks of :func:`folder_below`; each one made is checked
    again (a link swapped in meanwhile is refused, not followed)."""
    for step in folder_below(path, folder)[1:]:
        with contextlib.suppress(FileExistsError):
            os.mkdir(step, 0o700)
        info = os.lstat(step)
        if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
            raise RefusedFile(f"{step} is not a plain folder inside {folder}")
    return path
