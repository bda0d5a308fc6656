"""P-frame references of the adaptive stage: which earlier frames, moved how, are features.

A P-frame names one mode (coded in its side chunk). Each mode is a list of references, each
the previous frame ("co": co-located; "mc": 16x16 quarter-pel motion-compensated) or the one
before it ("co2", "mc2"); every plane gets the 3x3 around the same position of each (planes 1
and 2 of the first ``CHROMA_REFS``). Measured on luma, frames 2-3 (bits/sample, docs/ADAPTIVE.md):
foreman co 2.768, co+co2 2.694, co+co2+mc 2.668; bus mc 3.698, mc+mc2 3.618; calendar co 4.298,
co+mc+mc2 4.118: the best mode depends on the content, so the encoder tries them.
"""
from __future__ import annotations

import numpy as np

from ..entropy import AdaptiveTables, SymbolCoder
from ..predict import subpel
from . import motionsearch

MOTION = subpel.QuarterPelMotion()
MODES = (("co",), ("mc",), ("co", "mc"), ("co", "co2"), ("mc", "mc2"), ("co", "mc", "mc2"), ("co", "co2", "mc"))
#: ls-v2 adds mode 7, no reference: the P-frame is coded as an I-frame would be (content that
#: earlier frames do not predict, a scene cut), at the speed of one.
MODES_V2 = MODES + ((),)
CHROMA_REFS = 2


def needs_second(mode: int, modes=MODES) -> bool:
    return any(r.endswith("2") for r in modes[mode])


def available(has_second: bool, modes=MODES) -> list[int]:
    return [m for m in range(len(modes)) if has_second or not needs_second(m, modes)]


def candidates(has_second: bool, modes=MODES) -> list[int]:
    """The modes the encoder tries: with two earlier frames only those with two or more
    references (one reference lost to the best pair on every clip measured), and the mode
    without references where the syntax has it."""
    return [m for m in available(has_second, modes) if not has_second or len(modes[m]) != 1]


def _vector_table() -> AdaptiveTables:
    return AdaptiveTables(np.ones((1, MOTION.symbols), np.int64))


def side_chunk(mode: int, vectors: dict, shape, modes=MODES) -> bytes:
    """The mode, then the vectors of each motion-compensated reference it uses."""
    coder = SymbolCoder()
    coder.code_uniform(np.array([mode], np.int32), 1, len(modes))
    for ref in modes[mode]:
        if ref.startswith("mc"):
            MOTION.code(coder, _vector_table(), shape, vectors[ref])
    return coder.payload()


def read_side(data: bytes, shape, has_second: bool, modes=MODES) -> tuple[int, dict]:
    coder = SymbolCoder(data)
    mode = int(coder.code_uniform(None, 1, len(modes))[0])
    if mode not in available(has_second, modes):
        raise ValueError(f"P-frame reference mode {mode} needs a frame the GOP does not have")
    vectors = {ref: MOTION.code(coder, _vector_table(), shape, None) for ref in modes[mode] if ref.startswith("mc")}
    return mode, vectors


def reference_frames(names, vectors: dict, prev: list[np.ndarray], prev2: list[np.ndarray] | None) -> dict:
    """Each named reference once, every plane: the earlier frame itself ("co", "co2") or its
    motion-compensated prediction ("mc", "mc2"; the same arithmetic when decoding)."""
    made = {}
    for ref in names:
        if ref not in made:
            frame = prev if ref in ("co", "mc") else prev2
            made[ref] = MOTION.compensate(frame, vectors[ref]) if ref.startswith("mc") else frame
    return made


def build(mode: int, made: dict, nplanes: int, modes=MODES) -> list[list[np.ndarray]]:
    """Per plane, the reference planes of ``mode``, from ``reference_frames``."""
    return [[made[r][k] for r in modes[mode]] for k in range(nplanes)]


def estimate(cur: np.ndarray, prev: list[np.ndarray], prev2: list[np.ndarray] | None) -> dict:
    """Encoder: the vectors each "mc" reference would use (any arithmetic)."""
    out = {"mc": motionsearch.estimate(cur, prev[0])}
    if prev2 is not None:
        out["mc2"] = motionsearch.estimate(cur, prev2[0])
    return out


def trial_rows(height: int, stripe: int, stripes: int = 3) -> np.ndarray:
    """Rows of the luma plane the encoder's mode trial codes: all of a small frame, three
    stripes of ``stripe`` rows (at 1/4, 1/2 and 3/4 of the height) of a larger one, or
    (``stripes=1``, ``--preset fast``) the middle one only."""
    if height <= 4 * stripe:
        return np.arange(height)
    half = stripe // 2
    centres = (height // 4, height // 2, 3 * height // 4) if stripes >= 3 else (height // 2,)
    return np.concatenate([np.arange(c - half, c + half) for c in centres])
