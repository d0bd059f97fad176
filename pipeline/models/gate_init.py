"""How the gate biases of a recurrent core start: PyTorch's default, a forget-gate bias, or
chrono initialisation (Tallec & Ollivier, 2018, "Can recurrent neural networks warp time?").

A gate's bias sets the time scale its unit remembers over: a forget gate f holds a value for
about 1 / (1 - f) steps. PyTorch's default (uniform around 0, so f ~ 0.5) starts every unit with
a memory of about two frames; chrono spreads the units' starting time scales over 1..T_max,
forget bias b_f = log(U[1, T_max - 1]) and input bias b_i = -b_f, so some units hold a cue
for as long as the longest gap in the data from the first step of training.

PyTorch adds two biases in every gate (`bias_ih` and `bias_hh`): the value goes into `bias_ih`
and `bias_hh` is zeroed, so the sum is what the paper prescribes. Every layer and direction gets
it. The plain tanh RNN has no gate: every mode leaves it as PyTorch built it.
"""

from __future__ import annotations

import torch
from torch import nn

GATE_INITS = ("default", "forget_bias", "chrono")


def chrono_biases(hidden: int, tmax: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """(hidden,) forget-gate biases log(U[1, tmax - 1]): time scales spread up to tmax frames."""
    low, high = 1.0, float(max(tmax - 1, 2))
    uniform = low + (high - low) * torch.rand(hidden, generator=generator)
    return uniform.log()


def _gate_slices(cell: str, hidden: int) -> tuple[slice, slice]:
    """(keep, write) gate rows of a bias vector: the LSTM's forget and input gates (PyTorch order
    i, f, g, o), the GRU's update gate z (order r, z, n; z keeps the old state) and none."""
    rows = {k: slice(k * hidden, (k + 1) * hidden) for k in range(4)}
    if cell == "lstm":
        return rows[1], rows[0]
    return rows[1], slice(0, 0)  # gru: the write share is 1 - z, already tied to z


def init_gates(
    core: nn.RNNBase, cell: str, mode: str, forget_bias: float = 1.0, tmax: int = 1000
) -> None:
    """Set the gate biases of `core` (an nn.LSTM or nn.GRU) in place, in every layer and
    direction; `mode` is one of GATE_INITS. A tanh RNN (no gates) is left as built."""
    if mode not in GATE_INITS:
        raise ValueError(f"gate_init={mode!r}: expected one of {GATE_INITS}")
    if mode == "default" or cell not in ("lstm", "gru"):
        return
    hidden = core.hidden_size
    keep, write = _gate_slices(cell, hidden)
    with torch.no_grad():
        for name, bias in core.named_parameters():
            if name.startswith("bias_hh"):
                bias.zero_()
            elif name.startswith("bias_ih"):
                bias.zero_()
                value = (
                    chrono_biases(hidden, tmax)
                    if mode == "chrono"
                    else torch.full((hidden,), float(forget_bias))
                )
                bias[keep] = value
                if cell == "lstm" and mode == "chrono":
                    bias[write] = -value
