"""The arithmetic the bitstream depends on, stated as tests (see constraints.txt).

If a library update changes any of these, files already written would stop decoding: pin the
library, or make the new behaviour a new model id / format version.
"""
from __future__ import annotations

import hashlib

import constriction
import numpy as np
import torch

from nlvc_av.codec import registry
from nlvc_av.codec.entropy import AdaptiveTables, SymbolCoder
from nlvc_av.codec.nets.lattice_v1 import LatticePredictor


def test_constriction_quantises_a_fixed_table_to_fixed_bytes():
    # A categorical from float probabilities (perfect=False, as the coder uses) and a range
    # coder: the bytes of a fixed message are part of every file ever written.
    probs = np.array([0.5, 0.25, 0.125, 0.0625, 0.0625])
    model = constriction.stream.model.Categorical(probs, perfect=False)
    enc = constriction.stream.queue.RangeEncoder()
    enc.encode(np.array([0, 1, 2, 3, 4, 0, 0, 1, 4, 2], np.int32), model)
    assert enc.get_compressed().astype("<u4").tobytes().hex() == "4dbcbc5b"


def test_adaptive_tables_and_the_coder_give_fixed_bytes():
    tables = AdaptiveTables(np.ones((2, 256), np.int64))
    coder = SymbolCoder()
    rng = np.random.default_rng(0)
    for _ in range(3):
        classes = rng.integers(0, 2, 500)
        symbols = np.clip(rng.normal(128, 3, 500), 0, 255).astype(np.int32)
        coder.code_group(tables, classes, symbols)
    coder.code_uniform(np.array([7, 200]), 2, 256)
    assert hashlib.sha256(coder.payload()).hexdigest()[:16] == "8c0551696bc2dcd2"


def test_the_integer_network_gives_fixed_outputs():
    # Exact integers in float32 (every partial sum below 2**24): any torch, any thread count.
    predictor = LatticePredictor(registry.load("tiny").arrays)
    rng = np.random.default_rng(1)
    cells = rng.integers(0, 256, (4, 9, 11)).astype(np.int32)
    ref = rng.integers(0, 256, (4, 9, 11)).astype(np.int32)
    mu, cls = predictor.predict(cells, 2, ref, True, 1)
    digest = hashlib.sha256(mu.astype("<i4").tobytes() + cls.astype("<i8").tobytes()).hexdigest()
    assert digest[:16] == "aeca3c2501dd856f"
    assert torch.get_num_threads() >= 1
