"""`cues_regions`: per-region colour and layout, whose similarities the model reads sorted
(`region_sets`): a change in one corner and a change of the whole picture look different,
wherever the corner is."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from pipeline.encoders import EncoderSpec, build_encoder
from pipeline.encoders.cues import GROUP_SIZES, REGION_COUNT, REGION_GROUP_SIZES, REGION_SETS
from pipeline.errors import ConfigError
from pipeline.models.sequence import SequenceLabeler, SequenceSettings


def _textured(seed: int) -> np.ndarray:
    """(36, 64, 3) a smooth random picture (a few blobs of colour), like a real shot."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 255, (4, 6, 3)).astype(np.float32)
    big = torch.nn.functional.interpolate(
        torch.from_numpy(small).permute(2, 0, 1)[None], size=(36, 64), mode="bilinear"
    )
    return big[0].permute(1, 2, 0).round().clamp(0, 255).byte().numpy()


def _region_inputs(frames: np.ndarray) -> torch.Tensor:
    """(T, 36, 64, 3) frames -> (T, 2 * REGION_COUNT) sorted lag-1 region similarities."""
    feats = torch.from_numpy(build_encoder(EncoderSpec("cues_regions", 64)).encode(frames))
    settings = SequenceSettings(
        similarity_lags=(1,),
        similarity_groups=REGION_GROUP_SIZES,
        region_sets=REGION_SETS,
        appearance=False,
    )
    model = SequenceLabeler(feats.shape[1], 3, settings)
    return model._inputs(feats[None], None)[0, :, len(GROUP_SIZES) :]


def test_the_whole_frame_cues_come_first_unchanged():
    frames = np.stack([_textured(0), _textured(1)])
    feats = build_encoder(EncoderSpec("cues_regions", 64)).encode(frames)
    plain = build_encoder(EncoderSpec("cues", 64)).encode(frames)
    assert feats.shape == (2, sum(REGION_GROUP_SIZES))
    assert np.allclose(feats[:, : sum(GROUP_SIZES)], plain, atol=1e-6)


def test_a_cut_changes_every_region_a_corner_change_only_one():
    shot, other = _textured(0), _textured(1)
    corner = shot.copy()
    corner[:12, :21] = 255 - corner[:12, :21]  # a hand over the top-left cell
    frames = np.stack([shot, other, shot, corner])
    inputs = _region_inputs(frames)  # (4, 18): [colour x9 sorted, layout x9 sorted]
    cut, part = inputs[1], inputs[3]
    colour = slice(0, REGION_COUNT)
    # after a cut even the least changed region is far from its old self
    assert cut[colour].max() < 0.9
    # after the corner changed, one region moved and the others did not
    assert part[colour][0] < 0.9 and part[colour][1:].min() > 0.999
    # sorted: the same values whatever corner changed (flipped upside down: bottom-left)
    flipped = np.stack([shot[::-1], corner[::-1]]).copy()
    torch.testing.assert_close(_region_inputs(flipped)[1], part, atol=1e-5, rtol=0)


def test_region_sets_stream_as_they_train():
    torch.manual_seed(0)
    settings = SequenceSettings(
        hidden_size=8,
        appearance=False,
        similarity_lags=(1, 3),
        similarity_groups=(2, 3, 3, 3),
        region_sets=(3,),
        lookahead=2,
    )
    model = SequenceLabeler(11, 3, settings).eval()
    feats = torch.randn(1, 13, 11)
    with torch.no_grad():
        offline = model(feats)
        state, rows = None, []
        for chunk in feats.split(4, dim=1):
            out, state = model.step(chunk, state)
            rows.append(out)
        rows.append(model.finish(state))
    torch.testing.assert_close(torch.cat(rows, 1), offline, atol=1e-5, rtol=1e-5)


def test_region_sets_are_checked():
    with pytest.raises(ConfigError, match="equal sizes"):
        SequenceSettings(similarity_lags=(1,), similarity_groups=(2, 3, 4), region_sets=(2,))
    with pytest.raises(ConfigError, match="last of the 2 similarity_groups"):
        SequenceSettings(similarity_lags=(1,), similarity_groups=(2, 3), region_sets=(3,))
