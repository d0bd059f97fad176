"""The sequence model: per-frame features in, per-frame class logits out.

`forward` runs whole sequences (training, offline); `step` runs a chunk and carries the LSTM
state, so a video labelled in chunks gives the same logits as one full pass (streaming = offline).
"""

from __future__ import annotations

import torch
from torch import nn

State = tuple[torch.Tensor, torch.Tensor]  # (h, c), each (layers * directions, B, H)


class SequenceLabeler(nn.Module):
    """Input projection -> causal LSTM (or none, for the frame-only baseline) -> linear head.

    Args:
        feature_dim: size of one frame's feature vector (the encoder's output).
        num_classes: number of labels.
        hidden_size: LSTM hidden size.
        num_layers: stacked LSTM layers.
        dropout: dropout after the projection and between LSTM layers.
        proj_dim: width of the input projection (LayerNorm -> Linear -> GELU); 0 feeds features as is.
        memory: False replaces the LSTM by a per-frame MLP: a baseline that sees one frame at a time.
        bidirectional: offline-only option; such a model cannot be streamed and is not causal.
    """

    def __init__(
        self,
        feature_dim: int,
        num_classes: int,
        hidden_size: int = 256,
        num_layers: int = 1,
        dropout: float = 0.2,
        proj_dim: int = 256,
        memory: bool = True,
        bidirectional: bool = False,
    ) -> None:
        super().__init__()
        self.memory = memory
        self.bidirectional = bidirectional and memory
        in_dim = proj_dim or feature_dim
        self.proj = (
            nn.Sequential(
                nn.LayerNorm(feature_dim),
                nn.Linear(feature_dim, proj_dim),
                nn.GELU(),
                nn.Dropout(dropout),
            )
            if proj_dim
            else nn.LayerNorm(feature_dim)
        )
        if memory:
            self.core: nn.Module = nn.LSTM(
                in_dim,
                hidden_size,
                num_layers=num_layers,
                batch_first=True,
                dropout=dropout if num_layers > 1 else 0.0,
                bidirectional=self.bidirectional,
            )
        else:  # same capacity budget, no access to other frames
            self.core = nn.Sequential(
                nn.Linear(in_dim, hidden_size), nn.GELU(), nn.Dropout(dropout)
            )
        out_dim = hidden_size * (2 if self.bidirectional else 1)
        self.head = nn.Linear(out_dim, num_classes)

    @property
    def causal(self) -> bool:
        return not self.bidirectional

    def forward(self, feats: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """(B, T, D) features -> (B, T, C) logits. `lengths` matters only for the bidirectional
        model: a causal model's outputs at t < length never see the right padding."""
        x = self.proj(feats)  # (B, T, P)
        if not self.memory:
            return self.head(self.core(x))
        if self.bidirectional and lengths is not None:
            packed = nn.utils.rnn.pack_padded_sequence(
                x, lengths.cpu(), batch_first=True, enforce_sorted=False
            )
            out, _ = self.core(packed)
            out, _ = nn.utils.rnn.pad_packed_sequence(
                out, batch_first=True, total_length=x.shape[1]
            )
        else:
            out, _ = self.core(x)  # (B, T, H * directions)
        return self.head(out)

    def step(
        self, feats: torch.Tensor, state: State | None = None
    ) -> tuple[torch.Tensor, State | None]:
        """One chunk of a stream: (B, T, D) features and the carried state -> (B, T, C) logits and
        the state after the chunk's last frame."""
        if self.bidirectional:
            raise RuntimeError("a bidirectional model sees the future and cannot be streamed")
        x = self.proj(feats)  # (B, T, P)
        if not self.memory:
            return self.head(self.core(x)), None
        out, state = self.core(x, state)
        return self.head(out), state
