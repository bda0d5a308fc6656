"""The codec: sample formats, token maps, entropy coding, prediction, the reveal schedule, the
integer networks, the plane coder and the GOP syntax, plus the registry of models.

It imports no ``av`` and opens no user files; torch is used only by :mod:`.nets`, and only
when a GOP is coded (``nlvc info`` needs neither). Start at :class:`GopCoder`.
"""
from __future__ import annotations

from .coder import DEFAULT_GROUPS, GopCoder, check_setup, model_for_setup
from .schedule import GROUP_CHOICES

__all__ = ["GopCoder", "DEFAULT_GROUPS", "GROUP_CHOICES", "check_setup", "model_for_setup"]
