"""The GOP coder a stream uses, and the CodecSetup that describes it in the file.

    coder = GopCoder.for_encoding("default", groups=2)   # or a Model from registry.custom()
    payload, frame_types = coder.encode_gop(frames, "yuv420p")
    coder = GopCoder.for_setup(reader.codec_setup)      # the model the file names, checked
    frames = coder.decode_gop(payload, frame_types, "yuv420p", width, height)

``frames`` are lists of 2-D uint8 planes in the pix_fmt's plane order. Before decoding,
everything the file says about its coder is checked against what this release knows: the
model id (through the registry, or the weights the file embeds), the weights' SHA-256, the
token map, the number of groups and every coder parameter. An unknown value is one clear
error, never a guess.
"""
from __future__ import annotations

import numpy as np

from container import CodecSetup

from ..errors import ModelMismatchError, UnknownModelError, UnsupportedSetupError
from . import registry
from .formats import lookup, plane_shapes
from .schedule import GROUP_CHOICES
from .tokens import TOKEN_MAPS

DEFAULT_GROUPS = 2


def model_for_setup(setup: CodecSetup) -> registry.Model:
    """The model a file was written with: registered by id, or embedded in the file."""
    if setup.model_id in registry.MODELS:
        model = registry.load(setup.model_id)
        if setup.weights_sha256 != model.entry.sha256:
            raise ModelMismatchError(
                f"file records weights sha256 {setup.weights_sha256[:16]}... for model '{setup.model_id}', "
                f"but that model's weights are {model.entry.sha256[:16]}...; the header is damaged")
        return model
    if setup.model_weights:
        syntax = str((setup.coder_params or {}).get("syntax", "gop-v1"))
        if syntax not in registry.SYNTAXES:
            raise UnsupportedSetupError(f"unsupported coder parameter syntax={syntax!r} in file")
        model = registry.custom(setup.model_weights, f"weights embedded for model '{setup.model_id}'", syntax)
        if model.entry.sha256 != setup.weights_sha256:
            raise ModelMismatchError(f"the weights embedded for model '{setup.model_id}' do not match the "
                                     "sha256 the file records; the file is damaged")
        return model
    raise UnknownModelError(
        f"file needs model '{setup.model_id}', which is not installed and not embedded in the file "
        f"(this release has: {', '.join(sorted(registry.MODELS))})", model_id=setup.model_id)


def check_setup(setup: CodecSetup, entry: registry.ModelEntry) -> None:
    """Token map, groups and coder parameters must be ones this release decodes."""
    if setup.token_map != entry.token_map or setup.token_map not in TOKEN_MAPS:
        raise UnsupportedSetupError(f"unsupported token map '{setup.token_map}' in file "
                                    f"(model '{entry.model_id}' uses '{entry.token_map}')")
    if setup.groups not in GROUP_CHOICES:
        raise UnsupportedSetupError(f"unsupported number of groups {setup.groups} in file "
                                    f"(this release decodes {', '.join(map(str, GROUP_CHOICES))})")
    params = dict(setup.coder_params or {})
    for key, value in params.items():
        if key not in entry.coder_params:
            raise UnsupportedSetupError(f"unknown coder parameter '{key}' in file")
        if entry.coder_params[key] != value:
            raise UnsupportedSetupError(f"unsupported coder parameter {key}={value!r} in file "
                                        f"(this release decodes {key}={entry.coder_params[key]!r})")
    missing = sorted(set(entry.coder_params) - set(params))
    if missing:
        raise UnsupportedSetupError(f"coder parameters missing from file: {', '.join(missing)}")


class GopCoder:
    """Encodes and decodes GOPs with one model and one number of groups."""

    def __init__(self, model: registry.Model, groups: int = DEFAULT_GROUPS):
        if groups not in GROUP_CHOICES:
            raise ValueError(f"groups must be one of {', '.join(map(str, GROUP_CHOICES))}, got {groups}")
        self.model = model
        self.groups = groups
        self.tokens = TOKEN_MAPS[model.entry.token_map]
        self.adaptive = model.entry.architecture == registry.ARCH_ADAPTIVE_LS_V1
        self._predictor = None
        self._contexts: dict[str, object] = {}
        #: Threads the adaptive stage may code a GOP's bands on: the runner sets it to its
        #: workers when a lone GOP runs in this process (a pool's workers keep 1).
        self.band_threads = 1

    @classmethod
    def for_encoding(cls, model: str | registry.Model = registry.DEFAULT_MODEL,
                     groups: int = DEFAULT_GROUPS) -> "GopCoder":
        return cls(model if isinstance(model, registry.Model) else registry.load(model), groups)

    @classmethod
    def for_setup(cls, setup: CodecSetup) -> "GopCoder":
        model = model_for_setup(setup)
        check_setup(setup, model.entry)
        return cls(model, setup.groups)

    # -- what the file records

    @property
    def model_id(self) -> str:
        return self.model.model_id

    @property
    def weights_sha256(self) -> str:
        return self.model.entry.sha256

    @property
    def token_map(self) -> str:
        return self.tokens.name

    @property
    def coder_params(self) -> dict:
        return dict(self.model.entry.coder_params)

    def codec_setup(self, gop_size: int) -> CodecSetup:
        return CodecSetup(model_id=self.model_id, weights_sha256=self.weights_sha256, token_map=self.token_map,
                          groups=self.groups, gop_size=gop_size, coder_params=self.coder_params,
                          model_weights=self.model.embedded)

    # -- coding

    def _context(self, pix_fmt: str):
        if pix_fmt not in self._contexts:
            from . import nets
            from .gop import GopContext
            from .syntax import syntax_of
            if self._predictor is None:
                try:
                    self._predictor = nets.build(self.model.entry.architecture, self.model.arrays)
                except KeyError:
                    raise UnsupportedSetupError(
                        f"model '{self.model_id}' has architecture '{self.model.entry.architecture}', "
                        "which this release does not know") from None
            fmt = lookup(pix_fmt)
            syntax = syntax_of(self.model.entry.coder_params)
            if fmt.bit_depth > 8:
                self._contexts[pix_fmt] = self._deep_context(fmt, syntax)
            else:
                self._contexts[pix_fmt] = GopContext(self._predictor, self.tokens, self.groups,
                                                     fmt.plane_is_chroma, syntax)
        return self._contexts[pix_fmt]

    def _deep_context(self, fmt, syntax):
        """9-16-bit planes: only models of the split token map code them (highdepth.py)."""
        from .highdepth import TOKEN_MAP, DeepGopContext, SplitTokens
        from .nets.deep import DeepLattice
        if self.tokens.name != TOKEN_MAP:
            raise UnsupportedSetupError(
                f"model '{self.model_id}' codes 8-bit samples only; {fmt.name} ({fmt.bit_depth}-bit) needs a "
                f"high-bit-depth model ({registry.DEFAULT_MODEL}, the default, or {registry.DEEP_ALIASES['mdiff']})")
        return DeepGopContext(DeepLattice(self._predictor, fmt.bit_depth), SplitTokens(fmt.bit_depth),
                              self.groups, fmt.plane_is_chroma, syntax)

    def _stage(self, pix_fmt: str):
        """The adaptive stage's GOP syntax for a pixel format (nlvc_av/codec/adaptive/)."""
        if pix_fmt not in self._contexts:
            from .adaptive.stage import AdaptiveGop
            version = registry.LS_SYNTAX_VERSIONS[self.model.entry.coder_params["syntax"]]
            self._contexts[pix_fmt] = AdaptiveGop(self.groups, lookup(pix_fmt).bit_depth, self.model.arrays["logistic"],
                                                  version)
        stage = self._contexts[pix_fmt]
        stage.threads = self.band_threads
        return stage

    def encode_gop(self, frames: list[list[np.ndarray]], pix_fmt: str, trials: str = "all") -> tuple[bytes, str]:
        if self.adaptive:
            return self._stage(pix_fmt).encode_gop(frames, trials)
        from .encoder import chooser
        from .entropy import SymbolCoder
        from .gop import code_gop
        ctx = self._context(pix_fmt)
        coder = SymbolCoder()
        _, types = code_gop(ctx, coder, [p.shape for p in frames[0]], frames=frames, choose=chooser(ctx, trials))
        return coder.payload(), types

    # -- a GOP in pieces (parallel work inside a GOP)

    #: Context frames a piece needs before its first frame (the adaptive stage's references).
    PIECE_CONTEXT = 3

    def pieces(self, n_frames: int, workers: int, luma_height: int = 0) -> list[tuple[int, int]]:
        """Frame ranges of a GOP that can be encoded independently, as many as keep
        ``workers`` busy: the adaptive stage codes each frame from source frames only (the
        bytes do not depend on the split); the network models code a GOP as one piece.
        A frame tall enough for a band per worker (``luma_height``; stage.bands: 1080p has
        2) stays one piece: its bands and its mode trials keep the workers busy on threads in
        one process (1080p, 4 frames: 16.5 s against 22.3 s in pieces on two processes, which
        each ran a frame's serial mode decision alone)."""
        if not self.adaptive or workers <= 1 or n_frames <= 1:
            return [(0, n_frames)]
        from .adaptive.stage import bands
        if bands(luma_height) >= workers:
            return [(0, n_frames)]
        size = max(1, -(-n_frames // (4 * workers)))
        version = registry.LS_SYNTAX_VERSIONS[self.model.entry.coder_params["syntax"]]
        if version >= 6:
            # ls-v6 codes mini-GOPs in hierarchical order, ls-v10 windows in a planned one:
            # pieces end just after an anchor / at a window's end
            from .adaptive.stage import piece_step
            step = piece_step(version)
            size = -(-size // step) * step
            cuts = [0, 1] + list(range(1 + size, n_frames, size)) + [n_frames]   # the I-frame alone first
            return list(zip(cuts, cuts[1:]))
        return [(a, min(a + size, n_frames)) for a in range(0, n_frames, size)]

    def encode_piece(self, frames: list[list[np.ndarray]], start: int, context: list, pix_fmt: str,
                     trials: str = "all", progress=None):
        """Frames ``start``... of a GOP (``context``: up to PIECE_CONTEXT frames before them).
        ``progress``: the adaptive stage calls it with the fraction of a frame each plane it
        finishes is, from the thread that coded it (the network models code a GOP at once: never)."""
        if self.adaptive:
            return self._stage(pix_fmt).encode_frames(frames, start, context, trials, progress)
        if start or context:
            raise ValueError(f"model '{self.model_id}' codes a GOP as one piece")
        return self.encode_gop(frames, pix_fmt, trials)

    def join_pieces(self, parts: list, n_frames: int) -> tuple[bytes, str]:
        """(payload, frame types) of a GOP from its pieces' results, in order."""
        if self.adaptive:
            from .adaptive.stage import AdaptiveGop
            return AdaptiveGop.join_pieces(parts, n_frames)
        return parts[0]

    def decode_gop(self, payload: bytes, frame_types: str, pix_fmt: str, width: int,
                   height: int) -> list[list[np.ndarray]]:
        if self.adaptive:
            return self._stage(pix_fmt).decode_gop(payload, frame_types, pix_fmt, width, height)
        from .entropy import SymbolCoder
        from .gop import code_gop
        frames, _ = code_gop(self._context(pix_fmt), SymbolCoder(payload), plane_shapes(pix_fmt, width, height),
                             frame_types=frame_types)
        return frames

    def probe_gop(self, payload: bytes, frame_types: str, pix_fmt: str, width: int, height: int, probe):
        """Decode a GOP while ``probe`` (nlvc_av.codec.bits.BitProbe) records where its bits go."""
        if self.adaptive:
            return self._stage(pix_fmt).decode_gop(payload, frame_types, pix_fmt, width, height, probe)
        import dataclasses

        from .bits import ProbeCoder
        from .entropy import SymbolCoder
        from .gop import code_gop
        ctx = dataclasses.replace(self._context(pix_fmt), probe=probe)
        frames, _ = code_gop(ctx, ProbeCoder(SymbolCoder(payload), probe), plane_shapes(pix_fmt, width, height),
                             frame_types=frame_types)
        return frames
