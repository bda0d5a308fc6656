"""The neural GOP coder behind the transcoder (the model package is imported lazily).

    coder = GopCoder(groups=2)
    payload, frame_types = coder.encode_gop(frames, "yuv420p")
    frames = coder.decode_gop(payload, frame_types, "yuv420p", width, height)

``frames`` are lists of 2-D uint8 planes in the pix_fmt's plane order. The coder is
described in the file by ``model_id``, ``weights_sha256``, ``token_map`` and
``coder_params``; ``GopCoder.for_setup`` rebuilds the coder a file needs and refuses
weights that differ from the ones that wrote it.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from container import CodecSetup, NlvcError

from .planes import lookup, plane_shapes

DEFAULT_GROUPS = 2
GROUP_CHOICES = (1, 2, 3)
TOKEN_MAP = "residual-mod256-v1"   # symbol = (sample - integer mean + 128) mod 256


class ModelMismatchError(NlvcError):
    """The file was written with other model weights than the ones installed."""


class GopCoder:
    def __init__(self, groups: int = DEFAULT_GROUPS, model: str | Path = "shipped",
                 threads: int | None = None):
        from .model import weights
        if groups not in GROUP_CHOICES:
            raise ValueError(f"groups must be one of {GROUP_CHOICES}, got {groups}")
        if model == "shipped":
            loaded = weights.load_weights()
        elif model == "tiny":
            loaded = weights.tiny_weights()
        else:
            loaded = weights.load_weights(model)
        self._weights = loaded
        self.groups = groups
        self.threads = threads
        self.model_id = loaded.model_id
        self.weights_sha256 = loaded.sha256
        self.token_map = TOKEN_MAP
        self._models: dict[str, object] = {}

    @property
    def coder_params(self) -> dict[str, str | int]:
        from . import entropy, motion
        return {"coder": "constriction-range-v1", "increment": entropy.INCREMENT,
                "rescale_total": entropy.RESCALE_TOTAL, "motion_block": motion.BLOCK}

    @classmethod
    def for_setup(cls, setup: CodecSetup, threads: int | None = None) -> "GopCoder":
        """The coder for a file; a clear error when the installed weights differ."""
        for model in ("shipped", "tiny"):
            try:
                coder = cls(setup.groups if setup.groups in GROUP_CHOICES else DEFAULT_GROUPS,
                            model=model, threads=threads)
            except FileNotFoundError:
                continue
            if coder.weights_sha256 == setup.weights_sha256:
                if setup.groups not in GROUP_CHOICES:
                    raise NlvcError(f"unsupported number of groups {setup.groups} in file")
                if setup.token_map != TOKEN_MAP:
                    raise NlvcError(f"unsupported token map {setup.token_map!r} in file")
                return coder
        raise ModelMismatchError(
            f"file was written with model {setup.model_id} (weights sha256 {setup.weights_sha256[:16]}...), "
            f"but the installed weights differ; install the nlvc version that wrote it")

    def _gop_model(self, pix_fmt: str):
        if pix_fmt not in self._models:
            from .model.gop import GopModel
            n = len(plane_shapes(pix_fmt, 2, 2))
            chroma = [False] * n if lookup(pix_fmt).family == "rgb" else [k > 0 for k in range(n)]
            self._models[pix_fmt] = GopModel(self._weights.arrays, self.groups, chroma, self.threads)
        return self._models[pix_fmt]

    def encode_gop(self, frames: list[list[np.ndarray]], pix_fmt: str) -> tuple[bytes, str]:
        return self._gop_model(pix_fmt).encode(frames)

    def decode_gop(self, payload: bytes, frame_types: str, pix_fmt: str, width: int,
                   height: int) -> list[list[np.ndarray]]:
        shapes = plane_shapes(pix_fmt, width, height)
        return self._gop_model(pix_fmt).decode(payload, frame_types, shapes)
