"""GOP coding with the entropy network: I-frames, P-frames with motion, frame-type decisions.

One range-coder stream per GOP. The first frame is an I-frame; each later frame is a
P-frame conditioned on the motion-compensated previous decoded frame, unless the
motion-compensated residual looks costlier than intra coding (scene cut, occlusion), in
which case it is coded as an I-frame. The adaptive tables live for the whole GOP, so each
GOP decodes on its own.
"""
from __future__ import annotations

import numpy as np
import torch

from .. import motion
from ..entropy import AdaptiveTables, SymbolCoder
from .planecoder import code_plane
from .qnet import IntNet

MV_OFFSET = 32   # vector components are coded as v + 32 in [0, 64)
MV_SYMBOLS = 64


def _intra_activity(plane: np.ndarray) -> float:
    """Mean absolute error of a simple causal predictor: a cheap intra cost estimate."""
    x = plane.astype(np.int32)
    pred = (x[1:, :-1] + x[:-1, 1:] + 1) >> 1
    return float(np.abs(x[1:, 1:] - pred).mean()) if x.size > 1 and min(x.shape) > 1 else 0.0


def choose_p(cur_luma: np.ndarray, compensated_luma: np.ndarray) -> bool:
    """P-frame when the compensated residual is cheaper than intra activity."""
    inter = float(np.abs(cur_luma.astype(np.int32) - compensated_luma).mean())
    return inter < 1.1 * _intra_activity(cur_luma)


class GopModel:
    """Shared state and helpers for encoding and decoding GOPs with one network."""

    def __init__(self, arrays: dict[str, np.ndarray], groups: int, plane_chroma: list[bool],
                 threads: int | None = None):
        self.net = IntNet(arrays)
        self.prior = arrays["prior"]
        self.groups = groups
        self.plane_chroma = plane_chroma
        self.threads = threads

    def _tables(self) -> dict[tuple[bool, bool], AdaptiveTables]:
        return {(c, p): AdaptiveTables(self.prior) for c in (False, True) for p in (False, True)}

    def _frame(self, coder: SymbolCoder, tables, planes: list[np.ndarray] | None,
               shapes: list[tuple[int, int]], refs: list[np.ndarray] | None) -> list[np.ndarray]:
        out = []
        for k, shape in enumerate(shapes):
            chroma = self.plane_chroma[k]
            ref = None if refs is None else refs[k]
            out.append(code_plane(self.net, tables[(chroma, ref is not None)], coder,
                                  None if planes is None else planes[k], shape, chroma, ref,
                                  self.groups))
        return out

    def _compensated(self, prev: list[np.ndarray], vectors: np.ndarray) -> list[np.ndarray]:
        h, w = prev[0].shape
        return [motion.compensate(p, vectors, -(-h // p.shape[0]), -(-w // p.shape[1])) for p in prev]

    def _run(self, fn):
        old = torch.get_num_threads()
        if self.threads:
            torch.set_num_threads(self.threads)
        try:
            return fn()
        finally:
            torch.set_num_threads(old)

    def encode(self, frames: list[list[np.ndarray]]) -> tuple[bytes, str]:
        def work():
            coder = SymbolCoder()
            tables = self._tables()
            mv_table = AdaptiveTables(np.ones((1, MV_SYMBOLS), np.int64))
            types = []
            prev = None
            for planes in frames:
                shapes = [p.shape for p in planes]
                refs = None
                if prev is not None:
                    vectors = motion.estimate(planes[0], prev[0])
                    compensated = self._compensated(prev, vectors)
                    if choose_p(planes[0], compensated[0]):
                        flat = (vectors.reshape(-1) + MV_OFFSET).astype(np.int32)
                        coder.code_group(mv_table, np.zeros(flat.size, np.int64), flat)
                        refs = compensated
                types.append("P" if refs is not None else "I")
                prev = self._frame(coder, tables, planes, shapes, refs)
            return coder.payload(), "".join(types)
        return self._run(work)

    def decode(self, payload: bytes, frame_types: str,
               shapes: list[tuple[int, int]]) -> list[list[np.ndarray]]:
        def work():
            coder = SymbolCoder(payload)
            tables = self._tables()
            mv_table = AdaptiveTables(np.ones((1, MV_SYMBOLS), np.int64))
            frames = []
            prev = None
            h, w = shapes[0]
            n_vectors = (-(-h // motion.BLOCK)) * (-(-w // motion.BLOCK)) * 2
            for t in frame_types:
                refs = None
                if t == "P":
                    if prev is None:
                        raise ValueError("GOP starts with a P-frame")
                    flat = coder.code_group(mv_table, np.zeros(n_vectors, np.int64), None)
                    vectors = (flat.astype(np.int64) - MV_OFFSET).reshape(-(-h // motion.BLOCK),
                                                                          -(-w // motion.BLOCK), 2)
                    refs = self._compensated(prev, vectors)
                prev = self._frame(coder, tables, None, shapes, refs)
                frames.append(prev)
            return frames
        return self._run(work)
