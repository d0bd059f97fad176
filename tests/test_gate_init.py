"""Gate initialisation: the biases a built model starts from, in every layer and direction, and
what chrono initialisation buys: a cue held over a gap the default initialisation never bridges."""

from __future__ import annotations

import math

import pytest
import torch

from pipeline.errors import ConfigError
from pipeline.models.sequence import SequenceLabeler, SequenceSettings

HIDDEN = 8


def _core(cell: str, gate_init: str, layers: int = 2, **extra) -> torch.nn.RNNBase:
    settings = SequenceSettings(
        hidden_size=HIDDEN, num_layers=layers, proj_dim=0, cell=cell, gate_init=gate_init, **extra
    )
    return SequenceLabeler(5, 3, settings).core


def _biases(core: torch.nn.RNNBase, kind: str) -> list[torch.Tensor]:
    return [p.detach() for name, p in core.named_parameters() if name.startswith(kind)]


def test_chrono_lstm_sets_forget_and_input_gates_in_every_layer():
    core = _core("lstm", "chrono", chrono_tmax=500)
    ih, hh = _biases(core, "bias_ih"), _biases(core, "bias_hh")
    assert len(ih) == len(hh) == 2  # both layers
    for bias_ih, bias_hh in zip(ih, hh, strict=True):
        i, f, g, o = bias_ih.split(HIDDEN)  # PyTorch's gate order
        assert torch.all(bias_hh == 0)
        assert torch.all((f >= 0) & (f <= math.log(499) + 1e-6))
        assert f.std() > 0.1  # spread over time scales, not one value
        assert torch.equal(i, -f)
        assert torch.all(g == 0) and torch.all(o == 0)


def test_chrono_gru_sets_the_update_gate_and_zeroes_the_rest():
    for bias_ih, bias_hh in zip(
        _biases(_core("gru", "chrono", chrono_tmax=100), "bias_ih"),
        _biases(_core("gru", "chrono", chrono_tmax=100), "bias_hh"),
        strict=True,
    ):
        r, z, n = bias_ih.split(HIDDEN)  # z keeps the old state: h' = (1 - z) n + z h
        assert torch.all(bias_hh == 0)
        assert torch.all((z >= 0) & (z <= math.log(99) + 1e-6)) and z.std() > 0.1
        assert torch.all(r == 0) and torch.all(n == 0)


def test_bidirectional_reverse_direction_is_initialised_too():
    settings = SequenceSettings(
        hidden_size=HIDDEN, proj_dim=0, bidirectional=True, gate_init="forget_bias"
    )
    core = SequenceLabeler(5, 3, settings).core
    ih = dict((name, p.detach()) for name, p in core.named_parameters() if "bias_ih" in name)
    assert set(ih) == {"bias_ih_l0", "bias_ih_l0_reverse"}
    for bias in ih.values():
        assert torch.all(bias.split(HIDDEN)[1] == 1.0)


def test_forget_bias_and_default():
    forget = _core("lstm", "forget_bias", forget_bias=2.0)
    for bias in _biases(forget, "bias_ih"):
        assert torch.all(bias.split(HIDDEN)[1] == 2.0)
    torch.manual_seed(0)
    default = _core("lstm", "default")
    assert all(bias.abs().sum() > 0 for bias in _biases(default, "bias_hh"))  # PyTorch's own


def test_rnn_has_no_gate_and_is_left_as_built():
    torch.manual_seed(0)
    plain = [b.clone() for b in _biases(_core("rnn", "default"), "bias")]
    torch.manual_seed(0)
    chrono = _biases(_core("rnn", "chrono"), "bias")
    assert all(torch.equal(a, b) for a, b in zip(plain, chrono, strict=True))


def test_settings_without_gate_init_load_as_before():
    assert SequenceSettings.from_hparams({"hidden_size": 16}).gate_init == "default"
    with pytest.raises(ConfigError, match="gate_init"):
        SequenceSettings(gate_init="warp")
    with pytest.raises(ConfigError, match="chrono_tmax"):
        SequenceSettings(chrono_tmax=1)


GAP = 200  # frames between the cue and the frames that need it


def _cue_batch(n: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """A sign shown in channel 0 for 3 frames, GAP frames of noise, then 3 query frames
    (channel 1) whose label is the sign; every other frame is unlabelled."""
    steps = GAP + 6
    x = 0.1 * torch.randn(n, steps, 4, generator=generator)
    key = torch.randint(0, 2, (n,), generator=generator)
    x[:, :3, 0] += (2 * key - 1)[:, None].float()
    x[:, -3:, 1] += 1.0
    y = torch.full((n, steps), -1)
    y[:, -3:] = key[:, None]
    return x, y


def _train_and_score(gate_init: str, seed: int = 0, steps: int = 200) -> float:
    torch.manual_seed(seed)
    settings = SequenceSettings(
        hidden_size=32, proj_dim=0, dropout=0.0, gate_init=gate_init, chrono_tmax=GAP + 10
    )
    model = SequenceLabeler(4, 2, settings)
    optimiser = torch.optim.Adam(model.parameters(), 1e-2)
    generator = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        x, y = _cue_batch(32, generator)
        loss = torch.nn.functional.cross_entropy(
            model(x).flatten(0, 1), y.flatten(), ignore_index=-1
        )
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    model.eval()
    x, y = _cue_batch(256, torch.Generator().manual_seed(999))
    with torch.no_grad():
        predicted = model(x).argmax(-1)
    return float((predicted[:, -3:] == y[:, -3:]).float().mean())


def test_chrono_holds_a_cue_over_a_gap_the_default_init_loses():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a small recurrent model: one thread is fastest and reproducible
    try:
        default, chrono = _train_and_score("default"), _train_and_score("chrono")
    finally:
        torch.set_num_threads(threads)
    print({"default": default, "chrono": chrono})
    assert default < 0.6  # the two-way chance level: the cue never crossed the gap
    assert chrono > 0.95
