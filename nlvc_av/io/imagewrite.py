"""Image sequences out: ``nlvc-transcode film.nlvc restored/`` writes one file per frame.

The names come from the tags an image-sequence source left in the file (``nlvc:sequence``,
``nlvc:first_number``, ``nlvc:frame_numbers``; see :mod:`nlvc_av.io.imageseq`), so
``scan_086400.dpx ...`` come back under their own names; any other source is written as
``frame_000000.png ...``. A frame whose source file was kept (a DPX or TIFF sequence, format
1.3: :mod:`nlvc_av.io.rebuild`) is that file again, byte for byte, under its own name, its MD5
checked. Any other frame is encoded by FFmpeg's DPX, TIFF or PNG encoder in the source's own
pixel format: the samples are exact, the headers are FFmpeg's.
"""
from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path
from typing import Sequence

import av
import numpy as np

from ..errors import OutputError
from ..text import escape
from .frames import _describe, to_frame
from .imageseq import PATTERN
from .rebuild import REBUILT, check, rebuild
from .streams import VideoInfo

ENCODERS = {".dpx": "dpx", ".tif": "tiff", ".tiff": "tiff", ".png": "png"}
DEFAULT_PATTERN = "frame_%06d.png"

log = logging.getLogger("nlvc_av")


def plain_name(name: str | None) -> bool:
    """Whether a stored file name may be written as it is: a name (no folder, not ``.``/``..``)
    of printable characters."""
    return bool(name) and Path(name).name == name and name not in (".", "..") and escape(name) == name


def frame_numbers(tags: dict[str, str]) -> list[int] | None:
    """The numbers a gapped sequence recorded (``"7-8,11"`` -> [7, 8, 11]), or None."""
    text = tags.get("nlvc:frame_numbers")
    if not text:
        return None
    out = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        out.extend(range(int(lo), int(hi or lo) + 1))
    return out


class ImageSeqWriter:
    """Writes each frame as its own file in ``folder`` (a writer like Y4mWriter)."""

    def __init__(self, folder: str, video: VideoInfo, name: str | None = None):
        tags = video.metadata
        self.shown = str(name or folder)  # for warnings: the destination, not a temporary folder
        pattern = Path(tags.get("nlvc:sequence") or DEFAULT_PATTERN).name
        if not plain_name(pattern):  # control characters: the name shown in messages is the one written
            log.warning("%s: the stored sequence name '%s' has control characters; written spelled out, as %s",
                        self.shown, pattern, escape(pattern))
            pattern = escape(pattern)
        if len(PATTERN.findall(pattern)) != 1 or Path(pattern).suffix.lower() not in ENCODERS:
            pattern = DEFAULT_PATTERN
        self.folder, self.pattern, self.video = Path(folder), pattern, video
        self.codec = ENCODERS[Path(pattern).suffix.lower()]
        if not ("nlvc:sequence" in tags and Path(pattern).suffix.lower() in REBUILT):
            # (a DPX/TIFF sequence's files are rebuilt: checked at the first one FFmpeg has to write)
            self._check_encoder()
        try:
            first = int(tags.get("nlvc:first_number", "0"))
        except ValueError:
            first = 0
        self.numbers = frame_numbers(tags)
        self.first = self.next = first
        self.count = 0

    def write(self, planes: Sequence[np.ndarray], source=None, position: int | None = None) -> None:
        """Write one frame; ``position``: its place in the whole file (0-based), when frames
        before it were lost (``--recover``), so that each keeps its own number."""
        v = self.video
        at = self.count if position is None else position
        if self.numbers and at < len(self.numbers):
            number = self.numbers[at]
        else:
            number = self.next if position is None else self.first + position
        if source is not None and source.packing:
            self._rebuild(planes, source, number)
            return
        self._check_encoder()
        cc = av.CodecContext.create(self.codec, "w")
        cc.width, cc.height, cc.pix_fmt = v.width, v.height, v.pix_fmt
        cc.time_base = v.time_base
        try:
            packets = cc.encode(to_frame(planes, v.pix_fmt, v.width, v.height)) + cc.encode(None)
        except av.FFmpegError as err:
            raise OutputError(f"{self.folder}: cannot write {self.pattern % number}: {_describe(err)}") from None
        with open(self.folder / (self.pattern % number), "wb") as f:
            for packet in packets:
                f.write(bytes(packet))
        self.count += 1
        self.next = number + 1

    def _check_encoder(self) -> None:
        supported = [f.name for f in av.codec.Codec(self.codec, "w").video_formats or ()]
        if self.video.pix_fmt not in supported:
            raise OutputError(f"{self.codec.upper()} cannot store {self.video.pix_fmt} (it stores: "
                              f"{', '.join(supported)}); write a .mkv instead")

    def _rebuild(self, planes: Sequence[np.ndarray], source, number: int) -> None:
        """The source file again, byte for byte, under its own name (a plain name; else the
        sequence's, with a warning), its MD5 checked."""
        name = source.name
        if not plain_name(name):
            name = self.pattern % number
            log.warning("%s: the stored file name '%s' is not a plain file name; written as %s",
                        self.shown, source.name, name)
        data = rebuild(source, planes, self.video.width, self.video.height)
        if not check(source, data):
            raise OutputError(f"{self.folder}: {name}: the rebuilt file does not match its stored MD5; "
                              "the file is damaged or was written by an incompatible coder")
        try:
            with open(self.folder / name, "xb") as f:
                f.write(data)
        except OSError as err:
            raise OutputError(f"{self.folder}: cannot write {name}: {err.strerror or err}") from None
        self.count += 1
        self.next = number + 1

    def close(self) -> None:
        pass

    def abort(self) -> None:
        pass


def check_folder(dst: str | os.PathLike) -> Path:
    """``dst`` as a Path, if an image sequence may be written there (a new or empty folder in
    an existing one); else OutputError."""
    dst = Path(dst)
    if dst.exists() and (not dst.is_dir() or any(dst.iterdir())):
        raise OutputError(f"{dst}: exists and is not an empty folder; an image sequence is written into a "
                          "new (or empty) folder")
    parent = dst.parent if str(dst.parent) else Path(".")
    if not parent.is_dir():
        raise OutputError(f"{dst}: directory {str(parent)!r} does not exist")
    return dst


@contextlib.contextmanager
def atomic_folder(dst: str | os.PathLike):
    """Yield a temporary folder next to ``dst``, renamed to ``dst`` when complete, removed on
    any error. ``dst`` must not exist, or be an empty folder: nothing is ever deleted."""
    import shutil
    import tempfile

    dst = check_folder(dst)
    parent = dst.parent if str(dst.parent) else Path(".")
    try:
        tmp = tempfile.mkdtemp(prefix=f".{dst.name}.", suffix=".part", dir=parent)
    except OSError as err:
        raise OutputError(f"{dst}: cannot write: {err.strerror or err}") from None
    try:
        yield tmp
        umask = os.umask(0)  # mkdtemp makes it 0700: the folder gets the mode the umask gives
        os.umask(umask)
        os.chmod(tmp, 0o777 & ~umask)
        if dst.exists():
            dst.rmdir()  # the empty folder checked above
        os.replace(tmp, dst)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
