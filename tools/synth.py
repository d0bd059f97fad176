"""Tiny synthetic test videos whose frames encode their own index (shared by every test suite).

Frames are written losslessly (libx264rgb qp 0 or FFV1) with explicit pts, so a round trip is
exact: `decode_index(frame.rgb) == frame.index` for every decoded frame.

The index is drawn as N_RINGS concentric gray "rings" (rectangular bands measured from the
centre in coordinates normalised to the frame size), each ring one base-8 digit. Rings survive
everything a reader may legitimately do to a frame: resizing (bands scale with the frame),
rotation by any multiple of 90 degrees (a band maps onto itself), 4:2:0 chroma subsampling and
mild lossy compression (gray has no chroma; levels are 32 apart and read with a median).

    path = write_test_video(tmp_path / "a.mp4", 30)
    for frame in open_video(path):
        assert decode_index(frame.rgb) == frame.index
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

N_RINGS = 4
LEVELS = 8  # gray levels per ring: one base-8 digit
MAX_INDEX = LEVELS**N_RINGS - 1  # 4095
_LEVEL_STEP = 32  # 8-bit gray distance between neighbouring levels
_LEVEL_OFFSET = 16  # level v is drawn as gray 16 + 32 v (16..240), away from clipping


def _ring_map(height: int, width: int) -> np.ndarray:
    """(H, W) float map of normalised Chebyshev distance from the frame centre, in [0, 1)."""
    v = (np.arange(height) + 0.5) / height * 2.0 - 1.0  # (H,)
    u = (np.arange(width) + 0.5) / width * 2.0 - 1.0  # (W,)
    return np.maximum(np.abs(v)[:, None], np.abs(u)[None, :])  # (H, W)


def index_rgb(index: int, size: tuple[int, int] = (64, 48)) -> np.ndarray:
    """A (height, width, 3) uint8 frame encoding `index` (0..4095); `size` is (width, height)."""
    if not 0 <= index <= MAX_INDEX:
        raise ValueError(f"index {index} out of range; synthetic frames encode 0..{MAX_INDEX}")
    width, height = size
    ring = np.minimum((_ring_map(height, width) * N_RINGS).astype(int), N_RINGS - 1)  # (H, W)
    digits = np.array([(index // LEVELS**k) % LEVELS for k in range(N_RINGS)])  # (N_RINGS,)
    gray = (_LEVEL_OFFSET + _LEVEL_STEP * digits[ring]).astype(np.uint8)  # (H, W)
    return np.ascontiguousarray(np.repeat(gray[:, :, None], 3, axis=2))  # (H, W, 3)


def decode_index(rgb: np.ndarray) -> int:
    """The index drawn by `index_rgb`, read back from a decoded (H, W, 3) frame of any size."""
    gray = rgb.astype(np.float32).mean(axis=2)  # (H, W)
    r = _ring_map(*gray.shape) * N_RINGS  # ring coordinate, digit k lives in [k, k + 1)
    index = 0
    for k in range(N_RINGS):
        # the middle of each band only: edges blur under scaling and lossy coding
        band = gray[(r >= k + 0.25) & (r < k + 0.75)]
        if band.size == 0:
            band = gray[(r >= k) & (r < k + 1)]
        level = round((float(np.median(band)) - _LEVEL_OFFSET) / _LEVEL_STEP)
        index += min(max(level, 0), LEVELS - 1) * LEVELS**k
    return index


def _add_audio_stream(container: av.container.OutputContainer) -> av.AudioStream:
    """A mono 16 kHz audio stream: AAC where the container takes it, else 16-bit PCM."""
    codec = "aac" if "aac" in container.supported_codecs else "pcm_s16le"
    return container.add_stream(codec, rate=16000, layout="mono")


def _write_sine(container: av.container.OutputContainer, stream: av.AudioStream, dur_s: float):
    """Mux `dur_s` seconds of a 440 Hz sine into `stream`."""
    rate = stream.rate
    fmt = stream.codec_context.format.name  # "fltp" for aac, "s16" for pcm
    chunk = 1024
    n_total = int(round(dur_s * rate))
    for start in range(0, n_total, chunk):
        n = min(chunk, n_total - start)
        t = (np.arange(start, start + n) / rate).astype(np.float32)
        wave = 0.3 * np.sin(2 * np.pi * 440.0 * t)  # (n,)
        samples = wave if fmt == "fltp" else (wave * 32767).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(samples[None, :], format=fmt, layout="mono")  # (1, n)
        frame.sample_rate = rate
        frame.pts = start
        container.mux(stream.encode(frame))
    container.mux(stream.encode(None))


def _add_lossless_stream(
    container: av.container.OutputContainer,
    codec: str,
    fps: Fraction,
    size: tuple[int, int],
    time_base: Fraction,
) -> av.VideoStream:
    """A lossless RGB video stream: libx264rgb qp 0 (with B-frames) or FFV1 (intra only)."""
    if codec == "libx264rgb":
        opts = {"qp": "0", "preset": "veryfast"}  # veryfast keeps B-frames: reordering is tested
        stream = container.add_stream("libx264rgb", rate=fps, options=opts)
        stream.pix_fmt = "rgb24"
    else:
        stream = container.add_stream("ffv1", rate=fps)
        stream.pix_fmt = "bgr0"
    stream.width, stream.height = size
    stream.time_base = time_base
    return stream


def write_test_video(
    path: str | Path,
    n_frames: int,
    size: tuple[int, int] = (64, 48),
    fps: Fraction | int = Fraction(25),
    codec: str = "libx264rgb",
    pts: Sequence[int] | None = None,
    rotation: int | None = None,
    audio: bool = False,
    frame_fn: Callable[[int], np.ndarray] | None = None,
    time_base: Fraction | None = None,
) -> Path:
    """Write a lossless test video and return its path.

    Args:
        path: Output file; the suffix picks the container (.mp4/.mov/.mkv; FFV1 needs .mkv/.mov).
        n_frames: Number of frames.
        size: Coded (stored) (width, height). With rotation=+-90 the display size is swapped.
        fps: Nominal frame rate (also the default time base 1/fps).
        codec: "libx264rgb" (lossless H.264 with B-frames, so decode order != display order)
            or "ffv1" (lossless intra-only).
        pts: Per-frame pts in `time_base` units, strictly increasing (for VFR); default 0..n-1.
        rotation: Display rotation in degrees, counter-clockwise, as read back from
            `VideoFrame.rotation` (phones store -90 for "rotate=90"); stored as the stream's
            display-matrix side data. Frames are stored as drawn (coded orientation).
        audio: Add a 440 Hz sine audio track of the video's duration.
        frame_fn: `frame_fn(i) -> (height, width, 3) uint8` frame content; default `index_rgb`.
        time_base: Time base for `pts`; default 1/fps.
    """
    path = Path(path)
    fps = Fraction(fps)
    time_base = time_base if time_base is not None else 1 / fps
    pts = list(pts) if pts is not None else list(range(n_frames))
    if len(pts) != n_frames or any(b <= a for a, b in zip(pts, pts[1:], strict=False)):
        raise ValueError(f"pts needs {n_frames} strictly increasing values, got {pts}")
    draw = frame_fn or (lambda i: index_rgb(i, size))
    if codec not in ("libx264rgb", "ffv1"):
        raise ValueError(f"codec {codec!r}: expected 'libx264rgb' or 'ffv1'")
    with av.open(str(path), mode="w") as container:
        stream = _add_lossless_stream(container, codec, fps, size, time_base)
        if rotation:
            stream.set_display_rotation(rotation)  # display-matrix side data, like a phone
        audio_stream = _add_audio_stream(container) if audio else None
        for i, pts_i in enumerate(pts):
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(draw(i)), format="rgb24")
            frame.pts = pts_i
            frame.time_base = time_base
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))  # flush: B-frames and look-ahead
        if audio_stream is not None:
            _write_sine(container, audio_stream, float((pts[-1] + 1) * time_base))
    return path


def truncate_copy(src: str | Path, dst: str | Path, fraction: float) -> Path:
    """Copy the first `fraction` (0..1) of the bytes of `src` to `dst` (a truncated download)."""
    data = Path(src).read_bytes()
    Path(dst).write_bytes(data[: int(len(data) * fraction)])
    return Path(dst)
