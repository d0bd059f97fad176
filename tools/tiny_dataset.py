"""A tiny labelled dataset written inside the tests: real H.264 videos + a segments CSV.

Each video alternates between classes; a class is visible in the frame (a coloured square on
a noisy background), so a model trained for a few epochs learns it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tools.synth import write_test_video

CLASSES = ["calm", "busy", "dark"]
COLOURS = {"calm": (40, 200, 60), "busy": (220, 40, 40), "dark": (20, 20, 20)}
SIZE = (64, 48)


def render(label: str, index: int, rng: np.random.Generator) -> np.ndarray:
    h, w = SIZE[1], SIZE[0]
    frame = rng.integers(90, 150, size=(h, w, 3), dtype=np.uint8)  # (H, W, 3) noisy grey
    x = 8 + (index * 2) % (w - 24)
    frame[12:36, x : x + 16] = COLOURS[label]
    return frame


def write_tiny_dataset(root: Path, videos: int = 4, frames: int = 48, seed: int = 0) -> Path:
    """root/classes.txt, root/videos/vN.mp4, root/annotations.csv (frame units), splits/."""
    rng = np.random.default_rng(seed)
    (root / "videos").mkdir(parents=True, exist_ok=True)
    (root / "classes.txt").write_text("\n".join(CLASSES) + "\n")
    rows = ["video,start_frame,end_frame,label"]
    names = []
    for v in range(videos):
        name = f"v{v}"
        cuts = sorted(rng.choice(np.arange(8, frames - 8), size=2, replace=False).tolist())
        bounds = [0, *cuts, frames]
        labels = [CLASSES[(v + i) % len(CLASSES)] for i in range(3)]
        per_frame = np.repeat(labels, np.diff(bounds)).tolist()
        write_test_video(
            root / "videos" / f"{name}.mp4",
            frames,
            size=SIZE,
            frame_fn=lambda i, per_frame=per_frame: render(per_frame[i], i, rng),
        )
        rows += [
            f"{name},{s},{e},{lab}"
            for s, e, lab in zip(bounds[:-1], bounds[1:], labels, strict=True)
        ]
        names.append(name)
    (root / "annotations.csv").write_text("\n".join(rows) + "\n")
    (root / "splits").mkdir(exist_ok=True)
    (root / "splits" / "train.txt").write_text("\n".join(names[:-2]) + "\n")
    (root / "splits" / "val.txt").write_text(names[-2] + "\n")
    (root / "splits" / "test.txt").write_text(names[-1] + "\n")
    return root
