"""The command-line options nlvc-transcode, nlvc verify and nlvc batch share (click only)."""
from __future__ import annotations

import click


_gop_option = click.option("--gop", type=click.IntRange(1, 4096), default=None,
                           help="Frames per GOP (one I-frame, then P-frames; the random access unit) "
                                "[default: the preset's, 32].")
_groups_option = click.option("--groups", type=click.Choice(["1", "2", "3"]), default=None,
                              callback=lambda ctx, param, value: None if value is None else int(value),
                              help="The model's effort, fewer is faster, more is smaller: for the default model (the adaptive "
                                   "stage) 1 (12 neighbours, a fit every 4th sample), 2 (18 neighbours, every 2nd) or "
                                   "3 (every sample); for the network models (--model mdiff) the coding groups per "
                                   "plane [default: the preset's, 2].")
_threads_option = click.option("--threads", type=click.IntRange(1, 1024), default=None,
                               envvar="NLVC_THREADS", show_envvar=True,
                               help="Torch's CPU threads, for the network models (--model mdiff, and their files when "
                                    "decoding) with --jobs 1 [default: torch's choice]; with more jobs each worker "
                                    "uses one. The default model (the adaptive stage) takes its threads from --jobs.")
_max_frames_option = click.option("--max-frames", type=click.IntRange(1), default=None,
                                  help="Only the first N frames (and the audio of their time span).")
_model_option = click.option("--model", default=None, envvar="NLVC_MODEL", show_envvar=True,
                             help="Entropy model for encoding: a registered id, 'default' (the adaptive stage, "
                                  "nlvc-adaptive-ls-v11), 'mdiff' (the 0.2 network), 'tiny' (tests), or a .npz "
                                  "weights file of the network (then embedded in the output). Decoding always "
                                  "uses the model the file names.")
_overwrite_option = click.option("--overwrite", "-y", is_flag=True,
                                 help="Replace an existing OUTPUT (a folder only if it holds nothing but the "
                                      "image sequence's files, e.g. a previous restore).")
_quiet_option = click.option("--quiet", "-q", is_flag=True, help="No progress bar, no summary, no warnings.")


def _default_jobs(ctx, param, value):
    from .jobs import default_jobs

    return default_jobs() if value is None else value


_jobs_option = click.option("--jobs", "-j", type=click.IntRange(1, 1024), default=None, envvar="NLVC_JOBS",
                            show_envvar=True, callback=_default_jobs,
                            help="GOPs coded at once, each by a worker process with one thread (1: in this "
                                 "process, with --threads; a clip of one GOP: its pieces on 2 threads per job "
                                 "in this process) [default: the CPU cores this process may use].")
_preset_option = click.option("--preset", type=click.Choice(["fast", "default", "slow"]), default=None,
                              help="Encoder speed/size: fast (--groups 1, fewer trials), default (--groups 2, GOP 32), slow "
                                   "(--groups 3, GOP 64); --groups and --gop override it [default: default].")
_recover_option = click.option("--recover", is_flag=True,
                               help="Decoding a damaged file: write every intact GOP and report each lost range "
                                    "(exit 3 when something was lost) instead of stopping at the damage.")
_video_stream_option = click.option("--video-stream", type=click.IntRange(0), default=None, metavar="N",
                                    help="Encoding a source with several video streams: code stream N "
                                         "(0 = the first video stream); required then.")
def _check_rate(ctx, param, value):
    """A --rate that is not a frame rate is a usage error (exit 2)."""
    if value is None:
        return None
    from .io.imageseq import parse_rate

    try:
        parse_rate(value)
    except ValueError as err:
        raise click.BadParameter(str(err).removeprefix(f"--rate {value}: ")) from None
    return value


_rate_option = click.option("--rate", default=None, metavar="FPS", callback=_check_rate, help="Encoding an image sequence (a folder, or "
                            "'scan_%06d.dpx'): its frame rate, e.g. 24 or 24000/1001 [default: 25].")
_gaps_option = click.option("--allow-gaps", is_flag=True, help="Code an image sequence with missing numbers.")
_audio_option = click.option("--audio", "audio", multiple=True, metavar="FILE", help="Encoding an image sequence: "
                             "a WAV/BWF/RF64/AIFF file kept beside it, byte for byte (its PCM coded losslessly), "
                             "restored at the sequence's folder; repeatable. Sound files in a package's folder are "
                             "found without it.")
_images_only_option = click.option("--images-only", is_flag=True, help="Encoding a package (a folder with reels, sound "
                                   "and side files): keep its images only; the files left out are named in a warning.")
_check_option = click.option("--check", is_flag=True, help="Encoding: decode the new file and check every frame and "
                             "every kept file (images, sound, side files) against the MD5s taken from the source "
                             "before it is put in place; nothing is written if anything differs.")
_pixels_only_option = click.option("--pixels-only", is_flag=True, help="Encoding a DPX/TIFF sequence: keep the pixels "
                                   "of files that cannot be rebuilt byte for byte (else refused); an AVI/MOV/MKV capture: "
                                   "its frames and sound alone, read by FFmpeg (restored as FFV1/Matroska).")
_playback_option = click.option("--playback", is_flag=True, help="Decoding to a .mkv: write an FFV1/Matroska viewing "
                                "copy even when the file keeps the .mkv it was made from byte for byte (else that "
                                "file is written back, identical).")
