"""The side files and folders of a package (format 1.6, FORMAT.md 6.3): kept as SourceFile
records in the file's Package element, written back into the restored tree.

A side file's record is its name (its path in the package, with '/'), its MD5, the packing
``{"kind": "file"}`` and a map of stored bytes: ``[6, z, 0, 0, n, 0]`` (its n bytes, zlib-
compressed to z) or ``[0, n, 0]`` when compressing does not pay. A folder's record is its name
ending in '/' with the MD5 of nothing and no packing (empty folders are kept too).
"""
from __future__ import annotations

import hashlib
import os
import zlib
from pathlib import Path

from container import SourceFile

from ..errors import InputError, OutputError
from .rebuild import check, splice
from .rebuild_ops import OP_INFLATE, OP_STORED, RebuildError

EMPTY_MD5 = hashlib.md5(b"").digest()
FILE_PACKING = {"kind": "file"}


def side_file_record(name: str, data: bytes) -> SourceFile:
    packed = zlib.compress(data, 9)
    if len(packed) + 24 < len(data):
        return SourceFile(name, hashlib.md5(data).digest(), dict(FILE_PACKING),
                          [OP_INFLATE, len(packed), 0, OP_STORED, len(data), 0], packed)
    return SourceFile(name, hashlib.md5(data).digest(), dict(FILE_PACKING), [OP_STORED, len(data), 0], data)


def package_records(root: Path, folders: list[str], files: list[str]) -> list[SourceFile]:
    """The records of a package's folders and side files (read here)."""
    records = [SourceFile(f"{name}/", EMPTY_MD5) for name in folders]
    for name in files:
        try:
            data = (root / name).read_bytes()
        except OSError as err:
            raise InputError(f"{root / name}: cannot read: {err.strerror or err}") from None
        records.append(side_file_record(name, data))
    return records


def safe_name(name: str) -> bool:
    """A relative path that stays inside the folder it is written to."""
    parts = name.rstrip("/").split("/")
    return bool(name) and not name.startswith("/") and "\\" not in name and \
        all(p not in ("", ".", "..") and not any(ord(c) < 32 for c in p) for p in parts)


def file_bytes(record: SourceFile) -> bytes:
    """A side file's bytes, checked against its MD5; RebuildError when they do not match."""
    data = splice(record.pixel_map, record.data, b"")
    if not check(record, data):
        raise RebuildError(f"{record.name}: the stored side file does not match its MD5")
    return data


def write_package(folder: Path, records: list[SourceFile]) -> int:
    """Make the package's folders and write its side files into ``folder``; the files written."""
    written = 0
    for record in records:
        if not safe_name(record.name):
            raise OutputError(f"{folder}: the stored name '{record.name}' is not a path inside the package")
        target = folder / record.name
        if record.name.endswith("/"):
            os.makedirs(target, exist_ok=True)
            continue
        try:
            data = file_bytes(record)
        except RebuildError as err:
            raise OutputError(f"{folder}: {err}; the file is damaged") from None
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            with open(target, "xb") as f:
                f.write(data)
        except OSError as err:
            raise OutputError(f"{folder}: cannot write {record.name}: {err.strerror or err}") from None
        written += 1
    return written
