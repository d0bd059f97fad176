"""Seed inputs for the fuzzer: small real encodes in many codecs and containers, made here.

Each seed is a few frames of moving, noisy content (so compressed streams hold real motion
data), written with PyAV. Codecs this FFmpeg build lacks are skipped, so the seed set adapts
to the machine.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SeedSpec:
    """One seed video: file name (its suffix picks the container), codec and pixel format."""

    name: str
    codec: str
    pix_fmt: str
    size: tuple[int, int] = (64, 48)
    frames: int = 12
    options: dict = field(default_factory=dict)
    rotation: int | None = None
    vfr: bool = False
    audio: bool = False


SEED_SPECS = (
    SeedSpec("h264.mp4", "libx264", "yuv420p", options={"preset": "ultrafast"}, audio=True),
    SeedSpec("mpeg4.avi", "mpeg4", "yuv420p"),
    SeedSpec(
        "vp9.webm", "libvpx-vp9", "yuv420p", options={"deadline": "realtime", "cpu-used": "8"}
    ),
    SeedSpec("ffv1_odd.mkv", "ffv1", "bgr0", size=(63, 47)),
    SeedSpec("mjpeg.mov", "mjpeg", "yuvj420p"),
    SeedSpec("h264_10bit.mkv", "libx264", "yuv420p10le", options={"preset": "ultrafast"}),
    SeedSpec("qtrle_alpha.mov", "qtrle", "argb"),
    SeedSpec("mpeg2.ts", "mpeg2video", "yuv420p"),
    SeedSpec("rotated.mp4", "libx264", "yuv420p", options={"preset": "ultrafast"}, rotation=-90),
    SeedSpec("vfr.mkv", "ffv1", "yuv420p", vfr=True),
    SeedSpec("hevc.mp4", "libx265", "yuv420p", options={"x265-params": "log-level=none"}),
    SeedSpec("flv1.flv", "flv", "yuv420p"),
)


def content(index: int, size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """(H, W, 3) uint8: a gradient that moves with `index`, a bright square, sensor noise."""
    width, height = size
    x = np.arange(width)[None, :] + 3 * index  # (1, W)
    y = np.arange(height)[:, None]  # (H, 1)
    base = ((x * 4 + y * 2) % 256).astype(np.uint8)  # (H, W)
    rgb = np.stack([base, np.roll(base, 7, axis=1), 255 - base], axis=2)  # (H, W, 3)
    left = (index * 5) % max(1, width - 12)
    rgb[8:20, left : left + 12] = 250
    noise = rng.integers(0, 24, size=rgb.shape, dtype=np.uint8)
    return np.ascontiguousarray(rgb // 2 + noise)


def write_seed(spec: SeedSpec, folder: Path, rng: np.random.Generator) -> Path | None:
    """Encode one seed into `folder`; None when this FFmpeg build lacks the codec."""
    if spec.codec not in av.codecs_available:
        log.info("fuzz seed %s skipped: no %s encoder", spec.name, spec.codec)
        return None
    path = folder / spec.name
    fps = Fraction(25)
    time_base = Fraction(1, 1000) if spec.vfr else 1 / fps
    pts = np.cumsum(rng.integers(20, 90, spec.frames)) if spec.vfr else np.arange(spec.frames)
    try:
        with av.open(str(path), "w") as out:
            stream = out.add_stream(spec.codec, rate=fps, options=dict(spec.options))
            stream.width, stream.height = spec.size
            stream.pix_fmt = spec.pix_fmt
            stream.time_base = time_base
            if spec.rotation:
                stream.set_display_rotation(spec.rotation)
            for i in range(spec.frames):
                frame = av.VideoFrame.from_ndarray(content(i, spec.size, rng), format="rgb24")
                frame.pts, frame.time_base = int(pts[i]), time_base
                out.mux(stream.encode(frame))
            out.mux(stream.encode(None))
            if spec.audio:
                _write_audio(out, spec.frames / float(fps))
    except (av.error.FFmpegError, ValueError) as exc:  # an encoder present but unusable here
        log.info("fuzz seed %s skipped: %s", spec.name, exc)
        path.unlink(missing_ok=True)
        return None
    return path


def _write_audio(out: av.container.OutputContainer, duration_s: float) -> None:
    """A short 440 Hz tone, AAC where the container takes it."""
    codec = "aac" if "aac" in out.supported_codecs else "pcm_s16le"
    stream = out.add_stream(codec, rate=16000, layout="mono")
    fmt = stream.codec_context.format.name
    total = int(duration_s * 16000)
    for start in range(0, total, 1024):
        t = np.arange(start, min(total, start + 1024)) / 16000.0
        wave = (0.3 * np.sin(2 * np.pi * 440.0 * t)).astype(np.float32)
        samples = wave if fmt == "fltp" else (wave * 32767).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(samples[None, :], format=fmt, layout="mono")
        frame.sample_rate, frame.pts, frame.time_base = 16000, start, Fraction(1, 16000)
        out.mux(stream.encode(frame))
    out.mux(stream.encode(None))


def write_seeds(folder: Path, seed: int = 0, specs=SEED_SPECS) -> list[Path]:
    """Every seed this machine can encode, written into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    return [p for spec in specs if (p := write_seed(spec, folder, rng)) is not None]


def png_bytes() -> bytes:
    """A small PNG image (a still image with a video extension must be refused)."""
    codec = av.CodecContext.create("png", "w")
    codec.width, codec.height, codec.pix_fmt = 16, 16, "rgb24"
    frame = av.VideoFrame.from_ndarray(np.zeros((16, 16, 3), np.uint8), format="rgb24")
    return b"".join(bytes(p) for p in codec.encode(frame))
