"""What the rebuild of source files (:mod:`.rebuild`) and the formats it rebuilds (:mod:`.dpx`,
:mod:`.tiff`) share: the op codes of a file's map and the error of a file that cannot be
rebuilt. Its own module, so that the formats need not import the rebuild that imports them."""
from __future__ import annotations

from ..errors import InputError

#: The ops of a SourceMap triple (op, length, pixel offset), FORMAT.md 6.2.
OP_STORED, OP_PIXELS, OP_PACKBITS = 0, 1, 2


class RebuildError(InputError):
    """A source file that cannot be rebuilt byte for byte; the message says why."""
