"""PackBits TIFFs cost what their pixels cost (format 1.4, issue 33 item 7): a strip that FFmpeg's
or libtiff's encoder makes from its rows is made again from the pixels (map ops 4, 5), other
PackBits keeps its control bytes, and the stored bytes are zlib-compressed (op 6); every file
comes back byte for byte, and the 1.3 records (op 2, control bytes stored raw) still rebuild."""
from __future__ import annotations

import ctypes
import hashlib
import io
import struct
import zlib
from pathlib import Path

import av
import numpy as np
import pytest

import container
from container import Cluster, CodecSetup, SourceFile, VideoTrack
from nlvc_av.io import packbits, tiff
from nlvc_av.io.rebuild import RebuildError, map_version, rebuild, record_for
from nlvc_av.io.rebuild_ops import OP_INFLATE, OP_PACKBITS, OP_PACKBITS_FFMPEG, OP_PACKBITS_LIBTIFF, OP_PIXELS
from nlvc_av.transcode import decode_file, encode_file
from nlvc_av.verify import check_file

W, H = 48, 32


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    from nlvc_av.codec import nets

    nets.set_threads(1)


def frames(count=4, size=(W, H)):
    """rgb48 frames of 8-bit content widened as swscale widens it (v * 257: every sample two
    equal bytes) with flat patches: what makes PackBits emit a control byte every few bytes."""
    w, h = size
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    for i in range(count):
        base = 128 + 90 * np.sin(x / 7 + i / 4) * np.cos(y / 5 - i / 5)
        rgb = np.stack([base, 255 - base, (base + x + i) % 256], axis=-1)
        yield (np.clip(np.round(rgb / 16) * 16, 0, 255).astype(np.uint16) * 257).astype("<u2")


def planes_of(rgb: np.ndarray) -> list[np.ndarray]:
    return [rgb[..., 1], rgb[..., 2], rgb[..., 0]]  # the codec's G, B, R


def write_ffmpeg(folder: Path, compression: str) -> Path:
    folder.mkdir(parents=True)
    out = av.open(str(folder / "f_%04d.tif"), "w", format="image2")
    s = out.add_stream("tiff", rate=24, options={"compression_algo": compression})
    s.width, s.height, s.pix_fmt = W, H, "rgb48le"
    for rgb in frames():
        out.mux(s.encode(av.VideoFrame.from_ndarray(rgb, format="rgb48le")))
    out.mux(s.encode())
    out.close()
    return folder


def tiff_bytes(rgb: np.ndarray, strips: list[bytes], rows: int, compression=32773) -> bytes:
    """A little-endian RGB TIFF of ``rgb``'s size whose strips are ``strips`` (coded as given)."""
    h, w, _ = rgb.shape
    bits = rgb.dtype.itemsize * 8
    entries = [(256, 4, 1, w), (257, 4, 1, h), (258, 3, 3, None), (259, 3, 1, compression), (262, 3, 1, 2),
               (273, 4, len(strips), None), (277, 3, 1, 3), (278, 4, 1, rows), (279, 4, len(strips), None)]
    body = b"II*\0" + struct.pack("<I", 0) + b"".join(strips)
    offsets = np.cumsum([8] + [len(s) for s in strips])[:-1].tolist()
    extra_at = len(body) + 2 + 12 * len(entries) + 4
    extra = struct.pack("<3H", bits, bits, bits) + struct.pack(f"<{len(strips)}I", *offsets) + \
        struct.pack(f"<{len(strips)}I", *[len(s) for s in strips])
    at = {258: extra_at, 273: extra_at + 6, 279: extra_at + 6 + 4 * len(strips)}
    ifd = struct.pack("<H", len(entries))
    for tag, typ, n, value in entries:
        if tag == 273 and len(strips) == 1:
            ifd += struct.pack("<HHII", tag, typ, n, offsets[0])
        elif tag == 279 and len(strips) == 1:
            ifd += struct.pack("<HHII", tag, typ, n, len(strips[0]))
        elif value is None:
            ifd += struct.pack("<HHII", tag, typ, n, at[tag])
        elif typ == 3:
            ifd += struct.pack("<HHIHH", tag, typ, n, value, 0)
        else:
            ifd += struct.pack("<HHII", tag, typ, n, value)
    data = bytearray(body + ifd + b"\0\0\0\0" + extra)
    struct.pack_into("<I", data, 4, len(body))
    return bytes(data)


def literals_only(raw: bytes) -> bytes:
    """PackBits that no common encoder writes: every byte a literal of one, a no-op (128) ahead."""
    return b"".join(b"\x80\x00" + raw[k:k + 1] for k in range(len(raw)))


# --- the two encoders' run choices ---------------------------------------------------------------

def pack(op: int, row: bytes) -> bytes:
    """One row coded by the op's encoder (``packbits.pack`` told the length it makes)."""
    pixels = np.frombuffer(row, np.uint8)
    made, n = packbits._pack(pixels, 0, len(row), 1 << 20, packbits.RULES[op])
    assert packbits.pack(op, pixels, 0, len(row), n) == made.tobytes()
    return made.tobytes()


@pytest.mark.parametrize("row,ffmpeg,libtiff", [
    (b"abbc", "03 61 62 62 63", "03 61 62 62 63"),  # a pair inside a literal stays in it (both)
    (b"abbccd", "05 61 62 62 63 63 64", "00 61 ff 62 ff 63 00 64"),  # libtiff merges one pair only
    (b"a" * 130, "82 61 fe 61", "81 61 ff 61"),  # runs of at most 127 (FFmpeg) or 128 (libtiff)
    (b"a" * 129 + b"b", "82 61 ff 61 00 62", "81 61 01 61 62"),
    (b"ab" * 70, "7e" + " 61 62" * 63 + " 61 0c" + " 62 61" * 6 + " 62",
     "7f" + " 61 62" * 64 + " 0b" + " 61 62" * 6),  # literals of at most 127 / 128 bytes
    (b"abb", "00 61 ff 62", "00 61 ff 62"),
    (b"xaaay", "00 78 fe 61 00 79", "00 78 fe 61 00 79"),
])
def test_each_encoder_makes_its_own_runs(row, ffmpeg, libtiff):
    assert pack(OP_PACKBITS_FFMPEG, row).hex(" ") == ffmpeg
    assert pack(OP_PACKBITS_LIBTIFF, row).hex(" ") == libtiff
    for op in (OP_PACKBITS_FFMPEG, OP_PACKBITS_LIBTIFF):
        made = pack(op, row)
        assert packbits.unpack(made, len(row)).tobytes() == row


def test_ffmpeg_tiffs_of_every_kind_need_no_control_bytes():
    rng = np.random.default_rng(2)
    for k, fmt in enumerate(["rgb24", "gray", "rgb48le", "rgba", "gray16le", "rgba64le"] * 4):
        w, h = int(rng.integers(1, 90)), int(rng.integers(1, 40))
        frame = av.VideoFrame(w, h, fmt)
        for plane in frame.planes:
            buf = np.frombuffer(plane, np.uint8)
            buf[:] = rng.integers(0, (2, 3, 256)[k % 3], buf.size, dtype=np.uint8)
            buf[:buf.size // 3] = buf[0]
        c = av.CodecContext.create("tiff", "w")
        c.width, c.height, c.pix_fmt = w, h, fmt
        data = bytes((c.encode(frame) + c.encode(None))[0])
        _, pixel_map, _ = tiff.layout(data, w, h)
        strips = [op for op in pixel_map[0::3] if op not in (0, OP_INFLATE)]
        assert strips and set(strips) == {OP_PACKBITS_FFMPEG}, (fmt, w, h, pixel_map)


def _libtiff():
    try:
        lib = ctypes.CDLL("libtiff.so.6")
    except OSError:
        pytest.skip("no libtiff.so.6 on this machine")
    lib.TIFFOpen.restype = ctypes.c_void_p
    lib.TIFFOpen.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
    lib.TIFFWriteEncodedStrip.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_void_p, ctypes.c_ssize_t]
    lib.TIFFClose.argtypes = [ctypes.c_void_p]
    return lib


def test_libtiffs_packbits_is_made_again_by_op_5(tmp_path):
    """libtiff itself (Pillow's, ImageMagick's and GIMP's TIFF writer) writes the files."""
    lib = _libtiff()
    rng = np.random.default_rng(1)
    ops = set()
    for k in range(60):
        h, w, spp = int(rng.integers(1, 30)), int(rng.integers(1, 70)), int(rng.choice([1, 3, 4]))
        img = rng.integers(0, int(rng.choice([2, 3, 256])), (h, w, spp)).astype(rng.choice([np.uint8, np.uint16]))
        img[:, :w // 2] = img[:, :1]
        rps = int(rng.integers(1, h + 1))
        t = lib.TIFFOpen(str(tmp_path / "a.tif").encode(), b"w")
        for tag, value in [(256, ctypes.c_uint32(w)), (257, ctypes.c_uint32(h)),
                           (258, ctypes.c_int(img.dtype.itemsize * 8)), (277, ctypes.c_int(spp)),
                           (259, ctypes.c_int(32773)), (262, ctypes.c_int(2 if spp > 1 else 1)),
                           (284, ctypes.c_int(1)), (278, ctypes.c_uint32(rps))]:
            assert lib.TIFFSetField(ctypes.c_void_p(t), ctypes.c_uint32(tag), value) == 1
        for s in range(-(-h // rps)):
            chunk = img[s * rps:(s + 1) * rps].tobytes()
            assert lib.TIFFWriteEncodedStrip(t, s, chunk, len(chunk)) >= 0
        lib.TIFFClose(t)
        _, pixel_map, _ = tiff.layout((tmp_path / "a.tif").read_bytes(), w, h)
        strips = {op for op in pixel_map[0::3] if op not in (0, OP_INFLATE)}
        assert strips <= {OP_PACKBITS_FFMPEG, OP_PACKBITS_LIBTIFF}, (k, pixel_map)  # often the same bytes
        ops |= strips
    assert OP_PACKBITS_LIBTIFF in ops


# --- the sizes, and the files back byte for byte (the issue's case) ------------------------------

def test_packbits_tiffs_cost_what_uncompressed_ones_cost(tmp_path):
    sizes = {}
    for compression in ("packbits", "raw"):
        folder = write_ffmpeg(tmp_path / compression, compression)
        out = tmp_path / f"{compression}.nlvc"
        stats = encode_file(str(folder), out, model="tiny", gop=2)
        sizes[compression] = (out.stat().st_size, stats.payload_bytes)
        decode_file(out, f"{tmp_path / (compression + '_out')}/")
        for f in folder.iterdir():
            assert (tmp_path / f"{compression}_out" / f.name).read_bytes() == f.read_bytes(), f.name
        with container.open(out) as r:
            assert r.version == (1, 4)
            records = [s for c in r.iter_clusters() for s in c.source_files]
        assert len(records) == 4
        if compression == "packbits":
            assert all(OP_PACKBITS_FFMPEG in s.pixel_map[0::3] and OP_PACKBITS not in s.pixel_map[0::3]
                       for s in records)
        report = check_file(str(out))
        assert report["ok"] and report["source_files"]["rebuilt"] == 4
    (packed, video), (plain, plain_video) = sizes["packbits"], sizes["raw"]
    assert video == plain_video  # the same pixels
    # the records of four files: some hundred bytes over the uncompressed TIFFs' (their IFDs
    # list more strip sizes), not the ~4 kB of control bytes per file that format 1.3 stored
    assert packed <= plain + 4 * 100, sizes
    assert packed - video <= 4 * 800, sizes


def test_packbits_no_encoder_makes_keeps_its_control_bytes_compressed(tmp_path):
    rgb = next(frames())
    raw = rgb.tobytes()
    rows, row = 12, W * 6
    strips = [literals_only(raw[k * row:(k + rows) * row]) for k in range(0, H, rows)]
    data = tiff_bytes(rgb, strips, rows)
    (tmp_path / "a.tif").write_bytes(data)
    record = record_for(tmp_path / "a.tif", planes_of(rgb), W, H)
    ops = record.pixel_map[0::3]
    assert ops[0] == OP_INFLATE and ops.count(OP_PACKBITS) == 3 and OP_PACKBITS_FFMPEG not in ops
    assert len(record.data) < 1000 < len(data) - len(raw)  # 2 x 1536 control bytes per row of strips
    assert rebuild(record, planes_of(rgb), W, H) == data


def test_records_of_format_1_3_still_rebuild():
    """Op 2 with its control bytes stored as they are, as 0.3 wrote every PackBits strip."""
    rgb = next(frames())
    c = av.CodecContext.create("tiff", "w")
    c.width, c.height, c.pix_fmt = W, H, "rgb48le"
    data = bytes((c.encode(av.VideoFrame.from_ndarray(rgb, format="rgb48le")) + c.encode(None))[0])
    packing, pixel_map, stored = tiff.layout(data, W, H)
    assert pixel_map[0] == OP_INFLATE
    stored = zlib.decompress(stored[:pixel_map[1]]) + stored[pixel_map[1]:]
    old_map, old_stored, at, pos = [], [], 0, 0
    for k in range(3, len(pixel_map), 3):
        op, length, start = pixel_map[k:k + 3]
        if op == OP_PACKBITS_FFMPEG:
            old_stored.append(_controls(data[pos:pos + length]))
            op = OP_PACKBITS
        else:
            old_stored.append(stored[at:at + length])
            at += length
        old_map += [op, length, start]
        pos += length
    old = SourceFile("a.tif", hashlib.md5(data).digest(), packing, old_map, b"".join(old_stored))
    assert rebuild(old, planes_of(rgb), W, H) == data


def _controls(strip: bytes) -> bytes:
    out, at = bytearray(), 0
    while at < len(strip):
        out.append(strip[at])
        at += strip[at] + 2 if strip[at] < 128 else 2
    return bytes(out)


# --- records that describe no file, and the version ----------------------------------------------

def test_a_damaged_record_is_one_error():
    rgb = next(frames())
    planes = planes_of(rgb)
    good = {"samples": "u16", "shift": 0, "byte_order": "le", "order": "2,0,1", "row_bytes": W * 6}
    strip = _pack_all(rgb.tobytes(), W * 6)
    assert rebuild(SourceFile("a.tif", bytes(16), good, [OP_PACKBITS_FFMPEG, len(strip), 0]), planes, W, H) == strip
    z = zlib.compress(b"header")
    assert rebuild(SourceFile("a.tif", bytes(16), good, [OP_INFLATE, len(z), 0, 0, 6, 0], z), planes, W, H) == b"header"
    bomb = zlib.compress(bytes(1 << 20))
    for pixel_map, data in [([OP_PACKBITS_FFMPEG, len(strip) - 1, 0], b""),  # the rows end elsewhere
                            ([OP_PACKBITS_LIBTIFF, len(strip) + 10 ** 6, 0], b""),  # past the pixels
                            ([OP_INFLATE, 4, 0, 0, 6, 0], b"junk"), ([OP_INFLATE, len(z) - 1, 0, 0, 6, 0], z),
                            ([OP_INFLATE, len(bomb), 0, 0, 6, 0], bomb), ([7, 1, 0], b"")]:
        with pytest.raises(RebuildError):
            rebuild(SourceFile("a.tif", bytes(16), good, pixel_map, data), planes, W, H)


def _pack_all(raw: bytes, row: int) -> bytes:
    """Each row of ``raw`` coded by FFmpeg's rule, one at a time."""
    return b"".join(pack(OP_PACKBITS_FFMPEG, raw[k:k + row]) for k in range(0, len(raw), row))


def test_the_version_says_which_ops_a_map_may_use():
    setup = CodecSetup("m", "ab" * 32, "residual-mod256-v1", 1, 4)
    video = VideoTrack(number=1, width=4, height=2, pix_fmt="gray", bit_depth=8, time_base=(1, 25))
    record = SourceFile("a.tif", bytes(16), {"samples": "u8", "byte_order": "le", "order": "0", "row_bytes": 4},
                        [OP_PIXELS, 8, 0])
    for declared, version in [(True, (1, 3)), (3, (1, 3)), (4, (1, 4))]:
        buf = io.BytesIO()
        with container.open(buf, "w", codec_setup=setup, tracks=[video], source_files=declared) as w:
            w.write_cluster(Cluster(0, [0], "I", [bytes(16)], b"p", source_files=[record]))
        with container.open(io.BytesIO(buf.getvalue())) as r:
            assert r.version == version and next(r.iter_clusters()).source_files == [record]
    with pytest.raises(ValueError, match="source_files must be"):
        container.open(io.BytesIO(), "w", codec_setup=setup, tracks=[video], source_files=5)
    assert (map_version([]), map_version([Path("a.dpx"), Path("b.TIF")])) == (0, 4)  # a TIFF: 1.4
