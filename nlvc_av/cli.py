"""Command line: ``nlvc-transcode`` and ``nlvc`` (``info``, ``verify``, ``transcode``, + extensions).

    nlvc-transcode input.mkv output.nlvc        # encode (any container PyAV opens)
    nlvc-transcode - output.nlvc                # y4m on stdin
    nlvc-transcode output.nlvc restored.mkv     # FFV1 level 3 + the original audio/subtitles
    nlvc-transcode output.nlvc restored.y4m     # or '-' for y4m on stdout
    nlvc info output.nlvc [--json]
    nlvc verify input.mkv output.nlvc           # exit 0 only if every frame is identical

The direction follows the file names: an output ending in .nlvc encodes, an input ending in
.nlvc decodes. Exit codes: 0 success, 1 error (one line on stderr), 2 usage error,
130 interrupted.

Extending ``nlvc``: a module ``nlvc_av/bench.py`` or ``nlvc_av/model/train.py`` that defines a
click command named after the subcommand (``bench``/``train``) or ``main``/``cli`` is picked up
lazily as ``nlvc bench`` / ``nlvc train``; or call ``nlvc_main.add_command(cmd)``. Nothing heavy
is imported until a command runs: ``nlvc info`` needs neither torch nor PyAV.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import logging
import os
import signal
import sys
from pathlib import Path

import click

from . import __version__

STDIO = "-"
NLVC_MAGIC = b"\x1a\x45\xdf\xa3"  # EBML; a .nlvc has DocType "nlvc" right after it

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

# FFmpeg enum names, for `nlvc info` (no av import).
COLOR_RANGES = {0: "unspecified", 1: "tv", 2: "pc"}
COLOR_PRIMARIES = {1: "bt709", 2: "unspecified", 4: "bt470m", 5: "bt470bg", 6: "smpte170m", 7: "smpte240m",
                   8: "film", 9: "bt2020", 10: "smpte428", 11: "smpte431", 12: "smpte432", 22: "ebu3213"}
COLOR_TRCS = {1: "bt709", 2: "unspecified", 4: "gamma22", 5: "gamma28", 6: "smpte170m", 7: "smpte240m",
              8: "linear", 9: "log100", 10: "log316", 11: "iec61966-2-4", 12: "bt1361e", 13: "iec61966-2-1",
              14: "bt2020-10", 15: "bt2020-12", 16: "smpte2084", 17: "smpte428", 18: "arib-std-b67"}
COLORSPACES = {0: "gbr", 1: "bt709", 2: "unspecified", 4: "fcc", 5: "bt470bg", 6: "smpte170m", 7: "smpte240m",
               8: "ycgco", 9: "bt2020nc", 10: "bt2020c", 14: "ictcp"}


class CliError(Exception):
    """An error already phrased for the user (exit 1)."""


# --------------------------------------------------------------------------- shared plumbing


def _setup_logging(prog: str, quiet: bool) -> None:
    logger = logging.getLogger("nlvc_av")
    for handler in list(logger.handlers):
        if getattr(handler, "_nlvc_cli", False):
            logger.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler._nlvc_cli = True  # type: ignore[attr-defined]
    handler.setFormatter(logging.Formatter(f"{prog}: warning: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.ERROR if quiet else logging.WARNING)
    logger.propagate = False


def _is_av_error(err: BaseException) -> bool:
    return type(err).__module__.split(".")[0] == "av"


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def _fail(prog: str, message: str, code: int = 1):
    click.echo(f"{prog}: error: {_one_line(message)}", err=True)
    sys.exit(code)


def _raise_on_sigterm(signum, frame):  # pragma: no cover - exercised by hand
    raise KeyboardInterrupt


@contextlib.contextmanager
def _errors(prog: str):
    """Map every failure to one line on stderr and an exit code; never a traceback
    (set NLVC_DEBUG=1 to see one for unexpected errors)."""
    from container import NlvcError

    from .errors import DirectionError

    previous = None
    with contextlib.suppress(ValueError):  # not in the main thread
        previous = signal.signal(signal.SIGTERM, _raise_on_sigterm)
    try:
        yield
    except DirectionError as err:
        raise click.UsageError(str(err)) from None
    except (click.exceptions.Exit, click.ClickException, SystemExit):
        raise
    except KeyboardInterrupt:
        click.echo(f"{prog}: interrupted", err=True)
        sys.exit(130)
    except BrokenPipeError:
        # The reader of our stdout went away (e.g. `| head`): stop quietly.
        with contextlib.suppress(OSError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        sys.exit(1)
    except CliError as err:
        _fail(prog, str(err))
    except NlvcError as err:
        _fail(prog, str(err))
    except OSError as err:
        if err.filename and err.strerror:
            _fail(prog, f"{err.filename}: {err.strerror}")
        _fail(prog, err.strerror or str(err) or type(err).__name__)
    except MemoryError:
        _fail(prog, "out of memory")
    except Exception as err:  # noqa: BLE001 - the CLI boundary
        if os.environ.get("NLVC_DEBUG"):
            raise
        if _is_av_error(err):
            _fail(prog, f"FFmpeg: {err}")
        _fail(prog, f"internal error: {type(err).__name__}: {err} (set NLVC_DEBUG=1 for a traceback)")
    finally:
        if previous is not None:
            with contextlib.suppress(ValueError):
                signal.signal(signal.SIGTERM, previous)


def _show_progress(quiet: bool) -> bool:
    try:
        return not quiet and sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def _human(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if abs(n) < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"


def _stdin_is_nlvc() -> bool:
    stdin = sys.stdin.buffer
    head = stdin.peek(64)[:64] if hasattr(stdin, "peek") else b""
    return head.startswith(NLVC_MAGIC) and b"nlvc" in head


def _direction(src: str, dst: str) -> str:
    from .errors import DirectionError
    from .transcode import OUTPUT_KINDS, is_nlvc

    if is_nlvc(src) and is_nlvc(dst):
        raise DirectionError("both INPUT and OUTPUT are .nlvc files; one must be a video")
    if is_nlvc(src):
        return "decode"
    if is_nlvc(dst):
        return "encode"
    if src == STDIO:
        if dst != STDIO and Path(dst).suffix.lower() in OUTPUT_KINDS:
            return "decode"  # an .nlvc on stdin
        if dst == STDIO:
            return "decode" if _stdin_is_nlvc() else "encode"
    elif dst == STDIO:
        return "encode"  # a video file -> .nlvc on stdout
    raise DirectionError(
        f"cannot tell what to do with '{src}' -> '{dst}': the output must end in .nlvc (encode) "
        "or the input must be a .nlvc file (decode)"
    )


# --------------------------------------------------------------------------- nlvc-transcode

_gop_option = click.option("--gop", type=click.IntRange(1, 4096), default=8, show_default=True,
                           help="Frames per GOP (one I-frame, then P-frames; the random access unit).")
_groups_option = click.option("--groups", type=click.IntRange(1, 64), default=None,
                              help="Coding groups per plane: fewer is faster, more is smaller "
                                   "[default: nlvc_av.codec.DEFAULT_GROUPS].")
_threads_option = click.option("--threads", type=click.IntRange(1, 1024), default=None,
                               envvar="NLVC_THREADS", show_envvar=True, help="CPU threads for the neural coder [default: torch's choice].")
_max_frames_option = click.option("--max-frames", type=click.IntRange(1), default=None,
                                  help="Only the first N frames (and the audio of their time span).")
_model_option = click.option("--model", default=None, envvar="NLVC_MODEL", show_envvar=True,
                             help="Entropy model for encoding: 'shipped' (default), 'tiny' (tests), "
                                  "or a weights file.")
_overwrite_option = click.option("--overwrite", "-y", is_flag=True, help="Replace an existing OUTPUT.")
_quiet_option = click.option("--quiet", "-q", is_flag=True, help="No progress bar, no summary, no warnings.")


@click.command(context_settings=CONTEXT)
@click.argument("input", metavar="INPUT")
@click.argument("output", metavar="OUTPUT")
@_gop_option
@_groups_option
@_threads_option
@_max_frames_option
@_model_option
@_overwrite_option
@_quiet_option
@click.version_option(__version__, prog_name="nlvc-transcode")
def transcode_main(input, output, gop, groups, threads, max_frames, model, overwrite, quiet):
    """Losslessly encode a video into .nlvc, or decode a .nlvc file back.

    \b
    INPUT  -> OUTPUT
    video  -> x.nlvc       encode: mkv, mp4, mov, avi, y4m, ... ('-' = y4m on stdin)
    x.nlvc -> y.mkv        decode: FFV1 (level 3) + the original audio/subtitles
    x.nlvc -> y.y4m | -    decode: YUV4MPEG2 to a file or stdout (| ffplay -)

    Every decoded frame is checked against the MD5 stored when it was encoded.
    """
    prog = "nlvc-transcode"
    _setup_logging(prog, quiet)
    with _errors(prog):
        _run_transcode(prog, input, output, gop=gop, groups=groups, threads=threads, max_frames=max_frames,
                       model=model, overwrite=overwrite, quiet=quiet)


def _run_transcode(prog, src, dst, *, gop, groups, threads, max_frames, model, overwrite, quiet) -> None:
    from . import transcode

    direction = _direction(src, dst)
    if direction == "decode":
        transcode.output_kind(dst)  # a usage error (exit 2) before anything else
    if src != STDIO and not Path(src).exists():
        raise CliError(f"{src}: no such file")
    if src != STDIO and Path(src).is_dir():
        raise CliError(f"{src}: is a directory")
    if src != STDIO and dst != STDIO and Path(src).resolve() == Path(dst).resolve():
        raise CliError(f"{dst}: is the input file")
    if direction == "encode" and groups is not None:
        from . import codec

        choices = getattr(codec, "GROUP_CHOICES", None)
        if choices and groups not in choices:
            raise click.BadParameter(f"{groups} is not one of {', '.join(map(str, choices))}",
                                     param_hint="'--groups'")
    progress = _show_progress(quiet)
    if direction == "encode":
        stats = transcode.encode_file(src, dst, gop=gop, groups=groups, threads=threads, model=model,
                                      max_frames=max_frames, overwrite=overwrite, progress=progress)
        if not quiet:
            size = f"{_human(stats.file_bytes)} file, " if stats.file_bytes else ""
            click.echo(
                f"{prog}: {dst if dst != STDIO else 'stdout'}: {stats.frames} frames {stats.width}x{stats.height} "
                f"{stats.pix_fmt} in {stats.gops} GOPs, {stats.packets} other packets; {size}"
                f"video {_human(stats.raw_bytes)} -> {_human(stats.payload_bytes)} ({stats.ratio:.2f}:1), "
                f"{stats.fps:.2f} fps",
                err=True,
            )
    else:
        stats = transcode.decode_file(src, dst, overwrite=overwrite, threads=threads, max_frames=max_frames,
                                      progress=progress)
        if not quiet:
            click.echo(
                f"{prog}: {dst if dst != STDIO else 'stdout'}: {stats.frames} frames (MD5 verified), "
                f"{stats.packets} other packets"
                + (f" ({stats.dropped_packets} not written{': y4m is video only' if dst == STDIO or dst.lower().endswith('.y4m') else ''})"
                   if stats.dropped_packets else "")
                + f", {stats.fps:.2f} fps",
                err=True,
            )


# --------------------------------------------------------------------------- nlvc (group)


class NlvcGroup(click.Group):
    """A click group that also finds subcommands in optional modules, importing them only
    when that subcommand is used (``nlvc --help`` lists them)."""

    #: subcommand -> module; the module defines a click command named like the subcommand,
    #: or ``main`` / ``cli``.
    lazy_commands = {"bench": "nlvc_av.bench", "train": "nlvc_av.model.train"}

    @staticmethod
    def _module_exists(module: str) -> bool:
        parts = module.split(".")
        base = Path(__file__).resolve().parent.parent
        return base.joinpath(*parts[:-1], parts[-1] + ".py").is_file() or base.joinpath(*parts, "__init__.py").is_file()

    def list_commands(self, ctx):
        names = set(super().list_commands(ctx))
        names.update(n for n, m in self.lazy_commands.items() if self._module_exists(m))
        return sorted(names)

    def get_command(self, ctx, name):
        command = super().get_command(ctx, name)
        if command is not None or name not in self.lazy_commands:
            return command
        module_name = self.lazy_commands[name]
        if not self._module_exists(module_name):
            return None
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            return None
        for attr in (name, "main", "cli", "command"):
            candidate = getattr(module, attr, None)
            if isinstance(candidate, click.Command):
                self.add_command(candidate, name)
                return candidate
        return None


@click.group(cls=NlvcGroup, context_settings=CONTEXT)
@click.version_option(__version__, prog_name="nlvc")
def nlvc_main():
    """NLVC: neural lossless video codec tools."""


nlvc_main.add_command(transcode_main, "transcode")


def _ratio_str(pair) -> str | None:
    if not pair or not pair[1]:
        return None
    return f"{pair[0]}/{pair[1]}"


def _scan_nlvc(path: str) -> dict:
    """Everything `nlvc info` reports, read from the file (no decoding; no torch, no av)."""
    import container

    from . import planes as P

    with container.open(path, "r") as r:
        v, setup = r.video_track, r.codec_setup
        per_track = {t.number: {"packets": 0, "bytes": 0} for t in r.other_tracks}
        gops = frames = payload = 0
        types: dict[str, int] = {}
        first = end = None
        for cluster in r.iter_clusters():
            gops += 1
            frames += len(cluster.frame_pts)
            payload += len(cluster.payload)
            for t in cluster.frame_types:
                types[t] = types.get(t, 0) + 1
            for p in cluster.packets:
                entry = per_track.setdefault(p.track, {"packets": 0, "bytes": 0})
                entry["packets"] += 1
                entry["bytes"] += len(p.data)
            if cluster.frame_pts:
                first = cluster.frame_pts[0] if first is None else first
                durations = cluster.frame_durations or []
                end = cluster.frame_pts[-1] + (durations[-1] if durations else 0)
        tb = v.time_base
        raw = frames * P.raw_frame_bytes(v.pix_fmt, v.width, v.height)
        size = os.path.getsize(path)
        rate = v.frame_rate
        return {
            "file": path,
            "file_bytes": size,
            "format_version": ".".join(str(x) for x in r.version),
            "app": getattr(r.info, "app", None),
            "codec": {
                "model_id": setup.model_id,
                "weights_sha256": setup.weights_sha256,
                "token_map": setup.token_map,
                "groups": setup.groups,
                "gop_size": setup.gop_size,
                "coder_params": dict(setup.coder_params or {}),
            },
            "video": {
                "track": v.number,
                "width": v.width,
                "height": v.height,
                "pix_fmt": v.pix_fmt,
                "bit_depth": v.bit_depth,
                "time_base": _ratio_str(tb),
                "frame_rate": _ratio_str(rate),
                "fps": round(rate[0] / rate[1], 6) if rate and rate[1] else None,
                "sample_aspect_ratio": _ratio_str(v.sample_aspect_ratio) if v.sample_aspect_ratio and v.sample_aspect_ratio[0] else None,
                "color_range": COLOR_RANGES.get(v.color_range, str(v.color_range)),
                "color_primaries": COLOR_PRIMARIES.get(v.color_primaries, str(v.color_primaries)),
                "color_trc": COLOR_TRCS.get(v.color_trc, str(v.color_trc)),
                "colorspace": COLORSPACES.get(v.colorspace, str(v.colorspace)),
                "frames": frames,
                "gops": gops,
                "frame_types": types,
                "duration_s": float((end - first) * tb[0] / tb[1]) if first is not None and end is not None and tb[1] else None,
                "raw_bytes": raw,
                "payload_bytes": payload,
                "ratio": round(raw / payload, 4) if payload else None,
                "bits_per_sample": round(8 * payload / (raw or 1), 4) if raw else None,
            },
            "streams": [
                {
                    "track": t.number,
                    "kind": t.kind,
                    "codec": t.codec_name,
                    "time_base": _ratio_str(t.time_base),
                    "params": {k: val for k, val in (t.params or {}).items()},
                    **per_track.get(t.number, {"packets": 0, "bytes": 0}),
                }
                for t in r.other_tracks
            ],
            "tags": {k: val for k, val in (r.tags or {}).items()},
            "file_ratio": round(raw / size, 4) if size else None,
        }


def _print_info(d: dict) -> None:
    v, c = d["video"], d["codec"]
    lines = [
        f"file      {d['file']}  ({d['file_bytes']:,} bytes, .nlvc {d['format_version']}, written by {d['app']})",
        f"codec     model {c['model_id']} (weights {c['weights_sha256'][:16]}...), token map {c['token_map']}, "
        f"{c['groups']} groups, GOP {c['gop_size']}",
        f"video     {v['width']}x{v['height']} {v['pix_fmt']} {v['bit_depth']}-bit, "
        + (f"{v['fps']:g} fps, " if v["fps"] else "")
        + f"time base {v['time_base']}"
        + (f", SAR {v['sample_aspect_ratio']}" if v["sample_aspect_ratio"] else ""),
        f"colour    range {v['color_range']}, primaries {v['color_primaries']}, transfer {v['color_trc']}, "
        f"matrix {v['colorspace']}",
        f"frames    {v['frames']} in {v['gops']} GOPs ("
        + ", ".join(f"{n} {t}" for t, n in sorted(v["frame_types"].items()))
        + ")"
        + (f", {v['duration_s']:.3f} s" if v["duration_s"] is not None else ""),
        f"size      raw {v['raw_bytes']:,} bytes -> coded video {v['payload_bytes']:,} bytes"
        + (f" ({v['ratio']:.2f}:1, {v['bits_per_sample']:.3f} bits/sample)" if v["ratio"] else ""),
    ]
    for s in d["streams"]:
        p = s["params"]
        desc = [s["kind"], s["codec"]]
        if p.get("sample_rate"):
            desc.append(f"{p['sample_rate']} Hz")
        if p.get("layout") or p.get("channels"):
            desc.append(str(p.get("layout") or f"{p['channels']} ch"))
        if p.get("tag:language"):
            desc.append(f"language {p['tag:language']}")
        lines.append(f"track {s['track']:<3} {' '.join(desc)}: {s['packets']} packets, {s['bytes']:,} bytes")
    for key, value in d["tags"].items():
        lines.append(f"tag       {key} = {value}")
    click.echo("\n".join(lines))


@nlvc_main.command("info", context_settings=CONTEXT)
@click.argument("file", metavar="FILE.nlvc")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable JSON on stdout.")
def info_cmd(file, as_json):
    """Describe an .nlvc file: codec, video, frames, sizes, other streams, tags."""
    prog = "nlvc info"
    with _errors(prog):
        if not Path(file).exists():
            raise CliError(f"{file}: no such file")
        if Path(file).is_dir():
            raise CliError(f"{file}: is a directory")
        d = _scan_nlvc(file)
        if as_json:
            click.echo(json.dumps(d, indent=2, sort_keys=False))
        else:
            _print_info(d)


@nlvc_main.command("verify", context_settings=CONTEXT)
@click.argument("reference", metavar="ORIGINAL")
@click.argument("candidate", metavar="COPY")
@click.option("--max-frames", type=click.IntRange(1), default=None, help="Compare only the first N frames.")
@_threads_option
@_quiet_option
def verify_cmd(reference, candidate, max_frames, threads, quiet):
    """Compare two videos frame by frame (MD5 of each frame's planes, native pixel format).

    Either may be a .nlvc file (decoded, its stored MD5s checked too) or any video PyAV reads.
    Exits 0 only if both have the same frames, bit for bit.
    """
    prog = "nlvc verify"
    _setup_logging(prog, quiet)
    with _errors(prog):
        for path in (reference, candidate):
            if path != STDIO and not Path(path).exists():
                raise CliError(f"{path}: no such file")
        identical, message = _verify(reference, candidate, max_frames=max_frames, threads=threads, quiet=quiet)
        if identical:
            if not quiet:
                click.echo(message)
        else:
            click.echo(f"{prog}: {message}", err=True)
            sys.exit(1)


def _verify(a: str, b: str, *, max_frames, threads, quiet) -> tuple[bool, str]:
    import itertools

    from . import planes as P
    from .progress import ProgressBar
    from .transcode import iter_planes

    info_a, frames_a = iter_planes(a, max_frames=max_frames, threads=threads)
    info_b, frames_b = iter_planes(b, max_frames=max_frames, threads=threads)
    fa, fb = P.lookup(info_a.pix_fmt), P.lookup(info_b.pix_fmt)
    shape_a = (info_a.width, info_a.height, fa.coding_pix_fmt)
    shape_b = (info_b.width, info_b.height, fb.coding_pix_fmt)
    if shape_a != shape_b:
        return False, (f"different video: {a} is {info_a.width}x{info_a.height} {info_a.pix_fmt}, "
                       f"{b} is {info_b.width}x{info_b.height} {info_b.pix_fmt}")
    bar = ProgressBar("verifying", max_frames or info_a.frames) if _show_progress(quiet) else None
    n = 0
    try:
        for n, (pa, pb) in enumerate(itertools.zip_longest(frames_a, frames_b), start=1):
            if pa is None or pb is None:
                shorter = a if pa is None else b
                return False, f"{shorter} ends after {n - 1} frames, the other has more"
            ma, mb = P.frame_md5(pa), P.frame_md5(pb)
            if ma != mb:
                return False, f"frame {n - 1} differs (md5 {ma.hex()} vs {mb.hex()})"
            if bar:
                bar.update(n)
    finally:
        if bar:
            bar.close()
    if n == 0:
        return False, "no frames to compare"
    return True, f"identical: {n} frames, {info_a.width}x{info_a.height} {info_a.pix_fmt}"


def main() -> None:  # python -m nlvc_av.cli
    transcode_main()


if __name__ == "__main__":
    main()
