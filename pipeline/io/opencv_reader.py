"""OpenCV reader: files (same behaviour as PyAV), and also camera indices and stream URLs."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from fractions import Fraction

import cv2
import numpy as np

from pipeline.core.frames import VideoInfo
from pipeline.errors import CorruptVideoError, VideoNotFoundError
from pipeline.io.base import VideoReader, check_video_path, is_url
from pipeline.io.pyav_reader import PyAVReader


def _fourcc_name(value: float) -> str:
    """OpenCV's FOURCC property (a packed float) as text, e.g. 'h264'; 'unknown' when absent."""
    code = int(value)
    text = "".join(chr((code >> (8 * i)) & 0xFF) for i in range(4)).strip("\x00 ")
    return text.lower() if text.isprintable() and text else "unknown"


class OpenCVReader(VideoReader):
    """Decode with OpenCV's FFmpeg backend; see `VideoReader` for the arguments.

    `path` may also be an int camera index or a stream URL ("live": `info.fps` may be None and
    `info.frames` is None; a camera's pts are its frames' arrival times on a monotonic clock).
    Files are first validated and described by PyAV (container, still-image rejection, audio,
    codec, frame count), which OpenCV does not expose; OpenCV then does all the decoding.
    OpenCV cannot tell a corrupt frame from the end of the file, so `corrupt_frames` stays 0
    and a damaged file ends early with a warning.
    """

    backend = "opencv"

    def _open(self) -> VideoInfo:
        self._live = isinstance(self.source, int) or is_url(self.source)
        if self._live:
            self._name = str(self.source)
            probe = None
        else:
            self._name = str(check_video_path(self.source))
            with PyAVReader(self._name) as pyav_reader:
                probe = pyav_reader.info
        self._cap = self._open_capture()
        self._used = False
        return self._describe(probe)

    def _open_capture(self) -> cv2.VideoCapture:
        source = self.source if isinstance(self.source, int) else self._name
        api = cv2.CAP_ANY if isinstance(source, int) else cv2.CAP_FFMPEG
        cap = cv2.VideoCapture(source, api)
        if not cap.isOpened():
            cap.release()
            if isinstance(source, int):
                raise VideoNotFoundError(
                    f"OpenCV cannot open camera {source}; expected the index of a connected "
                    "camera (0 is usually the first). Check that it is plugged in and not in use."
                )
            raise VideoNotFoundError(
                f"OpenCV cannot open {self._name!r}; expected a reachable stream URL or a video "
                "file. Check the URL, or try backend='pyav'."
            )
        # rotate phone videos upright, like PyAV's display-matrix handling
        cap.set(cv2.CAP_PROP_ORIENTATION_AUTO, 1)
        return cap

    def _describe(self, probe: VideoInfo | None) -> VideoInfo:
        cap = self._cap
        # OpenCV's size is after auto-orientation: what its frames will really be
        width = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH))
        height = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        if probe is not None:
            return dataclasses.replace(probe, width=width, height=height, backend=self.backend)
        fps_value = cap.get(cv2.CAP_PROP_FPS)
        return VideoInfo(
            path=self._name,
            width=width,
            height=height,
            fps=Fraction(fps_value).limit_denominator(100_000) if fps_value > 0 else None,
            frames=None,
            duration_s=None,
            rotation=int(cap.get(cv2.CAP_PROP_ORIENTATION_META) or 0),
            has_audio=False,
            codec=_fourcc_name(cap.get(cv2.CAP_PROP_FOURCC)),
            backend=self.backend,
        )

    def _decode(self) -> Iterator[tuple[float, int]]:
        if self._used:  # a second pass: VideoCapture seeking is approximate, reopen instead
            self._cap.release()
            self._cap = self._open_capture()
        self._used = True
        self._retrieved: tuple[int, np.ndarray] | None = None
        t0_s: float | None = None
        # grab() decodes without converting; the base class retrieves only the kept frames
        grabbed = 0  # the raw "frame" is its number: retrieve() reads the last grabbed one
        while self._cap.grab():
            grabbed += 1
            if isinstance(self.source, int):
                # cameras: the arrival clock, since device timestamps vary by driver
                now_s = time.monotonic()
                t0_s = now_s if t0_s is None else t0_s
                pts_s = now_s - t0_s
            else:  # files and stream URLs: FFmpeg pts, seconds since the stream start
                pts_s = self._cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
            yield pts_s, grabbed

    def _retrieve(self, number: int) -> np.ndarray:
        """The grabbed frame as decoded (BGR), converted once however many sizes are asked."""
        if self._retrieved is not None and self._retrieved[0] == number:
            return self._retrieved[1]
        ok, bgr = self._cap.retrieve()
        if not ok or bgr is None:
            # grab() succeeded, so this is a conversion failure, not the end of the video
            raise CorruptVideoError(
                f"{self._name!r}: OpenCV decoded a frame but could not convert it; expected a "
                "readable video. Try backend='pyav', or re-export the video."
            )
        self._retrieved = (number, bgr)
        return bgr

    def _to_rgb(self, raw: int, size: tuple[int, int] | None) -> np.ndarray:
        bgr = self._retrieve(raw)
        if size is not None and (bgr.shape[1], bgr.shape[0]) != size:
            # every size from the decoded picture, the same way in training and labeling
            bgr = cv2.resize(bgr, size, interpolation=cv2.INTER_AREA)  # (h, w, 3)
        return np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))

    def close(self) -> None:
        self._cap.release()
