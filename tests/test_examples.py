"""The scripts in examples/ run and do what they say (tiny model, one thread)."""

from __future__ import annotations

import subprocess
import sys

from clipgen import REPO

EXAMPLES = REPO / "examples"


def run(script, *args, env=None):
    return subprocess.run([sys.executable, str(EXAMPLES / script), *map(str, args)],
                          capture_output=True, text=True, cwd=str(REPO), env=env, timeout=600)


def test_roundtrip_then_read_frames(tmp_path, cli_env):
    done = run("roundtrip.py", "--model", "tiny", "--threads", "1", "--keep", tmp_path, env=cli_env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "12 frames identical: True; audio packets identical: True" in done.stdout
    assert {p.name for p in tmp_path.iterdir()} == {"clip.mkv", "clip.nlvc", "restored.mkv"}

    done = run("read_frames.py", tmp_path / "clip.nlvc", "--threads", "1", env=cli_env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "64x48 yuv420p, 12 frames in 2 GOPs" in done.stdout
    assert "seek(400) -> decoding resumes at pts 320" in done.stdout
    assert "audio: aac 48000 Hz" in done.stdout
