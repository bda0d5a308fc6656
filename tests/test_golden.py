"""Golden bitstreams: committed .nlvc files of every registered model decode to the frames
recorded when they were written (tests/golden/codec/<model_id>/manifest.json).

A failure here is a format break, never a reason to edit a golden file: a change that alters
what a file decodes to needs a new model id or format version (see docs/MODEL.md).
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

import nlvc_av
from nlvc_av.codec import registry

GOLDEN = Path(__file__).resolve().parent / "golden" / "codec"

#: Every model ever released: the registry must keep decoding them, forever.
RELEASED = {"nlvc-mdiff-lattice-v1-c32b5", "nlvc-mdiff-lattice-v1-tiny0",   # 0.1.0
            "nlvc-mdiff-lattice-v2-c32b5", "nlvc-mdiff-lattice-v2-tiny0",    # 0.2.0
            "nlvc-mdiff-lattice-v3-c32b5", "nlvc-mdiff-lattice-v3-tiny0",
            "nlvc-mdiff-lattice-v3hd-c32b5", "nlvc-mdiff-lattice-v3hd-tiny0",   # 0.3.0: 9-16 bits
            "nlvc-adaptive-ls-v1", "nlvc-adaptive-ls-v2", "nlvc-adaptive-ls-v3",
            "nlvc-adaptive-ls-v4", "nlvc-adaptive-ls-v5", "nlvc-adaptive-ls-v6",
            "nlvc-adaptive-ls-v7", "nlvc-adaptive-ls-v8",    # 0.3.0: the adaptive stage
            "nlvc-adaptive-ls-v9",   # 0.4.0: value tables and the exact-value mass,
            "nlvc-adaptive-ls-v10", "nlvc-adaptive-ls-v11"}   # the planned order, H.264's interpolation


def _cases():
    for folder in sorted(GOLDEN.iterdir()):
        manifest = json.loads((folder / "manifest.json").read_text())
        for case, entry in sorted(manifest.items()):
            yield pytest.param(folder, entry, id=f"{folder.name}/{case}")


def test_every_released_model_is_registered_and_has_golden_files():
    folders = {p.name for p in GOLDEN.iterdir() if p.is_dir()}
    assert RELEASED <= set(registry.MODELS), f"the registry lost {sorted(RELEASED - set(registry.MODELS))}"
    assert set(registry.MODELS) <= folders, f"no golden files for {sorted(set(registry.MODELS) - folders)}"
    assert folders <= set(registry.MODELS), f"golden files of unregistered models {sorted(folders - set(registry.MODELS))}"


@pytest.mark.parametrize("model_id", sorted(registry.MODELS))
def test_registered_weights_load_and_match_their_hash(model_id):
    model = registry.load(model_id)
    assert model.model_id == model_id and "arch" in model.arrays


@pytest.mark.parametrize("folder,entry", list(_cases()))
def test_golden_file_decodes_bit_exactly(folder, entry):
    path = folder / entry["file"]
    assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"], "the golden file itself changed"
    with nlvc_av.open(path) as f:
        assert f.codec_setup.model_id == folder.name
        v = f.streams.video[0]
        assert (v.pix_fmt, v.width, v.height) == (entry["pix_fmt"], entry["width"], entry["height"])
        decoded = list(f.decode_planes())
    assert "".join(d.frame_type for d in decoded) == entry["frame_types"]
    md5s = [hashlib.md5(b"".join(p.tobytes() for p in d.planes)).hexdigest() for d in decoded]
    assert md5s == entry["frame_md5"]
