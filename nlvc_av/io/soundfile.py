"""Sound files (WAV, BWF, RF64/BW64, AIFF, AIFF-C) byte for byte: where the PCM is and what
it is, for the rebuild map (:mod:`nlvc_av.io.rebuild`). Pure Python.

A sound file is its PCM bytes (the whole sample frames of its one data or SSND chunk) and
every other byte: the headers, the other chunks (bext, iXML, JUNK, LIST, fact, ds64, FVER,
MARK, ...), pad bytes, a partial sample frame at the end of the data, trailing bytes after the
RIFF or FORM chunk. :func:`read_layout` describes a file's bytes as a :class:`SoundLayout`:
the samples (rate, channels, container bits, integer or float, signed, byte order) and the map
that rebuilds the file: ``[0, header, 0] [1, pcm, 0] [0, rest, 0]`` (op 0: stored bytes, op 1:
bytes of the PCM stream from an offset; :func:`nlvc_av.io.rebuild.splice`)::

    layout = read_layout(data)                 # or RebuildError, one line naming the problem
    pcm = layout.pcm(data)                     # the PCM byte stream, in the file's byte order
    splice(layout.pixel_map, layout.stored, pcm) == data

Read: RIFF/WAVE with format tag 1 (PCM), 3 (IEEE float) or 0xFFFE (extensible, PCM or float
subformat); RF64 and BW64 (the ds64 chunk's sizes, its table for other chunks); AIFF (big-endian
signed) and AIFF-C (``NONE``, ``twos``, ``sowt``, ``raw `` (unsigned), ``in24``, ``in32``,
``42ni``, ``fl32``/``FL32``, ``fl64``/``FL64``); 1 to 64 channels; integer samples of 1 to 8
bytes (8-bit WAV and ``raw `` are unsigned), float samples of 4 or 8 bytes. The sample rate of
an AIFF (80-bit extended) is rounded to whole hertz (the header keeps the exact value).
"""
from __future__ import annotations

from .aiff import read_aiff
from .rebuild_ops import RebuildError
from .soundlayout import SoundLayout
from .wav import read_wav

__all__ = ["SoundLayout", "read_layout", "RebuildError"]


def read_layout(data: bytes) -> SoundLayout:
    """The layout of a WAV, BWF, RF64, BW64, AIFF or AIFF-C file's bytes; RebuildError (one line
    naming the problem) for a file that is truncated, malformed or not one of those."""
    data = bytes(data)
    if len(data) < 12:
        raise RebuildError(f"truncated: {len(data)} bytes, a RIFF or FORM header has 12")
    magic = data[:4]
    if magic in (b"RIFF", b"RF64", b"BW64"):
        return read_wav(data, magic)
    if magic == b"FORM":
        return read_aiff(data)
    raise RebuildError(f"not a WAV, RF64 or AIFF file (it starts {data[:4].hex(' ')})")
