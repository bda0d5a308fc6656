"""Element IDs of the ``.nlvc`` format (see FORMAT.md, "Element table").

IDs are written as in Matroska: the ID's bytes, length marker included, read as a big-endian
integer. Where an element means the same as in EBML/Matroska it keeps the Matroska ID; the
NLVC-specific ones live in the 0x4Exx range and in two 4-byte IDs.
"""

from __future__ import annotations

#: The newest format version this package writes: (major, minor). It reads any 1.x file. A file
#: is stamped with the lowest minor version that describes it (1.1 when it embeds weights, 1.2
#: when its video is interlaced, 1.3 when it carries source files to rebuild, 1.4 when their maps
#: may use the ops 1.4 added, 1.5 when its packets carry their MD5s, 1.6 when it holds a
#: package: sound files rebuilt from their tracks, side files and folders, 1.7 when an AVI or MOV
#: kept whole takes its sound (op 7) from several tracks, 1.8 when a source file's packing is
#: semi-planar: nv12, nv21; otherwise 1.0).
VERSION = (1, 8)

# --- EBML header (RFC 8794 IDs) -------------------------------------------------------------
EBML = 0x1A45DFA3
EBML_VERSION = 0x4286
EBML_READ_VERSION = 0x42F7
EBML_MAX_ID_LENGTH = 0x42F2
EBML_MAX_SIZE_LENGTH = 0x42F3
DOC_TYPE = 0x4282
DOC_TYPE_VERSION = 0x4287  # the NLVC major version
DOC_TYPE_MINOR_VERSION = 0x4E00  # the NLVC minor version (NLVC-specific)

# --- Segment and its children ---------------------------------------------------------------
SEGMENT = 0x18538067

INFO = 0x1549A966
APP = 0x5741
DURATION_PTS = 0x4E01

CODEC_SETUP = 0x1E4E4353
MODEL_ID = 0x4E10
WEIGHTS_SHA256 = 0x4E11
TOKEN_MAP = 0x4E12
GROUPS = 0x4E13
GOP_SIZE = 0x4E14
CODER_PARAMS = 0x4E15
MODEL_WEIGHTS = 0x4E16  # 1.1: the model's weights file, embedded (custom models)

PARAM = 0x4E20
PARAM_NAME = 0x4E21
PARAM_INT = 0x4E22
PARAM_STRING = 0x4E23
PARAM_FLOAT = 0x4E24

TRACKS = 0x1654AE6B
TRACK_ENTRY = 0xAE
TRACK_NUMBER = 0xD7
TRACK_KIND = 0x4E30
TIME_BASE_NUM = 0x4E31
TIME_BASE_DEN = 0x4E32
STREAM_PARAMS = 0x4E33
CODEC_NAME = 0x86
EXTRADATA = 0x63A2
VIDEO = 0xE0
PIXEL_WIDTH = 0xB0
PIXEL_HEIGHT = 0xBA
PIX_FMT = 0x4E40
BIT_DEPTH = 0x4E41
FRAME_RATE_NUM = 0x4E42
FRAME_RATE_DEN = 0x4E43
COLOR_RANGE = 0x4E44
COLOR_PRIMARIES = 0x4E45
COLOR_TRC = 0x4E46
COLORSPACE = 0x4E47
CHROMA_LOCATION = 0x4E48
SAR_NUM = 0x4E49
SAR_DEN = 0x4E4A
FIELD_ORDER = 0x4E4B  # 1.2: interlaced video, FFmpeg AVFieldOrder (absent: progressive or unknown)

TAGS = 0x1254C367
SIMPLE_TAG = 0x67C8
TAG_NAME = 0x45A3
TAG_STRING = 0x4487

CLUSTER = 0x1F43B675
CRC32 = 0xBF
CLUSTER_GOP = 0x4E50
FRAME_PTS = 0x4E51
FRAME_DURATIONS = 0x4E52
FRAME_TYPES = 0x4E53
FRAME_MD5 = 0x4E54
PAYLOAD = 0x4E55
PACKET = 0x4E60
PACKET_TRACK = 0x4E61
PACKET_PTS = 0x4E62
PACKET_DTS = 0x4E63
PACKET_DURATION = 0x4E64
PACKET_KEYFRAME = 0x4E65
PACKET_DATA = 0x4E66
PACKET_MD5 = 0x4E67  # 1.5: MD5 of PacketData (fixity of the carried streams)
SOURCE_FILE = 0x4E80  # 1.3: one source file of an image sequence, to rebuild byte for byte
SOURCE_NAME = 0x4E81
SOURCE_MD5 = 0x4E82
SOURCE_PACKING = 0x4E83  # a list of Param: how the pixels are laid out in the file
SOURCE_MAP = 0x4E84  # int64[]: (op, length, pixel offset) triples, in file order
SOURCE_DATA = 0x4E85  # every byte of the file that is not pixels, in file order
PACKAGE = 0x1E4E5046  # 1.6: the other files of a package (side files, folders), after Tags

CUES = 0x1C53BB6B
CUE_POINT = 0xBB
CUE_GOP = 0x4E70
CUE_PTS = 0x4E71
CUE_CLUSTER_POSITION = 0xF1

CUES_LOCATOR = 0x1E4E434C

VOID = 0xEC  # padding, allowed anywhere, always skipped

#: Readable names, for error messages ("Tracks at byte 120 ...").
NAMES: dict[int, str] = {
    value: "".join(part.capitalize() for part in name.split("_"))
    for name, value in dict(globals()).items()
    if name.isupper() and isinstance(value, int)
}
NAMES.update({EBML: "EBML header", CRC32: "CRC-32", WEIGHTS_SHA256: "WeightsSha256",
              EBML_MAX_ID_LENGTH: "EBMLMaxIDLength", EBML_MAX_SIZE_LENGTH: "EBMLMaxSizeLength",
              EBML_VERSION: "EBMLVersion", EBML_READ_VERSION: "EBMLReadVersion",
              FRAME_MD5: "FrameMD5", CUES_LOCATOR: "CuesLocator", SOURCE_MD5: "SourceMD5", PACKAGE: "Package",
              PACKET_MD5: "PacketMD5"})

#: Elements whose payload is a list of child elements.
MASTERS = frozenset({EBML, SEGMENT, INFO, CODEC_SETUP, CODER_PARAMS, PARAM, TRACKS,
                     TRACK_ENTRY, STREAM_PARAMS, VIDEO, TAGS, SIMPLE_TAG, CLUSTER, PACKET,
                     SOURCE_FILE, SOURCE_PACKING, CUES, CUE_POINT})

#: The 4-byte IDs a reader looks for to find its footing again after damaged bytes.
RESYNC_IDS = (CLUSTER, CUES, CUES_LOCATOR)


def name(element_id: int) -> str:
    """``"Tracks"``, or ``"unknown element 0x4E99"`` for an ID this version does not define."""
    return NAMES.get(element_id) or f"unknown element 0x{element_id:X}"
