"""The codec: token map, schedule, integer network exactness, coding round trips, motion."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from nlvc_av.codec import GopCoder
from nlvc_av.codec.entropy import RESCALE_TOTAL, AdaptiveTables
from nlvc_av.codec.nets.inputs import IN_CHANNELS, network_input
from nlvc_av.codec.nets.intnet import IntNet
from nlvc_av.codec.predict import motion
from nlvc_av.codec.schedule import shuffle, unshuffle
from nlvc_av.codec.tokens import RESIDUAL_MOD256
from nlvc_av.train.export import prior_tables
from nlvc_av.train.net import EntropyNet


def test_token_map_is_a_bijection_for_every_mean():
    x = np.arange(256)[None, :]
    mu = np.arange(256)[:, None]
    symbols = RESIDUAL_MOD256.to_symbols(np.broadcast_to(x, (256, 256)), mu)
    assert all(len(set(row)) == 256 for row in symbols)          # injective for each mean
    assert (RESIDUAL_MOD256.to_samples(symbols, mu) == x).all()  # and inverted exactly
    assert symbols[100, 100] == 128                              # a perfect mean codes as 128


def test_unshuffle_round_trip_odd_sizes():
    for h, w in [(1, 1), (1, 5), (7, 3), (33, 17)]:
        lat = np.arange(h * w, dtype=np.int32).reshape(h, w)
        cells = unshuffle(lat)
        assert cells.shape == (4, -(-h // 2), -(-w // 2))
        assert np.array_equal(shuffle(cells, h, w), lat)


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
    t = AdaptiveTables(prior_tables())
    rng = np.random.default_rng(0)
    for _ in range(50):
        t.update(np.zeros(5000, np.int64), np.full(5000, 128))
    assert (t.counts >= 1).all() and t.counts.sum(axis=1).max() <= 2 * RESCALE_TOTAL
    t.update(rng.integers(0, 24, 100), rng.integers(0, 256, 100))


def _clip(h: int, w: int, n: int, pix_fmt: str, seed: int = 0) -> list[list[np.ndarray]]:
    from nlvc_av.codec.formats import plane_shapes
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
    coder = GopCoder.for_encoding("tiny", groups=groups)
    frames = _clip(h, w, n, pix_fmt)
    payload, types = coder.encode_gop(frames, pix_fmt)
    assert types[0] == "I" and len(types) == n
    back = coder.decode_gop(payload, types, pix_fmt, w, h)
    for a, b in zip(frames, back):
        for pa, pb in zip(a, b):
            assert pa.shape == pb.shape and np.array_equal(pa, pb)


def test_shipped_weights_round_trip_a_small_crop():
    coder = GopCoder.for_encoding("default", groups=2)
    frames = _clip(24, 40, 2, "yuv420p", seed=3)
    payload, types = coder.encode_gop(frames, "yuv420p")
    back = coder.decode_gop(payload, types, "yuv420p", 40, 24)
    assert all(np.array_equal(a, b) for fa, fb in zip(frames, back) for a, b in zip(fa, fb))
    raw = sum(p.size for f in frames for p in f)
    assert len(payload) < raw  # a trained model compresses this


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
    coder = GopCoder.for_encoding("tiny", groups=2)
    still = _clip(24, 32, 1, "yuv420p")[0]
    cut = _clip(24, 32, 1, "yuv420p", seed=9)[0]
    cut = [255 - p for p in cut]                       # a scene cut
    frames = [still, [p.copy() for p in still], cut]
    payload, types = coder.encode_gop(frames, "yuv420p")
    assert types == "IPI"
    back = coder.decode_gop(payload, types, "yuv420p", 32, 24)
    assert all(np.array_equal(a, b) for fa, fb in zip(frames, back) for a, b in zip(fa, fb))


def test_gop_v2_makes_still_content_nearly_free():
    """A still, noisy scene: the v2 model trusts the reference where it made no error nearby."""
    rng = np.random.default_rng(4)
    y = np.clip(np.add.outer(np.arange(32) * 3, np.arange(48) * 2) + rng.integers(-20, 21, (32, 48)), 0, 255)
    frame = [y.astype(np.uint8), (y[::2, ::2] // 2).astype(np.uint8), (255 - y[::2, ::2]).astype(np.uint8)]
    frames = [frame]
    for t in range(3):  # the same scene with a little sensor noise in a few places
        noisy = [p.astype(np.int16) for p in frame]
        flips = rng.random(noisy[0].shape) < 0.05
        noisy[0] = np.where(flips, noisy[0] + rng.integers(-2, 3, flips.shape), noisy[0])
        frames.append([np.clip(p, 0, 255).astype(np.uint8) for p in noisy])
    sizes = {}
    for model_id in ("nlvc-mdiff-lattice-v1-c32b5", "nlvc-mdiff-lattice-v2-c32b5"):
        coder = GopCoder.for_encoding(model_id, groups=2)
        intra, _ = coder.encode_gop(frames[:1], "yuv420p")
        payload, types = coder.encode_gop(frames, "yuv420p")
        assert types == "IPPP"
        back = coder.decode_gop(payload, types, "yuv420p", 48, 32)
        assert all(np.array_equal(a, b) for fa, fb in zip(frames, back) for a, b in zip(fa, fb))
        sizes[model_id] = len(payload) - len(intra)  # the three P-frames
    assert sizes["nlvc-mdiff-lattice-v2-c32b5"] < 0.6 * sizes["nlvc-mdiff-lattice-v1-c32b5"], sizes


def test_the_bit_report_accounts_for_the_payload(tmp_path, coder):
    """nlvc stats: the ideal code lengths add up to the payload, labelled by frame, plane, level."""
    from clipgen import make_clip
    from nlvc_av import transcode
    from nlvc_av.bitreport import bit_report

    make_clip(tmp_path / "a.mkv", width=40, height=24, frames=3, audio=None)
    transcode.encode_file(str(tmp_path / "a.mkv"), str(tmp_path / "a.nlvc"), coder=coder, gop=3)
    d = bit_report(str(tmp_path / "a.nlvc"))
    assert d["frames"] == 3 and d["samples"] == 3 * (40 * 24 + 2 * 20 * 12)
    assert 0 <= d["coder_overhead_bits"] < 64 + 0.01 * 8 * d["payload_bytes"]
    levels = {r["part"] for r in d["by_plane_level"]}
    assert {"first sample", "level 0", "level 1"} <= levels
    assert sum(r["bits"] for r in d["by_frame"]) == pytest.approx(d["ideal_bits"], rel=1e-6)
    assert [r["frame"] for r in d["by_frame"]] == [0, 1, 2]


def test_the_fast_presets_estimate_skips_intra_trials_and_stays_exact(monkeypatch):
    from nlvc_av.codec import encoder

    calls = []
    real = encoder._trial
    monkeypatch.setattr(encoder, "_trial", lambda *a, **k: calls.append(a[4] is None) or real(*a, **k))
    rng = np.random.default_rng(2)
    big = rng.integers(0, 256, (40, 56)).astype(np.float64)
    for _ in range(3):  # texture, then a slow pan: motion compensation clearly wins
        big = (big + np.roll(big, 1, 0) + np.roll(big, 1, 1)) / 3
    frames = [[np.clip(np.roll(big, t, 1)[:32, :48], 0, 255).astype(np.uint8)] for t in range(4)]
    coder = GopCoder.for_encoding("tiny", groups=1)
    sizes = {}
    for trials in ("all", "estimate"):
        calls.clear()
        payload, types = coder.encode_gop(frames, "gray", trials)
        back = coder.decode_gop(payload, types, "gray", 48, 32)
        assert all(np.array_equal(a[0], b[0]) for a, b in zip(frames, back))
        sizes[trials] = (len(payload), types, calls.count(True))
    assert sizes["all"][2] == 3 and sizes["estimate"][2] == 0  # intra trials of the 3 P-frames
    assert sizes["estimate"][1] == sizes["all"][1] == "IPPP"

