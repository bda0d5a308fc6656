"""What an encode and a decode report: frames, GOPs, sizes, speed (the results of
:func:`nlvc_av.transcode.encode_file` and :func:`~nlvc_av.transcode.decode_file`; a decode with
``recover`` fills ``damage``). Its own module: the transcoder and the recovery both return them."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class EncodeStats:
    frames: int = 0
    gops: int = 0
    packets: int = 0  # copied audio/subtitle packets
    raw_bytes: int = 0  # the frames' planes, uncompressed
    payload_bytes: int = 0  # the coded video
    file_bytes: int = 0  # the whole .nlvc (0 when written to a pipe)
    seconds: float = 0.0
    pix_fmt: str = ""
    width: int = 0
    height: int = 0
    checked: str = ""  # --check: what was decoded and compared

    @property
    def ratio(self) -> float:
        """Raw size / coded video size."""
        return self.raw_bytes / self.payload_bytes if self.payload_bytes else 0.0

    @property
    def fps(self) -> float:
        return self.frames / self.seconds if self.seconds else 0.0


@dataclass
class DecodeStats:
    frames: int = 0
    gops: int = 0
    packets: int = 0  # copied packets written
    dropped_packets: int = 0  # copied packets the output cannot carry (y4m is video only)
    damage: object = None  # a recovery.DamageReport (decode_file(recover=True)): what was lost
    seconds: float = 0.0
    written_to: str | None = None  # --recover: where it went when not the destination asked for (a .mkv)

    @property
    def fps(self) -> float:
        return self.frames / self.seconds if self.seconds else 0.0
