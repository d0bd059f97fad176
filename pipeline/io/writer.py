"""Streaming H.264 video writer (PyAV) with optional audio passthrough, chapters and atomic
output.

Frames are encoded as they arrive; nothing but the encoder's own look-ahead is held in memory.
The file is written under a hidden temp name in the target folder and renamed on success, so an
exception or Ctrl-C never leaves a half-written video behind (see `pipeline.io.atomic`).
Chapters (`VideoWriter.set_chapters`, or `add_chapters` for a finished file) go into the
container's chapter list, which players show as a chapter menu.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from types import TracebackType

import av
import numpy as np

from pipeline.errors import ConfigError, NotAVideoError, VideoNotFoundError
from pipeline.io.atomic import AtomicPath, atomic_output, not_writable_error

log = logging.getLogger(__name__)

# Containers whose muxer understands `movflags=+faststart` (moov atom first, so a browser can
# start playing before the whole file has downloaded).
_MOV_SUFFIXES = {".mp4", ".m4v", ".mov"}
# Largest fps denominator kept when a float rate is given: 29.97002997 -> 30000/1001.
_MAX_FPS_DENOMINATOR = 100_000
_CHAPTER_TIME_BASE = Fraction(1, 1000)  # chapter times are stored in milliseconds


@dataclass(frozen=True)
class Chapter:
    """One chapter of a video: [start_s, end_s) seconds of the written video, and its title."""

    start_s: float
    end_s: float
    title: str


def _pyav_chapters(chapters: Sequence[Chapter]) -> list[dict]:
    """`chapters` as the dicts `OutputContainer.set_chapters` takes; ValueError when they are
    not in order or have no length."""
    out, last_end = [], 0
    for i, ch in enumerate(chapters):
        start, end = round(ch.start_s * 1000), round(ch.end_s * 1000)
        if start < last_end or end <= start:
            raise ValueError(
                f"chapter {i} [{ch.start_s}, {ch.end_s}) s is out of order or empty; expected "
                "chapters in time order, each ending after it starts"
            )
        out.append(
            {
                "id": i + 1,
                "start": start,
                "end": end,
                "time_base": _CHAPTER_TIME_BASE,
                "metadata": {"title": str(ch.title)},
            }
        )
        last_end = end
    return out


def read_chapters(path: str | os.PathLike[str]) -> list[Chapter]:
    """The chapters stored in a media file, in seconds (empty when it has none)."""
    with av.open(str(path)) as container:
        found = container.chapters()
    return [
        Chapter(
            float(c["start"] * c["time_base"]),
            float(c["end"] * c["time_base"]),
            c["metadata"].get("title", ""),
        )
        for c in found
    ]


def add_chapters(path: str | os.PathLike[str], chapters: Sequence[Chapter]) -> Path:
    """Rewrite the video at `path` with `chapters` (replacing any it had), streams copied, not
    re-encoded; the file is replaced atomically. Returns the path."""
    entries = _pyav_chapters(chapters)
    path = Path(path)
    options = {"movflags": "+faststart"} if path.suffix.lower() in _MOV_SUFFIXES else {}
    with av.open(str(path)) as src, atomic_output(path, overwrite=True, mode=None) as tmp:
        kept = [s for s in src.streams if s.type in ("video", "audio")]  # old chapter tracks go
        with av.open(str(tmp), mode="w", options=options) as dst:
            copies = {s.index: dst.add_stream_from_template(s) for s in kept}
            dst.set_chapters(entries)
            for pkt in src.demux(kept):
                if pkt.dts is None:
                    continue  # demuxer flush packets carry no data
                pkt.stream = copies[pkt.stream.index]
                dst.mux(pkt)
    return path


def as_fraction_fps(fps: Fraction | float | int) -> Fraction:
    """`fps` as an exact Fraction (floats snapped to the nearest rate with denominator <= 1e5)."""
    if isinstance(fps, bool) or not isinstance(fps, (Fraction, float, int)):
        raise ConfigError(f"fps={fps!r} is not a number; expected a positive frame rate like 25.")
    rate = Fraction(fps).limit_denominator(_MAX_FPS_DENOMINATOR)
    if rate <= 0:
        raise ConfigError(f"fps={fps!r} is not positive; expected a positive frame rate like 25.")
    return rate


class _AudioSource:
    """The audio packets of a source file, handed out in order up to a given time (for remux).

    Packet times are shifted so that output time 0 is source time `start_s` past the start of
    the source's video stream (the readers' pts_s origin); audio from before that is dropped.
    """

    def __init__(self, path: str | os.PathLike[str], start_s: float = 0.0) -> None:
        if not Path(path).exists():
            raise VideoNotFoundError(
                f"audio_from={str(path)!r} does not exist; expected the source video whose audio "
                "should be copied. Check the path."
            )
        try:
            self.container = av.open(str(path), metadata_errors="replace")
        except av.error.FFmpegError as exc:
            raise NotAVideoError(
                f"audio_from={str(path)!r} cannot be opened as a media file ({exc}); "
                "expected a video or audio file. Check the path."
            ) from exc
        self.stream = self.container.streams.audio[0] if self.container.streams.audio else None
        self._packets: Iterator[av.Packet] = (
            iter(self.container.demux(self.stream)) if self.stream is not None else iter(())
        )
        self._pending: av.Packet | None = None
        self._offset = self._offset_ticks(start_s) if self.stream is not None else 0

    def _offset_ticks(self, start_s: float) -> int:
        """Audio ticks between the source's time 0 and the first written frame."""
        videos = self.container.streams.video
        video_start_s = 0.0
        if videos and videos[0].start_time is not None:
            video_start_s = float(videos[0].start_time * videos[0].time_base)
        return round((video_start_s + start_s) / self.stream.time_base)

    def _next(self) -> av.Packet | None:
        """The next audio packet with a timestamp (trailing flush packets carry none)."""
        if self._pending is None:
            try:
                for pkt in self._packets:
                    if pkt.dts is not None and pkt.size > 0:
                        self._pending = pkt
                        break
            except av.error.FFmpegError as exc:  # a damaged tail ends the audio, not the video
                log.warning("audio from %s ends early: %s", self.container.name, exc)
                self._packets = iter(())
        return self._pending

    def packets_until(self, t_s: float) -> Iterator[av.Packet]:
        """Yield the packets that start before output time `t_s` and were not yielded yet."""
        while (pkt := self._next()) is not None:
            ts = (pkt.pts if pkt.pts is not None else pkt.dts) - self._offset
            if float(ts * pkt.time_base) >= t_s:
                return
            self._pending = None
            if self._offset > 0 and ts < 0:
                continue  # sound from before the first written frame
            if self._offset:
                pkt.dts -= self._offset
                if pkt.pts is not None:
                    pkt.pts -= self._offset
            yield pkt

    def close(self) -> None:
        self.container.close()


class VideoWriter:
    """Write RGB frames to an H.264 (libx264, yuv420p) video, streaming, atomically.

    Args:
        path: Output file (.mp4 recommended: browser-playable with `+faststart`).
        width: Frame width in pixels of the arrays passed to `write`.
        height: Frame height in pixels.
        fps: Frame rate; frame i gets pts i/fps, so the output has exactly the frames written
            and a duration of frames/fps.
        audio_from: A media file whose first audio stream is copied (remuxed, not re-encoded)
            beside the video, trimmed to the video's duration. Ignored if it has no audio.
        audio_start_s: Source time (pts seconds, as the readers report them) shown by the
            first written frame, when the frames start part way into `audio_from` (start_s).
        crf: x264 constant rate factor (0 = lossless luma, 23 = default, 51 = worst).
        preset: x264 speed preset ("ultrafast" ... "veryslow").
        threads: x264 encoder threads; None = FFmpeg's default (x264 picks from the core
            count). The bitstream depends on the thread count, and with several threads it can
            vary run to run, so dataset recipes pass threads=1 (and parallelise over files
            instead): re-encodes then give the same pictures, and usually the same bytes. Not
            always: this x264 build reads some uninitialised memory (at heights that are not a
            multiple of 16 always, otherwise seen once in a full test run), so one thread can
            differ by a fraction of a grey level between runs.
        overwrite: Replace an existing file; otherwise OutputExistsError.

    Use as a context manager: on a clean exit the file is finished and renamed into place; on an
    exception (KeyboardInterrupt included) it is deleted. `close()` / `abort()` do the same
    explicitly.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        width: int,
        height: int,
        fps: Fraction | float,
        audio_from: str | os.PathLike[str] | None = None,
        crf: int = 23,
        preset: str = "veryfast",
        threads: int | None = None,
        overwrite: bool = False,
        audio_start_s: float = 0.0,
    ) -> None:
        if width <= 0 or height <= 0:
            raise ConfigError(f"video size {width}x{height} is invalid; expected positive sizes.")
        if not 0 <= crf <= 51:
            raise ConfigError(f"crf={crf} is out of range; expected 0 (lossless) to 51.")
        if threads is not None and (type(threads) is not int or threads < 1):
            raise ConfigError(
                f"threads={threads!r} is invalid; expected an integer of 1 or more, or None for "
                "FFmpeg's default."
            )
        self.width, self.height = int(width), int(height)
        self.fps = as_fraction_fps(fps)
        self.frames_written = 0
        self._target = AtomicPath(path, overwrite=overwrite)
        self._audio: _AudioSource | None = None
        self._container: av.container.OutputContainer | None = None
        self._chapters: list[dict] = []
        self._closed = False
        try:
            self._open(crf, preset, threads)
            if audio_from is not None:
                self._add_audio(audio_from, audio_start_s)
        except BaseException:
            self._teardown()
            raise

    @property
    def path(self) -> Path:
        """The final output path (the file appears there only after a successful close)."""
        return self._target.final

    def _open(self, crf: int, preset: str, threads: int | None) -> None:
        """Open the temp container and add the H.264 video stream."""
        suffix = self._target.final.suffix.lower()
        options = {"movflags": "+faststart"} if suffix in _MOV_SUFFIXES else {}
        try:
            self._container = av.open(str(self._target.tmp), mode="w", options=options)
        except av.error.OSError as exc:
            raise not_writable_error(self._target.final, exc) from exc
        except (av.error.FFmpegError, ValueError) as exc:
            raise ConfigError(
                f"output {str(self._target.final)!r}: cannot write a video container for suffix "
                f"{suffix!r} ({exc}); expected a video suffix such as .mp4 or .mkv."
            ) from exc
        self._video = self._container.add_stream(
            "libx264", rate=self.fps, options={"crf": str(crf), "preset": preset}
        )
        # libx264 + yuv420p (4:2:0 chroma) need even sizes: odd ones are PADDED by one pixel
        # (edge row/column repeated) rather than cropped, so no image content is lost.
        self._video.width = self.width + self.width % 2
        self._video.height = self.height + self.height % 2
        self._video.pix_fmt = "yuv420p"  # the pixel format every browser plays
        if threads is not None:  # read when the first frame opens the encoder
            self._video.codec_context.thread_count = threads
        # One tick per frame: frame i has pts i, so count and duration come out exact.
        self._video.time_base = Fraction(1) / self.fps

    def _add_audio(self, audio_from: str | os.PathLike[str], start_s: float) -> None:
        """Add a stream copied from `audio_from`'s first audio stream, if it has one we can mux."""
        self._audio = _AudioSource(audio_from, start_s)
        src = self._audio.stream
        if src is None:
            log.debug("audio_from=%s has no audio stream; writing video only", audio_from)
            return
        if src.codec_context.name not in self._container.supported_codecs:
            log.warning(
                "audio codec %s of %s cannot be stored in %s; writing video without audio",
                src.codec_context.name,
                audio_from,
                self._target.final.name,
            )
            self._audio.stream = None
            return
        self._out_audio = self._container.add_stream_from_template(src)

    def write(self, rgb: np.ndarray) -> None:
        """Encode one (height, width, 3) uint8 RGB frame as the next frame of the video."""
        if self._closed:
            raise RuntimeError("write() on a VideoWriter that is already closed")
        if rgb.shape != (self.height, self.width, 3) or rgb.dtype != np.uint8:
            raise ValueError(
                f"frame has shape {rgb.shape} dtype {rgb.dtype}; expected "
                f"({self.height}, {self.width}, 3) uint8 RGB for this {self.width}x{self.height} "
                "writer"
            )
        pad_h, pad_w = self.height % 2, self.width % 2
        if pad_h or pad_w:
            rgb = np.pad(rgb, ((0, pad_h), (0, pad_w), (0, 0)), mode="edge")  # (H', W', 3)
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
        frame.pts = self.frames_written
        self._mux_video(self._video.encode(frame))
        self.frames_written += 1
        self._mux_audio_until(float(self.frames_written / self.fps))

    def _mux_video(self, packets: list[av.Packet]) -> None:
        """Mux encoded video packets, reporting a full disk or lost folder as a user error."""
        try:
            self._container.mux(packets)
        except av.error.OSError as exc:
            raise not_writable_error(self._target.final, exc) from exc

    def _mux_audio_until(self, t_s: float) -> None:
        """Copy source audio up to `t_s` so audio and video stay interleaved in the file."""
        if self._audio is None or self._audio.stream is None:
            return
        for pkt in self._audio.packets_until(t_s):
            pkt.stream = self._out_audio
            try:
                self._container.mux(pkt)
            except av.error.OSError as exc:
                raise not_writable_error(self._target.final, exc) from exc

    def set_chapters(self, chapters: Sequence[Chapter]) -> None:
        """Store `chapters` (times on this video's clock: frame i at i/fps) in the file.

        May be called any time before `close` (labels are known only once the frames are
        written); a later call replaces the earlier list. ValueError when they are out of order.
        """
        if self._closed:
            raise RuntimeError("set_chapters() on a VideoWriter that is already closed")
        self._chapters = _pyav_chapters(chapters)

    def close(self) -> Path:
        """Flush the encoder, finish the file, rename it into place and return its final path."""
        if self._closed:
            return self._target.final
        try:
            if self.frames_written == 0:
                log.warning("no frames were written to %s", self._target.final)
            self._mux_video(self._video.encode(None))  # flush x264's look-ahead
            self._mux_audio_until(float(self.frames_written / self.fps))
            if self._chapters:  # the mp4 muxer writes them with the index, at the end
                self._container.set_chapters(self._chapters)
            self._container.close()  # the trailer (and the faststart rewrite) hit the disk here
        except av.error.OSError as exc:
            self.abort()
            raise not_writable_error(self._target.final, exc) from exc
        except BaseException:
            self.abort()
            raise
        self._closed = True
        self._close_audio()
        return self._target.commit()

    def abort(self) -> None:
        """Stop writing and delete the partial file; the final name is left untouched."""
        self._teardown()

    def _teardown(self) -> None:
        self._closed = True
        if self._container is not None:
            # Closing writes a trailer we are about to delete; any error here is moot.
            with contextlib.suppress(av.error.FFmpegError, OSError, ValueError):
                self._container.close()
        self._close_audio()
        self._target.discard()

    def _close_audio(self) -> None:
        if self._audio is not None:
            self._audio.close()
            self._audio = None

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()
