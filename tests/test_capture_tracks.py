"""AVI and MOV captures with several PCM sound tracks (and 8 channels, 24 bits, a timecode track)
kept byte for byte: each track coded as its own lossless track, op 7 reading the tracks' streams
one after another (format 1.7); the CLI round trip gives the same file, ``nlvc verify`` passes;
a damaged or inconsistent file is refused in one line with nothing written."""
import struct
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest
from click.testing import CliRunner

import container
from nlvc_av.cli import nlvc_main, transcode_main

#: name -> (container, video codec, pix_fmt, [(PCM codec, channel layout)...], timecode)
CASES = {
    "v210-s24.avi": ("avi", "v210", "yuv422p10le", [("pcm_s24le", "stereo")], None),
    "uyvy-8ch.avi": ("avi", "rawvideo", "uyvy422", [("pcm_s16le", "7.1")], None),
    "2vuy-s24-tmcd.mov": ("mov", "rawvideo", "uyvy422", [("pcm_s24le", "stereo")], "01:00:00:00"),
    "two.avi": ("avi", "v210", "yuv422p10le", [("pcm_s16le", "stereo"), ("pcm_s24le", "mono")], None),
    "two.mov": ("mov", "rawvideo", "uyvy422", [("pcm_s16le", "stereo"), ("pcm_s24le", "mono")], None),
    "v210-s24.mov": ("mov", "v210", "yuv422p10le", [("pcm_s24le", "stereo")], None),
    "eight-mono.mov": ("mov", "v210", "yuv422p10le", [("pcm_s24le", "mono")] * 8, "10:00:00:00"),
}


def make_tracks(path, fmt, codec, pix_fmt, tracks, timecode=None, frames=3, w=16, h=8, samples=1920, seed=11):
    """A capture written by PyAV: random frames in ``pix_fmt``, one 48 kHz PCM stream per entry of
    ``tracks`` ((codec, channel layout): s16 or s24 samples), a timecode track when ``timecode``."""
    rng = np.random.default_rng(seed)
    with av.open(str(path), "w", format=fmt) as out:
        vs = out.add_stream(codec, rate=25)
        vs.width, vs.height, vs.pix_fmt = w, h, pix_fmt
        if timecode:
            vs.metadata["timecode"] = timecode  # FFmpeg's mov muxer then writes a 'tmcd' track
        auds = []
        for pcm, layout in tracks:
            a = out.add_stream(pcm, rate=48000)
            a.layout = layout
            auds.append(a)
        for k in range(frames):
            src = av.VideoFrame.from_ndarray(rng.integers(0, 255, (h, w, 3), np.uint8), format="rgb24")
            for p in vs.encode(src.reformat(format=pix_fmt)):
                out.mux(p)
            for a, (pcm, layout) in zip(auds, tracks):
                wide = pcm == "pcm_s24le"
                s = rng.integers(-300, 300, (1, samples * a.layout.nb_channels)).astype(np.int32 if wide else np.int16)
                if wide:
                    s <<= 8  # 24 bits used
                af = av.AudioFrame.from_ndarray(s, format="s32" if wide else "s16", layout=layout)
                af.sample_rate, af.pts = 48000, k * samples
                for p in a.encode(af):
                    out.mux(p)
        for s in [vs] + auds:
            for p in s.encode(None):
                out.mux(p)


def run(command, args, env):
    return CliRunner().invoke(command, [str(a) for a in args], env=env, catch_exceptions=False)


@pytest.mark.parametrize("name", list(CASES))
def test_capture_identical(tmp_path, cli_env, name):
    fmt, codec, pix_fmt, tracks, timecode = CASES[name]
    src, nlvc, back = tmp_path / name, tmp_path / "x.nlvc", tmp_path / ("back" + Path(name).suffix)
    make_tracks(src, fmt, codec, pix_fmt, tracks, timecode)
    data = src.read_bytes()
    if timecode:
        assert b"tmcd" in data  # (PyAV wrote the timecode track)
    with av.open(str(src)) as f:  # what FFmpeg reads: the tracks as written
        assert [s.codec_context.channels for s in f.streams.audio] == [a.nb_channels for a in
                                                                       (av.AudioLayout(t[1]) for t in tracks)]
    result = run(transcode_main, [src, nlvc], cli_env)
    assert result.exit_code == 0, result.output
    with container.open(nlvc) as r:
        sounds = [t for t in r.other_tracks if t.source is not None]
        assert [t.source.name for t in sounds] == [name + ":sound" + (str(k + 1) if k else "") for k in range(len(tracks))]
        assert r.version == (1, 7 if len(tracks) > 1 else 6)  # 1.7 only where op 7 runs through several tracks
        assert r.tags["nlvc:source_file"] == name
    result = run(transcode_main, [nlvc, back], cli_env)
    assert result.exit_code == 0, result.output
    assert back.read_bytes() == data
    result = run(nlvc_main, ["verify", nlvc], cli_env)
    assert result.exit_code == 0 and "intact" in result.output, result.output


def test_op7_offsets_run_through_the_tracks(tmp_path):
    """The second track's chunks are read from after the first track's whole stream."""
    from nlvc_av.io import avi
    from nlvc_av.io.aviread import frame_records, sound_streams
    from nlvc_av.io.rebuild_ops import OP_SOUND

    src = tmp_path / "two.avi"
    make_tracks(src, *CASES["two.avi"][:4])
    data = src.read_bytes()
    layout = avi.read_layout(data)
    first, second = sound_streams(layout, data)
    assert len(first) == 3 * 1920 * 4 and len(second) == 3 * 1920 * 3
    ops = [m for r in frame_records(layout, data, "two.avi") for m in
           (r.pixel_map[k:k + 3] for k in range(0, len(r.pixel_map), 3)) if m[0] == OP_SOUND]
    starts = sorted(m[2] for m in ops)
    assert starts[0] == 0 and len(first) in starts and sum(m[1] for m in ops) == len(first) + len(second)
    for at, n in ((m[2], m[1]) for m in ops):  # each op's bytes are the file's chunk bytes
        assert (first + second)[at:at + n] in data


def _cli(*args) -> subprocess.CompletedProcess:
    tool = Path(sys.executable).parent / args[0]
    return subprocess.run([str(tool), *map(str, args[1:])], capture_output=True, text=True)


@pytest.mark.parametrize("damage", ["mov_second_track_past_end", "avi_second_track_not_whole_frames"])
def test_inconsistent_capture_refused_in_one_line(tmp_path, cli_env, damage):
    if damage.startswith("mov"):
        src = tmp_path / "two.mov"
        make_tracks(src, *CASES["two.mov"][:4])
        data = bytearray(src.read_bytes())
        k = data.index(b"stco", data.index(b"stco", data.index(b"stco") + 4) + 4)  # the third trak's (sound 2)
        n = struct.unpack_from(">I", data, k + 8)[0]
        struct.pack_into(">I", data, k + 8 + 4 * n, len(data) - 10)  # its last chunk past the end
    else:
        src = tmp_path / "two.avi"
        make_tracks(src, *CASES["two.avi"][:4], samples=1001)  # mono s24: 3 x 1001 x 3 bytes
        data = bytearray(src.read_bytes())
        k = data.index(b"strf", data.index(b"strf", data.index(b"strf") + 4) + 4) + 8  # the second auds's
        struct.pack_into("<H", data, k + 2, 2)  # 2 channels
        struct.pack_into("<HH", data, k + 12, 4, 16)  # of 16 bits: 9,009 bytes are not whole frames of 4
    src.write_bytes(bytes(data))
    cli = _cli("nlvc-transcode", src, tmp_path / "x.nlvc")
    assert cli.returncode == 1 and len(cli.stderr.strip().splitlines()) == 1, cli.stderr
    assert "byte for byte" in cli.stderr and not (tmp_path / "x.nlvc").exists()
    assert ("past the end" if damage.startswith("mov") else "sound track 2") in cli.stderr


def test_damaged_second_track_refused_at_restore(tmp_path, cli_env):
    """A byte of the second sound track's packets flipped: the restore stops in one line and
    writes nothing; nlvc verify says the capture does not match."""
    src, nlvc = tmp_path / "two.mov", tmp_path / "x.nlvc"
    make_tracks(src, *CASES["two.mov"][:4])
    assert run(transcode_main, [src, nlvc], cli_env).exit_code == 0
    data = bytearray(nlvc.read_bytes())
    with container.open(nlvc) as r:
        packet = next(p for c in r.iter_clusters() for p in c.packets if p.track == 3 and len(p.data) > 32)
    at = bytes(data).index(packet.data)
    data[at + len(packet.data) // 2] ^= 0x01
    bad = tmp_path / "bad.nlvc"
    bad.write_bytes(bytes(data))
    cli = _cli("nlvc-transcode", bad, tmp_path / "back.mov")
    assert cli.returncode != 0 and len(cli.stderr.strip().splitlines()) == 1, cli.stderr
    assert not (tmp_path / "back.mov").exists()
    result = run(nlvc_main, ["verify", bad], cli_env)
    assert result.exit_code != 0 and "two.mov" in result.output, result.output
