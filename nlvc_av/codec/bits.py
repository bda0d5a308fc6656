"""Where the bits go: ideal code lengths of everything a GOP codes, by frame, plane and level.

    probe = BitProbe()
    frames, _ = code_gop(dataclasses.replace(ctx, probe=probe), ProbeCoder(decoder, probe), ...)
    probe.totals(["frame_type", "plane"])     # {("P", 0): (bits, symbols), ...}

The GOP syntax tells the probe where it is (frame, frame type, plane, intra/inter, part:
"level N", "first sample", "vectors and modes"); :class:`ProbeCoder` wraps the range coder and
adds each group's ideal code length (-log2 of the adaptive table's probability, before the
table learns from the group) under the current labels. Decoding with it changes nothing.
"""
from __future__ import annotations

from collections import defaultdict

import numpy as np

LABELS = ("frame", "frame_type", "plane", "mode", "part")


class BitProbe:
    def __init__(self):
        self.where = {k: "" for k in LABELS}
        self.records: dict[tuple, list[float]] = defaultdict(lambda: [0.0, 0])

    def at(self, **labels) -> None:
        self.where.update(labels)

    def add(self, bits: float, symbols: int) -> None:
        entry = self.records[tuple(self.where[k] for k in LABELS)]
        entry[0] += bits
        entry[1] += symbols

    def totals(self, by: list[str]) -> dict[tuple, tuple[float, int]]:
        """Bits and symbols summed over everything but the labels in ``by``."""
        out: dict[tuple, list] = defaultdict(lambda: [0.0, 0])
        index = [LABELS.index(k) for k in by]
        for key, (bits, n) in self.records.items():
            e = out[tuple(key[i] for i in index)]
            e[0] += bits
            e[1] += n
        return {k: (v[0], v[1]) for k, v in out.items()}


class ProbeCoder:
    """A range coder (encoder or decoder) that also measures what each call costs."""

    def __init__(self, coder, probe: BitProbe):
        self.coder = coder
        self.probe = probe
        self.decoding = coder.decoding

    def code_group(self, tables, classes: np.ndarray, symbols: np.ndarray | None) -> np.ndarray:
        used = np.unique(classes)
        rows = {int(c): tables.row(int(c)).copy() for c in used}
        out = self.coder.code_group(tables, classes, symbols)
        bits = 0.0
        for c, row in rows.items():
            where = classes == c
            bits -= float(np.log2(row[out[where]] / row.sum()).sum())
        self.probe.add(bits, int(classes.size))
        return out

    def code_uniform(self, values, n: int, size: int) -> np.ndarray:
        out = self.coder.code_uniform(values, n, size)
        self.probe.add(n * float(np.log2(size)), n)
        return out
