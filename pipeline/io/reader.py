"""The reader seam: `open_video()` and the `VideoReader` base every backend implements.

A backend only decodes: it yields every frame of the source in presentation order as
(pts_s, raw) and converts a raw frame to RGB on request. This base class numbers the frames
(index = position among ALL decoded frames) and does the sampling (stride, fps, start/end), so
sampling never renumbers frames and skipped frames are never converted to RGB.
"""

from __future__ import annotations

import abc
import logging
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, ClassVar

import numpy as np

from pipeline.errors import ConfigError, NotAVideoError, VideoNotFoundError
from pipeline.io.types import Frame, VideoInfo

log = logging.getLogger(__name__)

# pts comparisons tolerate float rounding (30000/1001 grids, OpenCV's millisecond clock).
PTS_EPS_S = 1e-6


@dataclass(frozen=True)
class Sampling:
    """Which decoded frames a reader yields. All times are pts seconds; `end_s` is exclusive."""

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


KEEP, SKIP, STOP = "keep", "skip", "stop"


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


def check_size(size: tuple[int, int] | None) -> tuple[int, int] | None:
    """Validate an output size (width, height)."""
    if size is None:
        return None
    if (
        len(size) != 2
        or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in size)
        or min(size) <= 0
    ):
        raise ConfigError(f"size={size!r} is invalid; expected (width, height) positive integers.")
    return int(size[0]), int(size[1])


def check_video_path(path: str | os.PathLike[str]) -> Path:
    """The path as a Path; VideoNotFoundError / NotAVideoError for a missing path or a folder."""
    p = Path(path)
    if not p.exists():
        raise VideoNotFoundError(
            f"video {str(p)!r} does not exist; expected a video file. Check the path and spelling."
        )
    if p.is_dir():
        raise NotAVideoError(f"{str(p)!r} is a folder; expected a video file inside it.")
    return p


def is_url(path: object) -> bool:
    """True for stream URLs (rtsp://, http://, ...) that are opened without a file check."""
    return isinstance(path, str) and "://" in path


def display_rgb(rgb: np.ndarray, rotation: int) -> np.ndarray:
    """Rotate a coded (H, W, 3) frame to display orientation, C-contiguous.

    `rotation` is counter-clockwise degrees as FFmpeg reports it (phones store -90: turn the
    coded frame 90 degrees clockwise to show it).
    """
    k = round(rotation / 90) % 4
    if k:
        rgb = np.rot90(rgb, k=k)  # (W, H, 3) for +-90
    return np.ascontiguousarray(rgb)


class VideoReader(abc.ABC):
    """A video source: a context manager with `.info` that iterates `Frame`s in presentation order.

    Args:
        path: Video file (or, for backends that support it, a camera index or stream URL).
        size: Output (width, height) in display orientation; frames are resized by the decoder.
        fps: Keep the first frame at or after each multiple of 1/fps seconds (pts based, so
            NTSC and VFR files work), counted from `start_s` or else the first frame.
        stride: Keep every `stride`-th frame (counted from the first frame at/after `start_s`).
        start_s: Skip frames before this pts (seconds).
        end_s: Stop at the first frame at or after this pts (seconds, exclusive).

    `corrupt_frames` counts frames that failed to decode and were skipped.
    """

    backend: ClassVar[str] = ""

    def __init__(
        self,
        path: str | int | os.PathLike[str],
        size: tuple[int, int] | None = None,
        fps: float | None = None,
        stride: int = 1,
        start_s: float | None = None,
        end_s: float | None = None,
    ) -> None:
        self.source = path
        self.size = check_size(size)
        self.sampling = Sampling(fps=fps, stride=stride, start_s=start_s, end_s=end_s)
        self.corrupt_frames = 0
        self.info: VideoInfo = self._open()

    @abc.abstractmethod
    def _open(self) -> VideoInfo:
        """Open the source, validate it and describe it."""

    @abc.abstractmethod
    def _decode(self) -> Iterator[tuple[float, Any]]:
        """Every frame from the start, in presentation order, as (pts_s, raw)."""

    @abc.abstractmethod
    def _to_rgb(self, raw: Any) -> np.ndarray:
        """A raw frame as (H, W, 3) uint8 RGB, resized to `self.size`, display orientation."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release the decoder and file."""

    def __iter__(self) -> Iterator[Frame]:
        sampler = Sampler(self.sampling)
        for index, (pts_s, raw) in enumerate(self._checked_decode()):
            decision = sampler.decide(index, pts_s)
            if decision == STOP:
                return
            if decision == KEEP:
                yield Frame(index=index, pts_s=pts_s, rgb=self._to_rgb(raw))

    def count(self) -> tuple[int, float | None]:
        """Decode everything (no RGB conversion, no sampling): (frame count, last pts_s)."""
        n, last_pts_s = 0, None
        for pts_s, _raw in self._checked_decode():
            n, last_pts_s = n + 1, pts_s
        return n, last_pts_s

    def _checked_decode(self) -> Iterator[tuple[float, Any]]:
        """`_decode()`, warning (once each) about a large pts gap and about a video that ends
        well before the length its header promised: both mean lost data (damaged or truncated).
        """
        info = self.info
        frame_s = 1.0 / float(info.fps) if info.fps else 0.04
        gap_s = max(1.0, 10 * frame_s)  # VFR pauses shorter than this are normal
        n, last_pts_s, warned_gap = 0, None, False
        for pts_s, raw in self._decode():
            if last_pts_s is not None and pts_s - last_pts_s > gap_s and not warned_gap:
                warned_gap = True
                log.warning(
                    "%s: no frames between %.2f s and %.2f s (frame %d); frames may be lost "
                    "(damaged file) or this is a variable-frame-rate pause",
                    info.path,
                    last_pts_s,
                    pts_s,
                    n,
                )
            n, last_pts_s = n + 1, pts_s
            yield pts_s, raw
        self._warn_if_incomplete(n, last_pts_s, frame_s)

    def _warn_if_incomplete(self, n: int, last_pts_s: float | None, frame_s: float) -> None:
        """Warn when decoding ended before the frame count / duration the header promised."""
        info = self.info
        if info.frames is not None and n < info.frames:
            log.warning(
                "%s: decoded %d of %d frames; the file is truncated or damaged",
                info.path,
                n,
                info.frames,
            )
        elif info.frames is None and info.duration_s and last_pts_s is not None:
            # the container duration may include audio that outlasts the video a little
            if last_pts_s + 0.5 + 2 * frame_s < info.duration_s:
                log.warning(
                    "%s: video ends at %.2f s of %.2f s; the file is truncated or damaged",
                    info.path,
                    last_pts_s,
                    info.duration_s,
                )

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.source!r}, size={self.size}, {self.sampling})"


def open_video(
    path: str | int | os.PathLike[str],
    backend: str = "pyav",
    size: tuple[int, int] | None = None,
    fps: float | None = None,
    stride: int = 1,
    start_s: float | None = None,
    end_s: float | None = None,
) -> VideoReader:
    """Open a video for reading with the named backend ("pyav" or "opencv"); see `VideoReader`.

    Example:
        with open_video("clip.mp4", size=(224, 224), fps=5) as reader:
            for frame in reader:
                ...  # frame.index, frame.pts_s, frame.rgb (224, 224, 3) uint8
    """
    if backend not in READERS:
        raise ConfigError(
            f"video backend {backend!r} is unknown; expected one of {sorted(READERS)}."
        )
    return READERS[backend](path, size=size, fps=fps, stride=stride, start_s=start_s, end_s=end_s)


# Imported last: the backends subclass VideoReader from this module (pipeline.io.__init__
# imports this module first, so this module is always initialised before the backends).
from pipeline.io.opencv_reader import OpenCVReader  # noqa: E402
from pipeline.io.pyav_reader import PyAVReader  # noqa: E402

READERS: dict[str, type[VideoReader]] = {"pyav": PyAVReader, "opencv": OpenCVReader}
