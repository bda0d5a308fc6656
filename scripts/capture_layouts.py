"""Capture and camera layouts: each one coded by NLVC and restored, its size next to FFV1's.

    .venv/bin/python scripts/capture_layouts.py [--frames 10] [--source CLIP.y4m] [--model ID]

The frames are natural video (the shared 12-bit 4:4:4 park_joy clip), brought to each layout's
depth and chroma subsampling (samples shifted down, or to 16 bits with their high bits repeated
in the low ones as a scaler does; chroma decimated; RGB layouts through BT.709).

Layouts a container written by PyAV holds (rawvideo in .mov/.avi, or the v210/r210/r10k/v410
codecs): the file is written, encoded with ``nlvc-transcode`` (``transcode.encode_file``,
default model), restored with ``nlvc-transcode x.nlvc back.<avi|mov>`` and compared with the
source byte for byte, as ``cmp`` does ("file identical"), and decoded to .mkv (FFV1 level 3,
the planar format FFV1 takes); the .nlvc and the .mkv are compared with the source frame by frame
(``nlvc verify SOURCE X``: ``verify.compare``, "frames identical"). "nlvc bytes" is the .nlvc
file, "FFV1 bytes" the restored .mkv: FFV1 on the same frames.

Layouts no container this FFmpeg writes holds (no rawvideo FourCC: nv16, p010le...): frames in
the layout are made with PyAV (``av.VideoFrame``), read into planes, coded with the GOP coder
(GOPs of the default size) and decoded, packed back into the layout and compared byte for byte
with the source frames' pictures. "nlvc bytes" is the GOP payloads, "FFV1 bytes" FFV1's packets
on the same frames (both without a container).
"""
from __future__ import annotations

import argparse
import filecmp
import subprocess
import sys
import tempfile
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from nlvc_av import presets, transcode  # noqa: E402
from nlvc_av.codec import formats as P  # noqa: E402
from nlvc_av.codec import layouts  # noqa: E402
from nlvc_av.io.frames import frame_planes, to_frame  # noqa: E402
from nlvc_av.io.mux import FFV1_OPTIONS  # noqa: E402
from nlvc_av.verify import compare  # noqa: E402

SOURCE = REPO.parent / "shared" / "data" / "formats" / "park_joy_160x90_yuv444p12_20f.y4m"
#: (layout, container, codec): a file PyAV writes and FFmpeg reads back in that layout
FILES = [("uyvy422", ".mov", "rawvideo"), ("uyvy422", ".avi", "rawvideo"), ("yuyv422", ".mov", "rawvideo"),
         ("yuyv422", ".avi", "rawvideo"), ("yvyu422", ".avi", "rawvideo"), ("y210le", ".avi", "rawvideo"),
         ("y216le", ".avi", "rawvideo"), ("nv12", ".avi", "rawvideo"), ("nv21", ".avi", "rawvideo"),
         ("xv30le", ".avi", "rawvideo"), ("yuv444p10le", ".mov", "v410"), ("yuv422p10le", ".mov", "v210"),
         ("yuv422p10le", ".avi", "v210"), ("gbrp10le", ".mov", "r210"), ("gbrp10le", ".mov", "r10k")]
#: layouts no container written by this FFmpeg holds: coded at the codec level
CODEC_ONLY = ["nv16", "nv24", "nv42", "nv20le", "p010le", "p012le", "p016le", "p210le", "p216le",
              "p410le", "p416le", "y212le", "x2rgb10le", "x2bgr10le"]


def source_frames(path: Path, count: int) -> list[list[np.ndarray]]:
    """The clip's 12-bit 4:4:4 planes [Y, U, V], ``count`` frames."""
    with av.open(str(path)) as c:
        return [[np.array(p) for p in frame_planes(f)] for f, _ in zip(c.decode(video=0), range(count))]


def in_layout(yuv: list[np.ndarray], pix_fmt: str, width: int, height: int) -> list[np.ndarray]:
    """One 12-bit 4:4:4 frame brought to ``pix_fmt``'s planes (depth, subsampling, RGB)."""
    fmt = P.lookup(pix_fmt)
    bits = fmt.bit_depth
    if fmt.family == "rgb":
        y, u, v = (p.astype(np.float64) / 16 for p in yuv)  # to 8-bit scale, limited range
        y, u, v = (y - 16) * 255 / 219, (u - 128) * 255 / 224, (v - 128) * 255 / 224
        r, g, b = y + 1.5748 * v, y - 0.1873 * u - 0.4681 * v, y + 1.8556 * u
        top = (1 << bits) - 1
        return [np.clip(np.rint(c * top / 255), 0, top).astype(fmt.dtype) for c in (g, b, r)]
    planes = [p >> (12 - bits) if bits <= 12 else (p.astype(np.uint32) << 4) | (p >> 8) for p in yuv]  # 16: bits replicated
    out = []
    for plane, (h, w) in zip(planes, P.plane_shapes(fmt, width, height)):
        sy, sx = -(-height // h), -(-width // w)
        out.append(np.ascontiguousarray(plane[::sy, ::sx][:h, :w]).astype(fmt.dtype))
    return out


def write_file(path: Path, frames, pix_fmt: str, codec: str, width: int, height: int) -> str:
    """The clip written by PyAV; the pix_fmt FFmpeg decodes it to."""
    with av.open(str(path), "w") as out:
        s = out.add_stream(codec, rate=25)
        s.width, s.height, s.pix_fmt = width, height, pix_fmt
        for i, planes in enumerate(frames):
            out.mux(s.encode(to_frame(planes, pix_fmt, width, height, pts=i)))
        out.mux(s.encode(None))
    with av.open(str(path)) as c:
        return next(c.decode(video=0)).format.name


def file_row(model, tmp: Path, yuv, layout: str, ext: str, codec: str, w: int, h: int) -> tuple:
    src = tmp / f"{layout}_{codec}{ext}"
    decoded = write_file(src, [in_layout(f, layout, w, h) for f in yuv], layout, codec, w, h)
    nlvc, back, whole = tmp / "x.nlvc", tmp / "x.mkv", tmp / f"back{ext}"
    transcode.encode_file(str(src), str(nlvc), overwrite=True, model=model)
    transcode.decode_file(str(nlvc), str(back), overwrite=True)
    same = compare(str(src), str(nlvc))[0] and compare(str(src), str(back))[0]
    restore = subprocess.run([str(Path(sys.executable).parent / "nlvc-transcode"), "-q", "-y", str(nlvc), str(whole)],
                             capture_output=True, text=True)
    if restore.returncode:
        print(f"  {src.name}: {restore.stderr.strip()}", file=sys.stderr)
    identical = not restore.returncode and filecmp.cmp(src, whole, shallow=False)  # as cmp
    name = decoded if codec == "rawvideo" else f"{codec} -> {decoded}"
    return name, ext[1:], src.stat().st_size, nlvc.stat().st_size, back.stat().st_size, same, identical


def ffv1_bytes(frames, pix_fmt: str, w: int, h: int) -> int:
    cc = av.CodecContext.create("ffv1", "w")
    cc.width, cc.height, cc.pix_fmt = w, h, pix_fmt
    cc.time_base = Fraction(1, 25)
    cc.options = dict(FFV1_OPTIONS)
    cc.open()
    total = 0
    for i, planes in enumerate(frames):
        for packet in cc.encode(to_frame(planes, pix_fmt, w, h, pts=i)):
            total += packet.size
    return total + sum(p.size for p in cc.encode(None))


def picture(frame, layout: str, w: int, h: int) -> list[bytes]:
    """The bytes of each plane's picture in a frame of ``layout`` (not its line padding)."""
    word = layouts.LAYOUTS[layout].word
    shapes = [a.shape for a in layouts.pack(layout, frame_planes(frame), w, h)]
    return [np.frombuffer(p, np.uint8).reshape(-1, p.line_size)[:rows, : words * word].tobytes()
            for p, (rows, words) in zip(frame.planes, shapes)]


def codec_row(model, yuv, layout: str, w: int, h: int) -> tuple:
    fmt = P.lookup(layout)
    made = [to_frame(in_layout(f, layout, w, h), layout, w, h) for f in yuv]  # PyAV frames in the layout
    planes = [frame_planes(f) for f in made]
    coder = transcode.make_coder(model=model, bits=fmt.bit_depth)
    gop = presets.resolve(None, None, None)[2]
    payload, same = 0, True
    for start in range(0, len(planes), gop):
        data, types = coder.encode_gop(planes[start: start + gop], fmt.coding_pix_fmt)
        payload += len(data)
        back = coder.decode_gop(data, types, fmt.coding_pix_fmt, w, h)
        for source, restored in zip(made[start: start + gop], back):
            same &= picture(source, layout, w, h) == picture(to_frame(restored, layout, w, h), layout, w, h)
    raw = sum(len(b) for f in made for b in picture(f, layout, w, h))
    return layout, "(codec)", raw, payload, ffv1_bytes(planes, fmt.coding_pix_fmt, w, h), same, None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--frames", type=int, default=10)
    ap.add_argument("--source", type=Path, default=SOURCE)
    ap.add_argument("--model", default=None, help="a registered model id (default: the current default model)")
    args = ap.parse_args()
    if not args.source.is_file():
        print(f"{args.source}: not found (the shared data folder)", file=sys.stderr)
        return 1
    yuv = source_frames(args.source, args.frames)
    h, w = yuv[0][0].shape
    model = transcode.make_coder(model=args.model, bits=10).model_id  # (the 8-bit default is the same id)
    print(f"{len(yuv)} frames {w}x{h} from {args.source.name}, model {model}\n")
    print("| layout | file | source bytes | nlvc bytes | FFV1 bytes | nlvc/FFV1 | frames identical | file identical |")
    print("|---|---|---:|---:|---:|---:|---|---|")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        jobs = [(file_row, (args.model, Path(tmp), yuv, *spec, w, h)) for spec in FILES]
        jobs += [(codec_row, (args.model, yuv, layout, w, h)) for layout in CODEC_ONLY]
        for function, job in jobs:
            name, kind, raw, nlvc, ffv1, same, whole = row = function(*job)
            rows.append(row)
            print(f"| {name} | {kind} | {raw:,} | {nlvc:,} | {ffv1:,} | {nlvc / ffv1:.3f} | {'yes' if same else 'NO'} | "
                  f"{'-' if whole is None else 'yes' if whole else 'NO'} |", flush=True)
    return 0 if all(r[5] and r[6] is not False and r[3] < r[4] for r in rows) else 1

if __name__ == "__main__":
    sys.exit(main())
