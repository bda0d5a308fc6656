"""The integer networks, one module per architecture; the only part of the codec that uses torch.

``build(architecture, arrays)`` makes the predictor a registered model names;
``set_threads(n)`` fixes torch's intra-op threads once for the process (never per GOP).
"""
from __future__ import annotations

import numpy as np


def build(architecture: str, arrays: dict[str, np.ndarray]):
    from .lattice_v1 import LatticePredictor

    known = {LatticePredictor.architecture: LatticePredictor}
    if architecture not in known:
        raise KeyError(architecture)
    return known[architecture](arrays)


def set_threads(threads: int | None) -> None:
    """Torch intra-op threads for this process (``None``: leave torch's default)."""
    if threads:
        import torch

        torch.set_num_threads(int(threads))
