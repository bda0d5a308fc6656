"""NLVC: a neural lossless video codec and its PyAV-based transcoder.

    import nlvc_av
    with nlvc_av.open("clip.nlvc") as f:
        v = f.streams.video[0]
        for frame in f.decode(video=0):   # av.VideoFrame, bit-exact, with .pts
            ...

Importing the package is light: PyAV and torch load only when something needs them.
"""

from __future__ import annotations

import logging

logging.getLogger("nlvc_av").addHandler(logging.NullHandler())  # warnings are the caller's to show

from .version import __version__  # noqa: E402

__all__ = ["open", "__version__"]


def open(file, mode: str = "r", **kwargs):  # noqa: A001 - PyAV's name on purpose
    """Open an ``.nlvc`` file for reading; see :class:`nlvc_av.api.NlvcInputContainer`."""
    from .api import open as _open

    return _open(file, mode, **kwargs)
