"""The integer networks, one module per architecture; the only part of the codec that uses torch.

``build(architecture, arrays)`` makes the predictor a registered model names;
``set_threads(n)`` fixes torch's intra-op threads once for the process (never per GOP). Torch
is imported only when a network is built: a process that codes with the adaptive stage
(no network) never pays for it.
"""
from __future__ import annotations

import sys

import numpy as np

_threads: int | None = None   # asked for before torch was imported: applied when it is


def build(architecture: str, arrays: dict[str, np.ndarray]):
    from .lattice_v1 import LatticePredictor

    if _threads:
        set_threads(_threads)
    known = {LatticePredictor.architecture: LatticePredictor}
    if architecture not in known:
        raise KeyError(architecture)
    return known[architecture](arrays)


def set_threads(threads: int | None) -> None:
    """Torch intra-op threads for this process (``None``: leave torch's default)."""
    global _threads
    if not threads:
        return
    if "torch" not in sys.modules:
        _threads = int(threads)
        return
    import torch

    torch.set_num_threads(int(threads))
