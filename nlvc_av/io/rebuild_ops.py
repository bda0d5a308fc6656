"""What the rebuild of source files (:mod:`.rebuild`) and the formats it rebuilds (:mod:`.dpx`,
:mod:`.tiff`) share: the op codes of a file's map and the error of a file that cannot be
rebuilt. Its own module, so that the formats need not import the rebuild that imports them."""
from __future__ import annotations

from ..errors import InputError

#: The ops of a SourceMap triple (op, length, pixel offset), FORMAT.md 6.2.
OP_STORED, OP_PIXELS, OP_PACKBITS, OP_PATCH = 0, 1, 2, 3
#: (1.4) PackBits made from the pixels by FFmpeg's or libtiff's run choice (:mod:`.packbits`);
#: SourceData's next bytes zlib-compressed.
OP_PACKBITS_FFMPEG, OP_PACKBITS_LIBTIFF, OP_INFLATE = 4, 5, 6
#: (1.6) ``length`` bytes of the file's sound stream (an AVI's PCM chunks, one after another) from ``offset``.
OP_SOUND = 7


class RebuildError(InputError):
    """A source file that cannot be rebuilt byte for byte; the message says why."""


def gather(pixel_map: list[int], data: bytes, size: int) -> bytes:
    """The pixel stream of a file whose map copies stored bytes (op 0) and pixel bytes (op 1)
    only: each op 1's file bytes put at its offset in a stream of ``size`` bytes (the way a
    format module reads the samples it describes)."""
    stream, pos = bytearray(size), 0
    for k in range(0, len(pixel_map), 3):
        op, length, start = pixel_map[k:k + 3]
        if op == OP_PIXELS:
            if start + length > size or pos + length > len(data):
                raise RebuildError(f"pixel bytes {start}-{start + length} outside the image's {size}")
            stream[start:start + length] = data[pos:pos + length]
        elif op != OP_STORED:
            raise RebuildError(f"map op {op} where the pixels are read")
        pos += length
    return bytes(stream)
