"""Exact integer inference of the entropy network (the decoder's side of the QAT network).

Training (``nlvc_av.train.net``) uses fake quantization, so the trained network *is* the integer
network: weights are 8-bit integers times a per-channel power of two, activations are integers
in [0, 127] times 2**-4, inputs are integers times 2**-6. ``IntNet`` computes the same numbers
from the exported integers: every accumulator is an integer below 2**24 held in float32 and
every rescale is a power of two, so the outputs are exact on any CPU, thread count or
summation order.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

IN_EXP = -6      # input integers are worth 2**-6 each
ACT_EXP = -4     # hidden activations: integers in [0, ACT_MAX] worth 2**-4 each
ACT_MAX = 127
W_MAX = 127
BIAS_MAX = 2 ** 22
ACC_LIMIT = 2 ** 24
OUT_CHANNELS = 6  # mean offset for H, V, D; scale class for H, V, D


class IntNet:
    """Exact integer inference of an exported EntropyNet (CPU, float32 holding integers)."""

    def __init__(self, arrays: dict[str, np.ndarray]):
        self.channels, self.blocks = (int(v) for v in arrays["arch"])
        n_layers = 2 * self.blocks + 3
        self.layers = []
        for i in range(n_layers):
            w = torch.from_numpy(arrays[f"l{i}.w"].astype(np.float32))
            b = torch.from_numpy(arrays[f"l{i}.b"].astype(np.float32))
            e = arrays[f"l{i}.e"].astype(np.int64)
            in_exp = IN_EXP if i == 0 else ACT_EXP
            in_max = 255 if i == 0 else ACT_MAX
            bound = (w.abs().sum(dim=(1, 2, 3)) * in_max + b.abs()).max().item()
            if bound >= ACC_LIMIT:
                raise ValueError(f"layer {i} accumulator bound {bound:.0f} exceeds 2**24")
            # multiplier taking the accumulator to the next activation grid (a power of two)
            to_act = torch.from_numpy(np.ldexp(1.0, e + in_exp - ACT_EXP).astype(np.float32))
            to_real = torch.from_numpy(np.ldexp(1.0, e + in_exp).astype(np.float32))
            self.layers.append((w, b, to_act[None, :, None, None], to_real[None, :, None, None]))

    def _acc(self, i: int, x: torch.Tensor) -> torch.Tensor:
        w, b, _, _ = self.layers[i]
        return F.conv2d(x, w, b, padding=w.shape[-1] // 2)

    def _act(self, i: int, x: torch.Tensor, lo: int = 0) -> torch.Tensor:
        # in place on the fresh accumulator: the same float32 operations, less memory traffic
        return self._acc(i, x).mul_(self.layers[i][2]).add_(0.5).floor_().clamp_(lo, ACT_MAX)

    @torch.no_grad()
    def __call__(self, x_int: torch.Tensor) -> torch.Tensor:
        """Integer inputs -> outputs as exact multiples of powers of two (float32)."""
        x = self._act(0, x_int)
        for k in range(self.blocks):
            h = self._act(1 + 2 * k, x)
            r = self._act(2 + 2 * k, h, lo=-ACT_MAX)
            x = r.add_(x).clamp_(0, ACT_MAX)
        x = self._act(2 * self.blocks + 1, x)
        last = 2 * self.blocks + 2
        return self._acc(last, x) * self.layers[last][3]
