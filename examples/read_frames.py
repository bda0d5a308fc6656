#!/usr/bin/env python3
"""Read an .nlvc file with the PyAV-style API: streams, frames, seeking, numpy planes.

    python examples/read_frames.py clip.nlvc

(make one with `python examples/roundtrip.py --keep out/`, or `nlvc-transcode video.mkv clip.nlvc`)
"""

from __future__ import annotations

import argparse
import sys

import nlvc_av


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", help="an .nlvc file")
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()

    with nlvc_av.open(args.file, threads=args.threads) as f:
        video = f.streams.video[0]
        print(f"{args.file}: {video.width}x{video.height} {video.pix_fmt}, {video.frames} frames "
              f"in {video.gops} GOPs, time base {video.time_base}, frame rate {video.average_rate}")
        for stream in f.streams.audio:
            print(f"  audio: {stream.codec_name} {stream.sample_rate} Hz, {stream.channels} channel(s)")

        # Every frame as an av.VideoFrame (bit-exact, checked against its stored MD5).
        pts = []
        for frame in f.decode(video=0):
            pts.append(frame.pts)
            rgb = frame.to_ndarray(format="rgb24")  # PyAV converts for display, if you need it
        print(f"decoded {len(pts)} frames, pts {pts[0]} .. {pts[-1]}; last frame as RGB: {rgb.shape}")

        # Seek: decoding restarts at the GOP holding the timestamp (earlier frames of that GOP too).
        target = pts[-2]
        f.seek(target)
        first = next(iter(f.decode(video=0)))
        print(f"seek({target}) -> decoding resumes at pts {first.pts} (start of its GOP)")

        # numpy level: the planes exactly as coded (Y, U, V / G, B, R / gray).
        f.seek(0)
        d = next(iter(f.decode_planes()))
        print(f"frame at pts {d.pts}: planes {[p.shape for p in d.planes]}, type {d.frame_type}, "
              f"mean luma {d.planes[0].mean():.1f}")

        # The audio packets, stored byte for byte.
        n = sum(1 for _ in f.demux())
        print(f"{n} audio/subtitle packets stored")
    return 0


if __name__ == "__main__":
    sys.exit(main())
