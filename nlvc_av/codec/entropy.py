"""Adaptive integer frequency tables and the range-coder glue (constriction).

Residual symbols ``(x - mu + 128) mod 256`` (a bijection for a known mu) are coded with the
table of their scale class. Tables start from the shipped integer prior and learn from
what was already coded (encoder and decoder make the same integer updates), so the model
corrects its own calibration on each video. Every symbol keeps a count >= 1.
"""
from __future__ import annotations

import constriction
import numpy as np

INCREMENT = 24          # count added per coded symbol
RESCALE_TOTAL = 1 << 18  # halve a table once its total passes this


class AdaptiveTables:
    """One set of per-class tables (e.g. luma I, chroma P) over 256 residual symbols."""

    def __init__(self, prior: np.ndarray):
        self.counts = prior.astype(np.int64).copy()

    def model(self, cls: int) -> constriction.stream.model.Categorical:
        row = self.counts[cls]
        return constriction.stream.model.Categorical(row / float(row.sum()), perfect=False)

    def row(self, cls: int) -> np.ndarray:
        """The counts of class ``cls`` (what the bit report reads before a group is coded)."""
        return self.counts[cls]

    def copy(self) -> "AdaptiveTables":
        twin = AdaptiveTables.__new__(AdaptiveTables)
        twin.counts = self.counts.copy()
        return twin

    def probability(self, classes: np.ndarray, symbols: np.ndarray) -> np.ndarray:
        """The model probability of each (class, symbol) pair (trial cost estimates)."""
        counts = self.counts
        return counts[classes, symbols] / counts[classes].sum(axis=1)

    def update(self, classes: np.ndarray, symbols: np.ndarray) -> None:
        n, k = self.counts.shape
        hits = np.bincount(classes * k + symbols, minlength=n * k).reshape(n, k)
        self.counts += INCREMENT * hits
        big = self.counts.sum(axis=1) > RESCALE_TOTAL
        if big.any():
            self.counts[big] = (self.counts[big] + 1) >> 1


class SymbolCoder:
    """Encodes or decodes groups of residual symbols, one vectorised call per class."""

    def __init__(self, payload: bytes | None = None):
        self.decoding = payload is not None
        if self.decoding:
            words = np.frombuffer(payload, dtype="<u4").astype(np.uint32)
            self._coder = constriction.stream.queue.RangeDecoder(words)
        else:
            self._coder = constriction.stream.queue.RangeEncoder()

    def code_group(self, tables: AdaptiveTables, classes: np.ndarray,
                   symbols: np.ndarray | None) -> np.ndarray:
        """Code symbols (given when encoding, returned when decoding) in class order."""
        out = np.empty(classes.shape, np.int32) if self.decoding else symbols.astype(np.int32)
        for cls in np.unique(classes):
            where = np.flatnonzero(classes == cls)
            model = tables.model(int(cls))
            if self.decoding:
                out[where] = self._coder.decode(model, where.size)
            else:
                self._coder.encode(np.ascontiguousarray(out[where]), model)
        tables.update(classes, out)
        return out

    def code_uniform(self, values: np.ndarray | None, n: int, size: int) -> np.ndarray:
        """Raw symbols in [0, size) with a flat model (side information, first samples)."""
        model = constriction.stream.model.Categorical(np.full(size, 1.0 / size), perfect=False)
        if self.decoding:
            return np.asarray(self._coder.decode(model, n), np.int32)
        vals = np.ascontiguousarray(values, dtype=np.int32)
        self._coder.encode(vals, model)
        return vals

    def payload(self) -> bytes:
        return self._coder.get_compressed().astype("<u4").tobytes()


class CostRecorder:
    """Stands in for SymbolCoder on trial encodings: measures the ideal code length and
    records the calls, so the chosen trial can be replayed into the real coder without
    running the network again. Use it with a copy of the tables."""

    decoding = False

    def __init__(self):
        self.bits = 0.0
        self.calls: list[tuple] = []

    def code_group(self, tables: AdaptiveTables, classes: np.ndarray, symbols: np.ndarray) -> np.ndarray:
        p = tables.probability(classes, symbols)
        self.bits -= float(np.log2(p).sum())
        self.calls.append(("group", classes.copy(), symbols.copy()))
        tables.update(classes, symbols)
        return symbols.astype(np.int32)

    def code_uniform(self, values: np.ndarray, n: int, size: int) -> np.ndarray:
        self.bits += n * float(np.log2(size))
        self.calls.append(("uniform", np.asarray(values).copy(), n, size))
        return np.asarray(values, np.int32)

    def replay(self, coder: SymbolCoder, tables: AdaptiveTables) -> None:
        for call in self.calls:
            if call[0] == "group":
                coder.code_group(tables, call[1], call[2])
            else:
                coder.code_uniform(call[1], call[2], call[3])
