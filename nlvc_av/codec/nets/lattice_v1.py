"""Architecture ``mdiff-lattice-v1``: the integer network over the reveal schedule's cells.

Per hidden sample it gives an integer mean (the base prediction plus the network's rounded
offset, clamped to the sample range) and a scale class that picks the adaptive table.
This is the only door between the plane coder (numpy) and torch.
"""
from __future__ import annotations

import math

import numpy as np
import torch

from .inputs import network_input
from .intnet import IntNet

NUM_CLASSES = 24          # scale classes of the residual distributions
LS_MIN = math.log(0.25)   # log scale of class 0 (the training loss's parametrisation)
LS_STEP = 0.25


class LatticePredictor:
    """Integer means and scale classes for the H, V, D samples of every cell."""

    architecture = "mdiff-lattice-v1"

    def __init__(self, arrays: dict[str, np.ndarray]):
        self.net = IntNet(arrays)
        self.prior = np.asarray(arrays["prior"], np.int64)
        if self.prior.shape != (NUM_CLASSES, 256) or (self.prior < 1).any():
            raise ValueError(f"prior tables must be ({NUM_CLASSES}, 256) counts >= 1, got {self.prior.shape}")

    @torch.no_grad()
    def predict(self, cells: np.ndarray, known_set: int, ref_cells: np.ndarray | None, chroma: bool,
                level: int) -> tuple[np.ndarray, np.ndarray]:
        """``cells`` (4, hc, wc) integers -> (mu, cls), each (3, hc, wc), in TARGETS order."""
        c = torch.from_numpy(cells.astype(np.float32))[None]
        r = None if ref_cells is None else torch.from_numpy(ref_cells.astype(np.float32))[None]
        x, base = network_input(c, known_set, r, chroma, level)
        out = self.net(x)[0]
        mu = torch.clamp(base[0] + torch.floor(out[:3] + 0.5), 0, 255)
        cls = torch.clamp(torch.floor(out[3:] + 0.5), 0, NUM_CLASSES - 1)
        return mu.numpy().astype(np.int32), cls.numpy().astype(np.int64)
