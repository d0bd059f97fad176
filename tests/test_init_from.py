"""`fit --model.init_from CKPT`: training starts from CKPT's weights, and a checkpoint that
does not fit the data or the network is refused with one error naming the difference."""

from __future__ import annotations

import pytest
import torch

from pipeline.checkpoint.load import read_checkpoint
from pipeline.commands.train import cli_main
from pipeline.errors import ConfigError
from tests.train_fixtures import TINY_MODEL_ARGS


def _cli(trained, tmp_path, *extra: str):
    return cli_main(
        [  # run=False: no subcommand, the parts are built and `before_fit` is called by hand
            "--data.root",
            str(trained["root"]),
            "--trainer.default_root_dir",
            str(tmp_path),
            *TINY_MODEL_ARGS,
            *extra,
        ],
        run=False,
    )


def test_the_network_starts_from_the_checkpoint_weights(trained, tmp_path) -> None:
    cli = _cli(trained, tmp_path, "--model.init_from", str(trained["last"]))
    source = read_checkpoint(trained["last"])["state_dict"]
    fresh = {k: v.clone() for k, v in cli.model.model.state_dict().items()}
    assert any(not torch.equal(v, source[f"model.{k}"]) for k, v in fresh.items())
    cli.before_fit()
    for key, value in cli.model.model.state_dict().items():
        assert torch.equal(value, source[f"model.{key}"]), key


def test_without_init_from_nothing_is_loaded(trained, tmp_path) -> None:
    cli = _cli(trained, tmp_path)
    before = {k: v.clone() for k, v in cli.model.model.state_dict().items()}
    cli.before_fit()
    assert all(torch.equal(v, before[k]) for k, v in cli.model.model.state_dict().items())


def test_other_classes_are_refused_naming_both_lists(trained, tmp_path) -> None:
    cli = _cli(trained, tmp_path, "--model.init_from", "default")  # shot / cut / gradual
    with pytest.raises(ConfigError, match=r"its classes \['shot', 'cut', 'gradual'\] differ"):
        cli.before_fit()


def test_another_network_is_refused_naming_the_setting(trained, tmp_path) -> None:
    cli = _cli(
        trained, tmp_path, "--model.init_from", str(trained["last"]), "--model.hidden_size", "16"
    )
    with pytest.raises(ConfigError, match=r"model.hidden_size 16 \(the checkpoint: 32\)"):
        cli.before_fit()


def test_training_only_settings_may_differ(trained, tmp_path) -> None:
    cli = _cli(
        trained,
        tmp_path,
        "--model.init_from",
        str(trained["last"]),
        "--model.dropout",
        "0.5",
        "--model.input_noise",
        "0.2",
    )
    cli.before_fit()  # no error: dropout and noise only shape training
