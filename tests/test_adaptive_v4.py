"""ls-v4 of the adaptive stage: four-reference modes, predicted motion vectors, compiled search."""
from __future__ import annotations

import numpy as np
import pytest

from nlvc_av.codec import registry
from nlvc_av.codec.adaptive import motionsearch, references, vectorcoder
from nlvc_av.codec.adaptive.stage import AdaptiveGop
from nlvc_av.codec.predict import motion

TABLE = registry.load("nlvc-adaptive-ls-v4").arrays["logistic"]


def _moving(n, h=48, w=64, seed=3):
    """A textured picture panning by (1, 2) pixels a frame, with a little noise."""
    rng = np.random.default_rng(seed)
    big = rng.integers(0, 256, (h + 4 * n, w + 4 * n)).astype(np.float64)
    for _ in range(3):
        big = (big + np.roll(big, 1, 0) + np.roll(big, 1, 1) + np.roll(big, (1, 1), (0, 1))) / 4
    frames = []
    for t in range(n):
        y = big[t:t + h, 2 * t:2 * t + w] + rng.integers(-2, 3, (h, w))
        luma = np.clip(y, 0, 255).astype(np.int32)
        frames.append([luma, luma[::2, ::2] // 2 + 40, 200 - luma[::2, ::2] // 2])
    return frames


def _field(rng, nby, nbx, spread):
    smooth = np.cumsum(rng.integers(-1, 2, (nby, nbx, 2)), axis=1) * spread
    return np.clip(smooth + rng.integers(-spread, spread + 1, (nby, nbx, 2)), -128, 127).astype(np.int64)


@pytest.mark.parametrize("spread", [0, 1, 6, 90])
def test_vector_side_chunks_round_trip_and_beat_the_uniform_code_on_smooth_motion(spread):
    rng = np.random.default_rng(spread)
    shape = (9 * 16, 11 * 16)
    vectors = {"mc": _field(rng, 9, 11, spread)}
    vectors["mc2"] = np.clip(2 * vectors["mc"] + rng.integers(-1, 2, (9, 11, 2)), -128, 127)
    vectors["mc3"] = np.clip(3 * vectors["mc"] + rng.integers(-2, 3, (9, 11, 2)), -128, 127)
    vectors["mc"][0, 0] = (-128, 127)   # the ends of the range
    for mode in (1, 4, 5, 8, 9):
        data = references.side_chunk(mode, vectors, shape, references.MODES_V4, predicted=True)
        back_mode, back = references.read_side(data, shape, 3, references.MODES_V4, predicted=True)
        assert back_mode == mode
        used = [r for r in references.MODES_V4[mode] if r.startswith("mc")]
        assert sorted(back) == sorted(used)
        for ref in used:
            assert np.array_equal(back[ref], vectors[ref])
    if spread <= 1:
        old = references.side_chunk(8, vectors, shape, references.MODES_V4)
        assert len(data) < len(old) / 2


def test_a_side_chunk_naming_a_mode_without_its_frames_is_an_error():
    data = references.side_chunk(8, {"mc": np.zeros((2, 2, 2), np.int64), "mc2": np.zeros((2, 2, 2), np.int64),
                                     "mc3": np.zeros((2, 2, 2), np.int64)}, (32, 32), references.MODES_V4, True)
    with pytest.raises(ValueError, match="needs a frame"):
        references.read_side(data, (32, 32), 2, references.MODES_V4, predicted=True)


def test_damaged_vectors_stay_in_range():
    rng = np.random.default_rng(5)
    for _ in range(20):
        junk = rng.integers(0, 256, 40).astype(np.uint8).tobytes()
        try:
            mode, fields = vectorcoder.decode_side(junk, 10, (3, 4), lambda m: [1, 2, 3])
        except ValueError:
            continue
        assert all(f.min() >= -128 and f.max() <= 127 for f in fields)


def test_the_compiled_integer_search_finds_the_numpy_search_vectors():
    frames = _moving(3, 80, 96)
    for cur, ref in ((frames[1][0], frames[0][0]), (frames[2][0], frames[0][0]), (frames[2][0][:20, :40], frames[1][0][:20, :40])):
        assert np.array_equal(motionsearch.integer_estimate(cur, ref), motion.estimate(cur, ref))


@pytest.mark.parametrize("mode", [8, 9])
def test_four_reference_modes_round_trip(mode, monkeypatch):
    frames = _moving(5)
    monkeypatch.setattr(references, "candidates", lambda earlier, modes: [mode] if earlier >= 3 else [2])
    stage = AdaptiveGop(2, 8, TABLE, version=4)
    chosen = []
    real = stage.choose_mode

    def spy(*args, **kwargs):
        out = real(*args, **kwargs)
        chosen.append(out[0])
        return out

    monkeypatch.setattr(stage, "choose_mode", spy)
    data = stage.encode(frames, "IPPPP")
    assert chosen == [2, 2, mode, mode]
    back = stage.decode(data, "IPPPP", [p.shape for p in frames[0]])
    assert all(np.array_equal(a, b) for fa, fb in zip(frames, back) for a, b in zip(fa, fb))


def test_ls_v4_finds_a_steady_pan_with_fewer_bytes_than_ls_v3():
    frames = _moving(6)
    types = "I" + "P" * 5
    v3, v4 = AdaptiveGop(2, 8, TABLE, version=3), AdaptiveGop(2, 8, TABLE, version=4)
    d3, d4 = v3.encode(frames, types), v4.encode(frames, types)
    back = v4.decode(d4, types, [p.shape for p in frames[0]])
    assert all(np.array_equal(a, b) for fa, fb in zip(frames, back) for a, b in zip(fa, fb))
    assert len(d4) < len(d3)


def test_the_fast_preset_leaves_out_the_third_frame():
    frames = _moving(4)
    stage = AdaptiveGop(1, 8, TABLE, version=4)
    earlier = frames[:3]
    mode, vectors, made = stage.choose_mode(frames[3], earlier, "estimate")
    assert "mc3" not in vectors and references.frames_needed(mode, stage.modes) <= 2
    mode, vectors, made = stage.choose_mode(frames[3], earlier, "all")
    assert "mc3" in vectors
