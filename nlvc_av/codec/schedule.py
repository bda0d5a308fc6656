"""The reveal schedule: which samples of a plane are coded in which order (numpy only).

A plane is revealed coarse to fine. At stride S the lattice ``plane[::S, ::S]`` is split
into 2x2 cells; the top-left sample of every cell (A) is already known from the coarser
level, and the three others are revealed in G groups:

    G=1: {D, H, V}          G=2: {D}, {H, V}          G=3: {D}, {H}, {V}

where D is the diagonal sample, H the one to the right of A and V the one below it.
Which samples are known when a group is coded is one of three *known sets*:
K1 = {A}, K2 = {A, D}, K3 = {A, D, H}. The network's input is built from the cells
(:mod:`nlvc_av.codec.nets.inputs`).
"""
from __future__ import annotations

import math

import numpy as np

# Channel order of a cell: A, H, V, D.
A, H, V, D = 0, 1, 2, 3
TARGETS = (H, V, D)  # order of the network's output heads

# known set id -> tuple of known channels
KNOWN_SETS = {1: (A,), 2: (A, D), 3: (A, D, H)}

# groups per level -> list of (known set id, channels coded in this group)
SCHEDULES = {
    1: [(1, (D, H, V))],
    2: [(1, (D,)), (2, (H, V))],
    3: [(1, (D,)), (2, (H,)), (3, (V,))],
}
GROUP_CHOICES = tuple(SCHEDULES)


def top_level(h: int, w: int) -> int:
    """Finest power of two S_top with only sample (0, 0) on the 2*S_top grid."""
    return max(0, math.ceil(math.log2(max(h, w, 2))) - 1)


def levels(h: int, w: int):
    """``(level, stride)`` from the coarsest level that has more than one sample to the finest."""
    for level in range(top_level(h, w), -1, -1):
        s = 2 ** level
        if -(-h // s) >= 2 or -(-w // s) >= 2:
            yield level, s


def unshuffle(lattice: np.ndarray) -> np.ndarray:
    """(h, w) lattice -> (4, ceil(h/2), ceil(w/2)) cells (A, H, V, D), padding by replication.

    Padded samples are never coded; replication keeps them plausible for the network.
    """
    h, w = lattice.shape
    x = np.pad(lattice, ((0, h % 2), (0, w % 2)), mode="edge") if h % 2 or w % 2 else lattice
    return np.stack([x[0::2, 0::2], x[0::2, 1::2], x[1::2, 0::2], x[1::2, 1::2]])


def shuffle(cells: np.ndarray, h: int, w: int) -> np.ndarray:
    """Inverse of unshuffle: (4, hc, wc) -> (h, w)."""
    _, hc, wc = cells.shape
    out = np.empty((2 * hc, 2 * wc), cells.dtype)
    out[0::2, 0::2], out[0::2, 1::2], out[1::2, 0::2], out[1::2, 1::2] = cells
    return out[:h, :w]


def pad_with_anchor(cells: np.ndarray, h: int, w: int) -> None:
    """Padded samples copy the cell's anchor, which is always known: encoder and decoder agree."""
    if h % 2:
        cells[V, -1, :] = cells[A, -1, :]
        cells[D, -1, :] = cells[A, -1, :]
    if w % 2:
        cells[H, :, -1] = cells[A, :, -1]
        cells[D, :, -1] = cells[A, :, -1]


def valid_masks(h: int, w: int, hc: int, wc: int) -> dict[int, np.ndarray]:
    """Which cells' H, V, D samples lie inside an h x w lattice (the rest is padding)."""
    rows = np.arange(hc)[:, None]
    cols = np.arange(wc)[None, :]
    h_ok = np.broadcast_to(2 * cols + 1 < w, (hc, wc))
    v_ok = np.broadcast_to(2 * rows + 1 < h, (hc, wc))
    return {H: h_ok, V: v_ok, D: h_ok & v_ok}
