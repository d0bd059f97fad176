"""Session fixtures shared by the training and labeling tests (loaded with `-p`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.tiny_dataset import write_tiny_dataset

TINY_MODEL_ARGS = [
    "--model.hidden_size",
    "32",
    "--model.proj_dim",
    "32",
    "--model.lr",
    "0.01",
    "--data.input_size",
    "64",
    "--data.window",
    "16",
    "--data.batch_size",
    "4",
    "--trainer.accelerator",
    "cpu",
    "--trainer.enable_progress_bar",
    "false",
]


@pytest.fixture(scope="session")
def tiny_root(tmp_path_factory) -> Path:
    return write_tiny_dataset(tmp_path_factory.mktemp("tiny") / "data")


@pytest.fixture(scope="session")
def trained(tiny_root, tmp_path_factory) -> dict:
    """One real (short) training run through the CLI: its checkpoints and run folder."""
    from pipeline.commands.train import cli_main

    run_dir = tmp_path_factory.mktemp("run")
    cli = cli_main(
        [
            "fit",
            "--data.root",
            str(tiny_root),
            "--trainer.max_epochs",
            "4",
            "--trainer.default_root_dir",
            str(run_dir),
            *TINY_MODEL_ARGS,
        ]
    )
    callback = cli.trainer.checkpoint_callback
    return {
        "best": Path(callback.best_model_path),
        "last": Path(callback.last_model_path),
        "global_step": cli.trainer.global_step,
        "run_dir": run_dir,
        "root": tiny_root,
    }
