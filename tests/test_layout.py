"""The layout rules of the design: who may import av and torch, and modules of one idea."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted(p for d in ("nlvc_av", "container") for p in (ROOT / d).rglob("*.py"))
MAX_LINES = 400

AV_ALLOWED = ("nlvc_av/io/",)
TORCH_ALLOWED = ("nlvc_av/codec/nets/", "nlvc_av/train/")


def _importers(module: str) -> set[str]:
    pattern = re.compile(rf"^\s*(import {module}\b|from {module}\b)", re.M)
    return {p.relative_to(ROOT).as_posix() for p in SOURCES if pattern.search(p.read_text())}


def test_the_scan_sees_the_sources():
    assert len(SOURCES) > 30, "the layout tests found no sources to check"


def test_only_the_io_package_imports_av():
    importers = _importers("av")
    assert importers, "nothing imports av: the scan is broken"
    assert {p for p in importers if not p.startswith(AV_ALLOWED)} == set()


def test_torch_only_in_the_networks_and_training():
    importers = _importers("torch")
    assert importers, "nothing imports torch: the scan is broken"
    assert {p for p in importers if not p.startswith(TORCH_ALLOWED)} == set()


def test_the_container_and_the_codec_import_neither_av_nor_files_of_the_media_side():
    codec = [p for p in SOURCES if p.relative_to(ROOT).as_posix().startswith(("nlvc_av/codec/", "container/"))]
    assert codec
    for p in codec:
        text = p.read_text()
        assert not re.search(r"^\s*from \.\.(io|session|transcode|api|cli|bench|train)\b", text, re.M), p
        assert not re.search(r"^\s*from nlvc_av\.(io|session|transcode|api|cli|bench|train)\b", text, re.M), p


def test_the_core_never_imports_the_tools():
    # cli.py is the entry point: it mounts `nlvc bench` / `nlvc train` lazily, nothing else may.
    tools = ("nlvc_av/bench/", "nlvc_av/train/", "nlvc_av/cli.py")
    core = [p for p in SOURCES if not p.relative_to(ROOT).as_posix().startswith(tools)]
    for p in core:
        assert not re.search(r"^\s*from (\.+|nlvc_av\.)(bench|train)\b", p.read_text(), re.M), p


def test_modules_stay_small():
    big = {p.relative_to(ROOT).as_posix(): n for p in SOURCES if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert big == {}
