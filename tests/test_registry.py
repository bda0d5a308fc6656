"""The model registry and what a file says about its coder: models by id, custom weights that
travel inside the file, and one clear error for every setup value this release cannot decode."""
from __future__ import annotations

import io
import json

import numpy as np
import pytest
from click.testing import CliRunner

import container
from clipgen import make_clip, md5s, read_planes
from nlvc_av import transcode
from nlvc_av.cli import nlvc_main, transcode_main
from nlvc_av.codec import GopCoder, registry
from nlvc_av.errors import (ModelIntegrityError, ModelMismatchError, UnknownModelError,
                            UnsupportedSetupError)


def _setup(**changes) -> container.CodecSetup:
    entry = registry.resolve("tiny")
    fields = dict(model_id=entry.model_id, weights_sha256=entry.sha256, token_map=entry.token_map,
                  groups=2, gop_size=8, coder_params=dict(entry.coder_params))
    fields.update(changes)
    return container.CodecSetup(**fields)


def _custom_weights(path, seed: int = 5) -> bytes:
    """A weights file no release ships: the tiny model's arrays with other random weights."""
    arrays = dict(registry.load("tiny").arrays)
    rng = np.random.default_rng(seed)
    for key, value in arrays.items():
        if key.endswith(".w"):
            arrays[key] = rng.integers(-20, 21, value.shape).astype(value.dtype)
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    path.write_bytes(buf.getvalue())
    return buf.getvalue()


def test_aliases_and_ids_resolve_and_unknown_names_are_one_clear_error():
    assert registry.resolve("tiny").model_id == registry.TEST_MODEL
    assert registry.resolve("default").model_id == registry.DEFAULT_MODEL
    assert registry.resolve("shipped").model_id == registry.DEFAULT_MODEL  # 0.1's name
    with pytest.raises(UnknownModelError, match="model 'nlvc-future-v9' is not installed"):
        registry.resolve("nlvc-future-v9")


def test_the_setup_a_file_records_is_accepted():
    coder = GopCoder.for_setup(_setup())
    assert coder.model_id == registry.TEST_MODEL and coder.groups == 2


@pytest.mark.parametrize("changes,error,message", [
    ({"model_id": "nlvc-future-v9"}, UnknownModelError, "needs model 'nlvc-future-v9', which is not installed"),
    ({"weights_sha256": "0" * 64}, ModelMismatchError, "records weights sha256 0000000000000000"),
    ({"token_map": "residual-mod1024-v9"}, UnsupportedSetupError, "unsupported token map 'residual-mod1024-v9'"),
    ({"groups": 5}, UnsupportedSetupError, "unsupported number of groups 5"),
    ({"coder_params": {**registry.CODER_PARAMS_V1, "increment": 25}}, UnsupportedSetupError,
     "unsupported coder parameter increment=25"),
    ({"coder_params": {**registry.CODER_PARAMS_V1, "lookahead": 1}}, UnsupportedSetupError,
     "unknown coder parameter 'lookahead'"),
    ({"coder_params": {"coder": "constriction-range-v1"}}, UnsupportedSetupError, "coder parameters missing"),
    ({"coder_params": {**registry.CODER_PARAMS_V1, "coder": "arith-v2"}}, UnsupportedSetupError,
     "unsupported coder parameter coder='arith-v2'"),
])
def test_every_setup_value_is_checked(changes, error, message):
    with pytest.raises(error, match=message):
        GopCoder.for_setup(_setup(**changes))


def test_weights_files_are_read_without_pickles(tmp_path):
    with pytest.raises(ModelIntegrityError, match="not an NLVC weights file"):
        registry.custom(b"not a zip file", "x.npz")
    buf = io.BytesIO()
    np.savez(buf, arch=np.array([8, 1]), obj=np.array([{"a": 1}], dtype=object))
    with pytest.raises(ModelIntegrityError, match="not an NLVC weights file"):
        registry.custom(buf.getvalue(), "x.npz")


def test_custom_weights_travel_inside_the_file_and_decode(tmp_path, cli_env):
    src = tmp_path / "src.mkv"
    truth = make_clip(src, width=24, height=16, frames=3, audio=None)
    weights = tmp_path / "mine.npz"
    data = _custom_weights(weights)
    out = tmp_path / "a.nlvc"
    r = CliRunner().invoke(transcode_main, [str(src), str(out), "--model", str(weights)], env=cli_env)
    assert r.exit_code == 0, r.output
    with container.open(str(out), "r") as f:
        setup = f.codec_setup
        assert setup.model_id.startswith("custom-mdiff-lattice-v1-c8b1-")
        assert setup.model_weights == data and f.version == (1, 1)
    weights.unlink()  # decoding needs nothing but the file
    r = CliRunner().invoke(transcode_main, [str(out), str(tmp_path / "back.mkv")], env=cli_env)
    assert r.exit_code == 0, r.output
    assert md5s(read_planes(tmp_path / "back.mkv")[1]) == md5s(truth)
    info = CliRunner().invoke(nlvc_main, ["info", "--json", str(out)])
    assert json.loads(info.stdout)["codec"]["weights_embedded"] == len(data)


def test_a_file_whose_model_is_missing_fails_with_one_line_naming_it(tmp_path, cli_env, coder):
    src = tmp_path / "src.mkv"
    make_clip(src, width=16, height=16, frames=2, audio=None)
    good = tmp_path / "good.nlvc"
    transcode.encode_file(str(src), str(good), coder=coder)
    with container.open(str(good), "r") as f:  # the same file, naming a model nobody has
        setup, tracks, clusters = f.codec_setup, [f.video_track, *f.other_tracks], list(f.iter_clusters())
    setup.model_id = "nlvc-mdiff-lattice-v7-c64b9"
    bad = tmp_path / "bad.nlvc"
    with container.open(str(bad), "w", codec_setup=setup, tracks=tracks) as w:
        for c in clusters:
            w.write_cluster(c)
    r = CliRunner().invoke(transcode_main, [str(bad), str(tmp_path / "back.mkv")], env=cli_env)
    assert r.exit_code == 1
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "needs model 'nlvc-mdiff-lattice-v7-c64b9'" in lines[0], r.stderr
    assert not (tmp_path / "back.mkv").exists()


def test_a_model_option_that_is_neither_a_model_nor_a_file(tmp_path, cli_env):
    src = tmp_path / "src.mkv"
    make_clip(src, width=16, height=16, frames=1, audio=None)
    r = CliRunner().invoke(transcode_main, [str(src), str(tmp_path / "a.nlvc"), "--model", "nope"], env=cli_env)
    assert r.exit_code == 1
    assert "--model nope: no such model or weights file" in r.stderr and "nlvc-mdiff-lattice-v1-c32b5" in r.stderr
    assert "pickle" not in r.stderr
