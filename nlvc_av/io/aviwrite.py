"""An AVI or MOV kept byte for byte (:mod:`.aviread`) written back: ``nlvc-transcode capture.nlvc
restored.avi`` (or ``.mov``: the output's suffix must be the source's). Each frame's record is spliced from its decoded planes as it comes (the PCM
its map takes, op 7, left as a hole); at the end each sound track's packets are decoded (each
stream's MD5 checked), the holes filled from the streams one after another in track order
(:func:`kept_sound`), and the whole file checked against ``nlvc:source_md5``.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from ..errors import OutputError
from .aviread import MD5_TAG, NAME_TAG
from .packagesound import rebuild_sound
from .packing import pixel_stream
from .rebuild import splice
from .rebuild_ops import OP_INFLATE, OP_SOUND, RebuildError

#: decode output kinds this writes ("mkv-whole": a .mkv the file keeps, written back unless --playback)
WHOLE_KINDS = ("avi", "mov", "mkv-whole")


def whole_kind(kind: str, tags: dict, playback: bool = False) -> str:
    """The decode kind for a destination of ``kind``: a .mkv of a file that keeps a .mkv byte for
    byte is that file written back ("mkv-whole"), unless ``playback`` (an FFV1/Matroska copy)."""
    kept = MD5_TAG in tags and Path(tags.get(NAME_TAG, "")).suffix.lower() == ".mkv"
    return "mkv-whole" if kind == "mkv" and kept and not playback else kind


def kept_sound(tracks: dict) -> bytes:
    """The stream op 7 takes its bytes from: ``tracks`` (track number -> (StreamInfo with its
    SourceFile, its packets in order)) decoded, MD5-checked, one after another in track order
    (FORMAT.md 6.3); RebuildError when one cannot be."""
    return b"".join(rebuild_sound(info, packets) for _, (info, packets) in sorted(tracks.items()))


class _Silence:
    """A sound stream of zeros (op 7's bytes are written at the end)."""

    def __len__(self) -> int:
        return 1 << 62

    def __getitem__(self, part: slice) -> bytes:
        return bytes(part.stop - part.start)


class AviWriter:
    """Writes the AVI or MOV a file keeps to ``out`` (a path); a writer like Y4mWriter."""

    def __init__(self, out, video, name: str, streams=()):
        tags = video.metadata
        if NAME_TAG not in tags or MD5_TAG not in tags:
            raise OutputError(f"{name}: the file holds no AVI or MOV kept byte for byte; write a .mkv (FFV1) instead")
        kept = Path(tags[NAME_TAG]).suffix.lower()
        if kept != Path(name).suffix.lower():
            raise OutputError(f"{name}: the file keeps {tags[NAME_TAG]} byte for byte; write it to a name ending "
                              f"in {kept} (or a .mkv{' with --playback' if kept == '.mkv' else ''}, FFV1)")
        self.shown, self.video, self.md5 = name, video, tags[MD5_TAG]
        self.sounds = {s.number: s for s in streams if s.source is not None}
        self.packets: dict[int, list] = {n: [] for n in self.sounds}
        self.holes: list[tuple[int, int, int]] = []  # (file position, sound offset, length)
        self.pos = 0
        try:
            self.file = open(out, "w+b")
        except OSError as err:
            raise OutputError(f"{name}: cannot write: {err.strerror or err}") from None

    def write(self, planes, source=None, position=None) -> None:
        if source is None or not source.packing:
            raise OutputError(f"{self.shown}: a frame without its file record; the file is damaged")
        v = self.video
        try:
            data = splice(source.pixel_map, source.data, pixel_stream(planes, source.packing, v.width, v.height),
                          sound=_Silence())
        except (RebuildError, KeyError, ValueError) as err:
            raise OutputError(f"{self.shown}: a frame's record cannot be rebuilt ({err}); the file is damaged") from None
        at, m = self.pos, source.pixel_map
        for k in range(0, len(m), 3):
            if m[k] == OP_SOUND:
                self.holes.append((at, m[k + 2], m[k + 1]))
            if m[k] != OP_INFLATE:
                at += m[k + 1]
        if not self.holes or self.holes[-1][0] < self.pos:  # (no sound in it: each frame's bytes are checked)
            if hashlib.md5(data).digest() != source.md5:
                raise OutputError(f"{self.shown}: frame bytes at {self.pos} do not match their stored MD5; "
                                  "the file is damaged")
        self._put(data)

    def _put(self, data: bytes) -> None:
        try:
            self.file.write(data)
        except OSError as err:
            raise OutputError(f"{self.shown}: cannot write: {err.strerror or err}") from None
        self.pos += len(data)

    def write_packet(self, packet) -> bool:
        if packet.track not in self.packets:
            return False
        self.packets[packet.track].append(packet)
        return True

    def close(self) -> None:
        """Fill the sound's holes, then check the whole file's MD5."""
        if self.holes:
            if not self.sounds:
                raise OutputError(f"{self.shown}: the file's sound track is missing; the file is damaged")
            try:
                pcm = kept_sound({n: (info, self.packets[n]) for n, info in self.sounds.items()})
            except RebuildError as err:
                raise OutputError(f"{self.shown}: {err}; the file is damaged") from None
            for at, start, length in self.holes:
                if start + length > len(pcm):
                    raise OutputError(f"{self.shown}: the map takes sound bytes past its {len(pcm)}; damaged")
                self.file.seek(at)
                self.file.write(pcm[start:start + length])
        self.file.flush()
        self.file.seek(0)
        md5 = hashlib.md5()
        while chunk := self.file.read(1 << 24):
            md5.update(chunk)
        self.file.close()
        if md5.hexdigest() != self.md5:
            raise OutputError(f"{self.shown}: the rebuilt file does not match its stored MD5 ({self.md5}); "
                              "the file is damaged or was written by an incompatible coder")

    def abort(self) -> None:
        self.file.close()
