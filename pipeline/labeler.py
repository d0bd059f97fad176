"""Streaming labeling: decode thread -> encoder + LSTM (carried state) -> writer thread.

Bounded queues join the stages, so memory is set by the chunk size, not the video length. The
LSTM's (h, c) state is carried from chunk to chunk, so any chunk size gives the probabilities of
one full-sequence pass (streaming = offline).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator

import cv2
import numpy as np
import torch

from pipeline.checkpoint import LabelerBundle
from pipeline.encoders import FrameEncoder, build_encoder
from pipeline.errors import CheckpointError, ConfigError
from pipeline.io.types import Frame

_END = object()  # end-of-stream marker in the queues


def resolve_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise ConfigError("--device cuda: no CUDA device is available; use --device cpu or auto")
    if device not in ("cpu", "cuda"):
        raise ConfigError(f"--device {device!r}: expected auto, cpu or cuda")
    return torch.device(device)


def build_bundle_encoder(bundle: LabelerBundle) -> FrameEncoder:
    """The encoder the checkpoint was trained with, checked against its stored preprocessing."""
    encoder = build_encoder(bundle.encoder_spec)
    if bundle.encoder_state is not None:  # fine-tuned end to end: the checkpoint has the weights
        encoder.load_state_dict(bundle.encoder_state)
    if encoder.preprocessing != bundle.preprocessing:
        raise CheckpointError(
            f"{bundle.path}: stored preprocessing {bundle.preprocessing} differs from what encoder "
            f"{bundle.encoder_spec.name} uses now ({encoder.preprocessing}); retrain or pin versions"
        )
    return encoder.freeze()


class StreamingLabeler:
    """Frames in, per-frame class probabilities out, one chunk at a time."""

    def __init__(self, bundle: LabelerBundle, encoder: FrameEncoder, device: torch.device) -> None:
        if not bundle.causal:
            raise CheckpointError(
                f"{bundle.path}: a bidirectional model sees future frames and cannot label a stream; "
                "train a causal model (model.bidirectional: false)"
            )
        self.device = device
        self.encoder = encoder.to(device).eval()
        self.model = bundle.model.to(device).eval()
        self.state: dict[str, torch.Tensor] | None = None  # see SequenceLabeler.step
        self.amp = device.type == "cuda"  # bf16 on GPU; fp32 on CPU keeps results exact

    def reset(self) -> None:
        self.state = None

    @torch.inference_mode()
    def push_features(self, feats: np.ndarray | torch.Tensor) -> np.ndarray:
        """(T, D) features -> (T, C) probabilities, carrying the LSTM state."""
        x = torch.as_tensor(feats, dtype=torch.float32, device=self.device)[None]  # (1, T, D)
        logits, self.state = self.model.step(x, self.state)  # (1, T, C)
        return logits[0].float().softmax(-1).cpu().numpy()

    @torch.inference_mode()
    def push_frames(self, frames_rgb: np.ndarray) -> np.ndarray:
        """(T, H, W, 3) uint8 frames at the encoder's input size -> (T, C) probabilities."""
        x = torch.from_numpy(frames_rgb).to(self.device)
        with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.amp):
            feats = self.encoder(x)  # (T, D)
        return self.push_features(feats.float())


def _producer(
    source: Iterable, out: queue.Queue, stop: threading.Event, transform: Callable
) -> None:
    """Run in a thread: put transform(item) for every item, then _END (or the exception)."""
    try:
        for item in source:
            item = transform(item)
            while not stop.is_set():
                try:
                    out.put(item, timeout=0.1)
                    break
                except queue.Full:
                    continue
            if stop.is_set():
                return
        out.put(_END)
    except BaseException as err:  # handed to the consumer, which re-raises it in the main thread
        out.put(err)


class ThreadedIterator:
    """Iterate `source` in a background thread through a bounded queue (decode ahead)."""

    def __init__(self, source: Iterable, maxsize: int, transform: Callable = lambda x: x):
        self.queue: queue.Queue = queue.Queue(maxsize=maxsize)
        self.stop = threading.Event()
        self.thread = threading.Thread(
            target=_producer, args=(source, self.queue, self.stop, transform), daemon=True
        )
        self.thread.start()

    def __iter__(self) -> Iterator:
        while (item := self.queue.get()) is not _END:
            if isinstance(item, BaseException):
                raise item
            yield item

    def close(self) -> None:
        self.stop.set()
        while self.thread.is_alive():  # drain so a blocked put returns
            try:
                self.queue.get(timeout=0.05)
            except queue.Empty:
                pass


class ThreadedSink:
    """Apply `consume(item)` in a background thread; errors surface at put() or finish()."""

    def __init__(self, consume: Callable, maxsize: int) -> None:
        self.queue: queue.Queue = queue.Queue(maxsize=maxsize)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(consume,), daemon=True)
        self.thread.start()

    def _run(self, consume: Callable) -> None:
        while (item := self.queue.get()) is not _END:
            if self.error is None:
                try:
                    consume(item)
                except BaseException as err:  # re-raised in the main thread
                    self.error = err

    def put(self, item: object) -> None:
        if self.error is not None:
            raise self.error
        self.queue.put(item)

    def finish(self) -> None:
        self.queue.put(_END)
        self.thread.join()
        if self.error is not None:
            raise self.error


def model_input(size: tuple[int, int]) -> Callable[[Frame], tuple[Frame, np.ndarray]]:
    """Pair each frame with its encoder-size copy (done in the decode thread)."""

    def transform(frame: Frame) -> tuple[Frame, np.ndarray]:
        height, width = frame.rgb.shape[:2]
        if (width, height) == size:
            return frame, frame.rgb
        return frame, cv2.resize(frame.rgb, size, interpolation=cv2.INTER_AREA)

    return transform


def chunked(items: Iterable, size: int) -> Iterator[list]:
    chunk: list = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
