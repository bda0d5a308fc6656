"""Fuzzing the .nlvc reader with a seeded loop of mutations of the golden file.

Whatever the bytes, the reader may only raise NlvcError subclasses, must finish (a read-call
budget and a wall-clock alarm turn a hang into a failure), and must never ask the file for more
than it holds (seekable) or for more than one chunk at a time (pipe-like), nor allocate more
than a small bound when a size field lies (tracemalloc). Truncation is checked exactly: every
complete cluster before the cut is read, then TruncatedFileError names the first missing GOP
(or, for a cut in the Cues or the CuesLocator, says that no GOP is lost).
"""

from __future__ import annotations

import io
import random
import signal
import threading
import time
import tracemalloc
import zlib
from contextlib import contextmanager
from pathlib import Path

import pytest

import container
from container import NlvcError, TruncatedFileError

GOLDEN = (Path(__file__).with_name("golden") / "tiny.nlvc").read_bytes()
PIPE_CHUNK = 1 << 16  # the most a reader may ask of a pipe at once (container.source.CHUNK)
READ_CALL_BUDGET = 50_000  # per case; the golden file needs a few thousand at most
CLUSTER_ID, CUES_ID = b"\x1f\x43\xb6\x75", b"\x1c\x53\xbb\x6b"
MASTER_IDS = {0x1A45DFA3, 0x1549A966, 0x1E4E4353, 0x4E15, 0x4E20, 0x1654AE6B, 0xAE, 0x4E33, 0xE0,
              0x1254C367, 0x67C8, 0x1F43B675, 0x4E60, 0x1C53BB6B, 0xBB}


class Hang(Exception):
    """Raised by the probe when a case exceeds its read-call budget."""


class ProbeFile:
    """In-memory file that checks every read request; ``seekable=False`` behaves like a pipe."""

    def __init__(self, data: bytes, seekable: bool):
        self._data, self._seekable, self._pos, self.calls = data, seekable, 0, 0

    def seekable(self) -> bool:
        return self._seekable

    def tell(self) -> int:
        assert self._seekable, "tell() on a pipe"
        return self._pos

    def seek(self, pos: int, whence: int = 0) -> int:
        assert self._seekable, "seek() on a pipe"
        self._pos = {0: pos, 1: self._pos + pos, 2: len(self._data) + pos}[whence]
        return self._pos

    def read(self, n: int) -> bytes:
        self.calls += 1
        if self.calls > READ_CALL_BUDGET:
            raise Hang(f"more than {READ_CALL_BUDGET} read calls")
        assert isinstance(n, int) and n >= 0, f"read({n!r}): unbounded read"
        if self._seekable:
            assert n <= len(self._data) - self._pos, f"read({n}) with {len(self._data) - self._pos} left"
        else:
            assert n <= PIPE_CHUNK, f"read({n}) on a pipe"
        data = self._data[self._pos:self._pos + n]
        self._pos += len(data)
        return data


GOLDEN_CLUSTERS = {c.index: c for c in container.open(io.BytesIO(GOLDEN)).iter_clusters()}


def exercise(data: bytes, seekable: bool, crc_intact: bool = True
             ) -> tuple[list[int], list[NlvcError]] | NlvcError:
    """Everything a user can do with a reader. Returns (GOPs read, errors) or the open error.
    Any exception other than NlvcError escapes (and fails the test). With ``crc_intact`` (the
    mutation did not forge CRCs), every cluster returned must be exactly the original."""
    try:
        r = container.open(ProbeFile(data, seekable))
    except NlvcError as exc:
        return exc
    _ = (r.version, r.info, r.codec_setup, r.tracks, r.video_track, r.other_tracks, r.tags)
    clusters = list(r.iter_clusters(on_error="skip"))
    for c in clusters if crc_intact else ():  # a cluster that passes its CRC is what was written
        assert c == GOLDEN_CLUSTERS.get(c.index), f"damaged GOP {c.index} was returned as good"
    result = [c.index for c in clusters], list(r.errors)
    if seekable:
        try:
            list(r.iter_clusters())
        except NlvcError:
            pass
        count = r.cluster_count
        assert [c.gop for c in r.cues] == sorted({c.gop for c in r.cues})
        for n in range(count):
            try:
                assert r.read_cluster(n).index == n
            except NlvcError:
                pass
        for pts in (-1, 0, 3, 99):
            try:
                r.seek(pts)
            except NlvcError:
                pass
            except IndexError:
                assert count == 0
        list(r.iter_clusters(start=1, on_error="skip"))
    return result


def checked(data: bytes, seekable: bool, what: str, crc_intact: bool = True):
    try:
        return exercise(data, seekable, crc_intact)
    except NlvcError:
        raise
    except Exception as exc:  # noqa: BLE001 - the point of the test
        pytest.fail(f"{what} (seekable={seekable}): {type(exc).__name__}: {exc}")


@contextmanager
def deadline(seconds: float):
    """Turn a hang into a failure (main thread, POSIX); elsewhere the read budget does it."""
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def fire(signum, frame):
        raise TimeoutError(f"fuzz case took over {seconds} s")

    old = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def layout():
    """Offsets of the clusters and of the Cues in the golden file."""
    spans, pos = [], GOLDEN.find(CLUSTER_ID)
    while pos >= 0:
        nxt = min(p for p in (GOLDEN.find(CLUSTER_ID, pos + 1), GOLDEN.find(CUES_ID, pos + 1)) if p >= 0)
        spans.append((pos, nxt))
        pos = GOLDEN.find(CLUSTER_ID, pos + 1)
    return spans, GOLDEN.find(CUES_ID)


def test_truncation_at_every_offset():
    spans, cues_at = layout()
    first = spans[0][0]
    locator_at = len(GOLDEN) - 13
    with deadline(120):
        for cut in range(len(GOLDEN)):
            data = GOLDEN[:cut]
            for seekable in (True, False) if cut % 3 == 0 else (True,):
                result = checked(data, seekable, f"cut at {cut}")
                if cut == 0:
                    assert isinstance(result, container.CorruptFileError)
                    continue
                if isinstance(result, NlvcError):  # cut in the head
                    assert isinstance(result, TruncatedFileError) and cut < first, (cut, result)
                    continue
                got, errors = result
                complete = [g for g, (_, end) in enumerate(spans) if end <= cut]
                assert got == complete, (cut, got, errors)
                assert [type(e) for e in errors] == [TruncatedFileError], (cut, errors)
                if cut <= cues_at:
                    assert errors[0].gop == len(complete), (cut, errors)
                    assert str(errors[0]).startswith(f"file ends early at GOP {len(complete)}: ")
                else:  # a cut in the Cues or the CuesLocator costs the index alone (issue 33)
                    assert (errors[0].gop, errors[0].data_lost) == (None, False), (cut, errors)
                    where = "in the index (Cues)" if cut < locator_at else "after the Cues"
                    assert str(errors[0]).startswith(f"file ends early {where}: "), (cut, errors)


def crc_spans() -> list[tuple[int, int]]:
    """(payload start, payload end) of the top-level elements that carry a CRC-32."""
    spans = []
    for pos, length in size_fields(GOLDEN, 0, len(GOLDEN), []):
        size_len = 9 - GOLDEN[pos].bit_length()
        if pos < 40 or GOLDEN[pos - 4:pos] not in (b"\x15\x49\xa9\x66", b"\x1e\x4e\x43\x53",
                                                   b"\x16\x54\xae\x6b", b"\x12\x54\xc3\x67",
                                                   CLUSTER_ID, CUES_ID):
            continue
        size = int.from_bytes(GOLDEN[pos:pos + size_len], "big") & ((1 << (7 * size_len)) - 1)
        spans.append((pos + size_len, pos + size_len + size))
    return spans


def mutate(rng: random.Random, data: bytearray, kind: str) -> None:
    for _ in range(rng.randint(1, 3)):
        # Half the time aim at the clusters: the header is half the file and its CRCs catch
        # nearly everything there at once.
        low = 0 if rng.random() < 0.5 else GOLDEN.find(CLUSTER_ID)
        pos = rng.randrange(low, len(data))
        if kind == "flip":
            data[pos] ^= rng.randint(1, 255)
        elif kind == "insert":
            data[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        else:
            del data[pos:pos + rng.randint(1, 8)]


def test_random_mutations():
    rng = random.Random(20240531)
    slowest = 0.0
    with deadline(120):
        for i in range(4000):
            data = bytearray(GOLDEN)
            kind = rng.choice(["flip", "flip", "flip", "insert", "insert", "delete"])
            mutate(rng, data, kind)
            start = time.perf_counter()
            for seekable in (True, False) if i % 4 == 0 else (True,):
                checked(bytes(data), seekable, f"mutation {i} ({kind})")
            slowest = max(slowest, time.perf_counter() - start)
    assert slowest < 5, f"one mutation took {slowest:.1f} s"


def test_mutations_under_a_forged_crc():
    """Flip bytes inside an element that has a CRC-32, then recompute it: the parser behind the
    CRC check (cluster fields, packets, tracks, cues) sees arbitrary contents."""
    rng = random.Random(7)
    spans = crc_spans()
    assert len(spans) == 8  # Info, CodecSetup, Tracks, Tags, 3 Clusters, Cues
    with deadline(120):
        for i in range(1500):
            start, end = rng.choice(spans)
            data = bytearray(GOLDEN)
            for _ in range(rng.randint(1, 3)):
                data[rng.randrange(start + 6, end)] ^= rng.randint(1, 255)
            data[start + 2:start + 6] = zlib.crc32(data[start + 6:end]).to_bytes(4, "big")
            for seekable in (True, False) if i % 4 == 0 else (True,):
                checked(bytes(data), seekable, f"forged mutation {i}", crc_intact=False)


def size_fields(data: bytes, start: int, end: int, out: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """(offset, length) of every element's size varint in data[start:end], recursively."""
    pos = start
    while pos < end:
        id_len = 9 - data[pos].bit_length()
        element_id = int.from_bytes(data[pos:pos + id_len], "big")
        size_pos = pos + id_len
        size_len = 9 - data[size_pos].bit_length()
        size = int.from_bytes(data[size_pos:size_pos + size_len], "big") & ((1 << (7 * size_len)) - 1)
        out.append((size_pos, size_len))
        payload = size_pos + size_len
        if size == (1 << (7 * size_len)) - 1:  # the Segment: runs to the end
            size = end - payload
        if element_id in MASTER_IDS or element_id == 0x18538067:
            inner = payload + 6 if element_id == 0x1F43B675 else payload  # skip the CRC-32
            size_fields(data, inner, payload + size, out)
        pos = payload + size
    return out


@pytest.mark.parametrize("lie", [1 << 27, 1 << 50, "unknown"])
def test_lying_sizes_allocate_nothing(lie):
    """Every size field of the file, in turn, claims 128 MiB, 1 PiB, or "unknown"."""
    fields = size_fields(GOLDEN, 0, len(GOLDEN), [])
    assert len(fields) > 100
    value = b"\x01" + b"\xff" * 7 if lie == "unknown" else (1 << 56 | lie).to_bytes(8, "big")
    with deadline(120):
        for pos, length in fields:
            data = GOLDEN[:pos] + value + GOLDEN[pos + length:]
            for seekable in (True, False):
                tracemalloc.start()
                try:
                    checked(data, seekable, f"size at {pos} = {lie}")
                    peak = tracemalloc.get_traced_memory()[1]
                finally:
                    tracemalloc.stop()
                assert peak < 1 << 20, f"size at {pos} = {lie}: peak {peak} bytes"


@pytest.mark.parametrize("element", ["Tags", "Tracks"])
def test_every_flipped_byte_in_tags_or_tracks_is_salvaged(element):
    """A reader opened with ``salvage`` reads every GOP of a file whose Tags (or Tracks, when its
    video entry still parses) has one flipped byte, and lists the metadata loss; the default
    reader refuses the file with the same error, marked recoverable."""
    head_id = {"Tags": b"\x12\x54\xc3\x67", "Tracks": b"\x16\x54\xae\x6b"}[element]
    at = GOLDEN.index(head_id)
    start, end = next(span for span in crc_spans() if GOLDEN.startswith(head_id, at) and
                      at < span[0] <= at + 4 + 8)
    salvaged = 0
    with deadline(120):
        for pos in range(start, end):
            data = bytearray(GOLDEN)
            data[pos] ^= 0x01
            for seekable in (True, False) if pos % 4 == 0 else (True,):
                try:
                    r = container.open(ProbeFile(bytes(data), seekable), salvage=True)
                except NlvcError as err:
                    assert element == "Tracks", (pos, err)  # the video entry itself was hit
                    continue
                if r.head_errors:  # (a flip in the CRC-32's own ID byte can make it "absent")
                    [err] = r.head_errors
                    assert err.data_lost and str(err).startswith(f"damaged {element}: "), (pos, err)
                    salvaged += 1
                    with pytest.raises(NlvcError) as strict:
                        container.open(ProbeFile(bytes(data), seekable))
                    assert strict.value.recoverable and str(strict.value) in str(err)
                assert [c.index for c in r.iter_clusters()] == [0, 1, 2], pos
    assert salvaged > (end - start) // 2
