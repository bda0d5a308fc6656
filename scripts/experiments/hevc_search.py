"""Experiment (docs/ADAPTIVE.md, "Measured and not kept"): how much of an HEVC-decoded frame a
compiled block search with HEVC's interpolation reproduces exactly: per block, the best forward and
backward uni-prediction by SAD (+-R quarter pels around the stage's 16x16 vector), then rounds of
joint refinement of the bi-prediction average. 10-bit clip. From the repository root:
    .venv/bin/python scripts/experiments/hevc_search.py ../shared/data/wild/fall_1080p_hevc_yuv420p10_hlg.mov
"""
import sys, time
import numpy as np
from numba import njit
sys.path.insert(0, __import__("os").path.dirname(__file__))
from hevc_interp import phases, PAD, SH3, BD
from nlvc_av.bench.adaptive_ablation import _frames
from nlvc_av.codec.adaptive import motionsearch

@njit(cache=False)
def blk(ph, y0, x0, vy, vx, B, out):
    yy = y0 + (vy >> 2) + PAD; xx = x0 + (vx >> 2) + PAD
    if yy < 4 or xx < 4 or yy + B > ph.shape[1] - 4 or xx + B > ph.shape[2] - 4:
        return False
    k = (vy & 3) * 4 + (vx & 3)
    for i in range(B):
        for j in range(B):
            out[i, j] = ph[k, yy + i, xx + j]
    return True

@njit(cache=False)
def sad_uni(c, p, B):
    s = 0
    off = 1 << (SH3 - 1)
    for i in range(B):
        for j in range(B):
            s += abs(min(max((p[i, j] + off) >> SH3, 0), 1023) - c[i, j])
    return s

@njit(cache=False)
def sad_bi(c, p, q, B):
    s = 0
    sh = 15 - BD
    off = 1 << (sh - 1)
    for i in range(B):
        for j in range(B):
            s += abs(min(max((p[i, j] + q[i, j] + off) >> sh, 0), 1023) - c[i, j])
    return s

@njit(cache=False)
def search(cur, pa, pb, basea, baseb, B, R, rounds):
    h, w = cur.shape
    nby, nbx = h // B, w // B
    pred = np.zeros((nby * B, nbx * B), np.int64)
    kind = np.zeros((nby, nbx), np.int64)
    p = np.zeros((B, B), np.int64); q = np.zeros((B, B), np.int64); t = np.zeros((B, B), np.int64)
    sh = 15 - BD
    for by in range(nby):
        for bx in range(nbx):
            y0, x0 = by * B, bx * B
            c = cur[y0:y0 + B, x0:x0 + B]
            gy, gx = min(y0 // 16, basea.shape[0] - 1), min(x0 // 16, basea.shape[1] - 1)
            best = np.zeros(2, np.int64); vecs = np.zeros((2, 2), np.int64)
            for side in range(2):
                ph = pa if side == 0 else pb
                base = basea if side == 0 else baseb
                bs = -1
                for dy in range(-R, R + 1):
                    for dx in range(-R, R + 1):
                        vy = base[gy, gx, 0] + dy; vx = base[gy, gx, 1] + dx
                        if not blk(ph, y0, x0, vy, vx, B, t): continue
                        s = sad_uni(c, t, B)
                        if bs < 0 or s < bs:
                            bs = s; vecs[side, 0] = vy; vecs[side, 1] = vx
                best[side] = bs
            blk(pa, y0, x0, vecs[0, 0], vecs[0, 1], B, p)
            blk(pb, y0, x0, vecs[1, 0], vecs[1, 1], B, q)
            bsb = sad_bi(c, p, q, B)
            for r in range(rounds):
                for side in range(2):
                    ph = pa if side == 0 else pb
                    cy, cx = vecs[side, 0], vecs[side, 1]
                    for dy in range(-4, 5):
                        for dx in range(-4, 5):
                            if not blk(ph, y0, x0, cy + dy, cx + dx, B, t): continue
                            s = sad_bi(c, t, q, B) if side == 0 else sad_bi(c, p, t, B)
                            if s < bsb:
                                bsb = s; vecs[side, 0] = cy + dy; vecs[side, 1] = cx + dx
                    blk(pa, y0, x0, vecs[0, 0], vecs[0, 1], B, p)
                    blk(pb, y0, x0, vecs[1, 0], vecs[1, 1], B, q)
            off = 1 << (SH3 - 1); offb = 1 << (sh - 1)
            if bsb <= best[0] and bsb <= best[1]:
                kind[by, bx] = 2
                for i in range(B):
                    for j in range(B):
                        pred[y0 + i, x0 + j] = min(max((p[i, j] + q[i, j] + offb) >> sh, 0), 1023)
            else:
                src = p if best[0] <= best[1] else q
                kind[by, bx] = 0 if best[0] <= best[1] else 1
                for i in range(B):
                    for j in range(B):
                        pred[y0 + i, x0 + j] = min(max((src[i, j] + off) >> SH3, 0), 1023)
    return pred, kind

def stack(ref):
    ph = phases(ref)
    return np.stack([ph[fy, fx] for fy in range(4) for fx in range(4)])

@njit(cache=False)
def sym(cur, pa, pb, base, B, R, prev):
    """per block: v searched +-R around base (vector to b, quarter pels), bi of a at -v and b at +v;
    kept where it beats ``prev`` (an earlier prediction) by SAD."""
    h, w = cur.shape
    out = prev.copy()
    p = np.zeros((B, B), np.int64); q = np.zeros((B, B), np.int64)
    sh = 15 - BD; off = 1 << (sh - 1)
    won = 0
    for by in range(h // B):
        for bx in range(w // B):
            y0, x0 = by * B, bx * B
            c = cur[y0:y0 + B, x0:x0 + B]
            ps = 0
            for i in range(B):
                for j in range(B):
                    ps += abs(prev[y0 + i, x0 + j] - c[i, j])
            gy, gx = min(y0 // 16, base.shape[0] - 1), min(x0 // 16, base.shape[1] - 1)
            bs = ps; bvy = 0; bvx = 0; found = False
            for dy in range(-R, R + 1):
                for dx in range(-R, R + 1):
                    vy = base[gy, gx, 0] + dy; vx = base[gy, gx, 1] + dx
                    if not blk(pb, y0, x0, vy, vx, B, q): continue
                    if not blk(pa, y0, x0, -vy, -vx, B, p): continue
                    s = sad_bi(c, p, q, B)
                    if s < bs:
                        bs = s; bvy = vy; bvx = vx; found = True
            if found:
                won += 1
                blk(pb, y0, x0, bvy, bvx, B, q); blk(pa, y0, x0, -bvy, -bvx, B, p)
                for i in range(B):
                    for j in range(B):
                        out[y0 + i, x0 + j] = min(max((p[i, j] + q[i, j] + off) >> sh, 0), 1023)
    return out, won

def main():
    info, frames = _frames(sys.argv[1], 5)
    for c, a, b in [(2, 0, 4), (1, 0, 2), (3, 2, 4)]:
        cur = frames[c][0].astype(np.int64)
        pa, pb = stack(frames[a][0]), stack(frames[b][0])
        ba = motionsearch.estimate(frames[c][0], frames[a][0]).astype(np.int64)
        bb = motionsearch.estimate(frames[c][0], frames[b][0]).astype(np.int64)
        for B, R, rounds in [(8, 4, 0), (8, 4, 2), (8, 16, 3), (4, 16, 3)]:
            t = time.time()
            pred, kind = search(cur, pa, pb, ba, bb, B, R, rounds)
            hh, ww = pred.shape
            r = pred - cur[:hh, :ww]
            print(f"frame {c} from {a},{b} {B}x{B} R={R} rounds={rounds}: bi share {np.mean(kind == 2):.2f} exact {np.mean(r == 0):.3f} |r|<=1 {np.mean(np.abs(r) <= 1):.3f} mean|r| {np.abs(r).mean():.3f} ({time.time()-t:.0f}s)", flush=True)
        # symmetric bi-prediction (a at -v, b at +v: a frame midway on linear motion) over the 8x8 joint result
        pred, _ = search(cur, pa, pb, ba, bb, 8, 16, 3)
        hh, ww = pred.shape
        out, won = sym(cur[:hh, :ww], pa, pb, bb, 8, 32, pred)
        for name, pr in (("joint 8x8", pred), ("+ symmetric bi 8x8 +-8 pel", out)):
            r = pr - cur[:hh, :ww]
            z = (r.reshape(hh // 8, 8, ww // 8, 8) == 0).all(axis=(1, 3)).mean()
            print(f"frame {c} from {a},{b} {name}: exact {np.mean(r == 0):.3f}, zero 8x8 blocks {z:.3f}, mean|r| {np.abs(r).mean():.2f}", flush=True)


if __name__ == "__main__":
    main()
