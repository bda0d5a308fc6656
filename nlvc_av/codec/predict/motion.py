"""Block motion search and compensation (integer-pel, integer arithmetic only).

The encoder searches one vector per 16x16 luma block against the previous decoded frame;
the vectors travel as side information and the decoder builds the same compensated
reference. Chroma planes reuse the luma vectors scaled by their subsampling.
"""
from __future__ import annotations

import numpy as np

BLOCK = 16
COARSE_RADIUS = 8   # searched at half resolution, so +-16 pixels at full resolution
FINE_RADIUS = 1


def _block_sums(x: np.ndarray, block: int, nby: int, nbx: int) -> np.ndarray:
    """Sum of x over each block (x is padded to nby*block x nbx*block)."""
    return x.reshape(nby, block, nbx, block).sum(axis=(1, 3))


def padded(plane: np.ndarray, hp: int, wp: int, margin: int) -> np.ndarray:
    h, w = plane.shape
    return np.pad(plane, ((margin, margin + hp - h), (margin, margin + wp - w)), mode="edge")


def search_offsets(radius: int) -> list[tuple[int, int]]:
    """The candidate offsets of a search, in the order ties are decided: shortest first."""
    return sorted(((dy, dx) for dy in range(-radius, radius + 1) for dx in range(-radius, radius + 1)),
                  key=lambda o: (abs(o[0]) + abs(o[1]), o))


def _search(cur: np.ndarray, ref: np.ndarray, block: int, radius: int,
            start: np.ndarray | None) -> np.ndarray:
    """Best vector per block minimising SAD (ties: smallest |v|, then scan order)."""
    h, w = cur.shape
    nby, nbx = -(-h // block), -(-w // block)
    hp, wp = nby * block, nbx * block
    margin = radius + (0 if start is None else int(np.abs(start).max(initial=0)))
    c = padded(cur, hp, wp, 0).astype(np.int32)
    r = padded(ref, hp, wp, margin).astype(np.int32)
    if start is None:
        start = np.zeros((nby, nbx, 2), np.int64)
    best = np.full((nby, nbx), np.iinfo(np.int64).max, np.int64)
    best_v = start.copy()
    offsets = search_offsets(radius)
    # expand the per-block start vectors to per-pixel shifts
    sy = np.repeat(np.repeat(start[..., 0], block, 0), block, 1)
    sx = np.repeat(np.repeat(start[..., 1], block, 0), block, 1)
    yy, xx = np.mgrid[0:hp, 0:wp]
    for dy, dx in offsets:
        pred = r[yy + margin + sy + dy, xx + margin + sx + dx] if start.any() else \
            r[margin + dy:margin + dy + hp, margin + dx:margin + dx + wp]
        sad = _block_sums(np.abs(c - pred), block, nby, nbx).astype(np.int64)
        sad += (abs(dy) + abs(dx)) * block  # small bias towards short vectors
        better = sad < best
        best = np.where(better, sad, best)
        best_v[better] = start[better] + (dy, dx)
    return best_v


def estimate(cur: np.ndarray, ref: np.ndarray, search=_search) -> np.ndarray:
    """Vectors (nby, nbx, 2) for BLOCK x BLOCK blocks of the luma plane ``cur`` against ``ref``:
    a search at half resolution, then +-1 at full. ``search(cur, ref, block, radius, start)``:
    ``_search`` or a compiled equivalent (adaptive/motionsearch.py)."""
    h, w = cur.shape
    h2, w2 = h // 2 * 2, w // 2 * 2
    if h2 >= 2 * BLOCK and w2 >= 2 * BLOCK:
        def half(x: np.ndarray) -> np.ndarray:
            x = x[:h2, :w2].astype(np.int32)
            return (x[0::2, 0::2] + x[1::2, 0::2] + x[0::2, 1::2] + x[1::2, 1::2] + 2) >> 2
        coarse = search(half(cur), half(ref), BLOCK // 2, COARSE_RADIUS, None) * 2
        nby, nbx = -(-h // BLOCK), -(-w // BLOCK)
        start = np.zeros((nby, nbx, 2), np.int64)
        start[:coarse.shape[0], :coarse.shape[1]] = coarse[:nby, :nbx]
        return search(cur, ref, BLOCK, FINE_RADIUS, start)
    return search(cur, ref, BLOCK, COARSE_RADIUS, None)


def compensate(ref: np.ndarray, vectors: np.ndarray, sub_y: int = 1, sub_x: int = 1) -> np.ndarray:
    """Motion-compensated prediction of a plane subsampled by (sub_y, sub_x) from luma vectors."""
    h, w = ref.shape
    by, bx = BLOCK // sub_y, BLOCK // sub_x
    vy = np.floor_divide(vectors[..., 0], sub_y)
    vx = np.floor_divide(vectors[..., 1], sub_x)
    yy, xx = np.mgrid[0:h, 0:w]
    iy = np.minimum(yy // by, vectors.shape[0] - 1)
    ix = np.minimum(xx // bx, vectors.shape[1] - 1)
    src_y = np.clip(yy + vy[iy, ix], 0, h - 1)
    src_x = np.clip(xx + vx[iy, ix], 0, w - 1)
    return ref[src_y, src_x]


class IntegerMotion:
    """Syntax gop-v1/v2: integer vectors, coded as v + 32 in [0, 64) with one adaptive table;
    chroma reuses them divided (rounded down) by its subsampling."""

    symbols = 64
    offset = 32
    search = staticmethod(estimate)          # luma plane search
    predict_plane = staticmethod(compensate)  # (ref, vectors, sub_y, sub_x) -> prediction

    def estimate(self, cur: np.ndarray, ref: np.ndarray) -> np.ndarray:
        return self.search(cur, ref)

    def compensate(self, prev: list[np.ndarray], vectors: np.ndarray) -> list[np.ndarray]:
        """Every plane of a frame predicted with the luma vectors, at its own subsampling."""
        h, w = prev[0].shape
        return [self.predict_plane(p, vectors, -(-h // p.shape[0]), -(-w // p.shape[1])) for p in prev]

    def code(self, coder, table, shape: tuple[int, int], vectors: np.ndarray | None) -> np.ndarray:
        nby, nbx = -(-shape[0] // BLOCK), -(-shape[1] // BLOCK)
        flat = None if vectors is None else (vectors.reshape(-1) + self.offset).astype(np.int32)
        flat = coder.code_group(table, np.zeros(nby * nbx * 2, np.int64), flat)
        return (flat.astype(np.int64) - self.offset).reshape(nby, nbx, 2)
