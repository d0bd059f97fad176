"""Small inline JPEG thumbnails of chosen frames, as `data:` URIs (no file beside the page).

Frames are decoded with the project's reader in one forward pass that stops after the last
wanted frame (the reader numbers frames by decoding, so it never seeks), scaled by the
decoder to the thumbnail size.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterable
from pathlib import Path

import cv2
import numpy as np

from pipeline.errors import FramelabelError
from pipeline.io.reader import open_video

log = logging.getLogger(__name__)

THUMB_WIDTH = 160
JPEG_QUALITY = 70


def jpeg_data_uri(rgb: np.ndarray, quality: int = JPEG_QUALITY) -> str:
    """A (H, W, 3) uint8 RGB image as a base64 JPEG data URI."""
    ok, buf = cv2.imencode(".jpg", rgb[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError(f"JPEG encoding failed for an image of shape {rgb.shape}")
    return "data:image/jpeg;base64," + base64.b64encode(buf.tobytes()).decode("ascii")


def thumb_size(width: int, height: int, thumb_width: int = THUMB_WIDTH) -> tuple[int, int]:
    """(width, height) of a thumbnail `thumb_width` wide with the frame's aspect (even sizes)."""
    w = min(thumb_width, width)
    h = max(2, round(height * w / max(1, width)))
    return w - w % 2, h - h % 2


def thumbnails(
    video: Path, indices: Iterable[int], thumb_width: int = THUMB_WIDTH
) -> dict[int, str]:
    """{frame index: data URI} for the decoded frames `indices` of `video` (missing: absent).

    An unreadable video gives no thumbnails and a warning: the report is still useful.
    """
    wanted = set(int(i) for i in indices)
    if not wanted:
        return {}
    found: dict[int, str] = {}
    try:
        with open_video(video) as probe:
            size = thumb_size(probe.info.width, probe.info.height, thumb_width)
        with open_video(video, size=size) as reader:
            for frame in reader:
                if frame.index in wanted:
                    found[frame.index] = jpeg_data_uri(frame.rgb)
                if frame.index >= max(wanted):
                    break
    except FramelabelError as err:
        log.warning("thumbnails from %s: %s", video, err)
    return found
