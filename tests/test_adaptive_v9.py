"""ls-v9 of the adaptive stage: value tables (valuetables.py) and the exact-value mass (exactmass.py)."""
from __future__ import annotations

import numpy as np
import pytest

from nlvc_av.codec import registry
from nlvc_av.codec.adaptive import exactmass, ordered, payload, valuetables
from nlvc_av.codec.adaptive import rangecoder as rc
from nlvc_av.codec.adaptive.stage import AdaptiveGop
from nlvc_av.errors import PayloadError

TABLE = registry.load("nlvc-adaptive-ls-v9").arrays["logistic"]


def _same(a, b) -> bool:
    return len(a) == len(b) and all(np.array_equal(x, y) for fa, fb in zip(a, b) for x, y in zip(fa, fb))


def pattern(bits: int, shape=(40, 56), n: int = 3, planes: int = 1) -> list[list[np.ndarray]]:
    """A test pattern of few values mapped through a non-linear table to ``bits`` bits: colour
    bars, a checkerboard, flat areas and a box moving by two samples a frame."""
    h, w = shape
    levels = (np.round((np.arange(16) / 15.0) ** 0.45 * ((1 << bits) - 1))).astype(np.int64)
    frames = []
    for i in range(n):
        out = []
        for k in range(planes):
            idx = np.zeros(shape, np.int64)
            idx[:, :] = (np.arange(w) * 8 // w + k)[None, :] % 16              # bars
            yy, xx = np.mgrid[:h, :w]
            idx[h // 2:, : w // 2] = ((yy + xx) % 2 * 7 + 3)[h // 2:, : w // 2]  # checkerboard
            idx[4:12, 2 * i + 4:2 * i + 14] = 15 - k                             # the moving box
            out.append(levels[idx])
        frames.append(out)
    return frames


def textured(shape=(40, 56), n: int = 3) -> list[list[np.ndarray]]:
    """Camera-like 8-bit content: smoothed noise, moving, with noise on top (no table, no mass)."""
    rng = np.random.default_rng(5)
    base = rng.integers(0, 256, (shape[0] + 8, shape[1] + 8)).astype(np.float64)
    for _ in range(3):
        base = (base + np.roll(base, 1, 0) + np.roll(base, 1, 1) + np.roll(base, (1, 1), (0, 1))) / 4
    frames = []
    for i in range(n):
        y = np.clip(base[i:i + shape[0], i:i + shape[1]] + rng.integers(-3, 4, shape), 0, 255).astype(np.int64)
        frames.append([y, y[::2, ::2] // 2 + 60, 200 - y[1::2, 1::2] // 3])
    return frames


def _layout(stage, data, frames):
    return ordered._layout(stage, data, "I" + "P" * (len(frames) - 1), [p.shape for p in frames[0]])


def test_ls_v9_is_registered_with_its_syntax():
    entry = registry.MODELS["nlvc-adaptive-ls-v9"]
    assert registry.LS_SYNTAX_VERSIONS[entry.coder_params["syntax"]] == 9


@pytest.mark.parametrize("bits,planes", [(8, 1), (10, 3), (12, 1), (12, 3), (16, 1), (16, 4)])
def test_few_valued_planes_round_trip_and_cost_a_fraction_of_ls_v8(bits, planes):
    frames = pattern(bits, planes=planes)
    types = "IPP"
    v9 = AdaptiveGop(2, bits, TABLE, version=9)
    data = v9.encode(frames, types)
    assert _same(v9.decode(data, types, [p.shape for p in frames[0]]), frames)
    v8 = AdaptiveGop(2, bits, TABLE, version=8).encode(frames, types)
    assert len(data) < len(v8) / 3, (len(data), len(v8))
    layout = _layout(v9, data, frames)
    assert all(t is not None and t.size <= 16 for entry in layout for t in entry[4][0])
    assert any(entry[4][1][0] for entry in layout)   # the exact-value mass (not in mode 10's frames)


def test_a_16_bit_image_of_8_bit_values_costs_what_the_8_bit_image_costs():
    """The RAWcooked 16-bit DPX case: an 8-bit image through a LUT (256 of 65536 values)."""
    img8 = textured((48, 64), 1)[0][0]
    lut = np.round((np.arange(256) / 255.0) ** 0.8 * 65535).astype(np.int64)
    at8 = AdaptiveGop(2, 8, TABLE, version=9).encode([[img8]], "I")
    v9 = AdaptiveGop(2, 16, TABLE, version=9)
    at16 = v9.encode([[lut[img8]]], "I")
    assert v9.decode(at16, "I", [img8.shape])[0][0].tolist() == lut[img8].tolist()
    v8 = AdaptiveGop(2, 16, TABLE, version=8).encode([[lut[img8]]], "I")
    table_bytes = _layout(v9, at16, [[img8]])[0][4][2]
    assert 0 < table_bytes < 300
    assert len(at16) < 1.05 * len(at8) + table_bytes and len(v8) > 1.8 * len(at16)


def test_a_plane_of_one_value_codes_no_bytes():
    frames = [[p, np.full(p.shape, 4095, np.int64)] for p in (f[0] for f in pattern(12, n=2))]
    stage = AdaptiveGop(2, 12, TABLE, version=9)
    data = stage.encode(frames, "IP")
    layout = _layout(stage, data, frames)
    assert all(entry[3][1] == [b""] for entry in layout)           # the alpha plane's band
    assert all(entry[4][0][1].tolist() == [4095] for entry in layout)
    assert _same(stage.decode(data, "IP", [p.shape for p in frames[0]]), frames)


def test_frames_with_other_tables_are_references_in_each_others_domain():
    """Tables change from frame to frame: 1 (a table), 2 (the nearest earlier frame's), 0 (none);
    references are mapped to the nearest value of the frame's own table."""
    a = pattern(8, n=1)[0][0]
    b = np.where((a > 100) & (a < 255), a + 1, a)       # other values: an explicit table again
    dense = np.clip(textured(a.shape, 1)[0][0], 0, 255)  # a dense range: no table
    frames = [[a], [b], [b.copy()], [dense], [a.copy()]]
    stage = AdaptiveGop(2, 8, TABLE, version=9)
    data = stage.encode(frames, "IPPPP")
    assert _same(stage.decode(data, "IPPPP", [a.shape]), frames)
    chunks = payload.split(data, stage.chunk_count("IPPPP", [a.shape]))
    layout = _layout(stage, data, frames)
    kinds = {i: tables[0] is not None for i, _, _, _, (tables, _, _), _ in layout}
    assert kinds == {0: True, 1: True, 2: True, 3: False, 4: True}
    sizes = {i: size for i, _, _, _, (_, _, size), _ in layout}
    assert sizes[0] > 0 and 0 < sizes[2] < sizes[1]   # frame 2 names frame 1's table (mode 2)
    assert len(chunks) == stage.chunk_count("IPPPP", [a.shape])


def test_natural_content_is_coded_as_ls_v8_plus_an_empty_chunk_per_frame():
    frames = textured()
    v8 = AdaptiveGop(2, 8, TABLE, version=8).encode_frames(frames, 0, [])
    v9 = AdaptiveGop(2, 8, TABLE, version=9).encode_frames(frames, 0, [])
    assert [c for c in v9 if c] == [c for c in v8 if c] and len(v9) == len(v8) + len(frames)


def test_pieces_code_the_same_bytes_and_two_lanes_decode_the_same_frames():
    frames = pattern(10, planes=3, n=9)
    frames[5] = [np.where(p > 500, p - 1, p) for p in frames[5]]   # a table change inside a piece
    stage = AdaptiveGop(2, 10, TABLE, version=9)
    whole = stage.encode_frames(frames, 0, [])
    parts = (stage.encode_frames(frames[:1], 0, []) + stage.encode_frames(frames[1:5], 1, frames[:1])
             + stage.encode_frames(frames[5:], 5, frames[2:5]))
    assert parts == whole
    data = payload.join(whole)
    stage.threads = 2
    assert _same(stage.decode(data, "I" + "P" * 8, [p.shape for p in frames[0]]), frames)


def test_the_table_chunk_round_trips_and_inherits():
    rng = np.random.default_rng(3)
    for bits in (8, 10, 12, 16):
        tables = [np.unique(rng.integers(0, 1 << bits, n)).astype(np.int64) for n in (1, 5, 300)]
        tables.append(None)
        chunk = valuetables.encode_chunk(tables, None, [False, True, False, True], bits)
        got, masses = valuetables.decode_chunk(chunk, 4, None, bits)
        assert [None if t is None else t.tolist() for t in got] == [None if t is None else t.tolist() for t in tables]
        assert masses == [False, True, False, True]
        again = valuetables.encode_chunk(tables, tables, [False] * 4, bits)
        assert len(again) < len(chunk)   # mode 2 names the earlier frame's tables
        assert valuetables.decode_chunk(again, 4, tables, bits)[0][2] is tables[2]
    assert valuetables.encode_chunk([None, None], None, [False, False], 8) == b""
    assert valuetables.decode_chunk(b"", 2, None, 8) == ([None, None], [False, False])


def test_values_map_to_the_nearest_table_value():
    table = np.array([10, 20, 40], np.int64)
    assert valuetables.to_domain(np.array([[0, 10, 15, 16, 29, 31, 40, 255]]), table, 8).tolist() == \
        [[0, 0, 0, 1, 1, 2, 2, 2]]
    assert valuetables.to_values(np.array([[2, 0]], np.int32), table).tolist() == [[40, 10]]


def test_damaged_table_chunks_are_refused():
    a = pattern(8, n=2)
    stage = AdaptiveGop(2, 8, TABLE, version=9)
    chunks = payload.split(stage.encode(a, "IP"), stage.chunk_count("IP", [a[0][0].shape]))
    table = np.array([3, 5], np.int64)
    # frame 0 cannot inherit a table
    bad = [valuetables.encode_chunk([table], [table], [False], 8)] + chunks[1:]
    with pytest.raises(PayloadError, match="names a frame plane that has none"):
        stage.decode(payload.join(bad), "IP", [a[0][0].shape])
    # a table past the bit depth: 255 then a gap of 1, at 8 bits
    buf, enc = np.zeros(64, np.uint8), rc.encoder_state()
    lengths, mantissa = valuetables._counts(8)
    valuetables.code_uniform(enc, np.zeros(4, np.int64), buf, False, 1, valuetables.MODES)
    valuetables._code_table(np.array([255, 256], np.int64), 8, lengths, mantissa, enc, np.zeros(4, np.int64), buf,
                            False)
    with pytest.raises(PayloadError, match="leaves the 8-bit range"):
        valuetables.decode_chunk(buf[:rc.finish(enc, buf)].tobytes(), 1, None, 8)
    # a plane of one value with bytes
    one = [valuetables.encode_chunk([np.array([7], np.int64)], None, [False], 8), b"\x00"] + chunks[2:]
    with pytest.raises(PayloadError, match="one value"):
        stage.decode(payload.join(one), "IP", [a[0][0].shape])


def test_the_mass_is_taken_where_candidates_are_exact():
    flat = pattern(8, n=1)[0][0]
    noisy = textured(n=1)[0][0]
    assert exactmass.hit_rate(flat) > 0.7 and exactmass.worth(flat)
    assert exactmass.hit_rate(noisy) < 0.3 and not exactmass.worth(noisy)
    assert exactmass.hit_rate(noisy, noisy) == 1.0
