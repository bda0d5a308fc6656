"""What a TIFF sequence's rebuild costs (issue 33, item 7): four 96x64 rgb48le frames (8-bit
content widened to 16 bits, as swscale widens it: v * 257) written by FFmpeg's TIFF encoder
PackBits-compressed and uncompressed, each folder encoded (default model, byte-for-byte rebuild
kept), printing per folder the TIFF bytes, the .nlvc bytes, the video payload bytes and the
rest (the rebuild records and the container). From the repository root:
    .venv/bin/python scripts/packbits_sizes.py [--model tiny]
"""
import argparse
import tempfile
from pathlib import Path

import av
import numpy as np

from nlvc_av.transcode import decode_file, encode_file

W, H, N = 96, 64, 4


def frames():
    y, x = np.mgrid[0:H, 0:W].astype(np.float64)
    rng = np.random.default_rng(7)
    for i in range(N):
        base = 128 + 90 * np.sin(x / 11 + i / 4) * np.cos(y / 9 - i / 5)
        rgb = np.stack([base, 255 - base, (base + x + i) % 256], axis=-1)
        rgb = np.clip(np.round(rgb / 8) * 8 + (rng.random(rgb.shape) < 0.02), 0, 255)  # flat patches, some noise
        yield (rgb.astype(np.uint16) * 257).astype("<u2")


def write(folder: Path, compression: str) -> Path:
    folder.mkdir(parents=True)
    out = av.open(str(folder / "f_%04d.tif"), "w", format="image2")
    s = out.add_stream("tiff", rate=24, options={"compression_algo": compression})
    s.width, s.height, s.pix_fmt = W, H, "rgb48le"
    for rgb in frames():
        out.mux(s.encode(av.VideoFrame.from_ndarray(rgb, format="rgb48le")))
    out.mux(s.encode())
    out.close()
    return folder


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="default")
    model = ap.parse_args().model
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for compression in ("packbits", "raw"):
            folder = write(tmp / compression, compression)
            nlvc = tmp / f"{compression}.nlvc"
            stats = encode_file(str(folder), nlvc, model=model)
            decode_file(nlvc, f"{tmp / (compression + '_out')}/")
            same = all((tmp / f"{compression}_out" / f.name).read_bytes() == f.read_bytes() for f in folder.iterdir())
            tiff = sum(f.stat().st_size for f in folder.iterdir())
            size = nlvc.stat().st_size
            print(f"{compression:8s} TIFF {tiff:7,d} B  .nlvc {size:7,d} B  video {stats.payload_bytes:7,d} B  "
                  f"rest {size - stats.payload_bytes:6,d} B  restored byte for byte: {same}")


if __name__ == "__main__":
    main()
