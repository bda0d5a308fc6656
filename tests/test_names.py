"""Names in messages follow one rule (control characters shown escaped, as ``nlvc info`` does):
the encode and decode summaries; a stored source file name that is not a plain, printable file
name is written under the sequence's own name, with a warning."""
from __future__ import annotations

import container
from click.testing import CliRunner

from nlvc_av.cli import transcode_main
from test_imageseq import write_sequence


def transcode(*args):
    return CliRunner().invoke(transcode_main, [str(a) for a in args])


def test_summaries_escape_names(tmp_path, cli_env):
    src = tmp_path / "in.y4m"
    src.write_bytes(b"YUV4MPEG2 W8 H8 F25:1 Ip Cmono\n" + (b"FRAME\n" + bytes(64)) * 2)
    coded, out = tmp_path / "a\x1b[31mb\nc.nlvc", tmp_path / "o\x1b]0;x\x07\n.y4m"
    r = transcode(src, coded)
    assert r.exit_code == 0, r.output
    assert r.stderr.startswith(f"nlvc-transcode: {tmp_path}/a\\x1b[31mb\\x0ac.nlvc: 2 frames 8x8 gray")
    assert r.stderr.count("\n") == 1, r.stderr
    r = transcode(coded, out)
    assert r.exit_code == 0, r.output
    assert r.stderr.startswith(f"nlvc-transcode: {tmp_path}/o\\x1b]0;x\\x07\\x0a.y4m: 2 frames (MD5 verified)")
    assert r.stderr.count("\n") == 1, r.stderr


def test_unsafe_stored_names_are_renamed_with_a_warning(tmp_path, cli_env):
    folder = write_sequence(tmp_path / "scans", "dpx", "rgb48le", "dpx", count=3, size=(16, 8))
    assert transcode(folder, tmp_path / "a.nlvc").exit_code == 0
    with container.open(tmp_path / "a.nlvc") as r:  # copied with crafted SourceNames
        head = dict(codec_setup=r.codec_setup, tracks=r.tracks, info=r.info, tags=r.tags)
        clusters = list(r.iter_clusters())
    records = [f for c in clusters for f in c.source_files]
    records[0].name, records[1].name = "scan\x1b[2J_086400.dpx", "../scan_086401.dpx"
    with container.open(tmp_path / "b.nlvc", "w", source_files=True, **head) as w:
        for c in clusters:
            w.write_cluster(c)
    r = transcode(tmp_path / "b.nlvc", f"{tmp_path / 'out'}/")
    assert r.exit_code == 0, r.output
    names = sorted(p.name for p in folder.iterdir())
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == names
    for name in names:
        assert (tmp_path / "out" / name).read_bytes() == (folder / name).read_bytes(), name
    warnings = [line for line in r.stderr.splitlines() if "warning" in line]
    assert warnings == [
        f"nlvc-transcode: warning: {tmp_path / 'out'}/: the stored file name 'scan\\x1b[2J_086400.dpx' is not a "
        "plain file name; written as scan_086400.dpx",
        f"nlvc-transcode: warning: {tmp_path / 'out'}/: the stored file name '../scan_086401.dpx' is not a "
        "plain file name; written as scan_086401.dpx",
    ], r.stderr


def test_a_sequence_named_with_control_characters_is_written_under_its_escaped_name(tmp_path, cli_env):
    folder = write_sequence(tmp_path / "scans", "dpx", "rgb48le", "dpx", count=2, size=(16, 8), name="s\x1bc_%06d")
    assert transcode(folder, tmp_path / "a.nlvc").exit_code == 0
    r = transcode(tmp_path / "a.nlvc", f"{tmp_path / 'out'}/")
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["s\\x1bc_086400.dpx", "s\\x1bc_086401.dpx"]
    assert r.stderr.count("warning") == 3 and "\x1b" not in r.stderr, r.stderr
    assert ("the stored sequence name 's\\x1bc_%06d.dpx' has control characters; written spelled out, as "
            "s\\x1bc_%06d.dpx") in r.stderr
