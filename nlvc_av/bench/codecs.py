"""The codecs ``nlvc bench`` compares, and the worker that runs one phase of one of them.

Each (clip, codec) pair is measured in two phases, **encode** and **decode**, and by default each
phase runs in its own fresh Python process (``python -m nlvc_av.bench.codecs JOB RESULT``), so its
peak memory is that process's own high-water mark (``getrusage(RUSAGE_SELF).ru_maxrss``; psutil's
peak working set where ``resource`` is missing) or, when larger, the peak of its resident size
plus its worker processes' (NLVC's GOP pool), sampled every 50 ms (TreePeak). That figure is the whole process: interpreter,
numpy, PyAV/FFmpeg (and torch for NLVC), plus for the classical codecs the source frames they are
fed from memory. ``base_rss`` is the resident size just before the timed work starts.

Timing covers the codec's work only (perf_counter wall time):

- NLVC: ``nlvc_av.transcode.encode_file`` (y4m in -> .nlvc) and ``decode_file`` (.nlvc -> y4m), the
  real transcoder path. torch and the model code are imported before the clock starts; reading
  the y4m source and writing the y4m output are inside the clock (a memcpy next to the coder).
- FFV1 / x264 / x265 (PyAV): the ``encode``/``mux`` calls (source frames are in memory), and the
  demux + decode calls when decoding; turning planes into frames and hashing are outside.
- JPEG XL (imagecodecs): the ``jpegxl_encode``/``jpegxl_decode`` calls, one grey image per plane.

Sizes: ``bytes`` is what a user would store: the ``.nlvc`` file; the Matroska file for the PyAV
codecs (container overhead included); for JPEG XL the sum of the bare codestreams (no container,
no per-plane index). ``stream_bytes`` is the coded payload alone (packet sizes; NLVC cluster
payloads), so ``bytes - stream_bytes`` is the container overhead.

Exactness: every decoded frame is hashed (:func:`nlvc_av.codec.formats.frame_md5`, the planes in the
source's native pixel format) and compared with the source frame's hash.

The FFmpeg encoders and decoders are driven through :mod:`nlvc_av.io` (the one package that
imports ``av``): ``MatroskaVideoWriter`` and ``decode_all_planes``.
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path

from .memory import TreePeak, current_rss, peak_rss

__all__ = ["CodecSpec", "X26X_PRESETS", "parse_codecs", "unavailable_reason", "run_phase", "peak_rss", "current_rss",
           "TreePeak"]

X26X_PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower",
                "veryslow", "placebo")
JPEGXL_EFFORT = 7
DEFAULT_CODECS = ("nlvc", "nlvc-intra", "ffv1", "x264-veryslow", "x264-medium", "x265-veryslow",
                  "x265-medium", "jpegxl")


@dataclass(frozen=True)
class CodecSpec:
    """One codec configuration: ``key`` is stable (JSON, scripts), ``label`` is for people."""

    key: str
    label: str
    family: str  # "nlvc" | "ffv1" | "x264" | "x265" | "jpegxl"
    params: dict = field(default_factory=dict, hash=False, compare=False)


def _nlvc_spec(groups: int, gop: int | None, intra: bool) -> CodecSpec:
    if intra:
        return CodecSpec(f"nlvc-g{groups}-intra", f"NLVC G={groups} all-intra", "nlvc",
                         {"groups": groups, "gop": 1})
    if gop is None:
        try:
            from ..transcode import DEFAULT_GOP
            label = f"NLVC G={groups} GOP {DEFAULT_GOP}"
        except ImportError:
            label = f"NLVC G={groups}"
        return CodecSpec(f"nlvc-g{groups}", label, "nlvc", {"groups": groups, "gop": None})
    return CodecSpec(f"nlvc-g{groups}-gop{gop}", f"NLVC G={groups} GOP {gop}", "nlvc",
                     {"groups": groups, "gop": gop})


def parse_codecs(names: str | list[str] | tuple[str, ...], groups: list[int], gop: int | None) -> list[CodecSpec]:
    """Codec names (comma-separated, repeatable) -> specs, in the order given, without repeats.

    ``nlvc`` (default GOP, or ``gop``) and ``nlvc-intra`` (GOP 1) expand to one spec per G in
    ``groups``; ``x264``/``x265`` alone mean presets veryslow and medium; ``all`` is the default set.
    """
    if isinstance(names, str):
        names = [names]
    tokens = [t.strip().lower() for n in names for t in n.split(",") if t.strip()]
    specs: list[CodecSpec] = []
    for tok in tokens:
        if tok == "all":
            new = parse_codecs(list(DEFAULT_CODECS), groups, gop)
        elif tok in ("nlvc", "ours"):
            new = [_nlvc_spec(g, gop, False) for g in groups]
        elif tok in ("nlvc-intra", "ours-intra"):
            new = [_nlvc_spec(g, None, True) for g in groups]
        elif tok == "ffv1":
            new = [CodecSpec("ffv1", "FFV1 level 3", "ffv1", {})]
        elif tok in ("x264", "x265"):
            new = parse_codecs([f"{tok}-veryslow", f"{tok}-medium"], groups, gop)
        elif tok[:5] in ("x264-", "x265-") and tok[5:] in X26X_PRESETS:
            fam, preset = tok[:4], tok[5:]
            what = "qp=0" if fam == "x264" else "lossless"
            new = [CodecSpec(tok, f"{fam} {what} {preset}", fam, {"preset": preset})]
        elif tok in ("jpegxl", "jxl"):
            new = [CodecSpec("jpegxl", f"JPEG XL lossless e{JPEGXL_EFFORT}", "jpegxl", {"effort": JPEGXL_EFFORT})]
        else:
            raise ValueError(
                f"unknown codec {tok!r} (use nlvc, nlvc-intra, ffv1, x264[-PRESET], x265[-PRESET], "
                f"jpegxl or all; presets: {', '.join(X26X_PRESETS)})")
        specs += [s for s in new if s.key not in {k.key for k in specs}]
    return specs


def unavailable_reason(spec: CodecSpec) -> str | None:
    """Why ``spec`` cannot run on this installation (``None`` when it can)."""
    if spec.family == "jpegxl":
        try:
            import imagecodecs
        except ImportError:
            return "imagecodecs is not installed (pip install .[bench])"
        if not imagecodecs.JPEGXL.available:
            return "imagecodecs was built without JPEG XL"
        return None
    if spec.family in ("ffv1", "x264", "x265"):
        from ..io.peers import has_encoder
        name = {"ffv1": "ffv1", "x264": "libx264", "x265": "libx265"}[spec.family]
        if not has_encoder(name):
            return f"this FFmpeg (PyAV) has no {name} encoder"
        return None
    try:
        from .. import transcode  # noqa: F401
    except ImportError as err:
        return f"nlvc_av.transcode is not importable ({err})"
    return None


def _cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system


def _load_frames(path: str) -> tuple[object, list]:
    from ..io.demux import iter_video_planes
    info, frames = iter_video_planes(path)
    return info, list(frames)


def _check(decoded_md5: list[str], ref_md5: list[str]) -> dict:
    bad = [i for i, (a, b) in enumerate(zip(decoded_md5, ref_md5)) if a != b]
    exact = not bad and len(decoded_md5) == len(ref_md5)
    return {"exact": exact, "decoded_frames": len(decoded_md5), "mismatched_frames": bad[:50],
            "mismatch_count": len(bad) + abs(len(decoded_md5) - len(ref_md5))}


def _pyav_setup(spec: CodecSpec, pix_fmt: str) -> tuple[str, dict, str]:
    """(encoder name, options, the pix_fmt fed to it) for a PyAV codec and a source format."""
    from ..codec import formats as P
    fmt = P.lookup(pix_fmt)
    if spec.family == "ffv1":
        from ..io.mux import FFV1_OPTIONS, FFV1_RGB_PIX_FMT
        return "ffv1", dict(FFV1_OPTIONS), FFV1_RGB_PIX_FMT if fmt.family == "rgb" else fmt.name
    preset = spec.params["preset"]
    if spec.family == "x264":
        if fmt.family == "rgb":  # libx264rgb codes packed RGB losslessly
            return "libx264rgb", {"qp": "0", "preset": preset}, "bgr24"
        return "libx264", {"qp": "0", "preset": preset}, fmt.name
    return "libx265", {"preset": preset, "x265-params": "lossless=1:log-level=error"}, fmt.coding_pix_fmt


# --------------------------------------------------------------------------- phases


def _encode_pyav(spec: CodecSpec, job: dict) -> dict:
    from ..io.peers import MatroskaVideoWriter
    info, frames = _load_frames(job["source"])
    name, options, feed_fmt = _pyav_setup(spec, info.pix_fmt)
    rate = info.frame_rate or Fraction(25)
    base = current_rss()
    cpu0, seconds, stream_bytes = _cpu_seconds(), 0.0, 0
    t0 = time.perf_counter()
    writer = MatroskaVideoWriter(job["coded"], name, options, info.width, info.height, feed_fmt,
                                       rate, int(job.get("threads") or 0) or None)
    for planes in frames + [None]:
        stream_bytes += writer.encode(planes)
    writer.close()
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "cpu_seconds": _cpu_seconds() - cpu0, "base_rss": base,
            "bytes": os.path.getsize(job["coded"]), "stream_bytes": stream_bytes,
            "encoder": name, "options": options, "coded_pix_fmt": feed_fmt}


def _decode_pyav(spec: CodecSpec, job: dict) -> dict:
    from ..codec import formats as P
    from ..io.peers import decode_all_planes
    base = current_rss()
    cpu0, md5 = _cpu_seconds(), []
    t0 = time.perf_counter()
    for planes in decode_all_planes(job["coded"], int(job.get("threads") or 0) or None):
        md5.append(P.frame_md5(planes))
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "cpu_seconds": _cpu_seconds() - cpu0, "base_rss": base,
            "md5": [m.hex() for m in md5]}


def _encode_jpegxl(spec: CodecSpec, job: dict) -> dict:
    import imagecodecs
    _, frames = _load_frames(job["source"])
    threads = int(job.get("threads") or 0) or None
    base = current_rss()
    cpu0, seconds, sizes = _cpu_seconds(), 0.0, []
    with open(job["coded"], "wb") as f:
        for planes in frames:
            for plane in planes:
                t0 = time.perf_counter()
                data = imagecodecs.jpegxl_encode(plane, lossless=True, effort=spec.params["effort"],
                                                 numthreads=threads)
                seconds += time.perf_counter() - t0
                sizes.append(len(data))
                f.write(len(data).to_bytes(4, "little") + data)
    total = sum(sizes)
    return {"seconds": seconds, "cpu_seconds": _cpu_seconds() - cpu0, "base_rss": base,
            "bytes": total, "stream_bytes": total, "planes_per_frame": len(frames[0]) if frames else 0}


def _decode_jpegxl(spec: CodecSpec, job: dict) -> dict:
    import imagecodecs
    import numpy as np
    from ..codec import formats as P
    threads = int(job.get("threads") or 0) or None
    nplanes = int(job["encode"]["planes_per_frame"])
    data = Path(job["coded"]).read_bytes()
    base = current_rss()
    cpu0, seconds, md5, pos, planes = _cpu_seconds(), 0.0, [], 0, []
    while pos < len(data):
        n = int.from_bytes(data[pos:pos + 4], "little")
        chunk = data[pos + 4:pos + 4 + n]
        pos += 4 + n
        t0 = time.perf_counter()
        plane = imagecodecs.jpegxl_decode(chunk, numthreads=threads)
        seconds += time.perf_counter() - t0
        planes.append(np.ascontiguousarray(plane))  # any other dtype or shape fails the MD5 check
        if len(planes) == nplanes:
            md5.append(P.frame_md5(planes).hex())
            planes = []
    return {"seconds": seconds, "cpu_seconds": _cpu_seconds() - cpu0, "base_rss": base, "md5": md5}


def _prepare_nlvc(job: dict) -> dict:
    """Import what the NLVC coder needs before the clock starts (torch, the model code); the
    keyword arguments for the transcoder (``model``: the hidden test model; ``threads``)."""
    from .. import transcode  # noqa: F401
    from ..codec import gop  # noqa: F401
    from ..codec.nets import lattice_v1  # noqa: F401  (imports torch)
    kwargs = {}
    if job.get("model") and job["phase"] == "encode":
        kwargs["model"] = job["model"]
    if job.get("threads"):
        kwargs["threads"] = int(job["threads"])
    return kwargs


def _nlvc_payload_bytes(path: str) -> tuple[int | None, int | None]:
    try:
        import container
        with container.open(path, "r") as r:
            gop = r.codec_setup.gop_size
            return sum(len(c.payload) for c in r.iter_clusters()), gop
    except Exception:
        return None, None


def _encode_nlvc(spec: CodecSpec, job: dict) -> dict:
    kwargs = _prepare_nlvc(job)
    from ..transcode import encode_file
    kwargs.update(groups=spec.params["groups"], overwrite=True, progress=False)
    if spec.params.get("gop") is not None:
        kwargs["gop"] = spec.params["gop"]
    base = current_rss()
    cpu0, t0 = _cpu_seconds(), time.perf_counter()
    stats = encode_file(job["source"], job["coded"], **kwargs)
    seconds = time.perf_counter() - t0
    cpu = _cpu_seconds() - cpu0
    payload, gop = _nlvc_payload_bytes(job["coded"])
    result = {"seconds": seconds, "cpu_seconds": cpu, "base_rss": base,
              "bytes": os.path.getsize(job["coded"]), "stream_bytes": payload, "gop": gop}
    if isinstance(stats, dict):
        result["transcoder_stats"] = {k: v for k, v in stats.items() if isinstance(v, (int, float, str))}
    elif stats is not None and hasattr(stats, "__dataclass_fields__"):
        result["transcoder_stats"] = {k: v for k, v in asdict(stats).items() if isinstance(v, (int, float, str))}
    return result


def _decode_nlvc(spec: CodecSpec, job: dict) -> dict:
    kwargs = _prepare_nlvc(job)
    from ..codec import formats as P
    from ..io.demux import iter_video_planes
    from ..transcode import decode_file
    out = str(Path(job["coded"]).with_suffix(".decoded" + Path(job["source"]).suffix))
    base = current_rss()
    cpu0, t0 = _cpu_seconds(), time.perf_counter()
    decode_file(job["coded"], out, overwrite=True, **kwargs)
    seconds = time.perf_counter() - t0
    cpu = _cpu_seconds() - cpu0
    _, frames = iter_video_planes(out)
    md5 = [P.frame_md5(planes).hex() for planes in frames]
    os.unlink(out)
    return {"seconds": seconds, "cpu_seconds": cpu, "base_rss": base, "md5": md5}


#: Frames of the untimed warm-up: an I-frame and two mini-GOPs of 4. One mini-GOP left the
#: block prediction's kernels to foreman's timed encode (it tries them from frame 8 on: 2.7 s of
#: compiling, 1.25 instead of 1.49 f/s); content that reaches a kernel only later still compiles
#: it inside the clock.
WARMUP_FRAMES = 9


def _warm_nlvc(spec: CodecSpec, job: dict) -> dict:
    """Encode and decode the clip's first frames, untimed by the bench: numba compiles the
    adaptive stage's kernels into its on-disk cache once per machine (README: about 16 s), and a
    timed run should load them, as every later run of the transcoder does, not compile them."""
    kwargs = _prepare_nlvc(dict(job, phase="encode"))
    from ..transcode import decode_file, encode_file
    coded = str(Path(job["coded"]).with_suffix(".warmup.nlvc"))
    out = str(Path(coded).with_suffix(Path(job["source"]).suffix))  # y4m, or Matroska for RGB
    t0 = time.perf_counter()
    try:
        encode_file(job["source"], coded, groups=spec.params["groups"], gop=spec.params.get("gop"),
                    max_frames=WARMUP_FRAMES, overwrite=True, progress=False, **kwargs)
        decode_file(coded, out, overwrite=True, progress=False, threads=kwargs.get("threads"))
    finally:
        for path in (coded, out):
            Path(path).unlink(missing_ok=True)
    return {"seconds": time.perf_counter() - t0}


_PHASES = {
    ("nlvc", "warmup"): _warm_nlvc,
    ("nlvc", "encode"): _encode_nlvc, ("nlvc", "decode"): _decode_nlvc,
    ("jpegxl", "encode"): _encode_jpegxl, ("jpegxl", "decode"): _decode_jpegxl,
}


def run_phase(job: dict) -> dict:
    """Run one phase (``job["phase"]``: encode | decode; NLVC also warmup) of one codec in this process.

    The decode result carries the exactness check against ``job["ref_md5"]``.
    """
    spec = CodecSpec(**job["codec"])
    fn = _PHASES.get((spec.family, job["phase"]))
    if fn is None:
        fn = _encode_pyav if job["phase"] == "encode" else _decode_pyav
    result = fn(spec, job)
    if job["phase"] == "decode":
        result.update(_check(result.pop("md5"), job["ref_md5"]))
    return result


def spec_dict(spec: CodecSpec) -> dict:
    return {"key": spec.key, "label": spec.label, "family": spec.family, "params": dict(spec.params)}


def main(argv: list[str]) -> int:
    """Worker entry: ``python -m nlvc_av.bench.codecs JOB.json RESULT.json``."""
    job = json.loads(Path(argv[0]).read_text())
    try:
        with TreePeak() as tree:
            result = run_phase(job)
        result["peak_rss"] = max(peak_rss() or 0, tree.peak) or None
        result["ok"] = True
    except BaseException as err:  # reported to the parent, which records it and goes on
        import traceback
        result = {"ok": False, "error": f"{type(err).__name__}: {err}",
                  "traceback": traceback.format_exc()[-4000:]}
    Path(argv[1]).write_text(json.dumps(result))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
