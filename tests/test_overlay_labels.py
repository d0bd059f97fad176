"""The annotated video shows the label labels.csv holds: the overlay is drawn with the decoded
label (one transition, one event), once no later frame can change it, not the raw argmax."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.outputs.overlay import Overlay

ROOT = Path(__file__).resolve().parents[1]


def _demo_video(out: Path) -> Path:
    """The `make demo` video (held-out footage: cuts, a wipe, a fade through black, a
    dissolve), rendered smaller to keep the test quick. Rendered in a process of its own: the
    renderer's PyAV scalers keep slice threads, which a later fork (the recipe's worker pool in
    other tests) would inherit without their threads and wait on forever."""
    video = out / "demo.mp4"
    code = (
        "import sys; from tests.script_loader import load_script;"
        "b = load_script('transitions_build', 'datasets/transitions/build.py');"
        "plan = b.plan_video('demo_1', 'test', 0, b.Recipe(video_frames=(350, 450), transitions=(7, 9)));"
        "b.build_video((plan, sys.argv[1], (320, 180)))"
    )
    subprocess.run([sys.executable, "-c", code, str(video)], check=True, cwd=ROOT)
    return video


def test_the_overlay_draws_the_labels_of_labels_csv(tmp_path: Path, monkeypatch) -> None:
    drawn: dict[int, int] = {}
    original = Overlay.draw

    def recording_draw(self, rgb, position, frame_index, pts_s, label, confidence):
        drawn[int(position)] = int(label)
        return original(self, rgb, position, frame_index, pts_s, label, confidence)

    monkeypatch.setattr(Overlay, "draw", recording_draw)
    video = _demo_video(tmp_path)
    assert main(["label", str(video), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    with open(tmp_path / "out" / "demo.labels.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    classes = [c[2:] for c in rows[0] if c.startswith("p_")]
    written = [classes.index(r["label"]) for r in rows]
    assert sorted(drawn) == list(range(len(rows)))
    differ = [i for i, label in enumerate(written) if drawn[i] != label]
    assert differ == [], f"overlay and labels.csv differ on rows {differ}"
    assert len(set(written)) == 3  # the video has shots, cuts and gradual transitions


@pytest.mark.parametrize("chunk", ["1", "500"])
def test_the_overlay_holds_for_any_chunk_size(tmp_path: Path, monkeypatch, chunk: str) -> None:
    drawn: list[int] = []
    original = Overlay.draw

    def recording_draw(self, rgb, position, frame_index, pts_s, label, confidence):
        drawn.append(int(label))
        return original(self, rgb, position, frame_index, pts_s, label, confidence)

    monkeypatch.setattr(Overlay, "draw", recording_draw)
    video = _demo_video(tmp_path)
    out = tmp_path / "out"
    assert main(["label", str(video), "--out", str(out), "--quiet", "--chunk-size", chunk]) == 0
    with open(out / "demo.labels.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    classes = [c[2:] for c in rows[0] if c.startswith("p_")]
    assert drawn == [classes.index(r["label"]) for r in rows]
