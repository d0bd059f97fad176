"""The film_events dataset recipe (datasets/film_events/build.py) on a tiny real build.

The recipe is a script, not part of the `pipeline` package: it is run as a subprocess (the way
users run it) and, for the rendering checks, imported from its path.
"""

from __future__ import annotations

import argparse
import copy
import csv
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import av
import numpy as np
import pytest

from pipeline.errors import ConfigError, OutputExistsError
from tests.script_loader import load_script

BUILD = Path(__file__).resolve().parents[1] / "datasets" / "film_events" / "build.py"
FRAMES, WIDTH, HEIGHT, VIDEOS, MAX_GAP = 300, 96, 72, 8, 120
TINY = ["--videos", str(VIDEOS), "--frames", str(FRAMES), "--size", f"{WIDTH}x{HEIGHT}"]
TINY += ["--min-gap", "60", "--max-gap", str(MAX_GAP)]
# Which cue label decides each held (ambiguous) label: frame t - gap must carry it.
DECIDED_BY = {
    "calm": "calm",
    "alarm": "alarm",
    "gone_left": "ball",
    "gone_right": "ball",
    "event_a": "key_a",
    "event_b": "key_b",
}


def run_build(out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """Run build.py with the tiny settings, as a user would."""
    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE"}
    cmd = [sys.executable, str(BUILD), "--out", str(out), *TINY, *extra]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)


@pytest.fixture(scope="module")
def recipe() -> ModuleType:
    """build.py imported from its path."""
    return load_script("film_events_build", "datasets/film_events/build.py")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny dataset built once for the module (two worker processes)."""
    out = tmp_path_factory.mktemp("film_events") / "ds"
    proc = run_build(out, "--seed", "7", "--workers", "2")
    assert proc.returncode == 0, proc.stderr
    return out


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or []), list(reader)


def stems(root: Path) -> list[str]:
    return sorted(p.stem for p in (root / "videos").glob("*.mp4"))


def decode(path: Path, limit: int | None = None) -> np.ndarray:
    """(T, H, W, 3) uint8 frames of a video (the first `limit` if given)."""
    frames = []
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            frames.append(frame.to_ndarray(format="rgb24"))
            if limit is not None and len(frames) == limit:
                break
    return np.stack(frames)


def test_layout_headers_splits_and_summary(tiny: Path, recipe: ModuleType) -> None:
    assert (tiny / "classes.txt").read_text().splitlines() == list(recipe.CLASSES)
    names = stems(tiny)
    assert names == [f"film_{i:04d}" for i in range(VIDEOS)]
    assert read_csv(tiny / "annotations.csv")[0] == ["video", "start_frame", "end_frame", "label"]
    for name in names:
        header, rows = read_csv(tiny / "frames" / f"{name}.frames.csv")
        assert header == ["frame", "label", "ambiguous", "gap"]
        assert [int(r["frame"]) for r in rows] == list(range(FRAMES))
    splits = {
        s: (tiny / "splits" / f"{s}.txt").read_text().split() for s in ("train", "val", "test")
    }
    assert sorted(sum(splits.values(), [])) == names  # disjoint and complete
    assert [len(splits[s]) for s in ("train", "val", "test")] == [6, 1, 1]
    summary = json.loads((tiny / "dataset.json").read_text())
    assert summary["build_args"]["seed"] == 7 and summary["build_args"]["max_gap"] == MAX_GAP
    assert summary["videos"] == VIDEOS and summary["frames"] == VIDEOS * FRAMES
    assert sum(summary["class_frames"].values()) == VIDEOS * FRAMES
    ambiguous = sum(b["frames"] for b in summary["ambiguous_by_gap"].values())
    assert ambiguous == round(summary["ambiguous_fraction"] * VIDEOS * FRAMES)
    assert summary["ambiguous_by_gap"][">200"]["frames"] == 0  # max gap 120 + event length


def test_every_frame_labelled_exactly_once(tiny: Path, recipe: ModuleType) -> None:
    _, segments = read_csv(tiny / "annotations.csv")
    for name in stems(tiny):
        runs = sorted(
            (int(r["start_frame"]), int(r["end_frame"]), r["label"])
            for r in segments
            if r["video"] == name
        )
        assert runs[0][0] == 0 and runs[-1][1] == FRAMES
        for (_, end, label), (start, _, next_label) in zip(runs, runs[1:], strict=False):
            assert end == start and label != next_label  # no gap, no overlap, maximal runs
        per_frame = [label for start, end, label in runs for _ in range(start, end)]
        _, rows = read_csv(tiny / "frames" / f"{name}.frames.csv")
        assert per_frame == [r["label"] for r in rows]
        assert set(per_frame) <= set(recipe.CLASSES)


def test_gap_points_at_the_cue_that_decides_the_label(tiny: Path) -> None:
    seen: set[str] = set()
    for name in stems(tiny):
        _, rows = read_csv(tiny / "frames" / f"{name}.frames.csv")
        labels = [r["label"] for r in rows]
        for t, row in enumerate(rows):
            gap, ambiguous = int(row["gap"]), row["ambiguous"] == "1"
            assert (gap > 0) == ambiguous
            if row["label"] in ("ball", "key_a", "key_b"):
                assert not ambiguous  # the ball or the key is in the frame
            elif row["label"] not in ("calm", "alarm"):  # calm/alarm: the flash decides itself
                assert ambiguous  # an empty frame after the ball, or the event panel
            if not ambiguous:
                continue
            cue = t - gap
            assert rows[cue]["ambiguous"] == "0" and labels[cue] == DECIDED_BY[row["label"]]
            if row["label"].startswith("event"):
                assert gap <= MAX_GAP + 50  # the last event starts at most max_gap after the key
            else:  # held state: nothing else happened since the cue
                assert set(labels[cue + 1 : t + 1]) == {row["label"]}
            seen.add(row["label"])
    assert seen == set(DECIDED_BY)  # every memory mechanism occurs in the tiny build


def test_videos_decode_to_exactly_the_labelled_frames(tiny: Path) -> None:
    for name in stems(tiny):
        assert decode(tiny / "videos" / f"{name}.mp4").shape == (FRAMES, HEIGHT, WIDTH, 3)


def test_same_seed_same_labels_and_pixels(tiny: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    assert run_build(again, "--seed", "7", "--workers", "1").returncode == 0
    assert (again / "annotations.csv").read_bytes() == (tiny / "annotations.csv").read_bytes()
    for name in stems(tiny):
        frames_csv = Path("frames") / f"{name}.frames.csv"
        assert (again / frames_csv).read_bytes() == (tiny / frames_csv).read_bytes()
        video = Path("videos") / f"{name}.mp4"
        np.testing.assert_array_equal(decode(again / video, 1), decode(tiny / video, 1))
    video = Path("videos") / "film_0003.mp4"  # encoded by another process in each build
    np.testing.assert_array_equal(decode(again / video), decode(tiny / video))
    other = tmp_path / "other"
    assert run_build(other, "--seed", "8", "--workers", "1").returncode == 0
    assert (other / "annotations.csv").read_bytes() != (tiny / "annotations.csv").read_bytes()


def _has_every_mechanism(recipe: ModuleType, args: argparse.Namespace, index: int) -> bool:
    script, _ = recipe.make_video(args, index)
    names = {recipe.CLASSES[y] for y in script.label[script.ambiguous]}
    return names >= {"calm", "alarm", "gone_left", "gone_right", "event_a", "event_b"}


def _counterfactual(recipe: ModuleType, script: Any, mechanism: str) -> Any:
    """`script` with one mechanism's decisive cue flipped (labels follow the cue)."""
    s = copy.deepcopy(script)
    pairs = {"flash": [("calm", "alarm")], "key": [("key_a", "key_b"), ("event_a", "event_b")],
             "ball": [("gone_left", "gone_right")]}[mechanism]  # fmt: skip
    for a, b in pairs:
        ia, ib = recipe.CLASSES.index(a), recipe.CLASSES.index(b)
        s.label = np.where(script.label == ia, ib, np.where(script.label == ib, ia, s.label))
    if mechanism == "flash":
        flash = s.overlay == recipe.FLASH
        s.param[flash] = np.where(s.param[flash] == recipe.CALM, recipe.ALARM, recipe.CALM)
    elif mechanism == "key":
        s.param[s.overlay == recipe.KEY] ^= 1
    else:  # mirror the ball's path: it now leaves through the other side
        s.ball_xy[s.overlay == recipe.BALL_OVERLAY, 0] *= -1
        s.ball_xy[s.overlay == recipe.BALL_OVERLAY, 0] += 1
    return s


@pytest.mark.parametrize("mechanism", ["flash", "key", "ball"])
def test_ambiguous_frames_render_identically_under_the_competing_label(
    recipe: ModuleType, mechanism: str
) -> None:
    """Flip one cue (red<->green flash, key a<->b, exit left<->right): the cue frames change,
    and every frame labelled ambiguous is pixel-identical under the flipped label."""
    # Default story settings (long gaps), rendered without encoding: only the pixels matter.
    args = recipe.parse_args(["--out", "unused", "--size", f"{WIDTH}x{HEIGHT}", "--seed", "3"])
    index = next(i for i in range(VIDEOS) if _has_every_mechanism(recipe, args, i))
    script, _ = recipe.make_video(args, index)
    flipped = _counterfactual(recipe, script, mechanism)

    def render(s: Any) -> np.ndarray:
        _, camera = recipe.make_video(args, index)  # a fresh camera: same nuisance and noise
        return np.stack(list(recipe.render_frames(s, camera)))  # (T, H, W, 3)

    same = np.all(render(script) == render(flipped), axis=(1, 2, 3))  # (T,)
    overlay = {"flash": recipe.FLASH, "key": recipe.KEY, "ball": recipe.BALL_OVERLAY}[mechanism]
    cue = script.overlay == overlay
    relabelled = script.label != flipped.label
    assert cue.sum() >= 4 and (relabelled & script.ambiguous).sum() >= 10  # the flip matters
    assert same[script.ambiguous].all() and same[~cue].all()
    assert (~same[cue]).mean() > 0.9  # the cue frames themselves show the difference


def test_decoded_ambiguous_frames_show_no_cue_colour(tiny: Path) -> None:
    """After H.264, ambiguous frames hold (almost) no saturated cue colour; cue frames do."""
    saturated, labels, ambiguous = [], [], []
    for name in stems(tiny):
        frames = decode(tiny / "videos" / f"{name}.mp4").astype(np.float32)
        hi, lo = frames.max(axis=-1), frames.min(axis=-1)  # (T, H, W)
        saturated.append((((hi - lo) > 0.6 * hi) & (hi > 120)).mean(axis=(1, 2)))
        _, rows = read_csv(tiny / "frames" / f"{name}.frames.csv")
        labels += [r["label"] for r in rows]
        ambiguous += [r["ambiguous"] == "1" for r in rows]
    sat, labels_arr, amb = np.concatenate(saturated), np.array(labels), np.array(ambiguous)
    for label in DECIDED_BY:  # the mean held frame looks the same under competing labels
        assert sat[amb & (labels_arr == label)].mean() < 0.002
    for label in ("calm", "alarm", "ball", "key_a", "key_b"):
        assert sat[~amb & (labels_arr == label)].mean() > 0.03


def test_bad_settings_and_existing_output_are_user_errors(
    recipe: ModuleType, tiny: Path, tmp_path: Path
) -> None:
    def args(*extra: str) -> argparse.Namespace:
        return recipe.parse_args(["--out", str(tmp_path / "new"), *TINY, *extra])

    with pytest.raises(ConfigError, match="--min-gap 10"):
        recipe.build(args("--min-gap", "10"))
    with pytest.raises(ConfigError, match="WIDTHxHEIGHT"):
        recipe.build(args("--size", "96-72"))
    assert not (tmp_path / "new").exists()  # nothing is written before the settings are checked
    proc = run_build(tiny)  # a second build into the same folder without --overwrite
    assert proc.returncode == 2 and "--overwrite" in proc.stderr
    with pytest.raises(OutputExistsError):
        recipe.build(recipe.parse_args(["--out", str(tiny), *TINY]))
