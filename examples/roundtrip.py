#!/usr/bin/env python3
"""Make a small clip with PyAV, encode it to .nlvc, decode it back, and check every frame.

    python examples/roundtrip.py                 # in a temporary directory
    python examples/roundtrip.py --keep out/     # keep clip.mkv, clip.nlvc, restored.mkv in out/

The clip is 64x48 yuv420p with an AAC audio track; restored.mkv is FFV1 + the same AAC packets.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from nlvc_av import transcode, verify
from nlvc_av.codec import formats as planes


def make_clip(path: Path, width: int = 64, height: int = 48, frames: int = 12, fps: int = 25) -> None:
    """A moving gradient with a little noise, and a 440 Hz tone."""
    rng = np.random.default_rng(0)
    with av.open(str(path), "w") as out:
        video = out.add_stream("ffv1", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        audio = out.add_stream("aac", rate=48000)
        audio.layout = "mono"
        samples = 0
        for i in range(frames):
            frame = av.VideoFrame(width, height, "yuv420p")
            for k, plane in enumerate(frame.planes):
                rows = np.frombuffer(plane, np.uint8).reshape(-1, plane.line_size)
                h, w = (height, width) if k == 0 else (height // 2, width // 2)
                y, x = np.mgrid[0:h, 0:w]
                rows[:h, :w] = (x * 3 + y * 2 + 4 * i + 60 * k + rng.integers(0, 4, (h, w))) % 256
            frame.pts = i
            out.mux(video.encode(frame))
            while samples < (i + 1) * 48000 // fps:
                tone = av.AudioFrame(format="fltp", layout="mono", samples=1024)
                t = (samples + np.arange(1024)) / 48000
                np.frombuffer(tone.planes[0], np.float32)[:1024] = 0.2 * np.sin(2 * np.pi * 440 * t)
                tone.sample_rate, tone.pts, tone.time_base = 48000, samples, Fraction(1, 48000)
                samples += 1024
                out.mux(audio.encode(tone))
        out.mux(video.encode())
        out.mux(audio.encode())


def audio_packets(path: Path) -> list[bytes]:
    with av.open(str(path)) as c:
        return [bytes(p) for p in c.demux(audio=0) if p.size]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="directory to write the files to (kept)")
    parser.add_argument("--model", default="default", help="entropy model: default, tiny, a registered id, or a weights file")
    parser.add_argument("--threads", type=int, default=None, help="CPU threads for the coder")
    parser.add_argument("--frames", type=int, default=12)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        clip, coded, restored = folder / "clip.mkv", folder / "clip.nlvc", folder / "restored.mkv"
        make_clip(clip, frames=args.frames)

        stats = transcode.encode_file(clip, coded, gop=8, model=args.model, threads=args.threads, overwrite=True)
        print(f"encoded {stats.frames} frames {stats.width}x{stats.height} {stats.pix_fmt}: "
              f"{stats.raw_bytes} raw bytes -> {stats.payload_bytes} coded ({stats.ratio:.2f}:1), "
              f"{coded.stat().st_size} bytes with audio and headers")

        transcode.decode_file(coded, restored, threads=args.threads, overwrite=True)  # checks every MD5

        _, original = verify.iter_planes(clip)
        _, decoded = verify.iter_planes(restored)
        pairs = list(zip(original, decoded))
        same = all(planes.frame_md5(a) == planes.frame_md5(b) for a, b in pairs)
        same_audio = audio_packets(clip) == audio_packets(restored)
        print(f"restored {restored.name}: {len(pairs)} frames identical: {same}; audio packets identical: {same_audio}")
        if args.keep:
            print(f"files in {folder}/: {clip.name} {coded.name} {restored.name}")
        return 0 if same and same_audio and len(pairs) == stats.frames else 1


if __name__ == "__main__":
    sys.exit(main())
