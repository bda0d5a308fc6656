"""P-frame references of the adaptive stage: which earlier frames, moved how, are features.

A P-frame names one mode (coded in its side chunk). Each mode is a list of references, each
the previous frame ("co": co-located; "mc": 16x16 quarter-pel motion-compensated) or the one
before it ("co2", "mc2") or (ls-v4) the one before that ("co3", "mc3"); every plane gets the
3x3 around the same position of each (planes 1 and 2 of the first ``CHROMA_REFS``). Measured on luma, frames 2-3 (bits/sample, docs/ADAPTIVE.md):
foreman co 2.768, co+co2 2.694, co+co2+mc 2.668; bus mc 3.698, mc+mc2 3.618; calendar co 4.298,
co+mc+mc2 4.118: the best mode depends on the content, so the encoder tries them.
"""
from __future__ import annotations

import numpy as np

from ..entropy import AdaptiveTables, SymbolCoder
from ..predict import subpel
from . import compensation, motionsearch, vectorcoder

MOTION = subpel.QuarterPelMotion()
MODES = (("co",), ("mc",), ("co", "mc"), ("co", "co2"), ("mc", "mc2"), ("co", "mc", "mc2"), ("co", "co2", "mc"))
#: ls-v2 adds mode 7, no reference: the P-frame is coded as an I-frame would be (content that
#: earlier frames do not predict, a scene cut), at the speed of one.
MODES_V2 = MODES + ((),)
#: ls-v4 adds four references with the third earlier frame: modes 8 and 9 (luma of P-frames 3-6,
#: against the best of modes 2-6: calendar -3.1 %, foreman -0.5 %; docs/ADAPTIVE.md).
MODES_V4 = MODES_V2 + (("co", "mc", "mc2", "mc3"), ("co", "co2", "co3", "mc"))
#: ls-v6 adds mode 10: the block prediction of blockpred.py ("hv": HEVC's interpolation on
#: 8x8 blocks from the nearest earlier and later frames), its samples given a point mass.
MODES_V6 = MODES_V4 + (("hv",),)
CHROMA_REFS = 2


def _age(ref: str) -> int:
    """How many frames back a reference reaches: co/mc 1, co2/mc2 2, co3/mc3 3 (hv: its
    first frame is the nearest; a second one is used where the frame has it)."""
    return int(ref[-1]) if ref[-1].isdigit() else 1


def frames_needed(mode: int, modes=MODES) -> int:
    return max((_age(r) for r in modes[mode]), default=0)


def available(earlier: int, modes=MODES) -> list[int]:
    """The modes a P-frame with ``earlier`` frames of its GOP before it may use."""
    return [m for m in range(len(modes)) if frames_needed(m, modes) <= earlier]


def candidates(earlier: int, modes=MODES) -> list[int]:
    """The modes the encoder tries: with two earlier frames only those with two or more
    references (one reference lost to the best pair on every clip measured), and the mode
    without references where the syntax has it."""
    return [m for m in available(earlier, modes) if earlier < 2 or len(modes[m]) != 1]


def _vector_table() -> AdaptiveTables:
    return AdaptiveTables(np.ones((1, MOTION.symbols), np.int64))


def uses_blocks(mode: int, modes) -> bool:
    """Whether the mode takes ls-v6's block prediction (its field follows in the side chunk)."""
    return "hv" in modes[mode]


def _mc_refs(mode: int, modes) -> list[str]:
    return [r for r in modes[mode] if r.startswith("mc")]


def side_chunk(mode: int, vectors: dict, shape, modes=MODES, predicted: bool = False) -> bytes:
    """The mode, then the vectors of each motion-compensated reference it uses; ``predicted``
    (ls-v4): median-predicted and adaptively coded (vectorcoder.py)."""
    if predicted:
        return vectorcoder.encode_side(mode, len(modes), [(_age(r), vectors[r]) for r in _mc_refs(mode, modes)])
    coder = SymbolCoder()
    coder.code_uniform(np.array([mode], np.int32), 1, len(modes))
    for ref in modes[mode]:
        if ref.startswith("mc"):
            MOTION.code(coder, _vector_table(), shape, vectors[ref])
    return coder.payload()


def read_side(data: bytes, shape, earlier: int, modes=MODES, predicted: bool = False) -> tuple[int, dict]:
    if predicted:
        def ages_of(mode: int) -> list[int]:
            _check_mode(mode, earlier, modes)
            return [_age(r) for r in _mc_refs(mode, modes)]

        mode, fields = vectorcoder.decode_side(data, len(modes), subpel.grid(shape), ages_of)
        return mode, dict(zip(_mc_refs(mode, modes), fields))
    coder = SymbolCoder(data)
    mode = int(coder.code_uniform(None, 1, len(modes))[0])
    _check_mode(mode, earlier, modes)
    vectors = {ref: MOTION.code(coder, _vector_table(), shape, None) for ref in modes[mode] if ref.startswith("mc")}
    return mode, vectors


def _check_mode(mode: int, earlier: int, modes) -> None:
    if mode not in available(earlier, modes):
        raise ValueError(f"P-frame reference mode {mode} needs a frame the GOP does not have")


def reference_frames(names, vectors: dict, earlier: list[list[np.ndarray]]) -> dict:
    """Each named reference once, every plane: the earlier frame itself ("co", "co2", "co3") or
    its motion-compensated prediction ("mc", ...; the same arithmetic when decoding).
    ``earlier``: the frames before this one, the nearest last."""
    made = {}
    for ref in names:
        if ref not in made and ref != "hv":   # hv: built from its block field (stage.py)
            frame = earlier[-_age(ref)]
            made[ref] = compensation.compensate_frame(frame, vectors[ref]) if ref.startswith("mc") else frame
    return made


def reference_planes(names, vectors: dict, earlier: list[np.ndarray], luma_shape) -> list[np.ndarray]:
    """One plane's references, in the order of ``names``: ``build(...)[k]`` from plane k of
    the earlier frames alone (``earlier``, the nearest last), moved as ``reference_frames``
    moves them (the plane's subsampling from ``luma_shape``)."""
    h, w = luma_shape
    made = {}
    for ref in names:
        if ref not in made:
            plane = earlier[-_age(ref)]
            made[ref] = (compensation.compensate(plane, vectors[ref], -(-h // plane.shape[0]), -(-w // plane.shape[1]))
                         if ref.startswith("mc") else plane)
    return [made[r] for r in names]


def build(mode: int, made: dict, nplanes: int, modes=MODES) -> list[list[np.ndarray]]:
    """Per plane, the reference planes of ``mode``, from ``reference_frames``."""
    return [[made[r][k] for r in modes[mode]] for k in range(nplanes)]


def estimate(cur: np.ndarray, earlier: list[list[np.ndarray]], names, mapper=map) -> dict:
    """Encoder: the vectors of each motion-compensated reference in ``names`` (any arithmetic);
    ``mapper(fn, items)`` runs the searches (the stage's threads: they release the GIL)."""
    refs = [ref for ref in sorted(set(names)) if ref.startswith("mc")]
    return dict(zip(refs, mapper(lambda ref: motionsearch.estimate(cur, earlier[-_age(ref)][0]), refs)))


def trial_rows(height: int, stripe: int, stripes: int = 3) -> np.ndarray:
    """Rows of the luma plane the encoder's mode trial codes: all of a small frame, three
    stripes of ``stripe`` rows (at 1/4, 1/2 and 3/4 of the height) of a larger one, or
    (``stripes=1``, ``--preset fast``) the middle one only."""
    if height <= 4 * stripe:
        return np.arange(height)
    half = stripe // 2
    centres = (height // 4, height // 2, 3 * height // 4) if stripes >= 3 else (height // 2,)
    return np.concatenate([np.arange(c - half, c + half) for c in centres])
