"""The GOP syntaxes a release decodes: which probability models and which motion each uses.

A registered model names its syntax in ``coder_params["syntax"]`` (files of gop-v1 carry
none). Each syntax is a frozen bitstream: a change is a new syntax and a new model id.

    gop-v1  (0.1)  network mean and class; integer 16x16 motion
    gop-v2  (0.2)  candidate blending and error-energy contexts (contexts.py); integer motion
    gop-v3  (0.2)  gop-v2 with quarter-pel 16x16 motion, chroma at its own phase (predict/subpel.py)
"""
from __future__ import annotations

from dataclasses import dataclass

from .contexts import CandidateModel, IntraBlend, PlainModel
from .predict.motion import IntegerMotion
from .predict.subpel import QuarterPelMotion


@dataclass(frozen=True)
class Syntax:
    name: str
    intra: type          # probability model of intra planes
    inter: type          # probability model of inter planes
    motion: object       # estimate / compensate / code vectors


SYNTAXES = {s.name: s for s in (
    Syntax("gop-v1", PlainModel, PlainModel, IntegerMotion()),
    Syntax("gop-v2", IntraBlend, CandidateModel, IntegerMotion()),
    Syntax("gop-v3", IntraBlend, CandidateModel, QuarterPelMotion()),
)}


def syntax_of(coder_params: dict) -> Syntax:
    return SYNTAXES[str(coder_params.get("syntax", "gop-v1"))]
