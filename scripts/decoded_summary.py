"""NLVC against the best classical lossless codec on the decoded-video set, from bench JSONs.

    python scripts/decoded_summary.py docs/bench_decoded.json docs/bench_decoded_1080p_calendar.json \
        docs/bench_decoded_v11.json ...

Each file is an `nlvc bench --json` document (docs/BENCH_DECODED.md). A clip measured in
several files takes the last file's results (so a newer run of some clips overrides an older
one); the line of each clip names the file it comes from. Per clip: NLVC's bytes, the smallest
exact peer (x264, x265, FFV1) and the ratio; then the totals, the geomean and worst ratio, the
clips below their best peer, and the geomean and worst per recipe (the name after the clip's).
"""
from __future__ import annotations

import json
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from decoded_set import RECIPES  # noqa: E402  (the set's recipes, beside this script)


def rows(paths: list[str]) -> dict[str, tuple[str, dict]]:
    """clip -> (the file it comes from, codec -> (bytes, exact))."""
    out: dict[str, tuple[str, dict]] = {}
    for path in paths:
        doc = json.loads(Path(path).read_text())
        clips: dict[str, dict] = {}
        for r in doc["results"]:
            clips.setdefault(r["clip"], {})[r["codec"] if r["family"] != "nlvc" else "nlvc"] = (r["bytes"], r["exact"])
        for clip, codecs in clips.items():
            out[clip] = (path, codecs)
    return out


def _geomean(values: list[float]) -> float:
    return math.exp(sum(math.log(v) for v in values) / len(values))


def main(paths: list[str]) -> int:
    if not paths:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    ratios: dict[str, float] = {}
    totals: dict[str, int] = {}
    print("| clip | from | NLVC bytes | best peer | its bytes | NLVC / best |")
    print("|---|---|---:|---|---:|---:|")
    for clip, (path, codecs) in sorted(rows(paths).items()):
        nlvc = codecs.get("nlvc")
        peers = {k: b for k, (b, exact) in codecs.items() if k != "nlvc" and exact}
        if nlvc is None or not nlvc[1] or not peers:
            print(f"| {clip} | {path} | not exact or no peer | | | |")
            continue
        best = min(peers, key=peers.get)
        ratios[clip] = nlvc[0] / peers[best]
        for k, (b, _) in codecs.items():
            totals[k] = totals.get(k, 0) + b
        print(f"| {clip} | {path} | {nlvc[0]:,} | {best} | {peers[best]:,} | {ratios[clip]:.3f} |")
    if not ratios:
        return 1
    print()
    print("totals: " + ", ".join(f"{k} {v:,}" for k, v in sorted(totals.items(), key=lambda kv: kv[1])))
    worst = max(ratios, key=ratios.get)
    print(f"{len(ratios)} files: geomean {_geomean(list(ratios.values())):.3f}, worst {ratios[worst]:.3f} ({worst}), "
          f"{sum(r < 1 for r in ratios.values())} below their best peer")
    recipes: dict[str, list[float]] = {}
    for clip, r in ratios.items():   # the recipe: what follows the clip's name (decoded_set.RECIPES)
        name = next((n for n in RECIPES if clip.endswith("_" + n)), "other")
        recipes.setdefault(name, []).append(r)
    print("by recipe (geomean / worst): " + ", ".join(
        f"{name} {_geomean(v):.3f} / {max(v):.3f}" for name, v in sorted(recipes.items(), key=lambda kv: _geomean(kv[1]))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
