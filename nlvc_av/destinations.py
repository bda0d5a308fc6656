"""Where a transcode reads and writes: the direction from the names, and atomic outputs.

Outputs are written under a temporary name next to the destination and renamed when
complete: an error or Ctrl-C leaves nothing at the destination.
"""
from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from pathlib import Path
from typing import BinaryIO, Iterator

from .errors import DirectionError, OutputError, OutputExistsError

STDIO = "-"
NLVC_SUFFIX = ".nlvc"
OUTPUT_KINDS = {".mkv": "mkv", ".y4m": "y4m", ".avi": "avi", ".mov": "mov"}  # .avi/.mov: a file kept byte for byte


def is_nlvc(path: str | os.PathLike) -> bool:
    return str(path).lower().endswith(NLVC_SUFFIX)


def output_kind(dst: str | os.PathLike, sequence: bool | None = None) -> str:
    """``"mkv"``, ``"y4m"`` or ``"images"`` for a decode destination (``"-"`` is y4m on stdout).
    A folder is an existing one, a name ending in '/', or a new name without an extension when
    the file holds an image sequence (``sequence``; None: not known yet, such a name passes)."""
    if str(dst) == STDIO:
        return "y4m"
    if str(dst).endswith(("/", os.sep)) or Path(dst).is_dir():
        return "images"  # an image sequence, one file per frame (nlvc_av/io/imagewrite.py)
    suffix = Path(dst).suffix.lower()
    if suffix in OUTPUT_KINDS:
        return OUTPUT_KINDS[suffix]
    new_name = not suffix and not Path(dst).exists()
    if new_name and sequence is not False:
        return "images"  # (the image sequence the file holds, back under its own names)
    if new_name:
        raise DirectionError(
            f"cannot write '{dst}': the file holds no image sequence, so a new folder for its frames (PNG) "
            f"is named with a trailing '/' ('{dst}/'); or write a .mkv (FFV1), a .y4m or '-' (y4m on stdout)")
    raise DirectionError(
        f"cannot write '{dst}': a decoded video is written as .mkv (FFV1), .y4m, '-' (y4m on stdout) "
        "or a folder/ (an image sequence)"
    )


NLVC_MAGIC = b"\x1a\x45\xdf\xa3"  # EBML; a .nlvc has DocType "nlvc" right after it


def stdin_is_nlvc() -> bool:
    stdin = sys.stdin.buffer
    head = stdin.peek(64)[:64] if hasattr(stdin, "peek") else b""
    return head.startswith(NLVC_MAGIC) and b"nlvc" in head


def direction(src: str, dst: str) -> str:
    """``"encode"`` or ``"decode"``, from the names (and, for ``- -``, what stdin holds)."""
    if is_nlvc(src) and is_nlvc(dst):
        raise DirectionError("both INPUT and OUTPUT are .nlvc files; one must be a video")
    if is_nlvc(src):
        return "decode"
    if is_nlvc(dst):
        return "encode"
    if src == STDIO:
        if dst != STDIO and Path(dst).suffix.lower() in OUTPUT_KINDS:
            return "decode"  # an .nlvc on stdin
        if dst == STDIO:
            return "decode" if stdin_is_nlvc() else "encode"
    elif dst == STDIO:
        return "encode"  # a video file -> .nlvc on stdout
    raise DirectionError(
        f"cannot tell what to do with '{src}' -> '{dst}': the output must end in .nlvc (encode) "
        "or the input must be a .nlvc file (decode)"
    )


def refuse_terminal(stream, what: str) -> None:
    """Binary output (an .nlvc file, y4m) to a terminal would fill it with garbage: refused."""
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError, OSError):
        tty = False
    if tty:
        raise OutputError(f"refusing to write {what} to a terminal: redirect stdout to a file or a pipe "
                          "(> out, | ...) or name an output file")


@contextlib.contextmanager
def atomic_output(dst: str | os.PathLike, overwrite: bool = False) -> Iterator[str]:
    """Yield a temporary path next to ``dst``; rename it to ``dst`` on success, remove it on
    any error or interrupt. Refuses an existing ``dst`` unless ``overwrite``."""
    dst = Path(dst)
    if dst.is_dir():
        raise OutputError(f"{dst}: is a directory")
    if dst.exists() and not overwrite:
        raise OutputExistsError(f"{dst}: already exists (use --overwrite to replace it)")
    parent = dst.parent if str(dst.parent) else Path(".")
    if not parent.is_dir():
        raise OutputError(f"{dst}: directory {str(parent)!r} does not exist")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{dst.name}.", suffix=".part", dir=parent)
    except OSError as err:
        raise OutputError(f"{dst}: cannot write: {err.strerror or err}") from None
    os.close(fd)
    try:
        yield tmp
        if dst.exists() and not overwrite:
            raise OutputExistsError(f"{dst}: appeared while writing; not replaced (use --overwrite)")
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, dst)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


class NamedOutput:
    """A binary output whose write errors name it: ``out.nlvc: cannot write: No space left on
    device`` (OutputError), never a bare OSError (a full disk, a file size limit, an I/O error).
    A reader that went away stays a BrokenPipeError (the CLI stops quietly). ``own``: the file
    was opened here (:meth:`open`) and is closed by :meth:`close`; as a context manager it is
    closed on success, dropped without a second error on failure."""

    def __init__(self, file: BinaryIO, name: str, own: bool = False):
        self.file, self.name, self.own = file, str(name), own

    @classmethod
    def open(cls, path: str | os.PathLike, name: str | os.PathLike) -> "NamedOutput":
        try:
            return cls(open(path, "wb"), str(name), own=True)
        except OSError as err:
            raise OutputError(f"{name}: cannot write: {err.strerror or err}") from None

    def _do(self, method, *args):
        try:
            return method(*args)
        except BrokenPipeError:
            raise
        except OSError as err:
            raise OutputError(f"{self.name}: cannot write: {err.strerror or err}") from None

    def write(self, data) -> int | None:
        return self._do(self.file.write, data)

    def flush(self) -> None:
        self._do(self.file.flush)

    def close(self) -> None:
        """Flush; close the file if it was opened here."""
        self._do(self.file.close if self.own else self.file.flush)

    def abort(self) -> None:
        """Close a file opened here, its unwritten bytes dropped (an error is already on its way)."""
        if self.own:
            with contextlib.suppress(OSError):
                self.file.close()

    def __enter__(self) -> "NamedOutput":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()
