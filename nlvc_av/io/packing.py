"""Sample packings of image files, both ways (numpy only): a frame's planes -> the bytes a DPX
or TIFF file stores them as (:func:`pixel_stream`), and back (:func:`unpack`).

The packing is a dict of SourcePacking params (FORMAT.md 6.2): ``samples`` says how each
component is stored, ``order`` which planes the file's components are (in file order),
``byte_order`` the order of the bytes in a 16- or 32-bit word, ``row_bytes`` the bytes of a
row (0: the image is one stream of samples, its rows not aligned), ``bits`` the bits of a
sample where ``samples`` does not say it:

- ``u8``: a byte per sample; ``u16``: a 16-bit word per sample, shifted left by ``shift``;
- ``10a`` / ``10b``: three 10-bit samples per 32-bit word (DPX filled, method A: bits 31-2;
  B: bits 29-0), the first in the high bits, or in the low bits with ``first=low`` (the luma
  files of Lasergraphics and Scanity scanners);
- ``u32``: a 32-bit word per sample (EXR FLOAT and UINT, TIFF 32-bit);
- ``lsb32``: ``bits``-bit samples one after another from the low bit of 32-bit words up (DPX
  packing 0 of 10 and 12 bits); ``msb8``: ``bits``-bit samples from the high bit of each byte
  down (TIFF: 1 to 32 bits).

``interleave`` says how a row holds its components: ``pixel`` (the default: pixel by pixel),
``line`` (each component's samples of the row one after another: EXR), ``plane`` (each
component's whole image one after another, each row padded alone: planar TIFF), ``422`` (pairs
of pixels of a 4:2:2 frame, four samples each, ``order`` naming plane 0 twice: its even then its
odd pixel; ``1,0,2,0`` is UYVY and, as ``10b`` little-endian words with ``first=low``, v210),
``semiplanar`` (1.8: the rows of the plane ``order`` names first, then the rows of the other two
planes' samples in pairs, in ``order``'s order: ``0,1,2`` is nv12, ``0,2,1`` nv21; ``chroma``
``420`` (the default: half as many pair rows, rounded up) or ``422`` (as many); every row
``row_bytes``; the width even). Samples of
more than 16 bits are coded as two 16-bit samples: with ``split=1`` the frame is twice the
image's height, the samples' high bits in its top half and their low 16 bits in its bottom half.

Every packing is a bijection between the samples and the packed bits that are not padding, so
``unpack(pixel_stream(planes)) == planes``; the padding bits are not samples (a file whose
padding is not zero keeps it as a patch, :mod:`nlvc_av.io.rebuild`).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .rebuild_ops import RebuildError

BIT_PACKED = ("lsb32", "msb8")
MAX_ROW_PADDING = 1 << 16  # bytes a row may end with (DPX end-of-line padding)


def components(packing: dict) -> list[int]:
    return [int(k) for k in str(packing["order"]).split(",")]


def sample_bits(packing: dict) -> int:
    """Bits of one stored sample (what the frame's planes hold)."""
    samples = packing["samples"]
    if samples == "u8":
        return 8
    if samples in ("10a", "10b"):
        return 10
    if samples == "u16":
        return int(packing.get("bits", 16 - int(packing.get("shift", 0))))
    if samples == "u32":
        return 32
    return int(packing["bits"])


def frame_bits(packing: dict) -> int:
    """Bits of a sample of the frame (16 for split samples)."""
    return 16 if int(packing.get("split", 0)) else sample_bits(packing)


def _word_dtype(packing: dict, size: int) -> str:
    return (">" if packing["byte_order"] == "be" else "<") + f"u{size}"


def _bits_of(values: np.ndarray, bits: int, msb_first: bool) -> np.ndarray:
    """The low ``bits`` bits of each value, as a flat array of 0/1 (in stream order)."""
    as_bytes = values.astype("<u4").view(np.uint8).reshape(-1, 4)
    bitmap = np.unpackbits(as_bytes, axis=1, bitorder="little")[:, :bits]
    return (bitmap[:, ::-1] if msb_first else bitmap).reshape(-1)


def _values_of(stream: np.ndarray, count: int, bits: int, msb_first: bool) -> np.ndarray:
    bitmap = stream[:count * bits].reshape(count, bits)
    if msb_first:
        bitmap = bitmap[:, ::-1]
    padded = np.zeros((count, 32), np.uint8)
    padded[:, :bits] = bitmap
    return np.packbits(padded, axis=1, bitorder="little").view("<u4").reshape(count)


def _pack_bits(samples: np.ndarray, bits: int, kind: str, packing: dict) -> np.ndarray:
    """One row (or the whole image) of samples as bytes, padded to a word (lsb32) or byte."""
    msb = kind == "msb8"
    stream = _bits_of(samples, bits, msb)
    unit = 32 if kind == "lsb32" else 8
    stream = np.concatenate([stream, np.zeros(-len(stream) % unit, np.uint8)])
    data = np.packbits(stream, bitorder="big" if msb else "little")
    if kind == "lsb32" and packing["byte_order"] == "be":
        data = data.view("<u4").astype(">u4").view(np.uint8)
    return data


def _unpack_bits(data: np.ndarray, count: int, bits: int, kind: str, packing: dict) -> np.ndarray:
    msb = kind == "msb8"
    if kind == "lsb32":
        data = data[:len(data) - len(data) % 4]
        if packing["byte_order"] == "be":
            data = data.view(">u4").astype("<u4").view(np.uint8)
    stream = np.unpackbits(data, bitorder="big" if msb else "little")
    if len(stream) < count * bits:
        raise RebuildError(f"the image data holds {len(stream) // bits} samples, the frame {count}")
    return _values_of(stream, count, bits, msb)


def _encode_rows(rows: np.ndarray, packing: dict) -> np.ndarray:
    """Rows of samples (height x samples per row, uint32) -> packed bytes per row (2-D)."""
    height = rows.shape[0]
    samples = packing["samples"]
    if samples == "u8":
        return rows.astype(np.uint8)
    if samples == "u16":
        return (rows << int(packing.get("shift", 0))).astype(_word_dtype(packing, 2)).view(np.uint8)
    if samples == "u32":
        return rows.astype(_word_dtype(packing, 4)).view(np.uint8).reshape(height, -1)
    if samples in ("10a", "10b"):
        rows = np.pad(rows, ((0, 0), (0, -rows.shape[1] % 3))).reshape(height, -1, 3)
        low = 2 if samples == "10a" else 0
        first, third = (rows[..., 2], rows[..., 0]) if packing.get("first") == "low" else (rows[..., 0], rows[..., 2])
        words = (first << (20 + low)) | (rows[..., 1] << (10 + low)) | (third << low)
        return words.astype(_word_dtype(packing, 4)).view(np.uint8).reshape(height, -1)
    if samples in BIT_PACKED:
        return np.stack([_pack_bits(r, int(packing["bits"]), samples, packing) for r in rows])
    raise RebuildError(f"unknown sample packing {samples!r}")


def pixel_stream(planes: Sequence[np.ndarray], packing: dict, width: int, height: int) -> bytes:
    """The frame's samples packed as the source file packed them (the module docstring)."""
    order = components(packing)
    if any(not 0 <= k < len(planes) for k in order):
        raise RebuildError(f"packing order {packing['order']} names planes the frame does not have")
    columns = [np.asarray(planes[k], np.uint32) for k in order]
    if int(packing.get("split", 0)):  # the frame's top half: the high bits; its bottom half: the low 16
        height //= 2
        columns = [(c[:height] << 16) | c[height:2 * height] for c in columns]
    rows = _rows(columns, packing, height, width)
    height = rows.shape[0]
    row_bytes = int(packing["row_bytes"])
    if row_bytes == 0:  # one stream of samples, rows not aligned
        if packing["samples"] not in BIT_PACKED + ("10a", "10b"):
            raise RebuildError(f"unaligned rows of {packing['samples']} samples")
        return _encode_rows(rows.reshape(1, -1), packing).tobytes()
    data = _encode_rows(rows, packing).reshape(height, -1)
    if not data.shape[1] <= row_bytes < data.shape[1] + 4 + MAX_ROW_PADDING:  # word alignment + DPX's padding
        raise RebuildError(f"a row of pixels takes {data.shape[1]} bytes, the file's rows {row_bytes}")
    out = np.zeros((height, row_bytes), np.uint8)
    out[:, :data.shape[1]] = data
    return out.tobytes()


def _pair_rows(packing: dict, height: int) -> int:
    """``interleave=semiplanar``: rows of chroma pairs below the ``height`` rows of the first plane."""
    chroma = str(packing.get("chroma", "420"))
    if chroma not in ("420", "422"):
        raise RebuildError(f"unknown semi-planar chroma {chroma!r}")
    return -(-height // 2) if chroma == "420" else height


def _file_height(packing: dict, height: int) -> int:
    """Rows of the pixel stream for a frame ``height`` rows tall (a split frame is twice the
    image's height; planar rows are each component's; semi-planar: the first plane's, then the pairs')."""
    height = height // 2 if int(packing.get("split", 0)) else height
    if packing.get("interleave") == "semiplanar":
        return height + _pair_rows(packing, height)
    return height * len(components(packing)) if packing.get("interleave") == "plane" else height


def _rows(columns: list[np.ndarray], packing: dict, height: int, width: int) -> np.ndarray:
    """The components (height x width each) as rows of samples in file order: pixel by pixel,
    or with ``interleave=line`` each component's samples of the row one after another."""
    if packing.get("interleave", "pixel") == "line":
        return np.concatenate(columns, axis=1)
    if packing.get("interleave", "pixel") == "plane":
        return np.concatenate(columns, axis=0)
    if packing.get("interleave", "pixel") == "422":  # pairs of pixels: plane 0 twice (even, odd pixel)
        order, seen, parts = components(packing), 0, []
        for k, c in zip(order, columns):
            parts.append(c[:, seen::2] if k == 0 else c)
            seen += k == 0
        if seen != 2 or len(order) != 4 or any(p.shape != (height, width // 2) for p in parts):
            raise RebuildError(f"4:2:2 pairs of order {packing['order']} over a {width}x{height} frame")
        return np.stack(parts, axis=-1).reshape(height, width * 2)
    if packing.get("interleave", "pixel") == "semiplanar":  # the first plane's rows, then rows of pairs
        pairs = _pair_rows(packing, height)
        if len(columns) != 3 or width % 2 or columns[0].shape != (height, width) \
                or any(c.shape != (pairs, width // 2) for c in columns[1:]):
            raise RebuildError(f"semi-planar planes of order {packing['order']} over a {width}x{height} frame")
        return np.concatenate([columns[0], np.stack(columns[1:], axis=-1).reshape(pairs, width)])
    if packing.get("interleave", "pixel") != "pixel":
        raise RebuildError(f"unknown interleave {packing['interleave']!r}")
    return np.stack(columns, axis=-1).reshape(height, width * len(columns))


def stream_size(packing: dict, width: int, height: int) -> int:
    """Bytes of the pixel stream :func:`pixel_stream` makes."""
    row_bytes = int(packing["row_bytes"])
    if row_bytes:
        return row_bytes * _file_height(packing, height)
    count = width * _file_height(packing, height) * len(components(packing))
    if packing.get("interleave") == "semiplanar":  # (each row: width samples)
        count //= len(components(packing))
    if packing.get("interleave") == "422":
        count //= 2
    if packing.get("interleave") == "plane":
        count //= len(components(packing))
    if packing["samples"] in ("10a", "10b"):
        return -(-count // 3) * 4
    if packing["samples"] in ("u8", "u16", "u32"):
        return count * {"u8": 1, "u16": 2, "u32": 4}[packing["samples"]]
    unit = 32 if packing["samples"] == "lsb32" else 8
    return -(-count * int(packing["bits"]) // unit) * unit // 8


def _decode_rows(data: np.ndarray, packing: dict, count: int) -> np.ndarray:
    """Packed bytes (2-D: rows) -> samples (rows x count, uint32)."""
    samples = packing["samples"]
    if samples == "u8":
        return data[:, :count].astype(np.uint32)
    if samples == "u16":
        words = np.ascontiguousarray(data[:, :count * 2]).view(_word_dtype(packing, 2)).astype(np.uint32)
        return (words >> int(packing.get("shift", 0))) & ((1 << sample_bits(packing)) - 1)
    if samples == "u32":
        return np.ascontiguousarray(data[:, :count * 4]).view(_word_dtype(packing, 4)).astype(np.uint32)
    if samples in ("10a", "10b"):
        n = -(-count // 3)
        words = np.ascontiguousarray(data[:, :n * 4]).view(_word_dtype(packing, 4)).astype(np.uint32)
        low = 2 if samples == "10a" else 0
        parts = [(words >> (20 + low)) & 0x3FF, (words >> (10 + low)) & 0x3FF, (words >> low) & 0x3FF]
        if packing.get("first") == "low":
            parts.reverse()
        return np.stack(parts, axis=-1).reshape(data.shape[0], -1)[:, :count]
    if samples in BIT_PACKED:
        return np.stack([_unpack_bits(r, count, int(packing["bits"]), samples, packing) for r in data])
    raise RebuildError(f"unknown sample packing {samples!r}")


def unpack(stream: bytes, packing: dict, width: int, height: int, planes: int) -> list[np.ndarray]:
    """The frame's planes (uint8 for 8-bit samples, else uint16) from the packed pixel stream."""
    order = components(packing)
    n = len(order)
    if len(stream) < stream_size(packing, width, height):
        raise RebuildError(f"the image data is cut ({len(stream)} bytes, the image takes "
                           f"{stream_size(packing, width, height)})")
    data = np.frombuffer(stream, np.uint8)
    row_bytes = int(packing["row_bytes"])
    rows = _file_height(packing, height)
    interleave = packing.get("interleave", "pixel")
    per_row = width if interleave in ("plane", "semiplanar") else width * 2 if interleave == "422" else width * n
    if row_bytes:
        samples = _decode_rows(data[:row_bytes * rows].reshape(rows, row_bytes), packing, per_row)
    else:
        samples = _decode_rows(data.reshape(1, -1), packing, per_row * rows)
    image_height = rows // n if interleave == "plane" else rows
    if interleave == "semiplanar":
        return _unpack_semiplanar(samples, order, width, height, planes, frame_bits(packing))
    if interleave == "422":
        return _unpack_422(samples, order, width, rows, planes, np.uint8 if frame_bits(packing) <= 8 else np.uint16)
    if interleave == "line":
        samples = samples.reshape(image_height, n, width).transpose(0, 2, 1)
    elif interleave == "plane":
        samples = samples.reshape(n, image_height, width).transpose(1, 2, 0)
    else:
        samples = samples.reshape(image_height, width, n)
    if int(packing.get("split", 0)):
        samples = np.concatenate([samples >> 16, samples & 0xFFFF])
    dtype = np.uint8 if frame_bits(packing) <= 8 else np.uint16
    out = [np.zeros(samples.shape[:2], dtype) for _ in range(planes)]
    for i, k in enumerate(order):
        out[k] = samples[..., i].astype(dtype)
    return out


def _unpack_422(samples: np.ndarray, order: list[int], width: int, height: int, planes: int,
                dtype) -> list[np.ndarray]:
    """``interleave=422`` rows (pairs of pixels: two chroma samples and plane 0 twice) -> the
    4:2:2 planes."""
    if sorted(order) != [0, 0, 1, 2] or planes != 3 or width % 2:
        raise RebuildError(f"4:2:2 pairs of order {','.join(map(str, order))} over a frame {width} wide")
    samples = samples.reshape(height, width // 2, 4)
    out = [np.zeros((height, width), dtype), np.zeros((height, width // 2), dtype), np.zeros((height, width // 2), dtype)]
    seen = 0
    for i, k in enumerate(order):
        if k == 0:
            out[0][:, seen::2] = samples[..., i]
            seen += 1
        else:
            out[k][:] = samples[..., i]
    return out


def _unpack_semiplanar(samples: np.ndarray, order: list[int], width: int, height: int, planes: int,
                       bits: int) -> list[np.ndarray]:
    """``interleave=semiplanar`` rows (the first plane's, then pairs of the other two) -> the planes."""
    if sorted(order) != [0, 1, 2] or planes != 3 or width % 2:
        raise RebuildError(f"semi-planar planes of order {','.join(map(str, order))} over a frame {width} wide")
    dtype = np.uint8 if bits <= 8 else np.uint16
    pairs = samples[height:].reshape(-1, width // 2, 2)
    out = [np.zeros(0, dtype)] * 3
    out[order[0]] = samples[:height].astype(dtype)
    out[order[1]], out[order[2]] = pairs[..., 0].astype(dtype), pairs[..., 1].astype(dtype)
    return out
