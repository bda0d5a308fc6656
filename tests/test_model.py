"""The entropy model: token map, integer network exactness, coding round trips, motion."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from container import CodecSetup
from nlvc_av import motion
from nlvc_av.codec import GopCoder, ModelMismatchError
from nlvc_av.entropy import AdaptiveTables, RESCALE_TOTAL
from nlvc_av.model import weights
from nlvc_av.model.lattice import IN_CHANNELS, network_input, shuffle, unshuffle
from nlvc_av.model.qnet import EntropyNet, IntNet


def test_token_map_is_a_bijection_for_every_mean():
    x = np.arange(256)[None, :]
    mu = np.arange(256)[:, None]
    symbols = (x - mu + 128) & 255
    assert all(len(set(row)) == 256 for row in symbols)          # injective for each mean
    assert ((symbols + mu - 128) & 255 == x).all()               # and inverted exactly


def test_unshuffle_round_trip_odd_sizes():
    for h, w in [(1, 1), (1, 5), (7, 3), (33, 17)]:
        lat = torch.arange(h * w, dtype=torch.float32).reshape(1, h, w)
        cells, hh, ww = unshuffle(lat)
        assert torch.equal(shuffle(cells, hh, ww), lat)


def test_integer_network_matches_the_trained_network_exactly():
    torch.manual_seed(1)
    net = EntropyNet(channels=8, blocks=2)
    x = torch.randint(0, 256, (2, IN_CHANNELS, 9, 11)).float()
    trained = net(x).detach()
    exact = IntNet(net.export())(x)
    assert torch.equal(trained, exact)


def test_integer_network_refuses_weights_that_could_overflow():
    arrays = EntropyNet(channels=8, blocks=1).export()
    arrays["l1.w"] = np.full_like(arrays["l1.w"], 127)
    arrays["l1.w"] = np.repeat(arrays["l1.w"], 200, axis=1)[:, :, :3, :3]
    with pytest.raises(ValueError, match="2\\*\\*24"):
        IntNet(arrays)


def test_network_input_hides_unknown_samples():
    cells = torch.randint(0, 256, (1, 4, 5, 6)).float()
    other = cells.clone()
    other[:, 1:] = 7  # H, V, D differ; with only A known the input must not change
    a, _ = network_input(cells, 1, None, False, 0)
    b, _ = network_input(other, 1, None, False, 0)
    assert torch.equal(a, b)


def test_adaptive_tables_keep_every_symbol_codable():
    t = AdaptiveTables(weights.prior_tables())
    rng = np.random.default_rng(0)
    for _ in range(50):
        t.update(np.zeros(5000, np.int64), np.full(5000, 128))
    assert (t.counts >= 1).all() and t.counts.sum(axis=1).max() <= 2 * RESCALE_TOTAL
    t.update(rng.integers(0, 24, 100), rng.integers(0, 256, 100))


def _clip(h: int, w: int, n: int, pix_fmt: str, seed: int = 0) -> list[list[np.ndarray]]:
    from nlvc_av.planes import plane_shapes
    rng = np.random.default_rng(seed)
    frames = []
    for t in range(n):
        planes = []
        for k, (ph, pw) in enumerate(plane_shapes(pix_fmt, w, h)):
            yy, xx = np.mgrid[0:ph, 0:pw]
            smooth = (yy * 3 + (xx + 2 * t) * 2 + 40 * k) % 256
            planes.append(np.clip(smooth + rng.integers(-4, 5, (ph, pw)), 0, 255).astype(np.uint8))
        frames.append(planes)
    return frames


@pytest.mark.parametrize("pix_fmt,h,w,n,groups", [
    ("yuv420p", 17, 33, 3, 2), ("yuv422p", 9, 14, 2, 1), ("yuv444p", 8, 8, 2, 3),
    ("gray", 1, 1, 1, 2), ("gray", 5, 40, 4, 3), ("gbrp", 12, 10, 2, 2),
])
def test_tiny_model_round_trip(pix_fmt, h, w, n, groups):
    coder = GopCoder(groups=groups, model="tiny")
    frames = _clip(h, w, n, pix_fmt)
    payload, types = coder.encode_gop(frames, pix_fmt)
    assert types[0] == "I" and len(types) == n
    back = coder.decode_gop(payload, types, pix_fmt, w, h)
    for a, b in zip(frames, back):
        for pa, pb in zip(a, b):
            assert pa.shape == pb.shape and np.array_equal(pa, pb)


def test_shipped_weights_round_trip_a_small_crop():
    coder = GopCoder(groups=2)
    frames = _clip(24, 40, 2, "yuv420p", seed=3)
    payload, types = coder.encode_gop(frames, "yuv420p")
    back = coder.decode_gop(payload, types, "yuv420p", 40, 24)
    assert all(np.array_equal(a, b) for fa, fb in zip(frames, back) for a, b in zip(fa, fb))
    raw = sum(p.size for f in frames for p in f)
    assert len(payload) < raw  # a trained model compresses this


def test_decoding_with_other_weights_is_a_clear_error():
    coder = GopCoder(groups=2)
    setup = CodecSetup(model_id=coder.model_id, weights_sha256="0" * 64, token_map=coder.token_map,
                       groups=2, gop_size=8, coder_params={})
    with pytest.raises(ModelMismatchError, match="installed weights differ"):
        GopCoder.for_setup(setup)
    setup.weights_sha256 = coder.weights_sha256
    assert GopCoder.for_setup(setup).weights_sha256 == coder.weights_sha256


def test_motion_search_finds_a_shift_and_compensation_applies_it():
    rng = np.random.default_rng(0)
    noise = rng.integers(0, 256, (64, 80)).astype(np.float64)
    for axis in (0, 1):  # smooth texture, like camera content
        noise = (noise + np.roll(noise, 1, axis) + np.roll(noise, 2, axis)) / 3
    ref = noise.astype(np.uint8)
    cur = np.roll(ref, (3, -5), axis=(0, 1))
    vectors = motion.estimate(cur, ref)
    inner = vectors[1:-1, 1:-1].reshape(-1, 2)
    assert (inner == (-3, 5)).all()
    comp = motion.compensate(ref, vectors)
    assert np.array_equal(comp[16:48, 16:64], cur[16:48, 16:64])
    assert np.array_equal(motion.compensate(ref, np.zeros_like(vectors)), ref)


def test_p_frames_are_chosen_when_they_pay_and_round_trip():
    coder = GopCoder(groups=2, model="tiny")
    still = _clip(24, 32, 1, "yuv420p")[0]
    cut = _clip(24, 32, 1, "yuv420p", seed=9)[0]
    cut = [255 - p for p in cut]                       # a scene cut
    frames = [still, [p.copy() for p in still], cut]
    payload, types = coder.encode_gop(frames, "yuv420p")
    assert types == "IPI"
    back = coder.decode_gop(payload, types, "yuv420p", 32, 24)
    assert all(np.array_equal(a, b) for fa, fb in zip(frames, back) for a, b in zip(fa, fb))
