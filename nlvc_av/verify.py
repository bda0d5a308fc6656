"""``nlvc verify``: two videos compared frame by frame (MD5 of each frame's planes, native format).

Either side may be an ``.nlvc`` file (decoded, its stored MD5s checked as well) or any video
PyAV reads.
"""
from __future__ import annotations

import itertools
import os
from typing import Iterator

import numpy as np

from .codec import formats as P
from .destinations import is_nlvc
from .io.streams import VideoInfo
from .session import iter_nlvc_planes


def iter_planes(path: str | os.PathLike, *, max_frames: int | None = None, jobs: int = 1
                ) -> tuple[VideoInfo, Iterator[list[np.ndarray]]]:
    """Planes of any video: ``.nlvc`` files are decoded with the codec (``jobs`` GOPs at once,
    :mod:`nlvc_av.jobs`), others read with PyAV."""
    if is_nlvc(path):
        if jobs > 1:
            from .jobs import iter_nlvc_planes as iter_nlvc_planes_parallel

            return iter_nlvc_planes_parallel(path, jobs=jobs, max_frames=max_frames)
        return iter_nlvc_planes(path, max_frames=max_frames)
    from .io.demux import iter_video_planes

    return iter_video_planes(str(path), max_frames=max_frames)


def compare(a: str, b: str, *, max_frames: int | None = None, progress=None, jobs: int = 1) -> tuple[bool, str]:
    """``(identical, message)``; ``progress`` (a ProgressBar or None) is updated per frame."""
    info_a, frames_a = iter_planes(a, max_frames=max_frames, jobs=jobs)
    info_b, frames_b = iter_planes(b, max_frames=max_frames, jobs=jobs)
    fa, fb = P.lookup(info_a.pix_fmt), P.lookup(info_b.pix_fmt)
    if (info_a.width, info_a.height, fa.coding_pix_fmt) != (info_b.width, info_b.height, fb.coding_pix_fmt):
        return False, (f"different video: {a} is {info_a.width}x{info_a.height} {info_a.pix_fmt}, "
                       f"{b} is {info_b.width}x{info_b.height} {info_b.pix_fmt}")
    n = 0
    for n, (pa, pb) in enumerate(itertools.zip_longest(frames_a, frames_b), start=1):
        if pa is None or pb is None:
            shorter = a if pa is None else b
            return False, f"{shorter} ends after {n - 1} frames, the other has more"
        ma, mb = P.frame_md5(pa), P.frame_md5(pb)
        if ma != mb:
            return False, f"frame {n - 1} differs (md5 {ma.hex()} vs {mb.hex()})"
        if progress is not None:
            progress.update(n)
    if n == 0:
        return False, "no frames to compare"
    return True, f"identical: {n} frames, {info_a.width}x{info_a.height} {info_a.pix_fmt}"
