"""The lattice network on samples of 9 to 16 bits (token map ``residual-mod2^b-split-v1``).

The integer network takes inputs in [0, 255] (its 2**24 accumulator bound is proven for that
range), so it sees every sample shifted right by ``bits - 8``. Its base prediction is computed
from the full-precision samples (the spatial base, or the motion-compensated reference), and
its mean offset, an exact multiple of a power of two, is scaled up by ``2**(bits - 8)`` before
rounding: the mean keeps the network's fractional precision. Every step is exact in float32
(values below 2**18 plus an offset of at most 24 significant bits).
"""
from __future__ import annotations

import numpy as np
import torch

from ..schedule import D, H, V
from .inputs import network_input, spatial_base
from .lattice_v1 import NUM_CLASSES


class DeepLattice:
    """Integer means (0 .. 2**bits - 1) and scale classes from an 8-bit lattice predictor."""

    def __init__(self, base, bits: int):
        if not 8 < bits <= 16:
            raise ValueError(f"bits must be 9 to 16, got {bits}")
        self.base = base
        self.bits = bits
        self.scale = float(1 << (bits - 8))
        self.prior = base.prior

    @torch.no_grad()
    def predict(self, cells: np.ndarray, known_set: int, ref_cells: np.ndarray | None, chroma: bool,
                level: int) -> tuple[np.ndarray, np.ndarray]:
        c = torch.from_numpy(cells.astype(np.float32))[None]
        r = None if ref_cells is None else torch.from_numpy(ref_cells.astype(np.float32))[None]
        x, _ = network_input(torch.floor(c / self.scale), known_set,
                             None if r is None else torch.floor(r / self.scale), chroma, level)
        out = self.base.net(x)[0]
        base = spatial_base(c, known_set)[0] if r is None else r[0, [H, V, D]]
        mu = torch.clamp(base + torch.floor(out[:3] * self.scale + 0.5), 0, (1 << self.bits) - 1)
        cls = torch.clamp(torch.floor(out[3:] + 0.5), 0, NUM_CLASSES - 1)
        return mu.numpy().astype(np.int32), cls.numpy().astype(np.int64)
