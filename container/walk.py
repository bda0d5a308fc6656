"""Walking the cluster area: every top-level element after the head, to the end of the data.

This is where damage is contained. A cluster that fails its CRC-32 or does not parse, a header
that makes no sense, a size that overruns the file: each is noted, then the walk looks for the
next Cluster / Cues / CuesLocator ID (``resync``) and goes on. When the next intact cluster
arrives, the GOPs between the last good one and it are reported as lost, by number. At the end,
a file without Cues after its last cluster is reported as truncated (a finished writer always
writes them). Cues that start where the last intact element ended but are cut off or
unreadable, or a missing CuesLocator, cost no GOP: they are reported with ``data_lost`` False.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from . import elements as E
from .ebml import Element, encode_id
from .errors import CorruptFileError, CrcMismatchError, NlvcError, TruncatedFileError
from .model import Cluster, Cue
from .parse import cluster_prefix, parse_cluster, parse_cues
from .source import Header, Source

RESYNC_PATTERNS = tuple(encode_id(i) for i in E.RESYNC_IDS)
CUES_HEAD = encode_id(E.CUES)
PREFIX_LENGTH = 64  # bytes of a Cluster read to index it: CRC-32, ClusterGop, first FramePts


@dataclass
class Area:
    """Where the clusters are, and what a cluster may refer to."""

    src: Source
    segment_start: int  # first byte of the Segment's payload (Cue positions count from here)
    segment_end: int | None  # None: unknown size, the Segment runs to the end of the data
    packet_tracks: set[int]  # track numbers a Packet may carry
    salvage: bool = False  # a cluster whose CRC-32 fails but which parses is read (Cluster.crc_error)

    def next_header(self) -> Header | None:
        """The next top-level header; None at the end of the Segment or of the data."""
        if self.segment_end is not None and self.src.tell() >= self.segment_end:
            return None
        return self.src.read_header()

    def resync(self) -> int | None:
        """Move to the next Cluster/Cues/CuesLocator ID inside the Segment; its offset, or None."""
        found = self.src.find(RESYNC_PATTERNS)
        if found is not None and self.segment_end is not None and found >= self.segment_end:
            return None
        return found


def walk(area: Area, pos: int, expected: int, light: bool,
         last_end: int | None = None) -> Iterator[Cluster | Cue | NlvcError]:
    """The cluster area from byte ``pos``, where GOP ``expected`` comes next.

    Full mode yields each intact Cluster and, in order, an error for each GOP that did not
    arrive intact; at the end, TruncatedFileError if the file was cut. Light mode (indexing a
    seekable file) yields a Cue per cluster, read from its first bytes, unverified, and the
    same final error.

    ``pos`` is the walk's own position: the file may be read elsewhere between two yields
    (``read_cluster`` during an iteration), so the walk seeks back to it at every step.
    ``last_end``: where the last good element before ``pos`` ended, for messages."""
    src = area.src
    damage = _Damage()
    cues_seen, cue_count = False, None
    # The writer's index met where the last intact element ended (not through a resync, which
    # may land on those 4 bytes inside damaged data): every cluster was written before it.
    index_at: int | None = None
    locator_seen = False  # a CuesLocator after the Cues
    last_end = pos if last_end is None else last_end

    def resync(header: Header | None, consumed: bytes = b"") -> int | None:
        """The offset of the next resync ID after the first byte of ``header`` (or after the
        current position); None at the end of the data."""
        if header is None:
            src.skip(1)
        elif src.seekable:
            src.seek(header.offset + 1)
        else:  # a pipe: give back what was read past that byte, to search it too
            src.unread(header.raw[1:] + consumed)
        found = area.resync()
        if found is not None:
            damage.cut = False  # the data did go on: what was noted was no cut
        return found

    while True:
        if src.seekable:
            src.seek(pos)
        try:
            header = area.next_header()
        except TruncatedFileError:
            if damage.clean and _starts_cues(src, pos):
                index_at = pos
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
        if header.id == E.CUES and damage.clean:
            index_at = header.offset
        try:
            src.check_size(header, area.segment_end)
        except NlvcError as exc:
            damage.note(header.offset, str(exc), cut=isinstance(exc, TruncatedFileError))
            if (pos := resync(header)) is None:
                break
            continue

        if header.id == E.CLUSTER and light:
            cue = index_entry(area, header)
            if cue is None or cue.gop < expected:
                damage.note(header.offset, f"Cluster at byte {header.offset} is unreadable", cut=False)
                if (pos := resync(header)) is None:
                    break
                continue
            damage.clear()
            pos, expected, cues_seen, index_at = header.end, cue.gop + 1, False, None
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
                cluster = parse_cluster(body, header.offset, len(header.raw), area.packet_tracks)
            except CorruptFileError as exc:
                cluster = _salvaged(area, body, header, exc, expected)
                if cluster is None:
                    # Not reported yet: which GOP this was is known when the next good one arrives.
                    damage.fail(header.offset, str(exc))
                    if (pos := resync(header, body)) is None:
                        break
                    continue
            pos = src.tell()
            if cluster.index < expected:
                yield CorruptFileError(
                    f"GOP {cluster.index}: Cluster at byte {header.offset} repeats GOP "
                    f"{cluster.index} where GOP {expected} was expected next; skipped",
                    offset=header.offset, gop=cluster.index, data_lost=False)
                continue
            yield from damage.settle(expected, cluster.index, last_end, header.offset)
            expected, cues_seen, last_end, index_at = cluster.index + 1, False, pos, None
            yield cluster

        elif header.id == E.CUES:
            body = src.read(header.size)
            if len(body) < header.size:
                damage.note(header.offset, f"Cues at byte {header.offset} claim {header.size} bytes "
                                           f"but the file ends after {len(body)}", cut=True)
                break
            pos, cues_seen, locator_seen = src.tell(), True, False
            try:
                cues = parse_cues(Element(header.id, header.offset, len(header.raw), memoryview(body)),
                                  area.segment_start)
                cue_count = cues[-1].gop + 1 if cues else 0
            except CorruptFileError as exc:
                yield CorruptFileError(f"damaged Cues: {exc}", offset=exc.offset, data_lost=False)

        else:  # Void, CuesLocator, elements of newer versions: skipped
            skipped = src.skip(header.size)
            if skipped < header.size:
                damage.note(header.offset, f"{E.name(header.id)} at byte {header.offset} claims "
                                           f"{header.size} bytes but the file ends after {skipped}",
                            cut=True)
                break
            pos = src.tell()
            locator_seen = locator_seen or header.id == E.CUES_LOCATOR

    # The end of the Segment, or of the data.
    end = src.tell()
    why = damage.reason or (f"no Cues after the last Cluster; the data stops at byte {end} "
                            "(the writer did not finish)")
    if cues_seen:  # a finished file: the Cues say how many GOPs there are
        last = cue_count if cue_count is not None else expected + len(damage.failures)
        cut = damage.cut
        yield from damage.settle(expected, max(last, expected), last_end, end, leftover=not cut)
        if cut:  # cut after the Cues (in the CuesLocator): no GOP is lost
            yield TruncatedFileError(f"file ends early after the Cues: {why}", offset=end, data_lost=False)
        elif not locator_seen:
            yield TruncatedFileError(f"file ends early after the Cues: no CuesLocator (the 13 bytes that "
                                     f"end a finished file) after them; the data stops at byte {end}",
                                     offset=end, data_lost=False)
        return
    if index_at is not None and not damage.failures:
        # The Cues themselves are cut off or unreadable, and nothing intact came after them: the
        # writer had written every cluster, so no GOP is lost, only the index (random access
        # then scans the clusters).
        if damage.cut:
            yield TruncatedFileError(f"file ends early in the index (Cues): {why}", offset=end,
                                     data_lost=False)
        else:
            yield CorruptFileError(f"damaged index (Cues): {why}", offset=index_at, data_lost=False)
        return
    cut = expected + len(damage.failures)
    yield from damage.settle(expected, cut, last_end, end, leftover=False)
    yield TruncatedFileError(f"file ends early at GOP {cut}: {why}", offset=end, gop=cut)


def _salvaged(area: Area, body: bytes, header: Header, exc: CorruptFileError, expected: int):
    """A cluster whose CRC-32 failed, read anyway when salvaging and it is the GOP expected
    next (its frames, source files and packets are then trusted only by their MD5s); else None."""
    if not (area.salvage and isinstance(exc, CrcMismatchError)):
        return None
    try:
        cluster = parse_cluster(body, header.offset, len(header.raw), area.packet_tracks, crc=False)
    except CorruptFileError:
        return None
    if cluster.index != expected or not _consistent_times(cluster):
        return None
    cluster.crc_error = exc
    return cluster


def _consistent_times(cluster) -> bool:
    """What no MD5 covers holds together: timestamps that increase, by the stored durations."""
    pts, durations = cluster.frame_pts, cluster.frame_durations
    if any(b <= a for a, b in zip(pts, pts[1:])):
        return False
    return not durations or all(b - a == d for a, b, d in zip(pts, pts[1:], durations))


def _starts_cues(src: Source, pos: int) -> bool:
    """Whether the bytes left at ``pos``, where the data ends inside an element header, are
    the start of a Cues header (its ID, or the first bytes of it)."""
    if src.seekable:
        src.seek(pos)
    rest = src.read(len(CUES_HEAD))  # (on a pipe, read_header gave these bytes back)
    return bool(rest) and CUES_HEAD.startswith(rest)


def index_entry(area: Area, header: Header) -> Cue | None:
    """The Cue of the Cluster at ``header`` (just read), from the cluster's first bytes, or
    from the whole cluster when those are not laid out as our writer does. None: unreadable."""
    src = area.src
    got = cluster_prefix(src.read(min(header.size, PREFIX_LENGTH)), header.offset, len(header.raw))
    if got is None:
        src.seek(header.offset + len(header.raw))
        try:
            cluster = parse_cluster(src.read(header.size), header.offset, len(header.raw),
                                    area.packet_tracks)
        except CorruptFileError:
            return None
        got = (cluster.index, cluster.frame_pts[0])
    return Cue(gop=got[0], first_pts=got[1], offset=header.offset)


class _Damage:
    """Damage met since the last good cluster, waiting to learn which GOPs it cost."""

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        self.failures: list[tuple[int, str]] = []  # (offset, why) of clusters that failed
        self.garbage: tuple[int, str] | None = None  # the first unreadable bytes skipped
        self.reason: str | None = None  # why the last skip happened
        self.cut = False  # whether that reason was the end of the data

    @property
    def clean(self) -> bool:
        """No damage met since the last good element."""
        return self.garbage is None and not self.failures

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
        ``start`` and ``end``: the failed clusters are matched to them in order (a spare
        failure is a false resync inside the same damage). With ``leftover``, damage that cost
        no GOP is reported too, without a GOP number."""
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
                                   offset=at, data_lost=False)
        self.clear()
