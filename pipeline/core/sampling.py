"""Which decoded frames are labelled: the one sampling type of the project.

A `Sampling` is stored in checkpoints and feature-cache keys (its rate: `fps` or `stride`),
applied by every reader (with the `start_s`/`end_s` window of one run), and answers the
questions the labeling outputs ask before decoding: how many frames will be kept, at what
rate, and which source frames they are.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from pipeline.errors import ConfigError

# pts comparisons tolerate float rounding (30000/1001 grids, OpenCV's millisecond clock).
PTS_EPS_S = 1e-6
KEEP, SKIP, STOP = "keep", "skip", "stop"


@dataclass(frozen=True)
class Sampling:
    """Keep every `stride`-th decoded frame, or the first frame at or after each multiple of
    1/`fps` seconds (pts based, so NTSC and VFR files work), inside [`start_s`, `end_s`)."""

    fps: float | None = None
    stride: int = 1
    start_s: float | None = None
    end_s: float | None = None

    def __post_init__(self) -> None:
        if isinstance(self.stride, bool) or not isinstance(self.stride, int) or self.stride < 1:
            raise ConfigError(f"stride={self.stride!r} is invalid; expected an integer >= 1.")
        if self.fps is not None and not (math.isfinite(self.fps) and self.fps > 0):
            raise ConfigError(f"fps={self.fps!r} is invalid; expected a positive sampling rate.")
        if self.fps is not None and self.stride != 1:
            raise ConfigError(
                f"fps={self.fps} and stride={self.stride} were both given; expected one way of "
                "sampling. Drop one of them."
            )
        if self.start_s is not None and self.start_s < 0:
            raise ConfigError(f"start_s={self.start_s} is negative; expected seconds >= 0.")
        if self.end_s is not None and self.end_s <= (self.start_s or 0.0):
            raise ConfigError(
                f"end_s={self.end_s} is not after start_s={self.start_s or 0.0}; "
                "expected end_s > start_s."
            )

    def to_dict(self) -> dict:
        """The rate always; the window only when set (checkpoints and cache keys store rates)."""
        d = {"fps": self.fps, "stride": self.stride}
        d.update({k: v for k, v in (("start_s", self.start_s), ("end_s", self.end_s)) if v})
        return d

    @classmethod
    def from_dict(cls, d: dict | None) -> Sampling:
        return cls(**(d or {}))

    @property
    def rate_only(self) -> Sampling:
        """The same rate without a window (what a checkpoint or cache key stores)."""
        return Sampling(self.fps, self.stride)

    def with_window(self, start_s: float | None, end_s: float | None) -> Sampling:
        return dataclasses.replace(self, start_s=start_s, end_s=end_s)

    @property
    def windowed(self) -> bool:
        return self.start_s is not None or self.end_s is not None

    def output_fps(self, source_fps: Fraction | float | None, fallback: float) -> Fraction:
        """The rate of the kept frames (the annotated video's rate)."""
        if self.fps:
            return Fraction(self.fps).limit_denominator(100_000)
        source = Fraction(source_fps) if source_fps else Fraction(fallback)
        return source.limit_denominator(100_000) / self.stride

    def kept_source_frames(self, frames: int, source_fps: float) -> np.ndarray:
        """Indices of the source frames this sampling keeps among `frames` frames, predicted
        from nominal frame times (exact for constant frame rate): for drawing and checking
        before decoding."""
        first = int(np.ceil((self.start_s or 0.0) * source_fps - 1e-6))
        last = frames if self.end_s is None else min(frames, int(np.ceil(self.end_s * source_fps)))
        if self.fps:
            times_s = np.arange(first / source_fps, last / source_fps, 1.0 / self.fps)
            kept = np.ceil(times_s * source_fps - 1e-6).astype(np.int64)
        else:
            kept = np.arange(first, last, self.stride, dtype=np.int64)
        return np.clip(kept, 0, max(0, frames - 1))

    def expected_count(
        self, frames: int | None, duration_s: float | None, source_fps: float | None
    ) -> int | None:
        """How many frames a reader will yield, from the header (None when it cannot know)."""
        if frames and source_fps:
            return max(1, len(self.kept_source_frames(frames, source_fps)))
        if self.windowed:
            return None
        if self.fps and duration_s:
            return max(1, math.ceil(duration_s * self.fps))
        if frames:
            return math.ceil(frames / self.stride)
        return None


class Sampler:
    """Decides per decoded frame whether to keep it, skip it, or stop decoding."""

    def __init__(self, sampling: Sampling) -> None:
        self.s = sampling
        self._first_index: int | None = None  # first frame inside [start_s, end_s)
        self._origin_s: float | None = None  # fps grid origin
        self._next_s = -math.inf  # next fps grid point to fill

    def decide(self, index: int, pts_s: float) -> str:
        s = self.s
        if s.end_s is not None and pts_s >= s.end_s - PTS_EPS_S:
            return STOP  # presentation order: every later frame is later still
        if s.start_s is not None and pts_s < s.start_s - PTS_EPS_S:
            return SKIP
        if self._first_index is None:
            self._first_index = index
            self._origin_s = s.start_s if s.start_s is not None else pts_s
        if s.fps is not None:
            if pts_s < self._next_s - PTS_EPS_S:
                return SKIP
            # the first grid point after this frame: a gap in a VFR file skips empty slots
            k = math.floor((pts_s - self._origin_s) * s.fps + PTS_EPS_S) + 1
            self._next_s = self._origin_s + k / s.fps
            return KEEP
        return KEEP if (index - self._first_index) % s.stride == 0 else SKIP
