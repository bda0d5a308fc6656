"""Damaged ``.nlvc`` files: every intact GOP back, and a report of exactly what was lost.

The container walks the clusters and reports each GOP that did not arrive intact (a CRC-32
mismatch, a cut, a cluster that cannot be found); decoding adds the GOPs whose payload does not
decode to their stored MD5s. A :class:`DamageReport` gathers both, with the frames each lost GOP
held (the writer puts ``GopSize`` frames in every GOP but the last, FORMAT.md section 7) and
the byte where the damage was found; a carried packet (audio, subtitles) of an intact GOP that
does not match its MD5 (format 1.5) is lost alone. Damage that costs no GOP (Cues, CuesLocator)
is listed as a notice. A pipe and a seekable file are read the same way: in order, without the index.

    report = DamageReport(gop_size)
    for frame in iter_recovered(reader, coder, report): ...   # frames of intact GOPs, bit-exact
    report.lost, report.lines(), report.as_dict()
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Iterator

import container
from container import NlvcError

from . import session
from .checks import check_header
from .text import escape, plural


@dataclass
class Loss:
    """One problem found in a file: a lost GOP (``gop`` set), or damage that cost nothing."""

    message: str
    gop: int | None = None
    offset: int | None = None
    data_lost: bool = True
    first_frame: int | None = None  # frame numbers the lost GOP held (0-based, whole file)
    last_frame: int | None = None  # None with first_frame set: "and every frame after it"
    metadata: bool = False  # no frame lost, but metadata (a damaged Info, Tags or Tracks)
    packet: bool = False  # no frame lost, but a carried packet (its data do not match their MD5)
    kept_file: bool = False  # the frame is intact, but its source file's kept bytes are damaged

    @property
    def frames(self) -> str:
        if self.first_frame is None:
            return ""
        if self.last_frame is None:
            return f"frames {self.first_frame} and after"
        if self.last_frame == self.first_frame:
            return f"frame {self.first_frame}"
        return f"frames {self.first_frame}-{self.last_frame}"

    def describe(self) -> str:
        if self.metadata:
            return f"metadata lost: {escape(self.message)}"
        if self.packet:
            return f"packet lost (the GOP's frames are intact): {escape(self.message)}"
        if self.kept_file:
            return f"source file lost (its frame is intact): {escape(self.message)}"
        if self.gop is None or not self.data_lost:
            return f"no frame lost: {escape(self.message)}"
        where = f" at byte {self.offset}" if self.offset is not None else ""
        frames = f" ({self.frames})" if self.frames else ""
        message = self.message.removeprefix(f"GOP {self.gop}: ")
        return f"GOP {self.gop}{frames} lost{where}: {escape(message)}"

    def as_dict(self) -> dict:
        return {"gop": self.gop, "first_frame": self.first_frame, "last_frame": self.last_frame,
                "offset": self.offset, "data_lost": self.data_lost, "metadata": self.metadata,
                "packet": self.packet, "kept_file": self.kept_file, "message": escape(self.message)}


@dataclass
class DamageReport:
    """What a read of a whole file found: the intact GOPs and frames, the losses, the notices."""

    gop_size: int
    losses: list[Loss] = field(default_factory=list)
    gops_ok: int = 0
    frames_ok: int = 0
    packets_md5: int = 0  # carried packets of intact GOPs checked against their MD5s (1.5)
    packets_crc_only: int = 0  # ... without one (older files): covered by the cluster CRC-32 alone
    _last_intact: int = -1

    # -- gathering

    def intact(self, gop: int, frames: int) -> None:
        self.gops_ok += 1
        self.frames_ok += frames
        self._last_intact = max(self._last_intact, gop)

    def error(self, err: NlvcError) -> None:
        """A container error, or a GOP that did not decode (its ``gop`` set)."""
        gop = err.gop if err.data_lost else None
        if gop is not None and any(x.gop == gop and x.data_lost for x in self.losses):
            return  # one entry per lost GOP
        self.losses.append(Loss(str(err), gop, err.offset, err.data_lost and gop is not None))

    def check_packets(self, cluster, kinds: dict[int, str]) -> list:
        """Check the carried packets of an intact GOP against their MD5s; the packets that
        match (or have none), each mismatch going to the report as a lost packet."""
        bad = session.damaged_packets(cluster.packets)
        for k in bad:
            err = session.packet_error(cluster.index, cluster.packets[k], kinds)
            self.losses.append(Loss(str(err), cluster.index, None, False, packet=True))
        with_md5 = sum(1 for p in cluster.packets if p.md5)
        self.packets_md5 += with_md5
        self.packets_crc_only += len(cluster.packets) - with_md5
        return [p for k, p in enumerate(cluster.packets) if k not in bad] if bad else cluster.packets

    def salvaged(self, cluster, frames: list, width: int, height: int) -> None:
        """A cluster whose CRC-32 failed but whose frames all match their MD5s: said; each
        source file whose kept bytes no longer rebuild it (its MD5) is lost, its frame kept as
        pixels (written by FFmpeg's encoder where it can, else not written); packets without
        an MD5 (before 1.5) cannot be trusted and are lost."""
        from .io.rebuild import RebuildError, check, rebuild

        self.losses.append(Loss(f"GOP {cluster.index}: {cluster.crc_error}; read anyway: every frame matches "
                                "its MD5", None, None, False))
        lost: dict[str, int] = {}  # name -> records that do not rebuild (an AVI's frames share one name)
        for frame in frames:
            source = frame.source
            if source is None or not source.packing:
                continue
            try:
                ok = check(source, rebuild(source, frame.planes, width, height))
            except RebuildError:
                ok = False
            if not ok:
                lost[source.name] = lost.get(source.name, 0) + 1
                frame.source = container.SourceFile(source.name, source.md5)  # pixels only
        for name, count in lost.items():
            parts = f" ({count} of its frames' records)" if count > 1 else ""
            self.losses.append(Loss(f"GOP {cluster.index}: {name}: its kept bytes do not rebuild it (MD5){parts}; "
                                    "its pixels are kept", cluster.index, None, False, kept_file=True))
        unchecked = [p for p in cluster.packets if not p.md5]
        for p in unchecked:
            self.losses.append(Loss(f"GOP {cluster.index}: a packet of track {p.track} without an MD5 in a "
                                    "damaged cluster", cluster.index, None, False, packet=True))
        cluster.packets = [p for p in cluster.packets if p.md5]

    def head(self, errors) -> None:
        """What was wrong before the first Cluster (``Reader.head_errors``): lost metadata
        (``data_lost``) or a notice (a tag that is not UTF-8)."""
        for err in errors:
            self.losses.append(Loss(str(err), None, err.offset, False, metadata=err.data_lost))

    def finish(self) -> "DamageReport":
        """Give each lost GOP its frame numbers (call after the read)."""
        g = self.gop_size
        for loss in self.losses:
            if loss.gop is not None and loss.data_lost:
                loss.first_frame = loss.gop * g
                # A GOP after the last intact one may be the (shorter) last GOP of the file.
                loss.last_frame = None if loss.gop > self._last_intact else loss.first_frame + g - 1
        return self

    # -- reading the result

    @property
    def lost(self) -> list[Loss]:
        return [x for x in self.losses if x.data_lost]

    @property
    def metadata_lost(self) -> list[Loss]:
        return [x for x in self.losses if x.metadata]

    @property
    def packets_lost(self) -> list[Loss]:
        return [x for x in self.losses if x.packet]

    @property
    def notices(self) -> list[Loss]:
        return [x for x in self.losses if not x.data_lost and not x.metadata and not x.packet and not x.kept_file]

    @property
    def files_lost(self) -> list[Loss]:
        return [x for x in self.losses if x.kept_file]

    @property
    def data_lost(self) -> bool:
        """Frames, packets, kept files or metadata lost (``--recover`` and ``nlvc info`` exit 3)."""
        return bool(self.lost or self.metadata_lost or self.packets_lost or self.files_lost)

    @property
    def damaged(self) -> bool:
        return bool(self.losses)

    def lines(self) -> list[str]:
        return [x.describe() for x in self.losses]

    def summary(self) -> str:
        lost = self.lost
        text = f"{plural(self.frames_ok, 'frame')} in {plural(self.gops_ok, 'intact GOP')}"
        if lost:
            text += f", {plural(len(lost), 'GOP')} lost"
        if self.packets_lost:
            text += f", {plural(len(self.packets_lost), 'packet')} lost"
        if self.files_lost:
            text += f", {plural(len(self.files_lost), 'source file')} lost"
        if self.metadata_lost:
            text += ", metadata lost"
        if self.notices:
            text += f", {plural(len(self.notices), 'damage notice')}"
        return text

    def written(self) -> str:
        """What ``--recover`` wrote and lost: ``"4 frames of 2 intact GOPs written, 1 GOP lost"``."""
        if not self.frames_ok:
            return f"nothing recoverable: {plural(len(self.lost), 'GOP')} lost, no intact GOP; nothing written"
        text = f"{plural(self.frames_ok, 'frame')} of {plural(self.gops_ok, 'intact GOP')} written"
        text += f", {plural(len(self.lost), 'GOP')} lost" if self.lost else ""
        text += f", {plural(len(self.packets_lost), 'packet')} lost" if self.packets_lost else ""
        text += f", {plural(len(self.files_lost), 'source file')} lost" if self.files_lost else ""
        return text + (", metadata lost" if self.metadata_lost else "")

    def as_dict(self) -> dict:
        return {"intact_gops": self.gops_ok, "intact_frames": self.frames_ok,
                "lost_gops": [x.gop for x in self.lost], "metadata_lost": len(self.metadata_lost) > 0,
                "lost_packets": len(self.packets_lost),
                "problems": [x.as_dict() for x in self.losses]}


def iter_recovered(reader: container.Reader, coder, report: DamageReport, *,
                   max_frames: int | None = None, packets: list | None = None
                   ) -> Iterator[session.DecodedFrame]:
    """The MD5-checked frames of every intact GOP, in order; each lost GOP goes to ``report``
    (call ``report.finish()`` when the iteration is over; it is called here at its end). The
    carried packets of each intact GOP are checked against their MD5s; those that match go to
    ``packets`` (when given), each mismatch to ``report``."""
    check_header(reader)
    track, gop_size = reader.video_track, reader.codec_setup.gop_size
    kinds = session.track_kinds(reader)
    report.head(reader.head_errors)
    count = 0
    for cluster in reader.iter_clusters(on_error=report.error):
        try:
            frames = session.decode_cluster(cluster, coder, track, gop_size=gop_size)
        except NlvcError as err:
            if cluster.crc_error is not None:  # read past its CRC-32, and its frames are not intact
                err = cluster.crc_error
            if err.gop is None:
                err.gop = cluster.index
            report.error(err)
            continue
        if cluster.crc_error:
            report.salvaged(cluster, frames, track.width, track.height)
        report.intact(cluster.index, len(frames))
        good = report.check_packets(cluster, kinds)
        if packets is not None:
            packets.extend(good)
        for frame in frames:
            yield frame
            count += 1
            if max_frames is not None and count >= max_frames:
                report.finish()
                return
    report.finish()


def scan_report(scan: session.Scan, gop_size: int, head_errors=()) -> DamageReport:
    """The damage a scan (no decoding: CRC-32s and structure only) found, after the damage
    before the first Cluster (``Reader.head_errors``)."""
    report = DamageReport(gop_size)
    report.head(head_errors)
    for gop, frames in scan.intact:
        report.intact(gop, frames)
    for err in scan.errors:
        report.error(err)
    return report.finish()


def decode_recovering(reader: container.Reader, coder, dst: str, kind: str, video, streams, *,
                      progress=False, max_frames: int | None = None, overwrite: bool = False, reopen=None):
    """``decode_file(..., recover=True)``. An AVI/MOV/MKV the file keeps whole (``kind`` "avi",
    "mov", "mkv-whole") is written back when every byte of it comes back; when it cannot be (a lost GOP, a
    lost sound packet, its MD5), nothing is written at ``dst`` and every intact GOP goes to an
    FFV1/Matroska file beside it (``dst`` with the suffix .mkv, x.mkv: x.ffv1.mkv; ``reopen()`` opens the .nlvc
    again for that second read), the report saying the file could not be rebuilt."""
    from .io.aviread import NAME_TAG
    from .io.aviwrite import WHOLE_KINDS

    if kind not in WHOLE_KINDS:
        return _decode_recovering(reader, coder, dst, kind, video, streams, progress=progress,
                                  max_frames=max_frames, overwrite=overwrite)
    from pathlib import Path

    from .errors import OutputError
    from .presets import TAG_PREFIX

    try:
        stats = _decode_recovering(reader, coder, dst, kind, video, streams, progress=progress,
                                   max_frames=max_frames, overwrite=overwrite)
        if not stats.damage.data_lost:
            return stats
        reason = stats.damage.written()  # (a damaged packet the writer did not need: the file is rebuilt)
        if Path(dst).exists():
            return stats
    except OutputError as err:
        reason = str(err).removeprefix(f"{dst}: ")
    name = video.metadata.get(NAME_TAG, "the source file")
    if reopen is None:
        raise OutputError(f"{dst}: {name} cannot be rebuilt byte for byte ({reason}); read the .nlvc from a "
                          "file (not a pipe) to write its intact GOPs to a .mkv")
    fallback = str(Path(dst).with_suffix(".ffv1.mkv" if kind == "mkv-whole" else ".mkv"))
    video.metadata = {k: v for k, v in video.metadata.items() if not k.startswith(TAG_PREFIX)}
    with reopen() as again:
        stats = _decode_recovering(again, coder, fallback, "mkv", video, streams, progress=progress,
                                   max_frames=max_frames, overwrite=overwrite)
    said = any(x.kept_file for x in stats.damage.losses)  # (else this line is what makes the exit 3)
    stats.damage.losses.append(Loss(f"{name} cannot be rebuilt byte for byte ({reason}); nothing written at "
                                    f"{dst}; every intact GOP written to {fallback} (FFV1/Matroska)",
                                    None, None, False, kept_file=not said))
    stats.written_to = fallback
    return stats


def _decode_recovering(reader: container.Reader, coder, dst: str, kind: str, video, streams, *,
                       progress=False, max_frames: int | None = None, overwrite: bool = False):
    """``decode_file(..., recover=True)``: write every intact GOP of an open reader to ``dst``
    (``"-"``: stdout; a folder: an image sequence, each file under its own name and number),
    atomically; ``stats.damage`` is the :class:`DamageReport`. When no GOP is intact, nothing
    is written (``stats.frames`` is 0)."""
    import itertools
    import sys

    from .destinations import STDIO, atomic_output
    from .progress import NullProgress, ProgressBar
    from .io.imagewrite import atomic_folder, check_folder
    from .io.mux import write_decoded
    from .stats import DecodeStats

    if kind == "images":
        check_folder(dst, overwrite, video.metadata)  # refused before anything is decoded
    gop_size = reader.codec_setup.gop_size
    report = DamageReport(gop_size)
    stats = DecodeStats(damage=report)
    bar = ProgressBar("decoding", 0) if progress is True else (progress or NullProgress())
    start = time.monotonic()
    packets: list = []
    try:
        frames = iter_recovered(reader, coder, report, max_frames=max_frames, packets=packets)
        first = next(frames, None)  # up to the first intact GOP: nothing is written without one
        if first is not None:
            frames = itertools.chain([first], frames)

            def write(out, name: str) -> None:
                write_decoded(out, name, kind, video, streams, frames, packets, stats, bar, max_frames, gop_size)

            if dst == STDIO:
                write(sys.stdout.buffer, "stdout")
            else:
                with atomic_folder(dst, overwrite, video.metadata) if kind == "images" else \
                        atomic_output(dst, overwrite) as tmp:
                    write(tmp, dst)
    finally:
        bar.close()
    stats.seconds = time.monotonic() - start
    return stats
