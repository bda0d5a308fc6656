"""Write the codec golden files: small ``.nlvc`` files per registered model, and their manifest.

    python tests/golden/make_codec_golden.py MODEL [MODEL ...]

For each model (a registry id, or the alias a release understood: ``shipped``, ``tiny``) and
each case below, a small clip is made in a scratch folder, encoded with the transcoder that is
importable (the current tree, or an old release put first on ``PYTHONPATH``), and written to
``tests/golden/codec/<model_id>/<case>.nlvc``. ``manifest.json`` next to them records the MD5 of
every source frame (computed here with PyAV, not by the codec) and the SHA-256 of each file.

Golden files are a promise: this script only adds files that are missing and never rewrites
one. ``tests/test_golden.py`` decodes every file listed and compares every frame's MD5.
"""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import av
import numpy as np

HERE = Path(__file__).resolve().parent
OUT = HERE / "codec"

# case -> (pix_fmt, width, height, frames, gop, groups). Odd sizes exercise the padding rules; the
# content moves by a pixel or two per frame, so the encoder chooses P-frames as well as I.
CASES = {
    "yuv420p_37x23": ("yuv420p", 37, 23, 5, 4, 2),
    "gray_32x20": ("gray", 32, 20, 4, 4, 2),
    "bgr0_24x18": ("bgr0", 24, 18, 3, 3, 2),
    "yuv420p_37x23_g1": ("yuv420p", 37, 23, 3, 3, 1),
    "yuv420p_37x23_g3": ("yuv420p", 37, 23, 3, 3, 3),
}
#: More cases for the models that code them (high-bit-depth models: token map residual-mod2^b-split-v1).
DEEP_CASES = {
    "yuv420p10le_37x23": ("yuv420p10le", 37, 23, 4, 4, 2),
    "gray16le_32x20": ("gray16le", 32, 20, 3, 3, 2),
    "gbrap12le_24x18": ("gbrap12le", 24, 18, 3, 3, 3),
}
#: A frame of 2^20 luma samples (ls-v5 and later code such large frames differently), nearly
#: flat so that the file stays small.
LARGE_CASES = {"gray_1024x1024": ("gray", 1024, 1024, 2, 2, 2)}
#: ls-v6 and later: frames that are HEVC-style predictions of one another (the block mode),
#: 9 frames in one GOP (two mini-GOPs of the hierarchical order).
BLOCK_CASES = {"yuv420p_moved_48x32": ("yuv420p", 48, 32, 9, 9, 2)}
#: ls-v8 and later: the same with HEVC's edge offset (horizontal) added to the moved luma.
OFFSET_CASES = {"yuv420p_moved_offset_48x32": ("yuv420p", 48, 32, 5, 5, 2)}
#: ls-v9 and later: test patterns of few values (value tables, the exact-value mass, a constant
#: alpha plane), 8-bit and through a non-linear table to 12 and 16 bits.
PATTERN_CASES = {"yuv420p_pattern_37x23": ("yuv420p", 37, 23, 5, 5, 2),
                 "gray16le_pattern_32x20": ("gray16le", 32, 20, 3, 3, 2),
                 "gbrap12le_pattern_24x18": ("gbrap12le", 24, 18, 3, 3, 2),
                 "gray_still_32x20": ("gray", 32, 20, 3, 3, 2)}
#: ls-v10 and later: every odd frame HEVC's average of the frames either side (B-frames, which
#: its planner finds), 18 frames: a window of 16 and one of 1.
BFRAME_CASES = {"yuv420p_bframes_48x32": ("yuv420p", 48, 32, 18, 18, 2)}
#: ls-v11 and later: the odd frames H.264's bi-prediction of their neighbours at quarter-sample
#: vectors (its 6-tap filter: the block prediction's H.264 family).
H264_CASES = {"yuv420p_h264_bframes_48x32": ("yuv420p", 48, 32, 9, 9, 2)}


def cases_for(model: str) -> dict:
    """The cases a model is asked to encode: old models only the formats they code."""
    try:
        from nlvc_av.codec import registry
        entry = registry.resolve(model)
        deep = entry.token_map in ("residual-mod2^b-split-v1", "value-window-escape-v1")
        version = registry.LS_SYNTAX_VERSIONS.get(entry.coder_params.get("syntax"), 0)
    except Exception:  # a release without the registry or the model: the 8-bit cases
        deep, version = False, 0
    return {**CASES, **(DEEP_CASES if deep else {}), **(LARGE_CASES if version >= 5 else {}),
            **(BLOCK_CASES if version >= 6 else {}), **(OFFSET_CASES if version >= 8 else {}),
            **(PATTERN_CASES if version >= 9 else {}), **(BFRAME_CASES if version >= 10 else {}),
            **(H264_CASES if version >= 11 else {})}


def still_content(pix_fmt: str, width: int, height: int, index: int) -> list[np.ndarray]:
    """The still case's frame: frame 0 of ``pattern_content`` with its box one level darker per
    frame (P-frames predicted from the frame before, not by the block prediction)."""
    planes = pattern_content(pix_fmt, width, height, 0)
    planes[0][4:12, 4:14] = planes[0][4:12, 4:14] // (1 + index)
    return planes


def pattern_content(pix_fmt: str, width: int, height: int, index: int) -> list[np.ndarray]:
    """A pattern case's frame: 16 levels through a gamma-like table to the bit depth as bars, a
    checkerboard in the lower left, a box moving two samples a frame; alpha (if any) all opaque."""
    from nlvc_av.codec import formats as P
    fmt = P.lookup(pix_fmt)
    top = (1 << fmt.bit_depth) - 1
    levels = np.round((np.arange(16) / 15.0) ** 0.45 * top).astype(np.int64)
    out = []
    for k, (h, w) in enumerate(P.plane_shapes(fmt, width, height)):
        if k == 3:
            out.append(np.full((h, w), top, np.int64))
            continue
        yy, xx = np.mgrid[:h, :w]
        idx = (xx * 8 // w + k) % 16
        idx[h // 2:, :w // 2] = ((yy + xx) % 2 * 7 + 3)[h // 2:, :w // 2]
        s = round(width / w)
        idx[4 // s:12 // s, (2 * index + 4) // s:(2 * index + 14) // s] = 15 - k
        out.append(levels[idx])
    return [p.astype(np.uint8 if fmt.bit_depth == 8 else np.uint16) for p in out]


def offset_content(pix_fmt: str, width: int, height: int, index: int) -> list[np.ndarray]:
    """An offset case's frame: ``moved_content`` with HEVC's horizontal edge offset on the luma
    of the moved frames (+2 at local minima, +1 at concave corners, -1 convex, -2 maxima; the
    first and last columns unchanged), as an HEVC decoder's SAO adds it."""
    planes = moved_content(pix_fmt, width, height, index)
    if index == 0:
        return planes
    y = planes[0].astype(np.int64)
    mid, left, right = y[:, 1:-1], y[:, :-2], y[:, 2:]
    edge = 2 + np.sign(mid - left) + np.sign(mid - right)
    offset = np.array([2, 1, 0, -1, -2])[edge]
    y[:, 1:-1] = np.clip(mid + offset, 0, 255)
    return [y.astype(np.uint8)] + planes[1:]


def moved_content(pix_fmt: str, width: int, height: int, index: int) -> list[np.ndarray]:
    """A block case's frame: the textured first frame moved by (index, 3 index) quarter pels
    with HEVC's 8-tap and 4-tap filters (numpy, edges replicated), one noisy 8x8 block."""
    first = content("yuv420p", width, height, 0)
    if index == 0:
        return first
    taps = {2: np.array([[0, 0, 0, 64, 0, 0, 0, 0], [-1, 4, -10, 58, 17, -5, 1, 0],
                         [-1, 4, -11, 40, 40, -11, 4, -1], [0, 1, -5, 17, 58, -10, 4, -1]]),
            3: np.array([[0, 64, 0, 0], [-2, 58, 10, -2], [-4, 54, 16, -2], [-6, 46, 28, -4],
                         [-4, 36, 36, -4], [-4, 28, 46, -6], [-2, 16, 54, -4], [-2, 10, 58, -2]])}
    out = []
    for k, plane in enumerate(first):
        frac = 2 if k == 0 else 3
        t = taps[frac]
        n, off = t.shape[1], t.shape[1] // 2 - 1
        p = np.pad(plane.astype(np.int64), 16, mode="edge")
        vy, vx = index, 3 * index          # quarter luma pels = eighth chroma samples
        fy, fx = vy & ((1 << frac) - 1), vx & ((1 << frac) - 1)
        iy, ix = vy >> frac, vx >> frac
        h, w = plane.shape

        def win(dy, dx, hh):
            return p[16 + iy + dy:16 + iy + dy + hh, 16 + ix + dx:16 + ix + dx + w]

        # 8 bits: HEVC's first shift is 0 and the intermediate is the samples << 6
        rows = sum(t[fx, j] * win(-off, j - off, h + n - 1) for j in range(n)) if fx else win(-off, 0, h + n - 1) << 6
        inter = sum(t[fy, j] * rows[j:j + h] for j in range(n)) >> 6 if fy else rows[off:off + h]
        moved = np.clip((inter + 32) >> 6, 0, 255).astype(np.uint8)
        if k == 0:
            moved[8:16, 8:16] = np.random.default_rng(index).integers(0, 256, (8, 8))
        out.append(moved)
    return out


def bframe_content(pix_fmt: str, width: int, height: int, index: int) -> list[np.ndarray]:
    """A B-frame case's frame: ``moved_content``'s frame index / 2 at even indices; at odd ones
    HEVC's bi-prediction of the two either side at vector 0 (their average, rounded up)."""
    if index % 2 == 0:
        return moved_content(pix_fmt, width, height, index // 2)
    a, b = (moved_content(pix_fmt, width, height, index // 2 + d) for d in (0, 1))
    return [((x.astype(np.int64) + y + 1) >> 1).astype(np.uint8) for x, y in zip(a, b)]


def h264_content(pix_fmt: str, width: int, height: int, index: int) -> list[np.ndarray]:
    """An H.264 case's frame: at even indices a smoothed-noise texture panning by 2 samples a
    frame with noise of its own; at odd ones H.264's bi-prediction of the two either side at
    (1, 2) and (-1, 2) quarter luma samples (nlvc's h264pred, checked against the standard in
    tests/test_adaptive_v10.py)."""
    from nlvc_av.codec.adaptive import h264pred

    def even(i):
        rng = np.random.default_rng(100)
        base = rng.integers(0, 256, (height + 8, width + 4 * 12)).astype(np.float64)
        for _ in range(2):
            base = (base + np.roll(base, 1, 0) + np.roll(base, 1, 1) + np.roll(base, (1, 1), (0, 1))) / 4
        noise = np.random.default_rng(i).integers(-6, 7, (height, width))
        y = np.clip(base[4:4 + height, 2 * i:2 * i + width] + noise, 0, 255).astype(np.int64)
        return [y, y[::2, ::2] // 2 + 60, 200 - y[1::2, 1::2] // 3]

    def moved(plane, vy, vx, chroma):
        out = np.zeros(plane.shape, np.int64)
        h264pred.interpolate(np.ascontiguousarray(plane, np.int32), 0, 0, plane.shape[0], plane.shape[1], vy, vx,
                             chroma, 0, 255, out)
        return out

    if index % 2 == 0:
        return [p.astype(np.uint8) for p in even(index)]
    return [((moved(x, 1, 2, k > 0) + moved(y, -1, 2, k > 0) + 1) >> 1).astype(np.uint8)
            for k, (x, y) in enumerate(zip(even(index - 1), even(index + 1)))]


def large_content(pix_fmt: str, width: int, height: int, index: int) -> list[np.ndarray]:
    """A large case's frame: a flat field, a ramp patch and a block that moves each frame."""
    luma = np.full((height, width), 128, np.uint8)
    luma[100:228, 100:356] = (np.arange(256) // 2 + 40).astype(np.uint8)
    luma[400 + 3 * index:520 + 3 * index, 500 + 5 * index:700 + 5 * index] = 60
    return [luma]


def deep_planes(pix_fmt: str, width: int, height: int, index: int) -> list[np.ndarray]:
    """A >8-bit case: the 8-bit texture scaled up, with noise in the low bits; alpha last."""
    from nlvc_av.codec import formats as P
    fmt = P.lookup(pix_fmt)
    shift = fmt.bit_depth - 8
    luma8 = content("gray", width, height, index)[0].astype(np.int64)
    low = np.random.default_rng(100 + index).integers(0, 1 << shift, luma8.shape)
    luma = (luma8 << shift) + low
    out = []
    for k, (h, w) in enumerate(P.plane_shapes(fmt, width, height)):
        step = max(1, width // w)
        out.append(np.clip(luma[::step, ::step][:h, :w] + (k * 40 << shift), 0, (1 << fmt.bit_depth) - 1)
                   .astype(np.uint16))
    return out


def write_deep_clip(path: Path, pix_fmt: str, width: int, height: int, frames: int, make=None) -> list[str]:
    """An FFV1/Matroska clip of a >8-bit planar format (frames of ``make``, by default
    ``deep_planes``); the MD5 of each frame as PyAV reads it back (planes in order, samples as
    two little-endian bytes)."""
    make = make or deep_planes
    with av.open(str(path), "w") as out:
        vs = out.add_stream("ffv1", rate=25)
        vs.width, vs.height, vs.pix_fmt = width, height, pix_fmt
        for i in range(frames):
            frame = av.VideoFrame(width, height, pix_fmt)
            for plane, src in zip(frame.planes, make(pix_fmt, width, height, i)):
                dst = np.frombuffer(plane, "<u2").reshape(-1, plane.line_size // 2)
                dst[:src.shape[0], :src.shape[1]] = src
            frame.pts = i
            out.mux(vs.encode(frame))
        out.mux(vs.encode())
    md5s = []
    shapes = [p.shape for p in make(pix_fmt, width, height, 0)]
    with av.open(str(path)) as c:
        for frame in c.decode(video=0):
            h = hashlib.md5()
            for pl, (ph, pw) in zip(frame.planes, shapes):
                h.update(np.frombuffer(pl, "<u2").reshape(-1, pl.line_size // 2)[:ph, :pw].tobytes())
            md5s.append(h.hexdigest())
    return md5s


def content(pix_fmt: str, width: int, height: int, index: int) -> list[np.ndarray]:
    """Planes of frame ``index`` in coding order: textured, shifted per frame, a little noise."""
    rng = np.random.default_rng(1234)
    big = rng.integers(0, 256, (height + 16, width + 16)).astype(np.float64)
    for _ in range(3):  # smooth it into texture
        big = (big + np.roll(big, 1, 0) + np.roll(big, 1, 1) + np.roll(big, (1, 1), (0, 1))) / 4
    noise = np.random.default_rng(index).integers(-2, 3, big.shape)
    shifted = np.roll(big, (index, 2 * index), (0, 1)) + noise
    luma = np.clip(shifted[:height, :width], 0, 255).astype(np.uint8)
    if pix_fmt == "gray":
        return [luma]
    if pix_fmt == "yuv420p":
        ch, cw = -(-height // 2), -(-width // 2)
        u = np.clip(luma[::2, ::2][:ch, :cw].astype(int) // 2 + 64, 0, 255).astype(np.uint8)
        v = np.clip(255 - luma[::2, ::2][:ch, :cw].astype(int) // 3, 0, 255).astype(np.uint8)
        return [luma, u, v]
    # bgr0: coded G, B, R
    return [luma, (luma // 2 + 100).astype(np.uint8), (255 - luma).astype(np.uint8)]


def write_clip(path: Path, pix_fmt: str, width: int, height: int, frames: int, make=content) -> list[str]:
    """An FFV1/Matroska clip; returns the MD5 of each frame as PyAV reads it back."""
    with av.open(str(path), "w") as out:
        vs = out.add_stream("ffv1", rate=25)
        vs.width, vs.height, vs.pix_fmt = width, height, pix_fmt
        for i in range(frames):
            planes = make(pix_fmt, width, height, i)
            frame = av.VideoFrame(width, height, pix_fmt)
            if pix_fmt == "bgr0":
                packed = np.zeros((height, width, 4), np.uint8)
                packed[..., 1], packed[..., 0], packed[..., 2] = planes  # G, B, R
                dst = np.frombuffer(frame.planes[0], np.uint8).reshape(-1, frame.planes[0].line_size)
                dst[:height, :width * 4] = packed.reshape(height, -1)
            else:
                for plane, src in zip(frame.planes, planes):
                    dst = np.frombuffer(plane, np.uint8).reshape(-1, plane.line_size)
                    dst[:src.shape[0], :src.shape[1]] = src
            frame.pts = i
            out.mux(vs.encode(frame))
        out.mux(vs.encode())
    md5s = []
    with av.open(str(path)) as c:
        for frame in c.decode(video=0):
            h = hashlib.md5()
            if pix_fmt == "bgr0":
                pl = frame.planes[0]
                pix = np.frombuffer(pl, np.uint8).reshape(-1, pl.line_size)[:height, :width * 4]
                pix = pix.reshape(height, width, 4)
                for c_ in (1, 0, 2):
                    h.update(np.ascontiguousarray(pix[:, :, c_]).tobytes())
            else:
                for k, pl in enumerate(frame.planes):
                    ph = height if k == 0 else -(-height // 2)
                    pw = width if k == 0 else -(-width // 2)
                    h.update(np.frombuffer(pl, np.uint8).reshape(-1, pl.line_size)[:ph, :pw].tobytes())
            md5s.append(h.hexdigest())
    return md5s


def main(models: list[str]) -> int:
    import nlvc_av
    from nlvc_av.transcode import encode_file

    import container

    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                cwd=Path(nlvc_av.__file__).parent).stdout.strip()
    except OSError:
        commit = ""
    for model in models:
        with tempfile.TemporaryDirectory() as tmp:
            for case, (pix_fmt, width, height, frames, gop, groups) in cases_for(model).items():
                src = Path(tmp) / f"{case}.mkv"
                if case in DEEP_CASES:
                    md5s = write_deep_clip(src, pix_fmt, width, height, frames)
                elif case in PATTERN_CASES and pix_fmt not in ("yuv420p", "gray"):
                    md5s = write_deep_clip(src, pix_fmt, width, height, frames, pattern_content)
                else:
                    make = (large_content if case in LARGE_CASES else moved_content if case in BLOCK_CASES
                            else offset_content if case in OFFSET_CASES else bframe_content
                            if case in BFRAME_CASES else h264_content if case in H264_CASES else still_content
                            if case == "gray_still_32x20" else pattern_content if case in PATTERN_CASES else content)
                    md5s = write_clip(src, pix_fmt, width, height, frames, make)
                coded = Path(tmp) / f"{case}.nlvc"
                encode_file(str(src), str(coded), gop=gop, groups=groups, model=model)
                with container.open(str(coded), "r") as r:
                    model_id = r.codec_setup.model_id
                    types = "".join(c.frame_types for c in r.iter_clusters())
                folder = OUT / model_id
                folder.mkdir(parents=True, exist_ok=True)
                dst = folder / f"{case}.nlvc"
                manifest_path = folder / "manifest.json"
                manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
                if dst.exists() or case in manifest:
                    print(f"keep {dst} (golden files are never rewritten)")
                    continue
                data = coded.read_bytes()
                dst.write_bytes(data)
                manifest[case] = {
                    "file": dst.name, "sha256": hashlib.sha256(data).hexdigest(), "pix_fmt": pix_fmt,
                    "width": width, "height": height, "groups": groups, "frame_types": types, "frame_md5": md5s,
                    "written_by": f"nlvc {nlvc_av.__version__}" + (f" (commit {commit})" if commit else ""),
                }
                manifest_path.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
                print(f"wrote {dst} ({len(data)} bytes, frames {types})")
    return 0


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1:]))
