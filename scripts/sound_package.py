"""Every WAV and AIFF flavour of RAWcooked's collection as the sound of one package: copy them
(with their folders) beside a small DPX sequence into a temporary package, encode it with
--check, restore it into a new folder, and compare every file byte for byte.

    python scripts/sound_package.py ../shared/data/archive/Formats
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from nlvc_av.transcode import decode_file, encode_file

SOUND = (".wav", ".aif", ".aiff", ".aifc")


def dpx(width: int = 16, height: int = 8, seed: int = 0) -> bytes:
    """A 16-bit luma DPX (a reel for the sound to sit beside)."""
    header = bytearray(2048)
    header[:4], header[8:12] = b"SDPX", b"V2.0"
    header[4:8] = (2048).to_bytes(4, "big")
    header[770:772], header[772:776], header[776:780] = (1).to_bytes(2, "big"), width.to_bytes(4, "big"), \
        height.to_bytes(4, "big")
    header[800], header[803] = 6, 16
    pixels = np.random.default_rng(seed).integers(0, 65536, (height, width)).astype(">u2")
    return bytes(header) + pixels.tobytes()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("root", type=Path)
    args = ap.parse_args()
    sounds = sorted(p for p in args.root.rglob("*") if p.suffix.lower() in SOUND and p.is_file())
    with tempfile.TemporaryDirectory() as tmp:
        package = Path(tmp) / "package"
        for p in sounds:
            target = package / p.relative_to(args.root)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(p, target)
        (package / "REEL").mkdir()
        for k in range(2):
            (package / "REEL" / f"r_{k:04d}.dpx").write_bytes(dpx(seed=k))
        start = time.monotonic()
        stats = encode_file(str(package), Path(tmp) / "p.nlvc", check=True)
        encoded = time.monotonic() - start
        decode_file(Path(tmp) / "p.nlvc", f"{Path(tmp) / 'out'}/")
        same = [p for p in sounds if (Path(tmp) / "out" / p.relative_to(args.root)).read_bytes() == p.read_bytes()]
        source = sum(p.stat().st_size for p in sounds)
        size = (Path(tmp) / "p.nlvc").stat().st_size
        print(f"{len(same)} of {len(sounds)} sound files identical after the round trip ({stats.packets} packets, "
              f"{stats.checked}); sound files {source:,} bytes, .nlvc {size:,} bytes; encode {encoded:.0f} s")
        return 0 if len(same) == len(sounds) else 1


if __name__ == "__main__":
    sys.exit(main())
