"""PyAV (FFmpeg) reader: threaded decode, one reused scaler, corrupt frames skipped and counted."""

from __future__ import annotations

import itertools
import logging
import os
from collections.abc import Iterator
from fractions import Fraction

import av
import numpy as np
from av.video.reformatter import VideoReformatter

from pipeline.core.frames import VideoInfo
from pipeline.errors import (
    ConfigError,
    CorruptVideoError,
    NotAVideoError,
    UnsupportedVideoError,
)
from pipeline.io.base import VideoReader, check_video_path, display_rgb, is_url
from pipeline.io.h264 import slices_in_packet

log = logging.getLogger(__name__)

MAX_CONSECUTIVE_CORRUPT = 8  # then the file is damaged beyond skipping (PySceneDetect uses 5)
# Demuxers that read single images: a PNG renamed .mp4 opens as a one-frame png_pipe "video".
_IMAGE_FORMATS = {"image2", "image2pipe", "apng"}
_IMAGE_CODECS = {"png", "mjpeg", "jpeg2000", "bmp", "webp", "tiff", "gif", "jpegls", "qoi"}
# File signatures of video containers: such a file that FFmpeg cannot open is damaged, not
# "not a video" (a truncated .mp4 whose moov atom is missing).
_CONTAINER_MAGIC = ((4, b"ftyp"), (0, b"\x1a\x45\xdf\xa3"), (0, b"RIFF"), (0, b"\x00\x00\x01\xba"))


def open_error(path: str, exc: Exception) -> NotAVideoError | CorruptVideoError:
    """The user error for a file FFmpeg cannot open: damaged video or not a video at all."""
    head = b""
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError:
        pass
    if any(head[off : off + len(magic)] == magic for off, magic in _CONTAINER_MAGIC):
        return CorruptVideoError(
            f"{path!r} looks like a video container but cannot be opened ({exc}); expected a "
            "complete video file. It is probably truncated or damaged: re-download or re-export it."
        )
    return NotAVideoError(
        f"{path!r} is not a video FFmpeg can read ({exc}); expected a video file such as .mp4, "
        ".mkv or .mov. Check that the path points at the video, not a text file or image."
    )


def pick_video_stream(container: av.container.InputContainer, name: str) -> av.VideoStream:
    """The first real video stream (cover art is not video); NotAVideoError for stills/audio."""
    fmt = container.format.name
    if fmt in _IMAGE_FORMATS or fmt.endswith("_pipe"):
        raise NotAVideoError(
            f"{name!r} is a still image ({fmt}), not a video; expected a video file. "
            "Convert image sequences to a video first (e.g. ffmpeg -i img%04d.png out.mp4)."
        )
    streams = [
        s for s in container.streams.video if not s.disposition & av.stream.Disposition.attached_pic
    ]
    if not streams:
        kinds = sorted({s.type for s in container.streams}) or ["none"]
        raise NotAVideoError(
            f"{name!r} has no video stream (streams: {', '.join(kinds)}); expected a file with "
            "video. Check that this is the video, not its audio track or subtitles."
        )
    return streams[0]


def check_decoder(stream: av.VideoStream, name: str) -> None:
    """UnsupportedVideoError when this FFmpeg build has no decoder for the stream's codec (an
    AVI with an unknown FourCC opens, but its stream has no codec context)."""
    context = stream.codec_context
    if context is not None and getattr(context, "codec", None) is not None:
        return
    tag = (getattr(stream, "codec_tag", "") or "").strip()
    codec = f"codec {tag!r}" if tag else "an unknown codec (FourCC)"
    raise UnsupportedVideoError(
        f"{name!r}: its video stream uses {codec} that this FFmpeg build cannot decode; expected a common codec (H.264, HEVC, VP9, AV1, MPEG-4, ...). Re-encode it, "
        "e.g. ffmpeg -i IN -c:v libx264 OUT.mp4."
    )


def normalise_rotation(degrees: float) -> int:
    """Rotation snapped to a multiple of 90 in (-180, 180]: 270 -> -90, -180 -> 180."""
    r = int(round(degrees / 90.0)) * 90 % 360
    return r - 360 if r > 180 else r


class PyAVReader(VideoReader):
    """Decode with PyAV; see `VideoReader` for the arguments.

    Frames are converted (and resized) by ONE reused `VideoReformatter`, which keeps its swscale
    context between frames; `frame.to_ndarray(width=, height=)` would build one per frame.
    `start_s` decodes from the start and skips: seeking would lose the true frame index.
    """

    backend = "pyav"

    def _open(self) -> VideoInfo:
        if isinstance(self.source, int):
            raise ConfigError(
                f"camera index {self.source} needs the OpenCV backend; expected a file path for "
                "backend 'pyav'. Use backend='opencv' (--backend opencv)."
            )
        self._name = str(self.source) if is_url(self.source) else str(check_video_path(self.source))
        self._container, self._stream = self._open_container()
        # One reused scaler per output size: swscale keeps its context between frames.
        self._reformatters: dict[tuple[int, int] | None, VideoReformatter] = {}
        self._warned_corrupt = False
        try:
            self._fresh: Iterator[av.VideoFrame] | None = self._first_frames()
            return self._describe()
        except av.error.FFmpegError as exc:  # anything else FFmpeg refuses while probing
            self._container.close()
            raise CorruptVideoError(
                f"{self._name!r}: FFmpeg failed while reading its first frames ({exc}); "
                "expected a playable video. Re-download or re-export it."
            ) from exc
        except BaseException:
            self._container.close()
            raise

    def _open_container(self) -> tuple[av.container.InputContainer, av.VideoStream]:
        try:
            # metadata (titles, tags) in another encoding or damaged must not stop decoding
            container = av.open(self._name, metadata_errors="replace")
        except av.error.FFmpegError as exc:
            raise open_error(self._name, exc) from exc
        try:
            stream = pick_video_stream(container, self._name)
            check_decoder(stream, self._name)
        except BaseException:
            container.close()
            raise
        stream.thread_type = "AUTO"  # frame + slice threads: ~2x on H.264 even on 2 cores
        if not self.deblock:  # Preprocessing.deblock: the in-loop filter, skipped
            stream.codec_context.options = {"skip_loop_filter": "all"}
        self._start_pts = stream.start_time or 0
        return container, stream

    def _first_frames(self) -> Iterator[av.VideoFrame]:
        """Decode ahead: the first frame gives the rotation; a still codec must show a second."""
        frames = self._decoded()
        ahead = list(itertools.islice(frames, 2 if self._is_still_codec() else 1))
        if not ahead:
            raise CorruptVideoError(
                f"{self._name!r}: no frame of its video stream could be decoded; expected a "
                "playable video. The file is damaged: re-download or re-export it."
            )
        if self._is_still_codec() and len(ahead) == 1:
            raise NotAVideoError(
                f"{self._name!r} holds a single {self._stream.codec_context.name} image, not a "
                "video; expected a video file with more than one frame."
            )
        self._first = ahead[0]
        return itertools.chain(ahead, frames)

    def _is_still_codec(self) -> bool:
        return self._stream.codec_context.name in _IMAGE_CODECS

    def _describe(self) -> VideoInfo:
        self.rotation = normalise_rotation(self._first.rotation or 0.0)
        width, height = self._first.width, self._first.height
        if self.rotation % 180:
            width, height = height, width  # display size of a phone video held upright
        stream = self._stream
        fps = stream.average_rate or stream.guessed_rate or None
        duration_s = None
        if stream.duration:
            duration_s = float(stream.duration * stream.time_base)
        elif self._container.duration:
            duration_s = self._container.duration / av.time_base
        return VideoInfo(
            path=self._name,
            width=width,
            height=height,
            fps=Fraction(fps) if fps else None,
            frames=stream.frames or None,
            duration_s=duration_s,
            rotation=self.rotation,
            has_audio=bool(self._container.streams.audio),
            codec=stream.codec_context.name,
            backend=self.backend,
        )

    def _use_slice_threads(self, packet: av.Packet) -> None:
        """Before the first decode: slice threads for H.264 pictures cut into several slices
        (faster there than frame threads, the same pictures; see pipeline.io.h264)."""
        context = self._stream.codec_context
        if context.name != "h264" or context.is_open:
            return
        slices = slices_in_packet(bytes(packet), bytes(context.extradata or b""))
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        if slices >= 2 and (cores or 1) >= 2:
            self._stream.thread_type = "SLICE"
            context.thread_count = min(slices, cores)

    def _decoded(self) -> Iterator[av.VideoFrame]:
        """Every decodable frame in presentation order; bad packets are skipped and counted."""
        consecutive = 0
        packets = self._container.demux(self._stream)
        first = True
        while True:
            try:
                packet = next(packets)
            except StopIteration:
                return
            except av.error.FFmpegError as exc:  # the container itself breaks off: truncated
                log.warning("%s: reading stopped early, file is damaged: %s", self._name, exc)
                return
            if first and packet.size:
                first = False
                self._use_slice_threads(packet)
            try:
                # Includes the final packets whose dts is None: they flush the decoder's
                # delayed frames (skipping them loses the last B-frames).
                frames = packet.decode()
            except av.error.FFmpegError as exc:
                consecutive += 1
                self._count_corrupt(exc, consecutive)
                continue
            for frame in frames:
                consecutive = 0
                yield frame

    def _count_corrupt(self, exc: Exception, consecutive: int) -> None:
        self.corrupt_frames += 1
        if consecutive >= MAX_CONSECUTIVE_CORRUPT:
            raise CorruptVideoError(
                f"{self._name!r}: {consecutive} consecutive frames failed to decode ({exc}); "
                "expected a readable video. The file is damaged: re-download or re-export it."
            )
        if not self._warned_corrupt:
            self._warned_corrupt = True
            log.warning("%s: skipping frames that fail to decode (%s)", self._name, exc)

    def _decode(self) -> Iterator[tuple[float, av.VideoFrame]]:
        if self._fresh is None:  # a second pass: start over from a fresh demuxer
            self._container.close()
            self._container, self._stream = self._open_container()
            self._fresh = self._decoded()
        frames, self._fresh = self._fresh, None
        time_base = self._stream.time_base
        step_s = 1.0 / float(self.info.fps) if self.info.fps else 0.0
        pts_s = -step_s
        for frame in frames:
            if frame.pts is None:  # raw H.264 streams carry no pts: continue the nominal clock
                pts_s += step_s
            else:  # seconds since the stream's first frame, as OpenCV's POS_MSEC counts them
                pts_s = float((frame.pts - self._start_pts) * time_base)
            yield pts_s, frame

    def _to_rgb(self, frame: av.VideoFrame, size: tuple[int, int] | None) -> np.ndarray:
        width = height = None
        interpolation = None
        if size is not None:
            width, height = size
            if self.rotation % 180:
                width, height = height, width  # resize in coded orientation, then rotate
            interpolation = "AREA"  # area averaging: no aliasing when shrinking to model size
        reformatter = self._reformatters.setdefault(size, VideoReformatter())
        out = reformatter.reformat(
            frame, width=width, height=height, format="rgb24", interpolation=interpolation
        )
        return display_rgb(out.to_ndarray(), self.rotation)  # (H, W, 3)

    def close(self) -> None:
        self._fresh = None
        self._container.close()
