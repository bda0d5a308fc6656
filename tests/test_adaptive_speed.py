"""What the adaptive stage does for speed must not change a byte: compiled compensation,
threaded motion searches and mode trials, one piece per tall GOP."""
from __future__ import annotations

import numpy as np
import pytest

from nlvc_av.codec.adaptive import compensation, motionsearch
from nlvc_av.codec.adaptive.stage import AdaptiveGop
from nlvc_av.codec.coder import GopCoder
from nlvc_av.codec.predict import subpel
from nlvc_av.codec import registry


@pytest.mark.parametrize("h, w, sub_y, sub_x, dtype", [(37, 53, 1, 1, np.uint8), (19, 27, 2, 2, np.uint16),
                                                       (37, 27, 1, 2, np.int32), (8, 5, 1, 1, np.uint8),
                                                       (9, 14, 4, 4, np.uint8)])
def test_compiled_compensation_is_subpel_compensation(h, w, sub_y, sub_x, dtype):
    rng = np.random.default_rng(h * w)
    ref = rng.integers(0, 1000 if dtype != np.uint8 else 256, (h, w)).astype(dtype)
    # vectors up to the syntax's range, on a tiny plane: most predictions reach past the edges
    vectors = rng.integers(-128, 128, (-(-h * sub_y // 16), -(-w * sub_x // 16), 2))
    want = subpel.compensate(ref, vectors, sub_y, sub_x)
    got = compensation.compensate(ref, vectors, sub_y, sub_x)
    assert got.dtype == want.dtype and np.array_equal(got, want)


def _pan(n=4, h=48, w=64):
    rng = np.random.default_rng(5)
    base = rng.integers(0, 256, (h + 8 * n, w + 8 * n)).astype(np.uint8)
    base = ((base.astype(np.int32) + np.roll(base, 1, 0) + np.roll(base, 1, 1)) // 3).astype(np.uint8)
    frames = []
    for i in range(n):
        y = base[2 * i:2 * i + h, 3 * i:3 * i + w]
        frames.append([y, y[::2, ::2].copy(), y[1::2, ::2].copy()])
    return frames


def test_threaded_trials_and_searches_code_the_same_bytes():
    table = registry.load("nlvc-adaptive-ls-v4").arrays["logistic"]
    frames = _pan()
    one = AdaptiveGop(1, 8, table, version=4)
    two = AdaptiveGop(1, 8, table, version=4)
    two.threads = 2
    assert one.encode(frames, "IPPP") == two.encode(frames, "IPPP")


def test_a_gop_with_a_band_per_worker_stays_one_piece():
    coder = GopCoder.for_encoding("default", 2)
    assert coder.pieces(8, 2, 1080) == [(0, 8)]            # 2 bands of 1080 rows: threads
    # CIF: one band, pieces on processes (ls-v10 and later: whole windows of 16 frames)
    assert coder.pieces(40, 2, 288) == [(0, 1), (1, 17), (17, 33), (33, 40)]
    assert len(coder.pieces(40, 4, 1080)) > 2                # more workers than bands


@pytest.mark.parametrize("h, w, shift, dtype", [(80, 96, (3, -5), np.uint8), (53, 70, (-11, 17), np.uint8),
                                                (40, 48, (6, 2), np.uint16)])
def test_the_compiled_quarter_pel_search_finds_the_numpy_search_vectors(h, w, shift, dtype):
    """motionsearch.estimate (views, int32, the block's own phase) against subpel.estimate."""
    rng = np.random.default_rng(h + w)
    top = 4000 if dtype == np.uint16 else 256
    big = rng.integers(0, top, (h + 60, w + 60)).astype(np.int64)
    big = (big + np.roll(big, 1, 0) + np.roll(big, 1, 1) + np.roll(big, (1, 1), (0, 1))) // 4
    ref = big[30:30 + h, 30:30 + w].astype(dtype)
    cur = big[30 + shift[0]:30 + shift[0] + h, 30 + shift[1]:30 + shift[1] + w].astype(dtype)
    assert np.array_equal(motionsearch.estimate(cur, ref), subpel.estimate(cur, ref))


def _gop_frames(pix_fmt: str, n: int = 4):
    from nlvc_av.codec.formats import lookup, plane_shapes
    fmt = lookup(pix_fmt)
    top = (1 << fmt.bit_depth) - 1
    frames = _pan(n, 40, 56)
    out = []
    for f in frames:
        y = f[0].astype(np.int64) * top // 255
        planes = []
        for k, (h, w) in enumerate(plane_shapes(fmt, 56, 40)):
            sy, sx = -(-40 // h), -(-56 // w)
            planes.append(((y[::sy, ::sx][:h, :w] + 37 * k) % (top + 1)).astype(fmt.dtype))
        out.append(planes)
    return fmt, out


@pytest.mark.parametrize("pix_fmt", ["yuv420p", "gbrp", "yuva420p", "yuv420p10le", "gray"])
def test_the_two_lane_decoder_gives_the_one_lane_frames(pix_fmt):
    fmt, frames = _gop_frames(pix_fmt)
    table = registry.load("nlvc-adaptive-ls-v5").arrays["logistic"]
    stage = AdaptiveGop(2, fmt.bit_depth, table, version=5)
    data = stage.encode(frames, "IPPP")
    shapes = [p.shape for p in frames[0]]
    one = stage.decode(data, "IPPP", shapes)
    stage.threads = 2
    two = stage.decode(data, "IPPP", shapes)
    for fa, fb, fc in zip(frames, one, two):
        for a, b, c in zip(fa, fb, fc):
            assert np.array_equal(a, b) and np.array_equal(b, c)


def test_the_two_lane_decoder_reports_damage_and_stops():
    fmt, frames = _gop_frames("yuv420p")
    table = registry.load("nlvc-adaptive-ls-v5").arrays["logistic"]
    stage = AdaptiveGop(2, 8, table, version=5)
    stage.threads = 2
    data = stage.encode(frames, "IPPP")
    shapes = [p.shape for p in frames[0]]
    with pytest.raises(ValueError):
        stage.decode(data[:len(data) // 3], "IPPP", shapes)   # the payload's chunks are cut
    with pytest.raises(ValueError):
        stage.decode(data, "IPXP", shapes)
