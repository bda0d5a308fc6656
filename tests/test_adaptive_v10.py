"""ls-v10 and ls-v11 of the adaptive stage: the coding order planned per window (planner.py,
order.py) and H.264's interpolation for the block prediction (h264pred.py)."""
from __future__ import annotations

import numpy as np
import pytest

from nlvc_av.codec import registry
from nlvc_av.codec.adaptive import blockpred, h264pred, order, ordered, payload, planner
from nlvc_av.codec.adaptive.stage import AdaptiveGop
from nlvc_av.codec.coder import GopCoder
from nlvc_av.errors import PayloadError

TABLE = registry.load("nlvc-adaptive-ls-v10").arrays["logistic"]


def _same(a, b) -> bool:
    return len(a) == len(b) and all(np.array_equal(x, y) for fa, fb in zip(a, b) for x, y in zip(fa, fb))


def _texture(shape, seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 256, shape).astype(np.float64)
    for _ in range(2):
        base = (base + np.roll(base, 1, 0) + np.roll(base, 1, 1) + np.roll(base, (1, 1), (0, 1))) / 4
    return base


def decoded_with_bframes(n: int, shape=(48, 64)) -> list[list[np.ndarray]]:
    """Frames as a decoder of a codec with B-frames gives them: even frames a texture panning
    by 2 pixels a frame with noise of their own (a P-frame's residual), odd frames HEVC's
    bi-prediction of the two either side (their average, rounded up: a skipped B-frame)."""
    h, w = shape
    big = _texture((h + 8, w + 4 * n))
    rng = np.random.default_rng(9)
    even = {}
    for i in range(0, n + 1, 2):
        y = np.clip(big[4:4 + h, 2 * i:2 * i + w] + rng.integers(-6, 7, (h, w)), 0, 255).astype(np.int64)
        even[i] = [y, y[::2, ::2] // 2 + 60, 200 - y[1::2, 1::2] // 3]
    frames = []
    for i in range(n):
        frames.append(even[i] if i % 2 == 0 else [(a + b + 1) >> 1 for a, b in zip(even[i - 1], even[i + 1])])
    return frames


def camera(n: int, shape=(48, 64)) -> list[list[np.ndarray]]:
    """Camera-like frames: the texture panning with fresh noise in every frame."""
    h, w = shape
    big = _texture((h + 8, w + 4 * n), seed=4)
    rng = np.random.default_rng(2)
    out = []
    for i in range(n):
        y = np.clip(big[4:4 + h, 2 * i:2 * i + w] + rng.integers(-6, 7, (h, w)), 0, 255).astype(np.int64)
        out.append([y, y[::2, ::2] // 2 + 60, 200 - y[1::2, 1::2] // 3])
    return out


def _stage(version: int = 10) -> AdaptiveGop:
    return AdaptiveGop(2, 8, TABLE, version=version)


def _types(frames) -> str:
    return "I" + "P" * (len(frames) - 1)


def test_ls_v10_is_registered_with_its_syntax():
    entry = registry.MODELS["nlvc-adaptive-ls-v10"]
    assert registry.LS_SYNTAX_VERSIONS[entry.coder_params["syntax"]] == 10


def test_windows_cover_a_gop_and_pieces_start_at_their_edges():
    assert order.windows(0, 1) == []
    assert order.windows(0, 18) == [(0, 16), (16, 17)]
    assert order.windows(17, 40) == [(16, 32), (32, 39)]
    with pytest.raises(ValueError):
        order.windows(5, 20)
    coder = GopCoder.for_encoding("nlvc-adaptive-ls-v10", groups=2)
    assert coder.pieces(40, 2, 48) == [(0, 1), (1, 17), (17, 33), (33, 40)]


def test_the_planner_finds_the_b_frames_of_decoded_video():
    frames = decoded_with_bframes(9)
    plan, family = planner.plan({i: f[0] for i, f in enumerate(frames)}, 0, 8, [0], 8)
    assert family == blockpred.HEVC and sorted(i for i, *_ in plan) == list(range(1, 9))
    pairs = {i: (a, b) for i, a, b in plan}
    assert all(pairs[i] == (i - 1, i + 1) for i in (1, 3, 5, 7))
    position = {i: k for k, (i, *_) in enumerate(plan)}
    assert all(position[i] > position[i + 1] for i in (1, 3, 5, 7))   # each after its pair


def test_camera_content_is_planned_one_frame_after_another():
    frames = camera(6)
    plan, _ = planner.plan({i: f[0] for i, f in enumerate(frames)}, 0, 5, [0], 8)
    assert plan == order.sequential(0, 5, [0])
    assert order.encode_plan(plan, 0, 5, [0]) == b""


def test_plans_round_trip_and_damaged_ones_are_refused():
    plan = [(4, 0, None), (2, 0, 4), (1, 0, 2), (3, 2, 4)]
    data = order.encode_plan(plan, 0, 4, [0])
    assert len(data) == 12 and order.decode_plan(data, 0, 4, [0]) == plan
    assert order.decode_plan(b"", 16, 19, list(range(17))) == order.sequential(16, 19, list(range(17)))
    bad = [data[:-3],                                   # a frame missing
           bytes([4, 4, 0]) * 4,                        # the same frame four times
           bytes([5, 5, 0]) + data[3:],                 # a frame outside the window
           bytes([2, 2, 0]) + data[3:],                 # frame 2 twice (and 4 never)
           data[:3] + bytes([1, 1, 2]) + data[6:]]      # frame 1's pair names frame 3, not yet coded
    for chunk in bad:
        with pytest.raises(ValueError):
            order.decode_plan(chunk, 0, 4, [0])
    with pytest.raises(ValueError):   # a pair beyond the context a piece's encoder has
        order.decode_plan(bytes([1, 4, 0]), 16, 17, list(range(17)))


def test_decoded_video_codes_exactly_and_smaller_than_ls_v9():
    frames = decoded_with_bframes(9)
    data = _stage().encode(frames, _types(frames))
    assert _same(_stage().decode(data, _types(frames), [p.shape for p in frames[0]]), frames)
    layout = ordered._layout(_stage(), data, _types(frames), [p.shape for p in frames[0]])
    assert [entry[0] for entry in layout][:5] != [0, 1, 2, 3, 4]   # planned, not sequential
    old = _stage(9).encode(frames, _types(frames))
    assert len(data) < 0.9 * len(old)


def test_pieces_code_the_same_bytes_as_the_whole_gop():
    frames = decoded_with_bframes(20, shape=(32, 48))
    stage = _stage()
    whole = stage.encode(frames, _types(frames))
    parts = [stage.encode_frames(frames[a:b], a, frames[max(0, a - 3):a]) for a, b in ((0, 1), (1, 17), (17, 20))]
    assert AdaptiveGop.join_pieces(parts, len(frames))[0] == whole
    stage.threads = 2
    assert _same(stage.decode(whole, _types(frames), [p.shape for p in frames[0]]), frames)


def test_a_damaged_order_chunk_is_a_clear_error():
    frames = decoded_with_bframes(5, shape=(32, 48))
    stage = _stage()
    chunks = payload.split(stage.encode(frames, _types(frames)), stage.chunk_count(_types(frames), [p.shape for p in frames[0]]))
    at = next(k for k, c in enumerate(chunks) if len(c) == 12)   # the window's order chunk (4 frames)
    chunks[at] = bytes([1, 1, 0]) * 4
    with pytest.raises((ValueError, PayloadError)):
        stage.decode(payload.join(chunks), _types(frames), [p.shape for p in frames[0]])


# -- ls-v11: H.264's interpolation as the block prediction's other family (h264pred.py)

H264_TAPS = (1, -5, 20, 20, -5, 1)


def _h264_reference(ref: np.ndarray, fy: int, fx: int, maxval: int = 255) -> np.ndarray:
    """H.264's luma at (y + fy / 4, x + fx / 4) of every sample, from the standard's formulas
    (8.4.2.2.1) over whole planes: a second implementation to check the compiled one against."""
    h, w = ref.shape
    e = np.pad(ref.astype(np.int64), 8, mode="edge")

    def shift(a, dy, dx):   # a[y + dy, x + dx]
        return np.roll(a, (-dy, -dx), (0, 1))

    b1 = sum(c * shift(e, 0, t - 2) for t, c in enumerate(H264_TAPS))
    h1 = sum(c * shift(e, t - 2, 0) for t, c in enumerate(H264_TAPS))
    j1 = sum(c * shift(b1, t - 2, 0) for t, c in enumerate(H264_TAPS))
    b, hh, j = (np.clip((v + r) >> s, 0, maxval) for v, r, s in ((b1, 16, 5), (h1, 16, 5), (j1, 512, 10)))
    s_, m = shift(b, 1, 0), shift(hh, 0, 1)
    g, right, below = e, shift(e, 0, 1), shift(e, 1, 0)
    table = {(0, 0): g, (0, 1): (g + b + 1) >> 1, (0, 2): b, (0, 3): (right + b + 1) >> 1,
             (1, 0): (g + hh + 1) >> 1, (2, 0): hh, (3, 0): (below + hh + 1) >> 1,
             (1, 1): (b + hh + 1) >> 1, (1, 2): (b + j + 1) >> 1, (1, 3): (b + m + 1) >> 1,
             (2, 1): (hh + j + 1) >> 1, (2, 2): j, (2, 3): (j + m + 1) >> 1,
             (3, 1): (hh + s_ + 1) >> 1, (3, 2): (j + s_ + 1) >> 1, (3, 3): (m + s_ + 1) >> 1}
    return table[fy, fx][8:8 + h, 8:8 + w]


def _moved(ref: np.ndarray, vy: int, vx: int, chroma: bool = False) -> np.ndarray:
    """``ref`` moved by (vy, vx) quarter (chroma: eighth) samples with H.264's filters."""
    out = np.zeros(ref.shape, np.int64)
    h264pred.interpolate(np.ascontiguousarray(ref, np.int32), 0, 0, ref.shape[0], ref.shape[1], vy, vx, chroma, 0,
                         255, out)
    return out


def test_h264_luma_interpolation_follows_the_standard_at_every_phase():
    ref = np.random.default_rng(1).integers(0, 256, (12, 14)).astype(np.int32)
    ref[3:6, 4:9] = 255   # clipped halves
    for fy in range(4):
        for fx in range(4):
            assert np.array_equal(_moved(ref, fy, fx), _h264_reference(ref, fy, fx)), (fy, fx)
    chroma = _moved(ref, 3, 5, chroma=True)   # bilinear eighths: (8-x)(8-y)A + x(8-y)B + (8-x)yC + xyD
    a = ref.astype(np.int64)
    e = np.pad(a, ((0, 1), (0, 1)), mode="edge")
    expect = (3 * 5 * e[:-1, :-1] + 5 * 5 * e[:-1, 1:] + 3 * 3 * e[1:, :-1] + 5 * 3 * e[1:, 1:] + 32) >> 6
    assert np.array_equal(chroma, expect)


def decoded_from_h264(n: int, shape=(48, 64)) -> list[list[np.ndarray]]:
    """As ``decoded_with_bframes``, the B-frames H.264's bi-prediction at quarter-sample vectors
    (its 6-tap filter and rounding; HEVC's 8-tap filter reproduces few of their samples)."""
    even = {i: f for i, f in enumerate(decoded_with_bframes(n + 1, shape)) if i % 2 == 0}
    frames = []
    for i in range(n):
        if i % 2 == 0:
            frames.append(even[i])
            continue
        planes = []
        for k, (a, b) in enumerate(zip(even[i - 1], even[i + 1])):
            chroma = k > 0   # 4:2:0: the luma vector in eighth chroma samples
            planes.append((_moved(a, 1, 2, chroma) + _moved(b, -1, 2, chroma) + 1) >> 1)
        frames.append(planes)
    return frames


def test_ls_v11_finds_h264_b_frames_and_codes_them_exactly_and_smaller_than_ls_v10():
    frames = decoded_from_h264(9)
    plan, family = planner.plan({i: f[0] for i, f in enumerate(frames)}, 0, 8, [0], 8,
                                families=(blockpred.HEVC, blockpred.H264))
    assert family == blockpred.H264 and {i: (a, b) for i, a, b in plan}[3] == (2, 4)
    new = _stage(11).encode(frames, _types(frames))
    assert _same(_stage(11).decode(new, _types(frames), [p.shape for p in frames[0]]), frames)
    old = _stage(10).encode(frames, _types(frames))
    assert len(new) < 0.95 * len(old)   # measured: 19,633 against 21,535 bytes


def test_ls_v11_order_chunks_carry_the_family():
    plan = [(2, 0, None), (1, 0, 2)]
    assert order.encode_plan(order.sequential(0, 2, [0]), 0, 2, [0], blockpred.HEVC) == b""
    assert order.encode_plan(order.sequential(0, 2, [0]), 0, 2, [0], blockpred.H264) == b"\x01"
    data = order.encode_plan(plan, 0, 2, [0], blockpred.H264)
    assert data[0] == 1 and order.decode_plan(data, 0, 2, [0], True) == (plan, blockpred.H264)
    assert order.decode_plan(b"", 0, 2, [0], True) == (order.sequential(0, 2, [0]), blockpred.HEVC)
    with pytest.raises(ValueError):
        order.decode_plan(b"\x02", 0, 2, [0], True)


def test_h264_phase_planes_hold_every_phase_of_the_interpolation():
    ref = np.random.default_rng(4).integers(0, 1024, (11, 13)).astype(np.int32)
    out = np.zeros((16, 9, 17), np.int32)
    h264pred.phase_planes(ref, -3, -2, 4, 1023, out)   # 10 bits: shift3 4, beyond the edges
    for fy in range(4):
        for fx in range(4):
            expect = np.array([[h264pred.luma_sample(ref, -3 + y, -2 + x, fy, fx, 1023) << 4 for x in range(17)]
                               for y in range(9)])
            assert np.array_equal(out[fy * 4 + fx], expect), (fy, fx)
