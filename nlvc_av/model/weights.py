"""Shipped weights: one .npz of integers (network layers and prior frequency tables).

Everything the decoder needs is stored as integers, so no float function of the weights
is ever recomputed at decode time. The file's SHA-256 is recorded in every .nlvc header.
"""
from __future__ import annotations

import hashlib
import io
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

NUM_CLASSES = 24          # scale classes of the residual distributions
LS_MIN = math.log(0.25)
LS_STEP = 0.25
PRIOR_TOTAL = 1 << 12     # each prior table sums to about this
SHIPPED = Path(__file__).resolve().parents[1] / "weights" / "nlvc_entropy.npz"
MODEL_FAMILY = "nlvc-mdiff-lattice-v1"


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


@dataclass
class LoadedWeights:
    arrays: dict[str, np.ndarray]
    sha256: str
    model_id: str
    note: dict


def load_weights(path: Path | str = SHIPPED) -> LoadedWeights:
    data = Path(path).read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    with np.load(io.BytesIO(data)) as z:
        arrays = {k: z[k] for k in z.files}
    note = json.loads(bytes(arrays.pop("note")).decode()) if "note" in arrays else {}
    channels, blocks = (int(v) for v in arrays["arch"])
    return LoadedWeights(arrays, sha, f"{MODEL_FAMILY}-c{channels}b{blocks}", note)


def tiny_weights(seed: int = 0) -> LoadedWeights:
    """A small untrained network for fast coding tests (exact like any other)."""
    import torch
    from .qnet import EntropyNet
    torch.manual_seed(seed)
    net = EntropyNet(channels=8, blocks=1)
    for p in net.parameters():
        p.data.mul_(0.1)
    arrays = net.export()
    arrays["prior"] = prior_tables().astype(np.int32)
    blob = b"".join(arrays[k].tobytes() for k in sorted(arrays))
    return LoadedWeights(arrays, hashlib.sha256(blob).hexdigest(), f"{MODEL_FAMILY}-tiny{seed}",
                         {"tiny": True})
