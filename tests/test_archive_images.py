"""Every image flavour of a film archive, read by NLVC itself and rebuilt byte for byte (format
1.4): DPX 10/12-bit packed (packing 0), 10-bit luma filled with the first sample low
(Lasergraphics, Scanity) and its rows not word-aligned, alpha only, non-zero padding bits (the
patch op), an image offset of 0 in the generic header; uncompressed EXR, half and float, coded
as the integers their bits are; a single image file as the input; RAWcooked's own files when
../shared/data is there."""
from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

import container
from nlvc_av.io import dpx, exr, packing
from nlvc_av.io.rebuild import OP_PATCH, rebuild, with_patch
from nlvc_av.transcode import decode_file, encode_file
from nlvc_av.verify import check_file

ARCHIVE = Path(__file__).resolve().parents[2] / "shared" / "data" / "archive" / "Formats"


def dpx_bytes(width, height, descriptor, bits, packing_code, samples, *, big=True, first_low=False,
              aligned=True, trailing=b"", offset_field=True) -> bytes:
    """A DPX file: a 2048-byte header with the fields the readers use, then ``samples`` (rows x
    components) packed as the header says."""
    e = ">" if big else "<"
    header = bytearray(2048)
    header[:4] = b"SDPX" if big else b"XPDS"
    struct.pack_into(e + "I", header, 4, 2048 if offset_field else 0)
    header[8:12] = b"V2.0"
    struct.pack_into(e + "HHII", header, 768, 0, 1, width, height)
    header[800], header[803] = descriptor, bits
    struct.pack_into(e + "HHI", header, 804, packing_code, 0, 2048)
    kind = {(10, 1): "10a", (10, 2): "10b", (10, 0): "lsb32", (12, 0): "lsb32", (8, 0): "u8", (16, 0): "u16"}
    params = {"samples": kind[bits, packing_code], "bits": bits, "byte_order": "be" if big else "le",
              "order": ",".join(map(str, range(samples.shape[2]))), "row_bytes": 0, "shift": 0}
    if first_low:
        params["first"] = "low"
    if aligned:
        params["row_bytes"] = -(-packing.stream_size({**params, "row_bytes": 0}, width, 1) // 4) * 4
    planes = [samples[..., k] for k in range(samples.shape[2])]
    return bytes(header) + packing.pixel_stream(planes, params, width, height) + trailing


def random_image(rng, width, height, components, bits):
    base = np.add.outer(np.arange(height), np.arange(width)) * 37 % (1 << bits)
    noise = rng.integers(0, 4, (height, width, components))
    return ((base[..., None] + noise) % (1 << bits)).astype(np.uint16)


CASES = {
    "rgb12-packed": (50, 12, 0, 3, {}),
    "rgb10-packed": (50, 10, 0, 3, {}),
    "luma10-filledA-lasergraphics": (6, 10, 1, 1, {"first_low": True, "aligned": False}),
    "luma10-filledB-scanity": (6, 10, 2, 1, {"first_low": True}),
    "alpha8": (4, 8, 0, 1, {}),
    "rgba12-packed-le": (51, 12, 0, 4, {"big": False}),
    "luma8-offset-0": (6, 8, 0, 1, {"offset_field": False}),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_dpx_flavour_comes_back_byte_for_byte(tmp_path, case):
    descriptor, bits, code, components, options = CASES[case]
    folder = tmp_path / "scans"
    folder.mkdir()
    rng = np.random.default_rng(len(case))
    for k in range(3):
        (folder / f"reel_{k + 1:04d}.dpx").write_bytes(
            dpx_bytes(13, 6, descriptor, bits, code, random_image(rng, 13, 6, components, bits),
                      trailing=b"end" * k, **options))
    encode_file(str(folder), tmp_path / "a.nlvc", model="tiny", gop=2)
    with container.open(tmp_path / "a.nlvc") as r:
        assert r.version >= (1, 4)
    decode_file(tmp_path / "a.nlvc", f"{tmp_path / 'out'}/")
    for f in sorted(folder.iterdir()):
        assert (tmp_path / "out" / f.name).read_bytes() == f.read_bytes(), f.name
    assert check_file(str(tmp_path / "a.nlvc"))["source_files"]["rebuilt"] == 3


def test_padding_bits_are_a_patch_and_the_samples_read_as_ffmpeg_does():
    samples = random_image(np.random.default_rng(1), 7, 4, 1, 10)
    data = bytearray(dpx_bytes(7, 4, 6, 10, 1, samples, first_low=True))
    data[2048 + 3] |= 3  # the first word's two padding bits
    image, planes = dpx.read_image(bytes(data))
    assert np.array_equal(planes[0], samples[..., 0])  # the first sample is the word's low one
    pk, pixel_map, stored = dpx.layout(bytes(data), 7, 4)
    pixel_map, stored = with_patch(pixel_map, stored, packing.pixel_stream(planes, pk, 7, 4), bytes(data))
    assert OP_PATCH in pixel_map[::3]
    record = container.SourceFile("a.dpx", bytes(16), pk, pixel_map, stored)
    assert rebuild(record, planes, 7, 4) == bytes(data)


def exr_bytes(width, height, channels: list[str], kind: int, values: np.ndarray) -> bytes:
    """An uncompressed scan-line EXR: header, offset table, then one chunk per line (channels in
    the file's order, each its row of samples)."""
    def attr(name, typ, value):
        return name.encode() + b"\0" + typ.encode() + b"\0" + struct.pack("<i", len(value)) + value
    chlist = b"".join(c.encode() + b"\0" + struct.pack("<iB3xii", kind, 0, 1, 1) for c in channels) + b"\0"
    header = b"v/1\x01" + bytes([2, 0, 0, 0]) + attr("channels", "chlist", chlist) + \
        attr("compression", "compression", b"\0") + attr("dataWindow", "box2i", struct.pack("<4i", 0, 0, width - 1, height - 1)) + \
        attr("displayWindow", "box2i", struct.pack("<4i", 0, 0, width - 1, height - 1)) + \
        attr("lineOrder", "lineOrder", b"\0") + b"\0"
    size = 2 if kind == 1 else 4
    line = width * len(channels) * size
    start = len(header) + 8 * height
    table = b"".join(struct.pack("<Q", start + y * (8 + line)) for y in range(height))
    dtype = "<u2" if size == 2 else "<u4"
    chunks = b"".join(struct.pack("<ii", y, line) + values[y].astype(dtype).tobytes() for y in range(height))
    return header + table + chunks


@pytest.mark.parametrize("kind,channels", [(1, ["B", "G", "R"]), (2, ["A", "B", "G", "R"]), (1, ["Y"])])
def test_exr_comes_back_byte_for_byte(tmp_path, kind, channels):
    rng = np.random.default_rng(kind)
    width, height = 9, 5
    folder = tmp_path / "exr"
    folder.mkdir()
    for k in range(2):
        if kind == 1:  # half: smooth values, and a NaN, an infinity and a negative zero
            values = np.float16(rng.random((height, len(channels) * width))).view(np.uint16).copy()
            values[0, :3] = [0x7E01, 0x7C00, 0x8000]
        else:
            values = np.float32(rng.random((height, len(channels) * width))).view(np.uint32).copy()
            values[0, 0] = 0x7FC00001
        (folder / f"shot_{k:03d}.exr").write_bytes(exr_bytes(width, height, channels, kind, values))
    encode_file(str(folder), tmp_path / "a.nlvc", model="tiny")
    decode_file(tmp_path / "a.nlvc", f"{tmp_path / 'out'}/")
    for f in sorted(folder.iterdir()):
        assert (tmp_path / "out" / f.name).read_bytes() == f.read_bytes(), f.name
    image = exr.read_layout((folder / "shot_000.exr").read_bytes())
    assert image.height == (height if kind == 1 else 2 * height)  # 32-bit samples: two 16-bit halves


def test_a_single_image_file_is_a_sequence_of_one(tmp_path, cli_env):
    import subprocess
    import sys

    f = tmp_path / "scan.dpx"  # no frame number in the name
    f.write_bytes(dpx_bytes(8, 4, 50, 12, 0, random_image(np.random.default_rng(3), 8, 4, 3, 12)))
    run = [sys.executable, "-c", "from nlvc_av.cli import main; main()"]
    r = subprocess.run(run + [str(f), str(tmp_path / "a.nlvc"), "--model", "tiny", "-q"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    r = subprocess.run(run + [str(tmp_path / "a.nlvc"), f"{tmp_path / 'out'}/", "-q"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "out" / "scan.dpx").read_bytes() == f.read_bytes()


@pytest.mark.skipif(not ARCHIVE.is_dir(), reason="../shared/data/archive is not here")
def test_every_archive_dpx_tiff_and_exr_file_is_read_and_rebuilt():
    from nlvc_av.io import tiff

    files = sorted(ARCHIVE.glob("DPX/**/*.dpx")) + sorted(ARCHIVE.glob("EXR/Flavors/**/*.exr")) + \
        sorted(ARCHIVE.glob("TIFF/**/*.tif*"))
    assert len(files) >= 140
    for f in files:
        data = f.read_bytes()
        reader = {".dpx": dpx, ".exr": exr}.get(f.suffix, tiff)
        image, planes = reader.read_image(data)
        pk, pixel_map, stored = reader.layout(data, image.width, image.height)
        pixel_map, stored = with_patch(pixel_map, stored, packing.pixel_stream(planes, pk, image.width, image.height),
                                       data)
        record = container.SourceFile(f.name, bytes(16), pk, pixel_map, stored)
        assert rebuild(record, planes, image.width, image.height) == data, f


def test_pixels_only_is_refused_where_ffmpeg_cannot_write_the_pixels_back():
    from nlvc_av.errors import InputError
    from nlvc_av.io.imagewrite import check_pixels_writable

    check_pixels_writable(Path("a.tif"), "rgb24")
    with pytest.raises(InputError, match="cannot write gray10le as .dpx"):  # 0.3 accepted, then could not restore
        check_pixels_writable(Path("a.dpx"), "gray10le")
    with pytest.raises(InputError, match="cannot write gbrp16le as .exr"):
        check_pixels_writable(Path("a.exr"), "gbrp16le")


def test_allow_gaps_with_digit_only_names(tmp_path):
    """0.3: 'g/000001.tif: no such file' (the folder lost its slash in the glob pattern)."""
    from test_imageseq import write_sequence

    folder = write_sequence(tmp_path / "g", "tiff", "rgb24", "tif", count=3, first=1, name="%06d")
    (folder / "000002.tif").unlink()
    encode_file(str(folder), tmp_path / "a.nlvc", model="tiny", allow_gaps=True)
    decode_file(tmp_path / "a.nlvc", f"{tmp_path / 'out'}/")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["000001.tif", "000003.tif"]
    for name in ("000001.tif", "000003.tif"):
        assert (tmp_path / "out" / name).read_bytes() == (folder / name).read_bytes()


def tiff_bytes(width, height, photometric, bits, samples: np.ndarray, *, planar=False, big=True,
               sample_format=1) -> bytes:
    """An uncompressed TIFF in one strip (or one per plane), packed as TIFF packs ``bits``-bit
    samples; a palette file gets a colour map."""
    from nlvc_av.io.tiff import COMPONENTS

    e = ">" if big else "<"
    spp = samples.shape[2]
    order = COMPONENTS[photometric, spp][0]
    params = {"samples": {8: "u8", 16: "u16", 32: "u32"}.get(bits, "msb8"), "bits": bits, "shift": 0,
              "byte_order": "be" if big else "le", "order": order,
              "row_bytes": -(-width * (1 if planar else spp) * bits // 8)}
    if planar:
        params["interleave"] = "plane"
    frame = samples
    if bits > 16:
        params["split"] = 1
        frame = np.concatenate([samples >> 16, samples & 0xFFFF])
    planes = [np.zeros(frame.shape[:2], np.uint32) for _ in range(4)]
    for i, k in enumerate(int(k) for k in order.split(",")):
        planes[k] = frame[..., i]
    pixels = packing.pixel_stream(planes, params, width, frame.shape[0])
    strips = spp if planar else 1
    entries = [(256, 3, [width]), (257, 3, [height]), (258, 3, [bits] * spp), (259, 3, [1]), (262, 3, [photometric]),
               (273, 4, [0] * strips), (277, 3, [spp]), (278, 3, [height]),
               (279, 4, [len(pixels) // strips] * strips), (284, 3, [2 if planar else 1]), (339, 3, [sample_format] * spp)]
    if photometric == 3:
        entries.append((320, 3, list(range(3 << bits))))
    ifd_at, values_at = 8, 8 + 2 + 12 * len(entries) + 4
    extra, fields = bytearray(), []
    for tag, typ, vals in entries:
        size = 2 if typ == 3 else 4
        fields.append((tag, typ, vals, len(vals) * size <= 4, values_at + len(extra)))
        if len(vals) * size > 4:
            extra += struct.pack(f"{e}{len(vals)}{'H' if typ == 3 else 'I'}", *vals)
    data_at = values_at + len(extra)
    out = bytearray(b"MM\0*" if big else b"II*\0") + struct.pack(e + "I", ifd_at) + struct.pack(e + "H", len(entries))
    for tag, typ, vals, inline, where in fields:
        if tag == 273:
            vals = [data_at + k * len(pixels) // strips for k in range(strips)]
            if not inline:
                extra[where - values_at:where - values_at + 4 * strips] = struct.pack(f"{e}{strips}I", *vals)
        code = "H" if typ == 3 else "I"
        body = struct.pack(f"{e}{len(vals)}{code}", *vals).ljust(4, b"\0") if inline else struct.pack(e + "I", where)
        out += struct.pack(e + "HHI", tag, typ, len(vals)) + body
    return bytes(out + struct.pack(e + "I", 0) + extra + pixels)


TIFF_CASES = {
    "rgb16-planar": (2, 16, 3, {"planar": True}),
    "gray12": (1, 12, 1, {}),
    "palette4": (3, 4, 1, {}),
    "cmyk8-planar-le": (5, 8, 4, {"planar": True, "big": False}),
    "gray-float32": (1, 32, 1, {"sample_format": 3}),
    "rgb24bit": (2, 24, 3, {}),
}


@pytest.mark.parametrize("case", sorted(TIFF_CASES))
def test_tiff_flavour_comes_back_byte_for_byte(tmp_path, case):
    photometric, bits, spp, options = TIFF_CASES[case]
    rng = np.random.default_rng(bits)
    folder = tmp_path / "tiffs"
    folder.mkdir()
    for k in range(2):
        samples = random_image(rng, 11, 6, spp, min(bits, 16)).astype(np.uint32)
        if bits > 16:
            samples = (samples << (bits - 16)) | rng.integers(0, 1 << (bits - 16), samples.shape).astype(np.uint32)
        (folder / f"page{k}.tif").write_bytes(tiff_bytes(11, 6, photometric, bits, samples, **options))
    image, planes = __import__("nlvc_av.io.tiff", fromlist=["read_image"]).read_image((folder / "page0.tif").read_bytes())
    assert image.height == (12 if bits > 16 else 6)
    encode_file(str(folder), tmp_path / "a.nlvc", model="tiny")
    decode_file(tmp_path / "a.nlvc", f"{tmp_path / 'out'}/")
    for f in sorted(folder.iterdir()):
        assert (tmp_path / "out" / f.name).read_bytes() == f.read_bytes(), f.name
