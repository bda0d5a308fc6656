"""Experiment (docs/ADAPTIVE.md, "Measured and not kept"): frame c luma predicted per 8x8 block by the best of: HEVC uni from ref a, uni from ref b, bi (a+b).
Run from the repository root: .venv/bin/python scripts/experiments/hevc_bipred.py ../shared/data/wild/fall_1080p_hevc_yuv420p10_hlg.mov
Prints exact share and coded luma bytes with the stage (that prediction as the one side plane)."""
import sys, time
import numpy as np
sys.path.insert(0, __import__("os").path.dirname(__file__))
from hevc_interp import phases, PAD, SH3, BD
from nlvc_av.bench.adaptive_ablation import _frames
from nlvc_av.codec.adaptive import motionsearch
from nlvc_av.codec.adaptive.planes import plane_config, encode_plane
from nlvc_av.codec.predict import subpel
from nlvc_av.codec.registry import load
table = load("nlvc-adaptive-ls-v5").arrays["logistic"]
info, frames = _frames(sys.argv[1], 5)
B = 8; R = 4

def block_search(cur, ph, base):
    """per 8x8 block: best (14-bit intermediate block) by SAD of the uni-rounded prediction."""
    h, w = cur.shape
    nby, nbx = h // B, w // B
    best_int = np.zeros((nby * B, nbx * B), np.int64)
    for by in range(nby):
        for bx in range(nbx):
            y0, x0 = by * B, bx * B
            v0 = base[min(y0 // 16, base.shape[0] - 1), min(x0 // 16, base.shape[1] - 1)]
            c = cur[y0:y0 + B, x0:x0 + B].astype(np.int64)
            best = None
            for dy in range(-R, R + 1):
                for dx in range(-R, R + 1):
                    vy, vx = int(v0[0]) + dy, int(v0[1]) + dx
                    if abs(vy) > 4 * (PAD - 5) or abs(vx) > 4 * (PAD - 5): continue
                    P = ph[vy & 3, vx & 3]
                    yy, xx = y0 + (vy >> 2) + PAD, x0 + (vx >> 2) + PAD
                    blk = P[yy:yy + B, xx:xx + B]
                    p = np.clip((blk + (1 << (SH3 - 1))) >> SH3, 0, 1023)
                    sad = np.abs(p - c).sum()
                    if best is None or sad < best[0]:
                        best = (sad, blk)
            best_int[y0:y0 + B, x0:x0 + B] = best[1]
    return best_int

def uni(i):
    return np.clip((i + (1 << (SH3 - 1))) >> SH3, 0, 1023)

def bi(i0, i1):
    sh = 15 - BD
    return np.clip((i0 + i1 + (1 << (sh - 1))) >> sh, 0, 1023)

for c, a, b in [(2, 0, 4), (1, 0, 2), (4, 0, 0)]:
    t = time.time()
    cur = frames[c][0]
    hh, ww = (cur.shape[0] // B) * B, (cur.shape[1] // B) * B
    cc = cur[:hh, :ww].astype(np.int64)
    ia = block_search(cur, phases(frames[a][0]), motionsearch.estimate(cur, frames[a][0]))
    ib = ia if b == a else block_search(cur, phases(frames[b][0]), motionsearch.estimate(cur, frames[b][0]))
    cands = [uni(ia), uni(ib), bi(ia, ib)]
    sads = [np.abs(p - cc).reshape(hh // B, B, ww // B, B).sum(axis=(1, 3)) for p in cands]
    pick = np.argmin(np.stack(sads), axis=0)
    full = np.repeat(np.repeat(pick, B, 0), B, 1)
    pred = np.choose(full, cands)
    out = cur.astype(np.int32).copy(); out[:hh, :ww] = pred  # edge rows: the source itself (small)
    r = pred - cc
    share = [float(np.mean(pick == k)) for k in range(3)]
    cfg = plane_config(2, 1, True, 10, version=5, large=True)
    by = encode_plane(cur[:hh], [out[:hh]], cfg, table)[1] / 8
    print(f"frame {c} from {a},{b}: blocks uni-a/uni-b/bi {share}, exact {np.mean(r == 0):.3f} mean|r| {np.abs(r).mean():.3f} luma bytes {by:,.0f} ({time.time()-t:.0f}s)", flush=True)
