"""Shared fixtures: the tiny test model (fast; the shipped weights are not the point of most
tests), one torch thread, and tiny clips made with PyAV in tmp_path."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TESTS = Path(__file__).resolve().parent
for path in (str(REPO), str(TESTS)):  # works with `pytest` as well as `python -m pytest`
    if path not in sys.path:
        sys.path.insert(0, path)


@pytest.fixture(scope="session")
def coder():
    """The tiny test model, one thread (encode and decode with the same object)."""
    from nlvc_av.codec import GopCoder, nets

    nets.set_threads(1)
    return GopCoder.for_encoding("tiny", groups=2)


@pytest.fixture
def cli_env(monkeypatch):
    """CLI runs (in process or in a subprocess) use the tiny model, one thread, no worker pool."""
    monkeypatch.setenv("NLVC_MODEL", "tiny")
    monkeypatch.setenv("NLVC_THREADS", "1")
    monkeypatch.setenv("NLVC_JOBS", "1")  # GOP worker pools only where a test asks for them
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    return os.environ.copy()
