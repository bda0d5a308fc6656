"""Experiment (docs/ADAPTIVE.md, "Few values and exact repeats"): ls-v8 against ls-v9 on whole
files through the transcoder, with FFV1 level 3 of the same frames (the `.mkv` NLVC restores).
Per file: the coded video's bytes of each model, ls-v9 / ls-v8, each against FFV1, and whether
the restore is exact (images: the file byte for byte; video: every frame's MD5, checked by the
decoder). From the repository root:

    .venv/bin/python scripts/experiments/few_values.py FILE... [--max-frames 3]

FILE: a DPX / TIFF / EXR image (a one-file sequence) or a video (y4m, mkv, ...).
"""
from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from pathlib import Path

import av

from nlvc_av.transcode import decode_file, encode_file

MODELS = ("nlvc-adaptive-ls-v8", "nlvc-adaptive-ls-v9")
IMAGES = (".dpx", ".tif", ".tiff", ".exr")


def ffv1_bytes(mkv: Path) -> int:
    with av.open(str(mkv)) as c:
        return sum(p.size for p in c.demux(video=0) if p.size)


def measure(path: Path, model: str, max_frames: int | None, work: Path) -> tuple[int, bool, int]:
    """(video bytes, restored exactly, FFV1 bytes) of one file coded with one model."""
    coded = work / "a.nlvc"
    image = path.suffix.lower() in IMAGES
    stats = encode_file(str(path), coded, overwrite=True, model=model, max_frames=None if image else max_frames)
    if image:
        out = work / f"out-{model}"
        decode_file(coded, f"{out}/")
        exact = (out / path.name).read_bytes() == path.read_bytes()
    decode_file(coded, work / "a.mkv", overwrite=True)   # the decoder checks every frame's MD5
    return stats.payload_bytes, exact if image else True, ffv1_bytes(work / "a.mkv")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="+", type=Path)
    ap.add_argument("--max-frames", type=int, default=3)
    args = ap.parse_args()
    logging.basicConfig(level=logging.ERROR)
    print("| file | ls-v8 bytes | ls-v9 bytes | v9 / v8 | FFV1 bytes | v8 / FFV1 | v9 / FFV1 | exact |")
    print("|---|---|---|---|---|---|---|---|")
    for path in args.files:
        with tempfile.TemporaryDirectory() as tmp:
            (old, old_ok, ffv1), (new, new_ok, _) = (measure(path, m, args.max_frames, Path(tmp)) for m in MODELS)
        print(f"| {path.name} | {old:,} | {new:,} | {new / old:.3f} | {ffv1:,} | {old / ffv1:.3f} | "
              f"{new / ffv1:.3f} | {'yes' if old_ok and new_ok else 'NO'} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
