"""Readers: the same suite over every backend, on tiny lossless videos whose pixels encode
their own frame index (tools/synth.py), so every round trip is checked exactly."""

from __future__ import annotations

import logging
import math
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from pipeline.errors import ConfigError, CorruptVideoError, NotAVideoError, VideoNotFoundError
from pipeline.io import READERS, open_video, video_info
from tools.synth import decode_index, truncate_copy, write_test_video

BACKENDS = sorted(READERS)


def read_all(path: Path, backend: str, **kwargs) -> list:
    with open_video(path, backend=backend, **kwargs) as reader:
        return list(reader)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(("codec", "suffix"), [("libx264rgb", ".mp4"), ("ffv1", ".mkv")])
def test_round_trip_is_exact(tmp_path: Path, backend: str, codec: str, suffix: str) -> None:
    path = write_test_video(tmp_path / f"v{suffix}", 37, size=(64, 48), codec=codec)
    with open_video(path, backend=backend) as reader:
        info = reader.info
        frames = list(reader)
    assert [f.index for f in frames] == list(range(37))
    assert [decode_index(f.rgb) for f in frames] == list(range(37))
    assert [f.pts_s for f in frames] == pytest.approx([i / 25 for i in range(37)], abs=1e-6)
    rgb = frames[0].rgb
    assert rgb.shape == (48, 64, 3) and rgb.dtype == np.uint8 and rgb.flags.c_contiguous
    assert (info.width, info.height, info.fps, info.rotation) == (64, 48, Fraction(25), 0)
    assert info.codec == ("h264" if codec == "libx264rgb" else "ffv1")
    assert info.backend == backend and not info.has_audio
    assert info.frames == (37 if suffix == ".mp4" else None)  # MKV headers carry no count


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("size", [(32, 24), (100, 30)])
def test_resize_inside_the_decoder(tmp_path: Path, backend: str, size: tuple[int, int]) -> None:
    path = write_test_video(tmp_path / "v.mp4", 12, size=(64, 48))
    frames = read_all(path, backend, size=size)
    assert all(f.rgb.shape == (size[1], size[0], 3) and f.rgb.flags.c_contiguous for f in frames)
    assert [decode_index(f.rgb) for f in frames] == list(range(12))


@pytest.mark.parametrize("backend", BACKENDS)
def test_fps_sampling_on_ntsc_rate(tmp_path: Path, backend: str) -> None:
    rate = Fraction(30000, 1001)
    path = write_test_video(tmp_path / "ntsc.mp4", 60, fps=rate)
    frames = read_all(path, backend, fps=10)
    # first frame at or after k/10 s: index ceil(k/10 * rate)
    expected = sorted({math.ceil(Fraction(k, 10) * rate) for k in range(20)})
    assert [f.index for f in frames] == expected
    assert [decode_index(f.rgb) for f in frames] == expected
    assert video_info(path, backend).fps == rate


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(("codec", "suffix"), [("libx264rgb", ".mp4"), ("ffv1", ".mkv")])
def test_variable_frame_rate(tmp_path: Path, backend: str, codec: str, suffix: str) -> None:
    pts = [0, 1, 3, 4, 9, 10, 11, 20, 21, 30, 31, 32]  # in 1/25 s ticks: pauses of 1..8 frames
    path = write_test_video(tmp_path / f"vfr{suffix}", len(pts), codec=codec, pts=pts)
    frames = read_all(path, backend)
    assert [f.index for f in frames] == list(range(len(pts)))
    assert [decode_index(f.rgb) for f in frames] == list(range(len(pts)))
    assert [f.pts_s for f in frames] == pytest.approx([p / 25 for p in pts], abs=1e-6)
    sampled = read_all(path, backend, fps=5)  # grid every 0.2 s = 5 ticks; gaps skip slots
    assert [f.index for f in sampled] == [0, 4, 5, 7, 9]  # pts 0, 9, 10, 20, 30
    assert video_info(path, backend, count=True).frames == len(pts)


def _marked(i: int) -> np.ndarray:
    """A frame with a red block in its coded top-left corner, to see where rotation puts it."""
    rgb = np.full((48, 64, 3), 60, np.uint8)
    rgb[:8, :12] = (255, 0, 0)
    return rgb


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("rotation", [-90, 90, 180])
def test_rotated_video_is_upright(tmp_path: Path, backend: str, rotation: int) -> None:
    path = write_test_video(tmp_path / "phone.mp4", 4, rotation=rotation, frame_fn=_marked)
    with open_video(path, backend=backend) as reader:
        info, frames = reader.info, list(reader)
    # FFmpeg's convention: rotation is counter-clockwise; -90 shows the frame turned clockwise
    expected = np.rot90(_marked(0), k=rotation // 90)
    assert info.rotation == rotation
    assert (info.width, info.height) == (expected.shape[1], expected.shape[0])
    assert len(frames) == 4
    for frame in frames:
        assert frame.rgb.shape == expected.shape and frame.rgb.flags.c_contiguous
        red = (frame.rgb[..., 0] > 128) & (frame.rgb[..., 1] < 128)
        assert np.array_equal(red, (expected[..., 0] > 128) & (expected[..., 1] < 128))
    resized = read_all(path, backend, size=(info.width // 2, info.height // 2))
    assert resized[0].rgb.shape == (info.height // 2, info.width // 2, 3)


@pytest.mark.parametrize("backend", BACKENDS)
def test_odd_sizes_read_exactly(tmp_path: Path, backend: str) -> None:
    path = write_test_video(tmp_path / "odd.mkv", 9, size=(65, 49), codec="ffv1")
    frames = read_all(path, backend)
    assert frames[0].rgb.shape == (49, 65, 3)
    assert [decode_index(f.rgb) for f in frames] == list(range(9))


@pytest.mark.parametrize("backend", BACKENDS)
def test_stride_start_end(tmp_path: Path, backend: str) -> None:
    path = write_test_video(tmp_path / "v.mp4", 30)  # 25 fps: frame i at i * 0.04 s
    assert [f.index for f in read_all(path, backend, stride=4)] == list(range(0, 30, 4))
    window = read_all(path, backend, start_s=0.4, end_s=0.8)  # end exclusive
    assert [f.index for f in window] == list(range(10, 20))
    assert [decode_index(f.rgb) for f in window] == list(range(10, 20))
    strided = read_all(path, backend, start_s=0.4, stride=3)  # stride counts from the start
    assert [f.index for f in strided] == list(range(10, 30, 3))
    sampled = read_all(path, backend, start_s=0.5, fps=5)
    assert [f.index for f in sampled] == [13, 18, 23, 28]  # first at/after 0.5, 0.7, 0.9, 1.1


@pytest.mark.parametrize("backend", BACKENDS)
def test_reader_can_iterate_twice(tmp_path: Path, backend: str) -> None:
    path = write_test_video(tmp_path / "v.mp4", 10)
    with open_video(path, backend=backend, stride=2) as reader:
        first = [f.index for f in reader]
        second = [(f.index, decode_index(f.rgb)) for f in reader]
    assert first == [0, 2, 4, 6, 8]
    assert second == [(i, i) for i in first]


@pytest.mark.parametrize("backend", BACKENDS)
def test_truncated_mkv_reads_partially_with_warning(
    tmp_path: Path, backend: str, caplog: pytest.LogCaptureFixture
) -> None:
    full = write_test_video(tmp_path / "full.mkv", 60, codec="ffv1")
    cut = truncate_copy(full, tmp_path / "cut.mkv", 0.5)
    with caplog.at_level(logging.WARNING, logger="pipeline.io"):
        frames = read_all(cut, backend)
    assert 0 < len(frames) < 60
    assert [decode_index(f.rgb) for f in frames] == [f.index for f in frames]
    assert "truncated" in caplog.text and "cut.mkv" in caplog.text


@pytest.mark.parametrize("backend", BACKENDS)
def test_truncated_mp4_without_index_is_a_one_line_error(tmp_path: Path, backend: str) -> None:
    full = write_test_video(tmp_path / "full.mp4", 60)  # moov atom at the end: cut away
    cut = truncate_copy(full, tmp_path / "cut.mp4", 0.6)
    with pytest.raises(CorruptVideoError, match="cut.mp4") as err:
        read_all(cut, backend)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("backend", BACKENDS)
def test_truncated_faststart_mp4_warns_with_frame_count(
    tmp_path: Path, backend: str, caplog: pytest.LogCaptureFixture
) -> None:
    full = write_test_video(tmp_path / "full.mp4", 60)
    fast = tmp_path / "fast.mp4"  # moov first (as VideoWriter writes): the index survives a cut
    faststart = {"movflags": "+faststart"}
    with av.open(str(full)) as src, av.open(str(fast), "w", options=faststart) as out:
        stream = out.add_stream_from_template(src.streams.video[0])
        for packet in src.demux(src.streams.video[0]):
            if packet.dts is not None:
                packet.stream = stream
                out.mux(packet)
    cut = truncate_copy(fast, tmp_path / "cut.mp4", 0.5)
    with caplog.at_level(logging.WARNING, logger="pipeline.io"):
        frames = read_all(cut, backend)
    assert 0 < len(frames) < 60
    assert "of 60 frames" in caplog.text


def test_corrupt_frames_are_skipped_counted_and_warned_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    rng = np.random.default_rng(0)
    noise = lambda i: rng.integers(0, 255, (48, 64, 3), np.uint8)  # noqa: E731  incompressible
    path = write_test_video(tmp_path / "v.mkv", 60, codec="ffv1", frame_fn=noise)
    data = bytearray(path.read_bytes())
    n = len(data)
    data[n // 3 : n // 2] = rng.integers(0, 255, n // 2 - n // 3, np.uint8).tobytes()
    path.write_bytes(bytes(data))
    with caplog.at_level(logging.WARNING, logger="pipeline.io"):
        with open_video(path) as reader:
            frames = list(reader)
            corrupt = reader.corrupt_frames
    assert corrupt >= 1 and 20 < len(frames) < 60
    assert caplog.text.count("fail to decode") == 1


def test_many_consecutive_bad_frames_raise(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    noise = lambda i: rng.integers(0, 255, (48, 64, 3), np.uint8)  # noqa: E731
    path = write_test_video(tmp_path / "v.mp4", 60, frame_fn=noise)
    data = bytearray(path.read_bytes())
    n = len(data)
    data[n // 3 : n // 2] = rng.integers(0, 255, n // 2 - n // 3, np.uint8).tobytes()
    path.write_bytes(bytes(data))
    with pytest.raises(CorruptVideoError, match="8 consecutive frames failed"):
        read_all(path, "pyav")


@pytest.mark.parametrize("backend", BACKENDS)
def test_text_file_named_mp4_is_not_a_video(tmp_path: Path, backend: str) -> None:
    path = tmp_path / "notes.mp4"
    path.write_text("these are my notes, not a video\n" * 20)
    with pytest.raises(NotAVideoError, match="notes.mp4"):
        open_video(path, backend=backend)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("ext", [".png", ".jpg"])
def test_still_image_renamed_mp4_is_not_a_video(tmp_path: Path, backend: str, ext: str) -> None:
    ok, encoded = cv2.imencode(ext, np.full((48, 64, 3), 128, np.uint8))
    path = tmp_path / "photo.mp4"
    path.write_bytes(encoded.tobytes())
    with pytest.raises(NotAVideoError, match="photo.mp4"):
        open_video(path, backend=backend)


@pytest.mark.parametrize("backend", BACKENDS)
def test_audio_only_file_is_not_a_video(tmp_path: Path, backend: str) -> None:
    path = tmp_path / "song.wav"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("pcm_s16le", rate=8000, layout="mono")
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 800), np.int16), format="s16")
        frame.sample_rate = 8000
        out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    with pytest.raises(NotAVideoError, match="no video stream"):
        open_video(path, backend=backend)


@pytest.mark.parametrize("backend", BACKENDS)
def test_missing_path(tmp_path: Path, backend: str) -> None:
    with pytest.raises(VideoNotFoundError, match="nope.mp4"):
        open_video(tmp_path / "nope.mp4", backend=backend)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"stride": 0},
        {"fps": -1.0},
        {"fps": 5.0, "stride": 2},
        {"start_s": 2.0, "end_s": 1.0},
        {"size": (0, 10)},
        {"backend": "gstreamer"},
    ],
)
def test_bad_settings_are_config_errors(tmp_path: Path, kwargs: dict) -> None:
    path = write_test_video(tmp_path / "v.mp4", 3)
    with pytest.raises(ConfigError):
        open_video(path, **kwargs)


def test_camera_index_needs_opencv() -> None:
    with pytest.raises(ConfigError, match="opencv"):
        open_video(0, backend="pyav")


def test_missing_camera() -> None:
    with pytest.raises(VideoNotFoundError, match="camera 99"):
        open_video(99, backend="opencv")


@pytest.mark.parametrize("backend", BACKENDS)
def test_stream_url(tmp_path: Path, backend: str) -> None:
    path = write_test_video(tmp_path / "v.mp4", 15)
    with open_video(path.as_uri(), backend=backend, stride=2) as reader:  # file:///...
        info = reader.info
        frames = [(f.index, decode_index(f.rgb), round(f.pts_s, 6)) for f in reader]
    assert frames == [(i, i, i / 25) for i in range(0, 15, 2)]
    assert info.fps == 25 and (info.width, info.height) == (64, 48)


@pytest.mark.parametrize("backend", BACKENDS)
def test_video_info_count_on_mkv(tmp_path: Path, backend: str) -> None:
    path = write_test_video(tmp_path / "v.mkv", 23, codec="ffv1", audio=True)
    header = video_info(path, backend)
    counted = video_info(path, backend, count=True)
    assert header.frames is None and header.has_audio
    assert counted.frames == 23 and counted.duration_s == pytest.approx(23 / 25, abs=1e-6)


@pytest.mark.parametrize("backend", BACKENDS)
def test_real_clip_bikes(bikes_mp4: Path, backend: str) -> None:
    with open_video(bikes_mp4, backend=backend, size=(64, 32)) as reader:
        info = reader.info
        n = sum(1 for _ in reader)
    assert (info.width, info.height, info.frames) == (640, 272, 250)
    assert n == 250  # the last frames come out only when the decoder is flushed
    with open_video(bikes_mp4, backend=backend, end_s=0.01) as reader:
        assert [f.rgb.shape for f in reader] == [(272, 640, 3)]
