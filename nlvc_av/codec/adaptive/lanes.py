"""Decoding an adaptive GOP in two lanes: plane 0 runs ahead, the other planes follow.

A plane's references are the same plane of earlier frames, and only planes 1 and 2 look at
another plane of their own frame (plane 0, and plane 1 for plane 2: stage.side_planes). So
plane 0 of frame i + 1 need not wait for the other planes of frame i: one lane decodes plane
0 of every frame in order, the other the remaining planes of each frame once its plane 0 is
there. Both lanes hand their bands to the stage's band threads. Each plane is decoded from
the same chunk, references and side planes as by the one-lane decoder (stage.decode), so the
frames are the same; a clip of one band per plane (CIF) decodes on two cores instead of one.
"""
from __future__ import annotations

import threading

import numpy as np

from . import payload, references


def split_gop(stage, data: bytes, frame_types: str, shapes, context: int) -> list[tuple]:
    """Per frame: its (mode, vectors) (None for an I-frame) and each plane's band chunks."""
    chunks = payload.split(data, stage.chunk_count(frame_types, shapes))
    counts = stage.bands_per_plane(shapes)
    pos, frames = 0, []
    for i, ftype in enumerate(frame_types):
        if ftype not in "IP":
            raise ValueError(f"unknown frame type {ftype!r}")
        side = None
        if ftype == "P":
            if i == 0:
                raise ValueError("GOP starts with a P-frame")
            side = references.read_side(chunks[pos], shapes[0], min(i, context), stage.modes, stage.version >= 4)
            pos += 1
        planes = []
        for n in counts:
            planes.append(chunks[pos:pos + n])
            pos += n
        frames.append((side, planes))
    return frames


def decode(stage, data: bytes, frame_types: str, shapes, context: int) -> list[list[np.ndarray]]:
    """``stage.decode(data, frame_types, shapes)``'s frames, plane 0 in a lane of its own."""
    layout = split_gop(stage, data, frame_types, shapes, context)
    out: list[list[np.ndarray | None]] = [[None] * len(shapes) for _ in layout]

    def plane(i: int, k: int) -> None:
        side, chunks = layout[i]
        refs = []
        if side is not None:
            mode, vectors = side
            earlier = [out[j][k] for j in range(max(0, i - context), i)]
            refs = references.reference_planes(stage.modes[mode], vectors, earlier, shapes[0])
        out[i][k] = decode_one(stage, i, k, out[i][:k], refs, shapes, chunks[k])

    run(len(layout), len(shapes), plane)
    return out


def decode_one(stage, i: int, k: int, coded: list, refs: list, shapes, chunks: list, spike: bool = False,
               maxval: int = -1, mass: bool = False) -> np.ndarray:
    """Plane k of frame i from its band chunks (``coded``: the frame's planes before k; ls-v9:
    ``maxval`` for a plane with a value table, ``mass`` the exact-value mass)."""
    units = stage.units(i, coded, k, shapes[k], refs, len(shapes), shapes[0], spike, maxval, mass)
    result = np.empty(shapes[k], np.int32)

    def band(item):
        unit, chunk = item
        result[unit.rows[0]:unit.rows[1]] = stage.decode_unit(chunk, shapes[k], unit)

    stage._map(band, list(zip(units, chunks)))
    return result


def run(n_frames: int, n_planes: int, plane) -> None:
    """``plane(i, k)`` for every frame i (in order) and plane k: plane 0 of every frame on a
    lane of its own, ahead of planes 1.. of each frame on this thread (ordered.py's GOPs too,
    i being the position in their coding order)."""
    ready = [threading.Event() for _ in range(n_frames)]
    failed: list[BaseException] = []
    stop = threading.Event()

    def first_lane() -> None:
        try:
            for i in range(n_frames):
                if stop.is_set():
                    return
                plane(i, 0)
                ready[i].set()
        except BaseException as err:  # the other lane re-raises it
            failed.append(err)
        finally:
            for event in ready:
                event.set()

    lane = threading.Thread(target=first_lane, name="nlvc-plane0", daemon=True)
    lane.start()
    try:
        for i in range(n_frames):
            ready[i].wait()
            if failed:
                break
            for k in range(1, n_planes):
                plane(i, k)
    finally:
        stop.set()
        lane.join()
    if failed:
        raise failed[0]
