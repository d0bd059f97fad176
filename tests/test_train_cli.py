"""`framelabel fit|validate|test` through LightningCLI on a tiny dataset made in the test."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import numpy as np
import pytest
import torch

from pipeline.checkpoint.load import load_labeler
from pipeline.cli import main
from pipeline.commands.train import cli_main
from tests.train_fixtures import TINY_MODEL_ARGS


def _args(command: str, root, run_dir, *extra: str) -> list[str]:
    """A command on the tiny dataset with the tiny model, writing under `run_dir`."""
    return [
        command,
        "--data.root",
        str(root),
        "--trainer.default_root_dir",
        str(run_dir),
        *TINY_MODEL_ARGS,
        *extra,
    ]


def _cli(command: str, root, run_dir, *extra: str):
    return cli_main(_args(command, root, run_dir, *extra))


def _main(command: str, root, run_dir, *extra: str) -> int:
    return main(_args(command, root, run_dir, *extra))


CONFIGS = sorted(Path(__file__).parent.parent.joinpath("configs").glob("*.yaml"))


@pytest.mark.parametrize("config", CONFIGS, ids=lambda p: p.name)
def test_every_config_parses(config, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli_main(["fit", "--config", str(config), "--print_config"])
    assert exit_info.value.code == 0
    assert "data:" in capsys.readouterr().out


def test_fast_dev_run(tiny_root, tmp_path):
    cli = _cli("fit", str(tiny_root), str(tmp_path), "--trainer.fast_dev_run", "true")
    assert cli.trainer.global_step == 1


def test_checkpoint_is_self_contained(trained):
    ckpt = torch.load(trained["best"], map_location="cpu", weights_only=True)
    hparams = ckpt["hyper_parameters"]
    assert hparams["class_names"] == ["calm", "busy", "dark"]
    assert hparams["encoder"]["name"] == "efficientnet_lite0"
    assert hparams["encoder"]["input_size"] == 64
    assert hparams["preprocessing"]["size"] in ([64, 64], (64, 64))
    bundle = load_labeler(trained["best"])
    assert bundle.causal and bundle.class_names == ["calm", "busy", "dark"]


def test_second_fit_reads_features_from_the_cache(trained, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="pipeline")
    _cli("fit", str(trained["root"]), str(tmp_path), "--trainer.max_epochs", "1")
    assert "decoding" not in caplog.text
    assert "features from cache: 2, decoded: 0" in caplog.text


def test_test_command_reports_segment_metrics(trained, tmp_path):
    cli = _cli("test", str(trained["root"]), str(tmp_path), "--ckpt_path", str(trained["best"]))
    metrics = cli.trainer.callback_metrics
    for name in (
        "test/frame_acc",
        "test/macro_f1",
        "test/edit",
        "test/f1@10",
        "test/f1@25",
        "test/f1@50",
    ):
        assert name in metrics
    assert float(metrics["test/frame_acc"]) > 0.6  # the tiny classes are visible in every frame


def test_resume_continues_from_the_saved_step(trained, tmp_path):
    cli = _cli(
        "fit",
        str(trained["root"]),
        str(tmp_path),
        "--ckpt_path",
        str(trained["last"]),
        "--trainer.max_epochs",
        "5",
    )
    steps_per_epoch = trained["global_step"] // 4
    assert cli.trainer.global_step == trained["global_step"] + steps_per_epoch


def test_typo_in_a_class_name_fails_before_training(tiny_root, tmp_path, capsys):
    bad = tmp_path / "bad"
    bad.mkdir()
    for item in ("classes.txt", "splits"):
        (bad / item).symlink_to(tiny_root / item)
    (bad / "videos").symlink_to(tiny_root / "videos")
    rows = (tiny_root / "annotations.csv").read_text().splitlines()
    rows[3] = rows[3].replace("busy", "bussy").replace("calm", "clam").replace("dark", "drak")
    (bad / "annotations.csv").write_text("\n".join(rows) + "\n")
    code = _main("fit", str(bad), str(tmp_path), "--trainer.max_epochs", "1")
    err = [line for line in capsys.readouterr().err.splitlines() if "error" in line]
    assert code != 0
    assert len(err) == 1 and err[0].startswith("framelabel: error:")
    assert "annotations.csv:4" in err[0] and "'drak'" in err[0]
    assert not list(bad.glob(".cache/features/*.npz"))  # failed before decoding anything


def test_extract_then_train_on_the_mstcn_export(trained, tmp_path, capsys):
    export = tmp_path / "mstcn"
    code = main(["extract", str(trained["root"]), "--input-size", "64", "--mstcn-out", str(export)])
    assert code == 0
    assert re.search(
        r"4 videos \(\d decoded now, \d from cache\), 192 frames", capsys.readouterr().out
    )
    feats = sorted((export / "features").glob("*.npy"))
    assert len(feats) == 4 and np.load(feats[0]).shape == (1280, 48)
    assert (export / "mapping.txt").read_text().split() == ["0", "calm", "1", "busy", "2", "dark"]
    cli = _cli("fit", str(export), str(tmp_path), "--trainer.fast_dev_run", "true")
    assert cli.trainer.global_step == 1 and cli.model.hparams.feature_dim == 1280


def test_end_to_end_finetuning_saves_the_encoder_and_labels(trained, tmp_path):
    cli = _cli(
        "fit",
        str(trained["root"]),
        str(tmp_path),
        "--data.finetune",
        "true",
        "--trainer.max_epochs",
        "1",
        "--trainer.limit_train_batches",
        "2",
        "--data.window",
        "4",
        "--data.batch_size",
        "2",
    )
    ckpt_path = cli.trainer.checkpoint_callback.last_model_path
    bundle = load_labeler(ckpt_path)
    assert bundle.encoder_state is not None
    before = load_labeler(trained["best"])  # frozen run: no encoder weights stored
    assert before.encoder_state is None
    from pipeline.encoders import build_encoder

    pretrained = build_encoder(bundle.encoder_spec).state_dict()
    changed = [k for k, v in bundle.encoder_state.items() if not torch.equal(v, pretrained[k])]
    assert changed  # the encoder really trained
    video = trained["root"] / "videos" / "v3.mp4"
    assert (
        main(
            [
                "label",
                str(video),
                "--model",
                ckpt_path,
                "--no-video",
                "--quiet",
                "--out",
                str(tmp_path / "out"),
            ]
        )
        == 0
    )


def test_predict_returns_probabilities_per_held_out_video(trained, tmp_path):
    cli = _cli("predict", str(trained["root"]), str(tmp_path), "--ckpt_path", str(trained["best"]))
    outputs = [item for batch in cli.trainer.predict_loop.predictions for item in batch]
    assert [o["name"] for o in outputs] == ["v3"]
    probs = outputs[0]["probs"]
    assert probs.shape == (48, 3) and np.allclose(probs.sum(1), 1, atol=1e-5)
