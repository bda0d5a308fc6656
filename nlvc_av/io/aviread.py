"""AVI and QuickTime/MOV files read by NLVC itself, to be restored byte for byte (:mod:`.avi`
and :mod:`.mov` list the file's ranges, one design; FORMAT.md 6.2 op 7): each frame's SourceFile holds the bytes before its chunk payload
(stored, with op 7 for the PCM chunks among them) and its payload as the pixel stream (op 1),
the last also the bytes after it (idx1...); each sound stream's PCM chunk bytes are a sound track
(:mod:`.sound`: FLAC or nlvc-pcm-1) whose SourceFile is that stream; op 7's offsets run through
the tracks' streams one after another, in track order (1.7 when there are several). The file's name and MD5 are
the tags ``nlvc:source_file`` and ``nlvc:source_md5``; :mod:`.aviwrite` is the way back.

    source = avi_input(path, max_frames)    # None: not an AVI/MOV this reads (FFmpeg reads it)
"""
from __future__ import annotations

import hashlib
import mmap
from pathlib import Path
from typing import Iterator

import numpy as np

import container
from container import SourceFile

from ..errors import InputError
from . import avi, mkv, mov
from .avi import SOUND_PAYLOAD, STORED, VIDEO_PAYLOAD, AviLayout
from .packing import pixel_stream, unpack
from .rebuild import compressed, splice
from .rebuild_ops import OP_PIXELS, OP_SOUND, OP_STORED, RebuildError
from .sound import encode_pcm
from .soundlayout import SoundLayout
from .streams import VIDEO_TRACK, StreamInfo, VideoFrameData, VideoInfo

NAME_TAG, MD5_TAG = "nlvc:source_file", "nlvc:source_md5"
#: file suffix -> (sniffer of its first 12 bytes, the ranges reader)
KEPT_WHOLE = {".avi": (avi.is_avi, avi.read_layout), ".mov": (mov.is_mov, mov.read_layout),
              ".mkv": (mkv.is_mkv, mkv.read_layout)}


def frame_records(layout: AviLayout, data, name: str) -> list[SourceFile]:
    """One record per frame, in order: the ranges up to its payload, the last also the rest; op 7's
    offset is into the tracks' sound streams one after another (FORMAT.md 6.3)."""
    records, ops, stored, start = [], [], [], 0
    frames = layout.frames
    sizes = [0] * len(layout.pcm_streams())
    for kind, at, n in layout.ranges:
        if kind == SOUND_PAYLOAD:
            sizes[layout.sound_track.get(at, 0)] += n
    sound_at = [sum(sizes[:k]) for k in range(len(sizes))]  # where each track's stream starts, then goes on
    for kind, at, n in layout.ranges:
        if kind == STORED:
            ops += [OP_STORED, n, 0]
            stored.append(bytes(data[at:at + n]))
        elif kind == SOUND_PAYLOAD:
            track = layout.sound_track.get(at, 0)
            ops += [OP_SOUND, n, sound_at[track]]
            sound_at[track] += n
        else:
            ops += [OP_PIXELS, n, 0]
            if len(records) < frames - 1:
                records.append((ops, b"".join(stored), start, at + n))
                ops, stored, start = [], [], at + n
    records.append((ops, b"".join(stored), start, len(data)))
    out = []
    for ops, kept, a, b in records:
        ops, kept = compressed(ops, kept)
        out.append(SourceFile(name, hashlib.md5(data[a:b]).digest(), dict(layout.packing), ops, kept))
    return out


def sound_streams(layout: AviLayout, data) -> list[bytes]:
    """Each sound track's PCM stream (its chunks' bytes in file order), in track order."""
    parts: list[list] = [[] for _ in layout.pcm_streams()]
    for kind, at, n in layout.ranges:
        if kind == SOUND_PAYLOAD:
            parts[layout.sound_track.get(at, 0)].append(bytes(data[at:at + n]))
    return [b"".join(p) for p in parts]


class AviInput:
    """The reading side of :class:`nlvc_av.io.demux.InputFile` for an AVI/MOV kept byte for byte:
    frames (each with its ``record``) and the sound track's packets, in time order."""

    def __init__(self, path: Path, data, layout: AviLayout, max_frames: int | None):
        self.name, self.sequence, self.max_frames, self.truncated = str(path), None, max_frames, False
        self.package_files: list = []
        self.layout, self._data = layout, data
        if max_frames is not None and max_frames < layout.frames:
            article = "an" if layout.container == "AVI" else "a"
            raise InputError(f"{path}: {article} {layout.container} file kept byte for byte is kept whole "
                             "(no --max-frames); --pixels-only codes its frames alone")
        self.records = frame_records(layout, data, path.name)
        md5 = hashlib.md5(data).hexdigest()
        self.video = VideoInfo(width=layout.width, height=layout.height, pix_fmt=layout.pix_fmt,
                               time_base=1 / layout.rate, frame_rate=layout.rate, frames=layout.frames,
                               codec_name=layout.fourcc.decode("latin-1"), source_pix_fmt=layout.pix_fmt,
                               metadata={NAME_TAG: path.name, MD5_TAG: md5})
        self.other_streams, self._packets = [], []
        pcms = sound_streams(layout, data)
        for k, (s, pcm) in enumerate(zip(layout.pcm_streams(), pcms)):
            self._sound_track(s, pcm, path.name + ":sound" + (str(k + 1) if k else ""), k)
        tb = {s.number: s.time_base for s in self.other_streams}
        self._packets.sort(key=lambda p: p.pts * tb[p.track])  # (stable: a track's own order kept)
        self._pcm = b"".join(pcms)
        #: the format minor version the records need (container.open's source_files): 1.8 for a
        #: semi-planar packing (nv12, nv21), 1.7 when op 7 runs through several sound tracks
        self.records_version = 8 if layout.packing.get("interleave") == "semiplanar" else 7 if len(pcms) > 1 else 4
        self._check(data)

    def _sound_track(self, s: dict, pcm: bytes, name: str, k: int) -> None:
        block = s["channels"] * s["bits"] // 8
        if len(pcm) % block:
            raise RebuildError(f"{'its' if not k else f'sound track {k + 1}: its'} PCM chunks hold {len(pcm)} bytes, "
                               f"not whole sample frames of {block}")
        sl = SoundLayout("wav", s["sample_rate"], s["channels"], s["bits"], s.get("kind", "int"),
                         s.get("signed", s["bits"] > 8), s.get("byte_order", "le"), s["bits"], len(pcm) // block, 0)
        stream = encode_pcm(sl, pcm)
        number = VIDEO_TRACK + 1 + k
        record = SourceFile(name, hashlib.md5(pcm).digest(), {"samples": "pcm"}, [OP_PIXELS, len(pcm), 0])
        params = {**stream.params, "sample_rate": s["sample_rate"], "nlvc:source": record.name}
        self.other_streams.append(StreamInfo(number=number, kind="audio", codec_name=stream.codec,
                                             time_base=stream.time_base, extradata=stream.extradata, params=params,
                                             source=record))
        self._packets += [container.Packet(track=number, pts=pts, dts=pts, duration=d, keyframe=True, data=p)
                          for pts, d, p in stream.packets]

    def _check(self, data) -> None:
        """The rebuild, before anything is written: every record from its frame's planes."""
        pcm = self._pcm
        at = 0
        for k, (record, (_, planes)) in enumerate(zip(self.records, self._planes())):
            made = splice(record.pixel_map, record.data, pixel_stream(planes, record.packing, self.layout.width,
                                                                      self.layout.height), sound=pcm)
            if made != data[at:at + len(made)]:
                raise RebuildError(f"frame {k}: re-packing its pixels does not give the file's bytes (bits the "
                                   f"{self.layout.fourcc.decode('latin-1')} layout does not hold are set)")
            at += len(made)
        if at != len(data):
            raise RebuildError(f"the records make {at} bytes of {len(data)}")

    def _planes(self) -> Iterator[tuple[int, list[np.ndarray]]]:
        lay, k = self.layout, 0
        for kind, at, n in lay.ranges:
            if kind == VIDEO_PAYLOAD:
                yield k, unpack(bytes(self._data[at:at + n]), lay.packing, lay.width, lay.height, 3)
                k += 1

    def read(self) -> Iterator[VideoFrameData | container.Packet]:
        sound = iter(self._packets)  # (every track's, in time order)
        pending = next(sound, None)
        tb = {s.number: s.time_base for s in self.other_streams}
        for k, planes in self._planes():
            while pending is not None and pending.pts * tb[pending.track] < k * self.video.time_base:
                yield pending
                pending = next(sound, None)
            frame = VideoFrameData(k, 1, planes)
            frame.record = self.records[k]
            yield frame
        while pending is not None:
            yield pending
            pending = next(sound, None)

    def close(self) -> None:
        pass

    def __enter__(self) -> "AviInput":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def avi_input(path: str, max_frames: int | None) -> AviInput | None:
    """The AVI or MOV at ``path`` read here when its video is a layout :mod:`.avi` packs; None
    otherwise; InputError (one line) when it is such a file but cannot be kept byte for byte."""
    p = Path(path)
    if p.suffix.lower() not in KEPT_WHOLE or not p.is_file():
        return None
    sniff, read_layout = KEPT_WHOLE[p.suffix.lower()]
    try:
        with open(p, "rb") as f:
            if not sniff(f.read(12)):
                return None
            data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError) as err:
        raise InputError(f"{p}: cannot read: {getattr(err, 'strerror', None) or err}") from None
    try:
        layout = read_layout(data)
        return None if layout is None else AviInput(p, data, layout, max_frames)
    except RebuildError as err:
        raise InputError(f"{p}: cannot be kept byte for byte: {err}; nothing was written "
                         "(--pixels-only codes its frames and sound alone)") from None
