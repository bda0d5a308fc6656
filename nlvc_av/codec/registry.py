"""The model registry: every model a release can decode, by the ``model_id`` files record.

    entry = registry.entry("nlvc-mdiff-lattice-v1-c32b5")
    model = registry.load(entry.model_id)          # weights read from the package, hash checked

Each entry names its architecture (built by :mod:`nlvc_av.codec.nets`), its weights file in
``nlvc_av/codec/weights/`` and that file's SHA-256, and the bitstream it writes (token map and
coder parameters). Entries are never removed or changed: a new model gets a new id, and
``tests/test_golden.py`` decodes committed files of every entry. Weights outside the registry
("custom") travel inside the ``.nlvc`` file (CodecSetup's ModelWeights element) and are
checked against the SHA-256 the file records.

Weights files are ``.npz`` archives of integer arrays, read with ``allow_pickle=False``.
"""
from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field, replace
from importlib import resources

import numpy as np

from ..errors import ModelIntegrityError, UnknownModelError

ARCH_LATTICE_V1 = "mdiff-lattice-v1"
#: The adaptive stage (nlvc_av/codec/adaptive/): no network; its "weights" file holds the
#: integer logistic table its distributions are built from.
ARCH_ADAPTIVE_LS_V1 = "adaptive-ls-v1"

#: Bitstream constants of the GOP syntax "gop-v1" (adaptive tables, range coder, motion blocks),
#: recorded in every file's CodecSetup.coder_params and checked when decoding.
CODER_PARAMS_V1 = {"coder": "constriction-range-v1", "increment": 24, "rescale_total": 1 << 18,
                   "motion_block": 16}
#: gop-v2: the same network and coder, with the candidate / error-energy probability model
#: (nlvc_av/codec/contexts.py). Files of gop-v1 carry no "syntax" parameter.
CODER_PARAMS_V2 = {**CODER_PARAMS_V1, "syntax": "gop-v2"}
#: gop-v3: gop-v2 with quarter-pel motion (nlvc_av/codec/predict/subpel.py).
CODER_PARAMS_V3 = {**CODER_PARAMS_V1, "syntax": "gop-v3"}
#: gop-v3 with 9-16-bit samples split into a modelled high byte and adaptive low bits
#: (nlvc_av/codec/highdepth.py); on 8-bit samples the same bitstream as gop-v3.
CODER_PARAMS_V3HD = {**CODER_PARAMS_V3, "low_bits": "region4-v1"}
#: ls-v1: the adaptive stage's own range coder (total 2^16) and GOP syntax (adaptive/stage.py);
#: "groups" names its effort (1 fast, 2 default, 3 slow); bands of 512 luma rows.
CODER_PARAMS_LS1 = {"coder": "nlvc-range32-v1", "syntax": "ls-v1", "total": 1 << 16, "band_rows": 512,
                    "motion_block": 16}
#: ls-v2: ls-v1 with the online residual corrector (adaptive/corrector.py) and reference mode 7
#: (none) for P-frames; the same range coder, bands and logistic table.
CODER_PARAMS_LS2 = {**CODER_PARAMS_LS1, "syntax": "ls-v2"}
#: ls-v3: ls-v2 with the corrector applied on every sample (no scale threshold on P-frames).
CODER_PARAMS_LS3 = {**CODER_PARAMS_LS1, "syntax": "ls-v3"}
#: The adaptive stage's syntax versions (AdaptiveGop's ``version``).
#: ls-v4: ls-v3 plus four-reference P-frame modes (a third earlier frame) and predicted,
#: adaptively coded motion vectors (adaptive/vectorcoder.py).
CODER_PARAMS_LS4 = {**CODER_PARAMS_LS1, "syntax": "ls-v4"}
#: ls-v5: ls-v4, with the planes of frames of 2^20 luma samples or more (1080p and up) refitting
#: their weights half as often (adaptive/planes.py LARGE_SOLVE_FACTOR).
CODER_PARAMS_LS5 = {**CODER_PARAMS_LS1, "syntax": "ls-v5"}
#: ls-v6: ls-v5 with the frames of a GOP in hierarchical order (mini-GOPs of 4) and a P-frame
#: mode predicting 8x8 blocks with HEVC's interpolation from the nearest earlier and later
#: frames, its samples given a learnt point mass (adaptive/blockpred.py, docs/ADAPTIVE.md).
CODER_PARAMS_LS6 = {**CODER_PARAMS_LS1, "syntax": "ls-v6"}
#: ls-v7: ls-v6 choosing per mini-GOP between the hierarchical order and one frame after
#: another (adaptive/ordered.py): the H.264 clip lost 3.4 % to ls-v6's fixed order.
CODER_PARAMS_LS7 = {**CODER_PARAMS_LS1, "syntax": "ls-v7"}
#: ls-v8: ls-v7 with HEVC's edge offsets (sample adaptive offset) on the block prediction's luma,
#: per 64x64 block, sent after the block field (adaptive/sao.py).
CODER_PARAMS_LS8 = {**CODER_PARAMS_LS1, "syntax": "ls-v8"}
#: ls-v9: ls-v8 with value tables (a plane taking few of its values codes their indices, per frame:
#: adaptive/valuetables.py) and a learnt point mass on the median predictor / the reference's
#: sample in every plane but the block prediction's (adaptive/exactmass.py): synthetic content,
#: 16-bit planes of 8-bit images.
CODER_PARAMS_LS9 = {**CODER_PARAMS_LS1, "syntax": "ls-v9"}
#: ls-v10: ls-v9 with the coding order and each frame's block-prediction pair chosen per window
#: of 16 frames and sent in an order chunk (adaptive/planner.py): the source's own B-frames.
CODER_PARAMS_LS10 = {**CODER_PARAMS_LS1, "syntax": "ls-v10"}
#: ls-v11: ls-v10 with H.264's interpolation (6-tap luma, bilinear chroma, its rounding) as the
#: block prediction's other family, chosen per window (adaptive/h264pred.py): video decoded from H.264.
CODER_PARAMS_LS11 = {**CODER_PARAMS_LS1, "syntax": "ls-v11"}
LS_SYNTAX_VERSIONS = {"ls-v1": 1, "ls-v2": 2, "ls-v3": 3, "ls-v4": 4, "ls-v5": 5, "ls-v6": 6, "ls-v7": 7, "ls-v8": 8,
                      "ls-v9": 9, "ls-v10": 10, "ls-v11": 11}


@dataclass(frozen=True)
class ModelEntry:
    model_id: str
    architecture: str
    weights_file: str | None      # in nlvc_av/codec/weights/; None for custom (embedded) weights
    sha256: str                   # of the weights file, as files record it (weights_sha256)
    token_map: str = "residual-mod256-v1"
    coder_params: dict = field(default_factory=lambda: dict(CODER_PARAMS_V1))
    released: str = ""            # the release that first shipped it
    purpose: str = "coding"       # "coding", "test" (tiny, untrained: fast tests) or "custom"
    hash_of: str = "file"         # what sha256 covers: "file" bytes, or "arrays" (arrays_digest)


# The two weights files every model so far uses (as 0.1 registered them).
_C32B5 = ModelEntry("nlvc-mdiff-lattice-v1-c32b5", ARCH_LATTICE_V1, "nlvc-mdiff-lattice-v1-c32b5.npz",
                    "2b0073ea48769e77ad04da9b21d661ad158292dce34df34fdb6ce7f318471e76", released="0.1.0")
# 0.1 built this one from torch's RNG at run time and recorded a hash of its arrays; the
# arrays are frozen here, and that recorded hash is what the entry checks.
_TINY0 = ModelEntry("nlvc-mdiff-lattice-v1-tiny0", ARCH_LATTICE_V1, "nlvc-mdiff-lattice-v1-tiny0.npz",
                    "baa8c3f90dd3d2032b72b0bac777c0f32169dc7afc208e7d9d62aa81bd371b85", released="0.1.0",
                    purpose="test", hash_of="arrays")


def _same_weights(syntax_tag: str, coder_params: dict, released: str, **changes) -> tuple[ModelEntry, ...]:
    """The c32b5 and tiny0 entries of a later bitstream: the same weights under new ids."""
    return tuple(replace(base, model_id=base.model_id.replace("-v1-", f"-{syntax_tag}-"),
                         coder_params=dict(coder_params), released=released, **changes)
                 for base in (_C32B5, _TINY0))


#: Every released model, forever. Append only.
MODELS: dict[str, ModelEntry] = {e.model_id: e for e in (
    _C32B5, _TINY0,
    # 0.2: the 0.1 networks with the gop-v2 probability model (a new bitstream, so new ids).
    *_same_weights("v2", CODER_PARAMS_V2, "0.2.0"),
    *_same_weights("v3", CODER_PARAMS_V3, "0.2.0"),
    # gop-v3 on 9-16-bit samples (token map residual-mod2^b-split-v1, codec/highdepth.py).
    *_same_weights("v3hd", CODER_PARAMS_V3HD, "0.3.0", token_map="residual-mod2^b-split-v1"),
    # 0.3: the adaptive local least-squares stage, every bit depth (docs/ADAPTIVE.md).
    ModelEntry("nlvc-adaptive-ls-v1", ARCH_ADAPTIVE_LS_V1, "nlvc-adaptive-ls-v1.npz",
               "60ea87fd6ee6c15651d54f7c5badb2c1e905b450ca161e1f927990c1aa4960bc",
               token_map="value-window-escape-v1", coder_params=dict(CODER_PARAMS_LS1), released="0.3.0"),
    # 0.3: ls-v2, the stage with its online residual corrector (the same integer table).
    ModelEntry("nlvc-adaptive-ls-v2", ARCH_ADAPTIVE_LS_V1, "nlvc-adaptive-ls-v1.npz",
               "60ea87fd6ee6c15651d54f7c5badb2c1e905b450ca161e1f927990c1aa4960bc",
               token_map="value-window-escape-v1", coder_params=dict(CODER_PARAMS_LS2), released="0.3.0"),
    # 0.3: ls-v3, the corrector on every sample (docs/ADAPTIVE.md's ablation).
    ModelEntry("nlvc-adaptive-ls-v3", ARCH_ADAPTIVE_LS_V1, "nlvc-adaptive-ls-v1.npz",
               "60ea87fd6ee6c15651d54f7c5badb2c1e905b450ca161e1f927990c1aa4960bc",
               token_map="value-window-escape-v1", coder_params=dict(CODER_PARAMS_LS3), released="0.3.0"),
    # 0.3: ls-v4, four references and predicted vectors (docs/ADAPTIVE.md).
    ModelEntry("nlvc-adaptive-ls-v4", ARCH_ADAPTIVE_LS_V1, "nlvc-adaptive-ls-v1.npz",
               "60ea87fd6ee6c15651d54f7c5badb2c1e905b450ca161e1f927990c1aa4960bc",
               token_map="value-window-escape-v1", coder_params=dict(CODER_PARAMS_LS4), released="0.3.0"),
    # 0.3: ls-v5, ls-v4 with half as many refits on frames of 1080p and up (docs/ADAPTIVE.md).
    ModelEntry("nlvc-adaptive-ls-v5", ARCH_ADAPTIVE_LS_V1, "nlvc-adaptive-ls-v1.npz",
               "60ea87fd6ee6c15651d54f7c5badb2c1e905b450ca161e1f927990c1aa4960bc",
               token_map="value-window-escape-v1", coder_params=dict(CODER_PARAMS_LS5), released="0.3.0"),
    # 0.3: ls-v6, hierarchical coding order and HEVC-interpolated block prediction (docs/ADAPTIVE.md).
    ModelEntry("nlvc-adaptive-ls-v6", ARCH_ADAPTIVE_LS_V1, "nlvc-adaptive-ls-v1.npz",
               "60ea87fd6ee6c15651d54f7c5badb2c1e905b450ca161e1f927990c1aa4960bc",
               token_map="value-window-escape-v1", coder_params=dict(CODER_PARAMS_LS6), released="0.3.0"),
    # 0.3: ls-v7, ls-v6 with the coding order chosen per mini-GOP (docs/ADAPTIVE.md).
    ModelEntry("nlvc-adaptive-ls-v7", ARCH_ADAPTIVE_LS_V1, "nlvc-adaptive-ls-v1.npz",
               "60ea87fd6ee6c15651d54f7c5badb2c1e905b450ca161e1f927990c1aa4960bc",
               token_map="value-window-escape-v1", coder_params=dict(CODER_PARAMS_LS7), released="0.3.0"),
    # 0.3: ls-v8, ls-v7 with HEVC's edge offsets on the block prediction (docs/ADAPTIVE.md).
    ModelEntry("nlvc-adaptive-ls-v8", ARCH_ADAPTIVE_LS_V1, "nlvc-adaptive-ls-v1.npz",
               "60ea87fd6ee6c15651d54f7c5badb2c1e905b450ca161e1f927990c1aa4960bc",
               token_map="value-window-escape-v1", coder_params=dict(CODER_PARAMS_LS8), released="0.3.0"),
    # 0.4: ls-v9, value tables and the exact-value mass (docs/ADAPTIVE.md).
    ModelEntry("nlvc-adaptive-ls-v9", ARCH_ADAPTIVE_LS_V1, "nlvc-adaptive-ls-v1.npz",
               "60ea87fd6ee6c15651d54f7c5badb2c1e905b450ca161e1f927990c1aa4960bc",
               token_map="value-window-escape-v1", coder_params=dict(CODER_PARAMS_LS9), released="0.4.0"),
    # 0.4: ls-v10, the coding order planned per window from the source's B-frames (docs/ADAPTIVE.md).
    ModelEntry("nlvc-adaptive-ls-v10", ARCH_ADAPTIVE_LS_V1, "nlvc-adaptive-ls-v1.npz",
               "60ea87fd6ee6c15651d54f7c5badb2c1e905b450ca161e1f927990c1aa4960bc",
               token_map="value-window-escape-v1", coder_params=dict(CODER_PARAMS_LS10), released="0.4.0"),
    # 0.4: ls-v11, ls-v10 with H.264's interpolation for the block prediction (docs/ADAPTIVE.md).
    ModelEntry("nlvc-adaptive-ls-v11", ARCH_ADAPTIVE_LS_V1, "nlvc-adaptive-ls-v1.npz",
               "60ea87fd6ee6c15651d54f7c5badb2c1e905b450ca161e1f927990c1aa4960bc",
               token_map="value-window-escape-v1", coder_params=dict(CODER_PARAMS_LS11), released="0.4.0"),
)}

DEFAULT_MODEL = "nlvc-adaptive-ls-v11"
TEST_MODEL = "nlvc-mdiff-lattice-v3-tiny0"
#: "mdiff": the masked-diffusion network of 0.2 (still selectable, every file of it decodes).
ALIASES = {"default": DEFAULT_MODEL, "shipped": DEFAULT_MODEL, "tiny": TEST_MODEL,
           "mdiff": "nlvc-mdiff-lattice-v3-c32b5"}
#: What the aliases mean for a stream of more than 8 bits.
DEEP_ALIASES = {"default": DEFAULT_MODEL, "shipped": DEFAULT_MODEL,
                "tiny": "nlvc-mdiff-lattice-v3hd-tiny0", "mdiff": "nlvc-mdiff-lattice-v3hd-c32b5"}


def default_model(bits: int = 8, name: str = "default") -> str:
    """The model id an alias (or no choice) means for a stream of ``bits`` bits: 8-bit streams
    keep the 8-bit ids, deeper ones the high-bit-depth ids; other names pass unchanged."""
    return (DEEP_ALIASES if bits > 8 else ALIASES).get(name, name)


@dataclass
class Model:
    """A model ready to build: its entry, its integer arrays, and (custom only) the weights file."""

    entry: ModelEntry
    arrays: dict[str, np.ndarray]
    embedded: bytes = b""  # the weights file to embed in files (custom models)

    @property
    def model_id(self) -> str:
        return self.entry.model_id


def names() -> list[str]:
    """Model ids and aliases, for help texts and error messages."""
    return sorted(ALIASES) + sorted(MODELS)


def resolve(name: str) -> ModelEntry:
    """The entry of a registered model id or alias; a clear error naming the id otherwise."""
    model_id = ALIASES.get(name, name)
    try:
        return MODELS[model_id]
    except KeyError:
        raise UnknownModelError(
            f"model '{model_id}' is not installed (this release has: {', '.join(sorted(MODELS))})",
            model_id=model_id) from None


def arrays_digest(arrays: dict[str, np.ndarray]) -> str:
    """SHA-256 over the arrays' bytes in name order (0.1's hash of a model built in memory)."""
    return hashlib.sha256(b"".join(arrays[k].tobytes() for k in sorted(arrays))).hexdigest()


def read_arrays(data: bytes, what: str) -> dict[str, np.ndarray]:
    """The integer arrays of a weights file (no pickles); a clear error for anything else."""
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as err:
        raise ModelIntegrityError(f"{what}: not an NLVC weights file (.npz of integer arrays): {err}") from None
    arrays.pop("note", None)
    bad = [k for k, v in arrays.items() if v.dtype.kind not in "iu"]
    if bad or "arch" not in arrays:
        raise ModelIntegrityError(f"{what}: not an NLVC weights file (needs integer arrays and 'arch')")
    return arrays


def load(name: str) -> Model:
    """A registered model with its weights, after checking their SHA-256."""
    entry = resolve(name)
    data = resources.files(__package__).joinpath("weights", entry.weights_file).read_bytes()
    arrays = read_arrays(data, entry.model_id)
    digest = arrays_digest(arrays) if entry.hash_of == "arrays" else hashlib.sha256(data).hexdigest()
    if digest != entry.sha256:
        raise ModelIntegrityError(f"installed weights of model '{entry.model_id}' are damaged "
                                  f"(sha256 {digest[:16]}..., expected {entry.sha256[:16]}...)")
    return Model(entry, arrays)


SYNTAXES = {"gop-v1": CODER_PARAMS_V1, "gop-v2": CODER_PARAMS_V2, "gop-v3": CODER_PARAMS_V3}


def custom(data: bytes, what: str = "weights file", syntax: str = "gop-v3") -> Model:
    """A model from a weights file outside the registry; its bytes are embedded in every file."""
    arrays = read_arrays(data, what)
    sha = hashlib.sha256(data).hexdigest()
    channels, blocks = (int(v) for v in arrays["arch"])
    entry = ModelEntry(f"custom-{ARCH_LATTICE_V1}-c{channels}b{blocks}-{sha[:12]}", ARCH_LATTICE_V1,
                       None, sha, coder_params=dict(SYNTAXES[syntax]), purpose="custom")
    return Model(entry, arrays, embedded=data)


def note(data: bytes) -> dict:
    """The training note stored in a weights file (empty when it has none)."""
    with np.load(io.BytesIO(data), allow_pickle=False) as z:
        return json.loads(bytes(z["note"]).decode()) if "note" in z.files else {}
