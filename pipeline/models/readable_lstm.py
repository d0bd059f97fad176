"""The LSTM written out gate by gate, for inspection: the same numbers as `nn.LSTM`, readable.

The cell state C is a conveyor belt running along the sequence. At each frame the forget
gate f decides how much of each unit of C to keep, the input gate i and the tanh candidate
C~ what to write onto it, and the output gate o how much of it to show as the hidden state h:

    f  = sigmoid(W_f [h, x] + b_f)        what to keep of the belt
    i  = sigmoid(W_i [h, x] + b_i)        how much to write
    C~ = tanh(W_C [h, x] + b_C)           what to write
    C  = f * C + i * C~                   the belt after this frame
    o  = sigmoid(W_o [h, x] + b_o)        what to show
    h  = o * tanh(C)

`ReadableLSTM.from_lstm(trained_nn_lstm)` takes its weights as they are. The fast path (training,
labeling) stays `nn.LSTM`; this module is for looking at the gates (`pipeline.models.gate_trace`)
and is tested to give the same h and C as `nn.LSTM` over long sequences.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

# PyTorch stacks the four gates' rows in weight_ih_l{k} / weight_hh_l{k} / bias_*_l{k} in this
# order (see the nn.LSTM docs: "(W_ii|W_if|W_ig|W_io)"); "g" is the tanh candidate C~.
TORCH_GATE_ORDER = ("i", "f", "g", "o")


@dataclass(frozen=True)
class LayerWeights:
    """One layer's gates, each acting on the concatenation [h, x] as in the textbook form."""

    W_f: torch.Tensor  # (H, H + D) forget gate
    W_i: torch.Tensor  # (H, H + D) input gate
    W_C: torch.Tensor  # (H, H + D) candidate
    W_o: torch.Tensor  # (H, H + D) output gate
    b_f: torch.Tensor  # (H,)
    b_i: torch.Tensor  # (H,)
    b_C: torch.Tensor  # (H,)
    b_o: torch.Tensor  # (H,)


@dataclass
class Gates:
    """Every gate of every layer at every step: each (L, B, T, H)."""

    forget: torch.Tensor
    input: torch.Tensor
    candidate: torch.Tensor
    output: torch.Tensor
    cell: torch.Tensor  # C after the step
    hidden: torch.Tensor  # h after the step


def _layer_weights(lstm: nn.LSTM, layer: int) -> LayerWeights:
    """Split nn.LSTM's stacked (i, f, g, o) rows of one layer into named textbook gates."""
    w_ih = getattr(lstm, f"weight_ih_l{layer}").detach()  # (4H, D)
    w_hh = getattr(lstm, f"weight_hh_l{layer}").detach()  # (4H, H)
    zeros = torch.zeros(w_ih.shape[0], dtype=w_ih.dtype, device=w_ih.device)  # (4H,)
    b_ih = getattr(lstm, f"bias_ih_l{layer}").detach() if lstm.bias else zeros  # (4H,)
    b_hh = getattr(lstm, f"bias_hh_l{layer}").detach() if lstm.bias else zeros  # (4H,)
    w_cat = torch.cat([w_hh, w_ih], dim=1)  # (4H, H + D): columns for [h, x]
    rows = dict(zip(TORCH_GATE_ORDER, w_cat.chunk(4, dim=0), strict=True))  # each (H, H + D)
    bias = dict(zip(TORCH_GATE_ORDER, (b_ih + b_hh).chunk(4), strict=True))  # each (H,)
    return LayerWeights(
        W_f=rows["f"], W_i=rows["i"], W_C=rows["g"], W_o=rows["o"],
        b_f=bias["f"], b_i=bias["i"], b_C=bias["g"], b_o=bias["o"],
    )  # fmt: skip


class ReadableLSTM:
    """A stacked, unidirectional LSTM computed one gate at a time (batch-first input).

    Args:
        layers: per-layer weights, bottom layer first.
    """

    def __init__(self, layers: list[LayerWeights]) -> None:
        self.layers = layers
        self.hidden_size = layers[0].b_f.shape[0]

    @classmethod
    def from_lstm(cls, lstm: nn.LSTM) -> ReadableLSTM:
        """The gates of a (trained) nn.LSTM; it must be unidirectional and without projections."""
        if lstm.bidirectional or getattr(lstm, "proj_size", 0):
            raise ValueError("ReadableLSTM reads unidirectional nn.LSTM without proj_size only")
        return cls([_layer_weights(lstm, k) for k in range(lstm.num_layers)])

    @staticmethod
    def cell(
        w: LayerWeights, x: torch.Tensor, h: torch.Tensor, C: torch.Tensor
    ) -> tuple[torch.Tensor, ...]:
        """One step of one layer: x (B, D), h (B, H), C (B, H) -> f, i, C~, o, C, h (each (B, H))."""
        hx = torch.cat([h, x], dim=-1)  # (B, H + D)  [h, x]
        f = torch.sigmoid(hx @ w.W_f.T + w.b_f)  # (B, H)  forget: share of C kept
        i = torch.sigmoid(hx @ w.W_i.T + w.b_i)  # (B, H)  input: share of C~ written
        C_tilde = torch.tanh(hx @ w.W_C.T + w.b_C)  # (B, H)  candidate values
        C = f * C + i * C_tilde  # (B, H)  the conveyor belt after this step
        o = torch.sigmoid(hx @ w.W_o.T + w.b_o)  # (B, H)  output: share of tanh(C) shown
        h = o * torch.tanh(C)  # (B, H)
        return f, i, C_tilde, o, C, h

    def run(
        self,
        x: torch.Tensor,
        hc: tuple[torch.Tensor, torch.Tensor] | None = None,
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor], Gates]:
        """Like `nn.LSTM(batch_first=True)` in eval mode: x (B, T, D) and optional (h0, c0), each
        (L, B, H) -> output (B, T, H), (h_T, c_T) each (L, B, H), and every gate as `Gates`."""
        batch, steps = x.shape[:2]
        n_layers, size = len(self.layers), self.hidden_size
        if hc is None:
            zeros = x.new_zeros(n_layers, batch, size)  # (L, B, H)
            hc = (zeros, zeros)
        h_all, c_all = list(hc[0].unbind(0)), list(hc[1].unbind(0))  # L x (B, H)
        record = {k: x.new_empty(n_layers, batch, steps, size) for k in "fiCoch"}  # (L, B, T, H)
        for t in range(steps):
            below = x[:, t]  # (B, D): the bottom layer reads the frame's input
            for k, w in enumerate(self.layers):
                f, i, C_tilde, o, C, h = self.cell(w, below, h_all[k], c_all[k])  # each (B, H)
                h_all[k], c_all[k] = h, C
                for name, value in zip("fiCoch", (f, i, C_tilde, o, C, h), strict=True):
                    record[name][k, :, t] = value
                below = h  # (B, H): the next layer reads this layer's h (no dropout: eval mode)
        gates = Gates(*(record[k] for k in "fiCoch"))
        out = gates.hidden[-1]  # (B, T, H): the top layer's h, as nn.LSTM returns
        return out, (torch.stack(h_all), torch.stack(c_all)), gates
