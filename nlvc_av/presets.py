"""Encoder presets: named bundles of the encoder's speed/size choices.

    name, groups, gop = presets.resolve("fast", groups=None, gop=None)   # -> ("fast", 1, 32)

A preset picks the coding groups per plane (fewer: faster, more: smaller) and the GOP length
(longer: fewer I-frames, so smaller, but a coarser random-access unit and more frames per
GOP job). An explicit ``groups`` or ``gop`` overrides the preset's. Everything a preset
chooses is recorded in the file's CodecSetup, so the decoder needs nothing from it; its name
is kept in the file's tags as ``nlvc:preset`` (for ``nlvc info``).
"""
from __future__ import annotations

from dataclasses import dataclass

from .codec import DEFAULT_GROUPS

TAG = "nlvc:preset"  # the file tag that records the preset's name
TAG_PREFIX = "nlvc:"  # tags NLVC writes about its own coding (not carried to decoded videos)
DEFAULT = "default"


@dataclass(frozen=True)
class Preset:
    name: str
    groups: int
    gop: int
    summary: str
    trials: str = "all"  # the encoder's intra/inter trials (nlvc_av.codec.encoder.chooser)


#: GOP 32: measured 3-4 % smaller than GOP 8 (docs/MODEL.md, "GOP length") while a GOP stays
#: about a second of video: random access and GOP jobs keep their grain.
DEFAULT_GOP = 32

PRESETS: dict[str, Preset] = {p.name: p for p in (
    Preset("fast", 1, DEFAULT_GOP, "1 coding group per plane, no intra trial where motion compensation "
           "clearly wins: the fastest, the largest files", trials="estimate"),
    Preset(DEFAULT, DEFAULT_GROUPS, DEFAULT_GOP, f"{DEFAULT_GROUPS} coding groups, GOP {DEFAULT_GOP}: the codec's defaults"),
    Preset("slow", 3, 2 * DEFAULT_GOP, f"3 coding groups and GOP {2 * DEFAULT_GOP} (half the I-frames): the smallest files"),
)}


def names() -> list[str]:
    return list(PRESETS)


def resolve(preset: str | None, groups: int | None = None, gop: int | None = None) -> tuple[str, int, int]:
    """``(preset name, groups, gop)``: the preset's choices, each overridden when given."""
    name = DEFAULT if preset is None else preset
    try:
        chosen = PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown preset '{name}' (presets: {', '.join(PRESETS)})") from None
    return name, chosen.groups if groups is None else groups, chosen.gop if gop is None else gop
