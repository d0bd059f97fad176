"""The shared test-video generator: index codes survive what readers legitimately do."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from tools.synth import MAX_INDEX, decode_index, index_rgb, write_test_video


@pytest.mark.parametrize("index", [0, 1, 7, 8, 63, 64, 511, 1000, MAX_INDEX])
def test_index_survives_resize_rotation_and_noise(index: int) -> None:
    rgb = index_rgb(index, (64, 48))
    assert decode_index(rgb) == index
    assert decode_index(np.rot90(rgb)) == index
    assert decode_index(cv2.resize(rgb, (224, 224), interpolation=cv2.INTER_AREA)) == index
    assert decode_index(cv2.resize(rgb, (20, 14), interpolation=cv2.INTER_AREA)) == index
    noise = np.random.default_rng(index).integers(-10, 11, rgb.shape)
    assert decode_index(np.clip(rgb + noise, 0, 255).astype(np.uint8)) == index


def test_neighbouring_indices_differ() -> None:
    codes = {index_rgb(i).tobytes() for i in range(200)}
    assert len(codes) == 200
    with pytest.raises(ValueError):
        index_rgb(MAX_INDEX + 1)


def test_bad_pts_are_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="strictly increasing"):
        write_test_video(tmp_path / "v.mp4", 3, pts=[0, 2, 2])
    assert not (tmp_path / "v.mp4").exists()
