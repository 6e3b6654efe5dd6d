"""Input values read from data files: ``--at X=@x.npy`` and its kin.

* :class:`ValueContext` says where relative paths start (the current folder on
  the command line and in the explorer, a lesson file's folder in lessons) and
  whether paths must stay inside that folder (lessons: no ``..``, absolute path
  or symlink may lead out of it).  In a session served in a browser (``adx serve``,
  ``ADX_SERVE_DIR`` set) every path is confined so: to the served folder, and a
  lesson's to its own folder, which must itself be inside the served folder or
  be the built-in course's.
* :func:`read_values` reads ``.npy``, ``.npz`` (one member or all of them),
  ``.csv`` (comma-separated) and ``.txt`` (whitespace-separated) with numpy's own
  loaders, never unpickling (``allow_pickle=False``), as float64 arrays of at most
  two axes.  The file is read like a program file (:mod:`adexplorer.base.files`):
  a regular file only, refused if another account could write or replace it,
  and its size bounded *before* it is read, from the ``tensor_entries`` limit.
* :func:`write_npz` writes values to an ``.npz`` file atomically, never over an
  existing file unless asked (``adx values --save``).

Every problem is an :class:`~adexplorer.base.errors.AdxError` of kind ``file``
that names the file.
"""

from __future__ import annotations

import io
import os
import re
import warnings
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from adexplorer.base.errors import AdxError, did_you_mean
from adexplorer.base.files import (
    RefusedFile,
    check_write_target,
    expand_home,
    is_inside,
    read_regular_bytes,
    serve_dir,
    write_new_file,
)
from adexplorer.base.limits import LIMITS, limit
from adexplorer.base.resources import lessons_dir
from adexplorer.base.shapes import Shape
from adexplorer.base.text import visible

#: The kinds of data file, by suffix.
SUFFIXES = (".npy", ".npz", ".csv", ".txt")
#: Room for an .npy header (numpy pads it to a multiple of 64 bytes; format 2
#: allows up to 4 GiB, which no honest header needs).
_HEADER_BYTES = 64 * 1024
#: Bytes of text per entry at most: a float64's repr is at most 24 characters,
#: plus a separator and spare room for spaces.
_TEXT_BYTES_PER_ENTRY = 32


@dataclass(frozen=True)
class ValueContext:
    """Where the paths of ``@file`` values start, and whether they may leave it."""

    #: The folder relative paths start from; None: the current directory.
    folder: Path | None = None
    #: True in lesson files: a path must lead to a file inside ``folder``.
    confined: bool = False
    #: True in a served session: ``folder`` is the served folder (for the messages).
    served: bool = False

    @classmethod
    def lesson(cls, folder: Path | None) -> ValueContext:
        """Paths in a lesson file: relative to its folder, and never outside it."""
        return cls(folder if folder is not None else Path("."), confined=True)

    @classmethod
    def serving(cls, folder: Path) -> ValueContext:
        """Paths in a served session (``adx serve --dir``): relative to the served
        folder, and never outside it."""
        return cls(folder, confined=True, served=True)


def in_served_session(context: ValueContext) -> ValueContext:
    """The context that applies: ``context`` itself, unless a session is served
    (``ADX_SERVE_DIR``): then a context that is not confined (the explorer's, an
    answer typed in the lesson player) becomes confined to the served folder, and so
    does a lesson's whose folder is neither inside the served folder nor the
    built-in course's."""
    folder = serve_dir()
    if folder is None:
        return context
    if not context.confined:
        return ValueContext.serving(folder)
    own = context.folder if context.folder is not None else Path(".")
    try:
        builtin: Path | None = Path(os.path.realpath(lessons_dir()))
    except FileNotFoundError:
        builtin = None
    if is_inside(own, folder) or (builtin is not None and is_inside(own, builtin)):
        return context
    return ValueContext.serving(folder)


#: On the command line and in the explorer: relative to the current directory.
COMMAND_LINE = ValueContext()


def max_binary_bytes() -> int:
    """The largest ``.npy`` file (or ``.npz`` member) read: a float64 array at the
    ``tensor_entries`` limit, and its header."""
    return 8 * limit("tensor_entries") + _HEADER_BYTES


def max_text_bytes() -> int:
    """The largest ``.csv``/``.txt`` file read: the ``tensor_entries`` limit in text."""
    return _TEXT_BYTES_PER_ENTRY * limit("tensor_entries")


def resolve(text: str, context: ValueContext) -> Path:
    """The path ``text`` names, from the context's folder; in a lesson, refused
    (an AdxError of kind ``file``) unless it stays inside that folder."""
    if not text:
        raise AdxError("file", "'@' needs a file name after it", hint="e.g. --at X=@x.npy")
    if "\0" in text:
        raise AdxError("file", "a file name cannot hold a NUL byte")
    raw = Path(text)
    context = in_served_session(context)
    if not context.confined:
        path = expand_home(raw)
        return path if path.is_absolute() or context.folder is None else context.folder / path
    folder = context.folder if context.folder is not None else Path(".")
    named = visible(text, keep="")
    if raw.is_absolute() or text.startswith("~"):
        if context.served:
            raise AdxError(
                "file",
                f"the data file {named} is not inside {visible(str(folder))}, the only "
                "folder this served session may read",
                hint="name the file relative to that folder (adx serve --dir), e.g. @x.npy",
            )
        raise AdxError(
            "file",
            f"the data file {named} is not inside the lesson's folder: a lesson names its "
            "data files relative to itself",
            hint="put the file next to the lesson (or in a folder under it) and name it so",
        )
    try:
        base = Path(os.path.realpath(folder))
        target = Path(os.path.realpath(base / raw))
    except (OSError, ValueError):
        raise AdxError("file", f"cannot find the data file {named}") from None
    if target != base and base not in target.parents:
        if context.served:
            raise AdxError(
                "file",
                f"the data file {named} leads outside {visible(str(folder))} (through '..' "
                "or a symbolic link), the only folder this served session may read",
                hint="a served session reads only files in the folder given to adx serve --dir",
            )
        raise AdxError(
            "file",
            f"the data file {named} leads outside the lesson's folder (through '..' or a "
            "symbolic link)",
            hint="a lesson reads only files in its own folder or below it",
        )
    return target


def _read(path: Path, shown: str, most: int, confined: bool) -> bytes:
    try:
        return read_regular_bytes(path, most, "data file", refuse_shared=True, no_symlink=confined)
    except FileNotFoundError:
        raise AdxError("file", f"no such data file: {shown}") from None
    except RefusedFile as refused:
        # a file over the size limit: say which limit, and how to raise it
        hint = (
            f"it follows the limit on {LIMITS['tensor_entries'].what}; raise it with "
            f"{LIMITS['tensor_entries'].variable}"
            if "may be at most" in str(refused)
            else None
        )
        raise AdxError("file", f"cannot read the data file {shown}: {refused}", hint=hint) from None
    except OSError as exc:
        raise AdxError("file", f"cannot read the data file {shown}: {exc.strerror}") from None


def _as_values(array: object, shown: str) -> np.ndarray:
    """A loaded array as adx values: float64, at most two axes; else an AdxError."""
    if not isinstance(array, np.ndarray):
        raise AdxError("file", f"{shown} does not hold an array")
    kind = array.dtype.kind
    if kind not in "fiu":
        what = {
            "c": "complex numbers",
            "b": "booleans",
            "O": "Python objects",
            "U": "strings",
            "S": "bytes",
            "V": "records",
        }.get(kind, f"values of type {array.dtype}")
        raise AdxError(
            "file",
            f"{shown} holds {what}; adx reads real numbers only (floats or integers)",
        )
    if array.ndim > 2:
        raise AdxError(
            "file",
            f"{shown} has {array.ndim} axes (shape {tuple(array.shape)}); adx values are "
            "real, vec or mat (at most 2 axes)",
        )
    if array.size > limit("tensor_entries"):
        spec = LIMITS["tensor_entries"]
        raise AdxError(
            "usage",
            f"{shown} holds {array.size:,} entries, over adx's limit of "
            f"{limit('tensor_entries'):,}",
            hint=f"raise it with {spec.variable}={array.size}",
        )
    # a copy in C order (ascontiguousarray would make a real a vec[1])
    return np.array(array, dtype=np.float64, order="C")


def _load_npy(data: bytes, shown: str) -> np.ndarray:
    if not data.startswith(b"\x93NUMPY"):
        # np.load would take anything else for a pickle and say so
        raise AdxError("file", f"{shown} is not a valid .npy file (it lacks numpy's header)")
    try:
        loaded = np.load(io.BytesIO(data), allow_pickle=False)
    except ValueError as exc:
        if "pickle" in str(exc).lower():
            raise AdxError(
                "file", f"{shown} holds Python objects; adx reads real numbers only"
            ) from None
        raise AdxError("file", f"{shown} is not a valid .npy file ({_first_line(exc)})") from None
    except (OSError, EOFError) as exc:
        raise AdxError("file", f"{shown} is not a valid .npy file ({_first_line(exc)})") from None
    return _as_values(loaded, shown)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


def _npz_members(data: bytes, shown: str) -> dict[str, zipfile.ZipInfo]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise AdxError("file", f"{shown} is not a valid .npz file ({_first_line(exc)})") from None
    return {info.filename[: -len(".npy")]: info for info in infos if info.filename.endswith(".npy")}


def read_values(
    text: str, context: ValueContext = COMMAND_LINE, member: str | None = None
) -> dict[str, np.ndarray]:
    """The values in the data file ``text`` names (see the module's docstring).

    ``.npy``, ``.csv`` and ``.txt`` give one value, under the key ``""``.
    ``.npz`` gives every member (by name), or only ``member`` when it is given.
    A ``.csv``/``.txt`` file is read as the table it is, (rows, columns); the
    caller (:func:`text_table_as`) makes one row or one column a vec, and one
    number a real, where the input is declared so.
    """
    path = resolve(text, context)
    shown = visible(text, keep="")
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise AdxError(
            "file",
            f"cannot tell what kind of data file {shown} is from its name",
            hint="adx reads .npy, .npz (numpy), .csv (comma-separated) and .txt "
            "(whitespace-separated) files",
        )
    if member is not None and suffix != ".npz":
        raise AdxError(
            "file",
            f"'{shown}:{member}' names a member, but only an .npz file has members",
        )
    if suffix == ".npy":
        return {"": _load_npy(_read(path, shown, max_binary_bytes(), context.confined), shown)}
    if suffix == ".npz":
        # the compressed file is bounded like one array's worth per input it may hold
        data = _read(path, shown, max_binary_bytes() * 16, context.confined)
        members = _npz_members(data, shown)
        if member is not None:
            if member not in members:
                raise AdxError(
                    "file",
                    f"{shown} has no member '{member}'",
                    hint=did_you_mean(member, members)
                    or f"its members are {', '.join(members) or 'none'}",
                )
            members = {member: members[member]}
        values: dict[str, np.ndarray] = {}
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for name, info in members.items():
                where = f"{shown}:{name}"
                if info.file_size > max_binary_bytes():
                    raise AdxError(
                        "file",
                        f"{where} unpacks to {info.file_size:,} bytes, more than an array "
                        f"of {limit('tensor_entries'):,} entries",
                        hint=f"raise the limit with {LIMITS['tensor_entries'].variable}",
                    )
                try:
                    packed = archive.read(info)
                except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
                    raise AdxError(
                        "file", f"{where} cannot be unpacked ({_first_line(exc)})"
                    ) from None
                values[name] = _load_npy(packed, where)
        return values
    raw = _read(path, shown, max_text_bytes(), context.confined)
    try:
        content = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise AdxError(
            "file", f"{shown} is not UTF-8 text (byte {exc.start} cannot be read)"
        ) from None
    delimiter = "," if suffix == ".csv" else None
    try:
        with warnings.catch_warnings():  # an empty file: said below, not as a warning
            warnings.simplefilter("ignore", UserWarning)
            # ndmin=2 keeps a file's orientation: one row is (1, n), one column (n, 1)
            loaded = np.loadtxt(
                io.StringIO(content.removeprefix("\ufeff")),  # a BOM, as spreadsheets write
                delimiter=delimiter,
                dtype=np.float64,
                ndmin=2,
            )
    except (ValueError, IndexError) as exc:
        reason, header = _table_problem(_first_line(exc))
        hint = "one row per line, " + (
            "separated by commas" if delimiter else "numbers separated by spaces"
        )
        if header:
            hint += "; delete a header line, or start it with '#' (a comment)"
        raise AdxError("file", f"{shown} is not a table of numbers ({reason})", hint=hint) from None
    if loaded.size == 0:
        raise AdxError("file", f"{shown} holds no numbers")
    return {"": _as_values(loaded, shown)}


def _table_problem(numpy_says: str) -> tuple[str, bool]:
    """numpy's loadtxt message in adx's words (lines counted from 1, as editors do), and
    whether the first line looks like a header."""
    ragged = re.match(r"the number of columns changed from (\d+) to (\d+) at row (\d+)", numpy_says)
    if ragged:
        before, after, row = ragged.groups()
        return f"line {row} has {after} values where the lines before it have {before}", False
    word = re.match(
        r"could not convert string (.+) to float64 at row (\d+), column (\d+)", numpy_says
    )
    if word:
        text, row, column = word.groups()
        line = int(row) + 1
        return f"line {line}, value {column}: {visible(text, keep='')} is not a number", line == 1
    return visible(numpy_says, keep=""), False


def text_table_as(table: np.ndarray, shape: Shape | None) -> np.ndarray | None:
    """A text file's table as a value of ``shape``: itself; one row or one column as a
    vec of that length; one number as a real.  Without a declared shape, one row or
    column is a vec and one number a real.  None if the table cannot be that shape
    (a row never fills a column: a file's orientation is kept)."""
    rows, columns = table.shape
    if shape is None:
        if rows == 1 or columns == 1:
            return table.reshape(()) if table.size == 1 else table.ravel()
        return table
    if table.shape == shape:
        return table
    if shape == () and table.size == 1:
        return table.reshape(())
    if len(shape) == 1 and (rows == 1 or columns == 1) and table.size == shape[0]:
        return table.ravel()
    return None


def check_npz_target(path: Path, *, force: bool = False) -> None:
    """Refuse a ``.npz`` destination that :func:`write_npz` could not write: checked
    before a long computation (``adx train --save``) as well as when writing."""
    shown = visible(str(path))
    if path.suffix.lower() != ".npz":
        raise AdxError(
            "file",
            f"{shown} does not end in .npz",
            hint="name it e.g. start.npz, so that --at @start.npz reads it back",
        )
    check_write_target(path, force=force)


def write_npz(path: Path, values: Mapping[str, np.ndarray], *, force: bool = False) -> None:
    """Write ``values`` (name → array) to the ``.npz`` file ``path`` atomically
    (a temporary file, then a rename), exactly as stored (float64), uncompressed.

    An existing file is kept unless ``force``; anything that is not a regular
    file is never replaced (:func:`check_npz_target`).  Problems are AdxErrors of
    kind ``file``.
    """
    check_npz_target(path, force=force)
    buffer = io.BytesIO()
    arrays = {name: np.asarray(value, dtype=np.float64) for name, value in values.items()}
    np.savez(buffer, **arrays)  # type: ignore[arg-type]
    write_new_file(path, buffer.getvalue(), force=force)
