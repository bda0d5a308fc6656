"""Token maps: how a sample and its integer mean become the symbol the range coder codes.

``residual-mod256-v1``: symbol = (sample - mu + 128) mod 256, a bijection for a known mu, so
the decoder gets the sample back as (symbol + mu - 128) mod 256. A file names its token map
in CodecSetup; decoding refuses a name this release does not know.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class TokenMap:
    name: str
    bits: int  # sample bit depth: symbols live in [0, 2**bits)

    @property
    def alphabet(self) -> int:
        return 1 << self.bits

    def to_symbols(self, samples: np.ndarray, mu: np.ndarray) -> np.ndarray:
        half = self.alphabet >> 1
        return (samples.astype(np.int32) - mu + half) & (self.alphabet - 1)

    def to_samples(self, symbols: np.ndarray, mu: np.ndarray) -> np.ndarray:
        half = self.alphabet >> 1
        return (symbols.astype(np.int32) + mu - half) & (self.alphabet - 1)


RESIDUAL_MOD256 = TokenMap("residual-mod256-v1", 8)
#: 9-16 bits (nlvc_av/codec/highdepth.py); at 8 bits the same arithmetic as residual-mod256-v1.
RESIDUAL_SPLIT = TokenMap("residual-mod2^b-split-v1", 8)

#: The adaptive stage (nlvc_av/codec/adaptive/distribution.py): the sample itself, coded in a
#: window around its prediction with an escape; any depth up to 16 bits.
VALUE_WINDOW = TokenMap("value-window-escape-v1", 16)

TOKEN_MAPS = {t.name: t for t in (RESIDUAL_MOD256, RESIDUAL_SPLIT, VALUE_WINDOW)}
