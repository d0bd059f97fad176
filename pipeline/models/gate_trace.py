"""Per-frame gate activity of a streamed LSTM labeler: what the forget, input and output gates do.

A trace is computed beside labeling, chunk by chunk, from the same features and the same carried
state the labeler uses: `SequenceLabeler.cell_inputs` builds the cell's input (so change cues and
projection are the model's own), and `ReadableLSTM` runs the gates from the carried (h, c).
Row t of a chunk's trace belongs to INPUT position t: the frame the cell read at that step. With a
look-ahead of d frames the label emitted at input position p is that of frame p - d, but the
gates at p are still those computed while reading frame p.

Summaries are over the units of ONE layer, the top one by default (the layer the head reads):
`forget`, `input`, `output` are the mean gate activations (0..1), `cell_norm` is the L2 norm of
the cell state C after the step, `cell_change` the mean |C_t - C_{t-1}| over units (how much of
the belt was rewritten at that frame), and `top_units` are the k units whose forget gate moved most
since the previous frame (`top_forget_delta`: that signed change, f_t - f_{t-1}). The first
frame of a video has no previous frame: its delta is 0 and its top units are -1 (none).

Nothing here runs unless asked for (`label --gates`); the fast path stays `nn.LSTM`. Wiring in
a labeling loop:

    tracer = GateTracer(model, top_k=5)      # ConfigError for GRU / RNN / frame-only models
    state = None
    with GatesWriter(out / f"{name}.gates.csv", overwrite=overwrite) as gates:
        for frames, pts_s, feats in chunks:   # feats (1, T, D); frames, pts_s (T,)
            trace = tracer(feats, state)      # BEFORE step(): it needs the state before the chunk
            logits, state = model.step(feats, state)
            gates.write(frames, pts_s, trace)  # one row per input frame of the chunk
        tail = model.finish(state)            # look-ahead: repeated last frames, not traced

A new video starts with `state=None` (the tracer then forgets its previous forget gate too).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from pipeline.core.gates import GateTrace
from pipeline.errors import ConfigError
from pipeline.models.readable_lstm import ReadableLSTM
from pipeline.models.sequence import SequenceLabeler, StreamState


def check_gated(model: SequenceLabeler) -> nn.LSTM:
    """The model's nn.LSTM, or a ConfigError saying why this model has no gates to trace."""
    core = getattr(model, "core", None)
    if not isinstance(core, nn.LSTM):
        kind = type(core).__name__ if getattr(model, "memory", True) else "frame-only model"
        raise ConfigError(
            f"--gates needs an LSTM model; this checkpoint's sequence model is {kind} "
            "(GRU, RNN and frame-only models have no forget/input/output gates). "
            "Drop --gates or label with an LSTM checkpoint."
        )
    if core.bidirectional:
        raise ConfigError("--gates needs a causal LSTM; this checkpoint's LSTM is bidirectional")
    return core


def trace_chunk(
    model: SequenceLabeler,
    feats: torch.Tensor,
    state_before: StreamState | None,
    previous_forget: np.ndarray | None = None,
    top_k: int = 5,
    layer: int = -1,
    cell: ReadableLSTM | None = None,
) -> GateTrace:
    """Gate summaries of one chunk.

    Args:
        model: an LSTM SequenceLabeler (in eval mode, as labeling runs it).
        feats: (1, T, D) the chunk's encoder features.
        state_before: the state `model.step` carried INTO this chunk (None at a video's start).
        previous_forget: (H,) the forget vector of the frame before the chunk
            (`GateTrace.last_forget` of the previous chunk); None at a video's start.
        top_k: how many units to list per frame.
        layer: which LSTM layer to summarise (-1: the top one).
        cell: a prebuilt `ReadableLSTM.from_lstm(model.core)`, to skip rebuilding it per chunk.
    """
    lstm = check_gated(model)
    cell = cell or ReadableLSTM.from_lstm(lstm)
    state = state_before or StreamState()
    with torch.no_grad():
        x = model.cell_inputs(feats, state)  # (1, T, P): the model's own input path
        _, _, gates = cell.run(x, state.recurrent)  # (h, c) each (L, 1, H), or None

    def top_layer(t: torch.Tensor) -> np.ndarray:  # (L, 1, T, H) -> (T, H) float64 on the CPU
        return t[layer, 0].double().cpu().numpy()

    f, belt = top_layer(gates.forget), top_layer(gates.cell)  # each (T, H)
    if state.c is not None:
        c_before = state.c[layer, 0].double().cpu().numpy()[None]  # (1, H): C before the chunk
    else:
        c_before = np.zeros((1, belt.shape[1]))
    top, top_delta = _top_forget_changes(f, previous_forget, top_k)
    return GateTrace(
        forget=f.mean(1),
        input=top_layer(gates.input).mean(1),
        output=top_layer(gates.output).mean(1),
        cell_norm=np.linalg.norm(belt, axis=1),
        cell_change=np.abs(np.diff(np.concatenate([c_before, belt]), axis=0)).mean(1),  # (T,)
        top_units=top,
        top_forget_delta=top_delta,
        last_forget=f[-1],
    )


def _top_forget_changes(
    forget: np.ndarray, previous_forget: np.ndarray | None, top_k: int
) -> tuple[np.ndarray, np.ndarray]:
    """(T, H) forget gates -> the k units whose gate moved most since the frame before, per
    frame (T, k), and those signed changes f_t - f_{t-1} (T, k)."""
    prev = forget[:1] if previous_forget is None else np.asarray(previous_forget, np.float64)[None]
    delta = np.diff(np.concatenate([prev, forget]), axis=0)  # (T, H): f_t - f_{t-1}
    k = min(top_k, forget.shape[1])
    top = np.argsort(-np.abs(delta), axis=1, kind="stable")[:, :k]  # (T, k)
    top_delta = np.take_along_axis(delta, top, axis=1)  # (T, k)
    if previous_forget is None:  # the video's first frame has nothing to change from
        top[0], top_delta[0] = -1, 0.0
    return top, top_delta


class GateTracer:
    """Traces one video chunk by chunk, carrying the previous frame's forget gate itself.

    Args:
        model: an LSTM SequenceLabeler; anything else raises ConfigError at once.
        top_k: units listed per frame.
        layer: the LSTM layer summarised (-1: the top one).
    """

    def __init__(self, model: SequenceLabeler, top_k: int = 5, layer: int = -1) -> None:
        self.model, self.top_k, self.layer = model, top_k, layer
        self.cell = ReadableLSTM.from_lstm(check_gated(model))
        self.previous_forget: np.ndarray | None = None

    def __call__(self, feats: torch.Tensor, state_before: StreamState | None) -> GateTrace:
        """The chunk's trace; `state_before` is the labeler's state before `model.step` runs."""
        if state_before is None:  # a new video starts: nothing to compare its first frame with
            self.previous_forget = None
        trace = trace_chunk(
            self.model, feats, state_before, self.previous_forget, self.top_k, self.layer, self.cell
        )
        self.previous_forget = trace.last_forget
        return trace
