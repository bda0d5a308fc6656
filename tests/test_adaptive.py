"""The adaptive stage (nlvc_av/codec/adaptive/): range coder, distributions, plane loop, GOP syntax."""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlvc_av.codec import GopCoder, registry
from nlvc_av.codec.adaptive import distribution, payload, planes
from nlvc_av.codec.adaptive import rangecoder as rc
from nlvc_av.codec.adaptive.stage import AdaptiveGop, band_rows, bands
from nlvc_av.codec.formats import lookup, plane_shapes
from nlvc_av.errors import PayloadError

TABLE = registry.load("nlvc-adaptive-ls-v1").arrays["logistic"]


def _encode_symbols(freqs: np.ndarray, symbols: np.ndarray) -> bytes:
    cum = np.concatenate([[0], np.cumsum(freqs)])
    total = int(cum[-1])
    buf = np.zeros(4 * len(symbols) + 64, np.uint8)
    enc = rc.encoder_state()
    for s in symbols:
        rc.encode(enc, buf, int(cum[s]), int(freqs[s]), total)
    return buf[:rc.finish(enc, buf)].tobytes()


def _decode_symbols(freqs: np.ndarray, data: bytes, n: int) -> list[int]:
    cum = np.concatenate([[0], np.cumsum(freqs)])
    total = int(cum[-1])
    buf = np.frombuffer(data, np.uint8).copy()
    dec = rc.decoder_state(buf)
    out = []
    for _ in range(n):
        v = rc.target(dec, total)
        s = int(np.searchsorted(cum, v, side="right") - 1)
        rc.consume(dec, buf, int(cum[s]), int(freqs[s]))
        out.append(s)
    return out


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(1, 3000), min_size=1, max_size=40), st.integers(0, 2**32 - 1))
def test_range_coder_round_trips_any_frequency_table(freqs, seed):
    freqs = np.array(freqs, np.int64)
    if freqs.sum() > rc.MAX_TOTAL:
        freqs = np.maximum(1, freqs * rc.MAX_TOTAL // (2 * freqs.sum()))
    rng = np.random.default_rng(seed)
    symbols = rng.choice(len(freqs), size=300, p=freqs / freqs.sum())
    assert _decode_symbols(freqs, _encode_symbols(freqs, symbols), len(symbols)) == list(symbols)


def test_range_coder_is_within_half_a_percent_of_the_ideal_code_length():
    rng = np.random.default_rng(3)
    freqs = np.maximum(1, (np.exp(-np.abs(np.arange(256) - 128) / 6.0) * 5000).astype(np.int64))
    freqs[128] += (1 << 16) - freqs.sum()
    symbols = rng.choice(256, size=40000, p=freqs / freqs.sum())
    data = _encode_symbols(freqs, symbols)
    ideal = sum(-math.log2(freqs[s] / (1 << 16)) for s in symbols)
    assert 8 * len(data) <= ideal * 1.005 + 64
    assert _decode_symbols(freqs, data, len(symbols)) == list(symbols)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from([8, 10, 12, 16]), st.floats(0.0, 1.0), st.floats(0.0, 1.0), st.floats(0.18, 3000.0))
def test_every_value_is_codable_under_any_distribution(bits, where, mu_at, s):
    """Near and far from the prediction (escapes), at every depth, every value round-trips."""
    maxval = (1 << bits) - 1
    mu = mu_at * maxval
    values = sorted({0, maxval, int(where * maxval), min(maxval, int(mu) + 1), max(0, int(mu) - 1)})
    buf = np.zeros(64 * len(values) + 64, np.uint8)
    enc = rc.encoder_state()
    dummy = np.zeros(4, np.int64)
    for x in values:
        got, bits_used = distribution.code_value(TABLE, enc, dummy, buf, False, x, mu, s, maxval, 3.0, 31)
        assert got == x and 0 < bits_used <= 16 + bits + 1e-9
    n = rc.finish(enc, buf)
    buf = buf[:n].copy()
    dec = rc.decoder_state(buf)
    for x in values:
        got, _ = distribution.code_value(TABLE, enc, dec, buf, True, 0, mu, s, maxval, 3.0, 31)
        assert got == x


def test_the_shipped_logistic_table_is_the_one_the_code_describes():
    assert np.array_equal(TABLE, distribution.logistic_table())


CASES = [("yuv420p", 1, 1), ("yuv420p", 37, 23), ("gray", 17, 9), ("gbrp", 20, 12), ("yuv444p", 8, 8),
         ("yuv422p", 18, 7), ("yuv420p10le", 33, 17), ("gray16le", 16, 16), ("yuva420p", 10, 6),
         ("yuv444p12le", 9, 9)]


def _clip(pix_fmt, w, h, n=4, seed=1):
    fmt = lookup(pix_fmt)
    rng = np.random.default_rng(seed)
    top = (1 << fmt.bit_depth) - 1
    out = []
    for t in range(n):
        frame = []
        for k, (ph, pw) in enumerate(plane_shapes(fmt, w, h)):
            yy, xx = np.mgrid[0:ph, 0:pw]
            base = ((yy * 7 + (xx + t) * 5 + 40 * k) * (top // 255)) % (top + 1)
            frame.append(np.clip(base + rng.integers(-3, 4, base.shape) * (top // 255), 0, top).astype(fmt.dtype))
        out.append(frame)
    out[-1][0][:] = top  # a flat frame at the top value
    return out


@pytest.mark.parametrize("pix_fmt,w,h", CASES)
@pytest.mark.parametrize("groups", [1, 2, 3])
def test_the_adaptive_stage_round_trips_every_layout(pix_fmt, w, h, groups):
    coder = GopCoder.for_encoding("default", groups)
    assert coder.adaptive
    frames = _clip(pix_fmt, w, h)
    data, types = coder.encode_gop(frames, pix_fmt)
    assert types == "IPPP"
    back = coder.decode_gop(data, types, pix_fmt, w, h)
    for a, b in zip(frames, back):
        for pa, pb in zip(a, b):
            assert pb.dtype == pa.dtype and np.array_equal(pa, pb)


def test_pieces_of_a_gop_code_the_same_bytes_as_the_whole():
    coder = GopCoder.for_encoding("default", 2)
    frames = _clip("yuv420p", 40, 24, n=20)
    whole, types = coder.encode_gop(frames, "yuv420p")
    ranges = coder.pieces(len(frames), 2)
    assert len(ranges) > 2
    # ls-v10 and ls-v11 (the default) plan windows of 16 frames: pieces start just after one
    assert all(a == 0 or a % 16 == 1 for a, _ in ranges)
    parts = [coder.encode_piece(frames[a:b], a, frames[max(0, a - coder.PIECE_CONTEXT):a], "yuv420p") for a, b in ranges]
    assert coder.join_pieces(parts, len(frames)) == (whole, types)


def test_tall_planes_are_coded_in_independent_bands():
    assert bands(288) == 1 and bands(1080) == 2 and bands(2160) == 4
    assert band_rows(540, 2) == [(0, 270), (270, 540)]
    coder = GopCoder.for_encoding("default", 1)
    frames = _clip("gray", 6, 1030, n=2)
    data, types = coder.encode_gop(frames, "gray")
    # 2 frames x 2 bands + the P-frame's side chunk + (ls-v10) the window's order chunk
    # + (ls-v9) a table chunk per frame
    assert len(payload.split(data, 2 * 2 + 1 + 1 + 2)) == 8
    back = coder.decode_gop(data, types, "gray", 6, 1030)
    assert all(np.array_equal(a[0], b[0]) for a, b in zip(frames, back))


def test_bands_on_threads_code_and_decode_the_same_bytes():
    """A lone GOP's bands run on threads (coder.band_threads): the bytes and the frames are
    those of one thread, for 4:2:0 (chroma bands beside luma bands) at an odd height."""
    frames = _clip("yuv420p", 8, 1031, n=3)
    one = GopCoder.for_encoding("default", 1)
    data, types = one.encode_gop(frames, "yuv420p")
    two = GopCoder.for_encoding("default", 1)
    two.band_threads = 3
    assert two.encode_gop(frames, "yuv420p") == (data, types)
    for coder in (one, two):
        back = coder.decode_gop(data, types, "yuv420p", 8, 1031)
        assert all(np.array_equal(p, q) for a, b in zip(frames, back) for p, q in zip(a, b))
    assert two._stage("yuv420p")._pool_size == 3   # the threads did run


def test_a_damaged_chunk_table_is_one_error():
    coder = GopCoder.for_encoding("default", 2)
    frames = _clip("gray", 16, 8, n=2)
    data, types = coder.encode_gop(frames, "gray")
    with pytest.raises(PayloadError):
        coder.decode_gop(data[:-3], types, "gray", 16, 8)
    with pytest.raises(PayloadError):
        coder.decode_gop(data, types + "P", "gray", 16, 8)


def test_a_damaged_chunk_decodes_to_something_without_crashing():
    """Damage inside a range-coded chunk cannot be detected by the coder: the frame MD5 does."""
    coder = GopCoder.for_encoding("default", 2)
    frames = _clip("gray", 16, 8, n=1)
    data, types = coder.encode_gop(frames, "gray")
    bad = bytearray(data)
    bad[-2] ^= 0xFF
    back = coder.decode_gop(bytes(bad), types, "gray", 16, 8)
    assert back[0][0].shape == (8, 16)


def test_the_stage_predicts_well_enough_to_compress_smooth_content():
    frames = _clip("gray", 64, 48, n=2)
    frames[-1][0][:] = frames[0][0]
    coder = GopCoder.for_encoding("default", 2)
    data, _ = coder.encode_gop(frames, "gray")
    assert len(data) < 0.5 * 64 * 48 * 2  # under 4 bits/sample on noise of +-3, a static second frame


def test_effort_presets_differ_as_documented():
    fast, default, slow = (planes.EFFORTS[k] for k in (1, 2, 3))
    assert fast.own < default.own and fast.solve_every > default.solve_every > slow.solve_every


def test_the_network_models_stay_selectable_by_alias():
    assert registry.resolve("default").model_id == "nlvc-adaptive-ls-v11"
    assert registry.resolve("mdiff").model_id == "nlvc-mdiff-lattice-v3-c32b5"
    assert registry.default_model(10, "mdiff") == "nlvc-mdiff-lattice-v3hd-c32b5"


def _textured(h, w, seed):
    rng = np.random.default_rng(seed)
    big = rng.integers(0, 256, (h, w)).astype(np.float64)
    for _ in range(3):
        big = (big + np.roll(big, 1, 0) + np.roll(big, 1, 1) + np.roll(big, (1, 1), (0, 1))) / 4
    return big.astype(np.int32)


def test_ls_v2_codes_a_scene_cut_without_references_and_ls_v1_cannot():
    """Mode 7 (ls-v2): a P-frame that earlier frames do not predict is coded as intra."""
    from nlvc_av.codec.adaptive import references
    first, cut = _textured(48, 64, 1), _textured(48, 64, 2)
    frames = [[first], [np.roll(first, 1, 1)], [cut]]
    v2 = AdaptiveGop(2, 8, TABLE, version=2)
    assert v2.choose_mode(frames[2], [frames[0], frames[1]])[0] == len(references.MODES_V2) - 1
    assert v2.choose_mode(frames[1], [frames[0]])[0] != len(references.MODES_V2) - 1
    data = v2.encode(frames, "IPP")
    back = v2.decode(data, "IPP", [(48, 64)])
    assert all(np.array_equal(a[0], b[0]) for a, b in zip(frames, back))
    v1 = AdaptiveGop(2, 8, TABLE, version=1)
    assert v1.choose_mode(frames[2], [frames[0], frames[1]])[0] < len(references.MODES)
    assert len(references.MODES) == 7 and references.MODES_V2[:7] == references.MODES and references.MODES_V2[7] == ()


def test_ls_v2_is_ls_v1_plus_the_residual_corrector():
    """The same efforts but for the corrector, and the corrector measurably pays here."""
    for k in (1, 2, 3):
        v1, v2 = planes.EFFORTS[k], planes.VERSIONS[2][k]
        assert v1.corr_rate == 0.0 and v2.corr_rate > 0.0
        assert dataclasses.replace(v2, corr_rate=0.0, corr_intra=0.0, corr_inter=0.0) == v1
        assert planes.VERSIONS[3][k] == dataclasses.replace(v2, corr_inter=0.0) and v2.corr_inter > 0.0
    plane = _textured(40, 48, 3)
    sizes = []
    for version in (1, 2):
        cfg = planes.plane_config(2, 0, False, 8, version=version)
        data, _ = planes.encode_plane(plane, [], cfg, TABLE)
        assert np.array_equal(planes.decode_plane(data, plane.shape, [], cfg, TABLE), plane)
        sizes.append(len(data))
    assert sizes[1] < sizes[0]


def test_the_fast_preset_tries_modes_on_one_stripe_of_rows():
    """--preset fast ("estimate" trials): the mode trial codes a third of the rows; the file
    still decodes exactly (the trial is the encoder's choice, not the syntax)."""
    from nlvc_av.codec.adaptive import references
    assert len(references.trial_rows(288, 32)) == 96 and len(references.trial_rows(288, 32, 1)) == 32
    assert np.array_equal(references.trial_rows(100, 32, 1), np.arange(100))   # small frames: every row
    coder = GopCoder.for_encoding("default", 1)
    frames = _clip("yuv420p", 16, 160, n=3)
    data, types = coder.encode_gop(frames, "yuv420p", "estimate")
    back = coder.decode_gop(data, types, "yuv420p", 16, 160)
    assert all(np.array_equal(p, q) for a, b in zip(frames, back) for p, q in zip(a, b))
