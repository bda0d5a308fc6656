"""ls-v6's coding order: the frames of a GOP in mini-GOPs, hierarchical as B-frames are.

Video decoded from a codec with B-frames was predicted from both sides: the HEVC clip's
frames came as 0, 4, 2, 1, 3 (docs/ADAPTIVE.md). Coding in that order lets the block
prediction (blockpred.py) find the source's own predictions, and every frame but the anchors
has a frame on each side (measured with ls-v5's modes alone: -4.1 % on that clip, -0.6 % to
+0.7 % on the bench clips).
"""
from __future__ import annotations

MINI_GOP = 4         # ls-v6: frames coded in mini-GOPs of 4, the last first, then the midpoints


def _midpoints(lo: int, hi: int) -> list[int]:
    if hi - lo < 2:
        return []
    mid = (lo + hi) // 2
    return [mid] + _midpoints(lo, mid) + _midpoints(mid, hi)


def coding_order(start: int, end: int) -> list[int]:
    """ls-v6: the frames start..end - 1 of a GOP in the order they are coded: frame 0, then per
    mini-GOP (the frames after an anchor at a multiple of MINI_GOP, up to the next anchor or
    the last frame) its last frame, then the midpoints between coded frames, as hierarchical
    B-frames are (the HEVC clip's own order 0, 4, 2, 1, 3). ``start`` is 0 or just after an
    anchor, and ``end`` the GOP's end or just after an anchor (GopCoder.pieces keeps to that)."""
    if start and start % MINI_GOP != 1:
        raise ValueError(f"an ls-v6 piece starts at frame 0 or just after a multiple of {MINI_GOP}, not {start}")
    order = [0] if start == 0 else []
    lo = max(0, start - 1)
    while lo < end - 1:
        hi = min(lo + MINI_GOP - lo % MINI_GOP, end - 1)
        order += [hi] + _midpoints(lo, hi)
        lo = hi
    return order


def neighbours(i: int, coded, count: int = 3) -> tuple[list[int], int, int | None]:
    """ls-v6: of the coded frames ``coded`` (indices), the ``count`` nearest to frame i (the
    nearest last; the earlier one first on ties) and the block prediction's two: the nearest
    earlier frame and the nearest later one (else the second nearest earlier one, else None)."""
    near = sorted(coded, key=lambda c: (abs(c - i), c > i))[:count]
    past = sorted((c for c in coded if c < i), reverse=True)
    future = sorted(c for c in coded if c > i)
    second = future[0] if future else (past[1] if len(past) > 1 else None)
    return near[::-1], past[0], second
