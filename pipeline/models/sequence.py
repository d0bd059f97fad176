"""The sequence model: per-frame features in, per-frame class logits out.

`forward` runs whole sequences (training, offline); `step` runs a chunk and carries the state
(the recurrent state and the last frames' features), so a video labelled in chunks gives the
same logits as one full pass (streaming = offline).

Look-ahead: with `lookahead = d`, the label of frame t is read from the recurrent output after
frame t + d, so it may use d frames of the future (a streamed label is d frames late). Past the
end of a video the last frame is repeated; `finish` does the same for a stream.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields

import torch
import torch.nn.functional as F
from torch import nn

from pipeline.errors import ConfigError
from pipeline.models.gate_init import GATE_INITS, init_gates


@dataclass(frozen=True)
class StreamState:
    """What a causal model carries from one chunk of a stream to the next (`step`), and from
    one training window of a lane to the next (`train_window`). The empty state starts a video."""

    h: torch.Tensor | None = None  # (layers * directions, B, H) hidden state
    c: torch.Tensor | None = None  # (layers * directions, B, H) cell state: LSTM only
    past: torch.Tensor | None = None  # (B, history, D) the frames before, for the change cues
    last: torch.Tensor | None = None  # (B, 1, D) the last frame read: look-ahead repeats it
    seen: int = 0  # frames read so far: look-ahead drops the outputs before frame 0

    @property
    def recurrent(self) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor] | None:
        """The state as `nn.LSTM` / `nn.GRU` / `nn.RNN` take it (None: zeros)."""
        if self.h is None:
            return None
        return self.h if self.c is None else (self.h, self.c)

    def detached(self) -> StreamState:
        """The same values cut from the graph (the next window's gradients stop here)."""
        tensors = ("h", "c", "past", "last")
        values = {k: getattr(self, k) for k in tensors if getattr(self, k) is not None}
        return dataclasses.replace(self, **{k: v.detach() for k, v in values.items()})


State = StreamState  # the name older code imports
CELLS: dict[str, type[nn.RNNBase]] = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}


@dataclass(frozen=True)
class SequenceSettings:
    """Everything that shapes a SequenceLabeler beyond its input and output sizes.

    Stored in checkpoints field by field (by name), so adding a setting never shifts another.

    Args:
        hidden_size: recurrent hidden size.
        num_layers: stacked recurrent layers.
        dropout: dropout after the projection and between recurrent layers.
        proj_dim: width of the input projection (LayerNorm -> Linear -> GELU); 0 feeds features as is.
        memory: False replaces the recurrent core by a per-frame MLP: a baseline that sees one
            frame at a time.
        bidirectional: offline-only option; such a model cannot be streamed and is not causal.
        delta: also feed the change from the previous frame's features (f_t - f_{t-1}).
        input_dropout: dropout on the raw features, against overfitting to a few sources.
        similarity_lags: also feed the cosine similarity of each frame's features to those of
            the frames this many steps back (e.g. [1, 2, 4, 8, 16]): how much the picture changed
            over several time scales, whatever the picture is.
        appearance: feed the features themselves; False leaves only the change cues.
        input_noise: std of Gaussian noise added to the features in training (in units of each
            feature's std over the batch), so the model cannot key on exact background values.
        cell: the recurrent cell: "lstm", "gru", or "rnn" (a single tanh layer, `nn.RNN`).
        lookahead: frames of the future the label of a frame may see (0 = strictly causal).
        similarity_groups: sizes of consecutive slices of the feature vector that get one
            similarity each per lag (e.g. the `cues` encoder's descriptors,
            `pipeline.encoders.cues.GROUP_SIZES`); empty compares the whole vector.
        difference_groups: indices of `similarity_groups` compared by their mean absolute
            difference instead (1 - 4 x mean |a - b|: 1 = unchanged), for raw values such as
            `cues_hsv`'s HSV thumbnail (PySceneDetect's content score).
        region_sets: counts of the last `similarity_groups` that form sets of equal-size
            descriptors of regions of the picture (e.g. [9, 9]: `cues_regions`' colour and
            layout per cell of a 3x3 grid). Each set's similarities are sorted per lag, so the
            model reads how much of the picture changed, not where.
        gate_init: how the gate biases start (`pipeline.models.gate_init`): "default"
            (PyTorch's), "forget_bias" (the forget / GRU update gate at `forget_bias`) or
            "chrono" (time scales spread over 1..`chrono_tmax` frames). No effect on the RNN.
        forget_bias: the keep-gate bias of `gate_init: forget_bias`.
        chrono_tmax: the longest gap, in frames, chrono initialisation prepares the cell for.
    """

    hidden_size: int = 256
    num_layers: int = 1
    dropout: float = 0.2
    proj_dim: int = 256
    memory: bool = True
    bidirectional: bool = False
    delta: bool = False
    input_dropout: float = 0.0
    similarity_lags: tuple[int, ...] = ()
    appearance: bool = True
    input_noise: float = 0.0
    cell: str = "lstm"
    lookahead: int = 0
    similarity_groups: tuple[int, ...] = ()
    difference_groups: tuple[int, ...] = ()
    region_sets: tuple[int, ...] = ()
    gate_init: str = "default"
    forget_bias: float = 1.0
    chrono_tmax: int = 1000

    def __post_init__(self) -> None:
        object.__setattr__(self, "similarity_lags", tuple(int(k) for k in self.similarity_lags))
        object.__setattr__(self, "similarity_groups", tuple(int(k) for k in self.similarity_groups))
        object.__setattr__(self, "difference_groups", tuple(int(k) for k in self.difference_groups))
        object.__setattr__(self, "region_sets", tuple(int(k) for k in self.region_sets))
        problems = []
        if self.hidden_size < 1 or self.num_layers < 1:
            problems.append(
                f"hidden_size={self.hidden_size}, num_layers={self.num_layers}: expected >= 1"
            )
        if any(k < 1 for k in self.similarity_lags):
            problems.append(f"similarity_lags={list(self.similarity_lags)}: expected lags >= 1")
        if not (self.appearance or self.delta or self.similarity_lags):
            problems.append(
                "appearance=false with no delta and no similarity_lags: the model has no input"
            )
        if any(k < 1 for k in self.similarity_groups):
            problems.append(
                f"similarity_groups={list(self.similarity_groups)}: expected sizes >= 1"
            )
        groups = len(self.similarity_groups)
        if any(not 0 <= k < groups for k in self.difference_groups):
            problems.append(
                f"difference_groups={list(self.difference_groups)}: expected indices of the "
                f"{groups} similarity_groups"
            )
        problems += self._region_set_problems()
        if self.cell not in CELLS:
            problems.append(f"cell={self.cell!r}: expected one of {sorted(CELLS)}")
        if self.gate_init not in GATE_INITS:
            problems.append(f"gate_init={self.gate_init!r}: expected one of {list(GATE_INITS)}")
        if self.chrono_tmax < 3:
            problems.append(f"chrono_tmax={self.chrono_tmax}: expected frames >= 3")
        if self.lookahead < 0:
            problems.append(f"lookahead={self.lookahead}: expected frames >= 0")
        if self.lookahead and self.bidirectional:
            problems.append(
                "lookahead with bidirectional=true: a bidirectional model already sees everything"
            )
        if problems:
            raise ConfigError(f"sequence model settings: {'; '.join(problems)}")

    def _region_set_problems(self) -> list[str]:
        """Region sets take the last similarity groups, equal sizes within a set, no
        difference groups among them."""
        if not self.region_sets:
            return []
        first = len(self.similarity_groups) - sum(self.region_sets)
        if min(self.region_sets) < 1 or first < 0:
            return [
                f"region_sets={list(self.region_sets)}: expected counts >= 1 of the last of "
                f"the {len(self.similarity_groups)} similarity_groups"
            ]
        problems = []
        for start, end in _set_bounds(first, self.region_sets):
            if len(set(self.similarity_groups[start:end])) > 1:
                problems.append(
                    f"region_sets: similarity_groups {start}..{end - 1} differ in size "
                    f"{list(self.similarity_groups[start:end])}; a set needs equal sizes"
                )
        if any(k >= first for k in self.difference_groups):
            problems.append("difference_groups inside region_sets: expected them before")
        return problems

    @classmethod
    def from_hparams(cls, hparams: Mapping) -> SequenceSettings:
        """The settings named in `hparams` (a checkpoint's or the module's); others default."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: hparams[k] for k in known if hparams.get(k) is not None})

    def to_dict(self) -> dict:
        d = asdict(self)
        d["similarity_lags"] = list(self.similarity_lags)
        d["similarity_groups"] = list(self.similarity_groups)
        d["difference_groups"] = list(self.difference_groups)
        d["region_sets"] = list(self.region_sets)
        return d


def _set_bounds(first: int, counts: tuple[int, ...]) -> list[tuple[int, int]]:
    """[start, end) group indices of each region set, the first starting at group `first`."""
    bounds, start = [], first
    for count in counts:
        bounds.append((start, start + count))
        start += count
    return bounds


class SequenceLabeler(nn.Module):
    """Input projection -> causal recurrent core (or a per-frame MLP) -> linear head."""

    def __init__(
        self, feature_dim: int, num_classes: int, settings: SequenceSettings | None = None
    ) -> None:
        super().__init__()
        s = self.settings = settings or SequenceSettings()
        self.memory, self.lookahead, self.lags = s.memory, s.lookahead, s.similarity_lags
        self.bidirectional = s.bidirectional and s.memory
        self.history = max((*self.lags, 1 if s.delta else 0))  # past frames the inputs look at
        in_features = feature_dim * (int(s.appearance) + int(s.delta))
        self.proj = None
        if in_features:
            layers = [nn.Dropout(s.input_dropout), nn.LayerNorm(in_features)]
            if s.proj_dim:
                layers += [nn.Linear(in_features, s.proj_dim), nn.GELU(), nn.Dropout(s.dropout)]
            self.proj = nn.Sequential(*layers)
        self.groups = s.similarity_groups or (feature_dim,)
        if sum(self.groups) != feature_dim:
            raise ConfigError(
                f"similarity_groups {list(s.similarity_groups)} sum to {sum(self.groups)}, "
                f"expected the feature size {feature_dim}; fix model.similarity_groups."
            )
        sims = len(self.lags) * len(self.groups)
        in_dim = ((s.proj_dim or in_features) if in_features else 0) + sims
        if s.memory:
            self.core: nn.Module = CELLS[s.cell](
                in_dim,
                s.hidden_size,
                num_layers=s.num_layers,
                batch_first=True,
                dropout=s.dropout if s.num_layers > 1 else 0.0,
                bidirectional=self.bidirectional,
            )
            init_gates(self.core, s.cell, s.gate_init, s.forget_bias, s.chrono_tmax)
        else:  # same capacity budget, no access to other frames
            self.core = nn.Sequential(
                nn.Linear(in_dim, s.hidden_size), nn.GELU(), nn.Dropout(s.dropout)
            )
        self.head = nn.Linear(s.hidden_size * (2 if self.bidirectional else 1), num_classes)

    @property
    def causal(self) -> bool:
        return not self.bidirectional

    def _inputs(self, feats: torch.Tensor, past: torch.Tensor | None) -> torch.Tensor:
        """(B, T, D) -> (B, T, P). `past` holds the `history` frames before this chunk; at the
        start of a video the first frame stands in for them (no change yet)."""
        steps = feats.shape[1]
        s = self.settings
        if self.training and s.input_noise > 0:
            scale = feats.flatten(0, 1).std(0)  # (D,)
            feats = feats + s.input_noise * scale * torch.randn_like(feats)
        if past is None:
            past = feats[:, :1].expand(-1, self.history, -1)
        padded = torch.cat([past, feats], 1)  # (B, history + T, D)

        def lagged(k: int) -> torch.Tensor:  # frame t - k for every t in the chunk: (B, T, D)
            return padded[:, self.history - k : self.history - k + steps]

        parts = [feats] if s.appearance else []
        if s.delta:
            parts.append(feats - lagged(1))
        out = [self.proj(torch.cat(parts, -1))] if parts else []  # (B, T, P)
        for k in self.lags:  # one similarity per lag and feature group
            out += self._similarities(feats, lagged(k))
        return torch.cat(out, -1)  # (B, T, P + lags * groups)

    def _similarities(self, a: torch.Tensor, b: torch.Tensor) -> list[torch.Tensor]:
        """(B, T, D) frames and the frames k back -> one (B, T, n) tensor per plain group
        (n = 1) and per region set (n = its regions, sorted from most to least changed)."""
        s = self.settings
        plain = len(self.groups) - sum(s.region_sets)
        cut = sum(self.groups[:plain])
        pairs = zip(
            a[..., :cut].split(self.groups[:plain], -1),
            b[..., :cut].split(self.groups[:plain], -1),
            strict=True,
        )
        out = [
            (1 - 4 * (x - y).abs().mean(-1, keepdim=True))
            if g in s.difference_groups
            else F.cosine_similarity(x, y, dim=-1)[..., None]
            for g, (x, y) in enumerate(pairs)
        ]
        for start, end in _set_bounds(plain, s.region_sets):
            size, width = end - start, self.groups[start] * (end - start)
            x = a[..., cut : cut + width].unflatten(-1, (size, -1))  # (B, T, regions, n)
            y = b[..., cut : cut + width].unflatten(-1, (size, -1))
            out.append(F.cosine_similarity(x, y, dim=-1).sort(-1).values)  # (B, T, regions)
            cut += width
        return out

    def cell_inputs(self, feats: torch.Tensor, state: StreamState | None = None) -> torch.Tensor:
        """(B, T, D) features of a chunk -> (B, T, P) what the recurrent cell reads (features
        and change cues), with the frames before the chunk taken from `state`. The gate trace
        reads it too, so it sees exactly the labeler's input."""
        return self._inputs(feats, None if state is None else state.past)

    def _core(self, x: torch.Tensor, state: StreamState) -> tuple[torch.Tensor, StreamState]:
        """(B, T, P) -> (B, T, C) logits and the recurrent state after the last step."""
        if not self.memory:
            return self.head(self.core(x)), StreamState()
        out, new = self.core(x, state.recurrent)  # (B, T, H)
        if isinstance(new, tuple):
            return self.head(out), StreamState(h=new[0], c=new[1])
        return self.head(out), StreamState(h=new)

    def _extended(self, feats: torch.Tensor, lengths: torch.Tensor | None) -> torch.Tensor:
        """(B, T, D) -> (B, T + lookahead, D): each video's last frame repeated past its end."""
        batch, steps = feats.shape[:2]
        if lengths is None:
            lengths = torch.full((batch,), steps, device=feats.device)
        positions = torch.arange(steps + self.lookahead, device=feats.device)  # (T + d,)
        index = torch.minimum(positions[None], lengths.to(feats.device)[:, None] - 1)  # (B, T + d)
        return feats.gather(1, index[..., None].expand(-1, -1, feats.shape[-1]))

    def forward(self, feats: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """(B, T, D) features -> (B, T, C) logits, aligned with the frames. `lengths` matters
        only for the bidirectional model and for look-ahead (which repeats each video's last
        frame); a causal model's outputs at t < length never see the right padding."""
        steps = feats.shape[1]
        if self.lookahead:
            feats = self._extended(feats, lengths)  # (B, T + d, D)
        x = self._inputs(feats, None)  # (B, T + d, P)
        if self.bidirectional and lengths is not None:
            packed = nn.utils.rnn.pack_padded_sequence(
                x, lengths.cpu(), batch_first=True, enforce_sorted=False
            )
            out, _ = self.core(packed)
            out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=steps)
            return self.head(out)
        logits, _ = self._core(x, StreamState())  # (B, T + d, C)
        return logits[:, self.lookahead : self.lookahead + steps]

    def step(
        self, feats: torch.Tensor, state: StreamState | None = None
    ) -> tuple[torch.Tensor, StreamState]:
        """One chunk of a stream: (B, T, D) features and the carried state -> the logits of the
        frames whose label is now final, (B, T', C), and the state after the chunk. With
        look-ahead d the first d frames of a stream are held back until later ones arrive."""
        if self.bidirectional:
            raise RuntimeError("a bidirectional model sees the future and cannot be streamed")
        state = state or StreamState()
        logits, carried = self._core(self.cell_inputs(feats, state), state)  # (B, T, C)
        past = last = None
        if self.history:  # the last `history` frames, for the next chunk's change cues
            before = (
                state.past if state.past is not None else feats[:, :1].expand(-1, self.history, -1)
            )
            past = torch.cat([before, feats], 1)[:, -self.history :]
        if self.lookahead:
            logits = logits[:, max(0, self.lookahead - state.seen) :]  # outputs before frame 0
            last = feats[:, -1:]
        seen = state.seen + feats.shape[1]
        return logits, dataclasses.replace(carried, past=past, last=last, seen=seen)

    def train_window(
        self, feats: torch.Tensor, state: StreamState, reset: torch.Tensor
    ) -> tuple[torch.Tensor, StreamState]:
        """Stateful truncated backprop (`pipeline.data.lanes`): (B, T, D) the next window of
        each lane, the state carried from the lane's previous window and `reset` (B,) True where
        a new video starts -> (B, T, C) logits aligned with the frames and the state after the
        window (the caller detaches it). Rows that reset start from a zero state and no past, as
        `forward` does at the start of a video."""
        if self.lookahead or self.bidirectional:
            raise ConfigError(
                "data.stateful needs a causal model without look-ahead (model.lookahead: 0)"
            )
        keep = (~reset).to(feats.dtype)[None, :, None]  # (1, B, 1)
        carried = StreamState(
            h=None if state.h is None else state.h * keep,
            c=None if state.c is None else state.c * keep,
        )
        past = state.past
        if past is not None:  # a row that resets reads its own first frame as the past
            first = feats[:, :1].expand(-1, self.history, -1)
            past = torch.where(reset[:, None, None], first, past)
        logits, after = self._core(self._inputs(feats, past), carried)  # (B, T, C)
        if self.history:
            before = past if past is not None else feats[:, :1].expand(-1, self.history, -1)
            after = dataclasses.replace(
                after, past=torch.cat([before, feats], 1)[:, -self.history :]
            )
        return logits, after

    def finish(self, state: StreamState | None) -> torch.Tensor:
        """The end of a stream: (B, T', C) logits of the frames still held back by look-ahead
        (the last frame repeated, as `forward` does). Empty without look-ahead."""
        if not self.lookahead or state is None or state.last is None:
            return torch.zeros(1, 0, self.head.out_features)
        tail = state.last.expand(-1, self.lookahead, -1)  # (B, d, D)
        logits, _ = self.step(tail, state)
        held = min(self.lookahead, state.seen)  # a stream shorter than d holds fewer
        return logits[:, logits.shape[1] - held :]
