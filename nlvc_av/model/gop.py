"""GOP coding with the entropy network: I-frames, P-frames with motion, frame-type decisions.

One range-coder stream per GOP. The first frame is an I-frame. For each later frame the
encoder codes every plane twice on trial (intra, and conditioned on the motion-compensated
previous frame), measuring the exact code length with the adaptive tables, and keeps the
cheaper per plane; when inter coding does not pay for its vectors the frame is an I-frame
(scene cuts). The chosen trial is replayed into the range coder, so the network runs twice
per plane when encoding and once when decoding. The adaptive tables live for the whole GOP, so each
GOP decodes on its own.
"""
from __future__ import annotations

import numpy as np
import torch

from .. import motion
from ..entropy import AdaptiveTables, CostRecorder, SymbolCoder
from .planecoder import code_plane
from .qnet import IntNet

MV_OFFSET = 32   # vector components are coded as v + 32 in [0, 64)
MV_SYMBOLS = 64


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
            ref = None if refs is None else refs[k]  # per plane: None = intra
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

    def _trial(self, tables, plane: np.ndarray, chroma: bool, ref: np.ndarray | None) -> CostRecorder:
        """Code a plane against a copy of the tables, recording the cost and the calls."""
        rec = CostRecorder()
        code_plane(self.net, tables[(chroma, ref is not None)].copy(), rec, plane, plane.shape,
                   chroma, ref, self.groups)
        return rec

    def encode(self, frames: list[list[np.ndarray]]) -> tuple[bytes, str]:
        def work():
            coder = SymbolCoder()
            tables = self._tables()
            mv_table = AdaptiveTables(np.ones((1, MV_SYMBOLS), np.int64))
            types = []
            prev = None
            for planes in frames:
                if prev is None:
                    self._frame(coder, tables, planes, [p.shape for p in planes], None)
                    types.append("I")
                    prev = planes
                    continue
                # Try each plane as intra and as inter; keep the cheaper (scene cuts, occlusions
                # and still chroma decide themselves), and the whole frame as I when P does not pay.
                vectors = motion.estimate(planes[0], prev[0])
                compensated = self._compensated(prev, vectors)
                flat = (vectors.reshape(-1) + MV_OFFSET).astype(np.int32)
                mv_trial = CostRecorder()
                mv_trial.code_group(mv_table.copy(), np.zeros(flat.size, np.int64), flat)
                intra = [self._trial(tables, p, self.plane_chroma[k], None) for k, p in enumerate(planes)]
                inter = [self._trial(tables, p, self.plane_chroma[k], compensated[k])
                         for k, p in enumerate(planes)]
                use_ref = [b.bits < a.bits for a, b in zip(intra, inter)]
                p_bits = mv_trial.bits + len(planes) + sum(
                    (b if u else a).bits for a, b, u in zip(intra, inter, use_ref))
                if any(use_ref) and p_bits < sum(a.bits for a in intra):
                    coder.code_group(mv_table, np.zeros(flat.size, np.int64), flat)
                    coder.code_uniform(np.array(use_ref, np.int32), len(planes), 2)
                    types.append("P")
                else:
                    use_ref = [False] * len(planes)
                    types.append("I")
                for k, u in enumerate(use_ref):
                    chosen = inter[k] if u else intra[k]
                    chosen.replay(coder, tables[(self.plane_chroma[k], u)])
                prev = planes
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
                    use_ref = coder.code_uniform(None, len(shapes), 2)
                    compensated = self._compensated(prev, vectors)
                    refs = [c if u else None for c, u in zip(compensated, use_ref)]
                prev = self._frame(coder, tables, None, shapes, refs)
                frames.append(prev)
            return frames
        return self._run(work)
