"""Transition matching and scoring (scripts/eval_transitions.py) on hand-worked sequences."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from tests.script_loader import load_script

ev = load_script("eval_transitions", "scripts/eval_transitions.py")
from pipeline.errors import AnnotationError, ConfigError  # noqa: E402
from pipeline.io.writer import VideoWriter  # noqa: E402


def test_a_transition_starts_each_run_of_cut_or_gradual_frames() -> None:
    labels = ["shot", "cut", "cut", "shot", "gradual", "gradual", "cut", "shot", "cut"]
    assert ev.transitions_from_labels(labels) == [(1, "cut"), (4, "gradual"), (8, "cut")]
    # sampled labels: rows carry their own frame numbers
    assert ev.transitions_from_labels(["shot", "gradual", "shot"], [0, 4, 8]) == [(4, "gradual")]
    assert ev.transitions_from_labels(["shot"] * 5) == []


def test_window_matching_is_one_to_one_and_maximal() -> None:
    # a greedy by nearest prediction would give 4 to the second window and lose the first
    assert ev.match_windows([4, 6], [(0, 5), (3, 8)]) == {0: 0, 1: 1}
    assert ev.match_windows([6, 4], [(3, 8), (0, 5)]) == {1: 1, 0: 0}
    assert ev.match_windows([4], [(0, 5), (3, 8)]) == {0: 0}
    assert ev.match_windows([10, 11], [(8, 13)]) == {0: 0}
    assert ev.match_windows([], [(0, 5)]) == {}


def test_tolerance_edges() -> None:
    cut = ev.Truth(frames=100, cuts=(10,), graduals=())
    grad = ev.Truth(frames=100, cuts=(), graduals=((20, 30),))
    for frame, hit in [(7, 0), (8, 1), (12, 1), (13, 0)]:
        assert ev.score_video([(frame, "cut")], cut, 2).tp_cut == hit, frame
    for frame, hit in [(17, 0), (18, 1), (31, 1), (32, 0)]:  # [s - 2, e + 2) with e exclusive
        assert ev.score_video([(frame, "gradual")], grad, 2).tp_gradual == hit, frame
    assert ev.score_video([(10, "cut")], cut, 0).tp_cut == 1
    assert ev.score_video([(11, "cut")], cut, 0).tp_cut == 0


def test_score_video_hand_worked() -> None:
    truth = ev.Truth(frames=100, cuts=(10, 50), graduals=((20, 30),))
    preds = [(11, "gradual"), (25, "gradual"), (27, "gradual"), (53, "cut"), (80, "cut")]
    negatives = [(78, 82, "flash"), (40, 45, "whip")]
    c = ev.score_video(preds, truth, 2, negatives)
    # 11 -> cut 10; 25 -> gradual [20, 30); 27 is a second hit on it (FP); 53 is 3 from 50 (FP)
    assert (c.tp_cut, c.fn_cut, c.tp_gradual, c.fn_gradual, c.fp) == (1, 1, 1, 0, 3)
    assert c.kind_right == 1  # 25 says gradual (right); 11 says gradual for a hard cut (wrong)
    assert dict(c.fp_on_negatives) == {"flash": 1}  # 80 lies in the flash
    s = ev.summarize(c, typed=True)
    assert s["cut"]["precision"] == pytest.approx(1 / 4)  # 1 TP, 3 unmatched predictions
    assert s["cut"]["recall"] == pytest.approx(1 / 2)
    assert s["cut"]["f1"] == pytest.approx(1 / 3)
    assert s["gradual"]["precision"] == pytest.approx(1 / 4)
    assert s["gradual"]["recall"] == pytest.approx(1.0)
    assert s["gradual"]["f1"] == pytest.approx(2 / 5)
    assert s["all"]["precision"] == pytest.approx(2 / 5)
    assert s["all"]["recall"] == pytest.approx(2 / 3)
    assert s["all"]["f1"] == pytest.approx(1 / 2)
    assert s["kind_accuracy"] == pytest.approx(1 / 2)
    assert ev.summarize(c, typed=False)["kind_accuracy"] is None


def test_counts_sum_over_videos_and_empty_cases_are_nan() -> None:
    truth = ev.Truth(frames=50, cuts=(10,), graduals=())
    total = ev.score_video([(10, "cut")], truth, 2) + ev.score_video([], truth, 2)
    assert (total.tp_cut, total.fn_cut, total.fp, total.videos, total.frames) == (1, 1, 0, 2, 100)
    none = ev.summarize(ev.score_video([], ev.Truth(50, (), ()), 2), typed=True)
    assert math.isnan(none["all"]["precision"]) and math.isnan(none["all"]["recall"])
    assert math.isnan(none["kind_accuracy"])


def _dataset(root: Path, truth: dict[str, list[tuple[int, int, str]]]) -> None:
    (root / "splits").mkdir(parents=True)
    (root / "splits" / "test.txt").write_text("".join(n + "\n" for n in truth))
    rows = ["video,start_frame,end_frame,label"]
    rows += [f"{n},{s},{e},{lab}" for n, segs in truth.items() for s, e, lab in segs]
    (root / "annotations.csv").write_text("\n".join(rows) + "\n")


def _labels_csv(path: Path, labels: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = ["frame,pts_s,label,confidence,p_shot,p_cut,p_gradual"]
    rows += [f"{i},{i / 25:.6f},{lab},0.9,0.05,0.05,0.9" for i, lab in enumerate(labels)]
    path.write_text("\n".join(rows) + "\n")


def test_main_scores_label_files_and_writes_json(tmp_path: Path, capsys) -> None:
    data, pred = tmp_path / "data", tmp_path / "pred"
    _dataset(
        data,
        {
            "a": [
                (0, 10, "shot"),
                (10, 11, "cut"),
                (11, 20, "shot"),
                (20, 26, "gradual"),
                (26, 40, "shot"),
            ],
            "b": [(0, 30, "shot")],
        },
    )
    # a: cut seen one frame late, the dissolve seen as gradual; b: one false alarm
    _labels_csv(
        pred / "a.labels.csv",
        ["shot"] * 11 + ["cut"] + ["shot"] * 10 + ["gradual"] * 3 + ["shot"] * 15,
    )
    _labels_csv(pred / "b.labels.csv", ["shot"] * 5 + ["cut"] + ["shot"] * 24)
    out = tmp_path / "scores.json"
    report = ev.main(["--data", str(data), "--pred", str(pred), "--json", str(out)])
    r = report["methods"]["framelabel"]
    assert (r["cut"]["tp"], r["cut"]["fn"], r["gradual"]["tp"], r["all"]["fp"]) == (1, 0, 1, 1)
    assert r["all"]["precision"] == pytest.approx(2 / 3) and r["all"]["recall"] == 1.0
    assert (r["videos"], r["frames"], r["kind_accuracy"]) == (2, 70, 1.0)
    assert json.loads(out.read_text())["methods"]["framelabel"]["all"]["tp"] == 2
    table = capsys.readouterr().out
    assert (
        "| framelabel | 0.500 | 1.000 | 0.667 | 0.500 | 1.000 | 0.667 | 0.667 | 1.000 | 0.800 |"
        in table
    )


def test_user_errors(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _dataset(data, {"a": [(0, 10, "shot")]})
    with pytest.raises(ConfigError, match="--scenedetect"):
        ev.main(["--data", str(data)])
    with pytest.raises(AnnotationError, match="framelabel label"):
        ev.main(["--data", str(data), "--pred", str(tmp_path / "nothing")])
    _labels_csv(tmp_path / "p" / "a.labels.csv", ["shot"] * 5 + ["walking"] * 5)
    with pytest.raises(AnnotationError, match="'walking'"):
        ev.main(["--data", str(data), "--pred", str(tmp_path / "p")])
    with pytest.raises(AnnotationError, match="val"):
        ev.main(["--data", str(data), "--pred", str(tmp_path / "p"), "--split", "val"])


def test_scenedetect_finds_a_hard_cut_in_a_real_video(tmp_path: Path) -> None:
    # PySceneDetect is the evaluation's optional baseline (`pip install -e .[eval]`), not a
    # dependency of framelabel: it ships the GUI OpenCV build beside the headless one.
    pytest.importorskip("scenedetect")
    data = tmp_path / "data"
    _dataset(data, {"v": [(0, 25, "shot"), (25, 26, "cut"), (26, 50, "shot")]})
    (data / "videos").mkdir()
    # two smooth scenes (upsampled coarse noise) of different colour, each slowly panning
    rng = np.random.default_rng(0)
    coarse = np.kron(rng.random((9, 16)), np.ones((8, 8)))  # (72, 128), 8x8 blocks
    texture = np.stack([coarse, coarse, coarse], axis=2)
    dark = (texture * [40, 60, 90]).astype(np.uint8)
    bright = (120 + texture * [130, 90, 20]).astype(np.uint8)
    with VideoWriter(data / "videos" / "v.mp4", 128, 72, 25) as writer:
        for t in range(50):
            writer.write(np.roll(dark if t < 25 else bright, t // 4, axis=1))
    assert ev.scenedetect_transitions(data / "videos" / "v.mp4", "content") == [(25, "cut")]
    report = ev.main(["--data", str(data), "--scenedetect"])
    for method in ("PySceneDetect content", "PySceneDetect adaptive"):
        assert report["methods"][method]["cut"]["tp"] == 1
        assert report["methods"][method]["all"]["fp"] == 0
