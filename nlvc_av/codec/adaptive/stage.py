"""The GOP syntax of the adaptive stage (ls-v1 .. ls-v5): frames <-> chunks of range-coded bytes.

Frame by frame, in order (frame types travel in the cluster):

    I-frame:  every plane, each split into ``bands(height)`` bands of rows, one chunk a band
    P-frame:  a side chunk (the reference mode and its vectors, references.py; constriction
              before ls-v4, the stage's range coder from it),
              then every plane's bands with the mode's references as features (ls-v2's
              mode 7 has none: the planes are coded as an I-frame's)

ls-v2 also corrects each sample's mean with an online-trained network (corrector.py; ls-v3
on every sample); ls-v4 adds modes with four references (a third earlier frame) and codes the
side chunk's vectors predicted (vectorcoder.py); ls-v5 refits the planes of large frames
(1080p and up) less often (planes.LARGE_SOLVE_FACTOR). ``AdaptiveGop(version=...)`` picks the syntax, ``planes.VERSIONS`` its efforts.

Features of a plane (``planes.plane_config``): its causal neighbours; in P-frames the 3x3 of
each reference around the same position; the second and third planes of a 3-plane frame (U, V
or B, R) the 3x3 of the first plane summed over its subsampling (and the third the 3x3 of
the second). Bands are independent: own adaptive state, own stream (the unit of parallel work).
"""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

import numpy as np

from ...errors import PayloadError
from ..formats import lookup, plane_shapes
from . import blockpred, blocksearch, exactmass, lanes, ordered, payload, references, sao
from .order import CONTEXT, MINI_GOP, coding_order, mini_gops, neighbours, piece_step, windows  # noqa: F401  (for GopCoder.pieces and the tests)
from .planes import decode_plane, encode_plane, large_frame, plane_config

TRIAL_STRIPE = 32    # rows per stripe of the encoder's mode trial (references.trial_rows)
FINALISTS = 2        # ls-v4: modes trialled on the outer stripes after the middle one
REF_COST = 0.015     # ls-v4: a mode's score grows by this fraction per reference (its time),
REF_COST_LARGE = 0.05   # ... and by this from planes.LARGE_FRAME luma samples on (1080p: the
                        # speed targets; blue_sky's P-frames then take mode 7, as in ls-v3)
BAND_ROWS = 512     # bands per plane: luma height // 512 (at least 1), the same for every plane
EXACT_RATIO = 1.5    # ls-v6: the block mode is tried where exact samples are this many times those one off
def bands(luma_height: int) -> int:
    return max(1, luma_height // BAND_ROWS)


def band_rows(height: int, count: int) -> list[tuple[int, int]]:
    edges = [height * i // count for i in range(count + 1)]
    return [(a, b) for a, b in zip(edges, edges[1:]) if b > a] or [(0, height)]


def cross_plane(source: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """``source`` summed over blocks so that it lies on the grid of a plane of ``shape``."""
    h, w = shape
    sy, sx = -(-source.shape[0] // h), -(-source.shape[1] // w)
    x = np.pad(source.astype(np.int32), ((0, h * sy - source.shape[0]), (0, w * sx - source.shape[1])), mode="edge")
    return x.reshape(h, sy, w, sx).sum(axis=(1, 3), dtype=np.int32)


@dataclass
class Unit:
    """One band of one plane: what it is coded from."""
    frame: int
    plane: int
    rows: tuple[int, int]
    sides: list[np.ndarray]   # full-plane side planes, before cropping
    inter: bool
    chroma: bool
    large: bool = False   # a plane of a large frame (planes.large_frame)
    spike: int = 0        # the point mass: 1 ls-v6's on the block prediction (the first side
                          # plane), 2 / 3 ls-v9's on the median / the reference (exactmass.py)
    maxval: int = -1      # ls-v9: a plane with a value table codes indices 0 .. maxval (-1: none)


def _crop(sides: list[np.ndarray], rows: tuple[int, int]) -> list[np.ndarray]:
    a, b = rows
    return [s[a:b] for s in sides]


def side_planes(coded: list[np.ndarray], k: int, shape, refs: list[np.ndarray], nplanes: int) -> list[np.ndarray]:
    """Side planes of plane k: its references, then (planes 1 and 2 of a 3- or 4-plane frame)
    plane 0 and, for plane 2, plane 1 on its grid. ``coded``: the frame's planes before k."""
    out = list(refs)
    if nplanes >= 3 and k in (1, 2):
        out.append(cross_plane(coded[0], shape))
        if k == 2:
            out.append(cross_plane(coded[1], shape))
    return out


class AdaptiveGop:
    """Encode / decode GOPs of one pixel format with the adaptive stage at one effort.

    ``threads``: the bands of a plane are coded on up to this many threads (the compiled loop
    releases the GIL); the caller sets it to the cores a lone GOP may use, else leaves 1."""

    def __init__(self, effort: int, bit_depth: int, table: np.ndarray, version: int = 1):
        self.effort = effort
        self.bits = bit_depth
        self.table = table
        # 1: syntax ls-v1, 2: ls-v2 (the residual corrector, mode 7), 3: ls-v3, 4: ls-v4 (modes 8, 9;
        # predicted vectors), 5: ls-v5 (large frames refit less often: planes.LARGE_SOLVE_FACTOR)
        self.version = version
        self.modes = references.MODES_V6 if version >= 6 else references.MODES_V4 if version >= 4 else references.MODES_V2 if version >= 2 else references.MODES
        self.threads = 1
        self._pool: ThreadPoolExecutor | None = None
        self._pool_size = 0
        self._pool_lock = threading.Lock()   # the decoder's two lanes share the band threads

    def _map(self, fn, items: list) -> list:
        """``fn`` over ``items``, on the band threads when there are several of each."""
        if self.threads <= 1 or len(items) <= 1:
            return [fn(item) for item in items]
        with self._pool_lock:
            if self._pool_size != self.threads:
                if self._pool is not None:
                    self._pool.shutdown()
                self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="nlvc-band")
                self._pool_size = self.threads
            pool = self._pool
        return list(pool.map(fn, items))

    def _config(self, unit: Unit):
        cfg = plane_config(self.effort, len(unit.sides), unit.inter, self.bits, unit.chroma, self.version, unit.large)
        return cfg if unit.maxval < 0 else replace(cfg, maxval=unit.maxval)

    def encode_unit(self, plane: np.ndarray, unit: Unit) -> tuple[bytes, float]:
        a, b = unit.rows
        if unit.maxval == 0:  # ls-v9: a plane of one value (its table) codes nothing
            return b"", 0.0
        return encode_plane(plane[a:b], _crop(unit.sides, unit.rows), self._config(unit), self.table,
                            spike=unit.spike)

    def decode_unit(self, data: bytes, shape, unit: Unit) -> np.ndarray:
        a, b = unit.rows
        if unit.maxval == 0:
            if data:
                raise PayloadError("damaged GOP: a plane of one value has coded bytes")
            return np.zeros((b - a, shape[1]), np.int32)
        return decode_plane(data, (b - a, shape[1]), _crop(unit.sides, unit.rows), self._config(unit), self.table,
                            spike=unit.spike)

    def choose_mode(self, planes, earlier, trials: str = "all", pair=None, whole: bool = True) -> tuple[int, dict, dict]:
        """Encoder: the reference mode whose luma trial (fastest effort, a bounded set of rows)
        plus its side chunk is smallest; with its vectors and the references it may use
        (each built once, for the trial and the coding alike). ``earlier``: the GOP's frames
        before this one (the last three at most), the nearest last."""
        modes = references.candidates(len(earlier), self.modes)
        blocks = self.modes.index(("hv",)) if pair is not None else -1
        if blocks >= 0 and blocks not in modes:
            modes.append(blocks)
        if trials == "estimate" or large_frame(planes[0].shape):
            # the fast preset, and large frames, spare the third frame's motion search and trials:
            # at REF_COST_LARGE a four-reference mode must code 4.3 % fewer bits than the best
            # three-reference one to win (calendar's gain was 3.1 %); blue_sky (10 frames) and
            # the HEVC clip (5) never chose one
            modes = [m for m in modes if references.frames_needed(m, self.modes) <= 2 or m == blocks]
        names = [r for m in modes for r in self.modes[m]]
        vectors = references.estimate(planes[0], earlier, names, self._map)
        made = references.reference_frames(names, vectors, earlier)
        height = planes[0].shape[0]
        if blocks >= 0:  # the block prediction, searched on the trial's rows first
            known = [(earlier[-int(n[2:] or 1)], v) for n, v in vectors.items() if n.startswith("mc")]
            search = blocksearch.searcher(planes[0], pair, self.bits, self._map, known)
            if not self.reproduces(planes[0], pair, search):
                modes.remove(blocks)
                blocks = -1
        if blocks >= 0:
            trial_rows = references.trial_rows(height, TRIAL_STRIPE, 1 if trials == "estimate" else 3)
            made["hv"] = self._blocks(planes[0], pair, search(blocksearch.spans_of(trial_rows)), vectors, trial_rows)
            field_bits = 8.0 * len(self._field_bytes(vectors)) * height / max(1, len(trial_rows))
        side = {m: 8.0 * len(references.side_chunk(m, vectors, planes[0].shape, self.modes, self.version >= 4))
                for m in modes}
        if blocks >= 0:
            side[blocks] += field_bits
        if self.version < 4 or trials == "estimate":
            # three stripes of rows (the fast preset's "estimate": the middle one, of half the
            # rows in a large frame: on blue_sky's 10 frames and the HEVC clip the same modes,
            # encoding 10-17 % faster), every mode, each with its whole side chunk
            stripe = TRIAL_STRIPE // 2 if trials == "estimate" and large_frame(planes[0].shape) else TRIAL_STRIPE
            rows = references.trial_rows(height, stripe, 1 if trials == "estimate" else 3)
            scores = {m: b + side[m] for m, b in zip(modes, self._trials(modes, planes, made, rows))}
        else:
            # ls-v4's ten modes: every one on the middle stripe, the best ``FINALISTS`` on the
            # outer two as well; the rows' bits scaled to the frame's height before the side
            # chunk is added (a whole frame's vectors against a few rows' samples would decide
            # alone), and each reference's cost in time charged as a fraction of the bits
            first = references.trial_rows(height, TRIAL_STRIPE, 1)
            bits = dict(zip(modes, self._trials(modes, planes, made, first)))
            rows = len(first)
            cost = REF_COST_LARGE if large_frame(planes[0].shape) else REF_COST

            def score(m: int) -> float:
                return (bits[m] * height / rows + side[m]) * (1.0 + cost * len(self.modes[m]))

            if len(modes) > FINALISTS and rows < height:
                rest = np.setdiff1d(references.trial_rows(height, TRIAL_STRIPE, 3), first)
                keep = sorted(modes, key=lambda m: (score(m), m))[:FINALISTS]
                bits = {m: bits[m] + b for m, b in zip(keep, self._trials(keep, planes, made, rest))}
                rows += len(rest)
            scores = {m: score(m) for m in bits}
        mode = min(scores, key=lambda m: (scores[m], m))
        if mode == blocks and whole:  # the whole frame's field, and its bytes in the side chunk
            made["hv"] = self._blocks(planes[0], pair, search(None), vectors)
        return mode, vectors, made

    def reproduces(self, cur: np.ndarray, pair, search=None) -> bool:
        """Encoder: whether the block prediction reproduces ``cur`` as a codec's decoded frame
        is reproduced: on the middle trial stripe, at least EXACT_RATIO times as many exact
        samples as samples one off. Camera content measured 0.57-1.03 (exact samples are then
        noise that happens to match), the H.264 and HEVC clips 2.9-8.6 (docs/ADAPTIVE.md); the
        mode is not tried below it (at CIF its trial was a third of the encode)."""
        rows = references.trial_rows(cur.shape[0], TRIAL_STRIPE, 1)
        search = search or blocksearch.searcher(cur, pair, self.bits, self._map)
        first, second = pair[:2]
        field = search(blocksearch.spans_of(rows))
        pred = blockpred.predict_one(field, first[0], (second if second is not None else first)[0], 0, cur.shape,
                                     self.bits, blockpred.family_of(pair))
        r = pred[rows].astype(np.int64) - cur[rows]
        return np.count_nonzero(r == 0) >= EXACT_RATIO * max(1, np.count_nonzero(np.abs(r) == 1))

    def _blocks(self, cur: np.ndarray, pair, field, vectors: dict, rows=None) -> list[np.ndarray]:
        """Encoder: the block prediction of ``field`` (into ``vectors``), and from ls-v8 on its
        luma's edge offsets fitted to ``cur`` (on ``rows``, a trial's; else all)."""
        vectors["hv"] = field
        if self.version >= 8:
            raw = blockpred.predict(field, pair[0], pair[1], self.bits, blockpred.family_of(pair))[0]
            vectors["sao"] = sao.fit(cur, raw, self.bits, rows)
        return self.block_reference(vectors, pair)

    def block_reference(self, vectors: dict, pair) -> list[np.ndarray]:
        """Encoder: the reference "hv", every plane of the block prediction (ls-v8: its luma
        edge-offset; ordered.decode computes the same plane by plane)."""
        made = blockpred.predict(vectors["hv"], pair[0], pair[1], self.bits, blockpred.family_of(pair))
        if "sao" in vectors:
            made[0] = sao.filtered(made[0], vectors["sao"], self.bits)
        return made

    def _field_bytes(self, vectors: dict) -> bytes:
        return blockpred.encode_field(*vectors["hv"], vectors.get("sao"), self.bits)

    def _side(self, mode: int, vectors: dict, shape) -> bytes:
        side = references.side_chunk(mode, vectors, shape, self.modes, self.version >= 4)
        if self.version < 6:
            return side
        field = self._field_bytes(vectors) if references.uses_blocks(mode, self.modes) else b""
        return payload.join([side, field])

    def _read_side(self, data: bytes, shape, earlier: int) -> tuple[int, dict]:
        if self.version < 6:
            return references.read_side(data, shape, earlier, self.modes, self.version >= 4)
        side, field = payload.split(data, 2)
        mode, vectors = references.read_side(side, shape, earlier, self.modes, True)
        if references.uses_blocks(mode, self.modes):
            offsets_grid = sao.grid(shape) if self.version >= 8 else None
            vectors["hv"], offsets = blockpred.decode_field(field, blocksearch.grid(shape), offsets_grid, self.bits)
            if offsets is not None:
                vectors["sao"] = offsets
        return mode, vectors

    def _trials(self, modes: list[int], planes, made: dict, rows: np.ndarray) -> list[float]:
        """``_trial`` of each mode, on the band threads (independent: any order, same bits)."""
        return self._map(lambda mode: self._trial(mode, planes, made, rows), list(modes))

    def _trial(self, mode: int, planes, made: dict, rows: np.ndarray) -> float:
        """Bits of the luma ``rows`` coded with one mode's references."""
        refs = references.build(mode, made, 1, self.modes)[0]
        # ranked with ls-v1's model (no corrector) in every syntax: the corrector's noise on
        # a few trial rows picked worse modes (park_joy, 10 frames: 1 % larger; docs/ADAPTIVE.md)
        cfg = plane_config(1, len(refs), bool(refs), self.bits)
        return encode_plane(planes[0][rows], [r[rows] for r in refs], cfg, self.table,
                            spike=references.uses_blocks(mode, self.modes))[1]

    # -- what GopCoder calls

    def encode_gop(self, frames: list[list[np.ndarray]], trials: str = "all") -> tuple[bytes, str]:
        types = "I" + "P" * (len(frames) - 1)
        return self.encode(frames, types, trials), types

    @staticmethod
    def join_pieces(parts: list[list[bytes]], n_frames: int) -> tuple[bytes, str]:
        return payload.join([c for part in parts for c in part]), "I" + "P" * (n_frames - 1)

    def decode_gop(self, data: bytes, frame_types: str, pix_fmt: str, width: int, height: int,
                   probe=None) -> list[list[np.ndarray]]:
        fmt = lookup(pix_fmt)
        frames = self.decode(data, frame_types, plane_shapes(fmt, width, height), probe)
        return [[p.astype(fmt.dtype) for p in f] for f in frames]

    # -- the syntax

    def units(self, i: int, coded: list[np.ndarray], k: int, shape, refs: list[np.ndarray], nplanes: int,
              luma_shape, spike: bool = False, maxval: int = -1, mass: bool = False) -> list[Unit]:
        """The bands of plane k of frame i (the order of their chunks); ``refs``: the plane's
        references (its planes of the mode's reference frames); ``spike``: the first is the
        block prediction; ls-v9: ``maxval`` for a plane with a value table, ``mass`` whether it
        takes the exact-value mass."""
        chroma = nplanes >= 3 and k in (1, 2)
        plane_refs = refs[:references.CHROMA_REFS] if chroma else refs
        sides = side_planes(coded, k, shape, plane_refs, nplanes)
        n, large = bands(luma_shape[0]), large_frame(luma_shape)
        kind = 1 if spike else (exactmass.REFERENCE if plane_refs else exactmass.MEDIAN) if mass else 0
        return [Unit(i, k, rows, sides, bool(plane_refs), chroma, large, kind, maxval)
                for rows in band_rows(shape[0], n)]

    def encode_frames(self, frames: list[list[np.ndarray]], start: int, context: list[list[np.ndarray]],
                      trials: str = "all", progress=None) -> list[bytes]:
        """The chunks of frames ``start``, ``start + 1``, ... of a GOP, given the (up to
        ``CONTEXT``) frames before ``start`` (the source's: the coding is lossless). Frame 0 is the I-frame.
        Each frame depends only on the source, so any split of a GOP codes the same bytes.
        ``progress``: called, in the thread coding these frames, with the fraction of a frame
        each plane coded is (the caller adds them up)."""
        if self.version >= 6:
            return ordered.encode(self, frames, start, context, trials, progress)
        chunks = []
        earlier = list(context[-CONTEXT:])
        for i, planes in enumerate(frames, start):
            refs = [[] for _ in planes]
            if i > 0:
                mode, vectors, made = self.choose_mode(planes, earlier, trials)
                chunks.append(references.side_chunk(mode, vectors, planes[0].shape, self.modes, self.version >= 4))
                refs = references.build(mode, made, len(planes), self.modes)
            for k, plane in enumerate(planes):
                units = self.units(i, planes[:k], k, plane.shape, refs[k], len(planes), planes[0].shape)
                chunks.extend(data for data, _ in self._map(lambda unit: self.encode_unit(plane, unit), units))
                if progress is not None:
                    progress(plane.size / sum(p.size for p in planes))
            earlier = (earlier + [planes])[-CONTEXT:]
        return chunks

    def encode(self, frames: list[list[np.ndarray]], frame_types: str, trials: str = "all") -> bytes:
        if frame_types != "I" + "P" * (len(frames) - 1):
            raise ValueError("the adaptive stage codes a GOP as one I-frame and P-frames")
        return payload.join(self.encode_frames(frames, 0, [], trials))

    @staticmethod
    def units_rows(shapes, k: int) -> list[tuple[int, int]]:
        """The rows of plane k's bands."""
        return band_rows(shapes[k][0], bands(shapes[0][0]))

    @staticmethod
    def bands_per_plane(shapes) -> list[int]:
        return [len(band_rows(s[0], bands(shapes[0][0]))) for s in shapes]

    def chunk_count(self, frame_types: str, shapes) -> int:
        """Band chunks, a side chunk per P-frame, an order chunk per mini-GOP (ls-v7) or per
        window (ls-v10) and (ls-v9) a table chunk per frame."""
        n = len(frame_types)
        orders = len(windows(0, n)) if self.version >= 10 else len(mini_gops(0, n)) if self.version >= 7 else 0
        extra = orders + (n if self.version >= 9 else 0)
        return n * sum(self.bands_per_plane(shapes)) + frame_types.count("P") + extra

    def decode(self, data: bytes, frame_types: str, shapes, probe=None) -> list[list[np.ndarray]]:
        """The GOP's frames (int32 planes). With band threads and several planes, plane 0
        decodes in a lane ahead of the others (lanes.py: the same frames); ``probe`` (nlvc
        stats) takes the one-lane path, which reports the chunks in their order."""
        if self.version >= 6:
            return ordered.decode(self, data, frame_types, shapes, probe)
        if self.threads > 1 and len(shapes) > 1 and probe is None:
            return lanes.decode(self, data, frame_types, shapes, CONTEXT)
        chunks = iter(payload.split(data, self.chunk_count(frame_types, shapes)))
        frames = []
        for i, ftype in enumerate(frame_types):
            if ftype not in "IP":
                raise ValueError(f"unknown frame type {ftype!r}")
            refs = [[] for _ in shapes]
            if ftype == "P":
                if not frames:
                    raise ValueError("GOP starts with a P-frame")
                earlier = frames[-CONTEXT:]
                side = next(chunks)
                mode, vectors = references.read_side(side, shapes[0], len(earlier), self.modes, self.version >= 4)
                if probe is not None:
                    probe.at(frame=i, frame_type=ftype, plane="side", mode="", part="vectors and modes")
                    probe.add(8.0 * len(side), 1 + sum(v.size for v in vectors.values()))
                made = references.reference_frames(self.modes[mode], vectors, earlier)
                refs = references.build(mode, made, len(shapes), self.modes)
            frames.append(self.decode_planes(i, ftype, refs, shapes, chunks, probe))
        return frames

    def decode_planes(self, i: int, ftype: str, refs, shapes, chunks, probe=None):
        """Frame i's planes from their band chunks (the next ones of the iterator ``chunks``)."""
        planes: list[np.ndarray] = []
        for k, shape in enumerate(shapes):
            out = np.empty(shape, np.int32)
            units = self.units(i, planes, k, shape, refs[k], len(shapes), shapes[0])
            coded = [(unit, next(chunks)) for unit in units]

            def decode_band(item, shape=shape, out=out):
                unit, chunk = item
                out[unit.rows[0]:unit.rows[1]] = self.decode_unit(chunk, shape, unit)

            self._map(decode_band, coded)
            for unit, chunk in coded:
                if probe is not None:
                    probe.at(frame=i, frame_type=ftype, plane=k, mode="inter" if unit.inter else "intra",
                             part="samples")
                    probe.add(8.0 * len(chunk), (unit.rows[1] - unit.rows[0]) * shape[1])
            planes.append(out)
        return planes
