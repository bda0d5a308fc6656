"""The training-time entropy network: QAT convolutions whose ``export()`` is what ``IntNet`` runs.

Fake quantization (straight-through rounding) makes the trained network the integer network
of :mod:`nlvc_av.codec.nets.intnet`; the loss is the code length under a discretized logistic.
"""
from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from ..codec.nets.inputs import IN_CHANNELS
from ..codec.nets.intnet import ACT_EXP, ACT_MAX, BIAS_MAX, IN_EXP, OUT_CHANNELS, W_MAX


def round_half_up(x: torch.Tensor) -> torch.Tensor:
    """floor(x + 0.5): the rounding the integer network uses (torch.round is half-to-even)."""
    return torch.floor(x + 0.5)


def ste(x: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """Forward q, backward identity."""
    return x + (q - x).detach()


class QConv(nn.Module):
    """Conv with per-output-channel power-of-two weight scales (fake-quantized in training)."""

    def __init__(self, cin: int, cout: int, k: int):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, padding=k // 2)
        nn.init.kaiming_normal_(self.conv.weight, nonlinearity="relu")
        nn.init.zeros_(self.conv.bias)

    def weight_exp(self) -> torch.Tensor:
        w = self.conv.weight.detach()
        wmax = w.abs().amax(dim=(1, 2, 3)).clamp_min(1e-8)
        return torch.ceil(torch.log2(wmax / W_MAX))

    def forward(self, x: torch.Tensor, in_exp: int) -> torch.Tensor:
        e = self.weight_exp()
        scale = torch.pow(2.0, e)[:, None, None, None]
        w = self.conv.weight
        wq = ste(w, torch.clamp(round_half_up(w / scale), -W_MAX, W_MAX) * scale)
        bscale = torch.pow(2.0, e + in_exp)
        b = self.conv.bias
        bq = ste(b, torch.clamp(round_half_up(b / bscale), -BIAS_MAX, BIAS_MAX) * bscale)
        return F.conv2d(x, wq, bq, padding=self.conv.padding)

    def export(self, in_exp: int) -> dict[str, np.ndarray]:
        e = self.weight_exp()
        scale = torch.pow(2.0, e)[:, None, None, None]
        w = torch.clamp(round_half_up(self.conv.weight.detach() / scale), -W_MAX, W_MAX)
        b = torch.clamp(round_half_up(self.conv.bias.detach() / torch.pow(2.0, e + in_exp)),
                        -BIAS_MAX, BIAS_MAX)
        return {"w": w.to(torch.int16).numpy(), "b": b.to(torch.int32).numpy(),
                "e": e.to(torch.int16).numpy()}


def quant_act(x: torch.Tensor, lo: int = 0) -> torch.Tensor:
    """Real activation -> fake-quantized integer grid of ACT_EXP, clamped to [lo, ACT_MAX]."""
    s = 2.0 ** ACT_EXP
    q = torch.clamp(round_half_up(x / s), lo, ACT_MAX) * s
    return ste(torch.clamp(x, lo * s, ACT_MAX * s), q)


class EntropyNet(nn.Module):
    """Training-time network; ``export()`` gives the integers ``IntNet`` runs."""

    def __init__(self, channels: int = 32, blocks: int = 4):
        super().__init__()
        self.channels, self.blocks = channels, blocks
        self.inp = QConv(IN_CHANNELS, channels, 3)
        self.body = nn.ModuleList(QConv(channels, channels, 3) for _ in range(2 * blocks))
        self.head = QConv(channels, channels, 1)
        self.out = QConv(channels, OUT_CHANNELS, 1)

    def forward(self, x_int: torch.Tensor) -> torch.Tensor:
        """x_int: integer inputs -> real outputs (mean offsets and scale classes)."""
        x = quant_act(self.inp(x_int * 2.0 ** IN_EXP, IN_EXP))
        for i in range(self.blocks):
            h = quant_act(self.body[2 * i](x, ACT_EXP))
            r = quant_act(self.body[2 * i + 1](h, ACT_EXP), lo=-ACT_MAX)
            x = torch.clamp(x + r, 0, ACT_MAX * 2.0 ** ACT_EXP)
        x = quant_act(self.head(x, ACT_EXP))
        return self.out(x, ACT_EXP)

    def export(self) -> dict[str, np.ndarray]:
        layers = [self.inp.export(IN_EXP)] + [m.export(ACT_EXP) for m in self.body]
        layers += [self.head.export(ACT_EXP), self.out.export(ACT_EXP)]
        arrays: dict[str, np.ndarray] = {"arch": np.array([self.channels, self.blocks], np.int32)}
        for i, layer in enumerate(layers):
            for k, v in layer.items():
                arrays[f"l{i}.{k}"] = v
        return arrays


def logistic_bits(x: torch.Tensor, mu: torch.Tensor, log_s: torch.Tensor) -> torch.Tensor:
    """Bits of integer samples x in [0, 255] under a discretized logistic (edges take the tails)."""
    inv_s = torch.exp(-log_s)
    up = torch.where(x >= 255, torch.full_like(x, math.inf), (x + 0.5 - mu) * inv_s)
    lo = torch.where(x <= 0, torch.full_like(x, -math.inf), (x - 0.5 - mu) * inv_s)
    # log(sigmoid(up) - sigmoid(lo)) computed stably
    cdf_up = torch.sigmoid(up)
    cdf_lo = torch.sigmoid(lo)
    p = (cdf_up - cdf_lo).clamp_min(1e-9)
    return -torch.log2(p)
