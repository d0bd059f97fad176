"""Small inline JPEG thumbnails of chosen frames, as `data:` URIs (no file beside the page);
the frames come from `pipeline.outputs.thumbnails`."""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterable
from pathlib import Path

from pipeline.errors import FramelabelError
from pipeline.outputs.thumbnails import frame_jpegs

log = logging.getLogger(__name__)

THUMB_WIDTH = 160


def jpeg_data_uri(jpeg: bytes) -> str:
    """JPEG bytes as a base64 data URI."""
    return "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")


def thumbnails(
    video: Path, indices: Iterable[int], thumb_width: int = THUMB_WIDTH
) -> dict[int, str]:
    """{frame index: data URI} for the decoded frames `indices` of `video` (missing: absent).

    An unreadable video gives no thumbnails and a warning: the report is still useful.
    """
    try:
        found = frame_jpegs(video, indices, thumb_width)
    except FramelabelError as err:
        log.warning("thumbnails from %s: %s", video, err)
        return {}
    return {index: jpeg_data_uri(jpeg) for index, jpeg in found.items()}
