"""HEVC 8-tap luma interpolation (H.265 8.5.3.3.3.1, uni-prediction, any bit depth) as whole-plane
phase planes, for the experiments on the HEVC-decoded clip (docs/ADAPTIVE.md, "Measured and not kept")."""
import numpy as np


TAPS = np.array([[0, 0, 0, 64, 0, 0, 0, 0], [-1, 4, -10, 58, 17, -5, 1, 0],
                 [-1, 4, -11, 40, 40, -11, 4, -1], [0, 1, -5, 17, 58, -10, 4, -1]], np.int64)
BD = 10; SH1 = min(4, BD - 8); SH3 = max(2, 14 - BD)
PAD = 40

def phases(ref):
    """16 planes (intermediate 14-bit) of the padded ref: phase[fy][fx][y, x] = sample at (y + fy/4, x + fx/4)."""
    p = np.pad(ref.astype(np.int64), PAD, mode="edge")
    H, W = p.shape
    out = {}
    # horizontal pass for each fx, on all rows
    hor = {}
    for fx in range(4):
        if fx == 0:
            hor[0] = p  # integer: kept as samples
        else:
            acc = np.zeros_like(p)
            for i in range(8):
                acc[:, 3:W-4] += TAPS[fx, i] * p[:, i:W - 7 + i]
            hor[fx] = acc >> SH1
    for fy in range(4):
        for fx in range(4):
            if fy == 0 and fx == 0:
                val = p << SH3
            elif fy == 0:
                val = hor[fx]
            elif fx == 0:
                acc = np.zeros_like(p)
                for i in range(8):
                    acc[3:H-4] += TAPS[fy, i] * p[i:H - 7 + i]
                val = acc >> SH1
            else:
                src = hor[fx]
                acc = np.zeros_like(p)
                for i in range(8):
                    acc[3:H-4] += TAPS[fy, i] * src[i:H - 7 + i]
                val = acc >> 6
            out[fy, fx] = val
    return out

def uni(val):
    return np.clip((val + (1 << (SH3 - 1))) >> SH3, 0, (1 << BD) - 1)

