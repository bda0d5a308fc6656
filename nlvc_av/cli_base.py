"""What every command of the CLI shares (click only): the error mapping (one line on stderr and
an exit code, never a traceback), the logging of warnings, the progress switch and sizes in
words. ``cli.py``, ``batch/command.py`` and ``bitreport.py`` import it; it imports none of them.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys

import click

from .text import EscapingFormatter, escape

STDIO = "-"
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


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
    handler.setFormatter(EscapingFormatter(f"{prog}: warning: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.ERROR if quiet else logging.WARNING)
    logger.propagate = False


def _is_av_error(err: BaseException) -> bool:
    return type(err).__module__.split(".")[0] == "av"


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def _fail(prog: str, message: str, code: int = 1):
    click.echo(f"{prog}: error: {escape(_one_line(message))}", err=True)
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
        hint = "; --recover writes every intact GOP" if prog == "nlvc-transcode" and (
            err.gop is not None or err.recoverable) else ""
        _fail(prog, str(err) + hint)
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
