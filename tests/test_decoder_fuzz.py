"""Fuzzing the whole decoder: ``nlvc_av.open(...).decode_planes()`` on mutated tiny files.

A real file (8x8 gray, 3 frames, GOP 2, the tiny model) is cut at every offset, has bytes
flipped, inserted and deleted, has bytes flipped behind a recomputed CRC-32 (so the cluster
fields and the coded payload reach the decoder), and gets crafted header values. Whatever the
bytes: only NlvcError subclasses, no hang (a wall-clock alarm), and memory stays bounded
(a small decoder budget, NLVC_MAX_MEMORY, and the process's peak RSS checked after the run).
A frame that comes back must be the frame that was coded.
"""
from __future__ import annotations

import collections
import dataclasses
import io
import random
import resource
import time
import zlib

import pytest

import container
import nlvc_av
from clipgen import make_clip
from container import NlvcError
from nlvc_av.transcode import encode_file
from test_container_fuzz import deadline

CLUSTER_ID = bytes.fromhex("1f43b675")
CASES = 5000


@pytest.fixture(scope="module")
def source(tmp_path_factory, coder):
    d = tmp_path_factory.mktemp("dfuzz")
    truth = make_clip(d / "src.mkv", pix_fmt="gray", width=8, height=8, frames=3, audio=None)
    encode_file(d / "src.mkv", d / "src.nlvc", gop=2, coder=coder)
    data = (d / "src.nlvc").read_bytes()
    with container.open(d / "src.nlvc") as r:
        parts = (r.codec_setup, r.video_track, list(r.iter_clusters()), r.info)
    return data, [p[0].tobytes() for p in truth], parts


def crafted(rng: random.Random, parts) -> bytes:
    setup, video, clusters, info = parts
    big = rng.choice([0, 1, 7, 255, 4096, 32768, 32769, 1 << 20, 1 << 31, (1 << 63) - 1])
    field = rng.choice(["width", "height", "bit_depth", "time_base", "frame_rate", "sample_aspect_ratio",
                        "pix_fmt", "gop_size", "frames", "field_order"])
    v, s, c = dataclasses.replace(video), dataclasses.replace(setup), list(clusters)
    if field in ("width", "height", "bit_depth"):
        setattr(v, field, max(big, 1))
    elif field in ("time_base", "frame_rate", "sample_aspect_ratio"):
        setattr(v, field, (max(big, 1), max(rng.choice([1, big]), 1)))
    elif field == "pix_fmt":
        v.pix_fmt = rng.choice(["yuv420p", "rgb24", "yuv420p10le", "\x1b[31m", "gray" * 50, "x"])
    elif field == "gop_size":
        s.gop_size = max(big, 1)
    elif field == "frames":  # more frames than the payload codes
        k = rng.randrange(len(c))
        n = rng.choice([1, 3, 50])
        c[k] = dataclasses.replace(c[k], frame_pts=list(range(n)), frame_types="I" * n,
                                   frame_md5=[b"\x00" * 16] * n, frame_durations=[])
    else:
        v.field_order = rng.choice([2, 3, 4, 5])
    buf = io.BytesIO()
    try:
        with container.open(buf, "w", codec_setup=s, tracks=[v], info=info) as w:
            for cluster in c:
                w.write_cluster(cluster)
    except ValueError:  # the writer refuses it: craft the bytes of a valid one instead
        return bytes(buf.getvalue())
    return buf.getvalue()


def forged(rng: random.Random, data: bytes) -> bytes:
    """Flip bytes inside one cluster, then recompute its CRC-32."""
    starts = [i for i in range(len(data)) if data.startswith(CLUSTER_ID, i)]
    at = rng.choice(starts)
    size_len = 9 - data[at + 4].bit_length()
    size = int.from_bytes(data[at + 4:at + 4 + size_len], "big") & ((1 << (7 * size_len)) - 1)
    start, end = at + 4 + size_len, at + 4 + size_len + size
    out = bytearray(data)
    for _ in range(rng.randint(1, 3)):
        out[rng.randrange(start + 6, end)] ^= rng.randint(1, 255)
    out[start + 2:start + 6] = zlib.crc32(out[start + 6:end]).to_bytes(4, "big")
    return bytes(out)


def mutated(rng: random.Random, data: bytes, i: int, parts) -> tuple[str, bytes]:
    if i < len(data):
        return "cut", data[:i]
    kind = rng.choice(["flip", "flip", "insert", "delete", "forged", "forged", "crafted"])
    if kind == "forged":
        return kind, forged(rng, data)
    if kind == "crafted":
        return kind, crafted(rng, parts)
    out = bytearray(data)
    for _ in range(rng.randint(1, 3)):
        pos = rng.randrange(len(out))
        if kind == "flip":
            out[pos] ^= rng.randint(1, 255)
        elif kind == "insert":
            out[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        else:
            del out[pos:pos + rng.randint(1, 8)]
    return kind, bytes(out)


def test_decoder_fuzz(source, coder, monkeypatch):
    data, truth, parts = source
    monkeypatch.setenv("NLVC_MAX_MEMORY", "64M")
    rng = random.Random(14)
    seen: collections.Counter = collections.Counter()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    with deadline(240):
        for i in range(CASES):
            kind, bad = mutated(rng, data, i, parts)
            try:
                # Every 50th case builds the coder from the file (the registry checks the model).
                with nlvc_av.open(io.BytesIO(bad), coder=None if i % 50 == 0 else coder) as f:
                    for d in f.decode_planes():
                        assert d.planes[0].tobytes() == truth[d.gop * 2 + d.index], (i, kind)
                seen["ok"] += 1
            except NlvcError as err:
                seen[type(err).__name__] += 1
            except Exception as err:  # noqa: BLE001 - the point of the test
                pytest.fail(f"case {i} ({kind}): {type(err).__name__}: {err}")
    seconds = time.perf_counter() - start
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) * 1024
    print(f"\n{CASES} mutated files in {seconds:.1f} s; outcomes {dict(seen)}; peak RSS grew {grown >> 20} MiB")
    assert grown < 256 << 20, f"peak RSS grew by {grown >> 20} MiB"
    assert seen["ok"] and len(seen) >= 4, seen  # the mutations reach several kinds of checks
