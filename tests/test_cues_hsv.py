"""`cues_hsv`: the cue descriptors plus an HSV thumbnail compared by mean absolute change."""

from __future__ import annotations

import numpy as np
import torch

from pipeline.encoders import EncoderSpec, build_encoder
from pipeline.encoders.cues import GROUP_SIZES, HSV_GROUP_SIZES, _hsv
from pipeline.models.sequence import SequenceLabeler, SequenceSettings


def test_hsv_of_pure_colours():
    rgb = torch.tensor([[1.0, 0, 0], [0, 1.0, 0], [0, 0, 1.0], [0.5, 0.5, 0.5]]).view(4, 3, 1, 1)
    hsv = _hsv(rgb)[..., 0, 0]  # (4, 3)
    expected = torch.tensor([[0, 1, 1], [1 / 3, 1, 1], [2 / 3, 1, 1], [0, 0, 0.5]])
    assert torch.allclose(hsv, expected, atol=1e-6)


def test_the_hsv_thumbnail_follows_the_cues_and_its_change_is_the_content_score():
    encoder = build_encoder(EncoderSpec("cues_hsv", 64))
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 255, (3, 36, 64, 3), dtype=np.uint8)
    frames[1] = frames[0]
    feats = torch.from_numpy(encoder.encode(frames))  # (3, D)
    assert feats.shape == (3, sum(HSV_GROUP_SIZES))
    plain = build_encoder(EncoderSpec("cues", 64)).encode(frames)
    assert np.allclose(feats[:, : sum(GROUP_SIZES)].numpy(), plain, atol=1e-6)
    settings = SequenceSettings(
        similarity_lags=(1,),
        similarity_groups=HSV_GROUP_SIZES,
        difference_groups=(len(HSV_GROUP_SIZES) - 1,),
        appearance=False,
    )
    model = SequenceLabeler(feats.shape[1], 3, settings)
    inputs = model._inputs(feats[None], None)[0]  # (3, 7): one per group
    assert torch.allclose(inputs[1], torch.ones(7), atol=1e-5)  # an unchanged frame
    change = (feats[2, -432:] - feats[1, -432:]).abs().mean()
    assert torch.isclose(inputs[2, -1], 1 - 4 * change, atol=1e-5)
    assert inputs[2, -1] < 0.9
