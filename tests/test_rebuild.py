"""Image sequences out, byte for byte (format 1.3): DPX (10-bit RGB method A either endianness,
12-bit, 16-bit) and 16-bit TIFF (FFmpeg's PackBits, and uncompressed big-endian strips written
here) come back identical, headers edited by other software, user data and trailing bytes
included; a file the rebuild cannot reproduce is refused in one line unless --pixels-only;
nlvc verify rebuilds every file and checks its MD5; the SourceFile elements round trip."""
from __future__ import annotations

import hashlib
import io
import struct
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest

import container
from container import Cluster, CodecSetup, SourceFile, VideoTrack
from nlvc_av.io.rebuild import OP_PATCH, RebuildError, record_for, rebuild
from nlvc_av.io.demux import iter_video_planes
from nlvc_av.transcode import decode_file, encode_file
from nlvc_av.verify import check_file, compare

from test_imageseq import write_sequence


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    from nlvc_av.codec import nets

    nets.set_threads(1)


def edit_dpx_headers(folder: Path) -> None:
    """What a scanner's DPX looks like next to FFmpeg's: creator and project text, a user-data
    area between the headers and the pixels, and bytes after the image."""
    for k, f in enumerate(sorted(folder.iterdir())):
        data = bytearray(f.read_bytes())
        e = ">" if data[:4] == b"SDPX" else "<"
        offset = struct.unpack_from(e + "I", data, 4)[0]
        data[160:260] = b"FilmScanner 9000 v2.1".ljust(100, b"\0")  # creator
        data[260:460] = f"Reel 7, take {k}".encode().ljust(200, b"\0")  # project
        user = b"USERDATA" + bytes(range(256)) * 2
        data[offset:offset] = user
        struct.pack_into(e + "I", data, 4, offset + len(user))
        struct.pack_into(e + "I", data, 808, offset + len(user))
        struct.pack_into(e + "I", data, 32, len(user))  # user-defined header length
        data += b"trailing bytes \xff\x00" * (k + 1)
        struct.pack_into(e + "I", data, 16, len(data))  # file size
        f.write_bytes(bytes(data))


def write_tiff_be(folder: Path, count: int = 3, size=(12, 8)) -> Path:
    """Uncompressed big-endian 16-bit RGB TIFFs in two strips with a gap between them and the
    IFD at the end, as no FFmpeg writes them."""
    folder.mkdir(parents=True)
    w, h = size
    rows = 5
    for k in range(count):
        pixels = np.random.default_rng(k).integers(0, 65536, (h, w, 3), dtype=np.uint16).astype(">u2").tobytes()
        cut = rows * w * 6
        strips = [pixels[:cut], pixels[cut:]]
        head = b"MM\0*" + b"\0\0\0\0"
        body = head + strips[0] + b"--gap--" + strips[1]
        bps_at, ifd_at = len(body), len(body) + 6
        offsets = [len(head), len(head) + cut + 7]
        entries = [(256, 4, 1, w), (257, 4, 1, h), (258, 3, 3, bps_at), (259, 3, 1, 1), (262, 3, 1, 2),
                   (273, 4, 2, None), (277, 3, 1, 3), (278, 4, 1, rows), (279, 4, 2, None), (284, 3, 1, 1)]
        extra_at = ifd_at + 2 + 12 * len(entries) + 4
        ifd = struct.pack(">H", len(entries))
        for tag, typ, n, value in entries:
            if tag == 273:
                value = extra_at
            elif tag == 279:
                value = extra_at + 8
            elif typ == 3 and n == 1:
                ifd += struct.pack(">HHIHH", tag, typ, n, value, 0)
                continue
            ifd += struct.pack(">HHII", tag, typ, n, value)
        ifd += b"\0\0\0\0" + struct.pack(">2I", *offsets) + struct.pack(">2I", len(strips[0]), len(strips[1]))
        data = bytearray(body + struct.pack(">3H", 16, 16, 16) + ifd)
        struct.pack_into(">I", data, 4, ifd_at)
        (folder / f"scan_{k + 1:04d}.tif").write_bytes(bytes(data))
    return folder


def sources(kind: str, tmp_path: Path) -> Path:
    if kind == "tiff-be":
        return write_tiff_be(tmp_path / "scans")
    codec, pix_fmt, ext, edited = {
        "dpx10le": ("dpx", "gbrp10le", "dpx", False), "dpx10be": ("dpx", "gbrp10be", "dpx", True),
        "dpx12": ("dpx", "gbrp12le", "dpx", True), "dpx16le": ("dpx", "rgb48le", "dpx", True),
        "dpx16be": ("dpx", "rgb48be", "dpx", False), "tiff-packbits": ("tiff", "rgb48le", "tif", False),
    }[kind]
    folder = write_sequence(tmp_path / "scans", codec, pix_fmt, ext, size=(16, 8))
    if edited:
        edit_dpx_headers(folder)
    return folder


@pytest.mark.parametrize("kind", ["dpx10le", "dpx10be", "dpx12", "dpx16le", "dpx16be", "tiff-packbits", "tiff-be"])
def test_sequence_comes_back_byte_for_byte(tmp_path, kind):
    folder = sources(kind, tmp_path)
    encode_file(str(folder), tmp_path / "a.nlvc", model="tiny", gop=2)
    with container.open(tmp_path / "a.nlvc") as r:
        assert r.version >= (1, 4)  # the maps may use the ops and packings 1.4 added
        records = [f for c in r.iter_clusters() for f in c.source_files]
    assert [f.name for f in records] == sorted(p.name for p in folder.iterdir())
    assert all(f.md5 == hashlib.md5((folder / f.name).read_bytes()).digest() for f in records)
    decode_file(tmp_path / "a.nlvc", f"{tmp_path / 'out'}/")
    names = sorted(p.name for p in folder.iterdir())
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == names
    for name in names:
        assert (tmp_path / "out" / name).read_bytes() == (folder / name).read_bytes(), name
    report = check_file(str(tmp_path / "a.nlvc"))
    assert report["ok"] and report["source_files"] == {"rebuilt": 3, "pixels_only": 0, "mismatch": []}
    assert "3 source files rebuilt byte for byte" in report["checked"]


def pad_bits_set(folder: Path) -> None:
    """10-bit method A with the two padding bits of every word set: FFmpeg drops them."""
    for f in sorted(folder.iterdir()):
        data = bytearray(f.read_bytes())
        offset = struct.unpack_from("<I", data, 4)[0]
        words = np.frombuffer(bytes(data[offset:]), "<u4") | 3
        data[offset:] = words.astype("<u4").tobytes()
        f.write_bytes(bytes(data))


def cli(*args):
    return subprocess.run([sys.executable, "-c", "from nlvc_av.cli import main; main()", *map(str, args),
                           "--model", "tiny", "-q"], capture_output=True, text=True)


def test_padding_bits_that_are_not_zero_are_kept(tmp_path, cli_env):
    """0.3 refused these (FFmpeg drops the bits); the patch op keeps them (format 1.4)."""
    folder = write_sequence(tmp_path / "scans", "dpx", "gbrp10le", "dpx", size=(16, 8))
    pad_bits_set(folder)
    r = cli(folder, tmp_path / "a.nlvc")
    assert r.returncode == 0, r.stderr
    with container.open(tmp_path / "a.nlvc") as reader:
        records = [f for c in reader.iter_clusters() for f in c.source_files]
    assert all(OP_PATCH in f.pixel_map[::3] for f in records)
    assert check_file(str(tmp_path / "a.nlvc"))["source_files"] == {"rebuilt": 3, "pixels_only": 0, "mismatch": []}
    decode_file(tmp_path / "a.nlvc", f"{tmp_path / 'out'}/")
    for f in sorted(folder.iterdir()):
        assert (tmp_path / "out" / f.name).read_bytes() == f.read_bytes(), f.name


def write_deflate_tiffs(folder: Path) -> Path:
    """TIFFs whose strips are Deflate-compressed: not rebuilt (the compressor's choices are not
    reproducible from the pixels)."""
    folder.mkdir(parents=True)
    out = av.open(str(folder / "scan_%06d.tif"), "w", format="image2", options={"start_number": "86400"})
    s = out.add_stream("tiff", rate=24, options={"compression_algo": "deflate"})
    s.width, s.height, s.pix_fmt = 16, 8, "rgb24"
    for i in range(3):
        frame = av.VideoFrame.from_ndarray(np.random.default_rng(i).integers(0, 256, (8, 16, 3), np.uint8), "rgb24")
        out.mux(s.encode(frame))
    out.mux(s.encode())
    out.close()
    return folder


def test_file_that_cannot_be_rebuilt_is_refused_unless_pixels_only(tmp_path, cli_env):
    folder = write_deflate_tiffs(tmp_path / "scans")
    r = cli(folder, tmp_path / "a.nlvc")
    assert r.returncode == 1 and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr, r.stderr
    assert "scan_086400.tif: cannot be rebuilt byte for byte:" in r.stderr and "--pixels-only" in r.stderr, r.stderr
    assert not list(tmp_path.glob("*.nlvc*"))
    r = cli(folder, tmp_path / "a.nlvc", "--pixels-only")
    assert r.returncode == 0, r.stderr
    report = check_file(str(tmp_path / "a.nlvc"))
    assert report["ok"] and report["source_files"] == {"rebuilt": 0, "pixels_only": 3, "mismatch": []}
    decode_file(tmp_path / "a.nlvc", f"{tmp_path / 'out'}/")
    ok, message = compare(str(folder), str(tmp_path / "out"))
    assert ok and "3 frames" in message, message


def test_unsupported_layouts_say_why(tmp_path):
    folder = write_sequence(tmp_path / "s", "dpx", "gbrp12le", "dpx", count=1, size=(16, 8))
    f = next(folder.iterdir())
    planes = next(iter_video_planes(str(folder / "scan_%06d.dpx"))[1])
    record = record_for(f, planes, 16, 8)
    assert rebuild(record, planes, 16, 8) == f.read_bytes()
    data = bytearray(f.read_bytes())
    struct.pack_into("<H", data, 806, 1)  # run-length encoded
    f.write_bytes(bytes(data))
    with pytest.raises(RebuildError, match="run-length encoded image data"):
        record_for(f, planes, 16, 8)
    struct.pack_into("<H", data, 806, 0)
    f.write_bytes(bytes(data))
    with pytest.raises(RebuildError, match="the DPX header says 16x8, the decoded frame is 8x8"):
        record_for(f, [p[:, :8] for p in planes], 8, 8)


def test_verify_names_a_source_file_whose_rebuild_does_not_match(tmp_path):
    folder = write_sequence(tmp_path / "scans", "dpx", "rgb48le", "dpx", count=2, size=(16, 8))
    encode_file(str(folder), tmp_path / "a.nlvc", model="tiny")
    with container.open(tmp_path / "a.nlvc") as r:  # copied with one stored header byte changed
        head = dict(codec_setup=r.codec_setup, tracks=r.tracks, info=r.info, tags=r.tags)
        clusters = list(r.iter_clusters())
    record = clusters[0].source_files[1]
    middle = len(record.data) // 2  # (the stored bytes, zlib-compressed: any flip is felt)
    record.data = record.data[:middle] + bytes([record.data[middle] ^ 0x01]) + record.data[middle + 1:]
    with container.open(tmp_path / "b.nlvc", "w", source_files=True, **head) as w:
        for c in clusters:
            w.write_cluster(c)
    report = check_file(str(tmp_path / "b.nlvc"))
    assert not report["ok"] and report["source_files"]["mismatch"] == ["scan_086401.dpx"]
    assert "scan_086401.dpx: the rebuilt source file does not match its stored MD5" in report["lines"]


# --- the container elements ----------------------------------------------------------------------

SETUP = CodecSetup("m", "ab" * 32, "residual-mod256-v1", 1, 4)
VIDEO = VideoTrack(number=1, width=4, height=2, pix_fmt="gray", bit_depth=8, time_base=(1, 25))


def write(source_files: bool, records: list[SourceFile]) -> bytes:
    buf = io.BytesIO()
    with container.open(buf, "w", codec_setup=SETUP, tracks=[VIDEO], source_files=source_files) as w:
        w.write_cluster(Cluster(0, [0, 1], "IP", [b"\1" * 16, b"\2" * 16], b"payload", source_files=records))
    return buf.getvalue()


def test_source_file_elements_round_trip_and_make_the_file_1_3():
    records = [SourceFile("a_0001.dpx", b"\3" * 16, {"samples": "10a", "byte_order": "be", "order": "2,0,1",
                                                     "row_bytes": 16}, [0, 1664, 0, 1, 32, 0], b"H" * 1664),
               SourceFile("a_0002.dpx", b"\4" * 16)]  # pixels only: name and MD5
    with container.open(io.BytesIO(write(True, records))) as r:
        assert r.version == (1, 3)
        assert next(r.iter_clusters()).source_files == records
    with container.open(io.BytesIO(write(False, []))) as r:
        assert r.version == (1, 0) and next(r.iter_clusters()).source_files == []
    with pytest.raises(ValueError, match="source_files=True"):
        write(False, records)
    with pytest.raises(ValueError, match="one SourceFile per frame"):
        write(True, records[:1])


def test_a_record_that_describes_no_file_is_one_error():
    planes = [np.zeros((2, 4), np.uint16)] * 3
    good = {"samples": "u16", "shift": 0, "byte_order": "le", "order": "2,0,1", "row_bytes": 24}
    assert len(rebuild(SourceFile("a.dpx", bytes(16), good, [1, 48, 0]), planes, 4, 2)) == 48
    for bad in ({**good, "order": "x"}, {**good, "shift": 40}, {**good, "row_bytes": 1 << 40},
                {k: v for k, v in good.items() if k != "samples"}, {**good, "order": "7"}):
        with pytest.raises(RebuildError):
            rebuild(SourceFile("a.dpx", bytes(16), bad, [1, 48, 0]), planes, 4, 2)
