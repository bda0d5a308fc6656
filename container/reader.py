"""Reading ``.nlvc`` files from a seekable file or a pipe (FORMAT.md, section 7).

``Reader`` parses everything before the first Cluster when it is created (EBML header,
Info, CodecSetup, Tracks, Tags), then reads clusters on demand: in order with
``iter_clusters`` (works on a pipe; see ``walk.py`` for how damage is contained), or at random
with ``read_cluster`` / ``seek`` (seekable files; the GOP index comes from the Cues, or from a
scan of the clusters when the Cues are missing or wrong).
"""

from __future__ import annotations

import io
import os
from typing import BinaryIO, Callable, Iterator, Union

from . import elements as E
from .ebml import encode_id
from .errors import CorruptFileError, NlvcError, TruncatedFileError
from .model import Cluster, CodecSetup, Cue, Info, SourceFile, StreamTrack, Track, VideoTrack
from .head import PARSERS as HEAD_PARSERS, Head
from .parse import parse_cluster, parse_cues, parse_ebml_header
from .source import Source
from .walk import Area, walk

__all__ = ["Reader", "OnError"]

#: What ``iter_clusters`` does at a damaged or missing GOP: "raise" the error, "skip" it (the
#: error goes to ``Reader.errors``), or call a function with it and go on (it goes there too).
OnError = Union[str, Callable[[NlvcError], None]]

EBML_MAGIC = encode_id(E.EBML)
LOCATOR_HEAD = encode_id(E.CUES_LOCATOR) + b"\x88"  # ID + "size 8"
LOCATOR_LENGTH = len(LOCATOR_HEAD) + 8


class Reader:
    """An ``.nlvc`` file opened for reading. Use ``container.open(file, "r")``.

    Attributes from the head: ``version`` (major, minor), ``info``, ``codec_setup``,
    ``tracks``, ``video_track``, ``other_tracks``, ``tags``; ``head_errors``: what was wrong
    there and read past (a tag that is not UTF-8; with ``salvage``, a damaged Info, Tags or
    Tracks, see ``head.py``)."""

    def __init__(self, file: BinaryIO, *, close_file: bool = False, salvage: bool = False):
        self._file = file
        self._close_file = close_file
        self._src = Source(file)
        self._head = Head(salvage)
        self.head_errors: list[NlvcError] = self._head.errors
        #: The errors the last ``iter_clusters(on_error="skip" or a function)`` went past.
        self.errors: list[NlvcError] = []
        self._pipe_consumed = False
        self._index: list[Cue] | None = None  # GOP index, in GOP order
        self._index_from_cues = False
        self._index_end_error: TruncatedFileError | None = None  # how a scan found the file ends
        self._announced = 0  # number of GOPs the file's Cues list
        try:
            self._read_head()
        except BaseException:
            self.close()
            raise

    # --- the head: everything before the first Cluster --------------------------------------

    def _read_head(self) -> None:
        src = self._src
        start = src.tell()
        magic = src.read(len(EBML_MAGIC))
        if not magic:
            raise CorruptFileError(f"empty file: no EBML header at byte {start}", offset=start)
        if magic != EBML_MAGIC:
            if EBML_MAGIC.startswith(magic):
                raise TruncatedFileError(f"file ends early in the header: only {len(magic)} bytes "
                                         f"of the EBML magic at byte {start}", offset=start)
            raise CorruptFileError(f"not an .nlvc file: expected the EBML magic {EBML_MAGIC.hex()} "
                                   f"at byte {start}, found {magic.hex()}", offset=start)
        src.unread(magic)
        try:
            header = src.read_header()  # not None: the 4 bytes of the magic are there
            self.version: tuple[int, int] = parse_ebml_header(src.read_element(header, None))
            segment = src.read_header()
            if segment is None:
                raise TruncatedFileError(f"no Segment after the EBML header: the file stops at byte "
                                         f"{src.tell()}", offset=src.tell())
            if segment.id != E.SEGMENT:
                raise CorruptFileError(f"expected a Segment at byte {segment.offset}, found "
                                       f"{E.name(segment.id)}", offset=segment.offset)
            area = Area(src, segment.offset + len(segment.raw), segment.end, set())
            head, data_ended = self._read_head_elements(area)
        except TruncatedFileError as exc:
            raise TruncatedFileError(f"file ends early in the header: {exc}", offset=exc.offset) from None
        self._first_cluster = src.tell()
        for needed in (E.CODEC_SETUP, E.TRACKS):
            if needed in head:
                continue
            if data_ended:
                raise TruncatedFileError(f"file ends early in the header: no {E.name(needed)} "
                                         f"before the data stops at byte {self._first_cluster}",
                                         offset=self._first_cluster)
            raise CorruptFileError(f"no {E.name(needed)} element before the clusters (which "
                                   f"start at byte {self._first_cluster})", offset=self._first_cluster)
        self.info: Info = head.get(E.INFO, Info(app=""))
        self.codec_setup: CodecSetup = head[E.CODEC_SETUP]
        self.tracks: list[Track] = head[E.TRACKS]
        self.tags: dict[str, str] = head.get(E.TAGS, {})
        self.package: list[SourceFile] = head.get(E.PACKAGE, [])  # (1.6) side files and folders
        area.packet_tracks = self._head.packet_tracks or {t.number for t in self.other_tracks}
        area.salvage = self._head.salvage  # a cluster whose CRC-32 fails is read, trusted by its MD5s only
        self._area = area

    def _read_head_elements(self, area: Area) -> tuple[dict, bool]:
        """The Segment's children before the first Cluster, parsed, by element ID; and whether
        the data ended there.

        Once CodecSetup and Tracks are in, trouble reading a later element ends the head
        instead of failing: the damage belongs to the cluster area, where it is reported by
        GOP. An element that is read whole but does not parse fails in any case."""
        src = area.src
        head: dict = self._head.elements
        offsets: dict[int, int] = {}
        self._head_end = area.segment_start  # end of the last head element, for messages
        while True:
            at = src.tell()
            try:
                header = area.next_header()
                if header is None or header.id in (E.CLUSTER, E.CUES, E.CUES_LOCATOR):
                    if header is not None:
                        src.unread(header.raw)
                    return head, header is None
                if header.id not in HEAD_PARSERS:  # Void, or an element of a newer version
                    src.skip_element(header, area.segment_end)
                    continue
                if header.id in head:
                    raise CorruptFileError(f"{E.name(header.id)} appears twice (at bytes "
                                           f"{offsets[header.id]} and {header.offset})",
                                           offset=header.offset)
                element = src.read_element(header, area.segment_end)
            except NlvcError:
                if E.CODEC_SETUP not in head or E.TRACKS not in head:
                    raise
                if src.seekable:
                    src.seek(at)
                return head, False  # (on a pipe the failed read gave its bytes back if it could)
            self._head.parse(header.id, element)
            offsets[header.id] = header.offset
            self._head_end = src.tell()

    @property
    def video_track(self) -> VideoTrack:
        return next(t for t in self.tracks if isinstance(t, VideoTrack))

    @property
    def other_tracks(self) -> list[StreamTrack]:
        return [t for t in self.tracks if isinstance(t, StreamTrack)]

    # --- clusters in order ------------------------------------------------------------------

    def iter_clusters(self, start: int = 0, on_error: OnError = "raise") -> Iterator[Cluster]:
        """The clusters in file order, from GOP ``start`` (``start`` > 0 needs a seekable file).

        ``on_error="raise"`` (default): yields every good cluster, then raises at the first
        damaged or missing GOP (CorruptFileError, ``.gop`` set) or where a truncated file was
        cut (TruncatedFileError: "file ends early at GOP N"). Damage that costs no GOP
        (``error.data_lost`` False: damaged Cues or CuesLocator, a cut inside them, unreadable
        bytes between intact clusters) is never raised: it is appended to ``self.errors``.
        ``on_error="skip"``: goes on past damaged GOPs; each error, in order, including the
        final TruncatedFileError of a cut file, is appended to ``self.errors`` (emptied by
        each call). A function as ``on_error`` is called with each error when it happens,
        then reading goes on (the error is in ``self.errors`` too).
        On a pipe the clusters can be iterated only once."""
        if on_error not in ("raise", "skip") and not callable(on_error):
            raise ValueError(f"on_error must be 'raise', 'skip' or a function, not {on_error!r}")
        if not self._src.seekable:
            if self._pipe_consumed or start > 0:
                raise io.UnsupportedOperation("a pipe is read once, from the start: iter_clusters() "
                                              "cannot be called again or with start > 0")
            self._pipe_consumed = True
        pos, gop, last_end = self._first_cluster, 0, self._head_end
        if start > 0:  # begin at the nearest indexed GOP at or before ``start``
            before = [c for c in self._gop_index() if c.gop <= start]
            if before:
                pos, gop, last_end = before[-1].offset, before[-1].gop, before[-1].offset
        self.errors = []
        return self._iter(walk(self._area, pos, gop, light=False, last_end=last_end),
                          max(start, 0), on_error)

    def _iter(self, items: Iterator[Cluster | NlvcError], start: int,
              on_error: OnError) -> Iterator[Cluster]:
        for item in items:
            if isinstance(item, Cluster):
                if item.index >= start:
                    yield item
            elif item.gop is None or item.gop >= start:
                if on_error == "raise" and item.data_lost:
                    raise item
                self.errors.append(item)
                if callable(on_error):
                    on_error(item)

    # --- random access (seekable files) -----------------------------------------------------

    def _need_seekable(self, what: str) -> None:
        if not self._src.seekable:
            raise io.UnsupportedOperation(f"{what} needs a seekable file, not a pipe")

    @property
    def cues(self) -> list[Cue]:
        """The GOP index (``Cue.offset`` = where the Cluster starts in the file): from the
        file's Cues, or from a scan when they are missing or wrong. Lists the GOPs found."""
        self._need_seekable("cues")
        return list(self._gop_index())

    @property
    def cluster_count(self) -> int:
        """Number of GOPs in the file. For a truncated file, the number before the cut:
        reading GOP ``cluster_count`` then raises TruncatedFileError."""
        self._need_seekable("cluster_count")
        index = self._gop_index()
        return max(index[-1].gop + 1 if index else 0, self._announced)

    def read_cluster(self, n: int) -> Cluster:
        """GOP ``n`` alone. CorruptFileError naming GOP ``n`` if it is damaged or cannot be
        found, TruncatedFileError if the file was cut before it, IndexError past the end."""
        self._need_seekable("read_cluster")
        if n < 0:
            raise IndexError(f"GOP {n} out of range: GOP numbers start at 0")
        cue = self._find(n)
        if cue is None:
            count = self.cluster_count  # GOPs the Cues announced stay in range even if lost
            if n >= count and self._index_end_error is not None and self._index_end_error.data_lost:
                raise TruncatedFileError(f"GOP {n} is not in the file: {self._index_end_error}",
                                         offset=self._index_end_error.offset, gop=n)
            if n >= count:
                raise IndexError(f"GOP {n} out of range: the file has {count} GOPs")
            raise CorruptFileError(f"GOP {n}: no intact Cluster found for it (damaged file)", gop=n)
        try:
            return self._read_cluster_at(cue, n)
        except _StaleIndex:
            self._scan()  # the Cues were wrong: index the clusters themselves, then try again
        found = self._find(n)
        if found is None:
            raise CorruptFileError(f"GOP {n}: the Cues place it at byte {cue.offset}, but no intact "
                                   "Cluster for it is there or anywhere else", offset=cue.offset, gop=n)
        return self._read_cluster_at(found, n)

    def seek(self, pts: int) -> Cluster:
        """The GOP holding ``pts``: the last one starting at or before it (GOP 0 when ``pts``
        comes before every GOP). Uses the Cues, or a scan of the clusters when they are missing."""
        self._need_seekable("seek")
        index = self._gop_index()
        if not index:
            if self._index_end_error is not None:
                raise TruncatedFileError(f"cannot seek: {self._index_end_error}",
                                         offset=self._index_end_error.offset, gop=0)
            raise IndexError("cannot seek: the file holds no GOPs")
        best = index[0]
        for cue in index:
            if cue.first_pts <= pts:
                best = cue
        return self.read_cluster(best.gop)

    def _find(self, n: int) -> Cue | None:
        return next((c for c in self._gop_index() if c.gop == n), None)

    def _read_cluster_at(self, cue: Cue, n: int) -> Cluster:
        """The Cluster the index places at ``cue.offset``, which must be GOP ``n``. Raises
        _StaleIndex when an index taken from the Cues turns out wrong."""
        src = self._src
        src.seek(cue.offset)
        try:
            header = src.read_header()
            problem = None if header is not None else f"the file stops at byte {cue.offset}"
        except NlvcError as exc:
            header, problem = None, str(exc)
        if header is not None and header.id != E.CLUSTER:
            header, problem = None, f"found {E.name(header.id)} at byte {cue.offset}, not a Cluster"
        if header is None:
            if self._index_from_cues:
                raise _StaleIndex
            raise CorruptFileError(f"GOP {n}: {problem}", offset=cue.offset, gop=n)
        try:
            body = src.read_element(header, self._area.segment_end).data
            cluster = parse_cluster(body, header.offset, len(header.raw), self._area.packet_tracks)
        except TruncatedFileError as exc:
            raise TruncatedFileError(f"file ends early at GOP {n}: {exc}", offset=exc.offset, gop=n) from None
        except CorruptFileError as exc:
            raise CorruptFileError(f"GOP {n}: {exc}", offset=exc.offset, gop=n) from None
        if cluster.index != n:
            if self._index_from_cues:
                raise _StaleIndex
            raise CorruptFileError(f"GOP {n}: the Cluster at byte {cue.offset} holds GOP {cluster.index}",
                                   offset=cue.offset, gop=n)
        return cluster

    def _gop_index(self) -> list[Cue]:
        if self._index is None:
            cues = self._cues_from_locator()
            if cues is None:
                self._scan()
            else:
                self._index, self._index_from_cues, self._announced = cues, True, len(cues)
        return self._index

    def _cues_from_locator(self) -> list[Cue] | None:
        """The Cues, found through the CuesLocator that ends a finished file; None when anything
        about them does not add up (the caller then scans)."""
        src, end = self._src, self._src.end
        if end - self._first_cluster < LOCATOR_LENGTH:
            return None
        src.seek(end - LOCATOR_LENGTH)
        tail = src.read(LOCATOR_LENGTH)
        if not tail.startswith(LOCATOR_HEAD):
            return None
        at = self._area.segment_start + int.from_bytes(tail[len(LOCATOR_HEAD):], "big")
        if not self._first_cluster <= at < end - LOCATOR_LENGTH:
            return None
        src.seek(at)
        try:
            header = src.read_header()
            if header is None or header.id != E.CUES:
                return None
            cues = parse_cues(src.read_element(header, end - LOCATOR_LENGTH), self._area.segment_start)
        except NlvcError:
            return None
        if any(not self._first_cluster <= c.offset < at for c in cues):
            return None
        return cues

    def _scan(self) -> None:
        """Index the GOPs by walking the clusters (reading a few bytes of each)."""
        index: list[Cue] = []
        self._index_end_error = None
        for item in walk(self._area, self._first_cluster, 0, light=True):
            if isinstance(item, Cue):
                index.append(item)
            elif isinstance(item, TruncatedFileError):
                self._index_end_error = item
        self._index, self._index_from_cues = index, False

    # --- closing ------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the file if ``open`` opened it (a file object passed in stays open)."""
        if self._close_file:
            self._close_file = False
            self._file.close()

    def __enter__(self) -> "Reader":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def __repr__(self) -> str:
        name = getattr(self._file, "name", None)
        return f"<container.Reader {name!r} version={getattr(self, 'version', None)}>"


class _StaleIndex(Exception):
    """The Cues point somewhere that is not the cluster they name."""


def open_reader(file: str | os.PathLike | BinaryIO, salvage: bool = False) -> Reader:
    if isinstance(file, (str, os.PathLike)):
        return Reader(io.open(file, "rb"), close_file=True, salvage=salvage)
    return Reader(file, salvage=salvage)
