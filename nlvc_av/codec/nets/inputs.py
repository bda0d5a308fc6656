"""The network's input, built from the cells of the reveal schedule (torch, batched).

For a group with known set K the network sees the cell grid (pixel-unshuffled lattice) with
its unknown samples replaced by a spatial base prediction, flags of which samples are known,
the motion-compensated reference on the same lattice for P-frames, and constants (has a
reference, is chroma, level). Every tensor holds integers (in float32, all far below 2**24),
so every result is exact and identical on any machine.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ..schedule import A, D, H, KNOWN_SETS, TARGETS, V

IN_CHANNELS = 14
ONE = 64  # value of a "true" flag input (the input scale is 1/64 per unit)


def _shift(x: torch.Tensor, dy: int, dx: int) -> torch.Tensor:
    """x[i + dy, j + dx] with edge replication; x is (B, hc, wc)."""
    p = F.pad(x[:, None], (max(-dx, 0), max(dx, 0), max(-dy, 0), max(dy, 0)), mode="replicate")[:, 0]
    hc, wc = x.shape[1:]
    y0, x0 = max(dy, 0), max(dx, 0)
    return p[:, y0:y0 + hc, x0:x0 + wc]


def spatial_base(cells: torch.Tensor, known_set: int) -> torch.Tensor:
    """Integer base predictions (B, 3, hc, wc) for H, V, D from the known samples."""
    a, d = cells[:, A], cells[:, D]
    a_r, a_b, a_rb = _shift(a, 0, 1), _shift(a, 1, 0), _shift(a, 1, 1)
    base_d = torch.floor((a + a_r + a_b + a_rb + 2) / 4)
    if known_set >= 2:
        base_h = torch.floor((a + a_r + d + _shift(d, -1, 0) + 2) / 4)
        base_v = torch.floor((a + a_b + d + _shift(d, 0, -1) + 2) / 4)
    else:
        base_h = torch.floor((a + a_r + 1) / 2)
        base_v = torch.floor((a + a_b + 1) / 2)
    return torch.stack([base_h, base_v, base_d], dim=1)


def network_input(cells: torch.Tensor, known_set: int, ref_cells: torch.Tensor | None,
                  chroma: bool, level: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Build the (B, IN_CHANNELS, hc, wc) network input and the (B, 3, hc, wc) base.

    ``cells`` may hold anything in unknown channels: they are replaced here.
    The base is the motion-compensated reference for P-frames, else the spatial base.
    """
    known = KNOWN_SETS[known_set]
    spatial = spatial_base(cells, known_set)
    filled = cells.clone()
    for k, ch in enumerate(TARGETS):
        if ch not in known:
            filled[:, ch] = spatial[:, k]
    b, _, hc, wc = cells.shape
    flags = torch.zeros(b, 3, hc, wc, dtype=cells.dtype, device=cells.device)
    for k, ch in enumerate(TARGETS):
        if ch in known:
            flags[:, k] = ONE
    if ref_cells is None:
        ref = torch.zeros_like(cells)
        has_ref = 0
        base = spatial
    else:
        ref = ref_cells
        has_ref = ONE
        base = ref_cells[:, [H, V, D]]
    const = torch.empty(b, 3, hc, wc, dtype=cells.dtype, device=cells.device)
    const[:, 0] = has_ref
    const[:, 1] = ONE if chroma else 0
    const[:, 2] = 16 * level
    x = torch.cat([filled, flags, ref, const], dim=1)
    return x, base
