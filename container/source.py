"""Bounded reading from a seekable file or a pipe.

The rule that keeps a lying size field harmless: nothing is ever asked of the file beyond what
it holds. On a seekable file a read is clipped to the bytes left before the end; on a pipe,
whose end is unknown, data is fetched in chunks of at most ``CHUNK`` bytes, so memory grows
only with what actually arrives.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import BinaryIO

from . import ebml
from . import elements as E
from .errors import CorruptFileError, NlvcError, TruncatedFileError

CHUNK = 1 << 16


@dataclass(frozen=True)
class Header:
    """An element header read from the file."""

    id: int
    size: int  # ebml.UNKNOWN_SIZE for "unknown"
    offset: int  # of the ID's first byte
    raw: bytes  # the header's bytes (to push them back on a pipe)

    @property
    def end(self) -> int | None:
        """Offset just past the payload; None for an unknown size."""
        return None if self.size == ebml.UNKNOWN_SIZE else self.offset + len(self.raw) + self.size


def is_seekable(f: BinaryIO) -> bool:
    try:
        return bool(f.seekable())
    except (AttributeError, OSError, ValueError):
        return False


class Source:
    """Forward reading with a position, ``unread`` (push back) and ``find`` (resync)."""

    def __init__(self, f: BinaryIO):
        self._f = f
        self.seekable = is_seekable(f)
        if self.seekable:
            self._pos = f.tell()
            self.end: int | None = f.seek(0, io.SEEK_END)
            f.seek(self._pos)
        else:
            self._pos = 0  # offsets on a pipe count from the first byte read
            self.end = None
        self._back = b""  # pushed-back bytes of a pipe, read before the pipe itself...
        self._back_pos = 0  # ...from this index on (no re-slicing of a large buffer per read)

    def tell(self) -> int:
        return self._pos

    def remaining(self) -> int | None:
        """Bytes left before the end of a seekable file; None on a pipe."""
        return None if self.end is None else max(0, self.end - self._pos)

    def seek(self, pos: int) -> None:
        if not self.seekable:
            raise io.UnsupportedOperation("seeking needs a seekable file, not a pipe")
        self._pos = pos

    def read(self, n: int) -> bytes:
        """Up to ``n`` bytes; fewer only at the end of the file."""
        if n <= 0:
            return b""
        if self.seekable:
            n = min(n, self.remaining())
            self._f.seek(self._pos)  # the file object may be shared; our position is the truth
            data = _read_fully(self._f, n, n)
        else:
            data = self._back[self._back_pos:self._back_pos + n]
            self._back_pos += len(data)
            if len(data) < n:
                self._back, self._back_pos = b"", 0
                data += _read_fully(self._f, n - len(data), CHUNK)
        self._pos += len(data)
        return data

    def skip(self, n: int) -> int:
        """Move ``n`` bytes forward (fewer at the end of the file); returns how many."""
        if self.seekable:
            n = min(n, self.remaining())
            self._pos += n
            return n
        skipped = 0
        while skipped < n:
            got = len(self.read(min(CHUNK, n - skipped)))
            if not got:
                break
            skipped += got
        return skipped

    def unread(self, data: bytes) -> None:
        """Give back the last ``len(data)`` bytes read, to read them again."""
        if self.seekable:
            self._pos -= len(data)
        else:
            self._back = bytes(data) + self._back[self._back_pos:]
            self._back_pos = 0
            self._pos -= len(data)

    def find(self, patterns: tuple[bytes, ...]) -> int | None:
        """Move to the first occurrence of any pattern at or after the current position and
        return its offset; None (at the end of the file) when there is none."""
        keep = max(len(p) for p in patterns) - 1
        carry = b""
        while True:
            chunk = self.read(CHUNK)
            if not chunk:
                return None
            buf = carry + chunk
            hits = [i for i in (buf.find(p) for p in patterns) if i >= 0]
            if hits:
                self.unread(buf[min(hits):])
                return self._pos
            carry = buf[-keep:] if keep else b""

    def read_header(self) -> Header | None:
        """The element header at the current position; None at a clean end of file.

        Raises TruncatedFileError when the file ends inside the header and CorruptFileError when
        the bytes are no valid header; either way the position is left unchanged."""
        at = self._pos
        raw = self.read(1)
        if not raw:
            return None
        try:
            raw += self.read(ebml.vint_length(raw[0]) - 1)  # the rest of the ID (0x00: nothing)
            got_id = ebml.decode_id(raw, 0)  # ValueError if invalid, None if cut
            if got_id is not None:
                first = self.read(1)
                if first:
                    raw += first + self.read(ebml.vint_length(first[0]) - 1)
                    got_size = ebml.decode_size(raw, got_id[1])
                    if got_size is not None:
                        return Header(got_id[0], got_size[0], at, raw)
        except ValueError as exc:
            self.unread(raw)
            raise CorruptFileError(f"invalid element header at byte {at}: {exc}", offset=at) from None
        self.unread(raw)
        raise TruncatedFileError(f"the file ends inside the element header at byte {at}", offset=at)

    # --- whole elements, their sizes checked first ---------------------------------------------

    def check_size(self, header: Header, parent_end: int | None) -> None:
        """Reject a size the parent (ending at ``parent_end``) or the file cannot hold, before
        anything is allocated: CorruptFileError / TruncatedFileError."""
        name, at = E.name(header.id), header.offset
        if header.size == ebml.UNKNOWN_SIZE:
            raise CorruptFileError(f"{name} at byte {at} has an unknown size (only the Segment may)",
                                   offset=at)
        if parent_end is not None and header.end > parent_end:
            raise CorruptFileError(f"{name} at byte {at} claims {header.size} bytes but its parent "
                                   f"Segment holds only {parent_end - at - len(header.raw)} more",
                                   offset=at)
        left = self.remaining()
        if left is not None and header.size > left:
            raise TruncatedFileError(f"{name} at byte {at} claims {header.size} bytes but only "
                                     f"{left} remain in the file", offset=at)

    def read_element(self, header: Header, parent_end: int | None) -> ebml.Element:
        """The payload of the element whose header was just read. On failure the bytes read
        are given back (the position returns to the header), so the caller may look elsewhere."""
        try:
            self.check_size(header, parent_end)
        except NlvcError:
            self.unread(header.raw)
            raise
        data = self.read(header.size)
        if len(data) < header.size:  # a pipe: the size was checked against what arrived
            self.unread(header.raw + data)
            raise TruncatedFileError(f"{E.name(header.id)} at byte {header.offset} claims "
                                     f"{header.size} bytes but the file ends after {len(data)}",
                                     offset=header.offset)
        return ebml.Element(header.id, header.offset, len(header.raw), memoryview(data))

    def skip_element(self, header: Header, parent_end: int | None) -> None:
        """Move past the element whose header was just read."""
        try:
            self.check_size(header, parent_end)
        except NlvcError:
            self.unread(header.raw)
            raise
        skipped = self.skip(header.size)
        if skipped < header.size:
            raise TruncatedFileError(f"{E.name(header.id)} at byte {header.offset} claims "
                                     f"{header.size} bytes but the file ends after {skipped}",
                                     offset=header.offset)


def _read_fully(f: BinaryIO, n: int, chunk: int) -> bytes:
    """``n`` bytes from ``f`` (fewer at EOF), never asking for more than ``chunk`` at once."""
    parts = []
    while n > 0:
        part = f.read(min(n, chunk))
        if not part:
            break
        parts.append(part)
        n -= len(part)
    return b"".join(parts)
