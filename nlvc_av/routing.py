"""Copied packets held until the cluster of their time span is written (the encoder's router)."""
from __future__ import annotations

from fractions import Fraction

from container import Packet


class PacketRouter:
    """Holds copied packets until the cluster whose GOP time span holds them is written.

    A GOP spans [its first pts, the next GOP's first pts); packets are compared by dts (pts when
    there is none). Per stream, packets keep their order: once one is held back, every later
    packet of that stream waits too.
    """

    def __init__(self, time_bases: dict[int, Fraction]):
        self.time_bases = time_bases
        self.pending: list[Packet] = []

    def add(self, packet: Packet) -> None:
        self.pending.append(packet)

    def _time(self, p: Packet) -> Fraction | None:
        t = p.dts if p.dts is not None else p.pts
        return None if t is None else t * self.time_bases.get(p.track, Fraction(1, 1000))

    def take(self, before: Fraction | None) -> list[Packet]:
        if before is None:
            taken, self.pending = self.pending, []
            return taken
        taken, kept, held = [], [], set()
        for p in self.pending:
            t = self._time(p)
            if p.track in held or (t is not None and t >= before):
                held.add(p.track)
                kept.append(p)
            else:
                taken.append(p)
        self.pending = kept
        return taken
