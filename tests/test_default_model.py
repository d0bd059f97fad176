"""The bundled default model (shot / cut / gradual) on footage made here from real photos."""

from __future__ import annotations

import csv

import cv2
import numpy as np
import pytest
from skimage import data as photos

from pipeline.cli import main
from tests.synth import write_test_video

SIZE = (320, 180)


def _pan(photo: np.ndarray, n: int, speed_px: float = 1.5) -> list[np.ndarray]:
    """A slow camera pan across a photo: a moving 16:9 crop, scaled to SIZE."""
    height = min(photo.shape[0], int(photo.shape[1] * 9 / 16) - 24)
    width = int(height * 16 / 9)
    rgb = photo if photo.ndim == 3 else np.repeat(photo[..., None], 3, axis=2)
    frames = []
    for i in range(n):
        x = int(i * speed_px)
        frames.append(cv2.resize(np.ascontiguousarray(rgb[:height, x : x + width]), SIZE))
    return frames


def _transitions(labels_csv) -> list[tuple[int, str]]:
    """(first frame, label) of every run of non-`shot` frames."""
    with open(labels_csv, newline="") as fh:
        labels = [row["label"] for row in csv.DictReader(fh)]
    return [
        (i, lab)
        for i, lab in enumerate(labels)
        if lab != "shot" and (i == 0 or labels[i - 1] == "shot")
    ]


def _label(frames: list[np.ndarray], tmp_path) -> list[tuple[int, str]]:
    video = write_test_video(
        tmp_path / "clip.mp4",
        len(frames),
        size=SIZE,
        codec="libx264rgb",
        frame_fn=lambda i: frames[i],
    )
    assert main(["label", str(video), "--out", str(tmp_path / "out"), "--no-video", "--quiet"]) == 0
    return _transitions(tmp_path / "out" / "clip.labels.csv")


@pytest.fixture(scope="module")
def shots() -> tuple[list[np.ndarray], list[np.ndarray]]:
    return _pan(photos.astronaut(), 60), _pan(photos.coffee(), 60)


def test_a_hard_cut_is_found_where_it_is(shots, tmp_path):
    first, second = shots
    found = _label(first[:40] + second[:40], tmp_path)
    assert any(abs(frame - 40) <= 2 for frame, _ in found), found
    assert len(found) <= 2, found


def test_a_dissolve_is_gradual(shots, tmp_path):
    first, second = shots
    weights = np.linspace(0, 1, 17)[1:-1]  # 15 blended frames
    blend = [
        cv2.addWeighted(a, 1 - w, b, w, 0)
        for a, b, w in zip(first[40:55], second[:15], weights, strict=True)
    ]
    found = _label(first[:40] + blend + second[15:55], tmp_path)
    assert any(40 - 2 <= frame < 55 and label == "gradual" for frame, label in found), found


def test_a_single_shot_has_no_transition(shots, tmp_path):
    assert _label(shots[0], tmp_path) == []
