"""The ``.nlvc`` file format: a Matroska-like container for NLVC-coded video.

Standard library only: importing this package never imports torch or av. The byte-level
specification is ``container/FORMAT.md``.

Writing (works on a non-seekable pipe)::

    with container.open("out.nlvc", "w", codec_setup=setup, tracks=[video, audio],
                        info=Info(), tags={"title": "..."}) as w:
        w.write_cluster(cluster)          # GOP 0, 1, 2... in order

Reading::

    with container.open("in.nlvc") as r:
        r.version, r.info, r.codec_setup, r.tracks, r.video_track, r.other_tracks, r.tags
        for cluster in r.iter_clusters(): ...             # stops at the first damaged GOP
        for cluster in r.iter_clusters(on_error="skip"):  # goes on past it; see r.errors
            ...
        r.cluster_count, r.read_cluster(3), r.seek(pts)  # seekable files
"""

from __future__ import annotations

import os
from typing import BinaryIO, Iterable, Literal, overload

from .elements import VERSION
from .errors import CorruptFileError, NlvcError, TruncatedFileError, UnsupportedVersionError
from .model import Cluster, CodecSetup, Cue, Info, Packet, StreamTrack, Track, VideoTrack
from .reader import OnError, Reader, open_reader
from .writer import Writer, open_writer

__all__ = [
    "open", "Reader", "Writer", "VERSION", "OnError",
    "Info", "CodecSetup", "VideoTrack", "StreamTrack", "Track", "Packet", "Cluster", "Cue",
    "NlvcError", "CorruptFileError", "TruncatedFileError", "UnsupportedVersionError",
]


@overload
def open(file: str | os.PathLike[str] | BinaryIO, mode: Literal["r", "rb"] = "r") -> Reader: ...


@overload
def open(file: str | os.PathLike[str] | BinaryIO, mode: Literal["w", "wb"], *,
         codec_setup: CodecSetup, tracks: Iterable[Track], info: Info | None = None,
         tags: dict[str, str] | None = None) -> Writer: ...


def open(file, mode="r", **kwargs):
    """Open an ``.nlvc`` file, like ``wave.open`` / ``av.open``.

    ``file`` is a path or a binary file object (a pipe works: reading in order, writing).
    A path is opened and closed here; a file object is left open for its owner.
    ``"r"`` returns a :class:`Reader`: the header is parsed at once, so a file that is not
    ``.nlvc``, empty, or of a newer major version fails here with an ``NlvcError``.
    ``"w"`` returns a :class:`Writer`; ``codec_setup`` and ``tracks`` are required."""
    if mode in ("r", "rb"):
        if kwargs:
            raise TypeError(f"open(..., 'r') takes no {', '.join(kwargs)} argument")
        return open_reader(file)
    if mode in ("w", "wb"):
        return open_writer(file, **kwargs)
    raise ValueError(f"mode must be 'r' or 'w', not {mode!r}")
