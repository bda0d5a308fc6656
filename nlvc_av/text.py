"""Text from a file, made safe to show, and messages that count things.

Anything read from a file (the writing app, tags, the model id, pixel format and codec names)
may hold terminal control sequences; :func:`escape` shows every control character as a Python
escape (``\\x1b``), so printing it cannot move the cursor, recolour or retitle a terminal.
"""
from __future__ import annotations

import logging
import unicodedata


def _safe(ch: str) -> str:
    if not unicodedata.category(ch).startswith("C"):
        return ch
    code = ord(ch)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def escape(text: object) -> str:
    """``text`` with control, format (bidi overrides) and unassigned characters escaped."""
    text = str(text)
    if text.isprintable():
        return text
    return "".join(_safe(ch) for ch in text)


def plural(n: int, word: str, many: str | None = None) -> str:
    """``"1 frame"``, ``"2 frames"`` (``many`` for irregular plurals)."""
    return f"{n} {word if n == 1 else (many or word + 's')}"


class EscapingFormatter(logging.Formatter):
    """Log lines (warnings naming files, streams, tags) with control characters escaped."""

    def format(self, record: logging.LogRecord) -> str:
        return escape(super().format(record))
