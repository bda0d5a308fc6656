"""The exact (stated) frame rate is stored, not the average of the timestamps; timestamps as they are."""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
import pytest

import container
from nlvc_av.io import demux
from nlvc_av.transcode import decode_file, encode_file

NTSC = Fraction(30000, 1001)
PTS = [0, 1, 2, 4, 5, 6, 7, 8, 9, 10]  # frame 3 is missing: the average rate is 300000/11011


def _gapped_mp4(path):
    with av.open(str(path), "w") as c:
        s = c.add_stream("mpeg4", rate=NTSC)
        s.width, s.height, s.pix_fmt, s.time_base = 32, 16, "yuv420p", 1 / NTSC
        for i in PTS:
            frame = av.VideoFrame.from_ndarray(np.full((24, 32), i * 9, np.uint8), format="yuv420p")
            frame.pts, frame.time_base = i, 1 / NTSC
            for packet in s.encode(frame):
                c.mux(packet)
        for packet in s.encode():
            c.mux(packet)
    with av.open(str(path)) as c:  # the premise: PyAV's average is not the stated rate
        assert c.streams.video[0].average_rate != NTSC
    return path


def _y4m(path, rate: str, frames: int = 3):
    with open(path, "wb") as f:
        f.write(f"YUV4MPEG2 W16 H8 F{rate} Ip A1:1 C420jpeg\n".encode())
        for i in range(frames):
            f.write(b"FRAME\n" + bytes([i * 40 % 256]) * (16 * 8 * 3 // 2))
    return path


def test_the_stated_rate_is_read_not_the_average(tmp_path):
    with demux.open_input(str(_gapped_mp4(tmp_path / "gap.mp4"))) as source:
        assert source.video.frame_rate == NTSC
        pts = [item.pts for item in source.read() if hasattr(item, "planes")]
    tb = source.video.time_base
    assert [p * tb for p in pts] == [i / NTSC for i in PTS]  # the gap is kept


def test_the_nlvc_file_stores_the_stated_rate_and_every_timestamp(tmp_path):
    out = tmp_path / "gap.nlvc"
    encode_file(str(_gapped_mp4(tmp_path / "gap.mp4")), str(out), model="tiny", gop=4)
    with container.open(str(out), "r") as r:
        track = r.video_track
        assert Fraction(*track.frame_rate) == NTSC
        tb = Fraction(*track.time_base)
        assert [p * tb for c in r.iter_clusters() for p in c.frame_pts] == [i / NTSC for i in PTS]


@pytest.mark.parametrize("rate", ["30000:1001", "24000:1001", "60:1"])
def test_a_y4m_rate_survives_exactly(tmp_path, rate):
    out = tmp_path / "a.nlvc"
    encode_file(str(_y4m(tmp_path / "a.y4m", rate)), str(out), model="tiny")
    with container.open(str(out), "r") as r:
        assert Fraction(*r.video_track.frame_rate) == Fraction(*map(int, rate.split(":")))
    decode_file(str(out), str(tmp_path / "b.y4m"))
    assert (tmp_path / "b.y4m").read_bytes().split(b"\n", 1)[0].split()[3] == f"F{rate}".encode()
