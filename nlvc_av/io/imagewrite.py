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
import re
import shutil
from pathlib import Path
from typing import Sequence

import av
import numpy as np

from ..errors import InputError, OutputError
from ..text import escape
from .frames import _describe, to_frame
from .imageseq import PATTERN
from .package import PLACEHOLDER_TAG
from .packagefiles import safe_name, write_package
from .peers import encoder_pix_fmts
from .packagesound import rebuild_sound
from .rebuild import REBUILT, RebuildError, check, rebuild
from .streams import VideoInfo

ENCODERS = {".dpx": "dpx", ".tif": "tiff", ".tiff": "tiff", ".png": "png", ".exr": "exr"}
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


def sequence_pattern(tags: dict[str, str]) -> str:
    """The pattern the files are written under: the source sequence's (``scan_%06d.dpx``,
    control characters spelled out), else ``frame_%06d.png``."""
    pattern = escape(Path(tags.get("nlvc:sequence") or DEFAULT_PATTERN).name)
    if len(PATTERN.findall(pattern)) != 1 or Path(pattern).suffix.lower() not in ENCODERS:
        return DEFAULT_PATTERN
    return pattern


def check_pixels_writable(path: Path, pix_fmt: str) -> None:
    """A file kept as pixels only (--pixels-only) must be writable back by FFmpeg's encoder for
    its kind, in the frame's pixel format; else InputError (an encode refuses what it could not
    give back)."""
    codec = ENCODERS.get(Path(path).suffix.lower())
    if codec is None or pix_fmt not in encoder_pix_fmts(codec):
        raise InputError(f"{path}: --pixels-only keeps pixels that only FFmpeg's encoder writes back, and it "
                         f"cannot write {pix_fmt} as {Path(path).suffix or 'this kind of file'}; nothing was written")


class ImageSeqWriter:
    """Writes each frame as its own file in ``folder`` (a writer like Y4mWriter)."""

    def __init__(self, folder: str, video: VideoInfo, name: str | None = None, streams=(), recover: bool = False):
        tags = video.metadata
        self.shown = str(name or folder)  # for warnings: the destination, not a temporary folder
        stored = Path(tags.get("nlvc:sequence") or DEFAULT_PATTERN).name
        if not plain_name(stored):  # control characters: the name shown in messages is the one written
            log.warning("%s: the stored sequence name '%s' has control characters; written spelled out, as %s",
                        self.shown, stored, escape(stored))
        pattern = sequence_pattern(tags)
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
        self.package = tags.get("nlvc:package") == "1"  # names are paths in the package (1.6)
        self.placeholder = tags.get(PLACEHOLDER_TAG) == "1"  # a package of sound alone: no image file
        self.sounds = {s.number: s for s in streams if s.source is not None}  # tracks that rebuild a sound file
        self.sound_packets: dict[int, list] = {n: [] for n in self.sounds}
        self.recover = recover  # --recover: a sound file its lost packets cannot rebuild is said, not fatal
        if video.package:  # its folders (reels first: their images go in them) and side files
            write_package(self.folder, video.package)

    def write(self, planes: Sequence[np.ndarray], source=None, position: int | None = None) -> None:
        """Write one frame; ``position``: its place in the whole file (0-based), when frames
        before it were lost (``--recover``), so that each keeps its own number."""
        v = self.video
        if self.placeholder:  # the frame that carries a package of sound alone is not a file
            self.count += 1
            return
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
            raise OutputError(f"{self.shown}: cannot write {self.pattern % number}: {_describe(err)}") from None
        name = self.pattern % number
        if source is not None and (plain_name(source.name) or self.package and safe_name(source.name)):
            name = source.name  # (pixels only: under its own name, in its reel's folder)
        self._save(name, b"".join(bytes(packet) for packet in packets), "wb")
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
        if not (plain_name(name) or self.package and safe_name(name)):
            name = self.pattern % number
            log.warning("%s: the stored file name '%s' is not a plain file name; written as %s",
                        self.shown, source.name, name)
        data = rebuild(source, planes, self.video.width, self.video.height)
        if not check(source, data):
            raise OutputError(f"{self.folder}: {name}: the rebuilt file does not match its stored MD5; "
                              "the file is damaged or was written by an incompatible coder")
        self._save(name, data, "xb")
        self.count += 1
        self.next = number + 1

    def _save(self, name: str, data: bytes, mode: str) -> None:
        """One file of the sequence; an error (a full disk) names the destination and the file."""
        try:
            (self.folder / name).parent.mkdir(parents=True, exist_ok=True)  # (a package's reel)
            with open(self.folder / name, mode) as f:
                f.write(data)
        except OSError as err:
            raise OutputError(f"{self.shown}: cannot write {name}: {err.strerror or err}") from None

    def write_packet(self, packet) -> bool:
        """Hold a packet of a package's sound track (False: a stream an image sequence drops)."""
        if packet.track not in self.sound_packets:
            return False
        self.sound_packets[packet.track].append(packet)
        return True

    def close(self) -> None:
        """Rebuild a package's sound files from their packets, each checked against its MD5."""
        for number, info in self.sounds.items():
            name = info.source.name
            if not safe_name(name):
                raise OutputError(f"{self.shown}: the stored name '{name}' is not a path inside the package")
            try:
                data = rebuild_sound(info, self.sound_packets[number])
            except RebuildError as err:
                if not self.recover:
                    raise OutputError(f"{self.shown}: {err}; the file is damaged") from None
                log.warning("%s: %s; not written (packets of it are lost)", self.shown, err)
                continue
            self._save(name, data, "xb")

    def abort(self) -> None:
        pass


def check_folder(dst: str | os.PathLike, overwrite: bool = False, tags: dict[str, str] | None = None) -> Path:
    """``dst`` as a Path, if an image sequence may be written there: a new or empty folder in
    an existing one; with ``overwrite``, also a folder that holds nothing but files named like
    the sequence's (``tags``: the file's; a previous restore), which is replaced. Else OutputError."""
    dst = Path(dst)
    if dst.exists() and (not dst.is_dir() or any(dst.iterdir())):
        if not overwrite or not dst.is_dir():
            raise OutputError(f"{dst}: exists and is not an empty folder; an image sequence is written into a "
                              "new (or empty) folder, or with --overwrite replaces one that holds only its files")
        _check_replaceable(dst, sequence_pattern(tags or {}))
    parent = dst.parent if str(dst.parent) else Path(".")
    if not parent.is_dir():
        raise OutputError(f"{dst}: directory {str(parent)!r} does not exist")
    return dst


def _check_replaceable(folder: Path, pattern: str, shown: Path | None = None) -> None:
    """OutputError unless ``folder`` (not a link) holds only plain files named like ``pattern``'s."""
    shown = shown or folder
    if folder.is_symlink():
        raise OutputError(f"{shown}: is a link to a folder; --overwrite replaces only a folder that holds nothing "
                          "but the sequence's files: choose a new or empty folder")
    m = PATTERN.search(pattern)
    names = re.compile(re.escape(pattern[:m.start()]) + r"[0-9]+" + re.escape(pattern[m.end():]) + r"\Z")
    with os.scandir(folder) as entries:
        other = sorted(e.name for e in entries if not (e.is_file(follow_symlinks=False) and names.match(e.name)))
    if other:
        raise OutputError(f"{shown}: holds '{escape(other[0])}'{f' and {len(other) - 1} more' if len(other) > 1 else ''}, "
                          f"not a file of this sequence ({pattern}); --overwrite replaces only a folder that holds "
                          "nothing but the sequence's files: choose a new or empty folder")


@contextlib.contextmanager
def atomic_folder(dst: str | os.PathLike, overwrite: bool = False, tags: dict[str, str] | None = None):
    """Yield a temporary folder next to ``dst``, renamed to ``dst`` when complete, removed on
    any error. ``dst`` must not exist, or be an empty folder, or (``overwrite``) a folder of
    the sequence's files only (:func:`check_folder`), which is then replaced: nothing else is
    ever deleted."""
    import tempfile

    dst = check_folder(dst, overwrite, tags)
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
        if dst.exists() and not any(dst.iterdir()):
            dst.rmdir()  # the empty folder checked above
        if dst.exists():
            _replace(dst, tmp, parent, overwrite, sequence_pattern(tags or {}))
        else:
            os.replace(tmp, dst)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _replace(dst: Path, tmp: str, parent: Path, overwrite: bool, pattern: str) -> None:
    """``tmp`` in place of the folder ``dst``: ``dst`` moved aside, checked again there (what
    it holds now), the new folder moved in, the old one deleted; on any failure ``dst`` is
    put back as it was."""
    import tempfile

    if not overwrite:
        raise OutputError(f"{dst}: files appeared in it while writing; not replaced (use --overwrite)")
    aside = tempfile.mkdtemp(prefix=f".{dst.name}.", suffix=".old", dir=parent)
    try:
        os.replace(dst, aside)
    except OSError as err:
        os.rmdir(aside)
        raise OutputError(f"{dst}: cannot replace it: {err.strerror or err}") from None
    try:
        _check_replaceable(Path(aside), pattern, dst)
        os.replace(tmp, dst)
    except BaseException:
        with contextlib.suppress(OSError):
            os.replace(aside, dst)
        raise
    shutil.rmtree(aside, ignore_errors=True)
