"""The GOP syntax of the adaptive stage (syntax "ls-v1"): frames <-> chunks of range-coded bytes.

Frame by frame, in order (frame types travel in the cluster):

    I-frame:  every plane, each split into ``tiles(height)`` bands of rows, one chunk a band
    P-frame:  a side chunk (constriction: the reference mode, 0 co-located or 1 quarter-pel
              16x16 motion, and the vectors), then every plane's bands against the reference

Features of a plane (``planes.plane_config``): its causal neighbours; in P-frames the 3x3 of
the reference around the same position; the second and third planes of a 3-plane frame (U, V
or B, R) the 3x3 of the first plane summed over its subsampling (and the third the 3x3 of
the second). Bands are independent: own adaptive state, own stream (the unit of parallel work).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..entropy import AdaptiveTables, SymbolCoder
from ..formats import lookup, plane_shapes
from ..predict import subpel
from . import payload
from .planes import decode_plane, encode_plane, plane_config

MOTION = subpel.QuarterPelMotion()
MODES = 2           # P-frame reference: 0 co-located, 1 motion-compensated
BAND_ROWS = 512     # bands per plane: luma height // 512 (at least 1), the same for every plane


def bands(luma_height: int) -> int:
    return max(1, luma_height // BAND_ROWS)


def band_rows(height: int, count: int) -> list[tuple[int, int]]:
    edges = [height * i // count for i in range(count + 1)]
    return [(a, b) for a, b in zip(edges, edges[1:]) if b > a] or [(0, height)]


def cross_plane(source: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """``source`` summed over blocks so that it lies on the grid of a plane of ``shape``."""
    h, w = shape
    sy, sx = -(-source.shape[0] // h), -(-source.shape[1] // w)
    x = np.pad(source.astype(np.int32), ((0, h * sy - source.shape[0]), (0, w * sx - source.shape[1])), mode="edge")
    return x.reshape(h, sy, w, sx).sum(axis=(1, 3), dtype=np.int32)


@dataclass
class Unit:
    """One band of one plane: what it is coded from."""
    frame: int
    plane: int
    rows: tuple[int, int]
    sides: list[np.ndarray]   # full-plane side planes, before cropping
    inter: bool


def _crop(sides: list[np.ndarray], rows: tuple[int, int]) -> list[np.ndarray]:
    a, b = rows
    return [s[a:b] for s in sides]


def side_planes(coded: list[np.ndarray], k: int, shape, ref: np.ndarray | None, nplanes: int) -> list[np.ndarray]:
    """Side planes of plane k: its reference, then (planes 1 and 2 of a 3- or 4-plane frame)
    plane 0 and, for plane 2, plane 1 on its grid. ``coded``: the frame's planes before k."""
    out = [] if ref is None else [ref]
    if nplanes >= 3 and k in (1, 2):
        out.append(cross_plane(coded[0], shape))
        if k == 2:
            out.append(cross_plane(coded[1], shape))
    return out


class AdaptiveGop:
    """Encode / decode GOPs of one pixel format with the adaptive stage at one effort."""

    def __init__(self, effort: int, bit_depth: int, table: np.ndarray):
        self.effort = effort
        self.bits = bit_depth
        self.table = table

    def _config(self, unit: Unit):
        return plane_config(self.effort, len(unit.sides), unit.inter, self.bits)

    def encode_unit(self, plane: np.ndarray, unit: Unit) -> tuple[bytes, float]:
        a, b = unit.rows
        return encode_plane(plane[a:b], _crop(unit.sides, unit.rows), self._config(unit), self.table)

    def decode_unit(self, data: bytes, shape, unit: Unit) -> np.ndarray:
        a, b = unit.rows
        return decode_plane(data, (b - a, shape[1]), _crop(unit.sides, unit.rows), self._config(unit), self.table)

    # -- the reference of a P-frame

    def choose_reference(self, planes, prev) -> tuple[int, np.ndarray | None, list[np.ndarray]]:
        """Encoder: co-located or motion-compensated, whichever codes the luma smaller
        (a trial at the fastest effort)."""
        vectors = MOTION.estimate(planes[0], prev[0])
        if not vectors.any():
            return 0, None, prev
        compensated = MOTION.compensate(prev, vectors)
        trial = []
        for ref in (prev[0], compensated[0]):
            cfg = plane_config(1, 1, True, self.bits)
            trial.append(encode_plane(planes[0], [ref], cfg, self.table)[1])
        if trial[1] + 16 * vectors.size < trial[0]:
            return 1, vectors, compensated
        return 0, None, prev

    @staticmethod
    def side_chunk(mode: int, vectors, shape) -> bytes:
        coder = SymbolCoder()
        coder.code_uniform(np.array([mode], np.int32), 1, MODES)
        if mode == 1:
            MOTION.code(coder, AdaptiveTables(np.ones((1, MOTION.symbols), np.int64)), shape, vectors)
        return coder.payload()

    @staticmethod
    def read_side(data: bytes, shape) -> tuple[int, np.ndarray | None]:
        coder = SymbolCoder(data)
        mode = int(coder.code_uniform(None, 1, MODES)[0])
        if mode == 1:
            return mode, MOTION.code(coder, AdaptiveTables(np.ones((1, MOTION.symbols), np.int64)), shape, None)
        return mode, None

    # -- what GopCoder calls

    def encode_gop(self, frames: list[list[np.ndarray]]) -> tuple[bytes, str]:
        types = "I" + "P" * (len(frames) - 1)
        return self.encode(frames, types), types

    def decode_gop(self, data: bytes, frame_types: str, pix_fmt: str, width: int, height: int,
                   probe=None) -> list[list[np.ndarray]]:
        fmt = lookup(pix_fmt)
        frames = self.decode(data, frame_types, plane_shapes(fmt, width, height), probe)
        return [[p.astype(fmt.dtype) for p in f] for f in frames]

    # -- the syntax

    def units(self, i: int, planes: list[np.ndarray], refs) -> list[Unit]:
        """The bands of frame i, plane by plane (the order of their chunks)."""
        out = []
        n = bands(planes[0].shape[0])
        for k, plane in enumerate(planes):
            sides = side_planes(planes[:k], k, plane.shape, refs[k], len(planes))
            for rows in band_rows(plane.shape[0], n):
                out.append(Unit(i, k, rows, sides, refs[k] is not None))
        return out

    def encode(self, frames: list[list[np.ndarray]], frame_types: str, probe=None) -> bytes:
        chunks = []
        prev = None
        for i, planes in enumerate(frames):
            shapes = [p.shape for p in planes]
            refs = [None] * len(planes)
            if frame_types[i] == "P":
                mode, vectors, reference = self.choose_reference(planes, prev)
                chunks.append(self.side_chunk(mode, vectors, shapes[0]))
                refs = list(reference)
            for unit in self.units(i, planes, refs):
                data, _ = self.encode_unit(planes[unit.plane], unit)
                chunks.append(data)
            prev = planes
        return payload.join(chunks)

    def chunk_count(self, frame_types: str, shapes) -> int:
        per_frame = sum(len(band_rows(s[0], bands(shapes[0][0]))) for s in shapes)
        return len(frame_types) * per_frame + frame_types.count("P")

    def decode(self, data: bytes, frame_types: str, shapes, probe=None) -> list[list[np.ndarray]]:
        chunks = iter(payload.split(data, self.chunk_count(frame_types, shapes)))
        frames = []
        prev = None
        for i, ftype in enumerate(frame_types):
            if ftype not in "IP":
                raise ValueError(f"unknown frame type {ftype!r}")
            refs = [None] * len(shapes)
            if ftype == "P":
                if prev is None:
                    raise ValueError("GOP starts with a P-frame")
                side = next(chunks)
                mode, vectors = self.read_side(side, shapes[0])
                if probe is not None:
                    probe.at(frame=i, frame_type=ftype, plane="side", mode="", part="vectors and modes")
                    probe.add(8.0 * len(side), 1 if vectors is None else vectors.size)
                refs = list(prev if mode == 0 else MOTION.compensate(prev, vectors))
            planes: list[np.ndarray] = []
            for k, shape in enumerate(shapes):
                out = np.empty(shape, np.int32)
                sides = side_planes(planes, k, shape, refs[k], len(shapes))
                for rows in band_rows(shape[0], bands(shapes[0][0])):
                    unit = Unit(i, k, rows, sides, refs[k] is not None)
                    chunk = next(chunks)
                    out[rows[0]:rows[1]] = self.decode_unit(chunk, shape, unit)
                    if probe is not None:
                        probe.at(frame=i, frame_type=ftype, plane=k, mode="inter" if unit.inter else "intra",
                                 part="samples")
                        probe.add(8.0 * len(chunk), (rows[1] - rows[0]) * shape[1])
                planes.append(out)
            frames.append(planes)
            prev = planes
        return frames
