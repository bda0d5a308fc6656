"""The adaptive stage's GOP payload: a list of independently coded chunks.

    varint count, count x varint length, then the chunks back to back

Each chunk is one range-coder stream (a tile of a plane, or a frame's side information), so
chunks decode independently once their inputs are known. Damaged lengths are one clear
error before anything is decoded.
"""
from __future__ import annotations

from ...errors import PayloadError

MAX_CHUNKS = 1 << 20


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def join(chunks: list[bytes]) -> bytes:
    return b"".join([_varint(len(chunks))] + [_varint(len(c)) for c in chunks] + list(chunks))


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(data) or shift > 56:
            raise PayloadError("adaptive GOP payload: chunk table cut off or damaged")
        b = data[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return value, pos


def split(data: bytes, expected: int) -> list[bytes]:
    count, pos = _read_varint(data, 0)
    if count != expected or count > MAX_CHUNKS:
        raise PayloadError(f"adaptive GOP payload: {count} chunks, the frame types need {expected}")
    sizes = []
    for _ in range(count):
        n, pos = _read_varint(data, pos)
        sizes.append(n)
    if pos + sum(sizes) != len(data):
        raise PayloadError("adaptive GOP payload: chunk sizes do not add up to the payload")
    chunks = []
    for n in sizes:
        chunks.append(data[pos:pos + n])
        pos += n
    return chunks
