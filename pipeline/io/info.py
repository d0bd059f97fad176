"""`video_info`: what a video is, from its header or (count=True) by decoding it."""

from __future__ import annotations

import dataclasses
import os

from pipeline.core.frames import VideoInfo
from pipeline.io.reader import open_video


def video_info(
    path: str | int | os.PathLike[str], backend: str = "pyav", count: bool = False
) -> VideoInfo:
    """Describe a video without reading its frames (or, with `count=True`, by decoding them).

    Header frame counts and durations can be missing (MKV, streams) or wrong (edited or damaged
    files); `count=True` decodes every frame (no RGB conversion) and sets `frames` to the real
    number of decodable frames and `duration_s` to the last pts plus one nominal frame interval.
    """
    with open_video(path, backend=backend) as reader:
        info = reader.info
        if not count:
            return info
        n_frames, last_pts_s = reader.count()
    duration_s = None
    if last_pts_s is not None:
        frame_s = 1.0 / float(info.fps) if info.fps else 0.0
        duration_s = last_pts_s + frame_s
    return dataclasses.replace(info, frames=n_frames, duration_s=duration_s)
