"""The GOP syntax (bitstream "gop-v1"): one function that encoding and decoding both run.

One range-coder stream per GOP; the adaptive tables live for the whole GOP, so each GOP
decodes on its own. Frame by frame, in order:

    I-frame:  every plane, intra (code_plane without a reference)
    P-frame:  motion vectors (one per 16x16 luma block, adaptive table, v + 32 in [0, 64)),
              one flat bit per plane (1: coded against the motion-compensated previous frame),
              then every plane, intra or inter as its bit says

Frame types travel in the cluster (``Cluster.frame_types``), not in the payload. When
encoding, the encoder's choice for each frame (:mod:`nlvc_av.codec.encoder`) supplies the
values and, for planes it already coded on trial, the recorded calls to replay; the order of
what reaches the range coder is fixed here alone, so the decoder cannot drift from it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .contexts import PlainModel
from .entropy import AdaptiveTables
from .planecoder import code_plane
from .predict import motion
from .tokens import TokenMap

MV_OFFSET = 32   # vector components are coded as v + 32 in [0, 64)
MV_SYMBOLS = 64
FRAME_TYPES = "IP"


@dataclass
class GopContext:
    """What every GOP of a stream shares: the predictor, token map, groups, plane roles."""

    predictor: object
    tokens: TokenMap
    groups: int
    chroma: list[bool]  # per plane
    models: tuple = (PlainModel, PlainModel)  # intra, inter probability models of the syntax

    def tables(self) -> dict[tuple[bool, bool], AdaptiveTables]:
        """Fresh adaptive tables per (chroma, inter): the model's prior for every context."""
        priors = [np.repeat(self.predictor.prior, m.buckets, axis=0) for m in self.models]
        return {(c, p): AdaptiveTables(priors[p]) for c in (False, True) for p in (False, True)}

    def plane(self, tables, coder, k: int, plane, shape, ref) -> np.ndarray:
        inter = ref is not None
        return code_plane(self.predictor, tables[(self.chroma[k], inter)], coder, self.tokens,
                          plane, shape, self.chroma[k], ref, self.groups, self.models[inter])


@dataclass
class FrameChoice:
    """The encoder's decision for one frame (see :mod:`nlvc_av.codec.encoder`)."""

    frame_type: str
    vectors: np.ndarray | None = None            # (nby, nbx, 2) for P
    use_ref: list[bool] | None = None            # per plane, for P
    trials: list = field(default_factory=list)   # per plane: a CostRecorder to replay, or None


def compensate_frame(prev: list[np.ndarray], vectors: np.ndarray) -> list[np.ndarray]:
    h, w = prev[0].shape
    return [motion.compensate(p, vectors, -(-h // p.shape[0]), -(-w // p.shape[1])) for p in prev]


def vector_grid(shape: tuple[int, int]) -> tuple[int, int]:
    h, w = shape
    return -(-h // motion.BLOCK), -(-w // motion.BLOCK)


def code_gop(ctx: GopContext, coder, shapes: list[tuple[int, int]], *, frame_types: str | None = None,
             frames: list[list[np.ndarray]] | None = None, choose=None) -> tuple[list[list[np.ndarray]], str]:
    """Run the GOP's syntax. Decoding: ``frame_types`` given, ``coder`` a decoder. Encoding:
    ``frames`` and ``choose(index, planes, prev, tables, mv_table) -> FrameChoice`` given.
    Returns the frames (decoded, or the source's) and their types."""
    encoding = frames is not None
    count = len(frames) if encoding else len(frame_types)
    tables = ctx.tables()
    mv_table = AdaptiveTables(np.ones((1, MV_SYMBOLS), np.int64))
    nby, nbx = vector_grid(shapes[0])
    out: list[list[np.ndarray]] = []
    types = []
    prev = None
    for i in range(count):
        choice = choose(i, frames[i], prev, tables, mv_table) if encoding else None
        ftype = choice.frame_type if encoding else frame_types[i]
        if ftype not in FRAME_TYPES:
            raise ValueError(f"unknown frame type {ftype!r}")
        refs = [None] * len(shapes)
        if ftype == "P":
            if prev is None:
                raise ValueError("GOP starts with a P-frame")
            flat = None if not encoding else (choice.vectors.reshape(-1) + MV_OFFSET).astype(np.int32)
            flat = coder.code_group(mv_table, np.zeros(nby * nbx * 2, np.int64), flat)
            vectors = (flat.astype(np.int64) - MV_OFFSET).reshape(nby, nbx, 2)
            use_ref = None if not encoding else np.array(choice.use_ref, np.int32)
            use_ref = coder.code_uniform(use_ref, len(shapes), 2)
            compensated = compensate_frame(prev, vectors)
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
