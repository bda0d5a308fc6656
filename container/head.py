"""The elements before the first Cluster, parsed; and what is left of them when they are damaged.

CodecSetup is needed whole. Damage in the metadata around the video need not cost the video
(FORMAT.md, section 7.1): with ``salvage`` (a reader opened to recover a damaged file), an Info
or Tags that does not check is dropped, and a Tracks that does not check gives its video track,
read unchecked (every frame is still checked against its MD5), without the other tracks; each
such loss is an error with ``data_lost`` True in ``Head.errors``. Without ``salvage`` the damage
is raised, marked ``recoverable``. A tag that is not valid UTF-8 is never fatal: it is kept
escaped, and a notice (``data_lost`` False) goes to ``Head.errors``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from . import elements as E
from .ebml import Element
from .errors import CorruptFileError, NlvcError
from .model import Info
from .parse import checked_children, parse_codec_setup, parse_info, parse_source_file, parse_tags, parse_tracks, \
    salvage_video_track


def parse_package(el: Element) -> list:
    """(1.6) The side files and folders of a package: SourceFile records."""
    return [parse_source_file(k) for k in checked_children(el) if k.id == E.SOURCE_FILE]


PARSERS = {E.INFO: parse_info, E.CODEC_SETUP: parse_codec_setup, E.TRACKS: parse_tracks, E.TAGS: parse_tags,
           E.PACKAGE: parse_package}


class AllTracksBut:
    """The packet tracks of a file whose Tracks were damaged: any track but the video's (their
    packets are read, CRC-checked with their clusters, and not written)."""

    def __init__(self, video: int):
        self.video = video

    def __contains__(self, number: object) -> bool:
        return number != self.video


@dataclass
class Head:
    """What was read of the head: parsed elements by ID, and the damage and notices."""

    salvage: bool = False
    elements: dict = field(default_factory=dict)
    errors: list[NlvcError] = field(default_factory=list)
    packet_tracks: object = None  # AllTracksBut when the Tracks were salvaged

    def parse(self, element_id: int, element: Element) -> None:
        if element_id == E.TAGS:
            parse = lambda el: parse_tags(el, self.errors)  # noqa: E731
        else:
            parse = PARSERS[element_id]
        try:
            self.elements[element_id] = parse(element)
        except CorruptFileError as err:
            if element_id == E.CODEC_SETUP:
                raise
            self._damaged(element_id, element, err)

    def _damaged(self, element_id: int, element: Element, err: CorruptFileError) -> None:
        if element_id == E.TRACKS:
            found = salvage_video_track(element)
            if found is None:
                raise err  # the video track itself is unreadable
            video, others = found
            lost = (f"{others} audio/subtitle/data track{'s are' if others != 1 else ' is'} lost, "
                    if others else "")
            what = (f"{lost}the video track's fields are read unchecked (its frames are still "
                    "checked against their MD5s)")
            value = [video]
        elif element_id == E.TAGS:
            what, value = "the file's tags are lost", {}
        elif element_id == E.PACKAGE:
            what, value = "the package's side files and folders are lost", []
        else:
            what, value = "the writing application and duration are not known", Info(app="")
        if not self.salvage:
            err.recoverable = True
            raise err
        self.elements[element_id] = value
        if element_id == E.TRACKS:
            self.packet_tracks = AllTracksBut(value[0].number)
        self.errors.append(CorruptFileError(f"damaged {E.name(element_id)}: {err}: {what}",
                                            offset=err.offset, data_lost=True))
