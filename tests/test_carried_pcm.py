"""Carried sound that must come back (issue 31, found on the way):

- PCM Matroska has no codec for (``pcm_f32be``, ``pcm_f64be``, ``pcm_s8``, A-law...) was kept at
  encode (exit 0, ``nlvc verify`` intact) and then could never be decoded ("internal error:
  ValueError: 'matroska' format does not support 'pcm_f32be' codec"): now written as the
  Matroska PCM of the same samples; ``pcm_s64le`` (no such Matroska codec) is refused at encode.
- 7- and 8-channel sound with a custom channel order (an AIFF's, or a MOV holding it) aborted
  the process at ``cc.layout.name`` ("double free or corruption", exit 134).
"""
from __future__ import annotations

import struct
import subprocess
import sys
from fractions import Fraction

import av
import numpy as np
import pytest
from click.testing import CliRunner

from clipgen import REPO, packets, same_packets
from nlvc_av import transcode
from nlvc_av.cli import transcode_main
from nlvc_av.errors import InputError

TRANSCODE = [sys.executable, "-c", "from nlvc_av.cli import transcode_main; transcode_main()"]


def video_stream(out):
    v = out.add_stream("rawvideo", rate=25)
    v.width, v.height, v.pix_fmt = 16, 8, "rgb24"  # (a layout 0.3 read too)
    return v


def add_video(out, v, frames: int = 3):
    """``frames`` rgb24 frames into stream ``v`` (added with the others, before any packet)."""
    for i in range(frames):
        f = av.VideoFrame(16, 8, "rgb24")
        np.frombuffer(f.planes[0], np.uint8)[:] = (np.arange(f.planes[0].buffer_size) * (i + 3)) % 251
        f.pts = i
        out.mux(v.encode(f))
    out.mux(v.encode(None))


def pcm_clip(path, codec: str) -> np.ndarray:
    """A .mov (.nut for what MOV does not take) with rgb24 video and 3 stereo packets of
    ``codec``; the samples FFmpeg's encoder was given (interleaved)."""
    rng = np.random.default_rng(1)
    with av.open(str(path), "w") as out:
        v = video_stream(out)
        a = out.add_stream(codec, rate=48000)
        a.layout = "stereo"
        fmt = a.codec_context.format.name
        dtype = {"flt": np.float32, "dbl": np.float64, "s16": np.int16, "u8": np.uint8}[fmt.rstrip("p")]
        sent = []
        for i in range(3):
            if dtype in (np.float32, np.float64):
                x = rng.standard_normal((1, 2 * 960)).astype(dtype)
            else:
                x = rng.integers(np.iinfo(dtype).min, np.iinfo(dtype).max, (1, 2 * 960), dtype=dtype)
            sent.append(x.reshape(-1))
            f = av.AudioFrame.from_ndarray(x.reshape(2, 960) if fmt.endswith("p") else x, format=fmt, layout="stereo")
            f.sample_rate, f.pts = 48000, i * 960
            out.mux(a.encode(f))
        out.mux(a.encode(None))
        add_video(out, v)
    return np.concatenate(sent)


def decoded(path) -> tuple[str, np.ndarray, list]:
    """(codec, the decoded samples interleaved, the packets' times) of the first audio stream."""
    with av.open(str(path)) as c:
        a = c.streams.audio[0]
        name = a.codec_context.name
        got = []
        for frame in c.decode(a):
            x = frame.to_ndarray()
            got.append(x.T.reshape(-1) if frame.format.is_planar else x.reshape(-1))
    return name, np.concatenate(got), [t for _, t, _ in packets(path)]


@pytest.mark.parametrize("codec,ext,written", [("pcm_f32be", ".mov", "pcm_f32le"), ("pcm_f64be", ".mov", "pcm_f64le"),
                                               ("pcm_s8", ".mov", "pcm_u8"), ("pcm_alaw", ".mov", "pcm_s16le"),
                                               ("pcm_u16le", ".nut", "pcm_s16le"),
                                               ("pcm_s16le_planar", ".nut", "pcm_s16le")])
def test_pcm_matroska_has_no_codec_for_is_written_as_the_same_samples(tmp_path, coder, caplog, codec, ext, written):
    src = tmp_path / f"src{ext}"
    pcm_clip(src, codec)
    transcode.encode_file(str(src), str(tmp_path / "a.nlvc"), coder=coder, gop=2)
    with caplog.at_level("WARNING", logger="nlvc_av"):
        stats = transcode.decode_file(str(tmp_path / "a.nlvc"), str(tmp_path / "back.mkv"), coder=coder)
    assert stats.packets == 3 and stats.dropped_packets == 0
    assert f"({codec}) written as {written} (Matroska has no {codec}): the same samples, not the same bytes" \
        in caplog.text
    name_a, samples_a, times_a = decoded(src)
    name_b, samples_b, times_b = decoded(tmp_path / "back.mkv")
    assert (name_a, name_b) == (codec, written)
    assert samples_a.dtype == samples_b.dtype and np.array_equal(samples_a, samples_b)  # (floats: bit for bit)
    assert [float(t) for t in times_a] == pytest.approx([float(t) for t in times_b], abs=1e-3)


def test_big_endian_float_keeps_its_bits(tmp_path, coder):
    """pcm_f32be -> pcm_f32le is a byte swap: NaN payloads and -0.0 come through unchanged."""
    src = tmp_path / "src.mov"
    special = np.array([np.nan, -0.0, np.inf, 1e-45, -3.5, 0.1] * 320, dtype=np.float32)
    raw = special.view(np.uint32).copy()
    raw[0] = 0x7FC12345  # a NaN with a payload
    with av.open(str(src), "w") as out:
        v = video_stream(out)
        a = out.add_stream("pcm_f32be", rate=48000)
        a.layout = "stereo"
        a.time_base = Fraction(1, 48000)
        p = av.Packet(raw.astype(">u4").tobytes())
        p.pts = p.dts = 0
        p.time_base, p.stream = Fraction(1, 48000), a
        out.mux(p)
        add_video(out, v)
    transcode.encode_file(str(src), str(tmp_path / "a.nlvc"), coder=coder)
    transcode.decode_file(str(tmp_path / "a.nlvc"), str(tmp_path / "back.mkv"), coder=coder)
    (data, _, _), = packets(tmp_path / "back.mkv")
    assert np.frombuffer(data, "<u4").tolist() == raw.tolist()


def s64_clip(path):
    with av.open(str(path), "w") as out:
        v = video_stream(out)
        a = out.add_stream("pcm_s64le", rate=48000)
        a.layout = "stereo"
        a.time_base = Fraction(1, 48000)
        for i in range(2):
            p = av.Packet(np.arange(i * 1920, (i + 1) * 1920, dtype="<i8").tobytes())
            p.pts = p.dts = i * 960
            p.time_base, p.stream = Fraction(1, 48000), a
            out.mux(p)
        add_video(out, v)


def test_pcm_s64le_is_refused_at_encode_and_nothing_written(tmp_path, cli_env):
    src = tmp_path / "src.nut"
    s64_clip(src)
    with pytest.raises(InputError) as info:
        transcode.encode_file(str(src), str(tmp_path / "a.nlvc"), model="tiny")
    assert "src.nut: stream #1 (audio, pcm_s64le)" in str(info.value) and "refused" in str(info.value)
    result = CliRunner().invoke(transcode_main, [str(src), str(tmp_path / "a.nlvc")])
    assert result.exit_code == 1 and "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "pcm_s64le" in lines[0] and "no Matroska codec" in lines[0], result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["src.nut"]


def test_a_file_kept_before_the_check_decodes_without_its_stream_and_no_traceback(tmp_path, coder, caplog,
                                                                                  monkeypatch):
    """An .nlvc written before the encode-time check (here: with the check turned off) holding
    pcm_s64le: the decode writes the video, drops the stream with a warning, never a traceback."""
    src = tmp_path / "src.nut"
    s64_clip(src)
    monkeypatch.setattr(transcode, "check_writable", lambda streams, name: None, raising=False)
    transcode.encode_file(str(src), str(tmp_path / "a.nlvc"), coder=coder)
    with caplog.at_level("WARNING", logger="nlvc_av"):
        stats = transcode.decode_file(str(tmp_path / "a.nlvc"), str(tmp_path / "back.mkv"), coder=coder)
    assert (stats.frames, stats.packets, stats.dropped_packets) == (3, 0, 2)
    assert "(pcm_s64le) cannot be written to Matroska by this FFmpeg; dropped" in caplog.text


# --------------------------------------------------------------------------- 7 and 8 channels


def aiff(path, layout: str, chan_tag: int | None = None) -> None:
    """A 16-bit AIFF written by PyAV; ``chan_tag``: its CHAN chunk's CoreAudio layout tag
    replaced (125 << 16 | 7: kAudioChannelLayoutTag_MPEG_6_1_A, L R C LFE Ls Rs Cs, an order
    FFmpeg reads as a custom one)."""
    n = av.AudioLayout(layout).nb_channels
    with av.open(str(path), "w") as out:
        a = out.add_stream("pcm_s16be", rate=48000)
        a.layout = layout
        rng = np.random.default_rng(n)
        for i in range(2):
            x = rng.integers(-30000, 30000, (1, 960 * n), dtype=np.int16)
            f = av.AudioFrame.from_ndarray(x, format="s16", layout=layout)
            f.sample_rate, f.pts = 48000, i * 960
            out.mux(a.encode(f))
        out.mux(a.encode(None))
    if chan_tag is not None:
        data = bytearray(path.read_bytes())
        at = data.find(b"CHAN")
        data[at + 8: at + 16] = struct.pack(">II", chan_tag, 0)
        path.write_bytes(bytes(data))


def remux_with_video(src, dst) -> None:
    """``src``'s sound (its codec parameters copied, custom channel order included) in a MOV
    with rgb24 video."""
    with av.open(str(src)) as inp, av.open(str(dst), "w") as out:
        v = video_stream(out)
        a = out.add_stream_from_template(inp.streams.audio[0])
        for p in inp.demux(inp.streams.audio[0]):
            if p.size:
                p.stream = a
                out.mux(p)
        add_video(out, v, 2)


PROBE = ("import av, sys\nfrom nlvc_av.io.carried import channel_layout\n"
         "for path in sys.argv[1:]:\n"
         "    with av.open(path) as c:\n"
         "        print(*channel_layout(c.streams.audio[0].codec_context), sep='|')\n")


def probe(*paths) -> subprocess.CompletedProcess:
    """The channels and layout FFmpeg reads for each file, in a process of their own (an abort
    there is a failed test, not a dead pytest)."""
    return subprocess.run([sys.executable, "-c", PROBE, *map(str, paths)], capture_output=True, text=True,
                          cwd=str(REPO), timeout=300)


@pytest.mark.parametrize("layout,chan_tag,channels", [("7.0", 125 << 16 | 7, 7), ("7.1", None, 8)])
def test_seven_and_eight_channels_with_a_custom_order(tmp_path, cli_env, layout, chan_tag, channels):
    sound = tmp_path / "sound.aiff"
    aiff(sound, layout, chan_tag)
    mov = tmp_path / "capture.mov"
    remux_with_video(sound, mov)
    done = subprocess.run(TRANSCODE + [str(mov), str(tmp_path / "a.nlvc"), "-q"], capture_output=True, text=True,
                          cwd=str(tmp_path), timeout=300)
    assert done.returncode == 0, (done.returncode, done.stderr)  # (0.3: -6, "double free or corruption")
    # what FFmpeg read: a custom order, the case that aborted 0.3 (PyAV's AudioLayout copy freed twice)
    found = probe(sound, mov)
    assert found.returncode == 0, found.stderr
    assert len(found.stdout.splitlines()) == 2
    for line in found.stdout.splitlines():
        count, description = line.split("|")
        assert int(count) == channels and description.startswith(f"{channels} channels (")
    done = subprocess.run(TRANSCODE + [str(tmp_path / "a.nlvc"), str(tmp_path / "back.mkv"), "-q"],
                          capture_output=True, text=True, cwd=str(tmp_path), timeout=300)
    assert done.returncode == 0, (done.returncode, done.stderr)
    assert same_packets(packets(mov), packets(tmp_path / "back.mkv"))  # pcm_s16be: Matroska keeps the bytes
    check = probe(tmp_path / "back.mkv")
    assert check.returncode == 0 and check.stdout.startswith(f"{channels}|"), check.stderr
    # the AIFF alone (no video): one line, exit 1, not an abort
    done = subprocess.run(TRANSCODE + [str(sound), str(tmp_path / "b.nlvc")], capture_output=True, text=True,
                          cwd=str(tmp_path), timeout=300)
    assert done.returncode == 1 and "no video stream" in done.stderr and "Traceback" not in done.stderr
