"""Errors raised while reading an ``.nlvc`` file.

One base class, :class:`NlvcError`; each subclass also inherits the matching built-in (as PyAV
does), so ``except ValueError`` or ``except EOFError`` keep working for callers that do not
know this package. Messages are one line and say what was wrong and where: the byte offset
and, inside the cluster area, the GOP number. Both are also attributes (``offset``, ``gop``).

Mistakes of the caller (a writer given a cluster out of order, ``read_cluster`` on a pipe) are
not file errors: they raise plain ``ValueError`` / ``io.UnsupportedOperation`` / ``IndexError``.
"""

from __future__ import annotations

__all__ = ["NlvcError", "CorruptFileError", "TruncatedFileError", "UnsupportedVersionError"]


class NlvcError(Exception):
    """Base class of every error about the contents of an ``.nlvc`` file."""

    def __init__(self, message: str, *, offset: int | None = None, gop: int | None = None,
                 data_lost: bool = True):
        # One line, always: callers print these into logs next to other lines.
        super().__init__(" ".join(str(message).split()))
        self.offset = offset  # byte offset in the file where the problem was found, if known
        self.gop = gop  # GOP (cluster) number concerned, if any
        #: False for damage that costs no GOP: damaged Cues or CuesLocator (the reader scans the
        #: clusters instead), unreadable bytes between two intact clusters. Such errors are
        #: reported (``Reader.errors``) but never raised by ``iter_clusters``.
        self.data_lost = data_lost
        #: True for damage before the first Cluster that a reader opened with ``salvage=True``
        #: reads past (a damaged Info, Tags or Tracks whose video track still parses).
        self.recoverable = False


class CorruptFileError(NlvcError, ValueError):
    """The bytes are not a valid ``.nlvc`` file: wrong magic or DocType, an invalid varint, a
    size larger than its parent, a CRC-32 mismatch, a missing or inconsistent field."""


class TruncatedFileError(NlvcError, EOFError):
    """The file ends before the data it announces: cut during a copy, or a writer that did not
    finish. Every complete cluster before the cut can still be read."""


class UnsupportedVersionError(NlvcError):
    """The file is an ``.nlvc`` file of a newer major version (or of an EBML flavour) this
    reader cannot interpret."""


class CrcMismatchError(CorruptFileError):
    """A CRC-32 that does not match its element's bytes (which may still parse: a salvaging
    reader may look inside a cluster and trust what its MD5s prove)."""
