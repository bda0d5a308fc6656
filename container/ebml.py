"""EBML building blocks: varints, element headers, value encodings (FORMAT.md, sections 2-3).

Everything here works on bytes already in memory. Reading from a file or a pipe, with its
bounds, lives in ``source.py``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Iterator

from . import elements as E
from .errors import CorruptFileError

#: Size value meaning "unknown": all data bits set. Only the Segment may use it.
UNKNOWN_SIZE = -1

MAX_ID_LENGTH = 4
MAX_SIZE_LENGTH = 8


# --- varints ----------------------------------------------------------------------------------

def vint_length(first_byte: int) -> int:
    """Length in bytes of the varint starting with ``first_byte`` (the position of its first
    set bit), or 0 when the byte is 0x00 (a length over 8, invalid)."""
    for length in range(1, 9):
        if first_byte & (0x80 >> (length - 1)):
            return length
    return 0


def encode_size(value: int, length: int | None = None) -> bytes:
    """A size varint: the shortest form (or ``length`` bytes); ``UNKNOWN_SIZE`` -> 8 bytes of
    all-ones data (0x01FFFFFFFFFFFFFF)."""
    if value == UNKNOWN_SIZE:
        return b"\x01" + b"\xff" * 7
    if value < 0:
        raise ValueError(f"element size must be >= 0, got {value}")
    if length is None:
        length = 1
        # All-ones data is reserved for "unknown", so 127 needs two bytes, 16383 three...
        while value >= (1 << (7 * length)) - 1:
            length += 1
    if length > MAX_SIZE_LENGTH or value >= (1 << (7 * length)) - 1:
        raise ValueError(f"element size {value} does not fit a {length}-byte varint")
    return ((1 << (7 * length)) | value).to_bytes(length, "big")


def decode_size(data: bytes | memoryview, pos: int) -> tuple[int, int] | None:
    """``(value, length)`` of the size varint at ``data[pos]``; ``UNKNOWN_SIZE`` for all-ones.
    None when ``data`` ends inside the varint. Raises ValueError for a 0x00 first byte."""
    length = vint_length(data[pos])
    if length == 0:
        raise ValueError("a varint cannot start with 0x00")
    if pos + length > len(data):
        return None
    raw = int.from_bytes(data[pos:pos + length], "big")
    value = raw & ((1 << (7 * length)) - 1)
    if value == (1 << (7 * length)) - 1:
        value = UNKNOWN_SIZE
    return value, length


def encode_id(element_id: int) -> bytes:
    """An element ID keeps its length marker: 0x1A45DFA3 is written as the bytes 1A 45 DF A3."""
    length = (element_id.bit_length() + 7) // 8
    if not 1 <= length <= MAX_ID_LENGTH or vint_length(element_id >> (8 * (length - 1))) != length:
        raise ValueError(f"0x{element_id:X} is not a valid element ID")
    return element_id.to_bytes(length, "big")


def decode_id(data: bytes | memoryview, pos: int) -> tuple[int, int] | None:
    """``(id, length)`` of the element ID at ``data[pos]``; None when ``data`` ends inside it.
    Raises ValueError for a first byte that announces more than 4 bytes."""
    length = vint_length(data[pos])
    if not 1 <= length <= MAX_ID_LENGTH:
        raise ValueError(f"byte 0x{data[pos]:02x} cannot start an element ID")
    if pos + length > len(data):
        return None
    return int.from_bytes(data[pos:pos + length], "big"), length


# --- values -------------------------------------------------------------------------------------

def encode_uint(value: int) -> bytes:
    if not 0 <= value < 1 << 64:
        raise ValueError(f"unsigned integer out of range: {value}")
    return value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big")


def encode_sint(value: int) -> bytes:
    if not -(1 << 63) <= value < 1 << 63:
        raise ValueError(f"signed integer out of the int64 range: {value}")
    length = 1
    while not -(1 << (8 * length - 1)) <= value < 1 << (8 * length - 1):
        length += 1
    return value.to_bytes(length, "big", signed=True)


def encode_float(value: float) -> bytes:
    return struct.pack(">d", value)


def encode_str(value: str) -> bytes:
    return value.encode("utf-8")


def element(element_id: int, payload: bytes = b"") -> bytes:
    """One complete element: ID, size, payload."""
    return encode_id(element_id) + encode_size(len(payload)) + payload


def master(element_id: int, children: list[bytes]) -> bytes:
    return element(element_id, b"".join(children))


# --- parsed elements ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Element:
    """An element read from memory: its ID, the file offset of its first byte, the length of
    its header (ID + size), its payload.

    The typed accessors raise CorruptFileError naming the element and its offset."""

    id: int
    offset: int
    header_length: int
    data: memoryview

    @property
    def name(self) -> str:
        return E.name(self.id)

    def _bad(self, what: str) -> CorruptFileError:
        return CorruptFileError(f"{self.name} at byte {self.offset} {what}", offset=self.offset)

    def uint(self) -> int:
        if len(self.data) > 8:
            raise self._bad(f"is {len(self.data)} bytes long; an integer has at most 8")
        return int.from_bytes(self.data, "big")

    def sint(self) -> int:
        if len(self.data) > 8:
            raise self._bad(f"is {len(self.data)} bytes long; an integer has at most 8")
        return int.from_bytes(self.data, "big", signed=True)

    def float(self) -> float:
        if len(self.data) == 0:
            return 0.0
        if len(self.data) not in (4, 8):
            raise self._bad(f"is {len(self.data)} bytes long; a float has 0, 4 or 8")
        return struct.unpack(">f" if len(self.data) == 4 else ">d", self.data)[0]

    def str(self) -> str:
        try:
            # EBML allows zero padding after a string.
            return bytes(self.data).rstrip(b"\x00").decode("utf-8")
        except UnicodeDecodeError as exc:
            raise self._bad(f"is not valid UTF-8 (byte {exc.start} of the string)") from None

    def text(self) -> tuple[str, bool]:
        """The string, and whether it was valid UTF-8: bytes that are not are kept as ``\\xNN``
        escapes (for text that is only shown, such as tags, where bad bytes are not fatal)."""
        raw = bytes(self.data).rstrip(b"\x00")
        try:
            return raw.decode("utf-8"), True
        except UnicodeDecodeError:
            return raw.decode("utf-8", "backslashreplace"), False

    def bytes(self) -> bytes:
        return bytes(self.data)

    def children(self) -> list["Element"]:
        return list(iter_elements(self.data, self.offset + self.header_length, self.name))

    def one(self, element_id: int, children: list["Element"] | None = None) -> "Element | None":
        """The only child with this ID, None if absent; two of them is corruption."""
        found = [c for c in (self.children() if children is None else children) if c.id == element_id]
        if len(found) > 1:
            raise CorruptFileError(
                f"{self.name} at byte {self.offset} holds {E.name(element_id)} twice "
                f"(at bytes {found[0].offset} and {found[1].offset})", offset=found[1].offset)
        return found[0] if found else None

    def need(self, element_id: int, children: list["Element"] | None = None) -> "Element":
        """The only child with this ID; absent is corruption."""
        found = self.one(element_id, children)
        if found is None:
            raise self._bad(f"has no {E.name(element_id)}")
        return found


def iter_elements(data: bytes | memoryview, offset: int, parent: str) -> Iterator[Element]:
    """The elements one after another in ``data`` (the payload of ``parent``, starting at file
    offset ``offset``). Every size is checked against what the parent holds before use."""
    view = memoryview(data)
    pos, end = 0, len(view)
    while pos < end:
        at = offset + pos
        try:
            got_id = decode_id(view, pos)
            got_size = decode_size(view, pos + got_id[1]) if got_id and pos + got_id[1] < end else None
        except ValueError as exc:
            raise CorruptFileError(f"invalid element header at byte {at} inside {parent}: {exc}",
                                   offset=at) from None
        if got_id is None or got_size is None:
            raise CorruptFileError(f"element header at byte {at} runs past the end of {parent}",
                                   offset=at)
        (element_id, id_len), (size, size_len) = got_id, got_size
        name = E.name(element_id)
        if size == UNKNOWN_SIZE:
            raise CorruptFileError(f"{name} at byte {at} inside {parent} has an unknown size "
                                   "(only the Segment may)", offset=at)
        start = pos + id_len + size_len
        if size > end - start:
            raise CorruptFileError(f"{name} at byte {at} claims {size} bytes but its parent "
                                   f"{parent} holds only {end - start} more", offset=at)
        yield Element(element_id, at, id_len + size_len, view[start:start + size])
        pos = start + size
