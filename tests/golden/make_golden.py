"""Write ``tiny.nlvc``, the golden file the container tests parse (container layer only).

    python tests/golden/make_golden.py          # rewrites tests/golden/tiny.nlvc

The content is fixed and made up (no neural model runs): three GOPs of a 4x2 yuv420p video
whose "payload" is plain text, an audio track and a subtitle track with a few packets, one
packet without pts/dts. ``test_container.py`` checks that this script still produces the
committed bytes, so a change of the format shows up as a failing test, not as silent drift.
"""

from __future__ import annotations

import hashlib
import io
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import container  # noqa: E402
from container import (Cluster, CodecSetup, Info, Packet, StreamTrack,  # noqa: E402
                       VideoTrack)

GOLDEN = Path(__file__).with_name("tiny.nlvc")

SETUP = CodecSetup(
    model_id="golden-test-model",
    weights_sha256=hashlib.sha256(b"golden weights").hexdigest(),
    token_map="identity-8bit",
    groups=2,
    gop_size=2,
    coder_params={"coder": "range", "precision": 16, "offset": -3},
)
VIDEO = VideoTrack(number=1, width=4, height=2, pix_fmt="yuv420p", bit_depth=8,
                   time_base=(1, 25), frame_rate=(25, 1), color_range=1, color_primaries=1,
                   color_trc=1, colorspace=1, chroma_location=1, sample_aspect_ratio=(1, 1))
AUDIO = StreamTrack(number=2, kind="audio", codec_name="pcm_s16le", time_base=(1, 8000),
                    params={"sample_rate": 8000, "channels": 1, "layout": "mono", "format": "s16"})
SUBS = StreamTrack(number=3, kind="subtitle", codec_name="subrip", time_base=(1, 1000),
                   extradata=b"\x00\x01")
INFO = Info(app="make_golden.py", duration_pts=5)
TAGS = {"title": "golden", "comment": "container test file"}


def frame_md5(pts: int) -> bytes:
    """MD5 of a made-up 4x2 yuv420p frame (Y 8 bytes, U 2, V 2) whose samples are all ``pts``."""
    return hashlib.md5(bytes([pts]) * 12).digest()


def clusters() -> list[Cluster]:
    gops = [[0, 1], [2, 3], [4]]
    out = []
    for index, pts in enumerate(gops):
        packets = [Packet(track=2, pts=pts[0] * 320, dts=pts[0] * 320, duration=320, keyframe=True,
                          data=bytes([index]) * 8)]
        if index == 1:
            packets.append(Packet(track=3, pts=None, dts=None, duration=0, keyframe=False,
                                  data=b"hello"))
        out.append(Cluster(
            index=index,
            frame_pts=pts,
            frame_types="I" + "P" * (len(pts) - 1),
            frame_md5=[frame_md5(p) for p in pts],
            payload=f"GOP {index} payload".encode(),
            packets=packets,
            frame_durations=[1] * len(pts) if index != 2 else [],
        ))
    return out


def golden_bytes() -> bytes:
    buf = io.BytesIO()
    with container.open(buf, "w", codec_setup=SETUP, tracks=[VIDEO, AUDIO, SUBS], info=INFO,
                        tags=TAGS) as writer:
        for cluster in clusters():
            writer.write_cluster(cluster)
    return buf.getvalue()


if __name__ == "__main__":
    data = golden_bytes()
    GOLDEN.write_bytes(data)
    print(f"wrote {GOLDEN} ({len(data)} bytes)")
