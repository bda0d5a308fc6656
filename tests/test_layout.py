"""The dependency rules of the design: only nlvc_av/media.py imports av, only nlvc_av/model/ imports torch."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _importers(module: str) -> set[str]:
    pattern = re.compile(rf"^\s*(import {module}\b|from {module}\b)", re.M)
    return {p.relative_to(ROOT).as_posix() for d in ("nlvc_av", "container")
            for p in (ROOT / d).rglob("*.py") if pattern.search(p.read_text())}


def test_only_the_media_module_imports_av():
    assert _importers("av") == {"nlvc_av/media.py"}


def test_only_the_model_package_imports_torch():
    assert all(path.startswith("nlvc_av/model/") for path in _importers("torch"))
