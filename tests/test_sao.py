"""ls-v8: HEVC's edge offset on the block prediction's luma (nlvc_av/codec/adaptive/sao.py)."""
from __future__ import annotations

import numpy as np
import pytest

from nlvc_av.codec import registry
from nlvc_av.codec.adaptive import blockpred, sao
from nlvc_av.codec.adaptive.stage import AdaptiveGop


def reference_edge_offset(pred, types, offsets, shift, maxval):
    """H.265 8.7.3 written out with numpy: per 64x64 block, the category of each sample along
    the block's direction (samples on the picture's edge along it unchanged), plus its offset."""
    h, w = pred.shape
    out = pred.copy()
    p = np.pad(pred.astype(np.int64), 1, mode="edge")
    for t in range(1, 5):
        dy, dx = sao.DIRECTIONS[t - 1]
        a = p[1 - dy:1 - dy + h, 1 - dx:1 - dx + w]
        b = p[1 + dy:1 + dy + h, 1 + dx:1 + dx + w]
        edge = 2 + np.sign(pred - a) + np.sign(pred - b)
        cat = np.array([1, 2, 0, 3, 4])[edge]
        ys, xs = np.mgrid[0:h, 0:w]
        inside = (ys - dy >= 0) & (ys + dy < h) & (xs - dx >= 0) & (xs - dx < w) & (xs + dx >= 0) & (xs + dx < w)
        mine = types[ys // 64, xs // 64] == t
        off = offsets[ys // 64, xs // 64, cat] << shift
        out = np.where(mine & inside, np.clip(pred + off, 0, maxval), out)
    return out


@pytest.mark.parametrize("bits", [8, 10, 12])
def test_edge_offsets_are_hevcs(bits):
    rng = np.random.default_rng(bits)
    maxval = (1 << bits) - 1
    pred = rng.integers(0, maxval + 1, (130, 150))
    grid = sao.grid(pred.shape)
    types = rng.integers(0, 5, grid)
    m = sao.max_offset(bits)
    offsets = np.zeros(grid + (5,), np.int64)
    offsets[..., 1:3] = rng.integers(0, m + 1, grid + (2,))
    offsets[..., 3:5] = -rng.integers(0, m + 1, grid + (2,))
    got = sao.filtered(pred, (types, offsets), bits)
    assert np.array_equal(got, reference_edge_offset(pred, types, offsets, sao.offset_shift(bits), maxval))


def test_the_encoder_finds_the_offsets_that_made_a_frame():
    rng = np.random.default_rng(1)
    pred = np.cumsum(rng.integers(-3, 4, (128, 192)), axis=1) + 500
    types = np.array([[1, 0, 3], [4, 2, 0]])
    offsets = np.zeros((2, 3, 5), np.int64)
    offsets[types > 0] = [0, 3, 1, -2, -5]
    cur = sao.filtered(pred, (types, offsets), 10)
    fitted = sao.fit(cur, pred, 10)
    assert np.array_equal(sao.filtered(pred, fitted, 10), cur)
    # the parameters survive the side chunk, after a block field
    field = (np.zeros((16, 24), np.int64), np.zeros((16, 24, 2), np.int64), np.zeros((16, 24, 2), np.int64))
    data = blockpred.encode_field(*field, fitted, 10)
    _, back = blockpred.decode_field(data, (16, 24), sao.grid(pred.shape), 10)
    assert np.array_equal(back[0], fitted[0]) and np.array_equal(back[1], fitted[1])


def test_ls_v8_codes_edge_offset_frames_smaller_and_exactly():
    """Frames that are HEVC predictions with edge offsets added (what an HEVC decoder's SAO
    does): ls-v8 recovers the offsets, so its file is smaller than ls-v7's; both exact."""
    from test_blockpred import hevc_like_clip
    table = registry.load("nlvc-adaptive-ls-v8").arrays["logistic"]
    frames = hevc_like_clip(5, shape=(64, 128))
    for i, f in enumerate(frames[1:], 1):
        types = np.array([[1 + i % 4, 2]])
        offsets = np.zeros((1, 2, 5), np.int64)
        offsets[...] = [0, 2, 1, -1, -2]
        f[0] = sao.filtered(f[0], (types, offsets), 8).astype(np.int64)
    sizes = {}
    for version in (7, 8):
        stage = AdaptiveGop(2, 8, table, version=version)
        data = stage.encode(frames, "IPPPP")
        back = stage.decode(data, "IPPPP", [p.shape for p in frames[0]])
        assert all(np.array_equal(a, b) for fa, fb in zip(frames, back) for a, b in zip(fa, fb))
        sizes[version] = len(data)
    assert sizes[8] < 0.97 * sizes[7], sizes
