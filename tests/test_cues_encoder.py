"""The `cues` frame encoder (pipeline/encoders/cues.py) on real photos."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from pipeline.encoders import EncoderSpec, build_encoder
from pipeline.encoders.cues import GROUP_SIZES, GROUPS, frame_size
from pipeline.errors import ConfigError

skimage_data = pytest.importorskip("skimage.data")


@pytest.fixture(scope="module")
def encoder():
    return build_encoder(EncoderSpec("cues", 64))


def _frame(img: np.ndarray) -> np.ndarray:
    return cv2.resize(img, frame_size(64), interpolation=cv2.INTER_AREA)  # (36, 64, 3)


def _group_sims(encoder, a: np.ndarray, b: np.ndarray) -> dict[str, float]:
    fa, fb = torch.from_numpy(encoder.encode(np.stack([a, b])))  # (D,) each
    pairs = zip(fa.split(GROUP_SIZES), fb.split(GROUP_SIZES), strict=True)
    return {
        g: float(F.cosine_similarity(x, y, dim=0)) for g, (x, y) in zip(GROUPS, pairs, strict=True)
    }


def test_shapes_and_unit_groups(encoder) -> None:
    assert encoder.preprocessing.size == (64, 36)
    assert encoder.feature_dim == sum(GROUP_SIZES)
    feats = encoder.encode(np.zeros((3, 36, 64, 3), np.uint8))
    assert feats.shape == (3, sum(GROUP_SIZES)) and feats.dtype == np.float32
    for part in np.split(feats, np.cumsum(GROUP_SIZES)[:-1], axis=1):
        np.testing.assert_allclose(np.linalg.norm(part, axis=1), 1, atol=1e-5)


def test_each_cue_reacts_to_its_own_kind_of_change(encoder) -> None:
    coffee, astronaut = _frame(skimage_data.coffee()), _frame(skimage_data.astronaut())
    same = _group_sims(encoder, coffee, coffee)
    assert all(v == pytest.approx(1, abs=1e-5) for v in same.values())
    cut = _group_sims(encoder, coffee, astronaut)
    assert max(cut.values()) < 0.95 and cut["luma_thumb"] < 0.5  # another picture: all drop
    darker = (coffee * 0.6).astype(np.uint8)  # a lighting change: same layout
    light = _group_sims(encoder, coffee, darker)
    assert light["luma_thumb"] > 0.99 and light["luma_hist"] < 0.9
    moved = np.roll(coffee, 12, axis=1)  # fast motion: same colours, layout moved
    motion = _group_sims(encoder, coffee, moved)
    assert motion["rgb_hist"] > 0.95 and motion["luma_fine"] < motion["luma_thumb"] < 0.9
    black = np.zeros_like(coffee)
    assert min(_group_sims(encoder, black, black).values()) == pytest.approx(1, abs=1e-5)


def test_frames_at_another_size_are_resized_and_weights_refused() -> None:
    enc = build_encoder(EncoderSpec("cues", 48))
    assert enc.preprocessing.size == (48, 27)
    assert enc.encode(np.zeros((1, 72, 128, 3), np.uint8)).shape == (1, sum(GROUP_SIZES))
    with pytest.raises(ConfigError, match="no weights"):
        build_encoder(EncoderSpec("cues", 64, weights="/some/file.pt"))
