"""Reading ``.nlvc`` files from a seekable file or a pipe (FORMAT.md, "Reading").

``Reader`` parses everything before the first Cluster when it is created (header, Info,
CodecSetup, Tracks, Tags), then reads clusters on demand: in order with ``iter_clusters`` (works
on a pipe), or at random with ``read_cluster`` / ``seek`` (seekable files; the GOP index comes
from the Cues, or from a scan of the cluster headers when the Cues are missing or wrong).

Damage is contained to the clusters it touches: after a bad cluster the reader looks for the
next Cluster ID (``resync``), and a GOP that never arrives intact is reported by number.
"""

from __future__ import annotations

import io
import os
from typing import BinaryIO, Callable, Iterator, Union

from . import elements as E
from .ebml import UNKNOWN_SIZE, Element, encode_id
from .errors import CorruptFileError, NlvcError, TruncatedFileError
from .model import Cluster, CodecSetup, Cue, Info, StreamTrack, Track, VideoTrack
from .parse import (cluster_prefix, parse_cluster, parse_codec_setup, parse_cues,
                    parse_ebml_header, parse_info, parse_tags, parse_tracks)
from .source import Header, Source

__all__ = ["Reader", "OnError"]

#: What ``iter_clusters`` does with a damaged cluster: "raise" it, "skip" it (it is appended to
#: ``Reader.errors``), or call a function with it and go on (it is appended as well).
OnError = Union[str, Callable[[NlvcError], None]]

EBML_MAGIC = encode_id(E.EBML)
RESYNC_PATTERNS = tuple(encode_id(i) for i in E.RESYNC_IDS)
LOCATOR_HEAD = encode_id(E.CUES_LOCATOR) + b"\x88"  # ID + "size 8"
LOCATOR_LENGTH = len(LOCATOR_HEAD) + 8
PREFIX_LENGTH = 64  # bytes of a Cluster read to index it: CRC-32, ClusterGop, first FramePts


class Reader:
    """An ``.nlvc`` file opened for reading. Use ``container.open(file, "r")``."""

    def __init__(self, file: BinaryIO, *, close_file: bool = False):
        self._file = file
        self._close_file = close_file
        self._src = Source(file)
        #: Errors met by the last ``iter_clusters(on_error="skip" or a function)``, in order.
        self.errors: list[NlvcError] = []
        self._index: list[Cue] | None = None  # GOP index, by GOP number
        self._index_from_cues = False
        self._index_end_error: TruncatedFileError | None = None  # how a scan found the file ends
        self._pipe_consumed = False
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
            self.version: tuple[int, int] = parse_ebml_header(self._read_element(self._header(), None))
            segment = self._header()
            if segment is None:
                raise TruncatedFileError(f"no Segment after the EBML header: the file stops at byte "
                                         f"{src.tell()}", offset=src.tell())
            if segment.id != E.SEGMENT:
                raise CorruptFileError(f"expected a Segment at byte {segment.offset}, found "
                                       f"{E.name(segment.id)}", offset=segment.offset)
            self._segment_start = segment.offset + len(segment.raw)
            self._segment_end = segment.end  # None: unknown size, the Segment runs to the end
            self._head_end = self._segment_start
            self._head_offsets: dict[int, int] = {}
            self._head_hit_end = False  # the data ended before any Cluster
            head = self._read_head_elements()
        except TruncatedFileError as exc:
            raise TruncatedFileError(f"file ends early in the header: {exc}", offset=exc.offset) from None
        self._first_cluster = src.tell()
        for needed in (E.CODEC_SETUP, E.TRACKS):
            if needed not in head and self._head_hit_end:
                raise TruncatedFileError(f"file ends early in the header: no {E.name(needed)} "
                                         f"before the file stops at byte {self._first_cluster}",
                                         offset=self._first_cluster)
            if needed not in head:
                raise CorruptFileError(f"no {E.name(needed)} element before the clusters (which "
                                       f"start at byte {self._first_cluster})", offset=self._first_cluster)
        self.info: Info = head.get(E.INFO, Info(app=""))
        self.codec_setup: CodecSetup = head[E.CODEC_SETUP]
        self.tracks: list[Track] = head[E.TRACKS]
        self.tags: dict[str, str] = head.get(E.TAGS, {})
        self._packet_tracks = {t.number for t in self.other_tracks}

    def _read_head_elements(self) -> dict:
        """Info, CodecSetup, Tracks, Tags (the Segment's children before the first Cluster),
        parsed, by element ID.

        Once CodecSetup and Tracks are in, trouble reading a later element ends the head
        instead of failing: the damage belongs to the cluster area, where it is reported by GOP.
        An element that is read but does not parse is an error in any case."""
        src = self._src
        head: dict = {}
        parsers = {E.INFO: parse_info, E.CODEC_SETUP: parse_codec_setup, E.TRACKS: parse_tracks,
                   E.TAGS: parse_tags}
        while True:
            at = src.tell()
            try:
                header = self._top_header()
                if header is None or header.id in (E.CLUSTER, E.CUES, E.CUES_LOCATOR):
                    if header is not None:
                        src.unread(header.raw)
                    self._head_hit_end = header is None
                    return head
                if header.id not in parsers:  # Void, or an element of a newer version
                    self._skip_element(header, self._segment_end)
                    continue
                if header.id in head:
                    raise CorruptFileError(f"{E.name(header.id)} appears twice (at bytes "
                                           f"{self._head_offsets[header.id]} and {header.offset})",
                                           offset=header.offset)
                element = self._read_element(header, self._segment_end)
            except NlvcError:
                if E.CODEC_SETUP not in head or E.TRACKS not in head:
                    raise
                if src.seekable:
                    src.seek(at)
                return head  # (on a pipe the failed read put its bytes back, if it could)
            head[header.id] = parsers[header.id](element)
            self._head_offsets[header.id] = header.offset
            self._head_end = src.tell()

    def _header(self) -> Header | None:
        return self._src.read_header()

    def _top_header(self) -> Header | None:
        """The next header among the Segment's children; None at the Segment's end."""
        if self._segment_end is not None and self._src.tell() >= self._segment_end:
            return None
        return self._src.read_header()

    def _check_size(self, header: Header, parent_end: int | None) -> None:
        """Reject a size the parent or the file cannot hold, before anything is allocated."""
        name, at = E.name(header.id), header.offset
        if header.size == UNKNOWN_SIZE:
            raise CorruptFileError(f"{name} at byte {at} has an unknown size (only the Segment may)",
                                   offset=at)
        if parent_end is not None and header.end > parent_end:
            raise CorruptFileError(f"{name} at byte {at} claims {header.size} bytes but its parent "
                                   f"Segment holds only {parent_end - at - len(header.raw)} more",
                                   offset=at)
        left = self._src.remaining()
        if left is not None and header.size > left:
            raise TruncatedFileError(f"{name} at byte {at} claims {header.size} bytes but only "
                                     f"{left} remain in the file", offset=at)

    def _read_element(self, header: Header | None, parent_end: int | None) -> Element:
        """The element whose header was just read, payload included. On failure the header's
        bytes (and any payload read) are given back, so the caller may look elsewhere."""
        src = self._src
        if header is None:
            raise TruncatedFileError(f"the file stops at byte {src.tell()}", offset=src.tell())
        try:
            self._check_size(header, parent_end)
        except NlvcError:
            src.unread(header.raw)
            raise
        data = src.read(header.size)
        if len(data) < header.size:
            src.unread(header.raw + data)
            raise TruncatedFileError(f"{E.name(header.id)} at byte {header.offset} claims "
                                     f"{header.size} bytes but the file ends after {len(data)}",
                                     offset=header.offset)
        return Element(header.id, header.offset, len(header.raw), memoryview(data))

    def _skip_element(self, header: Header, parent_end: int | None) -> None:
        try:
            self._check_size(header, parent_end)
        except NlvcError:
            self._src.unread(header.raw)
            raise
        skipped = self._src.skip(header.size)
        if skipped < header.size:
            raise TruncatedFileError(f"{E.name(header.id)} at byte {header.offset} claims "
                                     f"{header.size} bytes but the file ends after {skipped}",
                                     offset=header.offset)

    # --- what the head says -----------------------------------------------------------------

    @property
    def video_track(self) -> VideoTrack:
        return next(t for t in self.tracks if isinstance(t, VideoTrack))

    @property
    def other_tracks(self) -> list[StreamTrack]:
        return [t for t in self.tracks if isinstance(t, StreamTrack)]

    # --- clusters in order ------------------------------------------------------------------

    def iter_clusters(self, start: int = 0, on_error: OnError = "raise") -> Iterator[Cluster]:
        """The clusters in file order, from GOP ``start`` (``start`` > 0 needs a seekable file).

        ``on_error="raise"`` (default) raises at the first damaged or missing GOP, or at the cut
        of a truncated file (TruncatedFileError), after yielding every good cluster before it.
        ``on_error="skip"`` goes on past damage: each error (CorruptFileError with ``.gop``, and
        at the end TruncatedFileError if the file was cut) is appended to ``self.errors``,
        which each call empties first. A function given as ``on_error`` is called with each
        error as it happens, then reading goes on (the error is in ``self.errors`` too).
        On a pipe the clusters can be iterated once."""
        if on_error not in ("raise", "skip") and not callable(on_error):
            raise ValueError(f"on_error must be 'raise', 'skip' or a function, not {on_error!r}")
        src = self._src
        if not src.seekable:
            if self._pipe_consumed or start != 0:
                raise io.UnsupportedOperation("a pipe is read once, from the start: iter_clusters() "
                                              "cannot be called again or with start > 0")
            self._pipe_consumed = True
            pos, gop = src.tell(), 0
        elif start <= 0:
            pos, gop = self._first_cluster, 0
        else:
            before = [c for c in self._gop_index() if c.gop <= start]
            pos, gop = (before[-1].offset, before[-1].gop) if before else (self._first_cluster, 0)
        self.errors = []
        return self._iter(pos, gop, max(start, 0), on_error)

    def _iter(self, pos: int, gop: int, start: int, on_error: OnError) -> Iterator[Cluster]:
        for item in self._walk(pos, gop, light=False):
            if isinstance(item, Cluster):
                if item.index >= start:
                    yield item
            elif item.gop is None or item.gop >= start:
                if on_error == "raise":
                    raise item
                self.errors.append(item)
                if callable(on_error):
                    on_error(item)

    def _walk(self, pos: int, expected: int, light: bool) -> Iterator[Cluster | Cue | NlvcError]:
        """Every top-level element from ``pos`` to the end, with GOP ``expected`` next.

        Full mode yields each intact Cluster and an error for each GOP that did not arrive
        intact, then, at the end, TruncatedFileError if the file was cut (no Cues after the last
        cluster). Light mode (building the index) yields a Cue per cluster from its first bytes
        instead, unverified, and the same final error.

        ``pos`` is this walk's own position: the file may be read elsewhere between two yields
        (``read_cluster`` while iterating), so it is re-applied at each step."""
        src = self._src
        damage = _Damage()
        cues_seen, cue_count = False, None
        last_end = self._head_end if pos == self._first_cluster else pos  # for messages

        def resync(header: Header | None, consumed: bytes = b"") -> int | None:
            """Find the next Cluster/Cues ID after the first byte of ``header`` (or of the
            current position); None at the end of the data."""
            if header is None:
                src.skip(1)
            elif src.seekable:
                src.seek(header.offset + 1)
            else:  # give back what was read past that byte, to search it too
                src.unread(header.raw[1:] + consumed)
            found = self._resync()
            if found is not None:
                damage.cut = False  # the data did go on: whatever was noted was no cut
            return found

        while True:
            if src.seekable:
                src.seek(pos)
            try:
                header = self._top_header()
            except TruncatedFileError:
                damage.note(pos, f"the element header at byte {pos} is cut off by the end of the file",
                            cut=True)
                break
            except CorruptFileError as exc:
                damage.note(pos, str(exc), cut=False)
                if (pos := resync(None)) is None:
                    break
                continue
            if header is None:
                break
            problem = self._size_problem(header)
            if problem:
                damage.note(header.offset, str(problem), cut=isinstance(problem, TruncatedFileError))
                if (pos := resync(header)) is None:
                    break
                continue

            if header.id == E.CLUSTER and light:
                cue = self._index_entry(header)
                if cue is None or cue.gop < expected:
                    damage.note(header.offset, f"Cluster at byte {header.offset} is unreadable", cut=False)
                    if (pos := resync(header)) is None:
                        break
                    continue
                damage.clear()
                pos, expected, cues_seen = header.end, cue.gop + 1, False
                yield cue
            elif header.id == E.CLUSTER:
                body = src.read(header.size)
                if len(body) < header.size:  # a pipe that ends early
                    damage.note(header.offset, f"Cluster at byte {header.offset} claims {header.size} "
                                               f"bytes but the file ends after {len(body)}", cut=True)
                    if (pos := resync(header, body)) is None:
                        break
                    continue
                try:
                    cluster = parse_cluster(body, header.offset, len(header.raw), self._packet_tracks)
                except CorruptFileError as exc:
                    damage.fail(header.offset, str(exc))
                    if (pos := resync(header, body)) is None:
                        break
                    continue
                pos = src.tell()
                if cluster.index < expected:
                    yield CorruptFileError(
                        f"GOP {cluster.index}: Cluster at byte {header.offset} repeats GOP "
                        f"{cluster.index} where GOP {expected} was expected next; skipped",
                        offset=header.offset, gop=cluster.index)
                    continue
                yield from damage.settle(expected, cluster.index, last_end, header.offset)
                expected, cues_seen, last_end = cluster.index + 1, False, pos
                yield cluster
            elif header.id == E.CUES:
                body = src.read(header.size)
                if len(body) < header.size:
                    damage.note(header.offset, f"Cues at byte {header.offset} claim {header.size} "
                                               f"bytes but the file ends after {len(body)}", cut=True)
                    break
                pos, cues_seen = src.tell(), True
                try:
                    cues = parse_cues(Element(header.id, header.offset, len(header.raw),
                                              memoryview(body)), self._segment_start)
                    cue_count = cues[-1].gop + 1 if cues else 0
                except CorruptFileError as exc:
                    yield CorruptFileError(f"damaged Cues: {exc}", offset=exc.offset)
            else:  # Void, CuesLocator, elements of newer versions: skipped
                skipped = src.skip(header.size)
                if skipped < header.size:
                    damage.note(header.offset, f"{E.name(header.id)} at byte {header.offset} claims "
                                               f"{header.size} bytes but the file ends after {skipped}",
                                cut=True)
                    break
                pos = src.tell()

        # The end of the Segment (or of the file).
        end = src.tell()
        why = damage.reason or (f"no Cues after the last Cluster; the data stops at byte {end} "
                                "(the writer did not finish)")
        if cues_seen:  # a finished file: Cues follow the last cluster
            last = cue_count if cue_count is not None else expected + len(damage.failures)
            cut = damage.cut
            yield from damage.settle(expected, max(last, expected), last_end, end, leftover=not cut)
            if cut:  # cut after the Cues (in the CuesLocator): no GOP is lost
                yield TruncatedFileError(f"file ends early after the Cues: {why}", offset=end)
            return
        cut = expected + len(damage.failures)
        yield from damage.settle(expected, cut, last_end, end, leftover=False)
        yield TruncatedFileError(f"file ends early at GOP {cut}: {why}", offset=end, gop=cut)

    def _size_problem(self, header: Header) -> NlvcError | None:
        """Why a top-level element's size cannot be right, or None."""
        try:
            self._check_size(header, self._segment_end)
        except NlvcError as exc:
            return exc
        return None

    def _resync(self) -> int | None:
        """Move to the next Cluster/Cues/CuesLocator ID; its offset, or None at the end."""
        found = self._src.find(RESYNC_PATTERNS)
        if found is not None and self._segment_end is not None and found >= self._segment_end:
            return None
        return found

    # --- random access (seekable files) -----------------------------------------------------

    def _need_seekable(self, what: str) -> None:
        if not self._src.seekable:
            raise io.UnsupportedOperation(f"{what} needs a seekable file, not a pipe")

    @property
    def cues(self) -> list[Cue]:
        """The GOP index: from the file's Cues, or from a scan when they are missing or wrong.
        On a damaged file, only the GOPs found are listed."""
        self._need_seekable("cues")
        return list(self._gop_index())

    @property
    def cluster_count(self) -> int:
        """Number of GOPs in the file; for a truncated file, of those before the cut (reading
        GOP ``cluster_count`` then raises TruncatedFileError)."""
        self._need_seekable("cluster_count")
        index = self._gop_index()
        return index[-1].gop + 1 if index else 0

    def read_cluster(self, n: int) -> Cluster:
        """GOP ``n`` alone. CorruptFileError naming GOP ``n`` if it is damaged,
        TruncatedFileError if the file was cut before it, IndexError past the end."""
        self._need_seekable("read_cluster")
        if n < 0:
            raise IndexError(f"GOP {n} out of range: GOP numbers start at 0")
        index = self._gop_index()
        cue = next((c for c in index if c.gop == n), None)
        if cue is None:
            count = index[-1].gop + 1 if index else 0
            if n >= count and self._index_end_error is not None:
                raise TruncatedFileError(f"GOP {n} is not in the file: {self._index_end_error}",
                                         offset=self._index_end_error.offset, gop=n)
            if n >= count:
                raise IndexError(f"GOP {n} out of range: the file has {count} GOPs")
            raise CorruptFileError(f"GOP {n}: no intact Cluster found for it (damaged file)", gop=n)
        try:
            return self._read_cluster_at(cue, n)
        except _StaleIndex:
            self._scan()  # the Cues were wrong: index the clusters themselves, then try again
        found = next((c for c in self._index if c.gop == n), None)
        if found is None:
            raise CorruptFileError(f"GOP {n}: the Cues place it at byte {cue.offset}, but no intact "
                                   "Cluster for it is there or anywhere else", offset=cue.offset, gop=n)
        return self._read_cluster_at(found, n)

    def _read_cluster_at(self, cue: Cue, n: int) -> Cluster:
        src = self._src
        src.seek(cue.offset)
        try:
            header = src.read_header()
        except NlvcError as exc:
            header, problem = None, str(exc)
        else:
            problem = None if header is not None else f"the file stops at byte {cue.offset}"
        if header is not None and header.id != E.CLUSTER:
            header, problem = None, f"found {E.name(header.id)} at byte {cue.offset}, not a Cluster"
        if header is None and self._index_from_cues:
            raise _StaleIndex
        if header is None:
            raise CorruptFileError(f"GOP {n}: {problem}", offset=cue.offset, gop=n)
        try:
            body = self._read_element(header, self._segment_end).data
        except TruncatedFileError as exc:
            raise TruncatedFileError(f"file ends early at GOP {n}: {exc}", offset=exc.offset, gop=n) from None
        except CorruptFileError as exc:
            raise CorruptFileError(f"GOP {n}: {exc}", offset=exc.offset, gop=n) from None
        try:
            cluster = parse_cluster(body, header.offset, len(header.raw), self._packet_tracks)
        except CorruptFileError as exc:
            raise CorruptFileError(f"GOP {n}: {exc}", offset=exc.offset, gop=n) from None
        if cluster.index != n:
            if self._index_from_cues:
                raise _StaleIndex
            raise CorruptFileError(f"GOP {n}: the Cluster at byte {cue.offset} holds GOP {cluster.index}",
                                   offset=cue.offset, gop=n)
        return cluster

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

    def _gop_index(self) -> list[Cue]:
        if self._index is None:
            cues = self._cues_from_locator()
            if cues is None:
                self._scan()
            else:
                self._index, self._index_from_cues = cues, True
        return self._index

    def _cues_from_locator(self) -> list[Cue] | None:
        """The Cues found through the CuesLocator that ends a finished file; None when anything
        about them does not add up (the caller then scans)."""
        src, end = self._src, self._src.end
        if end - self._first_cluster < LOCATOR_LENGTH:
            return None
        src.seek(end - LOCATOR_LENGTH)
        tail = src.read(LOCATOR_LENGTH)
        if not tail.startswith(LOCATOR_HEAD):
            return None
        at = self._segment_start + int.from_bytes(tail[len(LOCATOR_HEAD):], "big")
        if not self._first_cluster <= at < end - LOCATOR_LENGTH:
            return None
        src.seek(at)
        try:
            header = src.read_header()
            if header is None or header.id != E.CUES or header.size < 0 or header.end > end:
                return None
            body = src.read(header.size)
            cues = parse_cues(Element(E.CUES, at, len(header.raw), memoryview(body)),
                              self._segment_start)
        except NlvcError:
            return None
        if any(not self._first_cluster <= c.offset < at for c in cues):
            return None
        return cues

    def _scan(self) -> None:
        """Index the GOPs by walking the cluster headers (reading a few bytes of each)."""
        index: list[Cue] = []
        self._index_end_error = None
        for item in self._walk(self._first_cluster, 0, light=True):
            if isinstance(item, Cue):
                index.append(item)
            elif isinstance(item, TruncatedFileError):
                self._index_end_error = item
        self._index, self._index_from_cues = index, False

    def _index_entry(self, header: Header) -> Cue | None:
        """(light walk) The Cue of the Cluster at ``header``, from its first bytes, or from the
        whole cluster when those are not laid out as this writer does. None if unreadable."""
        src = self._src
        got = cluster_prefix(src.read(min(header.size, PREFIX_LENGTH)), header.offset, len(header.raw))
        if got is None:
            src.seek(header.offset + len(header.raw))
            try:
                cluster = parse_cluster(src.read(header.size), header.offset, len(header.raw),
                                        self._packet_tracks)
            except CorruptFileError:
                return None
            got = (cluster.index, cluster.frame_pts[0])
        return Cue(gop=got[0], first_pts=got[1], offset=header.offset)

    # --- closing ------------------------------------------------------------------------------

    def close(self) -> None:
        if self._close_file:
            self._close_file = False
            self._file.close()

    def __enter__(self) -> "Reader":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def __repr__(self) -> str:
        v = getattr(self, "version", None)
        return f"<container.Reader version={v} file={getattr(self._file, 'name', self._file)!r}>"


class _StaleIndex(Exception):
    """The Cues point somewhere that is not the cluster they name."""


class _Damage:
    """Damage met since the last good cluster, waiting to learn which GOPs it cost."""

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        self.failures: list[tuple[int, str]] = []  # (offset, why) of clusters that failed
        self.garbage: tuple[int, str] | None = None  # the first unreadable bytes skipped
        self.reason: str | None = None  # why the last skip happened
        self.cut = False  # whether that last reason was the end of the file

    def note(self, offset: int, why: str, cut: bool) -> None:
        if self.garbage is None:
            self.garbage = (offset, why)
        self.reason, self.cut = why, cut

    def fail(self, offset: int, why: str) -> None:
        self.failures.append((offset, why))
        self.reason, self.cut = why, False

    def settle(self, first: int, next_gop: int, start: int, end: int,
               leftover: bool = True) -> Iterator[CorruptFileError]:
        """Errors for GOPs ``first``..``next_gop - 1``, which did not arrive intact between byte
        ``start`` and ``end``; the failed clusters are matched to them in order. With
        ``leftover``, damage that cost no GOP is reported too (without a GOP number)."""
        for gop in range(first, next_gop):
            k = gop - first
            if k < len(self.failures):
                at, why = self.failures[k]
                yield CorruptFileError(f"GOP {gop}: {why}", offset=at, gop=gop)
            else:
                extra = f" ({self.garbage[1]})" if self.garbage else ""
                yield CorruptFileError(f"GOP {gop} is missing: no intact Cluster for it between "
                                       f"byte {start} and byte {end}{extra}", offset=start, gop=gop)
        if leftover and next_gop <= first and (self.failures or self.garbage):
            at, why = self.failures[0] if self.failures else self.garbage
            yield CorruptFileError(f"skipped damaged data between byte {start} and byte {end}: {why}",
                                   offset=at)
        self.clear()


def open_reader(file: str | os.PathLike | BinaryIO) -> Reader:
    if isinstance(file, (str, os.PathLike)):
        return Reader(io.open(file, "rb"), close_file=True)
    return Reader(file)
