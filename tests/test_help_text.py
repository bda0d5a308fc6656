"""The help and the package description name the default model (the adaptive stage), not the
0.2 masked-diffusion network (issue 33: --groups and --threads, and pyproject.toml, still
described the network as what every encode runs)."""
from __future__ import annotations

import re
import tomllib

from click.testing import CliRunner

from clipgen import REPO
from nlvc_av.cli import nlvc_main, transcode_main
from nlvc_av.codec import registry


def _help(command, args=()) -> str:
    result = CliRunner().invoke(command, [*args, "--help"], terminal_width=100)
    assert result.exit_code == 0, result.output
    return result.output


def _option(text: str, name: str) -> str:
    """The help of one option (its lines joined): from its name to the next option."""
    blocks = re.split(r"\n  (?=-)", text)   # an option's first line is indented by two spaces
    found = [b for b in blocks if re.match(rf"(-\w, )?{name}\b", b)]
    assert len(found) == 1, name
    return " ".join(found[0].split())


def test_transcode_help_describes_the_default_model():
    text = _help(transcode_main)
    groups = _option(text, "--groups")
    assert "effort" in groups and "default model (the adaptive stage)" in groups
    assert "12 neighbours" in groups and "every sample" in groups   # what G does for it
    assert "network models (--model mdiff)" in groups   # groups per plane: the network's meaning only
    threads = _option(text, "--threads")
    assert "network models" in threads and "default model (the adaptive stage) takes its threads from --jobs" in threads
    assert "neural coder" not in text and "masked-diffusion" not in text
    assert f"'default' (the adaptive stage, {registry.DEFAULT_MODEL})" in _option(text, "--model")
    assert registry.DEFAULT_MODEL.startswith("nlvc-adaptive-ls")


def test_every_command_sharing_the_options_says_the_same():
    for args in (["verify"], ["batch"]):
        text = _help(nlvc_main, args)
        text = " ".join(text.split())
        assert "neural coder" not in text and "Coding groups per plane" not in text, args


def test_the_package_description_names_the_adaptive_stage():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert "adaptive least-squares" in project["description"]
    assert "masked-diffusion" not in project["description"]
