"""The ``.nlvc`` file format: a Matroska-like container for NLVC-coded video.

Standard library only: importing this package never imports torch, av or numpy. The
byte-level specification is ``container/FORMAT.md``.

Writing (works on a non-seekable pipe; nothing is ever back-patched)::

    with container.open("out.nlvc", "w", codec_setup=setup, tracks=[video, audio],
                        info=Info(), tags={"title": "..."}) as w:
        w.write_cluster(cluster)          # GOP 0, 1, 2... in order
    # leaving the block writes the Cues; leaving it by an exception does not, so the
    # file then reads as truncated after its last complete GOP

Reading::

    with container.open("in.nlvc") as r:            # or a binary file object, or a pipe
        r.version, r.info, r.codec_setup, r.tracks, r.video_track, r.other_tracks, r.tags
        for cluster in r.iter_clusters(): ...        # raises at the first damaged GOP
        r.cluster_count, r.cues, r.read_cluster(3), r.seek(pts)   # seekable files only

Damaged files. ``open`` fails with one clear NlvcError when the file is empty, not ``.nlvc``,
of another major version, or damaged before its first cluster. After that, damage costs only
the GOPs it touches:

* ``iter_clusters()`` (``on_error="raise"``) yields the good clusters, then raises
  ``CorruptFileError`` (``.gop`` = the GOP number) at the first damaged or missing GOP, or
  ``TruncatedFileError("file ends early at GOP N: ...")`` where a cut file stops.
* Damage that costs no GOP (damaged Cues or CuesLocator, a cut inside them, garbage between
  intact clusters; ``error.data_lost`` is False) never stops a read: it is listed in
  ``r.errors``, and random access falls back to scanning the clusters.
* ``iter_clusters(on_error="skip")`` goes on past damaged GOPs and, afterwards,
  ``r.errors`` lists every error in order (the truncation, if any, last).
  ``on_error=function`` does the same and calls the function with each error as it happens.
* ``read_cluster(n)`` raises ``CorruptFileError`` naming GOP n when that GOP is damaged (the
  others still read), ``TruncatedFileError`` when the file was cut before it.
* ``iter_clusters(start=n)`` resumes at GOP n (seekable files).
"""

from __future__ import annotations

import os
from typing import BinaryIO, Iterable, Literal, overload

from .elements import VERSION
from .errors import CorruptFileError, NlvcError, TruncatedFileError, UnsupportedVersionError
from .model import Cluster, CodecSetup, Cue, Info, Packet, SourceFile, StreamTrack, Track, VideoTrack
from .reader import OnError, Reader, open_reader
from .writer import Writer, open_writer

__all__ = [
    "open", "Reader", "Writer", "VERSION", "OnError",
    "Info", "CodecSetup", "VideoTrack", "StreamTrack", "Track", "Packet", "Cluster", "Cue", "SourceFile",
    "NlvcError", "CorruptFileError", "TruncatedFileError", "UnsupportedVersionError",
]


@overload
def open(file: str | os.PathLike[str] | BinaryIO, mode: Literal["r", "rb"] = "r", *,
         salvage: bool = False) -> Reader: ...


@overload
def open(file: str | os.PathLike[str] | BinaryIO, mode: Literal["w", "wb"], *,
         codec_setup: CodecSetup, tracks: Iterable[Track], info: Info | None = None,
         tags: dict[str, str] | None = None, source_files: bool | int = False,
         packet_md5: bool = False, package: Iterable[SourceFile] = ()) -> Writer: ...


def open(file, mode="r", **kwargs):
    """Open an ``.nlvc`` file, like ``wave.open`` / ``av.open``.

    ``file`` is a path or a binary file object (a pipe works: reading in order, writing).
    A path is opened and closed here; a file object is left open for its owner.
    ``"r"`` returns a :class:`Reader`: the header is parsed at once, so a file that is not
    ``.nlvc``, empty, or of a newer major version fails here with an ``NlvcError``;
    ``salvage=True`` reads past a damaged Info, Tags or Tracks (the video track still
    readable), listing each loss in ``Reader.head_errors``.
    ``"w"`` returns a :class:`Writer`; ``codec_setup`` and ``tracks`` are required;
    ``source_files=True`` when clusters will carry :class:`SourceFile` records (1.3); 4 when
    their maps may use the ops 1.4 added; ``packet_md5=True`` stores each packet's MD5 (1.5),
    which decoders compare (``Packet.md5``); ``package``: the side files and folders of a
    package (1.6, :class:`SourceFile` records, ``Reader.package``)."""
    if mode in ("r", "rb"):
        salvage = kwargs.pop("salvage", False)
        if kwargs:
            raise TypeError(f"open(..., 'r') takes no {', '.join(kwargs)} argument")
        return open_reader(file, salvage)
    if mode in ("w", "wb"):
        return open_writer(file, **kwargs)
    raise ValueError(f"mode must be 'r' or 'w', not {mode!r}")
