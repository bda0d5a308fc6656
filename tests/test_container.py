"""Tests of the .nlvc container: round trips, the golden file, one test per malformed input,
damaged and truncated files. Fast (no model, no av). Fuzzing is in test_container_fuzz.py."""

from __future__ import annotations

import hashlib
import importlib.util
import io
import os
import subprocess
import sys
import threading
import tracemalloc
import zlib
from pathlib import Path

import pytest

import container
from container import (Cluster, CodecSetup, CorruptFileError, Info, NlvcError,
                       Packet, StreamTrack, TruncatedFileError, UnsupportedVersionError)

ROOT = Path(__file__).resolve().parents[1]
GOLDEN_DIR = Path(__file__).with_name("golden")
GOLDEN = GOLDEN_DIR / "tiny.nlvc"

_spec = importlib.util.spec_from_file_location("make_golden", GOLDEN_DIR / "make_golden.py")
make_golden = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_golden)


# --- a small EBML encoder/decoder of the test's own (FORMAT.md, sections 2-3) -------------------

def vint(value: int, length: int | None = None) -> bytes:
    """A size varint (shortest form unless ``length`` is given)."""
    length = length or next(n for n in range(1, 9) if value < (1 << (7 * n)) - 1)
    return ((1 << (7 * length)) | value).to_bytes(length, "big")


def el(element_id: int, payload: bytes = b"") -> bytes:
    return element_id.to_bytes((element_id.bit_length() + 7) // 8, "big") + vint(len(payload)) + payload


def uint(value: int) -> bytes:
    return value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big")


def read_element(data: bytes, pos: int) -> tuple[int, int, int, int]:
    """(id, payload start, payload end, element end) of the element at ``pos``."""
    id_len = 9 - data[pos].bit_length()
    element_id = int.from_bytes(data[pos:pos + id_len], "big")
    size_pos = pos + id_len
    size_len = 9 - data[size_pos].bit_length()
    size = int.from_bytes(data[size_pos:size_pos + size_len], "big") & ((1 << (7 * size_len)) - 1)
    start = size_pos + size_len
    if size == (1 << (7 * size_len)) - 1:  # unknown: runs to the end
        return element_id, start, len(data), len(data)
    return element_id, start, start + size, start + size


def children(data: bytes, start: int, end: int) -> list[tuple[int, int, int, int]]:
    out, pos = [], start
    while pos < end:
        out.append((pos, *read_element(data, pos)[:3]))
        pos = read_element(data, pos)[3]
    return out


EBML_ID, CLUSTER_ID, CUES_ID = 0x1A45DFA3, 0x1F43B675, 0x1C53BB6B
MASTER_IDS = {0x1A45DFA3, 0x1549A966, 0x1E4E4353, 0x4E15, 0x4E20, 0x1654AE6B, 0xAE, 0x4E33, 0xE0,
              0x1254C367, 0x67C8, 0x1F43B675, 0x4E60, 0x1C53BB6B, 0xBB}
UNKNOWN = el(0x4E99, b"from the future")  # an ID version 1.0 does not define


def segment_children(data: bytes) -> list[tuple[int, int, int, int]]:
    """(offset, id, payload start, payload end) of every top-level element in the Segment."""
    _, _, _, header_end = read_element(data, 0)
    _, seg_start, seg_end, _ = read_element(data, header_end)
    return children(data, seg_start, seg_end)


def cluster_spans(data: bytes) -> list[tuple[int, int]]:
    return [(off, end) for off, eid, _, end in segment_children(data) if eid == CLUSTER_ID]


def rebuild(data: bytes, start: int, end: int, insert: bytes) -> bytes:
    """Re-encode the elements in data[start:end], adding ``insert`` at the end of every master
    element's payload (those with a CRC-32 get a fresh one)."""
    out = b""
    for _, eid, pstart, pend in children(data, start, end):
        payload = data[pstart:pend]
        if eid in MASTER_IDS and data[pstart:pstart + 2] == b"\xbf\x84":  # has a CRC-32
            body = rebuild(data, pstart + 6, pend, insert) + insert
            payload = b"\xbf\x84" + zlib.crc32(body).to_bytes(4, "big") + body
        elif eid in MASTER_IDS:
            payload = rebuild(data, pstart, pend, insert) + insert
        out += el(eid, payload)
    return out


def with_unknown_elements(data: bytes) -> bytes:
    """The file with an unknown element added inside every master element and after every
    top-level element (the Segment keeps its unknown size)."""
    header_end = read_element(data, 0)[3]
    out = rebuild(data, 0, header_end, UNKNOWN) + data[header_end:header_end + 12] + UNKNOWN
    for off, _, _, end in segment_children(data):
        out += rebuild(data, off, end, UNKNOWN) + UNKNOWN
    return out


# --- fixtures ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def golden() -> bytes:
    return GOLDEN.read_bytes()


def read_all(data: bytes, on_error="skip") -> tuple[list[int], list[NlvcError]]:
    r = container.open(io.BytesIO(data))
    got = [c.index for c in r.iter_clusters(on_error=on_error)]
    return got, r.errors


def through_pipe(data: bytes, consume):
    """Call ``consume(file)`` on the read end of an OS pipe fed ``data`` by another thread."""
    rfd, wfd = os.pipe()

    def feed():
        try:
            with os.fdopen(wfd, "wb") as f:
                f.write(data)
        except BrokenPipeError:  # the reader stopped early: fine
            pass

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    try:
        with os.fdopen(rfd, "rb") as f:
            return consume(f)
    finally:
        feeder.join(10)


def one_line(exc: BaseException) -> str:
    message = str(exc)
    assert "\n" not in message
    return message


# --- import and API -----------------------------------------------------------------------------

def test_import_needs_neither_torch_nor_av():
    code = ("import sys; sys.path.insert(0, %r); import container; "
            "assert 'torch' not in sys.modules and 'av' not in sys.modules" % str(ROOT))
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_error_classes_subclass_the_builtins():
    assert issubclass(CorruptFileError, NlvcError) and issubclass(CorruptFileError, ValueError)
    assert issubclass(TruncatedFileError, NlvcError) and issubclass(TruncatedFileError, EOFError)
    assert issubclass(UnsupportedVersionError, NlvcError)
    assert not issubclass(UnsupportedVersionError, ValueError)


def test_open_rejects_a_bad_mode():
    with pytest.raises(ValueError, match="mode"):
        container.open(io.BytesIO(), "a")


# --- round trips ----------------------------------------------------------------------------------

def check_matches_golden_objects(r: container.Reader, clusters: list[Cluster]) -> None:
    assert r.version == (1, 0)
    assert r.info == make_golden.INFO
    assert r.codec_setup == make_golden.SETUP
    assert r.tracks == [make_golden.VIDEO, make_golden.AUDIO, make_golden.SUBS]
    assert r.video_track == make_golden.VIDEO
    assert r.other_tracks == [make_golden.AUDIO, make_golden.SUBS]
    assert r.tags == make_golden.TAGS
    assert clusters == make_golden.clusters()


def test_round_trip_bytesio():
    buf = io.BytesIO()
    with container.open(buf, "w", codec_setup=make_golden.SETUP,
                        tracks=[make_golden.VIDEO, make_golden.AUDIO, make_golden.SUBS],
                        info=make_golden.INFO, tags=make_golden.TAGS) as w:
        for cluster in make_golden.clusters():
            w.write_cluster(cluster)
    buf.seek(0)
    with container.open(buf, "r") as r:
        check_matches_golden_objects(r, list(r.iter_clusters()))
        assert r.errors == []
        assert r.cluster_count == 3
        expected = make_golden.clusters()
        assert [r.read_cluster(n) for n in (2, 0, 1)] == [expected[2], expected[0], expected[1]]
        assert [c.gop for c in r.cues] == [0, 1, 2]
        assert [c.first_pts for c in r.cues] == [0, 2, 4]
        assert [c.offset for c in r.cues] == [off for off, _ in cluster_spans(buf.getvalue())]
        # seek: the last GOP starting at or before pts; GOP 0 before everything
        assert [r.seek(pts).index for pts in (-7, 0, 1, 2, 3, 4, 99)] == [0, 0, 0, 1, 1, 2, 2]
        assert [c.index for c in r.iter_clusters(start=1)] == [1, 2]
    assert not buf.closed  # a file object given to open() stays open


def test_embedded_model_weights_round_trip_and_stamp_version_1_1():
    import dataclasses
    weights = bytes(range(256)) * 40
    setup = dataclasses.replace(make_golden.SETUP, model_weights=weights)
    buf = io.BytesIO()
    with container.open(buf, "w", codec_setup=setup, tracks=[make_golden.VIDEO, make_golden.AUDIO]) as w:
        w.write_cluster(make_golden.clusters()[0])
    buf.seek(0)
    with container.open(buf, "r") as r:
        assert r.version == (1, 1)
        assert r.codec_setup == setup
    with container.open(GOLDEN, "r") as r:  # files without it stay 1.0
        assert r.version == (1, 0) and r.codec_setup.model_weights == b""


def test_round_trip_path(tmp_path):
    path = tmp_path / "x.nlvc"
    with container.open(path, "w", codec_setup=make_golden.SETUP,
                        tracks=[make_golden.VIDEO, make_golden.AUDIO, make_golden.SUBS],
                        info=make_golden.INFO, tags=make_golden.TAGS) as w:
        for cluster in make_golden.clusters():
            w.write_cluster(cluster)
    with container.open(str(path)) as r:
        check_matches_golden_objects(r, list(r.iter_clusters()))
    assert path.read_bytes() == GOLDEN.read_bytes()


def test_round_trip_through_a_real_pipe():
    """Writer in one thread, reader in another, joined by os.pipe(): nothing may seek."""
    rfd, wfd = os.pipe()

    def write():
        with os.fdopen(wfd, "wb") as f:
            with container.open(f, "w", codec_setup=make_golden.SETUP,
                                tracks=[make_golden.VIDEO, make_golden.AUDIO, make_golden.SUBS],
                                info=make_golden.INFO, tags=make_golden.TAGS) as w:
                for cluster in make_golden.clusters():
                    w.write_cluster(cluster)

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    with os.fdopen(rfd, "rb") as f:
        r = container.open(f)
        check_matches_golden_objects(r, list(r.iter_clusters()))
        with pytest.raises(io.UnsupportedOperation):
            r.read_cluster(0)
        with pytest.raises(io.UnsupportedOperation):
            r.iter_clusters()  # a pipe is read once
    writer.join(10)
    assert not writer.is_alive()


class NoSeek(io.RawIOBase):
    """A write-only, non-seekable file that fails loudly if anyone tries to seek or tell."""

    def __init__(self):
        self.data = bytearray()

    def writable(self):
        return True

    def write(self, b):
        self.data += b
        return len(b)

    def seekable(self):
        return False

    def seek(self, *args):
        raise AssertionError("the writer seeked")

    def tell(self):
        raise AssertionError("the writer asked tell()")


def test_writer_never_seeks(golden):
    out = NoSeek()
    with container.open(out, "w", codec_setup=make_golden.SETUP,
                        tracks=[make_golden.VIDEO, make_golden.AUDIO, make_golden.SUBS],
                        info=make_golden.INFO, tags=make_golden.TAGS) as w:
        for cluster in make_golden.clusters():
            w.write_cluster(cluster)
    assert bytes(out.data) == golden


def test_unknown_elements_are_skipped_bytesio_and_pipe(golden):
    data = with_unknown_elements(golden)
    assert data.count(UNKNOWN) > 30 and len(data) > len(golden)
    r = container.open(io.BytesIO(data))
    check_matches_golden_objects(r, list(r.iter_clusters()))
    # The Cues' positions are stale now; random access falls back to scanning.
    assert r.read_cluster(1) == make_golden.clusters()[1]
    assert r.seek(4).index == 2 and r.cluster_count == 3

    def consume(f):
        rp = container.open(f)
        check_matches_golden_objects(rp, list(rp.iter_clusters()))

    through_pipe(data, consume)


def test_void_elements_are_skipped(golden):
    void = el(0xEC, bytes(20))
    spans = cluster_spans(golden)
    data = golden[:spans[1][0]] + void + golden[spans[1][0]:]
    assert read_all(data) == ([0, 1, 2], [])


def test_segment_of_known_size(golden):
    # Another writer may give the Segment its real size; what follows the Segment is ignored.
    size = len(golden) - 48
    data = golden[:40] + vint(size, 8) + golden[48:] + b"trailing bytes after the Segment"
    r = open_bytes(data)
    assert [c.index for c in r.iter_clusters()] == [0, 1, 2] and r.errors == []
    assert r.read_cluster(2) == make_golden.clusters()[2]


def test_newer_minor_version_is_read(golden):
    assert golden.count(b"\x4e\x00\x81\x00") == 1
    data = golden.replace(b"\x4e\x00\x81\x00", b"\x4e\x00\x81\x07")
    r = container.open(io.BytesIO(data))
    assert r.version == (1, 7)
    assert [c.index for c in r.iter_clusters()] == [0, 1, 2]


def test_file_without_clusters(tmp_path):
    buf = io.BytesIO()
    with container.open(buf, "w", codec_setup=make_golden.SETUP, tracks=[make_golden.VIDEO]):
        pass
    r = container.open(io.BytesIO(buf.getvalue()))
    assert list(r.iter_clusters()) == [] and r.cluster_count == 0 and r.tags == {}
    with pytest.raises(IndexError):
        r.seek(0)
    with pytest.raises(IndexError, match="GOP 0 out of range"):
        r.read_cluster(0)


def test_read_cluster_out_of_range(golden):
    r = container.open(io.BytesIO(golden))
    with pytest.raises(IndexError, match="GOP 3 out of range: the file has 3 GOPs"):
        r.read_cluster(3)
    with pytest.raises(IndexError):
        r.read_cluster(-1)


def test_iter_clusters_rejects_a_bad_on_error(golden):
    with pytest.raises(ValueError, match="on_error"):
        container.open(io.BytesIO(golden)).iter_clusters(on_error="ignore")


def test_writer_rejects_bad_input():
    w = container.open(io.BytesIO(), "w", codec_setup=make_golden.SETUP,
                       tracks=[make_golden.VIDEO, make_golden.AUDIO])
    good = make_golden.clusters()[0]
    bad = [
        (Cluster(1, [0], "I", [bytes(16)], b""), "GOP order: expected GOP 0, got 1"),
        (Cluster(0, [0, 1], "I", [bytes(16)] * 2, b""), "one letter per frame"),
        (Cluster(0, [0], "I", [bytes(15)], b""), "16-byte digest"),
        (Cluster(0, [0], "I", [bytes(16)], b"", [Packet(9, 0, 0, 1, True, b"")]), "track 9"),
        (Cluster(0, [], "", [], b""), "at least one frame"),
        (Cluster(0, [1 << 63], "I", [bytes(16)], b""), "64-bit"),
    ]
    for cluster, message in bad:
        with pytest.raises(ValueError, match=message):
            w.write_cluster(cluster)
    w.write_cluster(good)
    w.close()
    with pytest.raises(ValueError, match="closed"):
        w.write_cluster(good)
    with pytest.raises(ValueError, match="64 hex digits"):
        container.open(io.BytesIO(), "w", codec_setup=CodecSetup("m", "abc", "t", 1, 1),
                       tracks=[make_golden.VIDEO])
    with pytest.raises(ValueError, match="exactly one VideoTrack"):
        container.open(io.BytesIO(), "w", codec_setup=make_golden.SETUP,
                       tracks=[make_golden.AUDIO])


def test_writer_interrupted_by_an_exception_leaves_a_truncated_file():
    buf = io.BytesIO()
    with pytest.raises(RuntimeError):
        with container.open(buf, "w", codec_setup=make_golden.SETUP,
                            tracks=[make_golden.VIDEO, make_golden.AUDIO, make_golden.SUBS]) as w:
            w.write_cluster(make_golden.clusters()[0])
            raise RuntimeError("encoder crashed")
    got, errors = read_all(buf.getvalue())
    assert got == [0]
    assert [type(e) for e in errors] == [TruncatedFileError]
    assert one_line(errors[0]).startswith("file ends early at GOP 1: no Cues after the last Cluster")


# --- the golden file ------------------------------------------------------------------------------

def test_golden_file_fields():
    with container.open(GOLDEN) as r:
        assert r.version == (1, 0)
        assert r.info == Info(app="make_golden.py", duration_pts=5)
        s = r.codec_setup
        assert (s.model_id, s.token_map, s.groups, s.gop_size) == ("golden-test-model", "identity-8bit", 2, 2)
        assert s.weights_sha256 == "2168cf69380116fa1bf8f315f57390565d3b682f6c6fd7851b90dacccc1d4bb2"
        assert s.coder_params == {"coder": "range", "precision": 16, "offset": -3}
        v = r.video_track
        assert (v.number, v.width, v.height, v.pix_fmt, v.bit_depth) == (1, 4, 2, "yuv420p", 8)
        assert (v.time_base, v.frame_rate, v.sample_aspect_ratio) == ((1, 25), (25, 1), (1, 1))
        assert (v.color_range, v.color_primaries, v.color_trc, v.colorspace, v.chroma_location) == (1, 1, 1, 1, 1)
        audio, subs = r.other_tracks
        assert audio == StreamTrack(2, "audio", "pcm_s16le", (1, 8000), b"",
                                    {"sample_rate": 8000, "channels": 1, "layout": "mono", "format": "s16"})
        assert subs == StreamTrack(3, "subtitle", "subrip", (1, 1000), b"\x00\x01", {})
        assert r.tags == {"title": "golden", "comment": "container test file"}
        assert r.cluster_count == 3
        assert [(c.gop, c.first_pts, c.offset) for c in r.cues] == [(0, 0, 539), (1, 2, 684), (2, 4, 854)]
        c1 = r.read_cluster(1)
        assert (c1.index, c1.frame_pts, c1.frame_types, c1.frame_durations) == (1, [2, 3], "IP", [1, 1])
        assert c1.frame_md5 == [hashlib.md5(bytes([2]) * 12).digest(), hashlib.md5(bytes([3]) * 12).digest()]
        assert c1.payload == b"GOP 1 payload"
        assert c1.packets == [Packet(2, 640, 640, 320, True, b"\x01" * 8),
                              Packet(3, None, None, 0, False, b"hello")]
        c2 = r.read_cluster(2)
        assert (c2.frame_pts, c2.frame_types, c2.frame_durations) == ([4], "I", [])


def test_golden_file_layout_matches_format_md(golden):
    # EBML magic, header size 31, DocType "nlvc", DocTypeVersion 1, DocTypeMinorVersion 0
    assert golden[:5] == bytes.fromhex("1a45dfa39f")
    assert bytes.fromhex("4282846e6c7663") in golden[:36]
    assert bytes.fromhex("42878101") in golden[:36] and bytes.fromhex("4e008100") in golden[:36]
    # Segment with the 8-byte unknown size
    assert golden[36:48] == bytes.fromhex("1853806701ffffffffffffff")
    # ends with the 13-byte CuesLocator pointing at the Cues (relative to the Segment payload)
    assert golden[-13:-8] == bytes.fromhex("1e4e434c88")
    cues_at = 48 + int.from_bytes(golden[-8:], "big")
    assert golden[cues_at:cues_at + 4] == bytes.fromhex("1c53bb6b")
    # every Cluster starts with BF 84 + CRC-32 of the rest of its payload
    for off, end in cluster_spans(golden):
        _, start, _, _ = read_element(golden, off)
        assert golden[start:start + 2] == b"\xbf\x84"
        assert int.from_bytes(golden[start + 2:start + 6], "big") == zlib.crc32(golden[start + 6:end])


def test_golden_file_is_what_make_golden_writes(golden):
    assert make_golden.golden_bytes() == golden


# --- malformed inputs: one test each ---------------------------------------------------------

def ebml_header(doc_type=b"nlvc", major=1, minor=0, extra=b"") -> bytes:
    return el(EBML_ID, el(0x4286, uint(1)) + el(0x42F7, uint(1)) + el(0x4282, doc_type)
              + el(0x4287, uint(major)) + el(0x4E00, uint(minor)) + extra)


def open_bytes(data: bytes):
    return container.open(io.BytesIO(data))


def test_empty_file():
    with pytest.raises(CorruptFileError) as info:
        open_bytes(b"")
    assert one_line(info.value) == "empty file: no EBML header at byte 0"


def test_not_an_nlvc_file():
    with pytest.raises(CorruptFileError) as info:
        open_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt ")
    assert one_line(info.value) == ("not an .nlvc file: expected the EBML magic 1a45dfa3 at byte 0, "
                                    "found 52494646")


def test_wrong_doctype():
    with pytest.raises(CorruptFileError) as info:
        open_bytes(ebml_header(doc_type=b"matroska"))
    assert "wrong DocType 'matroska' at byte 13: expected 'nlvc'" in one_line(info.value)


def test_missing_doctype():
    data = el(EBML_ID, el(0x4286, uint(1)) + el(0x4287, uint(1)))
    with pytest.raises(CorruptFileError, match="EBML header at byte 0 has no DocType"):
        open_bytes(data)


def test_newer_major_version():
    with pytest.raises(UnsupportedVersionError) as info:
        open_bytes(ebml_header(major=2, minor=3))
    assert "file is .nlvc version 2.3" in one_line(info.value)
    assert "newer major version than this reader's 1.x" in str(info.value)


def test_major_version_zero():
    with pytest.raises(UnsupportedVersionError, match="version 0.0 .* older major version"):
        open_bytes(ebml_header(major=0))


def test_newer_ebml_read_version():
    data = el(EBML_ID, el(0x42F7, uint(2)) + el(0x4282, b"nlvc") + el(0x4287, uint(1)))
    with pytest.raises(UnsupportedVersionError, match="EBMLReadVersion is 2 at byte 5"):
        open_bytes(data)


def test_magic_cut_short():
    with pytest.raises(TruncatedFileError, match="only 3 bytes of the EBML magic at byte 0"):
        open_bytes(b"\x1a\x45\xdf")


def test_invalid_varint():
    data = ebml_header() + b"\x18\x53\x80\x67\x00"  # a size cannot start with 0x00
    with pytest.raises(CorruptFileError) as info:
        open_bytes(data)
    assert one_line(info.value).startswith(f"invalid element header at byte {len(ebml_header())}")


def test_missing_segment():
    data = ebml_header() + el(0x1549A966, el(0x5741, b"x"))
    with pytest.raises(CorruptFileError, match="expected a Segment at byte 28, found Info"):
        open_bytes(data)


def segment(*elements: bytes) -> bytes:
    return ebml_header() + b"\x18\x53\x80\x67" + b"\x01" + b"\xff" * 7 + b"".join(elements)


def test_size_larger_than_the_file_is_rejected_before_allocating():
    # Info claims 2^40 bytes in a file of about 60: no terabyte read may even be attempted.
    data = segment(b"\x15\x49\xa9\x66" + vint(1 << 40, 8) + el(0x5741, b"x"))
    tracemalloc.start()
    try:
        with pytest.raises(TruncatedFileError) as info:
            open_bytes(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20
    assert one_line(info.value) == (f"file ends early in the header: Info at byte {len(segment())} "
                                    f"claims 1099511627776 bytes but only 4 remain in the file")


def test_size_larger_than_the_file_through_a_pipe():
    # On a pipe the end is unknown: the reader fetches bounded chunks and finds out.
    data = segment(b"\x15\x49\xa9\x66" + vint(1 << 40, 8) + el(0x5741, b"x"))

    def consume(f):
        tracemalloc.start()
        try:
            with pytest.raises(TruncatedFileError) as info:
                container.open(f)
            return tracemalloc.get_traced_memory()[1], info.value
        finally:
            tracemalloc.stop()

    peak, error = through_pipe(data, consume)
    assert peak < 1 << 20
    assert one_line(error) == ("file ends early in the header: Info at byte 40 claims 1099511627776 "
                               "bytes but the file ends after 4")


def test_size_larger_than_the_parent():
    # An App string claiming 50 bytes inside an Info of 6 bytes.
    info_payload = b"\x57\x41" + vint(50) + b"abc"
    data = segment(el(0x1549A966, info_payload), bytes(60))
    with pytest.raises(CorruptFileError) as info:
        open_bytes(data)
    assert one_line(info.value) == "App at byte 45 claims 50 bytes but its parent Info holds only 3 more"


def test_unknown_size_outside_the_segment():
    data = segment(b"\x15\x49\xa9\x66\xff" + el(0x5741, b"x"))
    with pytest.raises(CorruptFileError, match=r"^Info at byte 40 has an unknown size \(only the Segment may\)$"):
        open_bytes(data)


def test_missing_codec_setup(golden):
    start, _, _, end = next(k for k in segment_children(golden) if k[1] == 0x1E4E4353)
    data = golden[:start] + el(0xEC, bytes(end - start - 3)) + golden[end:]  # Void in its place
    assert len(data) == len(golden)
    with pytest.raises(CorruptFileError, match="no CodecSetup element before the clusters"):
        open_bytes(data)


def test_duplicate_head_element(golden):
    start, _, _, end = next(k for k in segment_children(golden) if k[1] == 0x1549A966)
    data = golden[:end] + golden[start:end] + golden[end:]
    with pytest.raises(CorruptFileError, match=f"Info appears twice \\(at bytes {start} and {end}\\)"):
        open_bytes(data)


def test_two_video_tracks():
    video = el(0xAE, el(0xD7, uint(1)) + el(0x4E30, b"video") + el(0x4E31, uint(1)) + el(0x4E32, uint(25))
               + el(0xE0, el(0xB0, uint(4)) + el(0xBA, uint(2)) + el(0x4E40, b"gray") + el(0x4E41, uint(8))))
    video2 = video.replace(el(0xD7, uint(1)), el(0xD7, uint(2)))
    setup = el(0x1E4E4353, el(0x4E10, b"m") + el(0x4E11, bytes(32)) + el(0x4E12, b"t")
               + el(0x4E13, uint(1)) + el(0x4E14, uint(1)))
    data = segment(setup, el(0x1654AE6B, video + video2))
    with pytest.raises(CorruptFileError, match="holds 2 video tracks; an .nlvc file has exactly one"):
        open_bytes(data)
    # the same file with one video track opens
    assert open_bytes(segment(setup, el(0x1654AE6B, video))).video_track.pix_fmt == "gray"


def test_bad_sha256_length():
    setup = el(0x1E4E4353, el(0x4E10, b"m") + el(0x4E11, bytes(31)) + el(0x4E12, b"t")
               + el(0x4E13, uint(1)) + el(0x4E14, uint(1)))
    with pytest.raises(CorruptFileError, match="^WeightsSha256 at byte 49 is 31 bytes; a SHA-256 digest has 32$"):
        open_bytes(segment(setup, el(0x1654AE6B, b"")))


def test_cluster_with_valid_crc_but_inconsistent_fields(golden):
    spans = cluster_spans(golden)
    head = golden[:spans[0][0]]
    body = (el(0x4E50, uint(0)) + el(0x4E51, (0).to_bytes(8, "big") * 2) + el(0x4E53, b"IP")
            + el(0x4E54, bytes(16)) + el(0x4E55, b"x"))  # two frames, one MD5
    cluster = el(CLUSTER_ID, b"\xbf\x84" + zlib.crc32(body).to_bytes(4, "big") + body)
    with pytest.raises(CorruptFileError) as info:
        list(open_bytes(head + cluster).iter_clusters())
    assert one_line(info.value) == (f"GOP 0: FrameMD5 at byte {spans[0][0] + 39} holds 1 16-byte MD5 "
                                    "digests for 2 frames")
    assert info.value.gop == 0


# --- truncated and damaged files ------------------------------------------------------------------

def test_truncated_inside_a_cluster(golden):
    spans = cluster_spans(golden)
    cut = golden[:spans[2][0] + 40]  # in the middle of GOP 2
    r = open_bytes(cut)
    it = r.iter_clusters()
    assert [next(it).index, next(it).index] == [0, 1]
    with pytest.raises(TruncatedFileError) as info:
        next(it)
    start = read_element(golden, spans[2][0])[1]  # first byte of GOP 2's payload
    assert one_line(info.value) == (f"file ends early at GOP 2: Cluster at byte {spans[2][0]} claims "
                                    f"{spans[2][1] - start} bytes but only {spans[2][0] + 40 - start} "
                                    "remain in the file")
    assert info.value.gop == 2
    # random access: the complete GOPs read, GOP 2 is reported as cut
    assert r.cluster_count == 2
    assert r.read_cluster(1) == make_golden.clusters()[1]
    assert r.seek(99).index == 1
    with pytest.raises(TruncatedFileError, match="GOP 2 is not in the file: file ends early at GOP 2"):
        r.read_cluster(2)


def test_truncated_inside_a_cluster_through_a_pipe(golden):
    spans = cluster_spans(golden)

    def consume(f):
        r = container.open(f)
        return [c.index for c in r.iter_clusters(on_error="skip")], r.errors

    got, errors = through_pipe(golden[:spans[1][0] + 50], consume)
    assert got == [0]
    assert [type(e) for e in errors] == [TruncatedFileError]
    start = read_element(golden, spans[1][0])[1]
    assert one_line(errors[0]) == (f"file ends early at GOP 1: Cluster at byte {spans[1][0]} claims "
                                   f"{spans[1][1] - start} bytes but the file ends after "
                                   f"{spans[1][0] + 50 - start}")


def test_truncated_between_clusters_cues_missing(golden):
    spans = cluster_spans(golden)
    data = golden[:spans[2][1]]  # every cluster, no Cues: the writer did not finish
    got, errors = read_all(data)
    assert got == [0, 1, 2]
    assert one_line(errors[0]) == (f"file ends early at GOP 3: no Cues after the last Cluster; the data "
                                   f"stops at byte {spans[2][1]} (the writer did not finish)")
    r = open_bytes(data)  # random access scans the clusters instead
    assert r.cluster_count == 3 and r.seek(3).index == 1
    assert [c.offset for c in r.cues] == [s for s, _ in spans]


def test_truncated_in_the_header(golden):
    with pytest.raises(TruncatedFileError) as info:
        open_bytes(golden[:100])
    assert one_line(info.value) == ("file ends early in the header: CodecSetup at byte 80 claims 142 "
                                    "bytes but only 14 remain in the file")


def flip(data: bytes, pos: int, mask: int = 0x55) -> bytes:
    out = bytearray(data)
    out[pos] ^= mask
    return bytes(out)


def test_flipped_byte_in_a_cluster_payload(golden):
    spans = cluster_spans(golden)
    data = flip(golden, spans[1][1] - 3)  # inside GOP 1's Payload
    r = open_bytes(data)
    with pytest.raises(CorruptFileError) as info:
        r.read_cluster(1)
    assert one_line(info.value).startswith(f"GOP 1: CRC-32 mismatch in Cluster at byte {spans[1][0]} (stored 0x")
    assert info.value.gop == 1 and info.value.offset == spans[1][0]
    assert r.read_cluster(0).index == 0 and r.read_cluster(2).index == 2
    # default iteration stops at the damaged GOP...
    it = r.iter_clusters()
    assert next(it).index == 0
    with pytest.raises(CorruptFileError, match="^GOP 1: CRC-32 mismatch"):
        next(it)
    # ... on_error="skip" goes on and lists what it skipped ...
    got, errors = read_all(data, on_error="skip")
    assert got == [0, 2] and [e.gop for e in errors] == [1]
    # ... and a function sees each error when it happens.
    seen = []
    got = [c.index for c in r.iter_clusters(on_error=seen.append)]
    assert got == [0, 2] and [str(e) for e in seen] == [str(errors[0])] and r.errors == seen


def test_flipped_byte_in_a_cluster_id(golden):
    spans = cluster_spans(golden)
    got, errors = read_all(flip(golden, spans[1][0]))
    assert got == [0, 2]
    assert [(type(e), e.gop) for e in errors] == [(CorruptFileError, 1)]
    assert one_line(errors[0]).startswith(f"GOP 1 is missing: no intact Cluster for it between byte "
                                          f"{spans[0][1]} and byte {spans[2][0]}")
    r = open_bytes(flip(golden, spans[1][0]))
    with pytest.raises(CorruptFileError, match=f"^GOP 1: the Cues place it at byte {spans[1][0]}, "
                                               "but no intact Cluster for it is there or anywhere else$"):
        r.read_cluster(1)
    assert r.read_cluster(2).index == 2


@pytest.mark.parametrize("delta", [0x01, 0x7F])
def test_flipped_byte_in_a_cluster_size(golden, delta):
    spans = cluster_spans(golden)
    data = flip(golden, spans[1][0] + 5, delta)  # second byte of GOP 1's 2-byte size
    got, errors = read_all(data)
    assert got == [0, 2]
    assert [(type(e), e.gop) for e in errors] == [(CorruptFileError, 1)]


def test_flipped_byte_in_the_head_fails_its_crc(golden):
    start, _, _, end = next(k for k in segment_children(golden) if k[1] == 0x1654AE6B)
    with pytest.raises(CorruptFileError) as info:
        open_bytes(flip(golden, end - 20))  # inside Tracks (the subtitle track's codec name)
    assert one_line(info.value).startswith(f"CRC-32 mismatch in Tracks at byte {start} (stored 0x")


def test_damaged_cues_are_reported_and_not_used(golden):
    spans = cluster_spans(golden)
    cues_at = segment_children(golden)[-2][0]
    data = flip(golden, len(golden) - 20)  # inside the Cues
    got, errors = read_all(data)
    assert got == [0, 1, 2]
    assert [one_line(e) for e in errors] == [
        f"damaged Cues: CRC-32 mismatch in Cues at byte {cues_at} (stored 0x"
        + one_line(errors[0]).split("(stored 0x")[1]]
    r = open_bytes(data)
    assert [c.offset for c in r.cues] == [s for s, _ in spans] and r.seek(2).index == 1


def test_damage_through_a_pipe(golden):
    spans = cluster_spans(golden)

    def consume(f):
        r = container.open(f)
        return [c.index for c in r.iter_clusters(on_error="skip")], r.errors

    got, errors = through_pipe(flip(golden, spans[0][1] - 2), consume)
    assert got == [1, 2] and [(type(e), e.gop) for e in errors] == [(CorruptFileError, 0)]


def test_wrong_cues_fall_back_to_scanning(golden):
    spans = cluster_spans(golden)
    # The locator points 5 bytes off: the reader notices and scans.
    wrong = golden[:-8] + (int.from_bytes(golden[-8:], "big") + 5).to_bytes(8, "big")
    r = open_bytes(wrong)
    assert r.read_cluster(2) == make_golden.clusters()[2]
    assert [c.offset for c in r.cues] == [s for s, _ in spans]
    # A Cue that points inside another cluster is caught when the cluster is read.
    position = (spans[1][0] - 48).to_bytes(2, "big")
    assert golden.count(b"\xf1\x82" + position) == 1
    inside = golden.replace(b"\xf1\x82" + position, b"\xf1\x82" + (spans[0][0] + 6 - 48).to_bytes(2, "big"))
    r = open_bytes(inside)
    assert r.read_cluster(1) == make_golden.clusters()[1]
    assert r.cues[1].offset == spans[1][0]
