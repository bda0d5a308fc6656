"""ls-v6: HEVC's interpolation on 8x8 blocks, its block field, the coding order, the GOP."""
from __future__ import annotations

import numpy as np
import pytest

from nlvc_av.codec import registry
from nlvc_av.codec.adaptive import blockpred, payload, references
from nlvc_av.codec.adaptive.order import mini_gops
from nlvc_av.codec.adaptive.stage import AdaptiveGop, coding_order, neighbours

TABLE = registry.load("nlvc-adaptive-ls-v6").arrays["logistic"]


def reference_interpolation(ref, vy, vx, taps, frac_bits, shift1, shift3):
    """H.265 8.5.3.3.3 written out on the whole plane (numpy, edge-replicated): the 14-bit
    intermediate at every position moved by (vy, vx) in 1 / 2^frac_bits samples."""
    n = taps.shape[1]
    off = n // 2 - 1
    pad = 40
    p = np.pad(ref.astype(np.int64), pad, mode="edge")
    h, w = ref.shape
    fy, fx = vy & ((1 << frac_bits) - 1), vx & ((1 << frac_bits) - 1)
    iy, ix = vy >> frac_bits, vx >> frac_bits

    def window(dy, dx, hh, ww):
        return p[pad + iy + dy: pad + iy + dy + hh, pad + ix + dx: pad + ix + dx + ww]

    if fy == 0 and fx == 0:
        return window(0, 0, h, w) << shift3
    if fy == 0:
        return sum(taps[fx, t] * window(0, t - off, h, w) for t in range(n)) >> shift1
    if fx == 0:
        return sum(taps[fy, t] * window(t - off, 0, h, w) for t in range(n)) >> shift1
    rows = sum(taps[fx, t] * window(-off, t - off, h + n - 1, w) for t in range(n)) >> shift1
    return sum(taps[fy, t] * rows[t:t + h] for t in range(n)) >> 6


@pytest.mark.parametrize("bits", [8, 10, 12])
def test_block_prediction_is_hevcs_interpolation(bits):
    rng = np.random.default_rng(bits)
    maxval = (1 << bits) - 1
    luma = [rng.integers(0, maxval + 1, (24, 40)) for _ in range(2)]
    chroma = [rng.integers(0, maxval + 1, (12, 20)) for _ in range(2)]
    grid = (3, 5)
    kinds = rng.integers(0, 3, grid)
    v0 = rng.integers(-40, 41, grid + (2,))
    v1 = rng.integers(-40, 41, grid + (2,))
    luma_pred, chroma_pred = blockpred.predict((kinds, v0, v1), [luma[0], chroma[0]], [luma[1], chroma[1]], bits)
    shift1, shift3 = blockpred.shifts(bits)
    for by in range(3):
        for bx in range(5):
            k = kinds[by, bx]
            for plane, refs, sub, taps, frac in ((luma_pred, luma, 1, blockpred.LUMA_TAPS, 2),
                                                 (chroma_pred, chroma, 2, blockpred.CHROMA_TAPS, 3)):
                b = 8 // sub
                ys, xs = slice(by * b, by * b + b), slice(bx * b, bx * b + b)
                inter = []
                for side, v in ((0, v0), (1, v1)):
                    vy, vx = v[by, bx]
                    if sub == 2:
                        vy, vx = vy, vx      # 4:2:0: the quarter-pel luma vector in eighth chroma samples
                    inter.append(reference_interpolation(refs[side], vy, vx, taps, frac, shift1, shift3)[ys, xs])
                if k == 2:
                    want = (inter[0] + inter[1] + (1 << shift3)) >> (shift3 + 1)
                else:
                    want = (inter[k] + (1 << (shift3 - 1))) >> shift3
                assert np.array_equal(plane[ys, xs], np.clip(want, 0, maxval)), (by, bx, k)


def test_block_field_round_trips_and_damage_stays_in_bounds():
    rng = np.random.default_rng(5)
    grid = (7, 9)
    kinds = rng.integers(0, 3, grid)
    v0 = rng.integers(-300, 301, grid + (2,))
    v1 = np.where(rng.random(grid + (2,)) < 0.5, 4, rng.integers(-1023, 1024, grid + (2,)))
    data = blockpred.encode_field(kinds, v0, v1)
    (k2, a, b), none = blockpred.decode_field(data, grid)
    assert none is None
    assert np.array_equal(k2, kinds)
    assert np.array_equal(a[kinds != 1], v0[kinds != 1]) and np.array_equal(b[kinds != 0], v1[kinds != 0])
    for seed in range(20):
        bad = bytearray(data)
        bad[np.random.default_rng(seed).integers(0, len(bad))] ^= 0x5A
        try:
            (k3, a3, b3), _ = blockpred.decode_field(bytes(bad), grid)
        except ValueError:
            continue
        assert k3.max() < 3 and np.abs(a3).max() <= blockpred.MAX_VECTOR and np.abs(b3).max() <= blockpred.MAX_VECTOR


def test_coding_order_is_hierarchical_and_pieces_concatenate():
    assert coding_order(0, 5) == [0, 4, 2, 1, 3]
    assert coding_order(0, 3) == [0, 2, 1]
    assert coding_order(0, 2) == [0, 1]
    assert coding_order(0, 11) == [0, 4, 2, 1, 3, 8, 6, 5, 7, 10, 9]
    assert coding_order(0, 5) + coding_order(5, 11) == coding_order(0, 11)
    with pytest.raises(ValueError):
        coding_order(3, 11)
    # frame 1 after 0, 4, 2: its neighbours are 0 and 2 (the nearest last), predicted from 0 and 2
    assert neighbours(1, [0, 4, 2]) == ([4, 2, 0], 0, 2)
    assert neighbours(4, [0]) == ([0], 0, None)
    assert neighbours(8, [0, 4, 2, 1, 3]) == ([2, 3, 4], 4, 3)


def hevc_like_clip(n: int = 5, shape=(48, 64)):
    """Frames that are HEVC predictions of one another (what decoded HEVC looks like where its
    encoder coded no residual): frame i is frame 0 moved by (i, 3i) quarter pels, with one
    noisy block so that the prediction is not everywhere exact."""
    rng = np.random.default_rng(7)
    base = rng.integers(0, 256, (shape[0] + 8, shape[1] + 8)).astype(np.float64)
    for _ in range(3):
        base = (base + np.roll(base, 1, 0) + np.roll(base, 1, 1) + np.roll(base, (1, 1), (0, 1))) / 4
    first = [np.clip(base[:shape[0], :shape[1]], 0, 255).astype(np.int64)]
    first.append(first[0][::2, ::2] // 2 + 64)
    first.append(255 - first[0][::2, ::2] // 3)
    grid = (shape[0] // 8, shape[1] // 8)
    frames = [first]
    for i in range(1, n):
        v = np.tile(np.array([i, 3 * i]), grid + (1,))
        moved = blockpred.predict((np.zeros(grid, np.int64), v, v), first, None, 8)
        moved[0][8:16, 8:16] = rng.integers(0, 256, (8, 8))
        frames.append([p.astype(np.int64) for p in moved])
    return frames


def test_ls_v6_gop_is_exact_uses_the_blocks_and_codes_the_same_in_pieces():
    frames = hevc_like_clip()
    stage = AdaptiveGop(2, 8, TABLE, version=6)
    data = stage.encode(frames, "IPPPP")
    decoded = stage.decode(data, "IPPPP", [p.shape for p in frames[0]])
    assert all(np.array_equal(a, b) for fa, fb in zip(frames, decoded) for a, b in zip(fa, fb))
    # the side chunks (in coding order 4, 2, 1, 3) name the block mode
    chunks = payload.split(data, stage.chunk_count("IPPPP", [p.shape for p in frames[0]]))
    per_frame = 1 + 3  # side chunk + one band per plane
    modes = [references.read_side(payload.split(chunks[3 + k * per_frame], 2)[0], frames[0][0].shape, 1,
                                  stage.modes, True)[0] for k in range(4)]
    assert all(references.uses_blocks(m, stage.modes) for m in modes), modes
    # smaller than ls-v5, whose bilinear prediction cannot reproduce the moved frames
    assert len(data) < len(AdaptiveGop(2, 8, TABLE, version=5).encode(frames, "IPPPP"))
    # any split on mini-GOP boundaries codes the same bytes
    one = stage.encode_frames(frames[:1], 0, [])
    rest = stage.encode_frames(frames[1:], 1, frames[:1])
    assert payload.join(one + rest) == data


def _order_flags(stage, data, frames):
    """ls-v7: each mini-GOP's order byte, read from the chunk layout (I-frame, then per mini-GOP
    its order chunk and its frames' chunks)."""
    shapes = [p.shape for p in frames[0]]
    types = "I" + "P" * (len(frames) - 1)
    chunks = payload.split(data, stage.chunk_count(types, shapes))
    per_frame = sum(stage.bands_per_plane(shapes))
    pos, flags = per_frame, []
    for lo, hi in mini_gops(0, len(frames)):
        flags.append(chunks[pos][0])
        pos += 1 + (hi - lo) * (per_frame + 1)
    assert pos == len(chunks)
    return flags


def test_ls_v7_chooses_the_order_per_mini_gop():
    table = registry.load("nlvc-adaptive-ls-v7").arrays["logistic"]
    stage = AdaptiveGop(2, 8, table, version=7)
    moved = hevc_like_clip(9)
    data = stage.encode(moved, "I" + "P" * 8)
    assert _order_flags(stage, data, moved) == [1, 1]       # the block prediction pays: hierarchical
    assert payload.join(stage.encode_frames(moved[:5], 0, []) + stage.encode_frames(moved[5:], 5, moved[2:5])) == data
    # the same bytes as ls-v6 but for the order chunks (ls-v6 is always hierarchical)
    v6 = AdaptiveGop(2, 8, table, version=6).encode(moved, "I" + "P" * 8)
    assert len(data) == len(v6) + 2 + 2     # two 1-byte chunks and their sizes in the chunk table
    noisy = [[p.astype(np.int64) for p in f] for f in _noisy_clip(6)]
    data = stage.encode(noisy, "I" + "P" * 5)
    # camera-like noise: the block prediction's exact samples are no more frequent than those one
    # off (stage.reproduces), so the mode is not tried and frames follow one another
    assert not stage.reproduces(noisy[2][0], (noisy[0], noisy[4], True))
    assert _order_flags(stage, data, noisy) == [0, 0]
    for frames, blob in ((moved, stage.encode(moved, "I" + "P" * 8)), (noisy, data)):
        back = stage.decode(blob, "I" + "P" * (len(frames) - 1), [p.shape for p in frames[0]])
        assert all(np.array_equal(a, b) for fa, fb in zip(frames, back) for a, b in zip(fa, fb))
    bad = bytearray(data)
    shapes = [p.shape for p in noisy[0]]
    chunks = payload.split(bytes(bad), stage.chunk_count("I" + "P" * 5, shapes))
    chunks[3] = b"\x07"
    with pytest.raises(ValueError, match="order"):
        stage.decode(payload.join(chunks), "I" + "P" * 5, shapes)


def _noisy_clip(n: int, shape=(32, 48)):
    """Textured frames shifted by a pixel each, with noise (no prediction is exact)."""
    rng = np.random.default_rng(3)
    base = rng.integers(0, 256, (shape[0] + 16, shape[1] + 16)).astype(np.float64)
    for _ in range(3):
        base = (base + np.roll(base, 1, 0) + np.roll(base, 1, 1)) / 3
    frames = []
    for i in range(n):
        y = np.clip(base[i:i + shape[0], i:i + shape[1]] + rng.normal(0, 3, shape), 0, 255).astype(np.int64)
        frames.append([y, y[::2, ::2] // 2 + 60, 200 - y[1::2, 1::2] // 3])
    return frames


def test_ls_v7_codes_the_h264_clip_one_frame_after_another():
    """The H.264 clip (I B B B P): its middle B-frame does not take the block prediction
    (H.264's 6-tap filter is not HEVC's), so ls-v7 keeps ls-v5's order there."""
    from clipgen import DATA
    clip = DATA / "wild" / "bikes_640x272_h264.mp4"
    if not clip.exists():
        pytest.skip("needs ../shared/data")
    from nlvc_av.bench.adaptive_ablation import _frames
    _, frames = _frames(str(clip), 5)
    stage = AdaptiveGop(1, 8, registry.load("nlvc-adaptive-ls-v7").arrays["logistic"], version=7)
    assert _order_flags(stage, stage.encode(frames, "IPPPP"), frames) == [0]


def test_ls_v7_decodes_mini_gops_coded_one_frame_after_another(monkeypatch):
    """Whatever the encoder chooses, the decoder follows the order chunks: here every mini-GOP
    forced to one frame after another (frames 1-4 from their previous ones), then forced
    hierarchical; both decode exactly and differ."""
    from nlvc_av.codec.adaptive import ordered
    table = registry.load("nlvc-adaptive-ls-v7").arrays["logistic"]
    frames = hevc_like_clip(7)
    blobs = {}
    for choice in (False, True):
        monkeypatch.setattr(ordered, "_pays", lambda *args, choice=choice: choice)
        stage = AdaptiveGop(2, 8, table, version=7)
        blobs[choice] = stage.encode(frames, "I" + "P" * 6)
        assert _order_flags(stage, blobs[choice], frames) == [int(choice), int(choice)]
        back = stage.decode(blobs[choice], "I" + "P" * 6, [p.shape for p in frames[0]])
        assert all(np.array_equal(a, b) for fa, fb in zip(frames, back) for a, b in zip(fa, fb))
    assert blobs[False] != blobs[True]


def test_ls_v8_decodes_the_same_frames_in_two_lanes():
    """Plane 0 ahead of the others on a lane of its own (lanes.py), in the coding order."""
    table = registry.load("nlvc-adaptive-ls-v8").arrays["logistic"]
    frames = hevc_like_clip(7)
    stage = AdaptiveGop(2, 8, table, version=8)
    data = stage.encode(frames, "I" + "P" * 6)
    stage.threads = 2
    back = stage.decode(data, "I" + "P" * 6, [p.shape for p in frames[0]])
    assert all(np.array_equal(a, b) for fa, fb in zip(frames, back) for a, b in zip(fa, fb))
