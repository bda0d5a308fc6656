"""Where a batch writes, and when an output counts as finished (so a rerun skips it).

The rule, checked without decoding the video: an existing ``OUT/<name>.nlvc`` is finished
when the container reads completely (head, every cluster, the Cues: an interrupted writer
leaves none), every cluster's CRC-32 is right, no damage is reported, its video has the
source's size and pixel format, and it holds as many frames as the source gives (all, or
``--max-frames``). The source is read (not the ``.nlvc``) to count its frames. Anything else
is encoded again, replacing it.

Outputs are written under a temporary name (``.<name>.nlvc.*.part``) beside their
destination and renamed when complete, so a crash or Ctrl-C never leaves a partial file
under the destination name; :func:`remove_stale_parts` clears what a killed run left. One
batch at a time per output directory.
"""
from __future__ import annotations

import contextlib
import os
from pathlib import Path

import container

from ..codec import formats as P
from ..destinations import NLVC_SUFFIX


class OutputClashError(ValueError):
    """Two sources would be written to the same output (a usage error)."""


def output_for(src: str | os.PathLike, out_dir: str | os.PathLike) -> Path:
    """``OUT/<source name without its suffix>.nlvc``."""
    return Path(out_dir) / (Path(src).stem + NLVC_SUFFIX)


def plan(sources: list[str], out_dir: str | os.PathLike) -> list[tuple[str, Path]]:
    """``(source, output)`` per source, in order; ValueError when two sources share an
    output name or a source is given twice (OutputClashError)."""
    pairs, seen = [], {}
    for src in sources:
        dst = output_for(src, out_dir)
        if dst.name in seen:
            raise OutputClashError(f"{seen[dst.name]} and {src} would both be written to {dst}; "
                             "rename one or run them in separate batches")
        seen[dst.name] = src
        pairs.append((str(src), dst))
    return pairs


def _source_video(src: str, max_frames: int | None) -> tuple[int, int, str, int]:
    """(width, height, pix_fmt, frames) of the source as the encoder reads it."""
    from ..io import demux
    from ..io.streams import VideoFrameData

    with demux.open_input(src, max_frames=max_frames) as source:
        v = source.video
        frames = sum(1 for item in source.read() if isinstance(item, VideoFrameData))
        return v.width, v.height, v.pix_fmt, frames


def unfinished_reason(dst: str | os.PathLike, src: str, max_frames: int | None = None) -> str | None:
    """None when ``dst`` is a finished output of ``src`` (the rule above), else why not."""
    frames = 0
    try:
        with container.open(str(dst), "r") as reader:
            track = reader.video_track
            for cluster in reader.iter_clusters():
                frames += len(cluster.frame_pts)
            damage = list(reader.errors or [])
    except container.NlvcError as err:
        return str(err)
    except OSError as err:
        return f"cannot be read: {err.strerror or err}"
    if damage:
        return str(damage[0])
    width, height, pix_fmt, source_frames = _source_video(src, max_frames)
    if (track.width, track.height, P.lookup(track.pix_fmt).coding_pix_fmt) != \
            (width, height, P.lookup(pix_fmt).coding_pix_fmt):
        return (f"holds {track.width}x{track.height} {track.pix_fmt} video, the source is "
                f"{width}x{height} {pix_fmt}")
    if frames != source_frames:
        return f"holds {frames} frames, the source gives {source_frames}"
    return None


def stated_frames(src: str, max_frames: int | None) -> int:
    """The frame count the source states (for the ETA; 0 when unknown or unreadable)."""
    from ..io import demux

    try:
        with demux.open_input(src, max_frames=max_frames) as source:
            n = source.video.frames
    except Exception:  # noqa: BLE001 - the encode reports the real error
        return 0
    return min(n, max_frames) if n and max_frames else (n or max_frames or 0)


def remove_stale_parts(dst: Path) -> None:
    """Remove the temporary files a killed run left for ``dst``."""
    for part in dst.parent.glob(f".{dst.name}.*.part"):
        with contextlib.suppress(OSError):
            part.unlink()
