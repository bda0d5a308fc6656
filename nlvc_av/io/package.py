"""A film package as input: a folder with its image sequences (reels, in sub-folders too), its
sound files, MD5 manifests and other side files, kept as the same tree.

    package = scan_package("FILM/")            # None: a plain folder of one sequence
    package.images     # every image file, frame order: reel by reel (folder, then name), numbered
    package.sounds     # WAV/BWF/RF64/AIFF files (relative paths)
    package.others     # every other file (manifests, subtitles, text, empty files)
    package.folders    # every folder, empty ones included, to make the tree again

Manifests (``*.md5``: md5sum / md5deep ``HASH  path`` or ``HASH *path``, BSD ``MD5 (path) =
HASH``) are checked when the package is scanned: a file they name that is missing or has
another MD5 is an error naming both. Names are kept relative to the package folder, with ``/``.
"""
from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from ..errors import InputError
from .imageseq import IMAGE_SUFFIXES, NUMBERED, ImageSequence, check_magic, find_sequence, is_sequence, ranges

SOUND_SUFFIXES = (".wav", ".bwf", ".rf64", ".aif", ".aiff", ".aifc")
MANIFEST_SUFFIXES = (".md5",)
PLACEHOLDER_TAG = "nlvc:placeholder"  # a package of sound alone: its one 1x1 frame is not a file
MD5_LINE = re.compile(r"^([0-9a-fA-F]{32}) [ *](.+)$")
BSD_LINE = re.compile(r"^MD5 ?\((.+)\) ?= ?([0-9a-fA-F]{32})$")


@dataclass
class Package:
    root: Path
    sequences: list[ImageSequence]
    sounds: list[str] = field(default_factory=list)
    others: list[str] = field(default_factory=list)
    folders: list[str] = field(default_factory=list)
    outside: dict[str, Path] = field(default_factory=dict)  # --audio: sound files kept at the root, from elsewhere

    @property
    def images(self) -> list[Path]:
        return [f for seq in self.sequences for f in seq.files]

    files = images  # (the reading side of an ImageSequence)

    @property
    def folder(self) -> Path:
        return self.root

    @property
    def pattern(self) -> str:
        return self.sequences[0].pattern if self.sequences else ""

    def name_of(self, path: Path) -> str:
        """A file's name in the package: its path from the root, with '/'."""
        return PurePosixPath(*Path(path).relative_to(self.root).parts).as_posix()

    @property
    def suffix(self) -> str:
        return self.sequences[0].suffix if self.sequences else ""

    def tags(self) -> dict[str, str]:
        if not self.sequences:  # sound alone: one placeholder frame carries it, never written back
            return {"nlvc:package": "1", PLACEHOLDER_TAG: "1"}
        first = self.sequences[0]
        return {"nlvc:sequence": first.pattern, "nlvc:first_number": str(first.numbers[0]), "nlvc:package": "1"}


def _walk(root: Path) -> tuple[list[str], list[str]]:
    """(files, folders) under root, relative, sorted; a link is refused (it is not a file's bytes)."""
    files, folders = [], []
    for here, dirs, names in os.walk(root):
        dirs.sort()
        rel = Path(here).relative_to(root)
        for d in dirs:
            if (Path(here) / d).is_symlink():
                raise InputError(f"{Path(here) / d}: a symbolic link in the package; give the folder it points to")
            folders.append((rel / d).as_posix())
        for n in sorted(names):
            p = Path(here) / n
            if p.is_symlink() or not p.is_file():
                raise InputError(f"{p}: a symbolic link or special file in the package (files only are kept)")
            files.append((rel / n).as_posix())
    return files, folders


def scan_package(folder: str | Path, *, allow_gaps: bool = False) -> Package | None:
    """The package a folder is; None when it is a plain sequence folder (image files of one
    sequence and nothing else), which is read as before."""
    root = Path(folder)
    files, folders = _walk(root)
    images = [f for f in files if f.lower().endswith(IMAGE_SUFFIXES)]
    if not images and not any(f.lower().endswith(SOUND_SUFFIXES) for f in files):
        return None  # (no images and no sound: the sequence reader says there is nothing to code)
    if not folders and len(files) == len(images):
        return None  # one folder of images: the sequence reader's (one sequence, or a clear error)
    by_folder: dict[str, list[str]] = {}
    for f in images:
        by_folder.setdefault(str(PurePosixPath(f).parent), []).append(f)
    sequences = []
    for sub in sorted(by_folder):
        sequences.extend(_sequences_in(root / sub, [PurePosixPath(f).name for f in by_folder[sub]], allow_gaps))
    image_set = set(images)
    package = Package(root, sequences, folders=folders)
    for f in files:
        if f in image_set:
            continue
        (package.sounds if f.lower().endswith(SOUND_SUFFIXES) else package.others).append(f)
    check_manifests(package)
    return package


def package_of(path: str, audio: list[str], allow_gaps: bool) -> Package | None:
    """The package an input is (a folder holding more than one sequence's images), or that an
    image input and its ``--audio`` files make; None for any other input."""
    if audio:
        if path == "-" or not is_sequence(path):
            raise InputError(f"{path}: --audio keeps sound files beside an image sequence; this is not one")
        return with_audio(path, audio, allow_gaps=allow_gaps)
    return scan_package(path, allow_gaps=allow_gaps) if path != "-" and os.path.isdir(path) else None


def with_audio(path: str, audio: list[str], *, allow_gaps: bool = False) -> Package:
    """The package an image input (a folder, a pattern, one image file) and its ``--audio``
    sound files make: each sound file kept at the package's root under its own name."""
    package = scan_package(path, allow_gaps=allow_gaps) if os.path.isdir(path) else None
    if package is None:
        seq = find_sequence(path, allow_gaps=allow_gaps)
        package = Package(seq.folder, [seq])
    taken = {f.lower() for f in package.sounds + package.others} | {p.name.lower() for p in package.images}
    for file in audio:
        p = Path(file)
        if not p.is_file():
            raise InputError(f"--audio {file}: no such file")
        if not p.name.lower().endswith(SOUND_SUFFIXES):
            raise InputError(f"--audio {file}: not a WAV, BWF, RF64 or AIFF file (by its name)")
        if p.name.lower() in taken:
            raise InputError(f"--audio {file}: the package already holds a file named {p.name}")
        taken.add(p.name.lower())
        package.sounds.append(p.name)
        package.outside[p.name] = p
    return package


def _sequences_in(folder: Path, names: list[str], allow_gaps: bool) -> list[ImageSequence]:
    """The sequences of one folder: one, or several told apart by their name before the number."""
    groups: dict[tuple[str, str], list[str]] = {}
    for name in names:
        m = NUMBERED.match(name)
        key = (m.group(1), m.group(3).lower()) if m else (name, "")
        groups.setdefault(key, []).append(name)
    out = []
    for key in sorted(groups):
        if key[1] == "":  # a name without a number: a sequence of one
            out.append(find_sequence(str(folder / groups[key][0])))
            continue
        out.append(_one_sequence(folder, key, groups[key], allow_gaps))
    return out


def _one_sequence(folder: Path, key: tuple[str, str], names: list[str], allow_gaps: bool) -> ImageSequence:
    digits = {len(NUMBERED.match(n).group(2)) for n in names}
    numbers = sorted(int(NUMBERED.match(n).group(2)) for n in names)
    suffix = names[0][len(names[0]) - len(key[1]):]
    seq = ImageSequence(folder, key[0], digits.pop() if len(digits) == 1 else 0, suffix, numbers)
    check_magic(seq.files)
    if seq.gaps and not allow_gaps:
        raise InputError(f"{folder / seq.pattern}: {len(seq.gaps)} frame{'s' if len(seq.gaps) > 1 else ''} missing "
                         f"from the numbering ({ranges(seq.gaps)}); nothing was written (--allow-gaps codes the "
                         "files present)")
    return seq


def md5_of(path: Path) -> str:
    h = hashlib.md5()
    try:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    except OSError as err:
        raise InputError(f"{path}: cannot read: {err.strerror or err}") from None
    return h.hexdigest()


def manifest_entries(path: Path) -> list[tuple[str, str]]:
    """(name, md5) of each line of an MD5 manifest; InputError for a line that is neither style."""
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"{path}: cannot read the MD5 manifest ({err})") from None
    out = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m, bsd = MD5_LINE.match(line), BSD_LINE.match(line)
        if m:
            out.append((m.group(2), m.group(1).lower()))
        elif bsd:
            out.append((bsd.group(1), bsd.group(2).lower()))
        else:
            raise InputError(f"{path}: line {number} is not an MD5 manifest line (HASH  name, or MD5 (name) = HASH)")
    return out


def check_manifests(package: Package) -> int:
    """Every file each manifest names is there with that MD5 (names relative to the manifest's
    folder, or to the package's); the number of files checked."""
    checked = 0
    for name in package.others:
        if not name.lower().endswith(MANIFEST_SUFFIXES):
            continue
        manifest = package.root / name
        for listed, md5 in manifest_entries(manifest):
            listed = listed.replace("\\", "/")
            candidates = [manifest.parent / listed, package.root / listed]
            target = next((c for c in candidates if c.is_file()), None)
            if target is None:
                raise InputError(f"{manifest}: names {listed}, which is not in the package; nothing was written")
            actual = md5_of(target)
            if actual != md5:
                raise InputError(f"{manifest}: {listed} has MD5 {actual}, the manifest says {md5}; nothing was written")
            checked += 1
    return checked
