"""Source files rebuilt byte for byte from the decoded frame (FORMAT.md 6.2; numpy; numba for PackBits).

A DPX or TIFF file is its non-pixel bytes (headers, user data, gaps, trailing bytes) and its
pixels, packed as the file packs them. :func:`record_for` splits a source file into those (the
format's own module, :mod:`nlvc_av.io.dpx` or :mod:`nlvc_av.io.tiff`, says where the pixels are
and how they are packed), re-packs the frame's planes, and checks that the rebuild is the file,
byte for byte; :func:`rebuild` is the way back::

    record = record_for(path, planes, width, height)     # container.SourceFile, or RebuildError
    data = rebuild(record, planes, width, height)        # == the file's bytes

The pixel stream is ``height`` rows of ``row_bytes`` bytes: each row the components of its
pixels in the file's order (``order``: indices into the codec's planes), packed as ``samples``
says (``u8``; ``u16`` shifted left by ``shift``; ``10a``/``10b``: three 10-bit datums per 32-bit
word, DPX method A or B), in ``byte_order``, then zeros up to ``row_bytes``. The map rebuilds the
file from that stream and the stored bytes, one (op, length, pixel offset) triple at a time:
op 0 copies ``length`` stored bytes; op 1 copies ``length`` pixel bytes from the offset; op 2
is a PackBits-coded strip of ``length`` file bytes, its control bytes stored, its literal and
run bytes taken from the pixel stream from the offset. Ops 4 and 5 (1.4) are such a strip made
from whole rows of the pixel stream by FFmpeg's or libtiff's PackBits encoder
(:mod:`nlvc_av.io.packbits`), nothing stored; op 6 (1.4): the next ``length`` stored bytes are
a zlib stream, and the ops after it read the stored bytes from what it inflates to.
"""
from __future__ import annotations

import hashlib
import logging
import zlib
from pathlib import Path
from typing import Sequence

import numpy as np

from container import SourceFile

from ..errors import InputError
from . import packbits
from .rebuild_ops import OP_INFLATE, OP_SOUND
from .packing import pixel_stream
from .rebuild_ops import OP_PACKBITS, OP_PATCH, OP_PIXELS, OP_STORED, RebuildError  # noqa: F401 (re-exported)

REBUILT = (".dpx", ".tif", ".tiff", ".exr")
log = logging.getLogger("nlvc_av")


def splice(pixel_map: Sequence[int], stored: bytes, pixels: bytes, row_bytes: int = 0, sound=None) -> bytes:
    """The file: the map's ops over the stored bytes and the pixel stream (rows of ``row_bytes``),
    in file order; ``sound``: the stream op 7 copies from (1.6: an AVI's PCM)."""
    out, at = [], 0
    for k in range(0, len(pixel_map), 3):
        op, length, start = pixel_map[k:k + 3]
        if op == OP_STORED:
            out.append(stored[at:at + length])
            at += length
        elif op == OP_PIXELS:
            out.append(pixels[start:start + length])
        elif op == OP_PACKBITS:
            at = _packbits(out, length, stored, at, pixels, start)
        elif op == OP_PATCH:
            patch, at = _patch(length, stored, at)
            made = np.frombuffer(pixels[start:start + length], np.uint8)
            if len(made) != length:
                raise RebuildError(f"a patch of {length} bytes over {len(made)} pixel bytes")
            out.append((made ^ patch).tobytes())
        elif op in packbits.RULES:
            out.append(packbits.pack(op, np.frombuffer(pixels, np.uint8), start, row_bytes, length))
        elif op == OP_SOUND:
            if sound is None or start + length > len(sound):
                raise RebuildError(f"the map takes sound bytes {start}-{start + length} (op 7), "
                                   f"{'none are given' if sound is None else f'the sound holds {len(sound)}'}")
            out.append(bytes(sound[start:start + length]))
        elif op == OP_INFLATE:  # the stored bytes from here on: these inflated, then the rest
            stored, at = _inflate(stored[at:at + length], pixel_map) + stored[at + length:], 0
        else:
            raise RebuildError(f"unknown rebuild op {op}")
    return b"".join(out)


def _patch(length: int, stored: bytes, at: int) -> tuple[np.ndarray, int]:
    """The XOR patch stored at ``at`` (FORMAT.md 6.2: its zlib size, 4 bytes big-endian, then
    the zlib stream of ``length`` bytes) and where the stored bytes go on."""
    size = int.from_bytes(stored[at:at + 4], "big")
    if at + 4 + size > len(stored):
        raise RebuildError(f"a patch of {size} stored bytes, {max(0, len(stored) - at - 4)} left")
    try:
        patch = zlib.decompress(stored[at + 4:at + 4 + size])
    except zlib.error as err:
        raise RebuildError(f"a damaged patch ({err})") from None
    if len(patch) != length:
        raise RebuildError(f"a patch of {len(patch)} bytes where the map says {length}")
    return np.frombuffer(patch, np.uint8), at + 4 + size


def with_patch(pixel_map: list[int], stored: bytes, pixels: bytes, data: bytes) -> tuple[list[int], bytes]:
    """The map and stored bytes with each pixel op (1) whose bytes differ from the file's made a
    patch op (3): the bits the packing does not hold (padding that is not zero) stored as an XOR
    patch, zlib-compressed. A file with zero padding keeps its map as it is."""
    new_map, new_stored, at, pos = [], [], 0, 0  # at: in stored; pos: in the file
    for k in range(0, len(pixel_map), 3):
        op, length, start = pixel_map[k:k + 3]
        if op == OP_STORED:
            new_stored.append(stored[at:at + length])
            at += length
        elif op == OP_PIXELS:
            made = np.frombuffer(pixels[start:start + length], np.uint8)
            real = np.frombuffer(data[pos:pos + length], np.uint8)
            if len(made) == len(real) == length and (made != real).any():
                packed = zlib.compress((made ^ real).tobytes(), 9)
                new_stored.append(len(packed).to_bytes(4, "big") + packed)
                op = OP_PATCH
        else:
            return pixel_map, stored  # (PackBits strips: their control bytes say what is pixels)
        new_map += [op, length, start]
        pos += length
    return new_map, b"".join(new_stored)


def _inflate(data: bytes, pixel_map: Sequence[int]) -> bytes:
    """Op 6's zlib stream, inflated: at most twice the bytes the map makes, and some (a crafted
    stream cannot fill the memory)."""
    limit = 2 * sum(pixel_map[1::3]) + 4096
    inflater = zlib.decompressobj()
    try:
        made = inflater.decompress(data, limit)
    except zlib.error as err:
        raise RebuildError(f"damaged compressed stored bytes ({err})") from None
    if inflater.unconsumed_tail or not inflater.eof or inflater.unused_data:
        raise RebuildError("the compressed stored bytes are cut, longer than their stream, or inflate to more "
                           f"than the {limit} bytes the map can use")
    return made


def compressed(pixel_map: list[int], stored: bytes) -> tuple[list[int], bytes]:
    """The map and stored bytes with the stored bytes zlib-compressed (op 6 first) when that
    saves more than the op's triple (24 bytes): a DPX header is mostly zeros and 0xFF."""
    if pixel_map[:1] == [OP_INFLATE]:
        return pixel_map, stored
    packed = zlib.compress(stored, 9)
    if len(packed) + 24 < len(stored):
        return [OP_INFLATE, len(packed), 0] + list(pixel_map), packed
    return pixel_map, stored


def _packbits(out: list, length: int, stored: bytes, at: int, pixels: bytes, start: int) -> int:
    made = 0
    while made < length and at < len(stored):
        c = stored[at]
        at += 1
        if c < 128:  # a literal of c + 1 bytes
            out.append(bytes([c]) + pixels[start:start + c + 1])
            start, made = start + c + 1, made + c + 2
        elif c > 128:  # a run: one byte, 257 - c times
            out.append(bytes([c]) + pixels[start:start + 1])
            start, made = start + 257 - c, made + 2
        else:  # 128: no operation
            out.append(b"\x80")
            made += 1
    return at


def rebuild(record: SourceFile, planes: Sequence[np.ndarray], width: int, height: int, sound=None) -> bytes:
    """The source file's bytes, from its record and the decoded frame (``sound``: the stream an
    AVI's op 7 takes); RebuildError when the record does not describe a file (a damaged or
    crafted one)."""
    try:
        if not 0 <= int(record.packing.get("shift", 0)) <= 15 or record.packing["byte_order"] not in ("be", "le"):
            raise ValueError("shift or byte order")
        return splice(record.pixel_map, record.data, pixel_stream(planes, record.packing, width, height),
                      int(record.packing["row_bytes"]), sound)
    except RebuildError as err:  # (a subclass of ValueError) the map's own error
        raise RebuildError(f"{record.name}: {err}") from None
    except (KeyError, ValueError, TypeError) as err:
        raise RebuildError(f"{record.name}: the stored packing is not valid ({type(err).__name__}: {err})") from None


def layout_of(name: str, data: bytes, width: int, height: int) -> tuple[dict, list[int], bytes]:
    """(packing, map, stored bytes) of a DPX or TIFF file's bytes; RebuildError when the format
    module cannot describe it."""
    from . import dpx, exr, tiff

    suffix = Path(name).suffix.lower()
    if suffix == ".dpx":
        return dpx.layout(data, width, height)
    if suffix == ".exr":
        return exr.layout(data, width, height)
    if suffix in (".tif", ".tiff"):
        return tiff.layout(data, width, height)
    raise RebuildError(f"{suffix or 'a file without extension'}: only DPX, TIFF and EXR files are rebuilt")


def record_for(path: str | Path, planes: Sequence[np.ndarray], width: int, height: int,
               name: str | None = None) -> SourceFile:
    """The rebuild record of one source file (kept under ``name``, by default the file's name),
    checked: rebuilding it from ``planes`` gives the file's bytes, else RebuildError (the
    message names the file and the reason)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as err:
        raise InputError(f"{path}: cannot read: {err.strerror or err}") from None
    try:
        packing, pixel_map, stored = layout_of(path.name, data, width, height)
        pixel_map, stored = with_patch(pixel_map, stored, pixel_stream(planes, packing, width, height), data)
        pixel_map, stored = compressed(pixel_map, stored)
        record = SourceFile(name or path.name, hashlib.md5(data).digest(), packing, pixel_map, stored)
        made = rebuild(record, planes, width, height)
    except RebuildError as err:
        raise RebuildError(f"{path}: cannot be rebuilt byte for byte: {err}") from None
    if made != data:
        n = min(len(made), len(data))
        diff = np.flatnonzero(np.frombuffer(made, np.uint8, n) != np.frombuffer(data, np.uint8, n))
        where = int(diff[0]) if len(diff) else n
        raise RebuildError(f"{path}: cannot be rebuilt byte for byte: re-packing the decoded pixels gives "
                           f"other bytes from byte {where} on (bits the decoder drops are not zero, "
                           "or an unusual packing)")
    return record


def check(record: SourceFile, data: bytes) -> bool:
    """Whether ``data`` is the source file the record names (its MD5)."""
    return hashlib.md5(data).digest() == record.md5


def source_files(sequence) -> list[Path]:
    """The files of an image sequence (:class:`nlvc_av.io.imageseq.ImageSequence`) that are kept
    to be rebuilt, one per frame: DPX and TIFF; none for other inputs (``None``) and PNG."""
    if sequence is None or sequence.suffix.lower() not in REBUILT:
        return []
    return sequence.files  # (a package's: every reel's)


def source_record(path: Path, planes: Sequence[np.ndarray], width: int, height: int,
                  pixels_only: bool, name: str | None = None) -> SourceFile:
    """:func:`record_for`; a file that cannot be rebuilt is refused, or with ``pixels_only``
    kept as its name and MD5 only (a warning says why)."""
    try:
        return record_for(path, planes, width, height, name)
    except RebuildError as err:
        if not pixels_only:
            raise RebuildError(f"{err}; nothing was written (--pixels-only keeps its pixels, not its bytes)") from None
        log.warning("%s; its pixels are kept, not its bytes (--pixels-only)", err)
        return SourceFile(name or Path(path).name, hashlib.md5(Path(path).read_bytes()).digest())


def map_version(files: Sequence[Path]) -> int:
    """The format minor version the records of ``files`` need, known before the first is made
    (the writer stamps it first): 4 (any record may use the ops and packings 1.4 added: a
    padding patch, DPX packed and luma layouts, EXR), 0 for no files."""
    return 4 if files else 0
