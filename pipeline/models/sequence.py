"""The sequence model: per-frame features in, per-frame class logits out.

`forward` runs whole sequences (training, offline); `step` runs a chunk and carries the state
(LSTM (h, c) and the previous frame's features), so a video labelled in chunks gives the same
logits as one full pass (streaming = offline).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# Carried between chunks: "h", "c" (layers * directions, B, H) and "past" (B, history, D).
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
        similarity_lags: also feed the cosine similarity of each frame's features to those of
            the frames this many steps back (e.g. [1, 2, 4, 8, 16]): how much the picture changed
            over several time scales, whatever the picture is — cues that carry over to footage
            unlike the training data.
        appearance: feed the features themselves; False leaves only the change cues (delta,
            similarities), which cannot memorise what the training footage looked like.
        input_noise: std of Gaussian noise added to the features in training (in units of each
            feature's std over the batch), so the model cannot key on exact background values.
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
        similarity_lags: list[int] | tuple[int, ...] = (),
        appearance: bool = True,
        input_noise: float = 0.0,
    ) -> None:
        super().__init__()
        self.input_noise = input_noise
        self.memory = memory
        self.bidirectional = bidirectional and memory
        self.delta = delta
        self.appearance = appearance
        self.lags = tuple(int(k) for k in similarity_lags)
        if any(k < 1 for k in self.lags) or not (appearance or delta or self.lags):
            raise ValueError("similarity_lags must be >= 1, and the model needs some input")
        self.history = max((*self.lags, 1 if delta else 0))  # past frames the inputs look at
        in_features = feature_dim * (int(appearance) + int(delta))
        self.proj = None
        if in_features:
            layers = [nn.Dropout(input_dropout), nn.LayerNorm(in_features)]
            if proj_dim:
                layers += [nn.Linear(in_features, proj_dim), nn.GELU(), nn.Dropout(dropout)]
            self.proj = nn.Sequential(*layers)
        in_dim = ((proj_dim or in_features) if in_features else 0) + len(self.lags)
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

    def _inputs(self, feats: torch.Tensor, past: torch.Tensor | None) -> torch.Tensor:
        """(B, T, D) -> (B, T, P). `past` holds the `history` frames before this chunk; at the
        start of a video the first frame stands in for them (no change yet)."""
        steps = feats.shape[1]
        if self.training and self.input_noise > 0:
            scale = feats.flatten(0, 1).std(0)  # (D,)
            feats = feats + self.input_noise * scale * torch.randn_like(feats)
        if past is None:
            past = feats[:, :1].expand(-1, self.history, -1)
        padded = torch.cat([past, feats], 1)  # (B, history + T, D)

        def lagged(k: int) -> torch.Tensor:  # frame t - k for every t in the chunk: (B, T, D)
            return padded[:, self.history - k : self.history - k + steps]

        parts = [feats] if self.appearance else []
        if self.delta:
            parts.append(feats - lagged(1))
        out = [self.proj(torch.cat(parts, -1))] if parts else []  # (B, T, P)
        out += [F.cosine_similarity(feats, lagged(k), dim=-1)[..., None] for k in self.lags]
        return torch.cat(out, -1)  # (B, T, P + lags)

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
        x = self._inputs(feats, state.get("past"))  # (B, T, P)
        carried = {}
        if self.history:  # the last `history` frames, for the next chunk's change cues
            past = state.get("past", feats[:, :1].expand(-1, self.history, -1))
            carried["past"] = torch.cat([past, feats], 1)[:, -self.history :]
        if not self.memory:
            return self.head(self.core(x)), carried
        hc = (state["h"], state["c"]) if "h" in state else None
        out, (h, c) = self.core(x, hc)
        return self.head(out), {**carried, "h": h, "c": c}
