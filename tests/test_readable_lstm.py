"""The gate-by-gate LSTM gives the same h and C as nn.LSTM, and names PyTorch's gate rows right."""

import pytest
import torch
from torch import nn

from pipeline.models.readable_lstm import ReadableLSTM


@pytest.mark.parametrize("num_layers", [1, 2])
def test_same_h_and_c_as_nn_lstm_over_a_long_sequence(num_layers):
    torch.manual_seed(0)
    lstm = nn.LSTM(12, 16, num_layers=num_layers, batch_first=True).eval()
    x = torch.randn(2, 1000, 12)  # (B, T, D)
    h0, c0 = torch.randn(num_layers, 2, 16), torch.randn(num_layers, 2, 16)
    with torch.no_grad():
        want, (h_want, c_want) = lstm(x, (h0, c0))
        got, (h_got, c_got), gates = ReadableLSTM.from_lstm(lstm).run(x, (h0, c0))
    assert (got - want).abs().max() <= 1e-5
    assert (h_got - h_want).abs().max() <= 1e-5
    assert (c_got - c_want).abs().max() <= 1e-5
    assert gates.forget.shape == (num_layers, 2, 1000, 16)
    # every step's C, not only the last one: rerun nn.LSTM to step 500 and compare the belt there
    with torch.no_grad():
        _, (_, c_mid) = lstm(x[:, :500], (h0, c0))
    assert (gates.cell[:, :, 499] - c_mid).abs().max() <= 1e-5


def test_gate_rows_follow_pytorch_order_i_f_g_o():
    lstm = nn.LSTM(3, 2, batch_first=True)
    with torch.no_grad():
        for p in lstm.parameters():
            p.zero_()
        lstm.bias_ih_l0[2:4] = 5.0  # rows 2-3: the forget gate in PyTorch's (i, f, g, o) order
    cell = ReadableLSTM.from_lstm(lstm)
    _, _, gates = cell.run(torch.zeros(1, 1, 3))
    assert torch.allclose(gates.forget, torch.sigmoid(torch.tensor(5.0)).expand(1, 1, 1, 2))
    assert torch.allclose(gates.input, torch.full((1, 1, 1, 2), 0.5))


def test_refuses_a_bidirectional_lstm():
    with pytest.raises(ValueError, match="unidirectional"):
        ReadableLSTM.from_lstm(nn.LSTM(3, 2, bidirectional=True))
