"""`LabelOptions`: everything one `label` run was asked for, as one frozen, validated value.

The CLI builds it from its arguments and the Python API from keywords; the labeling job reads
only this, never an argparse namespace.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.core.frames import Box
from pipeline.errors import ConfigError
from pipeline.io.framing import parse_roi

BACKENDS = ("pyav", "opencv")
DEVICES = ("auto", "cpu", "cuda")
DEFAULT_BUFFER_MB = 192  # frames held in flight (decode-ahead, model chunk, writer queue)


@dataclass(frozen=True)
class LabelOptions:
    """How to label and what to write.

    Args:
        out_dir: output folder (None: write nothing, as `label_video` without `out_dir`).
        model: checkpoint path (None: the bundled default model).
        gt: ground truth for one input (any supported annotation format).
        video: write the annotated video.
        scale: annotated video size / source size.
        preset: x264 preset of the annotated video.
        fps: label frames at this rate (None: the model's training sampling).
        stride: label every N-th frame (None: the model's training sampling).
        start_s: start time in seconds.
        end_s: end time in seconds (exclusive).
        chunk_size: frames per encoder/sequence-model step (results do not depend on it).
        device: "auto", "cpu" or "cuda".
        backend: video reader, "pyav" or "opencv".
        overwrite: replace existing outputs.
        min_segment: merge segments shorter than this many frames in the tracks (offline).
        quiet: no progress bar.
        buffer_mb: memory for frames in flight; big frames get fewer of them.
        gates: also write NAME.gates.csv, the LSTM's gate activity per frame.
        report: also write NAME.report.html per video (and index.html for a batch).
        roi: only this region of the picture (source pixels) is labelled; "x,y,w,h" or a Box.
        decode_worker: decode file inputs without an annotated video in a separate process
            (beside the model, and started while it loads); False keeps decoding in a thread.
        command: the command line that asked for this run (recorded in the outputs).
    """

    out_dir: Path | None = None
    model: str | None = None
    gt: Path | None = None
    video: bool = True
    scale: float = 1.0
    preset: str = "superfast"
    fps: float | None = None
    stride: int | None = None
    start_s: float | None = None
    end_s: float | None = None
    chunk_size: int = 64
    device: str = "auto"
    backend: str = "pyav"
    overwrite: bool = False
    min_segment: int = 0
    quiet: bool = False
    buffer_mb: int = DEFAULT_BUFFER_MB
    gates: bool = False
    report: bool = False
    decode_worker: bool = True
    roi: Box | None = None
    command: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        for name in ("out_dir", "gt"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, Path):
                object.__setattr__(self, name, Path(value))
        object.__setattr__(self, "command", tuple(self.command))
        if isinstance(self.roi, str):  # label_video(..., roi="0,0,640,300")
            object.__setattr__(self, "roi", parse_roi(self.roi))
        problems = [p for p in self._problems() if p]
        if problems:
            raise ConfigError("; ".join(problems))

    def _problems(self) -> list[str | None]:
        def positive(name: str, value: float | None, what: str) -> str | None:
            if value is None or (math.isfinite(value) and value > 0):
                return None
            return f"--{name} {value}: expected {what}"

        return [
            positive("chunk-size", self.chunk_size, "a positive number of frames"),
            positive("scale", self.scale, "a positive size factor such as 0.5"),
            positive("fps", self.fps, "a positive frame rate"),
            positive("stride", self.stride, "a positive whole number of frames"),
            positive("buffer-mb", self.buffer_mb, "a positive number of megabytes"),
            None
            if self.backend in BACKENDS
            else f"--backend {self.backend!r}: expected one of {BACKENDS}",
            None
            if self.device in DEVICES
            else f"--device {self.device!r}: expected one of {DEVICES}",
            "--fps and --stride both given; expected one of them"
            if self.fps and self.stride
            else None,
            "--min-segment must be >= 0" if self.min_segment < 0 else None,
        ]

    @property
    def writes_files(self) -> bool:
        return self.out_dir is not None
