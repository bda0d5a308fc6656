"""Writing the output: a full disk (or any write error) names the file, for every kind of output
(.nlvc, .y4m, a folder, stdout), and leaves nothing behind; a folder output: --overwrite replaces
a folder that holds only the sequence's files (never anything else), and a new folder needs no
trailing '/' when the .nlvc holds an image sequence."""
from __future__ import annotations

import builtins
import errno
import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from clipgen import REPO
from nlvc_av.cli import transcode_main

TRANSCODE = [sys.executable, "-m", "nlvc_av.cli"]
ENOSPC = os.strerror(errno.ENOSPC)  # "No space left on device"


def y4m_clip(path: Path, width: int = 32, height: int = 32, frames: int = 3) -> Path:
    rng = np.random.default_rng(1)  # (noise: every output is larger than the limits below)
    data = f"YUV4MPEG2 W{width} H{height} F25:1 Ip A0:0 Cmono\n".encode()
    for _ in range(frames):
        data += b"FRAME\n" + rng.integers(0, 256, width * height, dtype=np.uint8).tobytes()
    path.write_bytes(data)
    return path


def png_sequence(folder: Path, count: int = 3) -> Path:
    import av

    folder.mkdir()
    for i in range(count):
        frame = av.VideoFrame.from_ndarray(np.full((8, 8, 3), 40 * i, np.uint8), "rgb24")
        cc = av.CodecContext.create("png", "w")
        cc.width, cc.height, cc.pix_fmt = 8, 8, "rgb24"
        (folder / f"img_{i + 1:04d}.png").write_bytes(b"".join(bytes(p) for p in cc.encode(frame) + cc.encode(None)))
    return folder


@pytest.fixture
def coded(tmp_path, cli_env):
    """A y4m clip and its .nlvc."""
    src = y4m_clip(tmp_path / "src.y4m")
    r = CliRunner().invoke(transcode_main, [str(src), str(tmp_path / "src.nlvc")])
    assert r.exit_code == 0, r.output
    return src, tmp_path / "src.nlvc"


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


# ----------------------------------------------------------------- 6b: a full disk names the file


class FullDisk:
    """A file on a disk with ``room`` bytes left: writes beyond it fail with ENOSPC, as the kernel's do."""

    def __init__(self, file, room: int):
        self.file, self.room = file, room

    def write(self, data) -> int:
        n = len(memoryview(data).cast("B"))
        if n > self.room:
            raise OSError(errno.ENOSPC, ENOSPC)
        self.room -= n
        return self.file.write(data)

    def flush(self) -> None:
        self.file.flush()

    def close(self) -> None:
        self.file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.file.close()


@pytest.fixture
def full_disk(monkeypatch, tmp_path):
    """Every file opened for writing under tmp_path/out* (the outputs and their temporary names
    next to them) is on a full disk; other files (the source, the model) are not."""
    real_open = builtins.open

    def open_(file, mode="r", *args, **kwargs):
        f = real_open(file, mode, *args, **kwargs)
        name = str(file) if isinstance(file, (str, os.PathLike)) else ""
        if ("w" in mode or "x" in mode) and "b" in mode and Path(name).parent == tmp_path and (
                Path(name).name.startswith((".out", "out"))):
            return FullDisk(f, 200)
        if ("w" in mode or "x" in mode) and Path(name).parent.name.startswith(".out"):  # a folder's files
            return FullDisk(f, 0)
        return f

    monkeypatch.setattr(builtins, "open", open_)
    monkeypatch.setattr(io, "open", open_)


@pytest.mark.parametrize("args, name", [
    (("src.y4m", "out.nlvc"), "out.nlvc"),
    (("src.nlvc", "out.y4m"), "out.y4m"),
    (("src.nlvc", "out/"), "out/"),
])
def test_full_disk_names_the_output(tmp_path, coded, full_disk, args, name):
    """Was 'nlvc-transcode: error: No space left on device' for .nlvc and .y4m (the .mkv
    output named its file): now every output is named, and nothing is left behind."""
    r = CliRunner().invoke(transcode_main, [f"{tmp_path}/{a}" for a in args])
    assert r.exit_code == 1, r.output
    what = "cannot write frame_000000.png" if name.endswith("/") else "cannot write"
    assert r.stderr == f"nlvc-transcode: error: {tmp_path}/{name}: {what}: {ENOSPC}\n"
    assert not (tmp_path / name).exists() and leftovers(tmp_path) == []


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("source", ["src.y4m", "src.nlvc"])
def test_full_stdout_is_named(tmp_path, coded, cli_env, source):
    """stdout on a full device (/dev/full: every write fails with ENOSPC): named 'stdout'."""
    with open("/dev/full", "wb") as full:
        p = subprocess.run(TRANSCODE + [str(tmp_path / source), "-"], stdout=full, stderr=subprocess.PIPE,
                           cwd=REPO, env=cli_env, timeout=300)
    assert p.returncode == 1 and p.stderr.decode() == f"nlvc-transcode: error: stdout: cannot write: {ENOSPC}\n"


@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_FSIZE and SIGXFSZ as on Linux")
@pytest.mark.parametrize("args, shown", [
    (("src.y4m", "out.nlvc"), "out.nlvc: cannot write"),
    (("src.nlvc", "out.y4m"), "out.y4m: cannot write"),
    (("src.nlvc", "out/"), "out/: cannot write frame_000000.png"),
    (("src.nlvc", "out.mkv"), "out.mkv: write failed"),
])
def test_a_real_write_error_names_the_output(tmp_path, coded, cli_env, args, shown):
    """The kernel's own error (a file size limit: EFBIG, 'File too large'), in a real process."""
    import resource
    import signal

    def limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (300, 300))

    p = subprocess.run(TRANSCODE + list(args), cwd=tmp_path, env=cli_env, capture_output=True, timeout=300,
                       preexec_fn=limit)
    assert p.returncode == 1 and p.stderr.decode() == f"nlvc-transcode: error: {shown}: {os.strerror(errno.EFBIG)}\n"
    assert not (tmp_path / args[1]).exists() and leftovers(tmp_path) == []


def test_a_reader_that_goes_away_is_still_quiet(tmp_path, coded, cli_env):
    """A closed pipe (| head) is not a write error to report: exit 1, nothing on stderr."""
    src = y4m_clip(tmp_path / "big.y4m", 256, 256, 2)  # more than a pipe holds
    assert CliRunner().invoke(transcode_main, [str(src), str(tmp_path / "big.nlvc")]).exit_code == 0
    p = subprocess.Popen(TRANSCODE + [str(tmp_path / "big.nlvc"), "-"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, cwd=REPO, env=cli_env)
    assert p.stdout.read(10) == b"YUV4MPEG2 "
    p.stdout.close()
    err = p.stderr.read()
    assert p.wait(timeout=300) == 1 and err == b""


# ----------------------------------------------------------------- 6c: folder outputs


@pytest.fixture
def sequence_nlvc(tmp_path, cli_env):
    png_sequence(tmp_path / "seq")
    r = CliRunner().invoke(transcode_main, [str(tmp_path / "seq"), str(tmp_path / "seq.nlvc")])
    assert r.exit_code == 0, r.output
    return tmp_path / "seq.nlvc"


NAMES = ["img_0001.png", "img_0002.png", "img_0003.png"]


def test_new_folder_without_slash_for_an_image_sequence(tmp_path, sequence_nlvc):
    """Was a usage error (exit 2) unless the name ended in '/': the source decides."""
    r = CliRunner().invoke(transcode_main, [str(sequence_nlvc), str(tmp_path / "restored")])
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in (tmp_path / "restored").iterdir()) == NAMES
    for n in NAMES:
        assert (tmp_path / "restored" / n).read_bytes() == (tmp_path / "seq" / n).read_bytes()


def test_new_folder_without_slash_for_a_video_says_to_add_one(tmp_path, coded):
    _, nlvc = coded
    r = CliRunner().invoke(transcode_main, [str(nlvc), str(tmp_path / "restored")])
    assert r.exit_code == 2 and not (tmp_path / "restored").exists()
    assert (f"cannot write '{tmp_path / 'restored'}': the file holds no image sequence, so a new folder for its "
            f"frames (PNG) is named with a trailing '/' ('{tmp_path / 'restored'}/')") in " ".join(r.stderr.split())
    r = CliRunner().invoke(transcode_main, [str(nlvc), str(tmp_path / "restored") + "/"])
    assert r.exit_code == 0 and len(list((tmp_path / "restored").iterdir())) == 3


def test_overwrite_replaces_a_previous_restore(tmp_path, sequence_nlvc):
    """Was refused even with -y ('exists and is not an empty folder'): -y replaces a folder that
    holds only the sequence's files (stale frames of a longer restore included)."""
    out = tmp_path / "restored"
    out.mkdir()
    for n in NAMES + ["img_0007.png"]:
        (out / n).write_bytes(b"old")
    r = CliRunner().invoke(transcode_main, [str(sequence_nlvc), str(out)])
    assert r.exit_code == 1 and "exists and is not an empty folder" in r.stderr and "--overwrite" in r.stderr
    r = CliRunner().invoke(transcode_main, [str(sequence_nlvc), str(out), "-y"])
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in out.iterdir()) == NAMES  # the whole folder replaced
    assert all((out / n).read_bytes() == (tmp_path / "seq" / n).read_bytes() for n in NAMES)
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("other", ["notes.txt", "sub/", ".hidden"])
def test_overwrite_never_deletes_anything_else(tmp_path, sequence_nlvc, other):
    out = tmp_path / "restored"
    out.mkdir()
    (out / NAMES[0]).write_bytes(b"old")
    if other.endswith("/"):
        (out / other).mkdir()
    else:
        (out / other).write_text("mine")
    r = CliRunner().invoke(transcode_main, [str(sequence_nlvc), str(out) + "/", "-y"])
    assert r.exit_code == 1
    assert r.stderr == (f"nlvc-transcode: error: {out}: holds '{other.rstrip('/')}', not a file of this sequence "
                        "(img_%04d.png); --overwrite replaces only a folder that holds nothing but the sequence's "
                        "files: choose a new or empty folder\n")
    assert sorted(p.name for p in out.iterdir()) == sorted([NAMES[0], other.rstrip("/")])
    assert (out / NAMES[0]).read_bytes() == b"old" and leftovers(tmp_path) == []
