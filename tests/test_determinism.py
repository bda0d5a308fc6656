"""Bit-exact decoding across processes and thread counts (the decoder must compute the same integers)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
FOREMAN = DATA / "bench" / "foreman_cif_21f.y4m"

WORKER = r"""
import sys, numpy as np, torch
from nlvc_av.codec import GopCoder
mode, threads, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
torch.set_num_threads(threads)
coder = GopCoder.for_encoding("default", groups=2)
store = np.load(path + ".npz") if mode == "decode" else None
if mode == "encode":
    src = np.load(path + ".src.npz")
    frames = [[src[f"f{i}p{k}"] for k in range(3)] for i in range(int(src["n"]))]
    payload, types = coder.encode_gop(frames, "yuv420p")
    np.savez(path + ".npz", payload=np.frombuffer(payload, np.uint8), types=np.frombuffer(types.encode(), np.uint8))
else:
    payload, types = store["payload"].tobytes(), store["types"].tobytes().decode()
    h, w = (int(v) for v in sys.argv[4:6])
    frames = coder.decode_gop(payload, types, "yuv420p", w, h)
    np.savez(path + ".out.npz", **{f"f{i}p{k}": p for i, f in enumerate(frames) for k, p in enumerate(f)})
"""


def _source_frames() -> list[list[np.ndarray]]:
    """Real camera content when the shared data is present, else a textured synthetic clip."""
    if FOREMAN.exists():
        from nlvc_av.io.demux import iter_video_planes
        _, frames = iter_video_planes(str(FOREMAN), max_frames=3)
        return [[p[: 96 // (1 + (k > 0)), : 128 // (1 + (k > 0))].copy() for k, p in enumerate(f)]
                for f in frames]
    rng = np.random.default_rng(7)
    frames = []
    for t in range(3):
        y = (np.add.outer(np.arange(96) * 2, np.arange(128) + 3 * t) % 256).astype(np.int64)
        y = np.clip(y + rng.integers(-6, 7, y.shape), 0, 255).astype(np.uint8)
        frames.append([y, y[::2, ::2].copy(), y[1::2, 1::2].copy()])
    return frames


def _run(*args: str) -> None:
    root = Path(__file__).resolve().parents[1]
    subprocess.run([sys.executable, "-c", WORKER, *args], check=True, cwd=root)


@pytest.mark.parametrize("enc_threads,dec_threads", [(1, 2), (2, 1)])
def test_encode_and_decode_in_other_processes_with_other_thread_counts(tmp_path, enc_threads, dec_threads):
    frames = _source_frames()
    base = str(tmp_path / "clip")
    np.savez(base + ".src.npz", n=len(frames),
             **{f"f{i}p{k}": p for i, f in enumerate(frames) for k, p in enumerate(f)})
    _run("encode", str(enc_threads), base)
    h, w = frames[0][0].shape
    _run("decode", str(dec_threads), base, str(h), str(w))
    out = np.load(base + ".out.npz")
    for i, f in enumerate(frames):
        for k, p in enumerate(f):
            assert np.array_equal(out[f"f{i}p{k}"], p), f"frame {i} plane {k} differs"


def _bframes() -> list[list[np.ndarray]]:
    """Decoded-video-like frames for ls-v10's planned order: odd frames the average of the
    frames either side (a B-frame), even frames a texture moving with noise of their own."""
    rng = np.random.default_rng(11)
    big = rng.integers(0, 256, (64, 160)).astype(np.float64)
    big = (big + np.roll(big, 1, 0) + np.roll(big, 1, 1) + np.roll(big, (1, 1), (0, 1))) / 4
    even = {}
    for t in range(0, 8, 2):
        y = np.clip(big[:48, 2 * t:2 * t + 64] + rng.integers(-5, 6, (48, 64)), 0, 255).astype(np.int64)
        even[t] = [y, y[::2, ::2], 255 - y[1::2, 1::2]]
    frames = [even[t] if t % 2 == 0 else [(a + b + 1) >> 1 for a, b in zip(even[t - 1], even[t + 1])]
              for t in range(7)]
    return [[p.astype(np.uint8) for p in f] for f in frames]


@pytest.mark.parametrize("enc_threads,dec_threads", [(1, 2), (2, 1)])
def test_a_planned_order_decodes_the_same_in_another_process(tmp_path, enc_threads, dec_threads):
    frames = _bframes()
    base = str(tmp_path / "clip")
    np.savez(base + ".src.npz", n=len(frames), **{f"f{i}p{k}": p for i, f in enumerate(frames) for k, p in enumerate(f)})
    _run("encode", str(enc_threads), base)
    _run("decode", str(dec_threads), base, "48", "64")
    out = np.load(base + ".out.npz")
    for i, f in enumerate(frames):
        for k, p in enumerate(f):
            assert np.array_equal(out[f"f{i}p{k}"], p), f"frame {i} plane {k} differs"


WORKER_V9 = r"""
import sys, numpy as np
from nlvc_av.codec import GopCoder
mode, threads, path, pix_fmt = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
coder = GopCoder.for_encoding("nlvc-adaptive-ls-v9", groups=2)
coder.band_threads = threads
if mode == "encode":
    src = np.load(path + ".src.npz")
    frames = [[src[f"f{i}p{k}"] for k in range(int(src["planes"]))] for i in range(int(src["n"]))]
    payload, types = coder.encode_gop(frames, pix_fmt)
    np.savez(path + ".npz", payload=np.frombuffer(payload, np.uint8), types=np.frombuffer(types.encode(), np.uint8))
else:
    store = np.load(path + ".npz")
    payload, types = store["payload"].tobytes(), store["types"].tobytes().decode()
    h, w = (int(v) for v in sys.argv[5:7])
    frames = coder.decode_gop(payload, types, pix_fmt, w, h)
    np.savez(path + ".out.npz", **{f"f{i}p{k}": p for i, f in enumerate(frames) for k, p in enumerate(f)})
"""


def _pattern_frames(bits: int, planes: int) -> list[list[np.ndarray]]:
    """Few-valued test-pattern frames (ls-v9's value tables and exact-value mass), a box moving."""
    levels = np.round((np.arange(16) / 15.0) ** 0.45 * ((1 << bits) - 1)).astype(np.int64)
    yy, xx = np.mgrid[:48, :64]
    frames = []
    for t in range(4):
        out = []
        for k in range(planes):
            idx = (xx * 8 // 64 + k) % 16
            idx[24:, :32] = ((yy + xx) % 2 * 7 + 3)[24:, :32]
            idx[4:12, 3 * t + 4:3 * t + 16] = 15 - k
            out.append(levels[idx].astype(np.uint8 if bits == 8 else np.uint16))
        frames.append(out)
    return frames


@pytest.mark.parametrize("pix_fmt,bits,planes", [("gray16le", 16, 1), ("gbrp12le", 12, 3)])
def test_ls_v9_tables_and_mass_decode_the_same_in_another_process(tmp_path, pix_fmt, bits, planes):
    frames = _pattern_frames(bits, planes)
    base = str(tmp_path / "clip")
    np.savez(base + ".src.npz", n=len(frames), planes=planes,
             **{f"f{i}p{k}": p for i, f in enumerate(frames) for k, p in enumerate(f)})
    root = Path(__file__).resolve().parents[1]
    subprocess.run([sys.executable, "-c", WORKER_V9, "encode", "1", base, pix_fmt], check=True, cwd=root)
    subprocess.run([sys.executable, "-c", WORKER_V9, "decode", "2", base, pix_fmt, "48", "64"], check=True, cwd=root)
    out = np.load(base + ".out.npz")
    for i, f in enumerate(frames):
        for k, p in enumerate(f):
            assert np.array_equal(out[f"f{i}p{k}"], p), f"frame {i} plane {k} differs"
