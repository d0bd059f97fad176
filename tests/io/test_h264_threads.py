"""Slice threads for H.264 pictures cut into several slices: picked from the first packet, and
the same pictures as decoding without threads."""

from __future__ import annotations

import os

import av
import numpy as np
import pytest

from pipeline.io.h264 import slices_in_packet
from pipeline.io.reader import open_video
from pipeline.io.writer import VideoWriter


def _clip(path, encoder_threads: int, frames: int = 40):
    """Real footage re-encoded by framelabel's writer: x264 cuts each picture into one slice
    per encoder thread (sliced threads, PyAV's default)."""
    rng = np.random.default_rng(0)
    base = rng.integers(0, 255, (240, 320, 3), dtype=np.uint8)
    with VideoWriter(path, 320, 240, 25, threads=encoder_threads, overwrite=True) as writer:
        for i in range(frames):
            writer.write(np.roll(base, 3 * i, axis=1))
    return path


def _first_packet_slices(path) -> int:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        packet = next(p for p in container.demux(stream) if p.size)
        return slices_in_packet(bytes(packet), bytes(stream.codec_context.extradata or b""))


def _unthreaded_frames(path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.codec_context.thread_count = 1
        return [f.to_ndarray(format="rgb24") for f in container.decode(stream)]


@pytest.mark.parametrize("encoder_threads, slices", [(1, 1), (3, 3)])
def test_slices_are_counted_from_the_first_packet(tmp_path, encoder_threads, slices):
    assert _first_packet_slices(_clip(tmp_path / "c.mp4", encoder_threads)) == slices


def test_annex_b_packets_are_counted_by_start_codes():
    aud, idr, non_idr = b"\x09\xf0", b"\x65\x88\x84", b"\x41\x9a\x02"
    packet = b"\x00\x00\x00\x01" + aud + b"\x00\x00\x01" + idr + b"\x00\x00\x01" + non_idr
    assert slices_in_packet(packet, None) == 2
    assert slices_in_packet(b"\x00\x00\x01" + aud, b"") == 0


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="slice threads need 2 cores")
def test_a_multi_slice_stream_decodes_with_slice_threads_to_the_same_pictures(tmp_path):
    multi = _clip(tmp_path / "multi.mp4", 3)
    single = _clip(tmp_path / "single.mp4", 1)
    for path, threading in [(multi, "SLICE"), (single, "AUTO")]:
        with open_video(path) as reader:
            frames = [f.rgb for f in reader]
            assert reader._stream.thread_type.name == threading
        expected = _unthreaded_frames(path)
        assert len(frames) == len(expected) == 40
        assert all(np.array_equal(a, b) for a, b in zip(frames, expected, strict=True))
