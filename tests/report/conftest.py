"""A real labelled output folder, made once per test run by `framelabel label` (bundled default
model) on a tiny video rendered here, with its truth and a gates.csv in the contract's format.
"""

from __future__ import annotations

import functools
import math
import shutil
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pytest

from pipeline.cli import main
from tests.report.browser import browser  # noqa: F401  (the headless Chromium fixture)
from tools.synth import write_test_video

SIZE = (128, 72)
SCENE_FRAMES = 24  # a hard cut every second at 25 fps
SCENES = ("astronaut", "coffee", "chelsea", "rocket")  # real photos shipped by scikit-image
FRAMES = SCENE_FRAMES * len(SCENES)


@functools.cache
def _photo(name: str) -> np.ndarray:
    photos = pytest.importorskip("skimage.data", reason="scikit-image is not installed")
    rgb = getattr(photos, name)()
    return rgb if rgb.ndim == 3 else np.repeat(rgb[..., None], 3, axis=2)


def scene_frame(i: int) -> np.ndarray:
    """A slow pan across one photo per scene: a hard cut at every scene change."""
    photo = _photo(SCENES[(i // SCENE_FRAMES) % len(SCENES)])
    height = min(photo.shape[0], int(photo.shape[1] * 9 / 16) - 30)
    width = int(height * 16 / 9)
    x = 2 * (i % SCENE_FRAMES)
    return cv2.resize(np.ascontiguousarray(photo[:height, x : x + width]), SIZE)


def truth_csv(path: Path) -> Path:
    """Segments in frames. The cuts are at the scene changes (24, 48, 72), but this truth puts
    the second one a frame late and calls the third a dissolve: disagreements to review."""
    rows = [
        "start_frame,end_frame,label",
        "0,24,shot",
        "24,25,cut",
        "25,49,shot",
        "49,50,cut",
        "50,70,shot",
        "70,74,gradual",
        f"74,{FRAMES},shot",
    ]
    path.write_text("\n".join(rows) + "\n")
    return path


def write_gates(path: Path, frames: int, fps: float = 25.0) -> Path:
    """A gates.csv per the contract (six columns, then one extra the report must ignore)."""
    lines = ["frame,pts_s,forget,input,output,cell_norm,extra"]
    for i in range(frames):
        f = 0.6 + 0.3 * math.sin(i / 5)
        lines.append(f"{i},{i / fps:.6f},{f:.4f},{1 - f:.4f},{0.5:.4f},{2 + math.cos(i / 7):.4f},9")
    path.write_text("\n".join(lines) + "\n")
    return path


@dataclass(frozen=True)
class Labelled:
    out: Path  # the output folder
    video: Path  # the source video (inside `out`, so the report finds it)
    truth: Path


def _label(out: Path, *extra: str) -> Labelled:
    out.mkdir(parents=True)
    video = write_test_video(out / "clip.mp4", FRAMES, size=SIZE, frame_fn=scene_frame, audio=True)
    assert main(["label", str(video), "--out", str(out), "--quiet", *extra]) == 0
    return Labelled(out, video, truth_csv(out.parent / f"{out.name}.truth.csv"))


@pytest.fixture(scope="session")
def labelled_master(tmp_path_factory) -> Labelled:
    """`framelabel label` with the annotated video, plus a gates.csv (run once)."""
    done = _label(tmp_path_factory.mktemp("labelled") / "out")
    write_gates(done.out / "clip.gates.csv", FRAMES)
    return done


@pytest.fixture
def labelled(labelled_master: Labelled, tmp_path: Path) -> Labelled:
    """A private copy of the labelled folder, so a test may add or remove files."""
    out = tmp_path / "out"
    shutil.copytree(labelled_master.out, out)
    return Labelled(out, out / "clip.mp4", labelled_master.truth)
