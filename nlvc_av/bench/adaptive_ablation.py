"""Ablations of the adaptive stage: what each component gives, per clip, measured.

    python -m nlvc_av.bench.adaptive_ablation CLIP... [--frames N] [--json OUT]

Each row changes one thing against the shipped default (effort 2) and codes the first N
frames of every clip as one GOP (frame 0 intra, the rest P): exact payload bytes, in bits per
sample, and the ratio to the default. Rows that describe the encoder's choices (reference
modes) restrict what it may choose; rows that describe the model change its parameters for
the run (a model that is not shipped: only measured here, never written to a file).
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys

import numpy as np

ROWS = [
    ("default (effort 2)", {}, None),
    ("effort 1 (--preset fast)", {"effort": 1}, None),
    ("effort 3 (--preset slow)", {"effort": 3}, None),
    ("solve every 4th sample", {"solve_every": 4}, None),
    ("12 causal neighbours (not 18)", {"own": 12}, None),
    ("no inner doubled window", {"inner": 0}, None),
    ("ridge 32 (not 8)", {"ridge": 32.0}, None),
    ("one logistic (no wide component)", {"narrow": 1 << 20}, None),
    ("scale x0.72 per mean |error| (not 0.65)", {"scale_mul": 0.72}, None),
    ("no gradient in the energy", {"grad_mix": 0.0}, None),
    ("no reference disagreement in the energy", {"ref_mix": 0.0}, None),
    ("no fit residual in the energy", {"ls_mix": 0.0}, None),
    ("narrowest scale 0.18 (not 0.07)", {"min_scale": 0.18}, None),
    ("one reference: co-located or motion-compensated", {}, (0, 1)),
    ("references of the previous frame only", {}, (0, 1, 2)),
    ("no residual corrector", {"corr_rate": 0.0}, None),
    ("corrector only where the scale is >= 2 in P-frames (as ls-v2)", {"corr_inter": 2.0}, None),
    ("no mode without references (modes 0-6, as ls-v1)", {}, (0, 1, 2, 3, 4, 5, 6)),
    ("neither (as ls-v1)", {"corr_rate": 0.0}, (0, 1, 2, 3, 4, 5, 6)),
]


def _frames(path: str, n: int):
    from ..io.demux import iter_video_planes

    info, frames = iter_video_planes(path, max_frames=n)
    return info, list(frames)


def measure(frames, pix_fmt: str, changes: dict, modes) -> float:
    """Bits per sample of ``frames`` as one GOP with the stage changed as asked (decoded and checked)."""
    from ..codec.adaptive import planes as PL
    from ..codec.adaptive import references
    from ..codec.adaptive.stage import AdaptiveGop
    from ..codec.formats import lookup, plane_shapes
    from ..codec.registry import load

    changes = dict(changes)
    effort = changes.pop("effort", 2)
    efforts = PL.VERSIONS[5]  # the shipped default, syntax ls-v5
    saved, saved_candidates = dict(efforts), references.candidates
    try:
        efforts[effort] = dataclasses.replace(efforts[effort], **changes)
        if modes is not None:
            references.candidates = lambda earlier, all_modes: [
                m for m in modes if references.frames_needed(m, all_modes) <= earlier]
        fmt = lookup(pix_fmt)
        stage = AdaptiveGop(effort, fmt.bit_depth, load("nlvc-adaptive-ls-v5").arrays["logistic"], version=5)
        types = "I" + "P" * (len(frames) - 1)
        data = stage.encode(frames, types)
        back = stage.decode(data, types, [p.shape for p in frames[0]])
        if not all(np.array_equal(a, b) for fa, fb in zip(frames, back) for a, b in zip(fa, fb)):
            raise SystemExit("NOT EXACT")
    finally:
        efforts.clear()
        efforts.update(saved)
        references.candidates = saved_candidates
    return 8 * len(data) / sum(p.size for f in frames for p in f)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m nlvc_av.bench.adaptive_ablation", description=__doc__.split("\n")[0])
    ap.add_argument("clips", nargs="+")
    ap.add_argument("--frames", type=int, default=4)
    ap.add_argument("--json")
    args = ap.parse_args(argv)
    from ..codec.formats import lookup

    clips = {}
    for path in args.clips:
        info, frames = _frames(path, args.frames)
        clips[path.rsplit("/", 1)[-1].split(".")[0]] = (lookup(info.pix_fmt).coding_pix_fmt, frames)
    table = {}
    for label, changes, modes in ROWS:
        table[label] = {name: measure(frames, fmt, changes, modes) for name, (fmt, frames) in clips.items()}
        print(label, {k: round(v, 4) for k, v in table[label].items()}, file=sys.stderr, flush=True)
    base = table[ROWS[0][0]]
    names = list(clips)
    print(f"bits/sample, first {args.frames} frames of each clip as one GOP (I then P); in brackets: vs the default\n")
    print("| variant | " + " | ".join(names) + " | geomean |")
    print("|---|" + "---|" * (len(names) + 1))
    for label, row in table.items():
        ratios = [row[n] / base[n] for n in names]
        cells = [f"{row[n]:.4f} ({r:.3f})" for n, r in zip(names, ratios)]
        print(f"| {label} | " + " | ".join(cells) + f" | {float(np.exp(np.mean(np.log(ratios)))):.4f} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"frames": args.frames, "bits_per_sample": table}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
