"""Image sequences as input: a printf pattern (``scan_%06d.dpx``, PyAV's image2) or a folder of
DPX, TIFF or PNG files, numbered.

    seq = find_sequence("scans/")            # or "scans/scan_%06d.dpx"
    url, options = seq.image2(rate=Fraction(24))

The numbering is checked before anything is read: a missing number is refused with the numbers
named (``allow_gaps`` codes the files present, in order); the first number and the pattern are
kept in the file's tags (``nlvc:sequence``, ``nlvc:first_number``, and ``nlvc:frame_numbers``
as ranges when there are gaps), so the sequence can be written back under its own names.
"""
from __future__ import annotations

import glob
import os
import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from ..errors import InputError

IMAGE_SUFFIXES = (".dpx", ".tif", ".tiff", ".png", ".exr")
PATTERN = re.compile(r"%(0?(\d+))?d")
NUMBERED = re.compile(r"^(.*?)(\d+)(\.[A-Za-z0-9]+)$")
DEFAULT_RATE = Fraction(25)
#: The first bytes of each kind of file (DPX either endianness, TIFF II/MM, PNG).
MAGIC = {".dpx": (b"SDPX", b"XPDS"), ".tif": (b"II*\0", b"MM\0*"), ".tiff": (b"II*\0", b"MM\0*"),
         ".png": (b"\x89PNG",), ".exr": (b"v/1\x01",)}


def is_sequence(path: str) -> bool:
    """A folder, a name with one printf number field (``%d``, ``%06d``) that is not itself the
    name of a file (a file literally named ``a%d.y4m`` is that file), or one image file (a
    sequence of one: its bytes are kept like a sequence's)."""
    if path == "-":
        return False
    if os.path.isfile(path):
        return path.lower().endswith(IMAGE_SUFFIXES)
    return os.path.isdir(path) or len(PATTERN.findall(Path(path).name)) == 1


def ranges(numbers: list[int]) -> str:
    """``[1, 2, 3, 7, 9, 10]`` -> ``"1-3,7,9-10"``."""
    out, start = [], None
    for i, n in enumerate(numbers):
        if start is None:
            start = n
        if i + 1 == len(numbers) or numbers[i + 1] != n + 1:
            out.append(str(start) if start == n else f"{start}-{n}")
            start = None
    return ",".join(out)


@dataclass
class ImageSequence:
    folder: Path
    prefix: str
    width: int        # digits of the number field (0: as many as needed)
    suffix: str
    numbers: list[int]
    literal: str = ""  # one file whose name has no number: its name (the pattern is made up)

    @property
    def pattern(self) -> str:
        return f"{self.prefix}%0{self.width}d{self.suffix}" if self.width else f"{self.prefix}%d{self.suffix}"

    def name(self, number: int) -> str:
        return self.pattern % number

    @property
    def files(self) -> list[Path]:
        if self.literal:
            return [self.folder / self.literal]
        return [self.folder / self.name(n) for n in self.numbers]

    def name_of(self, path: Path) -> str:
        """A file's name as kept in the .nlvc (a package keeps its path in the package)."""
        return Path(path).name

    def file_at(self, index: int) -> str:
        """The name of the sequence's file ``index`` (0: the first), or of the pattern past the end."""
        return str(self.files[index]) if index < len(self.numbers) else str(self.folder / self.pattern)

    @property
    def gaps(self) -> list[int]:
        present = set(self.numbers)
        return [n for n in range(self.numbers[0], self.numbers[-1] + 1) if n not in present]

    def image2(self, rate: Fraction | None) -> tuple[str, dict[str, str]]:
        """The url and options PyAV's image2 demuxer reads the sequence with."""
        options = {"framerate": str(DEFAULT_RATE if rate is None else parse_rate(rate))}
        if self.literal:
            return str(self.files[0]), {**options, "pattern_type": "none"}
        if self.gaps:  # every file present, in name order
            digits = "[0-9]" * self.width if self.width else "[0-9]*"
            # (the folder and the prefix apart: a prefix of "" keeps the folder's slash)
            url = os.path.join(glob.escape(str(self.folder)), glob.escape(self.prefix)) + digits + glob.escape(self.suffix)
            return url, {**options, "pattern_type": "glob"}
        return str(self.folder / self.pattern), {**options, "start_number": str(self.numbers[0])}

    def tags(self) -> dict[str, str]:
        tags = {"nlvc:sequence": self.pattern, "nlvc:first_number": str(self.numbers[0])}
        if self.gaps:
            tags["nlvc:frame_numbers"] = ranges(self.numbers)
        return tags


def _from_names(folder: Path, names: list[str], what: str) -> ImageSequence:
    parts = {}
    for name in names:
        m = NUMBERED.match(name)
        if m is None:
            raise InputError(f"{what}: '{name}' has no frame number before its extension")
        parts[name] = (m.group(1), m.group(3).lower(), len(m.group(2)), int(m.group(2)))
    kinds = sorted({(p, s) for p, s, _, _ in parts.values()})
    if len(kinds) > 1:
        shown = ", ".join(f"{p}*{s}" for p, s in kinds[:4])
        raise InputError(f"{what}: more than one sequence ({shown}); give the pattern, e.g. '{kinds[0][0]}%06d{kinds[0][1]}'")
    widths = {w for _, _, w, _ in parts.values()}
    width = widths.pop() if len(widths) == 1 else 0
    numbers = sorted(n for _, _, _, n in parts.values())
    if len(set(numbers)) != len(numbers):
        raise InputError(f"{what}: a frame number appears twice (differently padded names)")
    name0 = next(iter(names))
    m = NUMBERED.match(name0)
    return ImageSequence(folder, m.group(1), width, m.group(3), numbers)


def parse_rate(rate) -> Fraction:
    """``24``, ``"23.976"``, ``"24000/1001"`` -> a positive Fraction; a clear error otherwise."""
    try:
        value = Fraction(str(rate).strip()).limit_denominator(1 << 30)
    except (ValueError, ZeroDivisionError):
        value = Fraction(0)
    if not 0 < value <= 1000:
        raise InputError(f"--rate {rate}: not a frame rate (e.g. 24, 25, 24000/1001)")
    return value


def sequence_of(path: str, rate, allow_gaps: bool) -> ImageSequence | None:
    """The image sequence ``path`` names, or None for any other input (where ``rate`` is refused)."""
    if is_sequence(path):
        return find_sequence(path, allow_gaps=allow_gaps)
    if rate is not None:
        raise InputError(f"{path}: --rate sets the frame rate of an image sequence; this is not one")
    return None


def check_magic(files: list[Path]) -> None:
    """Every file starts as its kind of file does: a damaged header is named before decoding."""
    for f in files:
        magic = MAGIC.get(f.suffix.lower())
        if magic is None:
            continue
        try:
            with open(f, "rb") as fh:
                head = fh.read(4)
        except OSError as err:
            raise InputError(f"{f}: cannot read: {err.strerror or err}") from None
        if head not in magic:
            kind = f.suffix[1:].upper()
            raise InputError(f"{f}: not a {kind} file: its header is damaged (starts {head.hex(' ')}, "
                             f"a {kind} file starts {magic[0].hex(' ')}); nothing was written")


def find_sequence(path: str, *, allow_gaps: bool = False) -> ImageSequence:
    """The sequence a folder or pattern names; a clear error for none, several, or gaps."""
    p = Path(path)
    if p.is_file():  # one image file
        m = NUMBERED.match(p.name)
        seq = ImageSequence(p.parent, m.group(1), len(m.group(2)), m.group(3), [int(m.group(2))]) if m else \
            ImageSequence(p.parent, f"{p.stem}_", 6, p.suffix, [0], literal=p.name)
    elif p.is_dir():
        names = sorted(n for n in os.listdir(p) if n.lower().endswith(IMAGE_SUFFIXES) and (p / n).is_file())
        if not names:
            raise InputError(f"{path}: no DPX, TIFF, EXR or PNG files in this folder")
        seq = _from_names(p, names, path)
    else:
        folder = p.parent
        m = PATTERN.search(p.name)
        prefix, suffix = p.name[:m.start()], p.name[m.end():]
        width = int(m.group(2)) if m.group(1) and m.group(1).startswith("0") else 0
        digits = r"\d{%d}" % width if width else r"\d+"
        rx = re.compile(re.escape(prefix) + f"({digits})" + re.escape(suffix) + "$")
        try:
            listing = os.listdir(folder)
        except OSError as err:
            raise InputError(f"{path}: cannot list {folder}: {err.strerror or err}") from None
        numbers = sorted(int(mm.group(1)) for n in listing if (mm := rx.match(n)))
        if not numbers:
            raise InputError(f"{path}: no file matches this pattern in {folder}")
        seq = ImageSequence(folder, prefix, width, suffix, numbers)
    check_magic(seq.files)
    gaps = seq.gaps
    if gaps and not allow_gaps:
        raise InputError(f"{path}: {len(gaps)} frame{'s' if len(gaps) > 1 else ''} missing from the numbering "
                         f"({ranges(gaps)}; present: {ranges(seq.numbers)}); nothing was written "
                         "(--allow-gaps codes the files present)")
    return seq
