"""ls-v5 of the adaptive stage: ls-v4, with large frames (1080p and up) refitting half as often."""
from __future__ import annotations

import numpy as np
import pytest

from nlvc_av.codec import registry
from nlvc_av.codec.adaptive import planes
from nlvc_av.codec.adaptive.stage import AdaptiveGop

TABLE = registry.load("nlvc-adaptive-ls-v5").arrays["logistic"]


def _clip(n=3, h=40, w=56):
    rng = np.random.default_rng(9)
    base = rng.integers(0, 256, (h + 4 * n, w + 4 * n)).astype(np.int32)
    base = (base + np.roll(base, 1, 0) + np.roll(base, 1, 1) + np.roll(base, (1, 1), (0, 1))) // 4
    frames = []
    for i in range(n):
        y = base[i:i + h, 2 * i:2 * i + w].astype(np.uint8)
        frames.append([y, y[::2, ::2].copy(), y[1::2, 1::2].copy()])
    return frames


def test_ls_v5_is_registered_with_its_syntax():
    assert registry.LS_SYNTAX_VERSIONS[registry.MODELS["nlvc-adaptive-ls-v5"].coder_params["syntax"]] == 5


def test_frames_below_the_large_size_are_coded_exactly_as_ls_v4():
    frames = _clip()
    v4, v5 = AdaptiveGop(2, 8, TABLE, version=4), AdaptiveGop(2, 8, TABLE, version=5)
    assert v5.encode(frames, "IPP") == v4.encode(frames, "IPP")


@pytest.mark.parametrize("effort", [1, 2])
def test_large_frames_refit_less_often_and_round_trip(effort, monkeypatch):
    frames = _clip()
    v4, v5 = AdaptiveGop(effort, 8, TABLE, version=4), AdaptiveGop(effort, 8, TABLE, version=5)
    monkeypatch.setattr(planes, "LARGE_FRAME", frames[0][0].size)  # this clip now counts as large
    assert planes.plane_config(effort, 0, False, 8, version=5, large=True).effort.solve_every == \
        planes.LARGE_SOLVE_FACTOR * planes.EFFORTS_V4[effort].solve_every
    data = v5.encode(frames, "IPP")
    assert data != v4.encode(frames, "IPP")      # the large rule took effect
    back = v5.decode(data, "IPP", [p.shape for p in frames[0]])
    assert all(np.array_equal(a, b) for fa, fb in zip(frames, back) for a, b in zip(fa, fb))
    # a decoder that did not apply the rule would not read the same frames
    monkeypatch.setattr(planes, "LARGE_FRAME", frames[0][0].size + 1)
    try:
        wrong = v5.decode(data, "IPP", [p.shape for p in frames[0]])
        assert not all(np.array_equal(a, b) for fa, fb in zip(frames, wrong) for a, b in zip(fa, fb))
    except ValueError:
        pass


def test_1080p_counts_as_large_and_cif_not():
    assert planes.large_frame((1080, 1920)) and planes.large_frame((2160, 3840))
    assert not planes.large_frame((288, 352)) and not planes.large_frame((576, 720))
