"""Training material: lossless sources from ../shared/data/train, as planes in memory.

I-frame samples come from every lossless source (stills converted to yuv420p the way
swscale converts RGB video); P-frame samples are consecutive frames of the lossless
sequences, with the reference motion-compensated by the codec's own ``motion`` module,
plus stills turned into synthetic pairs (sub-pixel shift and sensor-like noise).
Lossy-decoded clips are left out: their repeated artefacts teach the wrong statistics.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..codec.predict import motion

# The lossless sources (see ../shared/data/README.md). Never bench/ or formats/.
SEQUENCES = [
    "temple_1200x800_31f.mkv",
    "kitti_1241x376_gray_5f.mkv",
    "brightfield_500_gray_50f.mkv",
    "foam_768_gray_9f.mkv",
    "sipi_toys_512_gray_10f.mkv",
    "sipi_aerial_256_gray_32f.mkv",
    "sipi_aerial2_256_gray_11f.mkv",
    "euroc_cam1_752x480_gray_95f.mkv",
]
STILL_DIRS = ["kodak", "mcmaster"]
MAX_FRAMES_PER_SEQUENCE = 24


@dataclass
class TrainingSet:
    """Planes for I samples and (cur, mc_ref) plane pairs for P samples."""
    intra: list[tuple[np.ndarray, bool]] = field(default_factory=list)   # (plane, is_chroma)
    pairs: list[tuple[np.ndarray, np.ndarray, bool]] = field(default_factory=list)
    files: list[str] = field(default_factory=list)


def _frames(path: Path, max_frames: int) -> list[list[np.ndarray]]:
    from ..io.peers import decode_planes_for_training  # the io package owns PyAV
    return decode_planes_for_training(str(path), max_frames)


def _compensated_pairs(frames: list[list[np.ndarray]]) -> list[tuple[np.ndarray, np.ndarray, bool]]:
    pairs = []
    for prev, cur in zip(frames, frames[1:]):
        vectors = motion.estimate(cur[0], prev[0])
        for k, (c, r) in enumerate(zip(cur, prev)):
            sub_y = -(-cur[0].shape[0] // c.shape[0])
            sub_x = -(-cur[0].shape[1] // c.shape[1])
            pairs.append((c, motion.compensate(r, vectors, sub_y, sub_x), k > 0))
    return pairs


def load(data_root: str | os.PathLike, log=print) -> TrainingSet:
    root = Path(data_root) / "train"
    ts = TrainingSet()
    for name in SEQUENCES:
        path = root / "sequences" / name
        if not path.exists():
            log(f"skip missing {path}")
            continue
        frames = _frames(path, MAX_FRAMES_PER_SEQUENCE)
        ts.files.append(f"sequences/{name} ({len(frames)} frames)")
        for planes in frames[::3]:
            ts.intra += [(p, k > 0) for k, p in enumerate(planes)]
        ts.pairs += _compensated_pairs(frames)
        log(f"loaded {name}: {len(frames)} frames")
    for d in STILL_DIRS:
        for path in sorted((root / "stills" / d).glob("*.png")):
            planes = _frames(path, 1)[0]
            ts.files.append(f"stills/{d}/{path.name}")
            ts.intra += [(p, k > 0) for k, p in enumerate(planes)]
    log(f"{len(ts.intra)} intra planes, {len(ts.pairs)} P pairs")
    return ts


def synthetic_pair(plane: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A plausible motion-compensated reference for ``plane``: sub-pixel shift plus noise."""
    x = plane.astype(np.float32)
    fy, fx = rng.uniform(0, 1, 2)
    shifted = ((1 - fy) * (1 - fx) * x + fy * (1 - fx) * np.roll(x, 1, 0)
               + (1 - fy) * fx * np.roll(x, 1, 1) + fy * fx * np.roll(np.roll(x, 1, 0), 1, 1))
    noisy = shifted + rng.normal(0, rng.uniform(0.5, 3.0), x.shape)
    return np.clip(np.rint(noisy), 0, 255).astype(np.uint8)
