"""``nlvc verify``: the fixity of one ``.nlvc`` file, or two videos compared frame by frame.

``check_file(FILE.nlvc)`` (the archivist's periodic check, no source needed) reads every
element, checks every CRC-32, decodes every GOP and checks every frame's MD5 and every carried
packet's (format 1.5); damage does not stop it: the report names each lost GOP, its frames and
the byte where it was found, and each packet that does not match its MD5.
``compare(A, B)``: MD5 of each frame's planes in the native format; either side may be an
``.nlvc`` file (decoded, its stored MD5s checked as well) or any video PyAV reads; the first
difference is located by frame, plane and pixel.
"""
from __future__ import annotations

import hashlib
import itertools
import os
from typing import Iterator

import numpy as np

import container

from . import recovery
from .checks import check_header
from .codec import formats as P
from .destinations import is_nlvc
from .io import pcmcarry
from .io.packagefiles import file_bytes
from .io.aviread import MD5_TAG as AVI_MD5_TAG, NAME_TAG as AVI_NAME_TAG
from .io.aviwrite import kept_sound
from .io.packagesound import rebuild_sound
from .io.rebuild import RebuildError, check, rebuild
from .io.streams import VideoInfo
from .session import coder_for_setup, iter_nlvc_planes, stream_info_from_track
from .text import plural


def iter_planes(path: str | os.PathLike, *, max_frames: int | None = None, jobs: int = 1
                ) -> tuple[VideoInfo, Iterator[list[np.ndarray]]]:
    """Planes of any video: ``.nlvc`` files are decoded with the codec (``jobs`` GOPs at once,
    :mod:`nlvc_av.jobs`), others read with PyAV."""
    if is_nlvc(path):
        if jobs > 1:
            from .jobs import iter_nlvc_planes as iter_nlvc_planes_parallel

            return iter_nlvc_planes_parallel(path, jobs=jobs, max_frames=max_frames)
        return iter_nlvc_planes(path, max_frames=max_frames)
    from .io.demux import iter_video_planes

    return iter_video_planes(str(path), max_frames=max_frames)


def compare(a: str, b: str, *, max_frames: int | None = None, progress=None, jobs: int = 1) -> tuple[bool, str]:
    """``(identical, message)``; ``progress`` (a ProgressBar or None) is updated per frame."""
    info_a, frames_a = iter_planes(a, max_frames=max_frames, jobs=jobs)
    info_b, frames_b = iter_planes(b, max_frames=max_frames, jobs=jobs)
    fa, fb = P.lookup(info_a.pix_fmt), P.lookup(info_b.pix_fmt)
    if (info_a.width, info_a.height, fa.coding_pix_fmt) != (info_b.width, info_b.height, fb.coding_pix_fmt):
        return False, (f"different video: {a} is {info_a.width}x{info_a.height} {info_a.pix_fmt}, "
                       f"{b} is {info_b.width}x{info_b.height} {info_b.pix_fmt}")
    n = 0
    for n, (pa, pb) in enumerate(itertools.zip_longest(frames_a, frames_b), start=1):
        if pa is None or pb is None:
            shorter = a if pa is None else b
            return False, f"{shorter} ends after {n - 1} frames, the other has more"
        ma, mb = P.frame_md5(pa), P.frame_md5(pb)
        if ma != mb:
            return False, f"frame {n - 1} differs: {first_difference(pa, pb)} (md5 {ma.hex()} vs {mb.hex()})"
        if progress is not None:
            progress.update(n)
    if n == 0:
        return False, "no frames to compare"
    return True, f"identical: {plural(n, 'frame')}, {info_a.width}x{info_a.height} {info_a.pix_fmt}"


def first_difference(a: list[np.ndarray], b: list[np.ndarray]) -> str:
    """Where two frames first differ: plane, pixel (x, y, in raster order) and the two values."""
    for k, (pa, pb) in enumerate(zip(a, b)):
        if pa.shape != pb.shape:
            return f"plane {k} is {pa.shape[1]}x{pa.shape[0]} vs {pb.shape[1]}x{pb.shape[0]}"
        where = np.argwhere(pa != pb)
        if len(where):
            y, x = (int(v) for v in where[0])
            return (f"plane {k}, first at pixel x={x} y={y} ({int(pa[y, x])} vs {int(pb[y, x])}), "
                    f"{plural(len(where), 'sample')} differ in that plane")
    return f"{len(a)} vs {len(b)} planes"


def _count(files: dict, listing: list, record, ok: bool) -> None:
    """One rebuilt file counted, and listed with its stored MD5 (``nlvc verify --files``)."""
    if ok:
        files["rebuilt"] += 1
    else:
        files["mismatch"].append(record.name)
    listing.append((record.name, record.md5.hex(), ok))


def _avi_sound(path: str, reader) -> bytes | None:
    """The PCM stream an AVI's or MOV's frame records take (op 7): its sound tracks' packets, read
    in a first pass over the clusters (no frame decoded), decoded, one after another in track
    order (1.7); None when it cannot be (damage)."""
    tracks = {t.number: (stream_info_from_track(t), []) for t in reader.other_tracks if t.source is not None}
    if not tracks:
        return None
    with container.open(path, "r", salvage=True) as first:
        for p in (p for c in first.iter_clusters(on_error="skip") for p in c.packets if p.track in tracks):
            tracks[p.track][1].append(p)
    try:
        return kept_sound(tracks)
    except RebuildError:
        return None


def _sound_ok(info, packets: list) -> bool:
    try:
        rebuild_sound(info, packets)
    except RebuildError:
        return False
    return True


def _pcm_decodes(info, packets: list, errors: list) -> int:
    """Decode a carried PCM track's stored packets (those whose MD5s matched): how many decode;
    each that does not goes to ``errors`` (a line)."""
    uncode, done = pcmcarry.Uncoder(info), 0
    for p in packets:
        if p.track != info.number:
            continue
        try:
            uncode(p.data)
        except Exception as err:  # (any failure of damaged coded bytes is a finding, not a crash)
            errors.append(f"track {info.number} ({uncode.name}): the coded packet at pts {p.pts} does not "
                          f"decode ({type(err).__name__}: {err})")
            continue
        done += 1
    return done


def _side_file_ok(record) -> bool:
    try:
        file_bytes(record)
    except RebuildError:
        return False
    return True


def check_file(path: str, *, progress=None, coder=None) -> dict:
    """The fixity of one ``.nlvc`` file: every CRC-32 and every frame MD5, without the source.

    Returns ``{"file", "ok", "verdict", "frames", "gops", "damage", "source_files", "checked",
    "packets"}`` (``verdict``: "intact", "damaged", or "damaged, no frame lost" when only notices
    were found, e.g. a cut or damaged index; ``damage``: the
    :meth:`recovery.DamageReport.as_dict`, ``"lines"`` the report in words; ``packets``: how
    many carried packets of intact GOPs were checked against their MD5s (format 1.5), and how
    many had none, so were checked by their cluster's CRC-32 only, and ``pcm_decoded`` how many
    carried PCM packets coded per packet (1.6) were decoded back). The source
    files an image sequence kept (format 1.3) are rebuilt in memory and their MD5s checked
    (``source_files``: counts and the names that do not match; ``files``: (name, stored MD5
    hex, matches) of every rebuilt file, a package's side files included). Raises only when the header
    cannot be read (nothing else can be checked then)."""
    files = {"rebuilt": 0, "pixels_only": 0, "mismatch": []}
    pcm_decoded = 0  # carried PCM packets (nlvc-pcmpacket-1) decoded
    pcm_errors: list[str] = []  # carried PCM packets that do not decode
    listing: list = []  # (name, stored MD5, matches) of every rebuilt file
    with container.open(path, "r", salvage=True) as reader:  # damage in Tags or Tracks: reported
        check_header(reader)
        coder = coder or coder_for_setup(reader.codec_setup)
        report = recovery.DamageReport(reader.codec_setup.gop_size)
        track = reader.video_track
        packets: list = []  # the carried packets that match their MD5s (a package's sound is rebuilt from them)
        avi = AVI_MD5_TAG in reader.tags  # an AVI or MOV kept whole: its frames' records take its sound (op 7)
        sound, whole = (_avi_sound(path, reader), hashlib.md5()) if avi else (None, None)
        for n, frame in enumerate(recovery.iter_recovered(reader, coder, report, packets=packets), start=1):
            if frame.source is not None and not frame.source.packing:
                files["pixels_only"] += 1
            elif frame.source is not None:
                try:
                    data = rebuild(frame.source, frame.planes, track.width, track.height, sound)
                    ok = check(frame.source, data)
                except RebuildError:
                    data, ok = b"", False
                if whole is not None:
                    whole.update(data)
                _count(files, listing, frame.source, ok)
            if progress is not None:
                progress.update(n)
        if whole is not None:  # the AVI as a whole, against the MD5 taken from the source
            name = reader.tags.get(AVI_NAME_TAG, "the AVI")
            whole_ok = whole.hexdigest() == reader.tags[AVI_MD5_TAG] and not report.damaged
            if not whole_ok:
                files["mismatch"].append(name)
            listing.append((name, reader.tags[AVI_MD5_TAG], whole_ok))
        for record in reader.package:  # a package's side files (1.6); folders have no bytes
            if not record.name.endswith("/"):
                _count(files, listing, record, _side_file_ok(record))
        for track in reader.other_tracks:
            if track.codec_name == pcmcarry.CODEC:  # carried PCM coded per packet (1.6): each decoded back
                pcm_decoded += _pcm_decodes(stream_info_from_track(track), packets, pcm_errors)
            if track.source is not None:  # a package's sound files (1.6)
                ok = _sound_ok(stream_info_from_track(track), [p for p in packets if p.track == track.number])
                _count(files, listing, track.source, ok)
    lines = report.lines() + [f"{name}: the rebuilt source file does not match its stored MD5"
                              for name in files["mismatch"]] + pcm_errors
    checked = "every CRC-32 and frame MD5 checked"
    if report.packets_md5:
        checked += f", {plural(report.packets_md5, 'packet')} of the other streams MD5-checked"
    if report.packets_crc_only:  # a file written before format 1.5
        checked += (f", {plural(report.packets_crc_only, 'packet')} of the other streams by the CRC-32 only "
                    "(no packet MD5s: written before format 1.5)")
    if files["rebuilt"] or files["pixels_only"]:
        checked += f", {plural(files['rebuilt'], 'source file')} rebuilt byte for byte (MD5)"
        checked += f", {files['pixels_only']} kept as pixels only" if files["pixels_only"] else ""
    if pcm_decoded:
        checked += f", {plural(pcm_decoded, 'coded PCM packet')} decoded"
    ok = not report.damaged and not files["mismatch"] and not pcm_errors
    verdict = "intact" if ok else ("damaged" if report.data_lost or files["mismatch"] or pcm_errors
                                   else "damaged, no frame lost")
    return {"file": path, "ok": ok, "verdict": verdict, "frames": report.frames_ok,
            "gops": report.gops_ok, "summary": report.summary(), "damage": report.as_dict(), "lines": lines,
            "source_files": files, "files": listing, "checked": checked,
            "packets": {"md5": report.packets_md5, "crc_only": report.packets_crc_only, "pcm_decoded": pcm_decoded}}
