"""Crash-safe training and extraction: SIGKILL in the middle, then resume.

`fit --ckpt_path last` continues from the newest last.ckpt under default_root_dir and ends
where an uninterrupted run with the same seed ends; a killed `extract` leaves only whole cache
entries, and the next run decodes only what is missing.
"""

from __future__ import annotations

import logging
import re
import signal

import pytest

from pipeline.cli import main
from pipeline.commands.train import cli_main
from tests.train_fixtures import TINY_MODEL_ARGS
from tools.fuzz.videos import run_subprocess
from tools.tiny_dataset import write_tiny_dataset

EPOCHS = 5


def _fit_args(root, run_dir, *extra: str) -> list[str]:
    return [
        "fit",
        "--data.root", str(root),
        "--trainer.default_root_dir", str(run_dir),
        "--trainer.max_epochs", str(EPOCHS),
        "--seed_everything", "0",
        *TINY_MODEL_ARGS,
        *extra,
    ]  # fmt: skip


def _val_metrics(cli) -> dict[str, float]:
    return {k: float(v) for k, v in cli.trainer.callback_metrics.items() if k.startswith("val/")}


def test_fit_killed_mid_epoch_resumes_from_last_to_the_same_result(trained, tmp_path):
    root = trained["root"]  # its features are cached: every run here trains at once
    reference = cli_main(_fit_args(root, tmp_path / "ref"))
    expected = _val_metrics(reference)

    run_dir = tmp_path / "run"
    killer = "tests.reliability.crash_helpers.KillDuringEpoch"
    killed = run_subprocess(_fit_args(root, run_dir, "--trainer.callbacks+", killer), 240)
    assert killed.code == -signal.SIGKILL, killed.err[-2000:]
    lasts = sorted(run_dir.glob("lightning_logs/*/checkpoints/last*.ckpt"))
    assert [p.relative_to(run_dir).parts[1] for p in lasts] == ["version_0"]

    resumed = cli_main(_fit_args(root, run_dir, "--ckpt_path", "last"))
    assert resumed.trainer.global_step == reference.trainer.global_step
    got = _val_metrics(resumed)
    assert got.keys() == expected.keys() and got
    for name, value in expected.items():
        assert got[name] == pytest.approx(value, rel=0.01, abs=1e-6), name


def test_fit_ckpt_path_last_with_no_earlier_run_starts_from_scratch(trained, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="pipeline")
    cli = cli_main(_fit_args(trained["root"], tmp_path, "--ckpt_path", "last",
                             "--trainer.max_epochs", "1"))  # fmt: skip
    assert cli.trainer.current_epoch == 1 and "starting from scratch" in caplog.text


def _entries(cache) -> list:
    """Complete cache entries: pathlib's `*` also matches the hidden temp files of writes."""
    return sorted(p for p in cache.glob("*.npz") if not p.name.startswith("."))


def test_extract_killed_midway_keeps_whole_entries_and_resumes(tmp_path, capsys):
    root = write_tiny_dataset(tmp_path / "data", videos=6, frames=96)
    cache = root / ".cache" / "features"
    argv = ["extract", str(root), "--input-size", "64"]
    # SIGKILL the moment the first entry is complete: the second video is being encoded
    killed = run_subprocess(argv, 240, kill_when=lambda: bool(_entries(cache)))
    done = _entries(cache)
    if killed.code == 0:
        pytest.skip(f"extract finished all {len(done)} videos before it could be killed")
    assert killed.code is None, killed.err[-2000:]  # killed, not failed
    assert 0 < len(done) < 6

    assert main(argv) == 0
    decoded, from_cache = map(int, re.findall(
        r"6 videos \((\d+) decoded now, (\d+) from cache\)", capsys.readouterr().out)[0])  # fmt: skip
    assert (from_cache, decoded) == (len(done), 6 - len(done))
    assert len(_entries(cache)) == 6
