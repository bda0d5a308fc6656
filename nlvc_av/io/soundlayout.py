"""The layout of a sound file (:class:`SoundLayout`) and what the WAV and AIFF readers share:
walking chunks (sizes checked against the parent, pad bytes, RF64's big sizes) and the rebuild
map of a file whose PCM is one stretch of bytes (:func:`make_layout`). Pure Python; the formats
are :mod:`.wav` and :mod:`.aiff`, the entry point :func:`nlvc_av.io.soundfile.read_layout`."""
from __future__ import annotations

import struct
from dataclasses import dataclass, field

from .rebuild_ops import OP_PIXELS, OP_STORED, RebuildError

MAX_CHANNELS = 64
#: The tail of the extensible format's subformat GUID: {XXXXXXXX-0000-0010-8000-00AA00389B71}.
GUID_TAIL = bytes.fromhex("000000001000800000aa00389b71")
TAG_NAMES = {2: "ADPCM", 6: "A-law", 7: "mu-law", 0x11: "IMA ADPCM", 0x50: "MPEG", 0x55: "MP3",
             0x2000: "AC-3", 0x161: "WMA"}
#: AIFF-C compression type -> (kind, signed, byte order, bytes per sample or 0: from sampleSize).
AIFC_TYPES = {b"NONE": ("int", True, "be", 0), b"twos": ("int", True, "be", 0), b"sowt": ("int", True, "le", 0),
              b"raw ": ("int", False, "be", 0), b"in24": ("int", True, "be", 3), b"in32": ("int", True, "be", 4),
              b"42ni": ("int", True, "le", 4), b"fl32": ("float", True, "be", 4), b"FL32": ("float", True, "be", 4),
              b"fl64": ("float", True, "be", 8), b"FL64": ("float", True, "be", 8)}


@dataclass(frozen=True)
class SoundLayout:
    """What a sound file's bytes are: its samples, and the map that rebuilds it from its PCM."""

    container: str  # "wav", "rf64", "bw64", "aiff", "aifc"
    sample_rate: int  # hertz (an AIFF's rounded)
    channels: int
    bits: int  # container bits per sample: 8, 16, 24, 32, 40, 48, 56, 64
    kind: str  # "int" or "float"
    signed: bool  # 8-bit WAV and AIFF-C "raw " are unsigned
    byte_order: str  # "le" or "be"
    valid_bits: int  # the bits the header says are used (<= bits; wValidBitsPerSample, sampleSize)
    frames: int  # sample frames in the PCM stream
    pcm_offset: int  # the PCM stream's first byte in the file
    packing: dict = field(default_factory=dict)  # str -> str | int, "samples": "pcm"
    pixel_map: list = field(default_factory=list)  # triples (op, length, offset): ops 0 and 1
    stored: bytes = b""  # every byte that is not PCM, in file order

    @property
    def block_align(self) -> int:
        """Bytes per sample frame."""
        return self.channels * self.bits // 8

    @property
    def pcm_size(self) -> int:
        return self.frames * self.block_align

    def pcm(self, data: bytes) -> bytes:
        """The PCM byte stream of the file whose bytes are ``data``."""
        return bytes(data[self.pcm_offset:self.pcm_offset + self.pcm_size])


@dataclass
class Samples:
    """What a format chunk says, before the data chunk is found."""

    rate: int
    channels: int
    bits: int
    kind: str
    signed: bool
    byte_order: str
    valid_bits: int


def chunk_name(cid: bytes) -> str:
    """A chunk ID as a message shows it: 'fmt ', or its bytes in hex when not printable."""
    return f"'{cid.decode('ascii')}'" if all(32 <= c < 127 for c in cid) else f"0x{cid.hex()}"


def walk(data: bytes, pos: int, end: int, e: str, sizes: dict | None = None,
         big: dict | None = None) -> list[tuple[bytes, int, int]]:
    """The chunks (ID, header position, body size) from ``pos`` to ``end`` (the parent chunk's
    end), sizes in byte order ``e``; a size 0xFFFFFFFF is looked up in ``big`` (RF64's ds64:
    ID -> sizes in file order, ``sizes``: how many of each were used). An odd-sized chunk is
    followed by a pad byte, except at the parent's very end."""
    chunks = []
    while pos < end:
        if end - pos < 8:
            where = "the file's end" if end == len(data) else "the end of its parent chunk"
            raise RebuildError(f"truncated: a chunk header at byte {pos} is cut by {where} ({end - pos} of 8 bytes)")
        cid, size = data[pos:pos + 4], struct.unpack_from(e + "I", data, pos + 4)[0]
        if size == 0xFFFFFFFF and big is not None:
            listed = big.get(cid, [])
            used = sizes.get(cid, 0)
            if used >= len(listed):
                raise RebuildError(f"the {chunk_name(cid)} chunk at byte {pos} has size 0xFFFFFFFF and no ds64 entry")
            size, sizes[cid] = listed[used], used + 1
        body = pos + 8
        if size > end - body:
            left = end - body
            if cid in (b"data", b"SSND") and end == len(data):
                raise RebuildError(f"truncated: the {chunk_name(cid)} chunk at byte {pos} says {size} bytes, "
                                   f"the file holds {left}")
            where = "the file holds" if end == len(data) else "its parent chunk holds"
            raise RebuildError(f"the {chunk_name(cid)} chunk at byte {pos} says {size} bytes, {where} {left}")
        chunks.append((cid, pos, size))
        pos = body + size
        if size & 1 and pos < end:
            if not _is_id(data[pos + 1:pos + 5]) and _is_id(data[pos:pos + 4]) and end - pos >= 8:
                raise RebuildError(f"the {chunk_name(cid)} chunk at byte {chunks[-1][1]} has an odd size ({size}) "
                                   "and no pad byte after it")
            pos += 1
    return chunks


def _is_id(cid: bytes) -> bool:
    return len(cid) == 4 and all(32 <= c < 127 for c in cid)


def one(chunks: list, cid: bytes) -> tuple[bytes, int, int] | None:
    """The one chunk ``cid`` of ``chunks``; None when there is none, RebuildError for two."""
    found = [c for c in chunks if c[0] == cid]
    if len(found) > 1:
        raise RebuildError(f"two {chunk_name(cid)} chunks (at bytes {found[0][1]} and {found[1][1]}; one is read)")
    return found[0] if found else None


def make_layout(data: bytes, container: str, s: Samples, offset: int, size: int) -> SoundLayout:
    """The layout of a file whose sound data (``size`` bytes from ``offset``) holds samples ``s``:
    its whole sample frames are the PCM stream, the rest (a partial frame included) is stored."""
    block = s.channels * s.bits // 8
    frames = size // block
    pcm_size = frames * block
    tail = len(data) - offset - pcm_size
    pixel_map = [OP_STORED, offset, 0] + ([OP_PIXELS, pcm_size, 0] if pcm_size else []) + \
        ([OP_STORED, tail, 0] if tail else [])
    packing = {"samples": "pcm", "container": container, "rate": s.rate, "channels": s.channels, "bits": s.bits,
               "float": int(s.kind == "float"), "signed": int(s.signed), "byte_order": s.byte_order,
               "frames": frames}
    return SoundLayout(container, s.rate, s.channels, s.bits, s.kind, s.signed, s.byte_order, s.valid_bits,
                       frames, offset, packing, pixel_map, data[:offset] + data[offset + pcm_size:])
