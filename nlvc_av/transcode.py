"""Encode a video into ``.nlvc`` and decode it back (FFV1/Matroska, y4m file, y4m on stdout).

    from nlvc_av.transcode import encode_file, decode_file
    stats = encode_file("in.mkv", "out.nlvc", gop=8, groups=2)
    decode_file("out.nlvc", "restored.mkv")

Encoding takes the frames in their native pixel format, codes them GOP by GOP with
:class:`nlvc_av.codec.GopCoder`, and writes one cluster per GOP holding the frame timestamps,
the per-frame MD5 (:func:`nlvc_av.codec.formats.frame_md5`), the payload, and every audio/subtitle
packet whose time falls in the GOP's span. Decoding is the mirror and checks every MD5.

Files are written under a temporary name in the destination directory and renamed when
complete: an error or Ctrl-C leaves nothing at the destination.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from fractions import Fraction
from functools import partial
from pathlib import Path

import container
from container import CodecSetup, Cluster, Info, Packet

from . import jobs, presets, session
from .codec import formats as P
from . import checks, recovery
from .destinations import STDIO, atomic_output, direction, is_nlvc, output_kind  # noqa: F401 (re-exported)
from .destinations import NamedOutput, refuse_terminal
from .io.imageseq import is_sequence  # noqa: F401 (the CLI asks whether a missing name is a pattern)
from .io.imagewrite import atomic_folder
from .errors import OutputError, OutputExistsError, UnknownModelError, UnsupportedPixelFormatError
from .io import demux
from .io.carried import check_writable
from .io.pcmcarry import code_carried
from .io.mux import write_decoded
from .io.aviwrite import WHOLE_KINDS, whole_kind
from .io.streams import VideoFrameData
from .io.y4m import Y4M_TAG
from .io.imagewrite import check_pixels_writable
from .io.rebuild import map_version, source_files, source_record
from .jobs import GopRunner
from .progress import open_progress as _progress
from .routing import PacketRouter
from .stats import DecodeStats, EncodeStats

__all__ = [
    "EncodeStats",
    "DecodeStats",
    "encode_file",
    "decode_file",
    "is_nlvc",
    "output_kind",
    "direction",
    "atomic_output",
    "make_coder",
    "coder_for_setup",
]

from .presets import DEFAULT_GOP  # noqa: E402,F401 (the default GOP length, re-exported)


# --------------------------------------------------------------------------- coders


def make_coder(groups: int | None = None, *, model: str | os.PathLike | None = None,
               threads: int | None = None, bits: int = 8):
    """A GopCoder for encoding. ``model``: a registered id or alias (default: the current
    model for ``bits``-bit samples), or the path of a weights file (its bytes then travel
    inside every file written)."""
    from .codec import DEFAULT_GROUPS, GopCoder, nets, registry

    nets.set_threads(threads)
    name = registry.default_model(bits, "default" if model is None else str(model))
    if name in registry.ALIASES or name in registry.MODELS:
        chosen = registry.load(name)
    elif Path(name).is_file():
        try:
            data = Path(name).read_bytes()
        except OSError as err:
            raise OutputError(f"--model {name}: cannot read: {err.strerror or err}") from None
        checks.check_weights(data, f"--model {name}")  # a zip of bounded .npy arrays, or one clear line
        chosen = registry.custom(data, f"--model {name}")
    else:
        raise UnknownModelError(f"--model {name}: no such model or weights file "
                                f"(models: {', '.join(registry.names())}; or the path of a .npz weights file)",
                                model_id=name)
    try:
        return GopCoder.for_encoding(chosen, DEFAULT_GROUPS if groups is None else groups)
    except ValueError as err:  # e.g. an unsupported number of groups
        raise OutputError(str(err)) from None


def coder_for_setup(setup: CodecSetup, *, threads: int | None = None):
    """The coder a file needs (its model by id, or embedded; every setup field checked)."""
    from .codec import nets

    nets.set_threads(threads)
    return session.coder_for_setup(setup)


def _check_codable(pix_fmt: str) -> None:
    fmt = P.lookup(pix_fmt)  # refuses formats that are not supported at all
    if fmt.coding_pix_fmt not in P.CODED_PIX_FMTS:
        raise UnsupportedPixelFormatError(
            f"the codec cannot code {pix_fmt} (it codes: {', '.join(P.SUPPORTED_PIX_FMTS)})")


# --------------------------------------------------------------------------- encoding


def encode_file(
    src: str | os.PathLike,
    dst: str | os.PathLike,
    *,
    gop: int | None = None,
    groups: int | None = None,
    overwrite: bool = False,
    progress=False,
    threads: int | None = None,
    model: str | None = None,
    max_frames: int | None = None,
    coder=None,
    video_stream: int | None = None,
    preset: str | None = None,
    jobs: int = 1,
    runner=None,
    rate=None,
    allow_gaps: bool = False,
    pixels_only: bool = False,
    check: bool = False,
    images_only: bool = False,
    audio: tuple = (),
) -> EncodeStats:
    """Encode ``src`` (any file PyAV opens, or ``"-"``: y4m on stdin) into ``dst`` (``.nlvc``
    path, or ``"-"`` for stdout). ``max_frames`` keeps only the first frames (and the packets
    of their time span). ``coder`` overrides groups/model/threads with a ready GopCoder.
    ``preset`` (:mod:`nlvc_av.presets`) chooses groups and GOP length unless they are given.
    ``jobs``: GOPs coded at once by worker processes of one torch thread each (1: in this
    process, with ``threads``); ``runner``: a ready :class:`nlvc_av.jobs.GopRunner` instead.
    The output is the same bytes whatever ``jobs``. ``rate`` and ``allow_gaps``: image
    sequences (a folder or ``name_%06d.dpx``), see :func:`nlvc_av.io.demux.open_input`. A DPX
    or TIFF sequence's files are kept to be rebuilt byte for byte (:mod:`nlvc_av.io.rebuild`);
    one that cannot be is refused, unless ``pixels_only`` (its pixels and MD5 are kept).
    ``check``: the new file is decoded and every frame, source file, sound and side file checked
    against the MD5 taken from the source before it is put in place (nothing is written at
    ``dst`` if anything differs). ``images_only``: a package's sound and side files are left out
    (named in a warning). ``audio``: sound files kept beside an image sequence."""
    preset, groups, gop = presets.resolve(preset, groups, gop)
    if gop < 1:
        raise ValueError(f"gop must be >= 1, got {gop}")
    if max_frames is not None and max_frames < 1:
        raise ValueError(f"max_frames must be >= 1, got {max_frames}")
    src, dst = str(src), str(dst)
    if dst != STDIO and Path(dst).exists() and not overwrite:  # fail before any heavy work
        raise OutputExistsError(f"{dst}: already exists (use --overwrite to replace it)")
    if dst == STDIO:
        refuse_terminal(sys.stdout, "an .nlvc file")
    with demux.open_input(src, max_frames=max_frames, video_stream=video_stream, rate=rate,
                          allow_gaps=allow_gaps, images_only=images_only, audio=audio,
                          pixels_only=pixels_only) as source:
        _check_codable(source.video.pix_fmt)
        check_writable(source.other_streams, source.name)  # what a decode could not give back is refused
        code_carried(source)  # carried PCM stored coded losslessly (io/pcmcarry.py)
        checks.check_encode_memory(gop, source.video.pix_fmt, source.video.width, source.video.height)
        if coder is None:
            coder = make_coder(groups, model=model, threads=threads, bits=P.lookup(source.video.pix_fmt).bit_depth)
        runner = runner or GopRunner(jobs)
        encode = partial(_encode, source, coder=coder, gop=gop, progress=progress, runner=runner,
                         preset=preset, pixels_only=pixels_only)
        if dst == STDIO:
            if check:
                raise OutputError("--check decodes the new file before it is put in place: give a file name, not '-'")
            return encode(NamedOutput(sys.stdout.buffer, "stdout"))
        with atomic_output(dst, overwrite) as tmp:
            with NamedOutput.open(tmp, dst) as out:  # (errors name dst)
                stats = encode(out)
            if check:
                stats.checked = _check_written(tmp, dst)
        stats.file_bytes = os.path.getsize(dst)
        return stats


def _check_written(tmp: str, dst: str) -> str:
    """--check: the file just written gives back, MD5 for MD5, what was read (else OutputError:
    the caller's atomic output then writes nothing)."""
    from .verify import check_file

    report = check_file(tmp)
    if not report["ok"]:
        raise OutputError(f"{dst}: --check: the new file does not give back what was read "
                          f"({'; '.join(report['lines'][:3])}); nothing was written")
    return f"{report['summary']}; {report['checked']}"


def _encode(source: demux.InputFile, out, *, coder, gop: int, progress, runner, preset: str,
            pixels_only: bool) -> EncodeStats:
    v = source.video
    fmt = P.lookup(v.pix_fmt)
    coding_fmt = fmt.coding_pix_fmt
    raw_frame = P.raw_frame_bytes(fmt, v.width, v.height)
    stats = EncodeStats(pix_fmt=v.pix_fmt, width=v.width, height=v.height)
    tracks = [session.video_track_from_info(v)] + [session.stream_track_from_info(s) for s in source.other_streams]
    setup = coder.codec_setup(gop)
    tags = session.file_tags(v)
    from .version import __version__

    info = Info(app=f"nlvc {__version__}")
    total = min(v.frames, source.max_frames) if v.frames and source.max_frames else (v.frames or source.max_frames or 0)
    bar = _progress(progress, "encoding", total, coder, inter=gop > 1 and total != 1)
    router = PacketRouter({s.number: s.time_base for s in source.other_streams})
    start = time.monotonic()
    tags[presets.TAG] = preset
    read = 0  # frames read: the bar moves with each one (any --jobs); the coded count is shown next to it
    coding = 0.0  # frames of the GOP being coded in this process, its planes counted as they finish
    lock = threading.Lock()  # the GOP's pieces report from their threads (one GOP at a time codes here)

    def show(force: bool = False) -> None:
        with lock:
            bar.update(read, stats.raw_bytes, stats.payload_bytes, force=force, coded=stats.frames + round(coding, 2))

    def planes_coded(frames: float) -> None:  # GopCoder.encode_piece's progress
        nonlocal coding
        with lock:
            coding += frames
        show()
    files = source_files(source.sequence)  # the DPX/TIFF files to rebuild, one per frame (else empty)

    only_gop = False  # set when the first GOP read turns out to be the stream's only one

    def gops():  # (args, meta) per GOP in read order; packets are routed at each GOP's end
        nonlocal read, only_gop
        frames: list[VideoFrameData] = []
        records: list[container.SourceFile] = []
        last_end: Fraction | None = None
        for item in source.read():
            if isinstance(item, VideoFrameData):
                if len(frames) == gop:
                    yield _gop_task(frames, router.take(item.pts * v.time_base), records)
                    frames, records = [], []
                frames.append(item)
                if files:
                    records.append(source_record(files[read], item.planes, v.width, v.height, pixels_only,
                                                 source.sequence.name_of(files[read])))
                    if not records[-1].packing:  # pixels only: FFmpeg must be able to write them back
                        check_pixels_writable(files[read], v.pix_fmt)
                elif item.record is not None:  # an AVI kept byte for byte (io/aviread.py)
                    records.append(item.record)
                last_end = (item.pts + item.duration) * v.time_base
                read += 1
                show(force=len(frames) == gop or read == total)  # a GOP read is drawn before it is coded
            else:
                router.add(item)
        if source.truncated:  # packets beyond the last kept frame are not part of the cut
            router.pending = router.take(last_end)
        if frames:
            if read != total:
                show(force=True)
            only_gop = read == len(frames)
            yield _gop_task(frames, router.take(None), records)  # the last GOP takes every remaining packet

    trials = presets.PRESETS[preset].trials
    workers = runner.workers

    def pieces():  # each GOP in the pieces its coder can code apart (GopCoder.pieces)
        for (planes,), cluster in gops():
            ranges = coder.pieces(len(planes), workers, v.height)
            for n, (a, b) in enumerate(ranges):
                context = planes[max(0, a - coder.PIECE_CONTEXT):a]
                yield (planes[a:b], a, context), (cluster, n, len(ranges))

    coder.band_threads = runner.inline_threads
    local = partial(_encode_local, coder, coding_fmt, trials=trials, progress=planes_coded)
    remote = partial(jobs.encode_piece_job, setup, coding_fmt, trials=trials)
    n_gops = -(-total // gop)
    count = n_gops * len(coder.pieces(min(gop, total), workers, v.height)) if total else None
    try:
        with container.open(out, "w", codec_setup=setup, tracks=tracks, info=info, tags=tags,
                            source_files=map_version(files) or (hasattr(source, "records") and source.records_version),
                            packet_md5=True, package=source.package_files) as writer:
            parts: list = []
            # a stream of one GOP codes its pieces on threads here (the adaptive stage releases
            # the GIL; jobs.THREADS_PER_JOB); longer streams use worker processes
            threaded = (lambda: only_gop) if coder.adaptive else False
            for (cluster, n, n_pieces), part in runner.map(local, remote, pieces(), count=count, threads=threaded):
                parts.append(part)
                if n + 1 < n_pieces:
                    continue
                payload, frame_types = coder.join_pieces(parts, len(cluster.frame_pts))
                parts = []
                cluster.index, cluster.payload, cluster.frame_types = stats.gops, payload, frame_types
                writer.write_cluster(cluster)
                with lock:
                    coding = 0.0
                    stats.gops += 1
                    stats.frames += len(cluster.frame_pts)
                    stats.packets += len(cluster.packets)
                    stats.raw_bytes += raw_frame * len(cluster.frame_pts)
                    stats.payload_bytes += len(payload)
                show(force=True)
    finally:
        bar.close()
    stats.seconds = time.monotonic() - start
    return stats


def _gop_task(frames: list[VideoFrameData], packets: list[Packet], records: list) -> tuple[tuple, Cluster]:
    """A GOP job's argument (the planes) and its cluster, to be completed by the job's result."""
    planes = [f.planes for f in frames]
    cluster = Cluster(index=0, frame_pts=[f.pts for f in frames], frame_types="",
                      frame_md5=[P.frame_md5(p) for p in planes], payload=b"", packets=packets,
                      frame_durations=[f.duration for f in frames], source_files=records)
    return (planes,), cluster


def _encode_local(coder, pix_fmt: str, planes: list, start: int, context: list, trials: str = "all",
                  progress=None):
    return coder.encode_piece(planes, start, context, pix_fmt, trials, progress)


# --------------------------------------------------------------------------- decoding


def decode_file(
    src: str | os.PathLike,
    dst: str | os.PathLike,
    *,
    overwrite: bool = False,
    progress=False,
    threads: int | None = None,
    max_frames: int | None = None,
    coder=None,
    recover: bool = False,
    jobs: int = 1,
    playback: bool = False,
) -> DecodeStats:
    """Decode ``src`` (``.nlvc`` path, or ``"-"`` for stdin) into ``dst``: ``.mkv`` (FFV1 level 3
    + the original audio/subtitle streams), ``.y4m``, ``"-"`` (y4m on stdout), or a folder (an
    image sequence: an existing folder, a name ending in '/', or a new name without an extension
    when the file holds an image sequence; ``overwrite`` replaces a folder holding only the
    sequence's files). ``jobs``: GOPs decoded at once by worker processes (1: in this process,
    with ``threads``). A .mkv kept byte for byte (io/mkv.py) is written back; FFV1 with ``playback``."""
    src, dst = str(src), str(dst)
    kind = output_kind(dst)
    if dst != STDIO and kind != "images" and Path(dst).exists() and not overwrite:
        raise OutputExistsError(f"{dst}: already exists (use --overwrite to replace it)")
    if dst == STDIO:
        refuse_terminal(sys.stdout, "y4m video")
    source = sys.stdin.buffer if src == STDIO else src
    with container.open(source, "r", salvage=recover) as reader:  # (recover: past damaged Tags, ...)
        checks.check_header(reader)
        if kind == "images":  # a new name without '/' is a folder only for an image sequence
            kind = output_kind(dst, sequence="nlvc:sequence" in reader.tags)
        kind = whole_kind(kind, reader.tags, playback)  # a .mkv the file keeps: written back byte for byte
        if not recover:
            for notice in reader.head_errors:  # (a tag that is not UTF-8: kept escaped)
                logging.getLogger("nlvc_av").warning("%s: %s", src if src != STDIO else "stdin", notice)
        track = reader.video_track
        video = session.video_info_from_track(track, reader.tags)
        video.package = reader.package  # a package's side files and folders (1.6), written with its images
        video.metadata = {k: v for k, v in video.metadata.items()  # images: the nlvc:sequence tags name the files
                          if kind == "images" or kind in WHOLE_KINDS or not k.startswith(presets.TAG_PREFIX)
                          or (kind == "y4m" and k == Y4M_TAG)}  # y4m: the source's header line
        if kind == "y4m" and P.lookup(video.pix_fmt).family == "rgb":
            raise OutputError(f"YUV4MPEG2 cannot carry RGB video ({video.pix_fmt}); write a .mkv instead")
        if coder is None:
            coder = coder_for_setup(reader.codec_setup, threads=threads)
        streams = [session.stream_info_from_track(t) for t in reader.other_tracks]
        if recover:  # every intact GOP is written; stats.damage says what was lost
            return recovery.decode_recovering(reader, coder, dst, kind, video, streams, progress=progress,
                                              max_frames=max_frames, overwrite=overwrite,
                                              reopen=None if src == STDIO else lambda: container.open(src, "r", salvage=True))
        if dst == STDIO:
            stats = _decode(reader, coder, sys.stdout.buffer, kind, video, streams, progress, max_frames, "stdout", jobs)
        else:
            with atomic_folder(dst, overwrite, video.metadata) if kind == "images" else atomic_output(dst, overwrite) as tmp:
                stats = _decode(reader, coder, tmp, kind, video, streams, progress, max_frames, dst, jobs)
        for notice in reader.errors:  # damage that cost no frame (the Cues, the CuesLocator): said, not fatal
            logging.getLogger("nlvc_av").warning("%s: no frame lost: %s", src if src != STDIO else "stdin", notice)
        return stats


def _decode(reader, coder, out, kind, video, streams, progress, max_frames, name, n_jobs=1) -> DecodeStats:
    stats = DecodeStats()
    start = time.monotonic()
    total = session.frame_count(reader, max_frames)  # 0 from a pipe: no bar, no ETA
    bar = _progress(progress, "decoding", total, coder, inter=reader.codec_setup.gop_size > 1)
    packets: list[Packet] = []
    try:
        frames = jobs.iter_decoded(reader, coder, jobs=n_jobs, max_frames=max_frames, packets=packets)
        write_decoded(out, name, kind, video, streams, frames, packets, stats, bar, max_frames)
    finally:
        bar.close()
    stats.seconds = time.monotonic() - start
    return stats
