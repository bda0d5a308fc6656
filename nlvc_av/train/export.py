"""Weights files: the integer arrays a trained network exports, plus the prior tables.

Everything the decoder needs is stored as integers, so no float function of the weights is
ever recomputed at decode time. A new weights file is registered under a new model id in
:mod:`nlvc_av.codec.registry`, with its SHA-256.
"""
from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import numpy as np

from ..codec.nets.lattice_v1 import LS_MIN, LS_STEP, NUM_CLASSES

PRIOR_TOTAL = 1 << 12     # each prior table sums to about this


def prior_tables() -> np.ndarray:
    """(NUM_CLASSES, 256) integer tables: a discretized logistic of residual (symbol - 128)."""
    r = np.arange(256, dtype=np.float64) - 128
    tables = np.zeros((NUM_CLASSES, 256), np.int64)
    for c in range(NUM_CLASSES):
        s = np.exp(LS_MIN + LS_STEP * c)
        cdf = lambda v: 1.0 / (1.0 + np.exp(-v / s))  # noqa: E731
        p = cdf(r + 0.5) - cdf(r - 0.5)
        tables[c] = np.maximum(1, np.rint(p / p.sum() * PRIOR_TOTAL)).astype(np.int64)
    return tables


def export_weights(net, path: Path, note: dict) -> str:
    """Write the integer weights (+ prior tables and a note); return the SHA-256."""
    arrays = net.export()
    arrays["prior"] = prior_tables().astype(np.int32)
    arrays["note"] = np.frombuffer(json.dumps(note).encode(), np.uint8)
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    data = buf.getvalue()
    tmp = Path(str(path) + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return hashlib.sha256(data).hexdigest()
