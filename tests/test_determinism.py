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
