"""Image sequences read by NLVC itself (numpy, no FFmpeg): DPX files, whose every flavour
:mod:`nlvc_av.io.dpx` describes, and uncompressed EXR files (:mod:`nlvc_av.io.exr`). FFmpeg's
DPX decoder reorders the samples of some files (10-bit luma from film scanners), refuses others
(12-bit packed, alpha only) and drops padding bits, and its EXR decoder converts the samples to
floats; reading the samples ourselves, with the same packing the rebuild uses, makes every such
file rebuildable byte for byte (:mod:`nlvc_av.io.rebuild`).

    source = native_input(sequence, rate, max_frames)   # None: FFmpeg reads this sequence

The object has the reading side of :class:`nlvc_av.io.demux.InputFile`: ``video``,
``other_streams`` (none), :meth:`read`, ``truncated``, ``sequence``, ``max_frames``.
"""
from __future__ import annotations

import logging
from fractions import Fraction
from types import SimpleNamespace

import numpy as np

import container
from pathlib import Path
from typing import Iterator

from ..errors import InputError
from ..text import plural
from . import dpx, exr, tiff
from .imageseq import DEFAULT_RATE, ImageSequence, parse_rate
from .package import Package
from .packagefiles import package_records
from .packagesound import sound_tracks
from .rebuild_ops import RebuildError
from .streams import VIDEO_TRACK, VideoFrameData, VideoInfo

log = logging.getLogger("nlvc_av")
#: The image of a package of sound alone: one 1x1 grey frame, never written back.
PLACEHOLDER = SimpleNamespace(width=1, height=1, pix_fmt="gray")

#: The suffixes read here -> (the first file's image, without its samples; the image and its
#: planes). The other suffixes go through FFmpeg's image2 demuxer.
NATIVE = {".dpx": (lambda data: dpx.read_header(data)[0], dpx.read_image),
          ".exr": (exr.read_layout, exr.read_image), ".tif": (tiff.read_layout, tiff.read_image),
          ".tiff": (tiff.read_layout, tiff.read_image)}


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as err:
        raise InputError(f"{path}: cannot read: {err.strerror or err}") from None


class NativeSequenceInput:
    """An image sequence (or a package's images, reel after reel), one frame per file, at
    ``rate`` frames per second (pts 0, 1, 2...); a package's side files and folders are
    ``package_files`` (container.SourceFile records)."""

    def __init__(self, sequence, rate, max_frames: int | None, first, images_only: bool = False):
        self.sequence = sequence
        self.name = str(sequence.folder / sequence.pattern)
        self.max_frames = max_frames
        self.truncated = False
        self.other_streams: list = []
        self.package_files: list = []
        self._sound_packets: list = []  # (time in seconds, container.Packet), in time order
        if isinstance(sequence, Package):
            kept, sounds = sequence.others, sequence.sounds
            if max_frames is not None:  # a cut package: its sound whole, as side files (the cut keeps no later packet)
                kept, sounds = kept + sounds, []
            if images_only and kept + sounds:
                left = sounds + kept
                log.warning("%s: --images-only: %s not kept: %s", sequence.root, plural(len(left), "file"),
                            ", ".join(left[:20]) + (", ..." if len(left) > 20 else ""))
                kept, sounds = [], []
            self.package_files = package_records(sequence.root, sequence.folders, kept)
            for info, packets in sound_tracks(sequence.root, sounds, VIDEO_TRACK + 1, sequence.outside):
                self.other_streams.append(info)
                self._sound_packets += [(p.pts * info.time_base, p) for p in packets]
            self._sound_packets.sort(key=lambda tp: tp[0])
        rate = DEFAULT_RATE if rate is None else parse_rate(rate)
        self.video = VideoInfo(
            width=first.width, height=first.height, pix_fmt=first.pix_fmt, time_base=1 / Fraction(rate),
            frame_rate=Fraction(rate), metadata=sequence.tags(), frames=len(sequence.files),
            codec_name=sequence.suffix.lower()[1:], source_pix_fmt=first.pix_fmt)

    def read(self) -> Iterator[VideoFrameData | container.Packet]:
        """The frames, and a package's sound packets each before the first frame that starts
        after it (the order a demuxer gives: the encoder routes them to their GOPs)."""
        sound = iter(self._sound_packets)
        pending = next(sound, None)
        for item in self._frames():
            while pending is not None and pending[0] < item.pts * self.video.time_base:
                yield pending[1]
                pending = next(sound, None)
            yield item
        if not self.truncated:
            while pending is not None:
                yield pending[1]
                pending = next(sound, None)

    def _frames(self) -> Iterator[VideoFrameData]:
        v = self.video
        files = self.sequence.files
        if not files:  # a package of sound alone: one placeholder frame (FORMAT.md 6.3)
            yield VideoFrameData(0, 1, [np.zeros((1, 1), np.uint8)])
            return
        for index, path in enumerate(files):
            if self.max_frames is not None and index >= self.max_frames:
                self.truncated = True
                return
            try:
                image, planes = NATIVE[path.suffix.lower()][1](_read(path))
            except RebuildError as err:
                raise InputError(f"{path}: {err}; nothing was written") from None
            if (image.width, image.height, image.pix_fmt) != (v.width, v.height, v.pix_fmt):
                raise InputError(f"{path}: frame {index} is {image.width}x{image.height} {image.pix_fmt}, the "
                                 f"sequence started as {v.width}x{v.height} {v.pix_fmt}; a change of size or "
                                 "format mid-stream is not supported")
            yield VideoFrameData(index, 1, planes)

    def close(self) -> None:
        pass

    def __enter__(self) -> "NativeSequenceInput":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def native_input(sequence: ImageSequence | Package | None, rate, max_frames: int | None,
                 images_only: bool = False) -> NativeSequenceInput | None:
    """The sequence read here, when its files are DPX, TIFF or EXR and the first one's header is
    one this reader takes; None otherwise (FFmpeg reads it, as before). A package is always
    read here."""
    if isinstance(sequence, Package) and not sequence.sequences:
        return NativeSequenceInput(sequence, rate, max_frames, PLACEHOLDER, images_only)
    if isinstance(sequence, Package):
        others = sorted({p.suffix for p in sequence.files if p.suffix.lower() not in NATIVE})
        if others:
            raise InputError(f"{sequence.root}: a package's images are DPX, TIFF or EXR files ({', '.join(others)} "
                             "are not: give the sequence alone)")
        try:
            first = NATIVE[sequence.suffix.lower()][0](_read(sequence.files[0]))
        except RebuildError as err:
            raise InputError(f"{sequence.files[0]}: {err}; nothing was written") from None
        return NativeSequenceInput(sequence, rate, max_frames, first, images_only)
    if sequence is None or sequence.suffix.lower() not in NATIVE:
        return None
    try:
        first = NATIVE[sequence.suffix.lower()][0](_read(sequence.files[0]))
    except RebuildError as err:
        if sequence.suffix.lower() == ".exr":  # FFmpeg's EXR decoder gives floats, which are not coded
            raise InputError(f"{sequence.files[0]}: {err}; nothing was written") from None
        return None
    return NativeSequenceInput(sequence, rate, max_frames, first)
