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


def _spans(start: int, end: int, step: int, syntax: str) -> list[tuple[int, int]]:
    """The spans (lo, hi] of frames start..end - 1 of a GOP: lo 0 or a multiple of ``step``, hi
    the next one or the last frame (``start`` 0 or just after a multiple)."""
    if start and start % step != 1:
        raise ValueError(f"an {syntax} piece starts at frame 0 or just after a multiple of {step}, not {start}")
    out = []
    lo = max(0, start - 1)
    while lo < end - 1:
        hi = min(lo + step - lo % step, end - 1)
        out.append((lo, hi))
        lo = hi
    return out


def mini_gops(start: int, end: int) -> list[tuple[int, int]]:
    """The mini-GOPs (lo, hi] of frames start..end - 1 of a GOP: lo an anchor (a multiple of
    MINI_GOP, or 0), hi the next one or the last frame. ``start`` is 0 or just after an anchor,
    and ``end`` the GOP's end or just after an anchor (GopCoder.pieces keeps to that)."""
    return _spans(start, end, MINI_GOP, "ls-v6")


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


# -- ls-v10: the order and the block prediction's pairs sent per window

WINDOW = 16          # ls-v10: frames planned together (pieces of a GOP start at window edges)


def windows(start: int, end: int) -> list[tuple[int, int]]:
    """ls-v10: the windows (lo, hi] of frames start..end - 1 of a GOP: lo 0 or a multiple of
    WINDOW, hi the next one or the last frame (``start`` 0 or just after a multiple)."""
    return _spans(start, end, WINDOW, "ls-v10")


def piece_step(version: int) -> int:
    """Frames a piece of a GOP (coder.GopCoder.pieces) holds a multiple of: whole mini-GOPs
    (ls-v6 .. ls-v9) or whole windows (ls-v10), after the I-frame."""
    return WINDOW if version >= 10 else MINI_GOP


def sequential(lo: int, hi: int, coded) -> list[tuple[int, int, int | None]]:
    """The plan an empty order chunk means: frames lo + 1 .. hi one after another, each with
    ls-v6's pair (its nearest earlier frame and the one before that)."""
    done, plan = list(coded), []
    for i in range(lo + 1, hi + 1):
        _, first, second = neighbours(i, done)
        plan.append((i, first, second))
        done.append(i)
    return plan


def encode_plan(plan: list[tuple[int, int, int | None]], lo: int, hi: int, coded, family: int | None = None) -> bytes:
    """A window's order chunk: empty for ``sequential``'s plan, else 3 bytes a frame in coding
    order: its distance from lo, from its first frame, and to its second (signed; 0: none).
    ls-v11 (``family`` given) puts the window's interpolation family first (blockpred.HEVC,
    H264), the chunk empty for HEVC with the sequential plan."""
    order = b"" if plan == sequential(lo, hi, coded) else bytes(
        b for i, first, second in plan for b in (i - lo, i - first, 0 if second is None else (second - i) & 0xFF))
    if family is None or (family == 0 and not order):
        return order
    return bytes([family]) + order


def decode_plan(data: bytes, lo: int, hi: int, coded, families: bool = False):
    """The plan of window (lo, hi] (``coded``: the frames decoded before it); with ``families``
    (ls-v11) (plan, family). A damaged chunk (a frame twice or outside the window, a pair not
    decoded yet or beyond CONTEXT frames before the window, which a piece's encoder does not
    have, an unknown family) is a ValueError."""
    if families:
        if data and data[0] > 1:
            raise ValueError("damaged GOP: a window's interpolation family is unknown")
        return decode_plan(data[1:], lo, hi, coded), data[0] if data else 0
    if not data:
        return sequential(lo, hi, coded)
    if len(data) != 3 * (hi - lo):
        raise ValueError("damaged GOP: a window's order chunk has the wrong size")
    done, plan = set(coded), []
    for at in range(0, len(data), 3):
        i = lo + data[at]
        first = i - data[at + 1]
        delta = data[at + 2] - 256 * (data[at + 2] > 127)
        second = None if delta == 0 else i + delta
        if not lo < i <= hi or i in done or first == i or second == first or any(
                r is not None and (r not in done or r < lo - CONTEXT + 1) for r in (first, second)):
            raise ValueError("damaged GOP: a window's order names a frame it cannot code")
        plan.append((i, first, second))
        done.add(i)
    return plan
