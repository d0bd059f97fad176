"""The context benchmark in miniature: on held-out videos, the causal LSTM labels the frames
that need memory far better than the frame-only model trained on the same cached features."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.commands.train import cli_main
from tests.script_loader import ROOT, load_script

TINY_BUILD = [
    "--videos",
    "16",
    "--frames",
    "300",
    "--size",
    "96x72",
    "--min-gap",
    "60",
    "--max-gap",
    "120",
    "--seed",
    "3",
]


@pytest.fixture(scope="module")
def tiny_film_events(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("film_events") / "data"
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "datasets" / "film_events" / "build.py"),
            "--out",
            str(out),
            *TINY_BUILD,
        ],
        check=True,
        capture_output=True,
    )
    return out


def _fit(config: str, root: Path, run_dir: Path) -> str:
    cli = cli_main(
        [
            "fit",
            "--config",
            str(ROOT / "configs" / config),
            "--data.root",
            str(root),
            "--data.input_size",
            "64",
            "--trainer.max_epochs",
            "40",
            "--trainer.default_root_dir",
            str(run_dir),
            "--trainer.enable_progress_bar",
            "false",
            "--trainer.accelerator",
            "cpu",
        ]
    )
    return cli.trainer.checkpoint_callback.last_model_path


def test_memory_beats_one_frame_at_a_time(tiny_film_events, tmp_path):
    lstm = _fit("film_events.yaml", tiny_film_events, tmp_path / "lstm")
    frame_only = _fit("film_events_frame_only.yaml", tiny_film_events, tmp_path / "frame")
    evaluate = load_script("eval_film_events", "scripts/eval_film_events.py")
    held_out = {
        name: evaluate.score(ckpt, tiny_film_events, "test")
        for name, ckpt in (("lstm", lstm), ("frame_only", frame_only))
    }
    print(held_out)
    # At this size (16 short videos, 40 epochs) the LSTM is far from the full benchmark's 0.99,
    # but it still labels about twice as many memory-only frames right as the frame-only model.
    lstm_ok, frame_ok = held_out["lstm"]["ambiguous"], held_out["frame_only"]["ambiguous"]
    assert lstm_ok > 1.5 * frame_ok and lstm_ok > frame_ok + 0.1
