"""The clips of ``nlvc bench``: which files, reading each once into the scratch source every codec
reads, and what is skipped: a clip that cannot be read (reported in one line, the other clips
are measured), or a codec that cannot take a clip's pixel format (that pair only)."""

from __future__ import annotations

from pathlib import Path

from .codecs import CodecSpec, _pyav_setup

__all__ = ["VIDEO_SUFFIXES", "Y4M_PIX_FMTS", "expand", "prepare", "clip_problem", "codec_problem"]

VIDEO_SUFFIXES = {".y4m", ".mkv", ".mp4", ".mov", ".avi", ".nut", ".webm"}
Y4M_PIX_FMTS = {"yuv420p", "yuv422p", "yuv444p", "gray"}


def expand(paths) -> list[Path]:
    """Files as given (a missing one too: it is reported when read); a folder: its video files."""
    out = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(q for q in p.iterdir() if q.suffix.lower() in VIDEO_SUFFIXES and q.is_file())
        else:
            out.append(p)
    return out


def prepare(path: Path, max_frames: int | None, workdir: Path) -> dict:
    """Decode the clip once: the scratch source every codec reads, and the reference MD5s.
    Raises (an InputError for an unreadable file or one without video frames) and leaves no
    scratch file when the clip cannot be read."""
    from ..codec import formats as P
    from ..errors import InputError
    from ..io.demux import iter_video_planes
    from ..io.mux import OutputFile
    src = None
    try:
        info, frames = iter_video_planes(str(path), max_frames=max_frames)
        kind = "y4m" if info.pix_fmt in Y4M_PIX_FMTS else "mkv"
        src = workdir / f"{path.stem}.source.{kind}"
        md5 = []
        with OutputFile(str(src), kind, info) as out:
            for i, planes in enumerate(frames):
                md5.append(P.frame_md5(planes).hex())
                out.write_frame(planes, pts=i, duration=1)
        if not md5:
            raise InputError(f"{path}: no video frames")
    except BaseException:
        if src is not None:
            src.unlink(missing_ok=True)
        raise
    return {"name": path.stem, "path": str(path), "width": info.width, "height": info.height,
            "pix_fmt": info.pix_fmt, "frames": len(md5), "raw_bytes": len(md5) * info.raw_frame_bytes,
            "frame_md5": md5, "source": str(src)}


def clip_problem(path: Path, err: Exception) -> str:
    """Why a clip was skipped, in one line without the path (the caller names it)."""
    from container import NlvcError
    text = str(err) if isinstance(err, (NlvcError, OSError)) else f"{type(err).__name__}: {err}"
    for prefix in (f"{path}: ", f"{path.name}: "):
        if text.startswith(prefix):
            text = text[len(prefix):]
    return " ".join(text.split()) or type(err).__name__


def codec_problem(spec: CodecSpec, pix_fmt: str) -> str | None:
    """Why ``spec`` cannot code ``pix_fmt`` losslessly here (None when it can, or when FFmpeg does
    not say: then a failure is a failure). NLVC and JPEG XL take every format NLVC reads."""
    if spec.family not in ("ffv1", "x264", "x265"):
        return None
    from ..codec import formats as P
    from ..io.peers import encoder_pix_fmts
    try:
        name, _, feed = _pyav_setup(spec, pix_fmt)
        if P.lookup(feed).bit_depth < P.lookup(pix_fmt).bit_depth:
            return f"{name} would take it as {feed}: fewer bits than {pix_fmt}"
    except (ValueError, KeyError) as err:
        return f"{pix_fmt}: {err}"
    taken = encoder_pix_fmts(name)
    if taken and feed not in taken:
        return f"{name} cannot code {feed}"
    return None
