"""The sequence model: per-frame features in, per-frame class logits out.

`forward` runs whole sequences (training, offline); `step` runs a chunk and carries the state
(LSTM (h, c) and the previous frame's features), so a video labelled in chunks gives the same
logits as one full pass (streaming = offline).
"""

from __future__ import annotations

import torch
from torch import nn

# Carried between chunks: "h", "c" (layers * directions, B, H) and "last" (B, 1, D) features.
State = dict[str, torch.Tensor]


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
        delta: also feed the change from the previous frame's features (f_t - f_{t-1}): an
            explicit, causal cue for events defined by change, such as shot cuts.
        input_dropout: dropout on the raw features, against overfitting to a few sources.
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
        delta: bool = False,
        input_dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.memory = memory
        self.bidirectional = bidirectional and memory
        self.delta = delta
        in_features = feature_dim * (2 if delta else 1)
        in_dim = proj_dim or in_features
        self.proj = nn.Sequential(
            nn.Dropout(input_dropout),
            nn.LayerNorm(in_features),
            *(
                [nn.Linear(in_features, proj_dim), nn.GELU(), nn.Dropout(dropout)]
                if proj_dim
                else []
            ),
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

    def _inputs(self, feats: torch.Tensor, last: torch.Tensor | None) -> torch.Tensor:
        """(B, T, D) -> (B, T, P); `last` is the frame before this chunk (None: the first frame
        counts as unchanged)."""
        if self.delta:
            previous = torch.cat([feats[:, :1] if last is None else last, feats[:, :-1]], 1)
            feats = torch.cat([feats, feats - previous], -1)  # (B, T, 2D)
        return self.proj(feats)

    def forward(self, feats: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """(B, T, D) features -> (B, T, C) logits. `lengths` matters only for the bidirectional
        model: a causal model's outputs at t < length never see the right padding."""
        x = self._inputs(feats, None)  # (B, T, P)
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

    def step(self, feats: torch.Tensor, state: State | None = None) -> tuple[torch.Tensor, State]:
        """One chunk of a stream: (B, T, D) features and the carried state -> (B, T, C) logits and
        the state after the chunk's last frame."""
        if self.bidirectional:
            raise RuntimeError("a bidirectional model sees the future and cannot be streamed")
        state = state or {}
        x = self._inputs(feats, state.get("last"))  # (B, T, P)
        carried = {"last": feats[:, -1:]}
        if not self.memory:
            return self.head(self.core(x)), carried
        hc = (state["h"], state["c"]) if "h" in state else None
        out, (h, c) = self.core(x, hc)
        return self.head(out), {**carried, "h": h, "c": c}
