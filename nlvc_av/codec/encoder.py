"""The encoder's decisions for the GOP syntax: frame type, vectors, intra or inter per plane.

Every later frame's planes are coded on trial twice (intra, and against the
motion-compensated previous frame) with copies of the adaptive tables; the exact code
lengths decide, per plane, and the whole frame becomes an I-frame when inter coding does
not pay for its vectors (scene cuts). The chosen trials are replayed into the range coder by
:func:`nlvc_av.codec.gop.code_gop`, so the network runs twice per plane when encoding and
once when decoding. Decisions may use any arithmetic: only their result is coded.
"""
from __future__ import annotations

import numpy as np

from .entropy import CostRecorder
from .gop import FrameChoice, GopContext


def _trial(ctx: GopContext, tables, k: int, plane: np.ndarray, ref: np.ndarray | None) -> CostRecorder:
    """Code a plane against a copy of its tables, recording the cost and the calls."""
    rec = CostRecorder()
    own = {key: (t.copy() if key == (ctx.chroma[k], ref is not None) else t) for key, t in tables.items()}
    ctx.plane(own, rec, k, plane, plane.shape, ref)
    return rec


#: trials="estimate": a plane whose motion-compensated error is below this share of its
#: intra activity is coded inter without an intra trial (inter planes also get the intra
#: candidates, so inter wins there: measured 0.81-0.95 of the intra bits below 0.9).
SKIP_INTRA_BELOW = 0.9


def _activity(plane: np.ndarray) -> float:
    """Mean error of a causal two-neighbour predictor: how hard the plane is to code intra."""
    x = plane.astype(np.int32)
    return float(np.abs(x[1:, 1:] - ((x[1:, :-1] + x[:-1, 1:]) >> 1)).mean()) if min(x.shape) > 1 else 1.0


def chooser(ctx: GopContext, trials: str = "all"):
    """``choose(index, planes, prev, tables, mv_table)`` for :func:`code_gop`. ``trials``:
    "all" codes every plane of a later frame on trial intra and inter (the defaults);
    "estimate" (preset fast) skips the intra trial where a cheap estimate says inter wins."""

    def choose(index, planes, prev, tables, mv_table) -> FrameChoice:
        if prev is None:
            return FrameChoice("I", trials=[None] * len(planes))
        motion = ctx.syntax.motion
        vectors = motion.estimate(planes[0], prev[0])
        compensated = motion.compensate(prev, vectors)
        mv_trial = CostRecorder()
        motion.code(mv_trial, mv_table.copy(), planes[0].shape, vectors)
        inter = [_trial(ctx, tables, k, p, compensated[k]) for k, p in enumerate(planes)]
        skip = [trials == "estimate" and
                float(np.abs(p.astype(np.int32) - c).mean()) < SKIP_INTRA_BELOW * _activity(p)
                for p, c in zip(planes, compensated)]
        intra = [None if s else _trial(ctx, tables, k, p, None) for k, (p, s) in enumerate(zip(planes, skip))]
        use_ref = [a is None or b.bits < a.bits for a, b in zip(intra, inter)]
        if any(skip):  # inter is the estimate's choice: no intra total to compare with
            return FrameChoice("P", vectors, use_ref, [b if u else a for a, b, u in zip(intra, inter, use_ref)],
                               compensated)
        p_bits = mv_trial.bits + len(planes) + sum((b if u else a).bits for a, b, u in zip(intra, inter, use_ref))
        if any(use_ref) and p_bits < sum(a.bits for a in intra):
            return FrameChoice("P", vectors, use_ref, [b if u else a for a, b, u in zip(intra, inter, use_ref)],
                               compensated)
        return FrameChoice("I", trials=intra)

    return choose
