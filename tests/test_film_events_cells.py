"""The three cells' configs: equal parameter budgets, each trains through `framelabel fit`, and only
the LSTM checkpoint has gates to trace."""

from __future__ import annotations

import dataclasses

import pytest
import torch
import yaml
from torch import nn

from pipeline.checkpoint.load import load_labeler
from pipeline.commands.train import cli_main
from pipeline.errors import ConfigError
from pipeline.models.gate_trace import GateTracer
from pipeline.models.sequence import SequenceLabeler, SequenceSettings
from tests.script_loader import ROOT

CELLS = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}
# the network's settings in a model config (lr, class weights and the like are the trainer's)
NETWORK_SETTINGS = {f.name for f in dataclasses.fields(SequenceSettings)}


def _config(cell: str) -> dict:
    return yaml.safe_load((ROOT / "configs" / f"film_events_{cell}.yaml").read_text())


def test_cells_have_the_same_parameter_budget():
    counts = {}
    for cell in CELLS:
        model_cfg = {k: v for k, v in _config(cell)["model"].items() if k in NETWORK_SETTINGS}
        model = SequenceLabeler(1280, 9, SequenceSettings(**model_cfg))
        assert isinstance(model.core, CELLS[cell])
        counts[cell] = sum(p.numel() for m in (model.core, model.head) for p in m.parameters())
    assert counts["lstm"] == 100_489  # the figure the configs and the README state
    assert max(counts.values()) / min(counts.values()) < 1.01, counts


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_each_cell_trains_from_its_config(cell, tiny_root, tmp_path):
    cli = cli_main(
        [
            "fit",
            "--config",
            str(ROOT / "configs" / f"film_events_{cell}.yaml"),
            "--data.root",
            str(tiny_root),
            "--data.input_size",
            "64",
            "--trainer.max_epochs",
            "1",
            "--trainer.default_root_dir",
            str(tmp_path),
            "--trainer.enable_progress_bar",
            "false",
            "--trainer.accelerator",
            "cpu",
        ]
    )
    bundle = load_labeler(cli.trainer.checkpoint_callback.last_model_path)
    assert isinstance(bundle.model.core, CELLS[cell])
    assert bundle.model.settings.cell == cell
    feats = torch.randn(1, 12, bundle.model.proj[1].normalized_shape[0])
    if cell == "lstm":
        assert len(GateTracer(bundle.model)(feats, None)) == 12
    else:
        with pytest.raises(ConfigError, match="--gates needs an LSTM model"):
            GateTracer(bundle.model)
