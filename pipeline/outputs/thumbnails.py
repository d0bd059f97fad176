"""JPEG thumbnails of chosen frames of a video (the report's cards, `split --thumbnails`).

Frames are decoded with the project's reader in one forward pass that stops after the last
wanted frame (the reader numbers frames by decoding, so it never seeks), scaled by the
decoder to the thumbnail size.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

import cv2
import numpy as np

from pipeline.io.reader import open_video

JPEG_QUALITY = 70


def jpeg_bytes(rgb: np.ndarray, quality: int = JPEG_QUALITY) -> bytes:
    """A (H, W, 3) uint8 RGB image as JPEG bytes."""
    ok, buf = cv2.imencode(".jpg", rgb[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError(f"JPEG encoding failed for an image of shape {rgb.shape}")
    return buf.tobytes()


def thumb_size(width: int, height: int, thumb_width: int) -> tuple[int, int]:
    """(width, height) of a thumbnail `thumb_width` wide with the frame's aspect (even sizes)."""
    w = min(thumb_width, width)
    h = max(2, round(height * w / max(1, width)))
    return w - w % 2, h - h % 2


def frame_jpegs(
    video: str | os.PathLike[str], indices: Iterable[int], thumb_width: int
) -> dict[int, bytes]:
    """{frame index: JPEG bytes} of the decoded frames `indices` of `video` (missing: absent).
    FramelabelError when the video cannot be read."""
    wanted = set(int(i) for i in indices)
    if not wanted:
        return {}
    found: dict[int, bytes] = {}
    with open_video(video) as probe:
        size = thumb_size(probe.info.width, probe.info.height, thumb_width)
    with open_video(video, size=size) as reader:
        for frame in reader:
            if frame.index in wanted:
                found[frame.index] = jpeg_bytes(frame.rgb)
            if frame.index >= max(wanted):
                break
    return found
