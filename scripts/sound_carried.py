"""Every WAV and AIFF PCM flavour of RAWcooked's collection carried in a capture: each sound
file's packets copied by PyAV into a QuickTime (.mov) and a Matroska (.mkv) file beside a small
uncompressed video (uyvy422), encoded to .nlvc, then restored: the whole capture byte for byte
(``cmp``) where the .nlvc keeps it whole, and the FFV1/Matroska viewing copy's sound decoded
and compared sample for sample with the source's. A flavour the container cannot hold is said
(PyAV refuses to write it); an encode that refuses must say why, never exit 0 with something it
cannot give back.

    python scripts/sound_carried.py ../shared/data/archive/Formats [--markdown docs/SOUND_CARRIED.md]
"""
from __future__ import annotations

import argparse
import collections
import sys
import tempfile
import time
from pathlib import Path

import av
import numpy as np

from nlvc_av.errors import NlvcError
from nlvc_av.io.carried import channel_layout
from nlvc_av.transcode import decode_file, encode_file

SOUND = (".wav", ".aif", ".aiff", ".aifc")
CONTAINERS = ("mov", "mkv")
RATE = 5  # video frames per second: a few frames cover each sound


def matroska_twin(codec: str) -> str | None:
    """The PCM codec Matroska holds for the same samples (it has little-endian integers and floats,
    8 bits unsigned): pcm_f32be -> pcm_f32le; None when ``codec`` is one it holds."""
    if codec.endswith("be"):
        return codec[:-2] + "le"
    return "pcm_u8" if codec == "pcm_s8" else None


def capture(sound: Path, out: Path, container: str, recode: str | None = None) -> str:
    """``out``: the sound's packets (or its samples coded as ``recode``) and a uyvy422 video as
    long as the sound; the PCM codec it holds."""
    with av.open(str(sound)) as inp:
        a = inp.streams.audio[0]
        codec = recode or a.codec_context.name
        seconds = float(a.duration * a.time_base) if a.duration else 1.0
        frames = max(1, int(np.ceil(seconds * RATE)))
        with av.open(str(out), "w", format={"mov": "mov", "mkv": "matroska"}[container]) as o:
            v = o.add_stream("rawvideo", rate=RATE)
            v.width, v.height, v.pix_fmt = 16, 8, "uyvy422"
            if recode:
                channels, name = channel_layout(a.codec_context)  # (8 channels: io/carried.py)
                sa = o.add_stream(recode, rate=a.rate, layout=name if "(" not in name else f"{channels}C")
            else:
                sa = o.add_stream_from_template(a)
            rng = np.random.default_rng(len(sound.name))
            for k in range(frames):
                picture = av.VideoFrame.from_ndarray(rng.integers(0, 255, (8, 16, 3), np.uint8), format="rgb24")
                for p in v.encode(picture.reformat(format="uyvy422")):
                    o.mux(p)
            for p in v.encode(None):
                o.mux(p)
            if recode:
                for fr in inp.decode(a):
                    fr.pts = None
                    o.mux(sa.encode(fr))
                o.mux(sa.encode(None))
                return codec
            for p in inp.demux(a):
                if p.size:
                    p.stream = sa
                    o.mux(p)
    return codec


def samples(path: Path) -> np.ndarray:
    """Every sample of the first sound stream, interleaved, in the decoder's own format."""
    parts = []
    with av.open(str(path)) as f:
        stream = f.streams.audio[0]
        channels, _ = channel_layout(stream.codec_context)  # (the copy bug of 8-channel layouts: io/carried.py)
        for fr in f.decode(stream):
            fmt = fr.format
            dtype = np.dtype({"u8": "u1", "s16": "<i2", "s32": "<i4", "s64": "<i8", "flt": "<f4",
                              "dbl": "<f8"}[fmt.name.rstrip("p")])
            if fmt.is_planar:
                planes = [np.frombuffer(bytes(pl), dtype)[:fr.samples] for pl in fr.planes]
                parts.append(np.stack(planes, 1).reshape(-1))
            else:
                parts.append(np.frombuffer(bytes(fr.planes[0]), dtype)[:fr.samples * channels])
    return np.concatenate(parts) if parts else np.zeros(0)


def one(sound: Path, container: str, tmp: Path) -> tuple[str, str, int, int]:
    """(result, detail, source bytes, .nlvc bytes) of one sound in one container."""
    src, nlvc = tmp / f"c.{container}", tmp / "c.nlvc"
    for p in (src, nlvc, tmp / f"back.{container}", tmp / "view.mkv"):
        p.unlink(missing_ok=True)
    try:
        with av.open(str(sound)) as inp:
            original = inp.streams.audio[0].codec_context.name
    except (av.FFmpegError, IndexError) as err:
        return "not readable", f"FFmpeg cannot read it ({type(err).__name__}); a package keeps it (io/wav.py)", 0, 0
    try:
        codec = capture(sound, src, container)
    except (av.FFmpegError, ValueError) as err:
        twin = matroska_twin(original) if container == "mkv" else None
        if twin is None:
            return "not writable", f"PyAV cannot write it in .{container}: {err}", 0, 0
        codec = capture(sound, src, container, twin) + f" (the same samples: Matroska holds no {original})"
    try:
        encode_file(src, nlvc)
    except NlvcError as err:
        return "refused", f"{codec}: {err}", src.stat().st_size, 0
    kept = False
    try:
        decode_file(nlvc, tmp / f"back.{container}")
        kept = (tmp / f"back.{container}").read_bytes() == src.read_bytes()
        decode_file(nlvc, tmp / "view.mkv", playback=True)
    except NlvcError as err:
        return "LOST", f"{codec}: encoded with exit 0 but not restored: {err}", src.stat().st_size, nlvc.stat().st_size
    same = np.array_equal(samples(src), samples(tmp / "view.mkv"))
    result = ("identical file, same samples" if kept else "same samples") if same else "SAMPLES DIFFER"
    return result, codec, src.stat().st_size, nlvc.stat().st_size


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("root", type=Path, help="RAWcooked's Formats folder (its WAV/ and AIFF/)")
    ap.add_argument("--markdown", type=Path, help="write the table here")
    args = ap.parse_args()
    sounds = sorted(p for p in args.root.rglob("*") if p.suffix.lower() in SOUND and p.is_file())
    rows, counts, start = [], collections.Counter(), time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        for sound in sounds:
            for container in CONTAINERS:
                result, detail, size, coded = one(sound, container, Path(tmp))
                counts[container, result] += 1
                rows.append((sound.relative_to(args.root).as_posix(), container, result, detail, size, coded))
                print(f"{rows[-1][0]} .{container}: {result} ({detail}) {size:,} -> {coded:,} B", flush=True)
    bad = sum(n for (c, r), n in counts.items() if r in ("LOST", "SAMPLES DIFFER"))
    summary = [f"{len(sounds)} sound files x {len(CONTAINERS)} containers in {time.monotonic() - start:.0f} s"]
    summary += [f".{c}: {r}: {n}" for (c, r), n in sorted(counts.items())]
    print("\n".join(summary))
    if args.markdown:
        lines = ["| sound file | container | result | PCM codec or reason | capture bytes | .nlvc bytes |",
                 "|---|---|---|---|---:|---:|"]
        lines += [f"| {a} | .{b} | {c} | {d} | {e:,} | {f:,} |" for a, b, c, d, e, f in rows]
        intro = ["# WAV and AIFF flavours carried in captures (MOV, MKV)", "",
                 "Written by `python scripts/sound_carried.py ../shared/data/archive/Formats --markdown "
                 "docs/SOUND_CARRIED.md` (do not edit by hand). Each sound file's packets are copied by PyAV "
                 "into a .mov and a .mkv beside a 16x8 uyvy422 video, encoded with `nlvc-transcode`, "
                 "restored to its own container (compared byte for byte: \"identical file\") and to the "
                 "FFV1/Matroska viewing copy (`--playback` for a .mkv), whose sound is decoded and compared "
                 "sample for sample with the capture's (\"same samples\"). Matroska holds no big-endian or "
                 "signed 8-bit PCM: those samples go in as the little-endian (unsigned) codec FFmpeg's "
                 "Matroska muxer takes. \"not writable\": FFmpeg writes no such PCM in that container "
                 "(64-bit integers); \"not readable\": FFmpeg cannot read the WAV (a package keeps it: "
                 "docs/SOUND.md).", ""]
        args.markdown.write_text("\n".join([*intro, "```", *summary, "```", "", *lines, ""]))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
