"""ls-v6 and ls-v7: a GOP coded mini-GOP by mini-GOP (order.py), each frame from its neighbours.

ls-v6 codes every mini-GOP hierarchically. ls-v7 chooses per mini-GOP and sends the choice in
a chunk of its own (one byte, 0: one frame after another, 1: hierarchical) before the
mini-GOP's frames: the hierarchical order pays where the block prediction reproduces frames
predicted from both sides (the HEVC clip: 4,968,521 -> 3,651,511 bytes with ls-v6), and costs
where it does not (an anchor four frames from its reference; the H.264 clip, 9 frames: +3.4 %
with ls-v6). The encoder tries the mini-GOP's middle frame between its two ends: hierarchical
when the block prediction is the mode that frame would take.

ls-v9 adds a table chunk first in each frame (valuetables.py: value tables and the
exact-value mass's flags): a plane with a table is coded as indices, and the frames it is
coded from are taken in its domain (the encoder from the source frames, the decoder from the
decoded values; the same integers).

ls-v10 replaces the mini-GOPs by windows of order.WINDOW frames, each led by an order chunk:
its frames in coding order, each with the pair its block prediction is made from
(planner.py finds them; empty: one frame after another, as ls-v7's other choice). ls-v11
sends the window's interpolation family first in it (HEVC's or H.264's: h264pred.py).
"""
from __future__ import annotations

import numpy as np

from ...errors import PayloadError
from . import blockpred, exactmass, lanes, payload, planner, references, sao, valuetables
from .order import CONTEXT, decode_plan, encode_plan, mini_gops, neighbours, windows, within

MIN_B_FRAMES = 2   # ls-v10 on: fewer B-frames planned in a window of 8 frames or more: ls-v7's order


def encode(stage, frames: list, start: int, context: list, trials: str, progress=None) -> list[bytes]:
    """The chunks of frames ``start``... (mini-GOPs whole; ``context``: frames before them);
    ``progress`` (stage.encode_frames) hears of each plane coded."""
    have = {start - len(context[-CONTEXT:]) + j: f for j, f in enumerate(context[-CONTEXT:])}
    chunks: list[bytes] = []
    if start == 0:
        _encode_frame(stage, 0, frames[0], have, chunks, trials, progress)
    if stage.version >= 10:
        for lo, hi in windows(start, start + len(frames)):
            luma = {i: (frames[i - start] if i >= start else have[i])[0] for i in range(lo, hi + 1)}
            families = (blockpred.HEVC, blockpred.H264) if stage.version >= 11 else (blockpred.HEVC,)
            plan, family = planner.plan(luma, lo, hi, list(have), stage.bits, stage._map, families)
            if sum(second is not None and second > i for i, _, second in plan) < (MIN_B_FRAMES if hi - lo >= 8 else 1):
                plan = _mini_gop_plan(stage, lambda i: frames[i - start], have, lo, hi, trials)
            chunks.append(encode_plan(plan, lo, hi, list(have), family if stage.version >= 11 else None))
            for i, first, second in plan:
                _encode_frame(stage, i, frames[i - start], have, chunks, trials, progress, (first, second, family))
        return chunks
    for lo, hi in mini_gops(start, start + len(frames)):
        hierarchical = True
        if stage.version >= 7:
            hierarchical = _pays(stage, lambda i: frames[i - start], have, lo, hi, trials)
            chunks.append(bytes([hierarchical]))
        for i in within(lo, hi, hierarchical):
            _encode_frame(stage, i, frames[i - start], have, chunks, trials, progress)
    return chunks


def _pays(stage, frame, have: dict, lo: int, hi: int, trials: str) -> bool:
    """Encoder (ls-v7): whether mini-GOP (lo, hi] is coded hierarchically: its middle frame,
    with the two ends coded, would take the block prediction (not tried where the block
    prediction does not reproduce it: stage.reproduces)."""
    if hi - lo < 2:
        return False   # one frame: both orders are the same
    mid = (lo + hi) // 2
    trial = {**have, hi: frame(hi)}
    earlier, pair = _neighbourhood(mid, trial)
    if not stage.reproduces(frame(mid)[0], pair):
        return False
    mode = stage.choose_mode(frame(mid), earlier, trials, pair, whole=False)[0]
    return references.uses_blocks(mode, stage.modes)


def _mini_gop_plan(stage, frame, have: dict, lo: int, hi: int, trials: str) -> list[tuple[int, int, int | None]]:
    """Encoder (ls-v10 on): a window where the planner found no B-frame (or one alone, in a window
    of 8 frames or more: a source with B-frames has them throughout), in ls-v7's order: each
    mini-GOP hierarchical where its trial pays (``_pays``: the block prediction takes its middle
    frame, though not exactly; park_joy from MPEG-2 and VP9 measured 4 % smaller so), else one
    frame after another, each frame with ls-v6's pair. The source frames stand for the coded
    ones (the coding is lossless)."""
    seen = dict(have)
    plan = []
    for a, b in mini_gops(lo + 1, hi + 1):
        for i in within(a, b, _pays(stage, frame, seen, a, b, trials)):
            _, first, second = neighbours(i, seen)
            plan.append((i, first, second))
            seen[i] = frame(i)
    return plan


def _neighbourhood(i: int, have: dict, chosen=None):
    """Frame i's earlier frames (the CONTEXT nearest coded ones, the nearest last) and the block
    prediction's pair: (first frame, second or None, whether i is midway between them);
    ``chosen``: ls-v10's (first, second, family), else ls-v6's pair and HEVC."""
    near, first, second = _neighbours(i, have, chosen)
    pair = (have[first], have[second] if second is not None else None,
            second is not None and second - i == i - first, chosen[2] if chosen else blockpred.HEVC)
    return [have[c] for c in near], pair


def _neighbours(i: int, coded, chosen=None) -> tuple[list[int], int, int | None]:
    """order.neighbours, with the pair of ``chosen`` (ls-v10's plan: first, second, family)
    where there is one."""
    near, first, second = neighbours(i, coded, CONTEXT)
    return (near, *chosen[:2]) if chosen is not None else (near, first, second)


def _encode_frame(stage, i: int, source, have: dict, chunks: list, trials: str, progress=None,
                  chosen=None) -> None:
    refs, spike = [[] for _ in source], False
    planes, view, tables = source, have, [None] * len(source)
    if stage.version >= 9:  # value tables: the frame, and the frames it is coded from, in its domain
        tables = [valuetables.choose(p, stage.bits) for p in source]
        planes = _domain(stage, source, tables)
        if i and any(t is not None for t in tables):
            near, first, second = _neighbours(i, have, chosen)
            view = {j: _domain(stage, have[j], tables) for j in {*near, first, second} - {None}}
    if i:
        earlier, pair = _neighbourhood(i, view, chosen)
        mode, vectors, made = stage.choose_mode(planes, earlier, trials, pair)
        side = stage._side(mode, vectors, planes[0].shape)
        spike = references.uses_blocks(mode, stage.modes)
        if spike:
            made["hv"] = [_clip(p, t) for p, t in zip(made["hv"], tables)]
        refs = references.build(mode, made, len(planes), stage.modes)
    masses = [False] * len(planes)
    if stage.version >= 9:
        masses = [not spike and exactmass.worth(p, r[0] if r else None) for p, r in zip(planes, refs)]
        inherited = [valuetables.choose(p, stage.bits) for p in have[neighbours(i, have)[1]]] if i else None
        chunks.append(valuetables.encode_chunk(tables, inherited, masses, stage.bits))
    if i:
        chunks.append(side)
    for k, plane in enumerate(planes):
        units = stage.units(i, planes[:k], k, plane.shape, refs[k], len(planes), planes[0].shape, spike,
                            valuetables.maxval(tables[k]), masses[k])
        chunks.extend(data for data, _ in stage._map(lambda unit: stage.encode_unit(plane, unit), units))
        if progress is not None:
            progress(plane.size / sum(p.size for p in planes))
    have[i] = source


def _domain(stage, planes: list, tables: list) -> list:
    """ls-v9: a frame's planes in the domain of ``tables`` (value tables' indices, or the values)."""
    return [p if t is None else valuetables.to_domain(p, t, stage.bits) for p, t in zip(planes, tables)]


def _clip(pred: np.ndarray, table) -> np.ndarray:
    """ls-v9: the block prediction of a plane with a value table, within its indices (HEVC's
    filters overshoot)."""
    return pred if table is None else np.minimum(pred, table.size - 1)


def decode(stage, data: bytes, frame_types: str, shapes, probe=None) -> list[list[np.ndarray]]:
    """The GOP's frames in display order. With band threads and several planes, plane 0 runs
    in a lane ahead of the others (lanes.py; ``probe``, nlvc stats, takes the one-lane path)."""
    if frame_types != "I" + "P" * (len(frame_types) - 1):
        raise ValueError("the adaptive stage codes a GOP as one I-frame and P-frames")
    layout = _layout(stage, data, frame_types, shapes)
    out: dict[int, list] = {i: [None] * len(shapes) for i, *_ in layout}   # the samples' values
    coded_in: dict[int, list] = {i: [None] * len(shapes) for i, *_ in layout}   # as coded (ls-v9: indices)
    luts: dict = {}

    def domain(j: int, k: int, table) -> np.ndarray:
        """Plane k of frame j in the domain of a frame whose plane k has ``table``."""
        own = layout_tables[j][k]
        if table is None or valuetables.same(own, table):
            return out[j][k] if table is None else coded_in[j][k]
        key = (id(table), k)
        if key not in luts:
            luts[key] = valuetables.lookup(table, stage.bits)
        return valuetables.to_domain(out[j][k], table, stage.bits, luts[key])

    layout_tables = {entry[0]: entry[4][0] for entry in layout}

    def plane(pos: int, k: int) -> None:
        i, coded, side, chunks, (tables, masses, table_bytes), chosen = layout[pos]
        table = tables[k]
        refs, spike = [], False
        if side is not None:
            mode, vectors, _ = side
            near, first, second = _neighbours(i, coded, chosen)
            if references.uses_blocks(mode, stage.modes):
                a = domain(first, k, table)
                pred = blockpred.predict_one(vectors["hv"], a, domain(second, k, table) if second is not None else a,
                                             k, shapes[0], stage.bits, chosen[2] if chosen else blockpred.HEVC)
                if k == 0 and "sao" in vectors:
                    pred = sao.filtered(pred, vectors["sao"], stage.bits)
                refs, spike = [_clip(pred, table)], True
            else:
                refs = references.reference_planes(stage.modes[mode], vectors, [domain(j, k, table) for j in near],
                                                    shapes[0])
        if spike and masses[k]:
            raise PayloadError("damaged GOP: a plane of the block prediction flagged for the exact-value mass")
        coded_in[i][k] = lanes.decode_one(stage, i, k, coded_in[i][:k], refs, shapes, chunks[k], spike,
                                          valuetables.maxval(table), masses[k])
        out[i][k] = valuetables.to_values(coded_in[i][k], table)
        if probe is not None:
            if table_bytes and k == 0:
                probe.at(frame=i, frame_type=frame_types[i], plane="side", mode="", part="value tables")
                probe.add(8.0 * table_bytes, 1)
            if side is not None and k == 0:
                probe.at(frame=i, frame_type="P", plane="side", mode="", part="vectors and modes")
                probe.add(8.0 * side[2], 1)
            for chunk, (a, b) in zip(chunks[k], stage.units_rows(shapes, k)):
                probe.at(frame=i, frame_type=frame_types[i], plane=k, mode="inter" if refs else "intra", part="samples")
                probe.add(8.0 * len(chunk), (b - a) * shapes[k][1])

    if stage.threads > 1 and len(shapes) > 1 and probe is None:
        lanes.run(len(layout), len(shapes), plane)
    else:
        for pos in range(len(layout)):
            for k in range(len(shapes)):
                plane(pos, k)
    return [out[i] for i in range(len(frame_types))]


def _layout(stage, data: bytes, frame_types: str, shapes) -> list[tuple]:
    """Per frame in coding order: (index, the frames coded before it, its side (mode, vectors,
    the side chunk's size) or None, its band chunks per plane, (ls-v9) its planes' value
    tables, mass flags and table chunk's size (else None, False, 0), and (ls-v10) the pair
    its order chunk chose (else None))."""
    chunks = iter(payload.split(data, stage.chunk_count(frame_types, shapes)))
    counts = stage.bands_per_plane(shapes)
    tables: dict[int, list] = {}

    def planes():
        return [[next(chunks) for _ in range(n)] for n in counts]

    def read_tables(i: int, coded: list) -> tuple[list, list, int]:
        if stage.version < 9:
            return [None] * len(shapes), [False] * len(shapes), 0
        inherited = tables[neighbours(i, coded)[1]] if coded else None
        raw = next(chunks)
        tables[i], masses = valuetables.decode_chunk(raw, len(shapes), inherited, stage.bits)
        return tables[i], masses, len(raw)

    first_tables = read_tables(0, [])
    layout = [(0, [], None, planes(), first_tables, None)]
    coded = [0]

    def in_order():
        """(frame, ls-v10's chosen pair and family or None), in coding order, reading the order chunks."""
        if stage.version >= 10:
            for lo, hi in windows(0, len(frame_types)):
                raw = next(chunks)
                plan, family = (decode_plan(raw, lo, hi, coded, True) if stage.version >= 11
                                else (decode_plan(raw, lo, hi, coded), blockpred.HEVC))
                for i, first, second in plan:
                    yield i, (first, second, family)
            return
        for lo, hi in mini_gops(0, len(frame_types)):
            hierarchical = True
            if stage.version >= 7:
                flag = next(chunks)
                if flag not in (b"\x00", b"\x01"):
                    raise ValueError("damaged GOP: a mini-GOP's order is neither 0 nor 1")
                hierarchical = flag == b"\x01"
            yield from ((i, None) for i in within(lo, hi, hierarchical))

    for i, chosen in in_order():
        frame_tables = read_tables(i, coded)
        raw = next(chunks)
        mode, vectors = stage._read_side(raw, shapes[0], min(len(coded), CONTEXT))
        layout.append((i, list(coded), (mode, vectors, len(raw)), planes(), frame_tables, chosen))
        coded.append(i)
    return layout
