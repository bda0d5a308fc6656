"""Reading ``.nlvc`` files in PyAV's style: ``nlvc_av.open(path)``.

    import nlvc_av
    with nlvc_av.open("clip.nlvc") as f:
        v = f.streams.video[0]            # width, height, pix_fmt, frames, time_base, ...
        for frame in f.decode(video=0):   # av.VideoFrame in the native pix_fmt, with .pts
            ...
        f.seek(pts)                        # the next decode starts at the GOP holding pts
        for d in f.decode_planes():        # numpy level: d.pts, d.duration, d.planes
            ...
        for packet in f.demux():           # the copied audio/subtitle packets (container.Packet)
            ...

Every decoded frame is checked against the MD5 stored for it (:class:`nlvc_av.errors.ChecksumError`).
"""

from __future__ import annotations

import os
from typing import Iterator

import container

from . import session as S
from . import transcode as T
from .io import pcmcarry

__all__ = ["open", "NlvcInputContainer", "VideoStream", "CopiedStream", "StreamContainer"]


class VideoStream:
    """The video stream (PyAV's ``VideoStream`` attributes where they apply)."""

    type = "video"

    def __init__(self, owner: "NlvcInputContainer", track: container.VideoTrack):
        self._owner = owner
        self.track = track
        self.index = 0
        self.codec_name = "nlvc"
        self.width = track.width
        self.height = track.height
        self.pix_fmt = track.pix_fmt
        self.bit_depth = track.bit_depth
        self.time_base = S.fraction(track.time_base)
        self.average_rate = S.fraction(track.frame_rate)
        self.sample_aspect_ratio = S.fraction(track.sample_aspect_ratio)
        self.color_range = track.color_range
        self.color_primaries = track.color_primaries
        self.color_trc = track.color_trc
        self.colorspace = track.colorspace
        self.metadata = dict(owner._video_info.stream_metadata)

    @property
    def format(self) -> str:
        return self.pix_fmt

    @property
    def frames(self) -> int:
        """Number of frames (0 when the file is a pipe and cannot be scanned)."""
        return self._owner._scan()[0]

    @property
    def duration(self) -> int | None:
        """From the first frame's pts to the end of the last frame, in ``time_base``."""
        return self._owner._scan()[1]

    @property
    def gops(self) -> int:
        return self._owner._scan()[2]

    def __repr__(self) -> str:
        return f"<nlvc_av.VideoStream #0 nlvc, {self.pix_fmt} {self.width}x{self.height}>"


class CopiedStream:
    """An audio/subtitle stream stored packet for packet (``type`` is its kind)."""

    def __init__(self, index: int, track: container.StreamTrack):
        self.track = track
        self.index = index
        self.type = track.kind
        shown = pcmcarry.original_info(track) if track.codec_name == pcmcarry.CODEC else track  # (PCM stored coded)
        self.codec_name = shown.codec_name
        self.time_base = S.fraction(track.time_base)
        self.extradata = bytes(track.extradata or b"")
        self.params = dict(shown.params or {})
        self.sample_rate = int(self.params.get("sample_rate") or 0) or None
        self.channels = int(self.params.get("channels") or 0) or None
        self.layout = self.params.get("layout")
        self.metadata = {k[4:]: v for k, v in self.params.items() if k.startswith("tag:")}
        self.language = self.metadata.get("language")

    def __repr__(self) -> str:
        return f"<nlvc_av.CopiedStream #{self.index} {self.type}/{self.codec_name}>"


class StreamContainer:
    """``streams.video``, ``.audio``, ``.subtitles``, ``.other``; iterable, indexable."""

    def __init__(self, streams: list):
        self._streams = streams
        self.video = tuple(s for s in streams if s.type == "video")
        self.audio = tuple(s for s in streams if s.type == "audio")
        self.subtitles = tuple(s for s in streams if s.type == "subtitle")
        self.other = tuple(s for s in streams if s.type not in ("video", "audio", "subtitle"))

    def __iter__(self):
        return iter(self._streams)

    def __len__(self) -> int:
        return len(self._streams)

    def __getitem__(self, index: int):
        return self._streams[index]


class NlvcInputContainer:
    """An open ``.nlvc`` file. ``threads`` is passed to the coder; ``coder`` overrides it."""

    format_name = "nlvc"

    def __init__(self, file, *, threads: int | None = None, coder=None):
        self.name = os.fspath(file) if isinstance(file, (str, os.PathLike)) else getattr(file, "name", "<file>")
        self._path = os.fspath(file) if isinstance(file, (str, os.PathLike)) else None
        self._reader = container.open(self._path if self._path is not None else file, "r")
        try:
            r = self._reader
            self.version = r.version
            self.info = r.info
            self.codec_setup = r.codec_setup
            self.metadata = {k: v for k, v in (r.tags or {}).items() if not k.startswith(S.VIDEO_TAG_PREFIX)}
            self._video_info = S.video_info_from_track(r.video_track, r.tags)
            streams = [VideoStream(self, r.video_track)]
            streams += [CopiedStream(i + 1, t) for i, t in enumerate(r.other_tracks)]
            self.streams = StreamContainer(streams)
        except BaseException:
            self._reader.close()
            raise
        self._threads = threads
        self._coder = coder
        self._start_gop: int | None = None
        self._passes = 0
        self._scanned: tuple[int, int | None, int] | None = None

    # -- helpers

    @property
    def coder(self):
        if self._coder is None:
            self._coder = T.coder_for_setup(self.codec_setup, threads=self._threads)
        return self._coder

    def _scan(self) -> tuple[int, int | None, int]:
        """(frames, duration, gops) read from the clusters (no decoding)."""
        if self._scanned is None:
            if self._path is None:
                return (0, None, 0)
            scanned = S.scan_file(self._path)
            self._scanned = (scanned.frames, scanned.duration, scanned.gops)
        return self._scanned

    def _video_stream(self, video) -> VideoStream:
        if video is None or video == 0 or video is self.streams.video[0]:
            return self.streams.video[0]
        raise ValueError(f"no video stream {video!r} (an .nlvc file has one, video=0)")

    # -- reading

    def decode_planes(self, video=0) -> Iterator[S.DecodedFrame]:
        """Decoded frames as numpy planes (``pts``, ``duration``, ``planes``, ``gop``,
        ``frame_type``), from the start or from the GOP chosen by :meth:`seek`."""
        self._video_stream(video)
        start, self._start_gop = self._start_gop, None
        if start is None and self._passes:
            start = 0  # a second pass re-reads from the first GOP (needs a seekable file)
        self._passes += 1
        yield from S.iter_decoded(self._reader, self.coder, start_gop=start)

    def decode(self, *args, video=None, audio=None, subtitles=None, **kwargs) -> Iterator:
        """``av.VideoFrame`` objects in the file's pixel format, with ``pts`` and ``time_base``.

        Audio and subtitles are stored as packets and are not decoded here: see :meth:`demux`.
        """
        if audio is not None or subtitles is not None:
            raise ValueError("audio and subtitle streams are copied packets: read them with demux()")
        if args:
            video = args[0]
        stream = self._video_stream(0 if video is None else video)
        from .io.frames import to_frame

        color = {
            "color_range": stream.color_range,
            "color_primaries": stream.color_primaries,
            "color_trc": stream.color_trc,
            "colorspace": stream.colorspace,
        }
        for d in self.decode_planes():
            yield to_frame(
                d.planes, stream.pix_fmt, stream.width, stream.height,
                pts=d.pts, time_base=stream.time_base, duration=d.duration, color=color,
            )

    def demux(self, *args, **kwargs) -> Iterator[container.Packet]:
        """The copied audio/subtitle packets, in file order (``packet.track`` is the track number;
        ``streams[i].track.number`` maps streams to tracks). Each is checked against its stored
        MD5 (format 1.5): a mismatch raises :class:`nlvc_av.errors.PacketChecksumError`."""
        start, self._start_gop = self._start_gop, None
        if start is None and self._passes:
            start = 0
        self._passes += 1
        kinds = S.track_kinds(self._reader)
        for cluster in S.iter_clusters_from(self._reader, start):
            S.check_packets(cluster, kinds)  # each against its MD5 (format 1.5)
            yield from pcmcarry.uncoded(cluster.packets, self._reader.other_tracks)  # carried PCM: the source's bytes

    def seek(self, offset: int, *, stream=None, backward: bool = True, any_frame: bool = False) -> None:
        """Make the next :meth:`decode` start at the GOP that holds ``offset`` (a pts in the
        video time base); the frames before ``offset`` in that GOP are decoded too, as with
        PyAV's keyframe seeking."""
        cluster = self._reader.seek(int(offset))
        self._start_gop = cluster.index

    # -- lifetime

    def close(self) -> None:
        self._reader.close()

    def __enter__(self) -> "NlvcInputContainer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<nlvc_av.NlvcInputContainer {self.name!r}>"


def open(file, mode: str = "r", *, threads: int | None = None, coder=None) -> NlvcInputContainer:  # noqa: A001
    """Open an ``.nlvc`` file (path or binary file object) for reading.

    Writing goes through :func:`nlvc_av.transcode.encode_file`.
    """
    if mode != "r":
        raise ValueError("nlvc_av.open reads .nlvc files (mode='r'); write them with nlvc_av.transcode.encode_file")
    return NlvcInputContainer(file, threads=threads, coder=coder)
