"""Whole capture files byte for byte (issue 31's must-show): captures written by PyAV (AVI, MOV,
MKV; v210 / uyvy422 video from a bench clip, PCM sound) and RAWcooked's AVI files, each encoded
to .nlvc, restored to its own container and compared byte for byte; the .nlvc's size against
the bound "the video coded alone + the sound's FLAC + 1 % of the capture's container bytes"
(video alone: the same frames in an FFV1 .mkv without sound, encoded to .nlvc; FLAC: PyAV's
flac encoder at compression level 8, a .flac file; container bytes: every byte of the capture
that is neither a frame nor a sound sample).

    python scripts/capture_files.py [--clip ../shared/data/bench/foreman_cif_21f.y4m]
        [--archive ../shared/data/archive/Formats/AVI] [--frames 10] [--markdown docs/CAPTURE_FILES.md]
"""
from __future__ import annotations

import argparse
import mmap
import sys
import tempfile
import time
from pathlib import Path

import av
import numpy as np

from nlvc_av.io import avi, mkv, mov
from nlvc_av.io.avi import SOUND_PAYLOAD, STORED
from nlvc_av.transcode import decode_file, encode_file

ROOT = Path(__file__).resolve().parents[1]
LAYOUT_OF = {".avi": avi.read_layout, ".mov": mov.read_layout, ".mkv": mkv.read_layout}
#: name -> (container, video codec, pix_fmt, [(PCM codec, channels)...], timecode)
CASES = {
    "AVI v210 + 24-bit stereo": ("avi", "v210", "yuv422p10le", [("pcm_s24le", 2)], False),
    "AVI uyvy422 + 16-bit 8 channels": ("avi", "rawvideo", "uyvy422", [("pcm_s16le", 8)], False),
    "MOV 2vuy + 24-bit stereo + timecode": ("mov", "rawvideo", "uyvy422", [("pcm_s24le", 2)], True),
    "MOV v210 + 24-bit stereo": ("mov", "v210", "yuv422p10le", [("pcm_s24le", 2)], False),
    "MOV v210 + 2 tracks (24-bit stereo, 16-bit mono)": ("mov", "v210", "yuv422p10le",
                                                        [("pcm_s24le", 2), ("pcm_s16le", 1)], False),
    "MKV uyvy422 + 24-bit stereo": ("matroska", "rawvideo", "uyvy422", [("pcm_s24le", 2)], False),
    "MKV uyvy422 + 16-bit stereo": ("matroska", "rawvideo", "uyvy422", [("pcm_s16le", 2)], False),
}
SUFFIX = {"avi": ".avi", "mov": ".mov", "matroska": ".mkv"}
LAYOUTS = {1: "mono", 2: "stereo", 8: "7.1"}


def tone(k: int, n: int, channels: int, bits: int, seed: int) -> np.ndarray:
    """A sound like a tape's: a tone, a little noise; interleaved samples of ``bits`` in int16/int32."""
    rng = np.random.default_rng(seed + k)
    t = (np.arange(n) + k * n) / 48000
    x = np.stack([np.sin(2 * np.pi * (220 + 110 * c) * t) * 0.3 + rng.normal(0, 0.002, n) for c in range(channels)], 1)
    if bits == 16:
        return np.round(x * 32767).astype(np.int16).reshape(1, -1)
    return (np.round(x * 8388607).astype(np.int32) << 8).reshape(1, -1)  # 24 bits in the high bits of s32


def make_capture(path: Path, frames, container: str, codec: str, pix_fmt: str, sounds, timecode: bool) -> None:
    with av.open(str(path), "w", format=container) as out:
        v = out.add_stream(codec, rate=25)
        v.width, v.height, v.pix_fmt = frames[0].width, frames[0].height, pix_fmt
        if timecode:
            v.metadata["timecode"] = "01:00:00:00"  # (the mov muxer writes a 'tmcd' track)
        tracks = []
        for pcm, channels in sounds:
            a = out.add_stream(pcm, rate=48000)
            a.layout = LAYOUTS[channels]
            tracks.append((a, 16 if pcm == "pcm_s16le" else 24, channels))
        for k, frame in enumerate(frames):
            for p in v.encode(frame.reformat(format=pix_fmt)):
                out.mux(p)
            for n, (a, bits, channels) in enumerate(tracks):
                af = av.AudioFrame.from_ndarray(tone(k, 1920, channels, bits, n), format="s16" if bits == 16 else "s32",
                                                layout=LAYOUTS[channels])
                af.sample_rate, af.pts = 48000, k * 1920
                for p in a.encode(af):
                    out.mux(p)
        for s in [v] + [t[0] for t in tracks]:
            for p in s.encode(None):
                out.mux(p)


def video_alone(src: Path, tmp: Path) -> int:
    """The .nlvc bytes of the capture's frames alone (an FFV1 .mkv of them, no sound)."""
    mkv_path, nlvc = tmp / "frames.mkv", tmp / "frames.nlvc"
    with av.open(str(src)) as inp, av.open(str(mkv_path), "w") as out:
        s = inp.streams.video[0]
        o = out.add_stream("ffv1", rate=25)
        planar = {"uyvy422": "yuv422p", "yuyv422": "yuv422p"}.get(s.codec_context.pix_fmt, s.codec_context.pix_fmt)
        o.width, o.height, o.pix_fmt = s.codec_context.width, s.codec_context.height, planar
        for f in inp.decode(s):
            f = f.reformat(format=planar)  # (the same samples: FFV1 takes the planar twin)
            f.pts = None
            for p in o.encode(f):
                out.mux(p)
        for p in o.encode(None):
            out.mux(p)
    encode_file(mkv_path, nlvc, overwrite=True)
    return nlvc.stat().st_size


def flac_bytes(src: Path, tmp: Path) -> int:
    """The bytes of a .flac (compression level 8) of each sound stream of ``src``, summed."""
    total = 0
    with av.open(str(src)) as inp:
        streams = list(inp.streams.audio)
    for k, s in enumerate(streams):
        out_path = tmp / f"s{k}.flac"
        with av.open(str(src)) as inp, av.open(str(out_path), "w") as out:
            a = inp.streams.audio[k]
            o = out.add_stream("flac", rate=a.rate, options={"compression_level": "8"})
            o.layout = a.layout
            o.format = "s16" if a.codec_context.name == "pcm_s16le" else "s32"
            for f in inp.decode(a):
                f.pts = None
                for p in o.encode(f):
                    out.mux(p)
            for p in o.encode(None):
                out.mux(p)
        total += out_path.stat().st_size
    return total


def container_bytes(src: Path) -> tuple[int, int]:
    """(container bytes, sound bytes) of a capture, from the ranges NLVC keeps it as."""
    with open(src, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
        layout = LAYOUT_OF[src.suffix.lower()](data)
        ranges = layout.ranges
    return sum(n for k, _, n in ranges if k == STORED), sum(n for k, _, n in ranges if k == SOUND_PAYLOAD)


def measure(name: str, src: Path, tmp: Path) -> dict:
    nlvc, back = tmp / "x.nlvc", tmp / f"back{src.suffix}"
    start = time.monotonic()
    encode_file(src, nlvc, overwrite=True, check=True)
    decode_file(nlvc, back, overwrite=True)
    seconds = time.monotonic() - start
    same = back.read_bytes() == src.read_bytes()
    stored, sound = container_bytes(src)
    alone, flac = video_alone(src, tmp), flac_bytes(src, tmp) if sound else 0
    bound = alone + flac + 0.01 * stored
    size = nlvc.stat().st_size
    return {"name": name, "source": src.stat().st_size, "nlvc": size, "identical": same, "video_alone": alone,
            "flac": flac, "container": stored, "bound": bound, "within": size <= bound, "seconds": seconds}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clip", type=Path, default=ROOT.parent / "shared/data/bench/foreman_cif_21f.y4m")
    ap.add_argument("--archive", type=Path, default=ROOT.parent / "shared/data/archive/Formats/AVI")
    ap.add_argument("--frames", type=int, default=10)
    ap.add_argument("--markdown", type=Path)
    args = ap.parse_args()
    with av.open(str(args.clip)) as inp:
        frames = []
        for f in inp.decode(video=0):
            f.pts = None
            frames.append(av.VideoFrame.from_ndarray(f.to_ndarray(format="rgb24"), format="rgb24"))
            if len(frames) == args.frames:
                break
    rows = []
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        for name, (container, codec, pix_fmt, sounds, timecode) in CASES.items():
            src = tmp / f"capture{SUFFIX[container]}"
            make_capture(src, frames, container, codec, pix_fmt, sounds, timecode)
            rows.append(measure(name, src, tmp))
            print(rows[-1], flush=True)
        for src in sorted(args.archive.rglob("*.avi")) if args.archive.is_dir() else []:
            rows.append(measure(f"RAWcooked {src.relative_to(args.archive).as_posix()}", src, tmp))
            print(rows[-1], flush=True)
    head = (f"{args.frames} frames {frames[0].width}x{frames[0].height} of {args.clip.name}; sound 48 kHz, a tone "
            "and a little noise per channel; every restore compared byte for byte")
    table = ["| capture | source bytes | .nlvc bytes | identical | video alone .nlvc | sound FLAC | container bytes "
             "| bound | within |", "|---|---:|---:|---|---:|---:|---:|---:|---|"]
    table += [f"| {r['name']} | {r['source']:,} | {r['nlvc']:,} | {'yes' if r['identical'] else 'NO'} | "
              f"{r['video_alone']:,} | {r['flac']:,} | {r['container']:,} | {r['bound']:,.0f} | "
              f"{'yes' if r['within'] else 'no'} |" for r in rows]
    print(head, *table, sep="\n")
    if args.markdown:
        args.markdown.write_text("\n".join([head, "", *table, ""]))
    return 0 if all(r["identical"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
