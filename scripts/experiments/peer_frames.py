"""Experiment (docs/ADAPTIVE.md, "The planned order"): bytes per frame of x265 lossless (or
x264 qp 0: CODEC libx264) on the first FRAMES frames of a clip, by presentation time (the
bench's settings). From the repository root:
    .venv/bin/python scripts/experiments/peer_frames.py CLIP FRAMES veryslow [libx264]
"""
import sys, tempfile, av, numpy as np
from fractions import Fraction
src = av.open(sys.argv[1]); n = int(sys.argv[2])
frames = [f for _, f in zip(range(n), src.decode(video=0))]
codec = sys.argv[4] if len(sys.argv) > 4 else "libx265"
opts = {"preset": sys.argv[3], "x265-params": "lossless=1:log-level=error"} if codec == "libx265" else {"preset": sys.argv[3], "qp": "0"}
out = av.open(sys.argv[5] if len(sys.argv) > 5 else tempfile.mkstemp(suffix='.mkv')[1], 'w', format="matroska"); s = out.add_stream(codec, rate=25, options=opts)
cc = s.codec_context; cc.width, cc.height, cc.pix_fmt = frames[0].width, frames[0].height, 'yuv420p'
cc.time_base = s.time_base = Fraction(1, 25)
sizes = {}
for i, f in enumerate(frames):
    g = av.VideoFrame.from_ndarray(f.to_ndarray(), format='yuv420p'); g.pts = i; g.time_base = Fraction(1, 25)
    for p in s.encode(g): sizes[int(p.pts)] = (p.size, p.is_keyframe)
for p in s.encode(): sizes[int(p.pts)] = (p.size, p.is_keyframe)
print(sum(v[0] for v in sizes.values()), [(k, v[0]) for k, v in sorted(sizes.items())])
