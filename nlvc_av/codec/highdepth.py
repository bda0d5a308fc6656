"""Samples of 9 to 16 bits: token map ``residual-mod2^b-split-v1`` (models ``*-v3hd-*``).

For a plane of ``b`` bits (``s = b - 8``) and the integer mean ``mu`` (``nets/deep.py``):

    r  = (x - mu + 2**(b-1) + 2**(s-1)) mod 2**b      a bijection for a known mu
    hi = r >> s                                        8 bits: coded with the scale-class tables
    lo = r & (2**s - 1)                                s bits: its own adaptive tables

``hi`` is the residual in 8-bit units (128 = |x - mu| below half a step), so the shipped 8-bit
priors and contexts apply to it unchanged. ``lo`` is coded after ``hi`` with a table per
(context of hi, region of hi): region 0, 1, 2 for hi = 127, 128, 129 (where the residual's
peak shapes the low bits), 3 elsewhere (flat there). Every lo table starts flat (all ones)
and adapts with the same integer rule as the others, so tables stay small: 256 + 4 * 2**s
counts per context. The candidate models' neighbour errors are kept in 8-bit units
(``error >> s``), so their weights and energy buckets mean what they mean at 8 bits.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .contexts import CandidateModel
from .entropy import AdaptiveTables
from .gop import GopContext

TOKEN_MAP = "residual-mod2^b-split-v1"
REGIONS = 4


@dataclass(frozen=True)
class SplitTokens:
    """The token map at ``bits`` (9 to 16): samples <-> r; r's split is done by SplitCoder."""

    bits: int
    name: str = TOKEN_MAP

    @property
    def shift(self) -> int:
        return self.bits - 8

    @property
    def alphabet(self) -> int:
        return 1 << self.bits

    @property
    def _offset(self) -> int:
        return (1 << (self.bits - 1)) + (1 << (self.shift - 1))

    def to_symbols(self, samples: np.ndarray, mu: np.ndarray) -> np.ndarray:
        return (samples.astype(np.int32) - mu + self._offset) & (self.alphabet - 1)

    def to_samples(self, symbols: np.ndarray, mu: np.ndarray) -> np.ndarray:
        return (symbols.astype(np.int32) + mu - self._offset) & (self.alphabet - 1)


class SplitTables:
    """The hi tables (the 8-bit contexts, 256 symbols) and the lo tables behind one object:
    classes below ``n_hi`` are hi contexts, the others lo contexts (``n_hi + 4 * ctx + region``).
    One object, so that a trial's recorded calls replay into the right tables."""

    def __init__(self, hi: AdaptiveTables, shift: int, lo: AdaptiveTables | None = None):
        self.hi = hi
        self.n_hi = hi.counts.shape[0]
        self.lo = lo or AdaptiveTables(np.ones((self.n_hi * REGIONS, 1 << shift), np.int64))

    def _part(self, classes):
        return (self.hi, 0) if int(np.min(classes)) < self.n_hi else (self.lo, self.n_hi)

    def model(self, cls: int):
        return self.hi.model(cls) if cls < self.n_hi else self.lo.model(cls - self.n_hi)

    def row(self, cls: int) -> np.ndarray:
        return self.hi.row(cls) if cls < self.n_hi else self.lo.row(cls - self.n_hi)

    def probability(self, classes: np.ndarray, symbols: np.ndarray) -> np.ndarray:
        if not classes.size:
            return np.ones(0)
        table, base = self._part(classes)
        return table.probability(classes - base, symbols)

    def update(self, classes: np.ndarray, symbols: np.ndarray) -> None:
        if classes.size:
            table, base = self._part(classes)
            table.update(classes - base, symbols)

    def copy(self) -> "SplitTables":
        return SplitTables(self.hi.copy(), 0, self.lo.copy())

    def lo_classes(self, ctx: np.ndarray, hi: np.ndarray) -> np.ndarray:
        region = np.where(np.abs(hi.astype(np.int64) - 128) <= 1, hi.astype(np.int64) - 127, 3)
        return self.n_hi + REGIONS * ctx.astype(np.int64) + region


class SplitCoder:
    """Wraps a SymbolCoder (or CostRecorder): each group of r becomes a hi group, then a lo group."""

    def __init__(self, coder, shift: int):
        self.coder = coder
        self.shift = shift
        self.decoding = coder.decoding

    def code_group(self, tables: SplitTables, classes: np.ndarray, symbols: np.ndarray | None) -> np.ndarray:
        s = self.shift
        hi = self.coder.code_group(tables, classes, None if symbols is None else symbols >> s)
        lo = None if symbols is None else symbols & ((1 << s) - 1)
        lo = self.coder.code_group(tables, tables.lo_classes(classes, hi), lo)
        return (hi.astype(np.int32) << s) | lo

    def code_uniform(self, values, n: int, size: int):
        return self.coder.code_uniform(values, n, size)


def _shifted_record(self, ys, xs, values) -> None:
    values = values.astype(np.int64)
    self.values[ys, xs] = values
    self.known[ys, xs] = True
    self.errors[:, ys, xs] = np.abs(values[None] - self._last) >> self.error_shift


@lru_cache(maxsize=None)
def deep_model(cls: type, shift: int) -> type:
    """The probability model class for ``shift`` extra bits (candidate errors in 8-bit units)."""
    if not issubclass(cls, CandidateModel):
        return cls
    return type(f"{cls.__name__}Deep{shift}", (cls,), {"record": _shifted_record, "error_shift": shift})


@dataclass
class DeepGopContext(GopContext):
    """A GopContext for 9-16-bit planes: split tables, the split coder, deep model classes."""

    def __post_init__(self):
        shift = self.tokens.shift
        self.syntax = dataclasses.replace(self.syntax, intra=deep_model(self.syntax.intra, shift),
                                          inter=deep_model(self.syntax.inter, shift))

    def tables(self):
        return {key: SplitTables(t, self.tokens.shift) for key, t in super().tables().items()}

    def plane(self, tables, coder, *args, **kwargs) -> np.ndarray:
        return super().plane(tables, SplitCoder(coder, self.tokens.shift), *args, **kwargs)
