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

Only argument parsing and messages live here; the work is in :mod:`nlvc_av.transcode`,
:mod:`nlvc_av.describe` and :mod:`nlvc_av.verify`. Nothing heavy is imported until a command
runs: ``nlvc info`` needs neither torch nor PyAV; ``nlvc bench`` and ``nlvc train`` load lazily.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .cli_base import CONTEXT, STDIO, CliError, _errors, _human, _setup_logging, _show_progress  # noqa: F401
from .text import escape, plural
from .version import __version__

# --------------------------------------------------------------------------- nlvc-transcode

from .cli_options import (_gaps_option, _gop_option, _groups_option, _jobs_option,  # noqa: E402
                          _max_frames_option, _model_option, _overwrite_option, _pixels_only_option, _check_option,
                          _images_only_option, _audio_option, _playback_option,
                          _preset_option, _quiet_option, _rate_option, _recover_option, _threads_option,
                          _video_stream_option)


def _say(text: str, err: bool = True) -> None:
    """One message line; names in it (files, tags) with control characters escaped, the rule
    of every message (warnings, errors, ``nlvc info``)."""
    click.echo(escape(text), err=err)


@click.command(context_settings=CONTEXT)
@click.argument("input", metavar="INPUT")
@click.argument("output", metavar="OUTPUT")
@_gop_option
@_groups_option
@_preset_option
@_jobs_option
@_threads_option
@_max_frames_option
@_model_option
@_overwrite_option
@_quiet_option
@_recover_option
@_video_stream_option
@_rate_option
@_gaps_option
@_pixels_only_option
@_check_option
@_images_only_option
@_audio_option
@_playback_option
@click.version_option(__version__, prog_name="nlvc-transcode")
def transcode_main(input, output, gop, groups, threads, max_frames, model, overwrite, quiet, recover, video_stream, jobs,
                   preset, rate, allow_gaps, pixels_only, check, images_only, audio, playback):
    """Losslessly encode a video into .nlvc, or decode a .nlvc file back.

    \b
    INPUT  -> OUTPUT
    video  -> x.nlvc       encode: mkv, mp4, mov, avi, y4m, ... ('-' = y4m on stdin)
    x.nlvc -> y.mkv        decode: FFV1 (level 3) + the original audio/subtitles
                           (a .mkv the file keeps byte for byte: that file; --playback: FFV1)
    x.nlvc -> y.y4m | -    decode: YUV4MPEG2 to a file or stdout (| ffplay -)

    Every decoded frame is checked against the MD5 stored when it was encoded.
    """
    prog = "nlvc-transcode"
    _setup_logging(prog, quiet)
    with _errors(prog):
        _run_transcode(prog, input, output, gop=gop, groups=groups, jobs=jobs, preset=preset, threads=threads,
                       max_frames=max_frames, model=model, overwrite=overwrite, quiet=quiet, recover=recover,
                       video_stream=video_stream, rate=rate, allow_gaps=allow_gaps, pixels_only=pixels_only,
                       check=check, images_only=images_only, audio=audio, playback=playback)


def _run_transcode(prog, src, dst, *, gop, groups, threads, max_frames, model, overwrite, quiet, recover=False,
                   video_stream=None, jobs=1, preset=None, rate=None, allow_gaps=False, pixels_only=False,
                   check=False, images_only=False, audio=(), playback=False) -> None:
    from . import transcode

    direction = transcode.direction(src, dst)
    if direction == "decode":
        transcode.output_kind(dst)  # a usage error (exit 2) before anything else
    if playback and (direction != "decode" or transcode.output_kind(dst) != "mkv"):
        raise click.UsageError("--playback goes with decoding a .nlvc file to a .mkv OUTPUT")
    if src != STDIO and not Path(src).exists() and not transcode.is_sequence(src):
        raise CliError(f"{src}: no such file")
    if src != STDIO and Path(src).is_dir() and direction != "encode":
        raise CliError(f"{src}: is a directory")
    if src != STDIO and dst != STDIO and Path(src).resolve() == Path(dst).resolve():
        raise CliError(f"{dst}: is the input file")
    progress = _show_progress(quiet)
    if direction == "encode":
        stats = transcode.encode_file(src, dst, gop=gop, groups=groups, preset=preset, jobs=jobs, threads=threads,
                                      model=model, max_frames=max_frames, overwrite=overwrite, progress=progress,
                                      video_stream=video_stream, rate=rate, allow_gaps=allow_gaps,
                                      pixels_only=pixels_only, check=check, images_only=images_only,
                                      audio=audio)
        if not quiet:
            size = f"{_human(stats.file_bytes)} file, " if stats.file_bytes else ""
            _say(
                f"{prog}: {dst if dst != STDIO else 'stdout'}: {plural(stats.frames, 'frame')} {stats.width}x{stats.height} "
                f"{stats.pix_fmt} in {plural(stats.gops, 'GOP')}, {plural(stats.packets, 'other packet')}; {size}"
                f"video {_human(stats.raw_bytes)} -> {_human(stats.payload_bytes)} ({stats.ratio:.2f}:1), "
                f"{stats.fps:.2f} fps")
            if stats.checked:
                _say(f"{prog}: {dst}: checked: {stats.checked}")
    else:
        stats = transcode.decode_file(src, dst, overwrite=overwrite, jobs=jobs, threads=threads, max_frames=max_frames,
                                      progress=progress, recover=recover, playback=playback)
        nothing = stats.damage is not None and stats.damage.lost and not stats.frames
        if not quiet and not nothing:
            _say(
                f"{prog}: {stats.written_to or (dst if dst != STDIO else 'stdout')}: {plural(stats.frames, 'frame')} (MD5 verified), "
                f"{plural(stats.packets, 'other packet')}"
                + (f" ({stats.dropped_packets} not written{': y4m is video only' if dst == STDIO or dst.lower().endswith('.y4m') else ''})"
                   if stats.dropped_packets else "")
                + f", {stats.fps:.2f} fps")
        if stats.damage is not None and stats.damage.damaged:  # --recover: never silent, even with -q
            for line in stats.damage.lines():
                _say(f"{prog}: warning: {line}")
            if stats.damage.data_lost:
                _say(f"{prog}: error: {'' if nothing else 'data lost: '}{stats.damage.written()}")
                sys.exit(3)


# --------------------------------------------------------------------------- nlvc (group)


def _bench_command() -> click.Command:
    from .bench.command import bench

    return bench


def _stats_command() -> click.Command:
    from .bitreport import stats_command

    return stats_command


def _train_command() -> click.Command:
    from .train.loop import train_command

    return train_command


def _batch_command() -> click.Command:
    from .batch.command import batch

    return batch


class NlvcGroup(click.Group):
    """A click group whose heavy subcommands (``bench``, ``train``) are imported only when used
    (``nlvc --help`` lists them)."""

    lazy_commands = {"bench": _bench_command, "stats": _stats_command, "train": _train_command,
                     "batch": _batch_command}

    def list_commands(self, ctx):
        return sorted(set(super().list_commands(ctx)) | set(self.lazy_commands))

    def get_command(self, ctx, name):
        command = super().get_command(ctx, name)
        if command is None and name in self.lazy_commands:
            command = self.lazy_commands[name]()
            self.add_command(command, name)
        return command


@click.group(cls=NlvcGroup, context_settings=CONTEXT)
@click.version_option(__version__, prog_name="nlvc")
def nlvc_main():
    """NLVC: neural lossless video codec tools."""


nlvc_main.add_command(transcode_main, "transcode")


@nlvc_main.command("info", context_settings=CONTEXT)
@click.argument("file", metavar="FILE.nlvc")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable JSON on stdout.")
def info_cmd(file, as_json):
    """Describe an .nlvc file: codec, video, frames, sizes, other streams, tags."""
    prog = "nlvc info"
    with _errors(prog):
        if file != STDIO and not Path(file).exists():
            raise CliError(f"{file}: no such file")
        if file != STDIO and Path(file).is_dir():
            raise CliError(f"{file}: is a directory")
        from container import NlvcError

        from .describe import info, info_text

        try:
            d = info(file)
        except NlvcError as err:  # name the file: "x: not an .nlvc file: ..."
            raise CliError(f"{'stdin' if file == STDIO else file}: {err}") from None
        click.echo(json.dumps(d, indent=2, sort_keys=False) if as_json else info_text(d))
        if d["damage"] and (d["damage"]["lost_gops"] or d["damage"]["metadata_lost"]):
            sys.exit(3)  # what could be read was shown; frames or metadata are lost


@nlvc_main.command("verify", context_settings=CONTEXT)
@click.argument("reference", metavar="[SOURCE]")
@click.argument("candidate", metavar="FILE.nlvc", required=False)
@click.option("--max-frames", type=click.IntRange(1), default=None, help="Compare only the first N frames.")
@click.option("--json", "as_json", is_flag=True, help="With FILE.nlvc alone: the fixity report as JSON on stdout.")
@click.option("--files", "list_files", is_flag=True, help="With FILE.nlvc alone: list every file it rebuilds (images, "
              "sound, side files) with its stored MD5 and OK or FAILED, as md5sum -c does.")
@_jobs_option
@_threads_option
@_quiet_option
def verify_cmd(reference, candidate, max_frames, as_json, list_files, threads, quiet, jobs):
    """Check a .nlvc file alone, or compare a video with its copy frame by frame.

    \b
    nlvc verify FILE.nlvc          every CRC-32, frame MD5 and packet MD5 (no source needed)
    nlvc verify SOURCE FILE.nlvc   MD5 of each frame's planes, native pixel format; the first
                                   difference is named by frame, plane and pixel

    Either side of a comparison may be a .nlvc file (decoded, its MD5s checked too) or any
    video PyAV reads. Exits 0 only if everything matches, 1 otherwise.
    """
    prog = "nlvc verify"
    _setup_logging(prog, quiet)
    with _errors(prog):
        for path in (reference, candidate):
            if path is not None and path != STDIO and not Path(path).exists() and "%" not in Path(path).name:
                raise CliError(f"{path}: no such file")
        from .codec import nets
        from .progress import ProgressBar
        from .verify import check_file, compare

        nets.set_threads(threads)
        bar = ProgressBar("verifying", max_frames or 0) if _show_progress(quiet) else None
        if candidate is None:  # fixity of one file
            try:
                report = check_file(reference, progress=bar)
            finally:
                if bar:
                    bar.close()
            if list_files and not as_json:
                for name, md5, ok in report["files"]:
                    click.echo(f"{md5}  {name}: {'OK' if ok else 'FAILED'}")
            if as_json:
                click.echo(json.dumps(report, indent=2))
            elif report["ok"]:
                if not quiet:
                    _say(f"{reference}: intact: {report['summary']}; {report['checked']}", err=False)
            else:
                for line in report["lines"]:
                    _say(f"{prog}: {line}")
                _say(f"{prog}: {reference}: {report['verdict']}: {report['summary']}")
            sys.exit(0 if report["ok"] else 1)
        if as_json:
            raise click.UsageError("--json goes with FILE.nlvc alone (the fixity report)")
        try:
            identical, message = compare(reference, candidate, max_frames=max_frames, progress=bar, jobs=jobs)
        finally:
            if bar:
                bar.close()
        if identical:
            if not quiet:
                _say(message, err=False)
        else:
            _say(f"{prog}: {message}")
            sys.exit(1)


def main() -> None:  # python -m nlvc_av.cli
    transcode_main()


if __name__ == "__main__":
    main()
