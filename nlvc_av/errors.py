"""Errors raised by the transcoder (``nlvc_av``).

Every error is a :class:`container.NlvcError`, so a caller can catch the one base for both the
file format and the transcoder; each also subclasses the matching built-in, in PyAV's manner
(``except ValueError`` still works for a bad pixel format).
"""

from __future__ import annotations

from container import NlvcError

__all__ = [
    "NlvcError",
    "NlvcAvError",
    "InputError",
    "UnsupportedPixelFormatError",
    "OutputError",
    "OutputExistsError",
    "ChecksumError",
    "PacketChecksumError",
    "DirectionError",
    "ModelError",
    "UnknownModelError",
    "ModelIntegrityError",
    "ModelMismatchError",
    "UnsupportedSetupError",
    "HeaderError",
    "MemoryBudgetError",
]


class NlvcAvError(NlvcError):
    """Base class of the transcoder's errors."""


class InputError(NlvcAvError, ValueError):
    """The input cannot be read as video: missing, not a media file, no video stream, ..."""


class UnsupportedPixelFormatError(InputError):
    """The video's pixel format is not one NLVC codes (the message lists those it does)."""


class OutputError(NlvcAvError, ValueError):
    """The destination cannot be written (unknown type, cannot carry the video, ...)."""


class OutputExistsError(OutputError):
    """The destination exists and overwriting was not asked for."""


class HeaderError(NlvcAvError, ValueError):
    """A header field of an .nlvc file holds a value no real video has, or one that contradicts
    another (a bit depth that is not the pixel format's): refused before it is used."""


class MemoryBudgetError(NlvcAvError, MemoryError):
    """Decoding a GOP would need more memory than the decoder's budget (``NLVC_MAX_MEMORY``);
    checked from the sizes the file claims, before anything is allocated."""


class ChecksumError(NlvcAvError, ValueError):
    """A decoded frame does not match the MD5 stored for it: the decode is not lossless."""


class PacketChecksumError(ChecksumError):
    """A carried packet (audio, subtitle, data) does not match the MD5 stored for it (format
    1.5): the packet's bytes changed since it was encoded, though its cluster's CRC-32 holds."""


class PayloadError(NlvcAvError, ValueError):
    """A GOP payload's own structure is damaged (its chunk table does not describe it)."""


class DirectionError(NlvcAvError, ValueError):
    """Neither side of a transcode is a .nlvc file, so the direction is unknown (a usage error)."""


class ModelError(NlvcAvError, ValueError):
    """The entropy model a file needs (or a --model asked for) cannot be used."""


class UnknownModelError(ModelError):
    """No installed model has this id, and the file does not carry its weights."""

    def __init__(self, message: str, model_id: str = ""):
        super().__init__(message)
        self.model_id = model_id


class ModelIntegrityError(ModelError):
    """Weights that are not what they claim: a damaged install, a bad weights file."""


class ModelMismatchError(ModelError):
    """The file records other weights (SHA-256) than the installed model of its id."""


class UnsupportedSetupError(ModelError):
    """The file's CodecSetup names a token map, group count or coder parameter this release
    does not decode (a newer file, or a damaged header)."""
