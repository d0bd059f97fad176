"""Streaming labeling: frames in, per-frame class probabilities out, state carried.

`stream_labels` is the whole loop: chunks of frames go through the encoder and the sequence
model (its recurrent state carried from chunk to chunk, so any chunk size gives the
probabilities of one full pass: streaming = offline), and every frame whose label is final is
handed to an optional sink (the annotated video) as a `LabeledFrame`. With a look-ahead of d
frames a label is final d frames later; the end of the stream flushes the rest.
"""

from __future__ import annotations

import contextlib
import logging
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np
import torch

from pipeline.core.frames import Frame
from pipeline.core.track import LabelTrack
from pipeline.core.transitions import FADE_TAIL, SettledLabels, solid_frames
from pipeline.encoders import FrameEncoder
from pipeline.errors import CheckpointError
from pipeline.io.streaming import chunked
from pipeline.models.sequence import SequenceLabeler, StreamState

if TYPE_CHECKING:
    from pipeline.core.gates import GateTrace
    from pipeline.models.gate_trace import GateTracer
    from pipeline.outputs.gates import GatesWriter

log = logging.getLogger(__name__)


class StreamingLabeler:
    """Model-size frames in, the probabilities of the frames whose label is final out."""

    def __init__(
        self, model: SequenceLabeler, encoder: FrameEncoder, device: torch.device, name: str = ""
    ) -> None:
        if not model.causal:
            raise CheckpointError(
                f"{name}: a bidirectional model sees future frames and cannot label a stream; "
                "train a causal model (model.bidirectional: false)"
            )
        self.device = device
        self.encoder = encoder.to(device).eval()
        self.model = model.to(device).eval()
        self.state: StreamState | None = None  # see SequenceLabeler.step
        self.amp = device.type == "cuda"  # bf16 on GPU; fp32 on CPU keeps results exact
        # `label --gates`: per-frame gate activity of the last chunk pushed (None: not traced)
        self.tracer: GateTracer | None = None
        self.last_trace: GateTrace | None = None

    @property
    def lookahead(self) -> int:
        return self.model.lookahead

    @contextlib.contextmanager
    def cpu_threads(self) -> Iterator[None]:
        """While labeling: one torch thread on CPU when the encoder is too light to gain from
        more, so the decoder (and the video writer) keep the other cores; restored after."""
        if self.device.type != "cpu" or self.encoder.benefits_from_threads:
            yield
            return
        before = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            yield
        finally:
            torch.set_num_threads(before)

    def reset(self) -> None:
        self.state = None

    @torch.inference_mode()
    def encode(self, frames_rgb: np.ndarray) -> torch.Tensor:
        """(T, h, w, 3) uint8 frames at the encoder's input size -> (T, D) float32 features."""
        x = torch.from_numpy(frames_rgb).to(self.device)
        with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.amp):
            return self.encoder(x).float()  # (T, D)

    @torch.inference_mode()
    def push_features(self, feats: np.ndarray | torch.Tensor) -> np.ndarray:
        """(T, D) features -> (T', C) probabilities of the frames now final (T' = T once the
        look-ahead is filled)."""
        x = torch.as_tensor(feats, dtype=torch.float32, device=self.device)[None]  # (1, T, D)
        if self.tracer is not None:  # from the state BEFORE the chunk
            self.last_trace = self.tracer(x, self.state)
        logits, self.state = self.model.step(x, self.state)  # (1, T', C)
        return _probabilities(logits)

    def push_frames(self, frames_rgb: np.ndarray) -> np.ndarray:
        """(T, h, w, 3) uint8 frames -> (T', C) probabilities, as `push_features`."""
        return self.push_features(self.encode(frames_rgb))

    @torch.inference_mode()
    def finish(self) -> np.ndarray:
        """(d', C) probabilities of the frames the look-ahead still holds back."""
        return _probabilities(self.model.finish(self.state))


def _probabilities(logits: torch.Tensor) -> np.ndarray:
    classes = logits.shape[-1]
    return logits.reshape(-1, classes).float().softmax(-1).cpu().numpy()  # (T, C)


@dataclass(frozen=True)
class LabeledFrame:
    """One frame with its final label, as handed to a sink."""

    frame: Frame
    position: int  # row in the track (0, 1, ...), not the source frame index
    label: int
    confidence: float


class FrameSink(Protocol):
    def put(self, item: LabeledFrame) -> None: ...


class _TrackBuilder:
    """Collects rows as their probabilities become final and hands each frame to the sink once
    its label is decided: the transition decoding's label (`SettledLabels`, the one labels.csv
    holds) when the model has one, else the argmax."""

    def __init__(self, sink: FrameSink | None, settled: SettledLabels | None = None) -> None:
        self.sink = sink
        self.settled = settled if sink is not None else None
        # pushed, probabilities not final yet, with each frame's solid flag
        self.pending: deque[tuple[Frame, bool]] = deque()
        self.waiting: deque[tuple[Frame, int, np.ndarray]] = deque()  # label not decided yet
        self.indices: list[int] = []
        self.pts_s: list[float] = []
        self.probs: list[np.ndarray] = []
        self.solid: list[bool] = []

    def push(self, chunk: list[Frame], solid: np.ndarray) -> None:
        """Frames just handed to the model, with their solid flags (`solid_frames`)."""
        self.pending.extend(zip(chunk, solid.tolist(), strict=True))

    def emit(self, probs: np.ndarray) -> None:
        first = len(self.solid)
        for row in probs:
            frame, solid = self.pending.popleft()
            if self.sink is not None:
                self.waiting.append((frame, len(self.indices), row))
            self.indices.append(frame.index)
            self.pts_s.append(frame.pts_s)
            self.solid.append(solid)
        if len(probs):
            self.probs.append(probs)
            if self.sink is not None:
                self._hand_out(self._decided(probs, np.asarray(self.solid[first:])))

    def close(self) -> None:
        """The stream ended: every label is decided."""
        if self.settled is not None:
            self._hand_out(self.settled.finish())

    def _decided(self, probs: np.ndarray, solid: np.ndarray) -> np.ndarray:
        if self.settled is None:
            return probs.argmax(1)
        labels = self.settled.push(probs, solid)
        excess = len(self.waiting) - len(labels) - self.max_waiting
        if excess > 0:  # held frames are capped: decide the oldest on what is known
            labels = np.concatenate([labels, self.settled.settle_until(self.settled.done + excess)])
        return labels

    @property
    def max_waiting(self) -> int:
        """Frames held for their label: enough for a fade through up to max_hold_s of black."""
        s = self.settled
        return 0 if s is None else s.max_hold + 2 * s.min_quiet + FADE_TAIL + 8

    def _hand_out(self, labels: np.ndarray) -> None:
        for label in labels.tolist():
            frame, position, row = self.waiting.popleft()
            self.sink.put(LabeledFrame(frame, position, label, float(row[label])))

    def track(self, fps: float, class_names: tuple[str, ...]) -> LabelTrack:
        probs = np.concatenate(self.probs) if self.probs else np.zeros((0, len(class_names)))
        return LabelTrack(
            frame_indices=np.asarray(self.indices, dtype=np.int64),
            pts_s=np.asarray(self.pts_s, dtype=np.float64),
            probs=probs.astype(np.float32),
            fps=fps,
            class_names=class_names,
            solid=np.asarray(self.solid, dtype=bool) if self.solid else None,
        )


def stream_labels(
    frames: Iterable[Frame],
    labeler: StreamingLabeler,
    class_names: tuple[str, ...],
    fps: float,
    chunk_size: int = 64,
    sink: FrameSink | None = None,
    progress: Callable[[int], object] | None = None,
    stop_on_interrupt: bool = False,
    gates: GatesWriter | None = None,
    settled: SettledLabels | None = None,
) -> LabelTrack:
    """Label `frames` (each with `model_rgb`, or `rgb` at the encoder's size) chunk by chunk.

    `gates`: also write the gate trace, one row per frame read (needs `labeler.tracer`).

    `settled`: the transition decoding as it streams; the sink then gets each frame with the
    label labels.csv will hold, once no later frame can change it (else with the argmax).

    `stop_on_interrupt`: Ctrl-C ends the stream like its end (for live sources, whose outputs
    are then written); otherwise KeyboardInterrupt propagates.
    """
    labeler.reset()
    rows = _TrackBuilder(sink, settled)
    try:
        for chunk in chunked(frames, chunk_size):
            inputs = np.stack([f.model_input for f in chunk])
            rows.push(chunk, solid_frames(inputs))  # (T,) solid: the composite-fade rule
            rows.emit(labeler.push_frames(inputs))  # (T', C)
            if gates is not None:
                gates.write([f.index for f in chunk], [f.pts_s for f in chunk], labeler.last_trace)
            if progress is not None:
                progress(len(chunk))
    except KeyboardInterrupt:
        if not stop_on_interrupt:
            raise
        log.info("stopped by Ctrl-C after %d frames; writing outputs", len(rows.indices))
    rows.emit(labeler.finish()[: len(rows.pending)])
    rows.close()
    return rows.track(fps, class_names)
