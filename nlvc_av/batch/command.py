"""``nlvc batch SRC... --out DIR``: the click command (arguments and messages only; the work is
in :mod:`.run`)."""
from __future__ import annotations

import json
import sys

import click

from ..cli_base import CONTEXT, CliError, _errors, _human, _setup_logging, _show_progress
from ..cli_options import (_gop_option, _groups_option, _max_frames_option, _model_option, _overwrite_option,
                           _quiet_option)
from ..text import escape
from . import cluster

PROG = "nlvc batch"


@click.command("batch", context_settings=CONTEXT)
@click.argument("sources", nargs=-1, required=True, metavar="SRC...")
@click.option("--out", "-o", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Directory of the .nlvc files (SRC's name, suffix .nlvc); made if missing.")
@click.option("--scheduler", default=None, metavar="ADDRESS", envvar="NLVC_SCHEDULER", show_envvar=True,
              help="A running Dask scheduler (tcp://host:8786) [default: a LocalCluster on this machine].")
@click.option("--workers", type=click.IntRange(1, 1024), default=None,
              help="LocalCluster worker processes, one thread each [default: the CPU cores this process may use].")
@click.option("--preset", type=click.Choice(["fast", "default", "slow"]), default=None,
              help="Encoder speed/size (as nlvc-transcode); --groups and --gop override it [default: default].")
@_gop_option
@_groups_option
@_model_option
@_max_frames_option
@_overwrite_option
@click.option("--json", "json_path", type=click.Path(dir_okay=False), default=None,
              help="Write the results (per file: status, frames, bytes, seconds, error) as JSON here.")
@_quiet_option
def batch(sources, out_dir, scheduler, workers, preset, gop, groups, model, max_frames, overwrite, json_path, quiet):
    """Encode many videos into OUT/<name>.nlvc on a Dask cluster, GOP by GOP.

    \b
    nlvc batch masters/*.mov --out archive/                        # every core of this machine
    nlvc batch masters/*.mov --out archive/ --scheduler tcp://head:8786   # a running cluster

    One long file spreads over the whole cluster. A rerun skips every output that is finished
    (it reads completely, every cluster CRC is right, it holds the source's frames; no decoding),
    so an interrupted batch resumes; a partial output never takes a destination name. A file that
    fails is reported with its reason and the others go on; the exit code is then 1.
    """
    _setup_logging(PROG, quiet)
    with _errors(PROG):
        if not cluster.available():
            raise CliError(f"needs Dask distributed: {cluster.INSTALL_HINT}")
        from ..progress import ProgressBar
        from .outputs import OutputClashError
        from .run import FAILED, run_batch

        progress = ProgressBar("batch", 0) if _show_progress(quiet) else None

        def on_file(r) -> None:
            line = None
            if r.status == FAILED:
                line = f"{PROG}: error: " + (r.error if r.error.startswith(r.source) else f"{r.source}: {r.error}")
            elif r.note and not quiet:
                line = f"{PROG}: warning: {r.output}: {r.note}"
            if line:
                click.echo(("\r\x1b[K" if progress is not None else "") + escape(line), err=True)

        try:
            result = run_batch(list(sources), out_dir, scheduler=scheduler, workers=workers, preset=preset,
                               groups=groups, gop=gop, model=model, max_frames=max_frames, overwrite=overwrite,
                               progress=progress, on_file=on_file)
        except OutputClashError as err:
            raise click.UsageError(str(err)) from None
        if json_path:
            with open(json_path, "w") as f:
                json.dump(result.as_dict(), f, indent=2)
        if not quiet:
            written = sum(f.bytes for f in result.files if f.status == "encoded")
            click.echo(f"{PROG}: {len(result.files)} files: {result.count('encoded')} encoded, "
                       f"{result.count('skipped')} skipped (already finished), {result.count(FAILED)} failed; "
                       f"{result.frames} frames in {result.seconds:.1f} s ({result.fps:.2f} fps), "
                       f"{_human(written)} written", err=True)
        if result.count(FAILED):
            sys.exit(1)
