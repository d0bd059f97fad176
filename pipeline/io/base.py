"""The `VideoReader` base every backend implements (`open_video` in `reader.py` picks one).

A backend only decodes: it yields every frame of the source in presentation order as
(pts_s, raw) and converts a raw frame to RGB on request. This base class numbers the frames
(index = position among ALL decoded frames) and does the sampling (stride, fps, start/end), so
sampling never renumbers frames and skipped frames are never converted to RGB.
"""

from __future__ import annotations

import abc
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, ClassVar

import numpy as np

from pipeline.core.frames import Frame, VideoInfo
from pipeline.core.sampling import KEEP, STOP, Sampler, Sampling
from pipeline.errors import ConfigError, CorruptVideoError, NotAVideoError, VideoNotFoundError

log = logging.getLogger(__name__)


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
    if not p.exists() and p.is_symlink():
        raise VideoNotFoundError(
            f"video {str(p)!r} is a symbolic link to {str(p.readlink())!r}, which does not "
            "exist; expected a video file. Fix the link or pass the video itself."
        )
    if not p.exists():
        raise VideoNotFoundError(
            f"video {str(p)!r} does not exist; expected a video file. Check the path and spelling."
        )
    if p.is_dir():
        raise NotAVideoError(f"{str(p)!r} is a folder; expected a video file inside it.")
    if not p.is_file():  # opening a FIFO blocks until a writer appears; a device never ends
        raise NotAVideoError(
            f"{str(p)!r} is not a regular file (a pipe, socket or device); expected a video "
            "file. Save the stream to a file first, or pass a URL with --backend opencv."
        )
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
        sampling: Which frames to keep (rate and window); see `Sampling`. Counted from
            `start_s` or else the first frame.
        model_size: Also give each frame at this (width, height) as `Frame.model_rgb`, scaled
            from the decoded picture by its own reused scaler: the encoder's input is made the
            same way whatever `size` is, so labels never depend on the displayed size.
        deblock: False skips the codec's in-loop deblocking filter (H.264, HEVC; backends
            that cannot skip it ignore this): about a quarter less decoding work, at the cost
            of block-edge detail far below what a model-sized picture keeps.

    `corrupt_frames` counts frames that failed to decode and were skipped.
    """

    backend: ClassVar[str] = ""

    def __init__(
        self,
        path: str | int | os.PathLike[str],
        size: tuple[int, int] | None = None,
        sampling: Sampling | None = None,
        model_size: tuple[int, int] | None = None,
        deblock: bool = True,
    ) -> None:
        self.source = path
        self.size = check_size(size)
        self.model_size = check_size(model_size)
        self.deblock = deblock
        self.sampling = sampling or Sampling()
        self.corrupt_frames = 0
        self.info: VideoInfo = self._open()

    def set_size(self, size: tuple[int, int] | None) -> None:
        """Change the output size before iterating: a size that depends on `info` (e.g. the
        source scaled by a factor) without opening the video twice."""
        self.size = check_size(size)

    @abc.abstractmethod
    def _open(self) -> VideoInfo:
        """Open the source, validate it and describe it."""

    @abc.abstractmethod
    def _decode(self) -> Iterator[tuple[float, Any]]:
        """Every frame from the start, in presentation order, as (pts_s, raw)."""

    @abc.abstractmethod
    def _to_rgb(self, raw: Any, size: tuple[int, int] | None) -> np.ndarray:
        """A raw frame as (H, W, 3) uint8 RGB at `size` (None: as decoded), display orientation.
        Called once per requested size for the same raw frame."""

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
                yield self._frame(index, pts_s, raw)

    def _frame(self, index: int, pts_s: float, raw: Any) -> Frame:
        rgb = self._to_rgb(raw, self.size)
        model_rgb = None
        if self.model_size is not None:
            same = self.size == self.model_size  # one conversion serves both
            model_rgb = rgb if same else self._to_rgb(raw, self.model_size)
        return Frame(index=index, pts_s=pts_s, rgb=rgb, model_rgb=model_rgb)

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
        if n == 0:
            raise self._no_frame_error()
        self._warn_if_incomplete(n, last_pts_s, frame_s)

    def _no_frame_error(self) -> CorruptVideoError:
        """The source opened but gave no frame at all: never an empty result."""
        if is_url(self.source):
            return CorruptVideoError(
                f"{self.source!r}: the {self.backend} backend read no frame from this URL; "
                "expected a stream that delivers video. For an HTTP file whose index is at its "
                "end (not 'faststart'), use --backend pyav or re-mux it with -movflags faststart."
            )
        return CorruptVideoError(
            f"{self.info.path!r}: the {self.backend} backend decoded no frame; expected a "
            "playable video. Try --backend pyav, or re-export the file."
        )

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
