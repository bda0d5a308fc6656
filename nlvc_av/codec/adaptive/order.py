"""ls-v6's coding order: the frames of a GOP in mini-GOPs, hierarchical as B-frames are.

Video decoded from a codec with B-frames was predicted from both sides: the HEVC clip's
frames came as 0, 4, 2, 1, 3 (docs/ADAPTIVE.md). Coding in that order lets the block
prediction (blockpred.py) find the source's own predictions, and every frame but the anchors
has a frame on each side (measured with ls-v5's modes alone: -4.1 % on that clip, -0.6 % to
+0.7 % on the bench clips).
"""
from __future__ import annotations

CONTEXT = 3          # earlier frames a P-frame's references may reach (ls-v4's co3 / mc3)
MINI_GOP = 4         # ls-v6: frames coded in mini-GOPs of 4, the last first, then the midpoints


def _midpoints(lo: int, hi: int) -> list[int]:
    if hi - lo < 2:
        return []
    mid = (lo + hi) // 2
    return [mid] + _midpoints(lo, mid) + _midpoints(mid, hi)


def mini_gops(start: int, end: int) -> list[tuple[int, int]]:
    """The mini-GOPs (lo, hi] of frames start..end - 1 of a GOP: lo an anchor (a multiple of
    MINI_GOP, or 0), hi the next one or the last frame. ``start`` is 0 or just after an anchor,
    and ``end`` the GOP's end or just after an anchor (GopCoder.pieces keeps to that)."""
    if start and start % MINI_GOP != 1:
        raise ValueError(f"an ls-v6 piece starts at frame 0 or just after a multiple of {MINI_GOP}, not {start}")
    out = []
    lo = max(0, start - 1)
    while lo < end - 1:
        hi = min(lo + MINI_GOP - lo % MINI_GOP, end - 1)
        out.append((lo, hi))
        lo = hi
    return out


def within(lo: int, hi: int, hierarchical: bool) -> list[int]:
    """The frames of mini-GOP (lo, hi] in coding order: its last frame, then the midpoints
    between coded frames (hierarchical, as B-frames are: the HEVC clip's own 4, 2, 1, 3), or
    one after another (ls-v7's other choice)."""
    return [hi] + _midpoints(lo, hi) if hierarchical else list(range(lo + 1, hi + 1))


def coding_order(start: int, end: int) -> list[int]:
    """ls-v6: the frames start..end - 1 of a GOP in the order they are coded: frame 0, then
    every mini-GOP hierarchically (n = 5: 0, 4, 2, 1, 3)."""
    order = [0] if start == 0 else []
    for lo, hi in mini_gops(start, end):
        order += within(lo, hi, True)
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
