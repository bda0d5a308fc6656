"""The GOP syntax (bitstream "gop-v1"): one function that encoding and decoding both run.

One range-coder stream per GOP; the adaptive tables live for the whole GOP, so each GOP
decodes on its own. Frame by frame, in order:

    I-frame:  every plane, intra (code_plane without a reference)
    P-frame:  motion vectors (one per 16x16 luma block; how they are coded and applied is the
              syntax's motion, see syntax.py), one flat bit per plane (1: coded against the
              motion-compensated previous frame), then every plane, intra or inter as its bit says

Frame types travel in the cluster (``Cluster.frame_types``), not in the payload. When
encoding, the encoder's choice for each frame (:mod:`nlvc_av.codec.encoder`) supplies the
values and, for planes it already coded on trial, the recorded calls to replay; the order of
what reaches the range coder is fixed here alone, so the decoder cannot drift from it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .entropy import AdaptiveTables
from .planecoder import code_plane
from .syntax import SYNTAXES, Syntax
from .tokens import TokenMap

FRAME_TYPES = "IP"


@dataclass
class GopContext:
    """What every GOP of a stream shares: the predictor, token map, groups, plane roles."""

    predictor: object
    tokens: TokenMap
    groups: int
    chroma: list[bool]  # per plane
    syntax: Syntax = SYNTAXES["gop-v1"]
    probe: object = None  # a BitProbe (nlvc_av.codec.bits) when a bit report is made

    def tables(self) -> dict[tuple[bool, bool], AdaptiveTables]:
        """Fresh adaptive tables per (chroma, inter): the model's prior for every context."""
        priors = [np.repeat(self.predictor.prior, m.buckets, axis=0) for m in (self.syntax.intra, self.syntax.inter)]
        return {(c, p): AdaptiveTables(priors[p]) for c in (False, True) for p in (False, True)}

    def mv_table(self) -> AdaptiveTables:
        return AdaptiveTables(np.ones((1, self.syntax.motion.symbols), np.int64))

    def plane(self, tables, coder, k: int, plane, shape, ref) -> np.ndarray:
        inter = ref is not None
        model = self.syntax.inter if inter else self.syntax.intra
        if self.probe is not None:
            self.probe.at(plane=k, mode="inter" if inter else "intra")
        return code_plane(self.predictor, tables[(self.chroma[k], inter)], coder, self.tokens,
                          plane, shape, self.chroma[k], ref, self.groups, model, self.probe)


@dataclass
class FrameChoice:
    """The encoder's decision for one frame (see :mod:`nlvc_av.codec.encoder`)."""

    frame_type: str
    vectors: np.ndarray | None = None            # (nby, nbx, 2) for P
    use_ref: list[bool] | None = None            # per plane, for P
    trials: list = field(default_factory=list)   # per plane: a CostRecorder to replay, or None
    compensated: list | None = None              # the encoder's prediction from the vectors (reused)


def code_gop(ctx: GopContext, coder, shapes: list[tuple[int, int]], *, frame_types: str | None = None,
             frames: list[list[np.ndarray]] | None = None, choose=None) -> tuple[list[list[np.ndarray]], str]:
    """Run the GOP's syntax. Decoding: ``frame_types`` given, ``coder`` a decoder. Encoding:
    ``frames`` and ``choose(index, planes, prev, tables, mv_table) -> FrameChoice`` given.
    Returns the frames (decoded, or the source's) and their types."""
    encoding = frames is not None
    count = len(frames) if encoding else len(frame_types)
    tables = ctx.tables()
    mv_table = ctx.mv_table()
    motion = ctx.syntax.motion
    out: list[list[np.ndarray]] = []
    types = []
    prev = None
    for i in range(count):
        choice = choose(i, frames[i], prev, tables, mv_table) if encoding else None
        ftype = choice.frame_type if encoding else frame_types[i]
        if ftype not in FRAME_TYPES:
            raise ValueError(f"unknown frame type {ftype!r}")
        if ctx.probe is not None:
            ctx.probe.at(frame=i, frame_type=ftype, plane="side", mode="", part="vectors and modes")
        refs = [None] * len(shapes)
        if ftype == "P":
            if prev is None:
                raise ValueError("GOP starts with a P-frame")
            vectors = motion.code(coder, mv_table, shapes[0], choice.vectors if encoding else None)
            use_ref = None if not encoding else np.array(choice.use_ref, np.int32)
            use_ref = coder.code_uniform(use_ref, len(shapes), 2)
            compensated = choice.compensated if encoding else motion.compensate(prev, vectors)
            refs = [c if u else None for c, u in zip(compensated, use_ref)]
        planes = []
        for k, shape in enumerate(shapes):
            trial = choice.trials[k] if encoding and choice.trials else None
            if trial is not None:  # coded on trial with these same inputs: replay its calls
                trial.replay(coder, tables[(ctx.chroma[k], refs[k] is not None)])
                planes.append(frames[i][k])
            else:
                planes.append(ctx.plane(tables, coder, k, frames[i][k] if encoding else None, shape, refs[k]))
        out.append(planes)
        types.append(ftype)
        prev = planes
    return out, "".join(types)
