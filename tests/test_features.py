"""The feature cache: a hit reuses, any changed key recomputes, writes are atomic."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.data.features import FeatureCache, Sampling, cached_features
from pipeline.encoders import EncoderSpec, build_encoder
from tools.synth import write_test_video


@pytest.fixture(scope="module")
def encoder64():
    return build_encoder(EncoderSpec("efficientnet_lite0", 64, "pretrained"))


def test_hit_miss_and_invalidation(tmp_path, encoder64):
    video = write_test_video(tmp_path / "clip.mp4", 12)
    cache = FeatureCache(tmp_path / "cache")
    first, hit = cached_features(video, encoder64, cache)
    assert not hit and first.feats.shape == (12, 1280)
    again, hit = cached_features(video, encoder64, cache)
    assert hit and np.array_equal(again.feats, first.feats)
    assert list(again.frame_indices) == list(range(12))

    _, hit = cached_features(video, encoder64, cache, Sampling(stride=2))
    assert not hit  # sampling is part of the key
    _, hit = cached_features(video, build_encoder(EncoderSpec("efficientnet_lite0", 32)), cache)
    assert not hit  # so is the preprocessing
    _, hit = cached_features(video, encoder64, cache, backend="opencv")
    assert not hit  # and the decoder

    write_test_video(video, 12, frame_fn=lambda i: np.full((48, 64, 3), 7 * i, np.uint8))
    changed, hit = cached_features(video, encoder64, cache)
    assert not hit and not np.array_equal(changed.feats, first.feats)  # new content, new entry
    assert not list((tmp_path / "cache").glob(".*"))  # no temp files left behind


def test_a_corrupt_cache_entry_is_recomputed(tmp_path, encoder64):
    video = write_test_video(tmp_path / "clip.mp4", 6)
    cache = FeatureCache(tmp_path / "cache")
    track, _ = cached_features(video, encoder64, cache)
    path = next((tmp_path / "cache").glob("*.npz"))
    path.write_bytes(b"truncated")
    again, hit = cached_features(video, encoder64, cache)
    assert not hit and np.allclose(again.feats, track.feats, atol=1e-5)
